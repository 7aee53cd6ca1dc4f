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

"""The API answers 503, never 500, when the database cannot be reached
(magnum.api.db_errors). The connection errors are real: a MySQL URL on a
loopback port nothing listens on is refused at once."""

import socket

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import exc_filters
import pytest
import sqlalchemy as sa

from magnum.api import db_errors
from magnum.api import hooks
from magnum.tests.unit.api.conftest import error_of


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _engine(url):
    """An engine set up as oslo.db sets its own up (its filters as a
    listener of the engine), in a process where the API registered its
    translation."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    exc_filters.register_engine(engine)
    db_errors.translate_connection_errors()
    return engine


def _refused_error():
    url = 'mysql+pymysql://magnum:secret-word@127.0.0.1:%d/magnum' % (
        _closed_port())
    engine = _engine(url)
    try:
        with pytest.raises(db_exc.DBError) as caught:
            with engine.connect() as connection:
                connection.execute(sa.text('SELECT 1'))
    finally:
        engine.dispose()
    return caught.value


def test_a_refused_connection_is_database_unavailable():
    error = _refused_error()
    assert isinstance(error, db_errors.DatabaseUnavailable)
    # oslo.db's retries and callers still see a connection error.
    assert isinstance(error, db_exc.DBConnectionError)
    assert error.code == 503
    assert 'database is unavailable' in str(error)
    assert 'secret-word' not in str(error) and '127.0.0.1' not in str(error)


def test_other_database_errors_are_left_as_they_are(tmp_path):
    engine = _engine('sqlite:///%s' % (tmp_path / 'x.db'))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text('CREATE TABLE t (id INTEGER '
                                       'PRIMARY KEY)'))
            connection.execute(sa.text('INSERT INTO t VALUES (1)'))
        with pytest.raises(db_exc.DBDuplicateEntry):
            with engine.begin() as connection:
                connection.execute(sa.text('INSERT INTO t VALUES (1)'))
    finally:
        engine.dispose()


def test_registering_twice_translates_once():
    db_errors.translate_connection_errors()
    db_errors.translate_connection_errors()
    assert sa.event.contains(sa.engine.Engine, 'handle_error',
                             db_errors._translate)
    assert isinstance(_refused_error(), db_errors.DatabaseUnavailable)


def _assert_database_503(response):
    assert response.status_int == 503, response.text
    element = error_of(response)
    assert element['status'] == 503
    assert element['title'] == 'The database is unavailable'
    assert 'database is unavailable' in element['detail']
    assert 'secret-word' not in response.text
    assert '127.0.0.1' not in response.text
    assert 'Traceback' not in response.text


@pytest.mark.parametrize('method,path,body', [
    ('get', '/clusters', None),
    ('get', '/clustertemplates', None),
    ('post', '/clusters', {'name': 'x', 'cluster_template_id': 'y'}),
])
def test_a_controller_meeting_it_answers_503(api, dbapi, monkeypatch,
                                             method, path, body):
    error = _refused_error()

    def unreachable(*args, **kwargs):
        raise error

    # Every read of these requests goes through the database API; its
    # first call meets the (real) refused connection.
    for name in ('get_cluster_list', 'get_cluster_template_list',
                 'get_cluster_template_by_uuid',
                 'get_cluster_template_by_name'):
        monkeypatch.setattr(dbapi, name, unreachable)
    response = api.request(method, path, body, validate=False)
    _assert_database_503(response)


def test_a_hook_meeting_it_answers_503(api, monkeypatch):
    error = _refused_error()

    def before(self, state):
        raise error

    monkeypatch.setattr(hooks.ContextHook, 'before', before)
    _assert_database_503(api.get('/clusters', validate=False))


def test_other_errors_of_a_hook_are_not_turned_into_503(api, monkeypatch):
    def before(self, state):
        raise RuntimeError('not the database')

    monkeypatch.setattr(hooks.ContextHook, 'before', before)
    response = api.get('/clusters', validate=False)
    assert response.status_int == 500
    assert 'database' not in response.text


def _event_of(code):
    """A ``handle_error`` event of a MariaDB engine (never connected) for
    a server error that oslo.db lets through as the driver's own: the
    server itself cannot be made to say it here on demand."""
    import types

    import pymysql

    engine = sa.create_engine('mysql+pymysql://magnum@127.0.0.1/magnum')
    original = pymysql.err.OperationalError(code, 'words of the server')
    error = sa.exc.OperationalError('SELECT 1', {}, original)
    return types.SimpleNamespace(
        sqlalchemy_exception=error, original_exception=original,
        chained_exception=None, engine=engine, dialect=engine.dialect,
        connection=None, execution_context=None, is_disconnect=False,
        is_pre_ping=False, invalidate_pool_on_disconnect=True,
        statement='SELECT 1', parameters={}, cursor=None)


def test_a_server_going_away_is_database_unavailable():
    # MariaDB's "server shutdown in progress" (1053) reached tenants as a
    # 500: oslo.db does not call it a connection error.
    with pytest.raises(db_errors.DatabaseUnavailable) as caught:
        db_errors._translate(_event_of(1053))
    assert caught.value.code == 503
    assert 'words of the server' not in str(caught.value)


def test_a_server_going_away_on_a_pre_ping_only_marks_the_connection():
    event = _event_of(1927)
    event.is_pre_ping = True
    assert db_errors._translate(event) is None
    assert event.is_disconnect


def test_a_lock_wait_timeout_is_not_an_outage():
    with pytest.raises(sa.exc.OperationalError):
        db_errors._translate(_event_of(1205))
