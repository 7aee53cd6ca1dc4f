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

"""The API's answer when the database cannot be reached: 503, never 500.

A request that needs the database while it is down or restarting gets a
503 in the OpenStack error format saying the database is unavailable; the
driver's words (host, port, user) go to the log only.

The translation sits at one place that every operation passes: the
engine's ``handle_error`` event, in the API process only. Controllers are
exposed with wsme, which catches every exception and answers 500 unless
the exception carries an HTTP ``code``; so the connection error is raised
as ``DatabaseUnavailable``, a ``DBConnectionError`` (oslo.db's retries and
pool invalidation treat it as before) that also carries ``code = 503``.
Errors raised outside a wsme controller (a hook) reach ``on_error`` of
the hook, which answers the same way.
"""

import json

from oslo_db import exception as db_exc
from oslo_log import log as logging
from pecan import hooks
import sqlalchemy
from sqlalchemy import event
import webob

from magnum.db.sqlalchemy import outage_errors

LOG = logging.getLogger(__name__)

TITLE = 'The database is unavailable'
DETAIL = ('The database is unavailable. Magnum could not reach it to '
          'complete the request; try again once it is back.')


class DatabaseUnavailable(db_exc.DBConnectionError):
    """A lost or refused database connection, as the API answers it."""

    code = 503

    def __str__(self):
        return DETAIL


def _translate(context):
    """``handle_error`` listener of every engine of the process.

    Listeners on the class run before those of an engine, so this one runs
    before oslo.db's. It applies oslo.db's own filters (which return their
    exception for the next listener) and raises the result, which ends
    the chain: a connection error (or a server going away, which oslo.db
    lets through raw) as ``DatabaseUnavailable``, anything
    else (a duplicate entry, a deadlock) as oslo.db would have. On a
    pool's pre-ping oslo.db only marks the connection dead and returns
    nothing; so does this.
    """
    return outage_errors.raise_translated(context, DatabaseUnavailable,
                                          'The database is unavailable')


def translate_connection_errors():
    """Register the listener once per process."""
    if not event.contains(sqlalchemy.engine.Engine, 'handle_error',
                          _translate):
        event.listen(sqlalchemy.engine.Engine, 'handle_error', _translate)


def response():
    """The 503 in the OpenStack error format."""
    body = {'errors': [{'request_id': '', 'code': 'server', 'status': 503,
                        'title': TITLE, 'detail': DETAIL, 'links': []}]}
    return webob.Response(status=503, content_type='application/json',
                          charset='utf-8', body=json.dumps(body).encode())


def is_connection_error(error):
    return isinstance(error, db_exc.DBConnectionError)


class DatabaseErrorHook(hooks.PecanHook):
    """Registers the translation; answers 503 for a connection error that
    escaped a controller (raised by a hook, or by a controller not exposed
    with wsme)."""

    def __init__(self):
        translate_connection_errors()

    def on_error(self, state, error):
        if is_connection_error(error):
            LOG.warning('%s %s: the database is unavailable: %s',
                        state.request.method, state.request.path, error)
            return response()
        return None
