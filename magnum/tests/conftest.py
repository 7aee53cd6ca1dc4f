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

"""Fixtures shared by every test package.

``db_backend`` names the database the DB-backed fixtures use: SQLite unless
a package's conftest parametrizes it (the functional DB tests run the same
tests on MariaDB and PostgreSQL).
"""

from oslo_config import fixture as config_fixture
import pytest

from magnum import conf
from magnum.db import api as db_api
from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.db.sqlalchemy import models
from magnum.tests import db_backends


@pytest.fixture(autouse=True)
def magnum_config(tmp_path):
    """Magnum's options at their defaults, parsed from no file at all (so
    nothing of this machine's /etc leaks in); ``magnum_config.config(...)``
    overrides an option for one test."""
    fixture = config_fixture.Config(conf.CONF)
    fixture.setUp()
    conf.set_defaults(conf.CONF)
    conf.CONF([], project='magnum', default_config_files=[],
              default_config_dirs=[])
    fixture.config(group='oslo_policy',
                   policy_file=str(tmp_path / 'no-policy.yaml'))
    fixture.config(state_path=str(tmp_path))
    yield fixture
    fixture.cleanUp()


@pytest.fixture
def fake_drivers():
    """The installed drivers are the unit tests' fake ones."""
    from magnum.drivers.common import driver
    from magnum.tests import fake_driver
    fake_driver.FakeDriver.calls = []
    fake_driver.FakeDriver.errors = {}
    fake_driver.FakeDriver.observed = {}
    fake_driver.FakeDriver.resumable = False
    fake_driver.FakeDriver.health = {}
    registry = driver.DriverRegistry({
        'fake': fake_driver.FakeDriver,
        'other_fake': fake_driver.OtherFakeDriver})
    previous = driver.set_registry(registry)
    yield registry
    driver.set_registry(previous)


@pytest.fixture(scope='session')
def db_backend():
    return 'sqlite'


@pytest.fixture(scope='session')
def migrated_db_url(db_backend, tmp_path_factory):
    """A database of this run at the newest schema, made by migrations."""
    with db_backends.migrated_database(
            db_backend, tmp_path_factory.mktemp('db')) as url:
        yield url


@pytest.fixture
def dbapi(migrated_db_url):
    """The database API on an empty schema, installed process-wide."""
    connection = sqlalchemy_api.Connection(migrated_db_url)
    previous = db_api.set_instance(connection)
    try:
        yield connection
    finally:
        db_api.set_instance(previous)
        with connection.get_engine().begin() as conn:
            for table in reversed(models.Base.metadata.sorted_tables):
                conn.execute(table.delete())
        connection.dispose()


@pytest.fixture
def empty_db_url(db_backend, tmp_path):
    """A new database with no tables, dropped after the test."""
    with db_backends.provisioned_database(db_backend, tmp_path) as url:
        yield url
