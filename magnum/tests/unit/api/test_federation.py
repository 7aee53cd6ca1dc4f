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


"""/v1/federations (compatibility.rst, "Federations") and the random
names of
magnum.common.names."""

import re

from oslo_utils import uuidutils
import pytest

from magnum import objects
from magnum.api import utils as api_utils
from magnum.common import context as magnum_context
from magnum.common import names
from magnum.common import policy
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

# A UUID no row has; fixed so that test ids are the same in every run
# (pytest-xdist workers must collect identical tests).
FIXED_MISSING_UUID = '0f0f0f0f-0000-4000-8000-00000000dead'

ZONE = {'dns-zone': 'example.com.'}
SUMMARY = {'uuid', 'name', 'hostcluster_id', 'member_ids', 'status',
           'properties', 'links'}
FULL = SUMMARY | {'status_reason', 'project_id', 'created_at',
                  'updated_at'}


class Clusters:
    """Names to clusters of the test."""

    def __init__(self, dbapi):
        self.dbapi = dbapi
        k8s = db_utils.create_test_cluster_template(
            dbapi, coe='kubernetes', project_id=PROJECT_A, name='k8s')
        swarm = db_utils.create_test_cluster_template(
            dbapi, coe='swarm-mode', project_id=PROJECT_A, name='swarm')
        self.k8s, self.swarm = k8s.uuid, swarm.uuid
        self.by_name = {}
        for name in ('c1', 'c2', 'c3', 'c4'):
            self.add(name, PROJECT_A, k8s.uuid)
        self.add('sw', PROJECT_A, swarm.uuid)
        self.add('b1', PROJECT_B, k8s.uuid)
        self.add('adm', 'admin-project', k8s.uuid)

    def add(self, name, project_id, template):
        cluster = db_utils.create_test_cluster(
            self.dbapi, name=name, project_id=project_id,
            cluster_template_id=template)
        self.by_name[name] = cluster.uuid
        return cluster.uuid

    def __getitem__(self, name):
        return self.by_name[name]


@pytest.fixture
def clusters(dbapi):
    return Clusters(dbapi)


@pytest.fixture
def set_policy():
    def apply(rules):
        policy.reset()
        policy.init(rules=rules)
    yield apply
    policy.reset()


def _stored(uuid):
    return objects.Federation.get_by_uuid(
        magnum_context.get_admin_context(), uuid)


def _all_stored():
    return objects.Federation.list(magnum_context.get_admin_context())


def _federation(dbapi, clusters, name='fed', project_id=PROJECT_A,
                host='c1', members=(), **kw):
    return db_utils.create_test_federation(
        dbapi, name=name, project_id=project_id,
        hostcluster_id=clusters[host],
        member_ids=[clusters[m] for m in members], **kw)


def _create(api, status=202, as_='member', **body):
    body.setdefault('hostcluster_id', 'c1')
    body.setdefault('properties', dict(ZONE))
    return api.post('/federations', body, as_=as_, status=status)


def _patch(api, ident, operations, status=202, as_='member', query=''):
    return api.patch('/federations/%s%s' % (ident, query), operations,
                     as_=as_, status=status)


def _join(value):
    return [{'op': 'add', 'path': '/member_ids', 'value': value}]


def _unjoin(value):
    return [{'op': 'remove', 'path': '/member_ids', 'value': value}]


class TestRandomNames:

    def test_shape(self):
        for _ in range(200):
            name = names.random_name('federation')
            letter, number, suffix = name.split('-')
            assert letter in names.GREEK_LETTERS
            assert 1 <= int(number) <= 24
            assert suffix == 'federation'

    def test_greek_alphabet(self):
        assert len(names.GREEK_LETTERS) == 24
        assert names.GREEK_LETTERS[0] == 'alpha'
        assert names.GREEK_LETTERS[-1] == 'omega'

    def test_names_vary(self):
        assert len({names.random_name('x') for _ in range(100)}) > 10

    def test_other_suffixes(self):
        assert names.random_name('cluster').endswith('-cluster')
        assert re.match(r'^[a-z]+-\d+-template$',
                        names.random_name('template'))


class TestCreate:

    def test_minimal(self, api, clusters, rpc):
        response = _create(api)
        assert set(response.json) == {'uuid'}
        stored = _stored(response.json['uuid'])
        assert re.match(r'^[a-z]+-\d+-federation$', stored.name)
        assert stored.project_id == PROJECT_A
        assert stored.hostcluster_id == clusters['c1']
        assert stored.member_ids == []
        assert stored.properties == ZONE
        assert stored.status == 'CREATE_IN_PROGRESS'
        assert stored.status_reason is None
        args, kwargs = rpc.last('federation_create')
        assert args[0].uuid == stored.uuid
        assert args[0].status == 'CREATE_IN_PROGRESS'
        assert kwargs == {'create_timeout': 15}
        assert rpc.methods() == ['federation_create']

    def test_full(self, api, clusters):
        uuid = _create(api, name='fed-1', hostcluster_id=clusters['c1'],
                       member_ids=[clusters['c2'], 'c3', 'c1'],
                       properties={'dns-zone': 'a.b.', 'ttl': 30,
                                   'dnssec': True}).json['uuid']
        stored = _stored(uuid)
        assert stored.name == 'fed-1'
        assert stored.member_ids == [clusters['c2'], clusters['c3'],
                                     clusters['c1']]
        assert stored.properties == {'dns-zone': 'a.b.', 'ttl': '30',
                                     'dnssec': 'True'}

    def test_explicit_nulls(self, api, clusters):
        uuid = _create(api, name=None, member_ids=None).json['uuid']
        stored = _stored(uuid)
        assert stored.name.endswith('-federation')
        assert stored.member_ids == []

    def test_longest_name(self, api, clusters):
        name = 'a' * 242
        assert _stored(_create(api, name=name).json['uuid']).name == name

    def test_admin_in_own_project(self, api, clusters):
        uuid = _create(api, as_='admin', hostcluster_id='adm').json['uuid']
        assert _stored(uuid).project_id == 'admin-project'

    @pytest.mark.parametrize('version', [None, '1.1', '1.9', 'latest'])
    def test_not_gated(self, api, clusters, version):
        api.post('/federations', {'hostcluster_id': 'c1',
                                  'properties': ZONE},
                 version=version, status=202)

    @pytest.mark.parametrize('body,words', [
        ({'hostcluster_id': None}, 'hostcluster_id'),
        ({'hostcluster_id': ''}, 'hostcluster_id'),
        ({'hostcluster_id': 'nope'}, 'nope'),
        ({'hostcluster_id': uuidutils.generate_uuid()}, 'could not be found'),
        ({'hostcluster_id': 'b1'}, 'b1'),
        ({'hostcluster_id': 'sw', 'member_ids': ['c1']}, 'runs kubernetes'),
        ({'member_ids': ['sw']}, 'runs swarm-mode'),
        ({'member_ids': ['b1']}, 'b1'),
        ({'member_ids': ['nope']}, 'member_ids'),
        ({'member_ids': ['c2', 'c2']}, 'twice'),
        ({'member_ids': 'c2'}, 'member_ids'),
        ({'member_ids': [{'id': 'c2'}]}, 'member_ids'),
        ({'properties': None}, 'properties'),
        ({'properties': {}}, 'dns-zone'),
        ({'properties': {'dns-zone': ''}}, 'dns-zone'),
        ({'properties': {'zone': 'a.'}}, 'dns-zone'),
        ({'properties': {'dns-zone': {'a': 'b'}}}, 'dns-zone'),
        ({'properties': {'dns-zone': 'a.', 'x': [1]}}, 'property x'),
        ({'properties': ['dns-zone']}, 'properties'),
        ({'properties': "{'dns-zone': 'a.'}"}, 'properties'),
        ({'name': '1bad'}, '1bad'),
        ({'name': 'bad name'}, 'bad name'),
        ({'name': 'a' * 243}, 'name'),
        ({'name': ''}, 'name'),
        ({'uuid': uuidutils.generate_uuid()}, 'uuid'),
        ({'status': 'CREATE_COMPLETE'}, 'status'),
        ({'status_reason': 'x'}, 'status_reason'),
        ({'project_id': PROJECT_B}, 'project_id'),
        ({'links': []}, 'links'),
        ({'created_at': '2026-01-01T00:00:00'}, 'created_at'),
        ({'colour': 'blue'}, 'colour'),
    ])
    def test_invalid_is_400(self, api, clusters, rpc, body, words):
        body = dict({'hostcluster_id': 'c1', 'properties': ZONE}, **body)
        error = error_of(api.post('/federations', body, status=400))
        assert error['code'] == 'client'
        assert words in error['detail']
        assert _all_stored() == []
        assert rpc.methods() == []

    def test_same_member_by_uuid_and_name_is_400(self, api, clusters):
        error = error_of(_create(api, status=400,
                                 member_ids=[clusters['c2'], 'c2']))
        assert 'twice' in error['detail']
        assert _all_stored() == []

    def test_missing_mandatory_fields(self, api, clusters):
        for missing in ('hostcluster_id', 'properties'):
            body = {'hostcluster_id': 'c1', 'properties': ZONE}
            del body[missing]
            error = error_of(api.post('/federations', body, status=400))
            assert missing in error['detail']
        assert _all_stored() == []

    def test_cluster_without_template_is_400(self, api, clusters):
        clusters.add('orphan', PROJECT_A, uuidutils.generate_uuid())
        error = error_of(_create(api, status=400, member_ids=['orphan']))
        assert 'COE' in error['detail']

    @pytest.mark.parametrize('body', [[{'hostcluster_id': 'c1'}], 'c1', 7])
    def test_body_not_an_object(self, api, clusters, body):
        api.post('/federations', body, status=400)

    def test_no_body(self, api, clusters):
        api.post('/federations', status=400)

    def test_malformed_json(self, api, clusters):
        response = api.app.post(
            '/v1/federations', '{"hostcluster_id": "c1",', headers={
                'X-Project-Id': PROJECT_A, 'X-User-Id': 'u',
                'X-Roles': 'member', 'Content-Type': 'application/json'},
            expect_errors=True)
        assert response.status_int == 400

    def test_wrong_content_type(self, api, clusters):
        response = api.app.post(
            '/v1/federations', 'hostcluster_id=c1', headers={
                'X-Project-Id': PROJECT_A, 'X-User-Id': 'u',
                'X-Roles': 'member', 'Content-Type': 'text/plain'},
            expect_errors=True)
        assert response.status_int in (400, 415)
        assert _all_stored() == []

    @pytest.mark.parametrize('caller', ['reader', 'noroles'])
    def test_policy_denied(self, api, clusters, rpc, caller):
        error = error_of(_create(api, status=403, as_=caller))
        assert error['detail'] == \
            "Policy doesn't allow federation:create to be performed."
        assert _all_stored() == []
        assert rpc.methods() == []

    def test_policy_override(self, api, clusters, set_policy):
        set_policy({'federation:create': 'role:reader'})
        _create(api, as_='reader')
        _create(api, as_='noroles', status=403)
        set_policy({'federation:create': '!'})
        _create(api, as_='admin', hostcluster_id='adm', status=403)

    def test_token_without_project(self, api, clusters):
        response = api.post('/federations', {
            'hostcluster_id': 'c1', 'properties': ZONE}, as_=None,
            headers={'X-User-Id': 'u', 'X-Roles': 'member'}, status=403)
        assert 'project' in error_of(response)['detail']


class TestGet:

    def test_by_uuid_and_name(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters, members=['c2'],
                          status_reason='fine')
        for ident in (row.uuid, 'fed'):
            body = api.get('/federations/%s' % ident, status=200).json
            assert set(body) == FULL
            assert body['uuid'] == row.uuid
            assert body['name'] == 'fed'
            assert body['hostcluster_id'] == clusters['c1']
            assert body['member_ids'] == [clusters['c2']]
            assert body['status'] == 'CREATE_IN_PROGRESS'
            assert body['status_reason'] == 'fine'
            assert body['properties'] == ZONE
            assert body['project_id'] == PROJECT_A
            assert body['created_at'].endswith('+00:00')
            assert body['updated_at'] is None
            assert body['links'] == [
                {'href': 'http://localhost/v1/federations/%s' % row.uuid,
                 'rel': 'self'},
                {'href': 'http://localhost/federations/%s' % row.uuid,
                 'rel': 'bookmark'}]

    def test_stored_values_are_shown_as_they_are(self, api, dbapi,
                                                 clusters):
        row = db_utils.create_test_federation(
            dbapi, project_id=PROJECT_A, hostcluster_id=clusters['c1'],
            properties={'x': 'y'}, member_ids=None, name=None)
        body = api.get('/federations/%s' % row.uuid, status=200).json
        assert body['properties'] == {'x': 'y'}
        assert body['member_ids'] == []
        assert body['name'] is None
        summary = api.get('/federations', status=200).json['federations']
        assert summary[0]['properties'] == {'x': 'y'}

    def test_bookmark_resolves(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        response = api.app.get('/federations/%s' % row.uuid, headers={
            'X-Project-Id': PROJECT_A, 'X-User-Id': 'u',
            'X-Roles': 'reader'})
        assert response.json['uuid'] == row.uuid

    def test_unknown_is_404(self, api, clusters):
        for ident in (uuidutils.generate_uuid(), 'nope'):
            error = error_of(api.get('/federations/%s' % ident,
                                     status=404))
            assert ident in error['detail']

    def test_other_project_is_404(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        api.get('/federations/%s' % row.uuid, as_='other', status=404)
        api.get('/federations/%s' % row.uuid, as_='admin', status=404)

    def test_duplicate_name_is_409(self, api, dbapi, clusters):
        _federation(dbapi, clusters)
        _federation(dbapi, clusters)
        api.get('/federations/fed', status=409)

    @pytest.mark.parametrize('caller', ['member', 'member2', 'reader'])
    def test_allowed(self, api, dbapi, clusters, caller):
        row = _federation(dbapi, clusters)
        api.get('/federations/%s' % row.uuid, as_=caller, status=200)

    def test_no_roles_denied(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        error = error_of(api.get('/federations/%s' % row.uuid,
                                 as_='noroles', status=403))
        assert error['detail'] == \
            "Policy doesn't allow federation:get to be performed."

    def test_policy_checks_the_federation(self, api, dbapi, clusters,
                                          set_policy):
        row = _federation(dbapi, clusters)
        set_policy({'federation:get': 'project_id:%(project_id)s'})
        api.get('/federations/%s' % row.uuid, as_='noroles', status=200)
        set_policy({'federation:get': 'project_id:nobody'})
        api.get('/federations/%s' % row.uuid, status=403)


class TestList:

    def test_summary_and_detail(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters, members=['c2'])
        body = api.get('/federations', status=200).json
        assert list(body) == ['federations']
        assert len(body['federations']) == 1
        summary = body['federations'][0]
        assert set(summary) == SUMMARY
        assert summary['uuid'] == row.uuid
        assert summary['member_ids'] == [clusters['c2']]
        detail = api.get('/federations/detail', status=200).json
        assert set(detail['federations'][0]) == FULL
        assert detail['federations'][0] == api.get(
            '/federations/%s' % row.uuid, status=200).json

    def test_empty(self, api):
        assert api.get('/federations', status=200).json == {
            'federations': []}
        assert api.get('/federations/detail', status=200).json == {
            'federations': []}

    def test_scoped_to_the_project(self, api, dbapi, clusters):
        mine = _federation(dbapi, clusters)
        theirs = _federation(dbapi, clusters, project_id=PROJECT_B,
                             host='b1')
        _federation(dbapi, clusters, project_id='admin-project',
                    host='adm')
        for caller, expected in (('member', mine), ('other', theirs)):
            body = api.get('/federations', as_=caller, status=200).json
            assert [f['uuid'] for f in body['federations']] == \
                [expected.uuid]
        body = api.get('/federations', as_='admin', status=200).json
        assert len(body['federations']) == 1

    @pytest.mark.parametrize('path', ['federations', 'federations/detail'])
    def test_paging_with_next_links(self, api, dbapi, clusters, path):
        uuids = [_federation(dbapi, clusters, name='f%d' % n).uuid
                 for n in range(5)]
        body = api.get('/%s?limit=2' % path, status=200).json
        assert [f['uuid'] for f in body['federations']] == uuids[:2]
        assert body['next'] == (
            'http://localhost/v1/%s?sort_key=id&sort_dir=asc&limit=2'
            '&marker=%s' % (path, uuids[1]))
        seen = []
        while True:
            seen += [f['uuid'] for f in body['federations']]
            if 'next' not in body:
                break
            body = api.get(body['next'].replace('http://localhost', ''),
                           status=200).json
        assert seen == uuids
        assert len(body['federations']) == 1

    def test_full_last_page_then_empty(self, api, dbapi, clusters):
        uuids = [_federation(dbapi, clusters).uuid for _ in range(2)]
        body = api.get('/federations?limit=2', status=200).json
        assert 'next' in body
        body = api.get('/federations?limit=2&marker=%s' % uuids[1],
                       status=200).json
        assert body == {'federations': []}

    def test_sort_by_name_desc(self, api, dbapi, clusters):
        for name in ('b', 'c', 'a'):
            _federation(dbapi, clusters, name=name)
        body = api.get('/federations?sort_key=name&sort_dir=desc&limit=2',
                       status=200).json
        assert [f['name'] for f in body['federations']] == ['c', 'b']
        assert body['next'].startswith(
            'http://localhost/v1/federations?sort_key=name&sort_dir=desc'
            '&limit=2&marker=')
        body = api.get(body['next'].replace('http://localhost', ''),
                       status=200).json
        assert [f['name'] for f in body['federations']] == ['a']

    def test_max_limit_caps(self, api, dbapi, clusters, magnum_config):
        magnum_config.config(group='api', max_limit=2)
        for _ in range(3):
            _federation(dbapi, clusters)
        body = api.get('/federations?limit=100', status=200).json
        assert len(body['federations']) == 2
        assert '&limit=2&' in body['next']
        body = api.get('/federations', status=200).json
        assert len(body['federations']) == 2

    @pytest.mark.parametrize('path', ['federations', 'federations/detail'])
    @pytest.mark.parametrize('query,status', [
        ('limit=0', 400), ('limit=-3', 400), ('limit=two', 400),
        ('marker=not-a-uuid', 400),
        ('marker=%s' % FIXED_MISSING_UUID, 404),
        ('sort_key=colour', 400), ('sort_dir=sideways', 400),
        ('all_tenants=1', 400)])
    def test_bad_query_parameters(self, api, dbapi, clusters, path, query,
                                  status):
        _federation(dbapi, clusters)
        response = api.get('/%s?%s' % (path, query), status=status)
        assert error_of(response)['status'] == status

    def test_marker_of_another_project_is_404(self, api, dbapi, clusters):
        theirs = _federation(dbapi, clusters, project_id=PROJECT_B,
                             host='b1')
        api.get('/federations?marker=%s' % theirs.uuid, status=404)

    def test_detail_only_directly_under_the_collection(self, api, dbapi,
                                                       clusters):
        row = _federation(dbapi, clusters)
        api.get('/federations/%s/detail' % row.uuid, status=404)

    @pytest.mark.parametrize('caller', ['member', 'reader', 'admin'])
    def test_allowed(self, api, caller):
        api.get('/federations', as_=caller, status=200)
        api.get('/federations/detail', as_=caller, status=200)

    def test_no_roles_denied(self, api):
        error = error_of(api.get('/federations', as_='noroles',
                                 status=403))
        assert error['detail'] == \
            "Policy doesn't allow federation:get_all to be performed."
        error = error_of(api.get('/federations/detail', as_='noroles',
                                 status=403))
        assert error['detail'] == \
            "Policy doesn't allow federation:detail to be performed."

    def test_get_all_and_detail_are_separate_rules(self, api, set_policy):
        set_policy({'federation:detail': '!'})
        api.get('/federations', status=200)
        api.get('/federations/detail', status=403)
        set_policy({'federation:get_all': '!'})
        api.get('/federations', status=403)
        api.get('/federations/detail', status=200)


class TestUpdate:

    def test_join(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters, members=['c2'])
        response = _patch(api, row.uuid, _join(clusters['c3']))
        assert response.json == {'uuid': row.uuid}
        stored = _stored(row.uuid)
        assert stored.member_ids == [clusters['c2'], clusters['c3']]
        assert stored.status == 'UPDATE_IN_PROGRESS'
        assert stored.updated_at is not None
        args, kwargs = rpc.last('federation_update')
        assert args[0].uuid == row.uuid
        assert args[0].member_ids == stored.member_ids
        assert kwargs == {'rollback': False}

    def test_join_by_name_stores_the_uuid(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        _patch(api, 'fed', _join('c3'))
        assert _stored(row.uuid).member_ids == [clusters['c3']]

    @pytest.mark.parametrize('value,expected', [
        ('true', True), ('True', True), ('1', True), ('false', False),
        ('no', False)])
    def test_rollback(self, api, dbapi, clusters, rpc, value, expected):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, _join('c2'), query='?rollback=%s' % value)
        assert rpc.last('federation_update')[1] == {'rollback': expected}

    def test_rollback_must_be_boolean(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, _join('c2'), query='?rollback=perhaps',
               status=400)
        assert rpc.methods() == []

    def test_join_twice_is_409(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters, members=['c2'])
        for value in (clusters['c2'], 'c2'):
            error = error_of(_patch(api, row.uuid, _join(value),
                                    status=409))
            assert clusters['c2'] in error['detail']
        assert rpc.methods() == []
        assert _stored(row.uuid).status == 'CREATE_IN_PROGRESS'

    @pytest.mark.parametrize('value', ['nope', 'b1'])
    def test_join_of_a_cluster_not_found_is_404(self, api, dbapi, clusters,
                                                value):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, _join(value), status=404)
        _patch(api, row.uuid, _join(uuidutils.generate_uuid()), status=404)
        assert _stored(row.uuid).member_ids == []

    def test_join_of_another_coe_is_400(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters)
        error = error_of(_patch(api, row.uuid, _join('sw'), status=400))
        assert 'swarm-mode' in error['detail']
        assert rpc.methods() == []

    def test_join_when_the_host_is_gone_is_400(self, api, dbapi, clusters):
        row = db_utils.create_test_federation(
            dbapi, project_id=PROJECT_A,
            hostcluster_id=uuidutils.generate_uuid())
        error = error_of(_patch(api, row.uuid, _join('c2'), status=400))
        assert 'host cluster' in error['detail']

    def test_unjoin(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters, members=['c2', 'c3'])
        _patch(api, row.uuid, _unjoin(clusters['c2']))
        assert _stored(row.uuid).member_ids == [clusters['c3']]
        _patch(api, row.uuid, _unjoin('c3'))
        assert _stored(row.uuid).member_ids == []
        assert rpc.methods() == ['federation_update'] * 2

    def test_unjoin_of_a_deleted_cluster(self, api, dbapi, clusters):
        gone = uuidutils.generate_uuid()
        row = db_utils.create_test_federation(
            dbapi, project_id=PROJECT_A, hostcluster_id=clusters['c1'],
            member_ids=[gone, clusters['c2']])
        _patch(api, row.uuid, _unjoin(gone))
        assert _stored(row.uuid).member_ids == [clusters['c2']]

    @pytest.mark.parametrize('value', ['c3', 'nope'])
    def test_unjoin_of_a_non_member_is_404(self, api, dbapi, clusters, rpc,
                                           value):
        row = _federation(dbapi, clusters, members=['c2'])
        error = error_of(_patch(api, row.uuid, _unjoin(value), status=404))
        assert 'not a member' in error['detail']
        _patch(api, row.uuid, _unjoin(clusters['c3']), status=404)
        assert rpc.methods() == []

    @pytest.mark.parametrize('value', [
        ['c2', 'c3'], "['c2', 'c3']"])
    def test_replace_members(self, api, dbapi, clusters, value):
        row = _federation(dbapi, clusters, members=['c4'])
        _patch(api, row.uuid, [{'op': 'replace', 'path': '/member_ids',
                                'value': value}])
        assert _stored(row.uuid).member_ids == [clusters['c2'],
                                                clusters['c3']]

    def test_replace_with_nothing(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters, members=['c4'])
        _patch(api, row.uuid, [{'op': 'replace', 'path': '/member_ids',
                                'value': []}])
        assert _stored(row.uuid).member_ids == []

    @pytest.mark.parametrize('value,status', [
        (['c2', 'c2'], 400), (['c2', 'sw'], 400), (['nope'], 404),
        ('c2', 400), ([1], 400), ("['c2'", 400), ({'a': 'c2'}, 400)])
    def test_bad_replacements(self, api, dbapi, clusters, value, status):
        row = _federation(dbapi, clusters, members=['c4'])
        _patch(api, row.uuid, [{'op': 'replace', 'path': '/member_ids',
                                'value': value}], status=status)
        assert _stored(row.uuid).member_ids == [clusters['c4']]

    def test_several_operations(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters, members=['c2'])
        _patch(api, row.uuid, _join('c3') + _unjoin('c2') + _join('c4') + [
            {'op': 'add', 'path': '/properties/ttl', 'value': 60}])
        stored = _stored(row.uuid)
        assert stored.member_ids == [clusters['c3'], clusters['c4']]
        assert stored.properties == dict(ZONE, ttl='60')

    def test_a_failing_operation_changes_nothing(self, api, dbapi,
                                                 clusters):
        row = _federation(dbapi, clusters, members=['c2'])
        _patch(api, row.uuid, _join('c3') + _join('c2'), status=409)
        assert _stored(row.uuid).member_ids == [clusters['c2']]

    @pytest.mark.parametrize('operations,expected', [
        ([{'op': 'add', 'path': '/properties/ttl', 'value': '30'}],
         dict(ZONE, ttl='30')),
        ([{'op': 'replace', 'path': '/properties/dns-zone',
           'value': 'b.'}], {'dns-zone': 'b.'}),
        ([{'op': 'replace', 'path': '/properties',
           'value': {'dns-zone': 'c.', 'x': 1}}],
         {'dns-zone': 'c.', 'x': '1'}),
        ([{'op': 'replace', 'path': '/properties',
           'value': "{'dns-zone': 'd.'}"}], {'dns-zone': 'd.'}),
    ])
    def test_properties(self, api, dbapi, clusters, rpc, operations,
                        expected):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, operations)
        assert _stored(row.uuid).properties == expected
        assert rpc.last('federation_update')[0][0].properties == expected

    def test_remove_a_property(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters,
                          properties=dict(ZONE, ttl='3'))
        _patch(api, row.uuid, [{'op': 'remove', 'path': '/properties/ttl'}])
        assert _stored(row.uuid).properties == ZONE

    @pytest.mark.parametrize('operation', [
        {'op': 'remove', 'path': '/properties/dns-zone'},
        {'op': 'remove', 'path': '/properties'},
        {'op': 'replace', 'path': '/properties/dns-zone', 'value': ''},
        {'op': 'replace', 'path': '/properties', 'value': {'zone': 'a.'}},
        {'op': 'replace', 'path': '/properties',
         'value': {'dns-zone': 'a.', 'x': {'y': 'z'}}},
        {'op': 'replace', 'path': '/properties', 'value': "{'dns-zone'"},
        {'op': 'replace', 'path': '/properties', 'value': ['dns-zone']},
        {'op': 'add', 'path': '/properties/x', 'value': {'y': 1}},
        {'op': 'replace', 'path': '/properties/missing', 'value': 'v'},
        {'op': 'add', 'path': '/properties', 'value': {'dns-zone': 'a.'}},
        {'op': 'remove', 'path': '/properties/missing'},
    ])
    def test_bad_property_changes_are_400(self, api, dbapi, clusters, rpc,
                                          operation):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, [operation], status=400)
        assert _stored(row.uuid).properties == ZONE
        assert rpc.methods() == []

    @pytest.mark.parametrize('path', [
        '/name', '/hostcluster_id', '/status', '/status_reason', '/uuid',
        '/project_id', '/id', '/links', '/created_at', '/updated_at',
        '/colour'])
    def test_other_fields_do_not_change(self, api, dbapi, clusters, path):
        row = _federation(dbapi, clusters)
        error = error_of(_patch(api, row.uuid, [
            {'op': 'replace', 'path': path, 'value': 'x'}], status=400))
        assert path in error['detail']

    @pytest.mark.parametrize('operations', [
        [{'op': 'add', 'path': '/member_ids'}],
        [{'op': 'add', 'path': '/member_ids', 'value': None}],
        [{'op': 'remove', 'path': '/member_ids'}],
        [{'op': 'add', 'path': '/member_ids', 'value': ['c2']}],
        [{'op': 'add', 'path': '/member_ids', 'value': 5}],
        [{'op': 'add', 'path': '/member_ids/0', 'value': 'c2'}],
        [{'op': 'move', 'path': '/member_ids', 'value': 'c2'}],
        [{'op': 'add', 'path': 'member_ids', 'value': 'c2'}],
        [{'op': 'add', 'path': '/member.ids', 'value': 'c2'}],
        [{'path': '/member_ids', 'value': 'c2'}],
        [{'op': 'add', 'value': 'c2'}],
        [{'op': 'add', 'path': '/member_ids', 'value': 'c2', 'x': 1}],
        ['add'], [], {'op': 'add', 'path': '/member_ids', 'value': 'c2'},
    ])
    def test_malformed_patches_are_400_before_the_lookup(
            self, api, dbapi, clusters, rpc, operations):
        row = _federation(dbapi, clusters)
        for ident in (row.uuid, uuidutils.generate_uuid()):
            _patch(api, ident, operations, status=400)
        assert rpc.methods() == []

    def test_no_body_is_400(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        api.patch('/federations/%s' % row.uuid, status=400)

    def test_malformed_json_is_400(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        response = api.app.patch(
            '/v1/federations/%s' % row.uuid, '[{"op": "add"', headers={
                'X-Project-Id': PROJECT_A, 'X-User-Id': 'u',
                'X-Roles': 'member', 'Content-Type': 'application/json'},
            expect_errors=True)
        assert response.status_int == 400

    def test_unknown_is_404(self, api, clusters):
        _patch(api, uuidutils.generate_uuid(), _join('c2'), status=404)
        _patch(api, 'nope', _join('c2'), status=404)

    def test_other_project_is_404(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, _join('c2'), as_='other', status=404)
        _patch(api, row.uuid, _join('c2'), as_='admin', status=404)
        assert rpc.methods() == []

    @pytest.mark.parametrize('caller', ['reader', 'noroles'])
    def test_policy_denied(self, api, dbapi, clusters, rpc, caller):
        row = _federation(dbapi, clusters)
        error = error_of(_patch(api, row.uuid, _join('c2'), as_=caller,
                                status=403))
        assert error['detail'] == \
            "Policy doesn't allow federation:update to be performed."
        assert _stored(row.uuid).member_ids == []
        assert rpc.methods() == []

    def test_member2_of_the_project_allowed(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        _patch(api, row.uuid, _join('c2'), as_='member2')

    def test_policy_checks_the_federation(self, api, dbapi, clusters,
                                          set_policy):
        row = _federation(dbapi, clusters)
        set_policy({'federation:update': 'project_id:nobody'})
        _patch(api, row.uuid, _join('c2'), status=403)
        set_policy({'federation:update': 'project_id:%(project_id)s'})
        _patch(api, row.uuid, _join('c2'), as_='noroles')

    def test_concurrent_update_is_409(self, api, dbapi, clusters,
                                      monkeypatch, rpc):
        row = _federation(dbapi, clusters)
        stale = _stored(row.uuid)
        stale._context = magnum_context.RequestContext(
            project_id=PROJECT_A)
        dbapi.update_federation(row.uuid, {'member_ids': [clusters['c3']]})
        monkeypatch.setattr(api_utils, 'get_resource',
                            lambda resource, ident: stale)
        _patch(api, row.uuid, _join('c2'), status=409)
        assert _stored(row.uuid).member_ids == [clusters['c3']]
        assert rpc.methods() == []

    def test_no_change_while_being_deleted(self, api, dbapi, clusters,
                                           rpc):
        row = _federation(dbapi, clusters, status='DELETE_IN_PROGRESS')
        error = error_of(_patch(api, row.uuid, _join('c2'), status=400))
        assert 'being deleted' in error['detail']
        assert _stored(row.uuid).member_ids == []
        assert rpc.methods() == []

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'CREATE_FAILED', 'UPDATE_COMPLETE',
                                        'UPDATE_FAILED'])
    def test_change_in_other_states(self, api, dbapi, clusters, status):
        row = _federation(dbapi, clusters, status=status,
                          status_reason='earlier')
        _patch(api, row.uuid, _join('c2'))
        stored = _stored(row.uuid)
        assert stored.status == 'UPDATE_IN_PROGRESS'
        assert stored.status_reason is None

    @pytest.mark.parametrize('version', [None, '1.2', 'latest'])
    def test_not_gated(self, api, dbapi, clusters, version):
        row = _federation(dbapi, clusters)
        api.patch('/federations/%s' % row.uuid, _join('c2'),
                  version=version, status=202)


class TestDelete:

    def test_delete(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters)
        response = api.delete('/federations/%s' % row.uuid, status=204)
        assert response.body == b''
        assert rpc.last('federation_delete') == ((row.uuid,), {})
        # The conductor removes the row.
        assert _stored(row.uuid).status == 'DELETE_IN_PROGRESS'

    def test_delete_again_while_being_deleted(self, api, dbapi, clusters,
                                              rpc):
        row = _federation(dbapi, clusters, status='DELETE_IN_PROGRESS')
        api.delete('/federations/%s' % row.uuid, status=204)
        assert rpc.last('federation_delete') == ((row.uuid,), {})

    def test_by_name(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters)
        api.delete('/federations/fed', status=204)
        assert rpc.last('federation_delete') == ((row.uuid,), {})

    def test_unknown_is_404(self, api, clusters, rpc):
        api.delete('/federations/%s' % uuidutils.generate_uuid(),
                   status=404)
        api.delete('/federations/nope', status=404)
        assert rpc.methods() == []

    def test_other_project_is_404(self, api, dbapi, clusters, rpc):
        row = _federation(dbapi, clusters)
        api.delete('/federations/%s' % row.uuid, as_='other', status=404)
        assert _stored(row.uuid).status == 'CREATE_IN_PROGRESS'
        assert rpc.methods() == []

    @pytest.mark.parametrize('caller', ['reader', 'noroles'])
    def test_policy_denied(self, api, dbapi, clusters, rpc, caller):
        row = _federation(dbapi, clusters)
        error = error_of(api.delete('/federations/%s' % row.uuid,
                                    as_=caller, status=403))
        assert error['detail'] == \
            "Policy doesn't allow federation:delete to be performed."
        assert _stored(row.uuid).status == 'CREATE_IN_PROGRESS'
        assert rpc.methods() == []

    def test_policy_override(self, api, dbapi, clusters, set_policy):
        row = _federation(dbapi, clusters)
        set_policy({'federation:delete': '!'})
        api.delete('/federations/%s' % row.uuid, status=403)
        set_policy({'federation:delete': 'role:reader'})
        api.delete('/federations/%s' % row.uuid, as_='reader', status=204)

    def test_duplicate_name_is_409(self, api, dbapi, clusters, rpc):
        _federation(dbapi, clusters)
        _federation(dbapi, clusters)
        api.delete('/federations/fed', status=409)
        assert rpc.methods() == []

    def test_delete_is_not_gated(self, api, dbapi, clusters):
        row = _federation(dbapi, clusters)
        api.delete('/federations/%s' % row.uuid, version='1.1', status=204)
