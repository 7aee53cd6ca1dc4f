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

"""What a status reason says of a database the conductor cannot reach:
its own words, never the DB-API driver's (host, port, SQL)."""

import socket

from oslo_db import exception as db_exc
import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from magnum.conductor.handlers import cluster_conductor
from magnum.db.sqlalchemy import outage_errors


@pytest.fixture
def installed():
    # The API's translation (installed for good by any API test that ran
    # before in this session) would answer first: it is set aside.
    from magnum.api import db_errors
    api_listener = event.contains(sa.engine.Engine, 'handle_error',
                                  db_errors._translate)
    if api_listener:
        event.remove(sa.engine.Engine, 'handle_error', db_errors._translate)
    outage_errors.install()
    yield
    outage_errors.uninstall()
    if api_listener:
        db_errors.translate_connection_errors()


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _failure_reason(error):
    operation = cluster_conductor.Operation('resize')
    operation.at('asking the local driver to resize nodegroup w to 3 nodes')
    return cluster_conductor.failure_reason(operation, error)


def test_a_refused_connection_reads_as_an_outage(installed):
    engine = sa.create_engine(
        'mysql+pymysql://magnum:secret@127.0.0.1:%d/magnum' % _closed_port(),
        poolclass=sa.pool.NullPool)
    try:
        with pytest.raises(db_exc.DBConnectionError) as raised:
            with engine.connect() as connection:
                connection.execute(sa.text('SELECT 1'))
    finally:
        engine.dispose()
    error = raised.value
    assert isinstance(error, outage_errors.DatabaseUnreachable)
    # The driver's words stay with the error for the log.
    assert "Can't connect" in str(error.inner_exception)
    reason = _failure_reason(error)
    assert reason == (
        'Resize failed while asking the local driver to resize nodegroup w '
        'to 3 nodes: the database could not be reached (it was down or '
        'restarting); retry once it is back')
    for internal in ('pymysql', '127.0.0.1', 'magnum:secret', '2003'):
        assert internal not in reason


@pytest.mark.parametrize('code,outage', [
    (1053, True),   # server shutdown in progress
    (1927, True),   # connection was killed
    (1205, False),  # lock wait timeout: not an outage
])
def test_mysql_codes_oslo_db_lets_through(code, outage):
    error = sa_exc.OperationalError(
        'UPDATE cluster SET status=%s', {},
        pymysql.err.OperationalError(code, 'words of the server'))
    assert outage_errors._is_outage(error) is outage


def test_other_database_errors_keep_their_sql_out_of_reasons():
    error = db_exc.DBDeadlock(sa_exc.OperationalError(
        'UPDATE cluster SET status=%(status)s WHERE uuid=%(uuid)s',
        {'status': 'UPDATE_FAILED', 'uuid': 'abc'},
        pymysql.err.OperationalError(1213, 'Deadlock found')))
    reason = _failure_reason(error)
    assert reason == (
        'Resize failed while asking the local driver to resize nodegroup w '
        "to 3 nodes: the database refused a change (DBDeadlock; the "
        "conductor's log has the details)")
    # Other errors keep their own words.
    assert _failure_reason(RuntimeError('engine gone')).endswith(
        ': engine gone')
