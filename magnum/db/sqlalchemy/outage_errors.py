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

"""A database that cannot be reached, in words a person can act on.

In the conductor, what an operation raised becomes a cluster's
``status_reason`` (``str(error)``, in the conductor's handlers and in
the drivers alike). oslo.db's errors carry the DB-API driver's text,
``(pymysql.err.OperationalError) (2003, "Can't connect to MySQL server
on '10.0.0.5' ...")`` and the SQL that failed: internals a tenant must
not see and cannot act on. Once ``install()`` ran (the conductor's
start), a lost, refused or closing connection is raised as
DatabaseUnreachable, whose text says what happened and what to do; the
driver's text goes to the log (and stays the exception's cause). It is a
DBConnectionError, so oslo.db's retries and pool invalidation treat it
as before.

oslo.db passes a MariaDB "server shutdown in progress" (1053) or
"connection was killed" through as the driver's own OperationalError;
those are outages too.
"""

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import exc_filters
from oslo_log import log as logging
import sqlalchemy
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

LOG = logging.getLogger(__name__)

MESSAGE = ('the database could not be reached (it was down or '
           'restarting); retry once it is back')

# MariaDB/MySQL error codes of a server going away that oslo.db does not
# wrap as a connection error: server shutdown in progress, normal
# shutdown, connection killed.
_MYSQL_OUTAGE_CODES = (1053, 1077, 1927)
# PostgreSQL's words for a server shutting down or starting.
_POSTGRESQL_OUTAGE_WORDS = ('the database system is shutting down',
                            'the database system is starting up',
                            'terminating connection due to administrator')


class DatabaseUnreachable(db_exc.DBConnectionError):
    """A lost, refused or closing database connection."""

    # In a process that also serves the API (magnum-all-in-one starts
    # its conductor first, so this translation answers before the API's
    # own): a 503, as the API answers an unreachable database.
    code = 503

    def __str__(self):
        return MESSAGE


def _is_outage(error):
    """Whether the driver's OperationalError that oslo.db let through
    says the server is going away."""
    original = getattr(error, 'orig', None)
    code = original.args[0] if original is not None and original.args \
        else None
    if code in _MYSQL_OUTAGE_CODES:
        return True
    text = str(original if original is not None else error)
    return any(words in text for words in _POSTGRESQL_OUTAGE_WORDS)


def oslo_translation(context):
    """oslo.db's own translation of the error of ``context`` (a
    ``handle_error`` event), with a server going away that oslo.db lets
    through raw counted as the connection error it is."""
    try:
        return exc_filters.handler(context)
    except sa_exc.OperationalError as error:
        if not _is_outage(error):
            raise
        context.is_disconnect = True
        return db_exc.DBConnectionError(error)


def raise_translated(context, error_class, log_words):
    """The body of a ``handle_error`` listener: oslo.db's own filters
    first (``oslo_translation``), then a connection error raised as
    ``error_class`` (logging the driver's words after ``log_words``). What
    is not an outage is raised as oslo.db would have; on a pool's
    pre-ping nothing is raised (oslo.db only marks the connection dead).
    """
    translated = oslo_translation(context)
    if isinstance(translated, db_exc.DBConnectionError) and \
            not isinstance(translated, error_class):
        if getattr(context, 'is_pre_ping', False):
            return None
        LOG.warning('%s: %s', log_words, translated)
        raise error_class(translated.inner_exception)
    if translated is not None:
        raise translated
    return None


def _translate(context):
    """``handle_error`` listener of the conductor's engines."""
    return raise_translated(context, DatabaseUnreachable,
                            'The database is unreachable')


def install():
    """Translate in every engine of this process (once)."""
    if not event.contains(sqlalchemy.engine.Engine, 'handle_error',
                          _translate):
        event.listen(sqlalchemy.engine.Engine, 'handle_error', _translate)


def uninstall():
    if event.contains(sqlalchemy.engine.Engine, 'handle_error', _translate):
        event.remove(sqlalchemy.engine.Engine, 'handle_error', _translate)


def is_database_error(error):
    """Whether ``error`` came from the database layer (its text is the
    DB-API driver's, unless it is DatabaseUnreachable)."""
    return isinstance(error, (db_exc.DBError, sa_exc.SQLAlchemyError))
