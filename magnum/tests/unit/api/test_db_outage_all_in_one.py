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

"""magnum-all-in-one starts its conductor, whose translation of an
unreachable database (magnum.db.sqlalchemy.outage_errors) then answers
before the API's own: the API still answers 503, never 500."""

import socket

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from magnum.api import db_errors
from magnum.db.sqlalchemy import outage_errors
from magnum.tests.unit.api.conftest import error_of


@pytest.fixture
def conductor_first():
    api_listener = event.contains(sa.engine.Engine, 'handle_error',
                                  db_errors._translate)
    if api_listener:
        event.remove(sa.engine.Engine, 'handle_error', db_errors._translate)
    outage_errors.install()
    # The API's, registered when its application is made: after.
    db_errors.translate_connection_errors()
    yield
    outage_errors.uninstall()


def _refused():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    engine = sa.create_engine(
        'mysql+pymysql://magnum:secret-word@127.0.0.1:%d/magnum' % port,
        poolclass=sa.pool.NullPool)
    try:
        with pytest.raises(outage_errors.DatabaseUnreachable) as caught:
            engine.connect()
    finally:
        engine.dispose()
    return caught.value


def test_the_api_of_an_all_in_one_answers_503(conductor_first, api, dbapi,
                                              monkeypatch):
    error = _refused()

    def unreachable(*args, **kwargs):
        raise error

    monkeypatch.setattr(dbapi, 'get_cluster_list', unreachable)
    response = api.get('/clusters', validate=False)
    assert response.status_int == 503, response.text
    detail = error_of(response)['detail']
    assert 'database could not be reached' in detail
    assert 'secret-word' not in response.text
    assert '127.0.0.1' not in response.text
