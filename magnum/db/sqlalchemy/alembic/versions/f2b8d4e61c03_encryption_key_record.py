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

"""Which encryption key the database's secrets are sealed with.

The first conductor to start records its key's id (a hash, not the key);
a conductor with another key refuses to start instead of sealing secrets
that the other hosts cannot read.

Revision ID: f2b8d4e61c03
Revises: e41b7c09a2d5
Create Date: 2026-12-06 04:05:00
"""

from alembic import op
import sqlalchemy as sa

from magnum.db.sqlalchemy import types

revision = 'f2b8d4e61c03'
down_revision = 'e41b7c09a2d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'encryption_key',
        sa.Column('created_at', types.DateTime, nullable=True),
        sa.Column('updated_at', types.DateTime, nullable=True),
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True,
                  nullable=False),
        sa.Column('purpose', sa.String(64), nullable=False),
        sa.Column('key_id', sa.String(64), nullable=False),
        sa.Column('recorded_by', sa.String(255), nullable=True),
        sa.UniqueConstraint('purpose', name='uniq_encryption_key0purpose'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
