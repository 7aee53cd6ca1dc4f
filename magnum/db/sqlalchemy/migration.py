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

"""Schema migrations with alembic.

Every function takes an optional database URL; without one it uses
``[database] connection``.

A database upstream Magnum 23 left is recognised by its alembic revision;
``upgrade`` imports it into this Magnum's schema first (see
``magnum.db.sqlalchemy.upstream``) when given an importer, and refuses it
with what to do otherwise.
"""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_db.sqlalchemy import engines

from magnum import conf
from magnum.db.sqlalchemy import api
from magnum.db.sqlalchemy import upstream

CONF = conf.CONF

ALEMBIC_INI = os.path.join(os.path.dirname(__file__), 'alembic.ini')


def _alembic_config():
    return alembic_config.Config(ALEMBIC_INI)


def _engine(url=None):
    """A short-lived engine for ``url`` or ``[database] connection``."""
    return engines.create_engine(
        api.database_url(url or CONF.database.connection),
        mysql_sql_mode='TRADITIONAL')


def _run(command, url=None, *args, **kwargs):
    config = _alembic_config()
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            config.attributes['connection'] = connection
            return command(config, *args, **kwargs)
    finally:
        engine.dispose()


def _script():
    return alembic_script.ScriptDirectory.from_config(_alembic_config())


def revisions():
    """This Magnum's revisions."""
    return {script.revision for script in _script().walk_revisions()}


def upgrade(version=None, url=None, upstream_importer=None):
    """Upgrade the schema to ``version`` (default: the newest).

    A database upstream Magnum 23 left is first imported with
    ``upstream_importer`` (an ``upstream.Importer``); without one it is
    refused, as is a revision of neither history.
    """
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            current = upstream.current_revision(connection)
        if upstream.is_upstream(current):
            if upstream_importer is None:
                raise upstream.UpstreamImportError(
                    'This database was left by %s (revision %s); '
                    '"magnum-db-manage upgrade" imports it.' % (
                        upstream.UPSTREAM_RELEASE,
                        upstream.UPSTREAM_REVISION))
            upstream_importer.run(engine)
        elif current is not None and current not in revisions():
            raise upstream.UpstreamImportError(
                'The database is at an unknown %s; nothing was changed.' %
                upstream.unknown_revision_advice(current))
    finally:
        engine.dispose()
    _run(alembic_command.upgrade, url, version or 'head')


def stamp(revision, url=None):
    """Record ``revision`` as current without running any migration."""
    _run(alembic_command.stamp, url, revision)


def version(url=None):
    """The revision the database is at, or None for an empty database."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            context = alembic_migration.MigrationContext.configure(connection)
            return context.get_current_revision()
    finally:
        engine.dispose()


def head():
    """The newest revision among the migration scripts."""
    return _script().get_current_head()


def describe_version(url=None):
    """The revision the database is at, naming its history: this
    Magnum's or upstream Magnum's (see ``upstream.describe``)."""
    return upstream.describe(version(url), revisions(), head())


def clusters_with_certificates_elsewhere(url=None):
    """Clusters whose certificate references are not x509keypair rows
    (``upstream.clusters_with_certificates_elsewhere``)."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return upstream.clusters_with_certificates_elsewhere(connection)
    finally:
        engine.dispose()


def clusters_without_driver(driver_installed, url=None):
    """Clusters no installed driver serves, in this Magnum's database or
    one upstream Magnum left (``upstream.clusters_without_driver``)."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return upstream.clusters_without_driver(connection,
                                                    driver_installed)
    finally:
        engine.dispose()


def revision(message=None, autogenerate=False, url=None):
    """Write a new migration script.

    With ``autogenerate`` alembic compares the models with a database at the
    current head and fills in the difference; review what it writes.
    """
    if autogenerate:
        return _run(alembic_command.revision, url, message=message,
                    autogenerate=True)
    return alembic_command.revision(_alembic_config(), message=message)
