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

"""Throw-away databases on SQLite, MariaDB and PostgreSQL for tests.

Each test run makes databases with unique names on the servers and drops
them afterwards, so runs never see each other's rows. Where to find the
servers: ``MAGNUM_TEST_MYSQL_URL`` and ``MAGNUM_TEST_POSTGRESQL_URL`` (admin
URLs; defaults are the loopback servers of the development machines).

A server that cannot be reached skips its tests with a message naming it,
except under ``CI=true``, where it fails them: CI must prove every backend.
"""

import contextlib
import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import url as sa_url

ADMIN_URLS = {
    'mysql': os.environ.get('MAGNUM_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1:3306/'),
    'postgresql': os.environ.get(
        'MAGNUM_TEST_POSTGRESQL_URL',
        'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'),
}
# The same MariaDB through mysqlclient, the C driver operators are advised
# to use (doc/source/install/database.rst).
ADMIN_URLS['mysqlclient'] = sa_url.make_url(ADMIN_URLS['mysql']).set(
    drivername='mysql+mysqldb').render_as_string(hide_password=False)
SERVER_NAMES = {'mysql': 'MariaDB/MySQL', 'postgresql': 'PostgreSQL',
                'mysqlclient': 'MariaDB/MySQL (mysqlclient)'}


def in_ci():
    return os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


def unavailable(backend, error):
    message = '%s server at %s is not reachable: %s' % (
        SERVER_NAMES[backend], _hide_password(ADMIN_URLS[backend]), error)
    if in_ci():
        pytest.fail(message + ' (CI=true: every database backend must run)',
                    pytrace=False)
    pytest.skip(message)


def _hide_password(url):
    return sa_url.make_url(url).render_as_string(hide_password=True)


def _admin_engine(backend):
    return sa.create_engine(ADMIN_URLS[backend], poolclass=sa.pool.NullPool,
                            isolation_level='AUTOCOMMIT',
                            # Fail fast when a server is down rather than
                            # hang the test run.
                            connect_args={'connect_timeout': 5})


@contextlib.contextmanager
def provisioned_database(backend, tmp_dir):
    """Yield the URL of a new, empty database; drop it afterwards."""
    if backend == 'sqlite':
        path = os.path.join(str(tmp_dir), 'magnum-%s.sqlite' %
                            uuid.uuid4().hex[:8])
        yield 'sqlite:///%s' % path
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    name = 'magnum_test_%s' % uuid.uuid4().hex[:12]
    engine = _admin_engine(backend)
    try:
        with engine.connect() as connection:
            if backend in ('mysql', 'mysqlclient'):
                connection.exec_driver_sql(
                    'CREATE DATABASE %s CHARACTER SET utf8mb4 '
                    'COLLATE utf8mb4_general_ci' % name)
            else:
                connection.exec_driver_sql(
                    "CREATE DATABASE %s ENCODING 'UTF8'" % name)
    except sa.exc.OperationalError as error:
        engine.dispose()
        unavailable(backend, error.orig)
    try:
        yield sa_url.make_url(ADMIN_URLS[backend]).set(
            database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            if backend == 'postgresql':
                # Connections left open by a failed test would block DROP.
                connection.exec_driver_sql(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    "WHERE datname = '%s' AND pid <> pg_backend_pid()" % name)
            connection.exec_driver_sql('DROP DATABASE IF EXISTS %s' % name)
        engine.dispose()


@contextlib.contextmanager
def migrated_database(backend, tmp_dir):
    """Yield the URL of a new database at the newest schema, made by the
    migrations; drop it afterwards."""
    from magnum.db import migration
    with provisioned_database(backend, tmp_dir) as url:
        migration.upgrade(url=url)
        yield url
