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

"""MySQL/MariaDB table options made by the migrations."""

from oslo_db.sqlalchemy import engines
import pytest
import sqlalchemy as sa

from magnum.db import migration
from magnum.db.sqlalchemy import api as sqlalchemy_api


@pytest.fixture(scope='session')
def db_backend():
    return 'mysql'


def test_mysql_tables_are_innodb_utf8mb4(empty_db_url):
    migration.upgrade(url=empty_db_url)
    engine = engines.create_engine(sqlalchemy_api.database_url(empty_db_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                'SELECT table_name, engine, table_collation FROM '
                'information_schema.tables WHERE table_schema = DATABASE()'
            )).all()
    finally:
        engine.dispose()
    assert rows
    for table, engine_name, collation in rows:
        assert engine_name == 'InnoDB', table
        assert collation.startswith('utf8mb4'), table
