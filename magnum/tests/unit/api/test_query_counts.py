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

"""No list of the API runs a query per row: the number of SQL statements
of a page does not grow with the number of items on it."""

import contextlib

import pytest
import sqlalchemy as sa

from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.db import utils as db_utils


@contextlib.contextmanager
def counted(dbapi):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = dbapi.get_engine()
    sa.event.listen(engine, 'before_cursor_execute', count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, 'before_cursor_execute', count)


def _queries(api, dbapi, path):
    with counted(dbapi) as statements:
        api.get(path, version='1.15', status=200)
    return len(statements)


@pytest.mark.parametrize('path', ['/clusters', '/clusters/detail',
                                  '/clustertemplates', '/federations'])
def test_list_queries_do_not_grow_with_items(api, dbapi, path):
    template = db_utils.create_test_cluster_template(
        dbapi, project_id=PROJECT_A, image_id='fedora-coreos',
        cluster_distro='fedora-coreos', coe='kubernetes', server_type='vm')

    def add(count):
        for _ in range(count):
            db_utils.create_test_cluster(
                dbapi, project_id=PROJECT_A,
                cluster_template_id=template.uuid)
            db_utils.create_test_cluster_template(dbapi,
                                                  project_id=PROJECT_A)
            db_utils.create_test_federation(dbapi, project_id=PROJECT_A)

    add(2)
    few = _queries(api, dbapi, path)
    add(15)
    many = _queries(api, dbapi, path)
    assert many == few, '%s: %d queries for 2 items, %d for 17' % (
        path, few, many)


def test_nodegroup_list_queries_do_not_grow(api, dbapi):
    cluster = db_utils.create_test_cluster(dbapi, project_id=PROJECT_A)
    path = '/clusters/%s/nodegroups' % cluster.uuid
    few = _queries(api, dbapi, path)
    for index in range(10):
        db_utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                       project_id=PROJECT_A,
                                       name='extra-%d' % index)
    assert _queries(api, dbapi, path) == few
