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

"""Timestamps to the microsecond on MySQL and MariaDB.

Their DATETIME drops fractions of a second; PostgreSQL's timestamp and
SQLite's text keep them already, so only MySQL/MariaDB columns change.

Revision ID: 7d4c2e9b1f30
Revises: 1206730a4991
Create Date: 2026-11-21 23:20:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '7d4c2e9b1f30'
down_revision = '1206730a4991'
branch_labels = None
depends_on = None

TABLES = ('cluster_template', 'cluster', 'nodegroup', 'x509keypair',
          'magnum_service', 'quotas', 'federation', 'cluster_lock')


def _datetime_columns(bind):
    inspector = sa.inspect(bind)
    for table in TABLES:
        for column in inspector.get_columns(table):
            if isinstance(column['type'], sa.DateTime):
                yield table, column


def _retype(new_type):
    bind = op.get_bind()
    if bind.dialect.name not in ('mysql', 'mariadb'):
        return
    for table, column in list(_datetime_columns(bind)):
        op.alter_column(table, column['name'], type_=new_type,
                        existing_type=column['type'],
                        existing_nullable=column['nullable'])


def upgrade():
    _retype(mysql.DATETIME(fsp=6))
