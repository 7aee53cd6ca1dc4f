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

"""The batch size of a nodegroup's upgrade in progress.

A driver that replaces a nodegroup's nodes a batch at a time (the local
driver, once per status sync) reads how many at a time from here, so
that a conductor that restarts, or another one, goes on with the batch
size asked for. NULL: no upgrade of the nodegroup is in progress.

Revision ID: e41b7c09a2d5
Revises: 7d4c2e9b1f30
Create Date: 2026-12-06 03:40:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e41b7c09a2d5'
down_revision = '7d4c2e9b1f30'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('nodegroup', sa.Column('upgrade_batch_size', sa.Integer(),
                                         nullable=True))
