# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Requests cast to the conductors that no conductor has taken yet.

The API records an update, resize or nodegroup change here before its
cast; the conductor that takes the work deletes the row, and the status
sync replays one left for longer than ``[conductor] lock_timeout`` (its
cast was lost).

Revision ID: 3b8e1d6c4f72
Revises: 9a3c5e7f1b20
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa

from magnum.db.sqlalchemy import types

revision = '3b8e1d6c4f72'
down_revision = '9a3c5e7f1b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cluster_request',
        sa.Column('created_at', types.DateTime, nullable=True),
        sa.Column('updated_at', types.DateTime, nullable=True),
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True,
                  nullable=False),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('cluster_uuid', sa.String(36), nullable=False),
        sa.Column('operation', sa.String(64), nullable=False),
        sa.Column('arguments', types.JSONDict(), nullable=True),
        sa.UniqueConstraint('uuid', name='uniq_cluster_request0uuid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('cluster_request_cluster_uuid_idx', 'cluster_request',
                    ['cluster_uuid'])
