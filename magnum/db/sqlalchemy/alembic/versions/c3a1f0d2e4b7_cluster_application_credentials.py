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

"""Each cluster's Keystone application credential (its secret sealed).

Revision ID: c3a1f0d2e4b7
Revises: 5e3075c45b21
Create Date: 2026-11-21 22:40:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c3a1f0d2e4b7'
down_revision = '5e3075c45b21'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cluster', sa.Column(
        'application_credential_id', sa.String(64), nullable=True))
    op.add_column('cluster', sa.Column(
        'application_credential_secret', sa.Text(), nullable=True))
    op.add_column('cluster', sa.Column(
        'application_credential_user_id', sa.String(64), nullable=True))
    op.add_column('cluster', sa.Column(
        'application_credential_expires_at', sa.DateTime(), nullable=True))
