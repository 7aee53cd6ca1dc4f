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

"""Migrations: an empty database upgraded to head has exactly the models'
schema, on every backend (see conftest), and magnum-db-manage drives them.
"""

import functools
import os
import shutil
import subprocess
import sys

from oslo_db.sqlalchemy import engines
from oslo_db.sqlalchemy import test_migrations
import pytest
import sqlalchemy as sa

from magnum.db import migration
from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.db.sqlalchemy import models


class TestModelsMigrationsSync(test_migrations.ModelsMigrationsSync):
    """oslo.db's comparison of the migrated schema with the models.

    The mixin expects unittest's addCleanup and fail; a plain pytest class
    provides them so the backend fixture can be parametrized.
    """

    @pytest.fixture(autouse=True)
    def _database(self, empty_db_url):
        self.url = empty_db_url
        self.engine = engines.create_engine(
            sqlalchemy_api.database_url(empty_db_url))
        self._cleanups = []
        yield
        for cleanup in reversed(self._cleanups):
            cleanup()
        self.engine.dispose()

    def addCleanup(self, function, *args, **kwargs):  # noqa: N802
        self._cleanups.append(functools.partial(function, *args, **kwargs))

    def fail(self, msg):
        pytest.fail(msg, pytrace=False)

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.Base.metadata

    def db_sync(self, engine):
        migration.upgrade(url=self.url)

    def include_object(self, object_, name, type_, reflected, compare_to):
        # alembic's own bookkeeping table is not part of the models.
        return not (type_ == 'table' and name == 'alembic_version')


def _tables(url):
    engine = engines.create_engine(sqlalchemy_api.database_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_empty_database_to_head(empty_db_url):
    assert migration.version(url=empty_db_url) is None
    migration.upgrade(url=empty_db_url)
    assert migration.version(url=empty_db_url) == migration.head()
    assert _tables(empty_db_url) == set(models.Base.metadata.tables) | {
        'alembic_version'}
    # Upgrading a database already at head changes nothing.
    migration.upgrade(url=empty_db_url)
    assert migration.version(url=empty_db_url) == migration.head()


def test_stamp_records_revision_without_migrating(empty_db_url):
    migration.stamp(migration.head(), url=empty_db_url)
    assert migration.version(url=empty_db_url) == migration.head()
    assert _tables(empty_db_url) == {'alembic_version'}


def _db_manage(config_file, *args):
    return subprocess.run(
        [sys.executable, '-m', 'magnum.cmd.db_manage', '--config-file',
         str(config_file), *args],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))


def test_db_manage_cli_upgrade_and_version(empty_db_url, tmp_path):
    config = tmp_path / 'magnum.conf'
    config.write_text('[database]\nconnection = %s\n' % empty_db_url)
    result = _db_manage(config, 'version')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('None')
    result = _db_manage(config, 'upgrade')
    assert result.returncode == 0, result.stderr
    result = _db_manage(config, 'version')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == migration.head()


def test_db_manage_cli_reports_unreachable_database(tmp_path):
    config = tmp_path / 'magnum.conf'
    config.write_text('[database]\nconnection = sqlite:///%s\n' %
                      (tmp_path / 'missing-dir' / 'magnum.sqlite'))
    result = _db_manage(config, 'upgrade')
    assert result.returncode == 1
    assert 'magnum-db-manage upgrade failed' in result.stderr
    assert 'Traceback' not in result.stderr


def test_revision_autogenerate_finds_nothing_at_head(empty_db_url, tmp_path,
                                                     monkeypatch):
    # Work on a copy of the migration scripts so the tree stays clean.
    from magnum.db.sqlalchemy import migration as sa_migration
    source = os.path.dirname(sa_migration.ALEMBIC_INI)
    shutil.copy(sa_migration.ALEMBIC_INI, tmp_path / 'alembic.ini')
    shutil.copytree(os.path.join(source, 'alembic'), tmp_path / 'alembic',
                    ignore=shutil.ignore_patterns('__pycache__'))
    monkeypatch.setattr(sa_migration, 'ALEMBIC_INI',
                        str(tmp_path / 'alembic.ini'))
    migration.upgrade(url=empty_db_url)
    previous_head = migration.head()
    migration.revision(message='nothing to do', autogenerate=True,
                       url=empty_db_url)
    written = [name for name in os.listdir(tmp_path / 'alembic' / 'versions')
               if name.endswith('_nothing_to_do.py')]
    assert len(written) == 1
    script = (tmp_path / 'alembic' / 'versions' / written[0]).read_text()
    assert "down_revision = '%s'" % previous_head in script
    assert migration.head() != previous_head
    body = script.split('def upgrade():', 1)[1]
    assert 'op.' not in body
