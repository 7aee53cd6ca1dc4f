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

"""Containers Magnum runs on swarm clusters (API microversion 1.16).

Revision ID: 9a3c5e7f1b20
Revises: f2b8d4e61c03
Create Date: 2026-12-06 04:30:00
"""

from alembic import op
import sqlalchemy as sa

from magnum.db.sqlalchemy import types

revision = '9a3c5e7f1b20'
down_revision = 'f2b8d4e61c03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'container',
        sa.Column('created_at', types.DateTime, nullable=True),
        sa.Column('updated_at', types.DateTime, nullable=True),
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True,
                  nullable=False),
        sa.Column('uuid', sa.String(36), nullable=True),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('project_id', sa.String(255), nullable=True),
        sa.Column('user_id', sa.String(255), nullable=True),
        sa.Column('cluster_uuid', sa.String(36), nullable=True),
        sa.Column('image', sa.String(255), nullable=True),
        sa.Column('command', types.JSONList(), nullable=True),
        sa.Column('memory', sa.String(32), nullable=True),
        sa.Column('cpu', sa.Float(), nullable=True),
        sa.Column('environment', types.JSONDict(), nullable=True),
        sa.Column('labels', types.JSONDict(), nullable=True),
        sa.Column('ports', types.JSONList(), nullable=True),
        sa.Column('restart_policy', types.JSONDict(), nullable=True),
        sa.Column('status', sa.String(20), nullable=True),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('host', sa.String(255), nullable=True),
        sa.Column('container_id', sa.String(64), nullable=True),
        sa.UniqueConstraint('uuid', name='uniq_container0uuid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('container_project_id_idx', 'container',
                    ['project_id'])
    op.create_index('container_cluster_uuid_idx', 'container',
                    ['cluster_uuid'])
