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

"""Cluster locks: a token per acquisition, and the last finished operation.

Revision ID: 1206730a4991
Revises: c3a1f0d2e4b7
Create Date: 2026-11-21 23:10:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '1206730a4991'
down_revision = 'c3a1f0d2e4b7'
branch_labels = None
depends_on = None

# Rows of before this revision are live or expired locks (a released lock
# was deleted): they get a token nobody holds, so they expire as locks
# whose holder never released them.
UNKNOWN_HOLDER_TOKEN = 'taken-before-lock-tokens'


def upgrade():
    op.add_column('cluster_lock', sa.Column('token', sa.String(36),
                                            nullable=True))
    op.add_column('cluster_lock', sa.Column('finished_operation',
                                            sa.String(64), nullable=True))
    op.add_column('cluster_lock', sa.Column('finished_at', sa.DateTime(),
                                            nullable=True))
    table = sa.table('cluster_lock', sa.column('token', sa.String(36)))
    op.execute(table.update().values(token=UNKNOWN_HOLDER_TOKEN))
