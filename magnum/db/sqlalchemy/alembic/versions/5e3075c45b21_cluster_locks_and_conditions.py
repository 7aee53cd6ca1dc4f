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

"""Cluster locks for conductors, and conditions on clusters and nodegroups.

Revision ID: 5e3075c45b21
Revises: b614c07dd7dc
Create Date: 2026-11-21 20:05:00
"""

from alembic import op
from oslo_db.sqlalchemy import types as oslo_types
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5e3075c45b21'
down_revision = 'b614c07dd7dc'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cluster', sa.Column(
        'conditions', oslo_types.JsonEncodedList(), nullable=True))
    op.add_column('nodegroup', sa.Column(
        'conditions', oslo_types.JsonEncodedList(), nullable=True))
    op.create_table(
        'cluster_lock',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True,
                  nullable=False),
        sa.Column('cluster_uuid', sa.String(36), nullable=False),
        sa.Column('holder', sa.String(255), nullable=False),
        sa.Column('operation', sa.String(64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('cluster_uuid',
                            name='uniq_cluster_lock0cluster_uuid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
