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
"""The pooled connections of the database API on real servers: a
connection the server closed while it sat idle in the pool is noticed
before it is used, and one used a moment ago is not pinged again."""

import time

import pytest
import sqlalchemy as sa

from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.tests import db_backends
from magnum.tests.unit.db import utils


@pytest.fixture
def counted_pings(dbapi, monkeypatch):
    dialect = dbapi._read_engine().dialect
    pings = []
    ping = dialect.do_ping

    def counting(dbapi_connection):
        pings.append(dbapi_connection)
        return ping(dbapi_connection)
    monkeypatch.setattr(dialect, 'do_ping', counting)
    return pings


def _server_side_id(dbapi, db_backend):
    query = 'SELECT pg_backend_pid()' if db_backend == 'postgresql' \
        else 'SELECT CONNECTION_ID()'
    with dbapi._read_engine().connect() as connection:
        return connection.exec_driver_sql(query).scalar_one()


def _kill(db_backend, server_id):
    engine = db_backends._admin_engine(db_backend)
    try:
        with engine.connect() as connection:
            if db_backend == 'postgresql':
                connection.exec_driver_sql(
                    'SELECT pg_terminate_backend(%d)' % server_id)
            else:
                connection.exec_driver_sql('KILL %d' % server_id)
    finally:
        engine.dispose()


def test_connection_closed_while_idle_is_replaced(dbapi, db_backend,
                                                  monkeypatch,
                                                  counted_pings):
    monkeypatch.setattr(sqlalchemy_api, 'PING_AFTER_IDLE_SECONDS', 0.2)
    template = utils.create_test_cluster_template(dbapi)
    assert dbapi.get_cluster_template_by_uuid(None, template.uuid).uuid == \
        template.uuid
    # The pool holds one connection; the server ends it.
    _kill(db_backend, _server_side_id(dbapi, db_backend))
    time.sleep(0.3)
    pings_before = len(counted_pings)
    row = dbapi.get_cluster_template_by_uuid(None, template.uuid)
    assert row.uuid == template.uuid
    assert row['name'] == template.name
    assert len(counted_pings) > pings_before


def test_connection_used_a_moment_ago_is_not_pinged(dbapi, monkeypatch,
                                                    counted_pings):
    monkeypatch.setattr(sqlalchemy_api, 'PING_AFTER_IDLE_SECONDS', 60)
    template = utils.create_test_cluster_template(dbapi)
    dbapi.get_cluster_template_by_uuid(None, template.uuid)
    del counted_pings[:]
    for _ in range(5):
        dbapi.get_cluster_template_by_uuid(None, template.uuid)
        dbapi.get_cluster_template_list(None)
    assert counted_pings == []


def test_read_inside_a_transaction_sees_its_writes(dbapi):
    template = utils.create_test_cluster_template(dbapi, name='before')
    model = sqlalchemy_api.models.ClusterTemplate
    with dbapi._writer() as session:
        session.execute(sa.update(model).where(
            model.uuid == template.uuid).values(name='during'))
        assert dbapi.get_cluster_template_by_uuid(
            None, template.uuid).name == 'during'
        assert [t.name for t in dbapi.get_cluster_template_list(None)] == \
            ['during']
        session.rollback()
    assert dbapi.get_cluster_template_by_uuid(
        None, template.uuid).name == 'before'
