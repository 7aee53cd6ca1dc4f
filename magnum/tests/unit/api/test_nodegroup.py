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

"""/v1/clusters/{cluster_ident}/nodegroups (api-ref/source/nodegroups.inc)."""

import re
from urllib import parse

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.api.test_cluster import groups_of
from magnum.tests.unit.api.test_cluster import make_cluster
from magnum.tests.unit.api.test_cluster import make_template
from magnum.tests.unit.api.test_cluster import policy_file  # noqa: F401
from magnum.tests.unit.db import utils as db_utils

# A UUID no row has; fixed so that test ids are the same in every run
# (pytest-xdist workers must collect identical tests).
FIXED_MISSING_UUID = '0f0f0f0f-0000-4000-8000-00000000dead'

LATEST = '1.14'
SUMMARY = {'uuid', 'name', 'flavor_id', 'node_count', 'role', 'is_default',
           'image_id', 'status', 'stack_id', 'min_node_count',
           'merge_labels'}
FULL = SUMMARY | {'id', 'cluster_id', 'project_id', 'docker_volume_size',
                  'labels', 'labels_overridden', 'labels_added',
                  'labels_skipped', 'node_addresses', 'max_node_count',
                  'status_reason', 'version', 'node_labels', 'node_taints',
                  'links', 'created_at', 'updated_at'}
CLUSTER_LABELS = {'key1': 'val1', 'key2': 'val2'}


@pytest.fixture
def template(dbapi):
    return make_template(dbapi)


@pytest.fixture
def cluster(dbapi, template):
    return make_cluster(dbapi, template, labels=dict(CLUSTER_LABELS))


def _group(dbapi, cluster, **kw):
    values = dict(cluster_id=cluster.uuid, project_id=cluster.project_id,
                  name='extra', node_count=3, min_node_count=1,
                  max_node_count=5, status='CREATE_COMPLETE',
                  labels={'key1': 'val1', 'mine': 'x'})
    values.update(kw)
    return db_utils.create_test_nodegroup(dbapi, **values)


def _stored(cluster, ident):
    return objects.NodeGroup.get(magnum_context.get_admin_context(),
                                 cluster.uuid, ident)


def _url(cluster_ident, rest=''):
    return '/clusters/%s/nodegroups%s' % (cluster_ident, rest)


# -- read -------------------------------------------------------------------

class TestGet:

    def test_list_summary(self, api, dbapi, cluster):
        extra = _group(dbapi, cluster)
        body = api.get(_url('c1', '/'), version=LATEST, status=200).json
        assert list(body) == ['nodegroups']
        names = [g['name'] for g in body['nodegroups']]
        assert names == ['default-master', 'default-worker', 'extra']
        for item in body['nodegroups']:
            assert set(item) == SUMMARY
        assert body['nodegroups'][2]['uuid'] == extra.uuid
        assert body['nodegroups'][2]['min_node_count'] == 1
        assert body['nodegroups'][0]['is_default'] is True

    def test_list_by_cluster_uuid_without_trailing_slash(self, api,
                                                         cluster):
        body = api.get(_url(cluster.uuid), version=LATEST, status=200).json
        assert len(body['nodegroups']) == 2

    def test_role_filter(self, api, dbapi, cluster):
        _group(dbapi, cluster, role='gpu')
        for role, expected in (('master', ['default-master']),
                               ('worker', ['default-worker']),
                               ('gpu', ['extra']), ('none', [])):
            body = api.get(_url('c1', '/?role=%s' % role), version=LATEST,
                           status=200).json
            assert [g['name'] for g in body['nodegroups']] == expected

    def test_paging_keeps_the_role_filter(self, api, dbapi, cluster):
        # compatibility.rst, "Requests and responses": next links keep filters.
        made = [_group(dbapi, cluster, name='w%d' % n).uuid
                for n in range(3)]
        page = api.get(_url('c1', '/?limit=2&role=worker'), version=LATEST,
                       status=200).json
        assert len(page['nodegroups']) == 2
        url = parse.urlsplit(page['next'])
        assert url.path == '/v1/clusters/%s/nodegroups' % cluster.uuid
        assert parse.parse_qsl(url.query) == [
            ('sort_key', 'id'), ('sort_dir', 'asc'), ('limit', '2'),
            ('marker', page['nodegroups'][-1]['uuid']), ('role', 'worker')]
        seen = [g['uuid'] for g in page['nodegroups']]
        while 'next' in page:
            url = parse.urlsplit(page['next'])
            page = api.get('%s?%s' % (url.path, url.query), version=LATEST,
                           status=200).json
            seen += [g['uuid'] for g in page['nodegroups']]
        worker = groups_of(cluster.uuid)['default-worker'].uuid
        assert seen == [worker] + made

    @pytest.mark.parametrize('query,status', [
        ('limit=0', 400), ('limit=x', 400), ('marker=bad', 400),
        ('sort_key=nonsense', 400), ('sort_dir=sideways', 400),
        ('unknown=1', 400),
        ('marker=%s' % FIXED_MISSING_UUID, 404)])
    def test_bad_list_arguments(self, api, cluster, query, status):
        api.get(_url('c1', '?%s' % query), version=LATEST, status=status)

    def test_sorting(self, api, dbapi, cluster):
        _group(dbapi, cluster, name='aaa')
        body = api.get(_url('c1', '?sort_key=name&sort_dir=desc'),
                       version=LATEST, status=200).json
        assert [g['name'] for g in body['nodegroups']] == [
            'default-worker', 'default-master', 'aaa']

    def test_get_one_by_name_uuid_and_id(self, api, dbapi, cluster):
        extra = _group(dbapi, cluster, node_labels={'tier': 'gpu'},
                       node_taints=[{'key': 'gpu', 'value': None,
                                     'effect': 'NoSchedule'}])
        for ident in ('extra', extra.uuid, str(extra.id)):
            body = api.get(_url('c1', '/%s' % ident), version=LATEST,
                           status=200).json
            assert set(body) == FULL
            assert body['uuid'] == extra.uuid
        assert body['id'] == extra.id
        assert body['cluster_id'] == cluster.uuid
        assert body['labels_overridden'] == {}
        assert body['labels_added'] == {'mine': 'x'}
        assert body['labels_skipped'] == {'key2': 'val2'}
        assert body['node_labels'] == {'tier': 'gpu'}
        assert body['node_taints'] == [{'key': 'gpu', 'value': None,
                                        'effect': 'NoSchedule'}]
        assert (body['min_node_count'], body['max_node_count']) == (1, 5)
        assert body['links'] == [
            {'href': 'http://localhost/v1/clusters/%s/nodegroups/%s' % (
                cluster.uuid, extra.uuid), 'rel': 'self'},
            {'href': 'http://localhost/clusters/%s/nodegroups/%s' % (
                cluster.uuid, extra.uuid), 'rel': 'bookmark'}]
        assert body['created_at'].endswith('+00:00')

    def test_nodegroup_of_another_cluster_is_404(self, api, dbapi, template,
                                                 cluster):
        other = make_cluster(dbapi, template, name='c2')
        theirs = _group(dbapi, other, name='theirs')
        api.get(_url('c1', '/%s' % theirs.uuid), version=LATEST, status=404)
        api.get(_url('c1', '/theirs'), version=LATEST, status=404)
        api.get(_url('c2', '/theirs'), version=LATEST, status=200)

    def test_unknown_cluster_or_nodegroup_is_404(self, api, cluster):
        api.get(_url('nope'), version=LATEST, status=404)
        api.get(_url('c1', '/nope'), version=LATEST, status=404)
        api.get(_url('c1', '/999'), version=LATEST, status=404)

    @pytest.mark.parametrize('version,status', [('1.1', 406), ('1.8', 406),
                                                ('1.9', 200)])
    def test_available_from_1_9(self, api, cluster, version, status):
        for path in (_url('c1'), _url('c1', '/'),
                     _url('c1', '/default-worker')):
            response = api.get(path, version=version, status=status)
            if status == 406:
                assert 'nodegroups' in error_of(response)['detail']

    @pytest.mark.parametrize('who,status', [
        ('member', 200), ('reader', 200), ('admin', 200), ('other', 404),
        ('noroles', 403)])
    def test_policy(self, api, cluster, who, status):
        api.get(_url(cluster.uuid), as_=who, version=LATEST, status=status)
        api.get(_url(cluster.uuid, '/default-worker'), as_=who,
                version=LATEST, status=status)

    @pytest.mark.parametrize('rule,rest', [
        ('nodegroup:get_all_all_projects', ''),
        ('nodegroup:get_one_all_projects', '/default-worker')])
    def test_admin_all_projects_rules(self, api, cluster, policy_file,  # noqa
                                      rule, rest):
        policy_file({rule: '!'})
        response = api.get(_url(cluster.uuid, rest), as_='admin',
                           version=LATEST, status=403)
        assert rule in error_of(response)['detail']

    def test_other_projects_nodegroups_are_hidden_from_members(
            self, api, dbapi, cluster):
        # A nodegroup row of another project inside this cluster (as an
        # admin could have made) is not shown to the cluster's members.
        _group(dbapi, cluster, project_id=PROJECT_B, name='foreign')
        names = [g['name'] for g in api.get(
            _url('c1'), version=LATEST, status=200).json['nodegroups']]
        assert 'foreign' not in names


# -- create -----------------------------------------------------------------

def _post(api, cluster_ident, body, status=202, version=LATEST,
          as_='member'):
    return api.post(_url(cluster_ident, '/'), body, as_=as_,
                    version=version, status=status)


class TestCreate:

    def test_create_writes_the_row_and_casts(self, api, rpc, template,
                                             cluster):
        body = _post(api, 'c1', {'name': 'gpu', 'node_count': 2,
                                 'min_node_count': 1, 'max_node_count': 4,
                                 'role': 'gpu', 'node_labels': {'a': 'b'},
                                 'node_taints': [{'key': 'k', 'value': 'v',
                                                  'effect': 'NoSchedule'}]
                                 }).json
        assert set(body) == FULL
        assert body['status'] == 'CREATE_IN_PROGRESS'
        assert body['is_default'] is False
        assert body['cluster_id'] == cluster.uuid
        assert body['project_id'] == PROJECT_A
        # Defaults: the template's image, the cluster's flavor and labels.
        assert body['image_id'] == template.image_id
        assert body['flavor_id'] == cluster.flavor_id
        assert body['labels'] == CLUSTER_LABELS
        stored = _stored(cluster, 'gpu')
        assert stored.uuid == body['uuid']
        assert (stored.node_count, stored.min_node_count,
                stored.max_node_count, stored.role) == (2, 1, 4, 'gpu')
        assert stored.node_labels == {'a': 'b'}
        assert stored.node_taints == [{'key': 'k', 'value': 'v',
                                       'effect': 'NoSchedule'}]
        kwargs = rpc.last('nodegroup_create')[1]
        assert kwargs['cluster'].uuid == cluster.uuid
        assert kwargs['nodegroup'].uuid == body['uuid']

    def test_the_request_is_recorded_before_the_cast(self, api, rpc, dbapi,
                                                     cluster):
        # So that the cluster's owner carries it out should the cast be
        # lost; the conductor that takes the work claims it by its uuid.
        body = _post(api, 'c1', {'name': 'gpu'}).json
        request = rpc.last('nodegroup_create')[1]['request']
        stored = dbapi.get_cluster_request(request)
        assert (stored.cluster_uuid, stored.operation, stored.arguments) == (
            cluster.uuid, 'create nodegroup', {'nodegroup': body['uuid']})

    def test_collection_without_trailing_slash(self, api, rpc, cluster):
        api.post(_url('c1'), {'name': 'ng'}, version=LATEST, status=202)
        assert rpc.methods() == ['nodegroup_create']

    def test_client_defaults(self, api, cluster):
        # What `openstack coe nodegroup create c1 ng` sends.
        body = _post(api, 'c1', {'name': 'ng', 'node_count': 1,
                                 'max_node_count': None,
                                 'min_node_count': 0,
                                 'role': 'worker'}).json
        assert (body['node_count'], body['min_node_count'],
                body['max_node_count'], body['role']) == (1, 0, None,
                                                          'worker')
        assert body['node_labels'] == {} and body['node_taints'] == []

    def test_name_image_flavor_and_labels(self, api, cluster):
        body = _post(api, 'c1', {'image_id': 'img', 'flavor_id': 'fl',
                                 'docker_volume_size': 7,
                                 'labels': {'key1': 'mine', 'x': 1},
                                 'merge_labels': True}).json
        assert re.match(r'^[a-z]+-\d+-nodegroup$', body['name'])
        assert (body['image_id'], body['flavor_id'],
                body['docker_volume_size']) == ('img', 'fl', 7)
        assert body['labels'] == {'key1': 'mine', 'key2': 'val2', 'x': '1'}
        assert body['labels_overridden'] == {'key1': 'val1'}
        body = _post(api, 'c1', {'name': 'n2', 'labels': {'only': 'me'}}).json
        assert body['labels'] == {'only': 'me'}

    def test_needs_the_cluster_api_address(self, api, rpc, dbapi, cluster):
        dbapi.update_cluster(cluster.uuid, {'api_address': None})
        _post(api, 'c1', {'name': 'ng'}, status=409)
        assert rpc.requests == []

    def test_duplicate_name_is_409(self, api, rpc, cluster):
        response = _post(api, 'c1', {'name': 'default-worker'}, status=409)
        assert 'default-worker' in error_of(response)['detail']
        assert rpc.requests == []

    def test_master_role_is_400(self, api, rpc, cluster):
        _post(api, 'c1', {'name': 'm2', 'role': 'master'}, status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('body,attr', [
        ({'node_count': 1, 'min_node_count': 2}, 'min_node_count'),
        ({'node_count': 3, 'min_node_count': 2, 'max_node_count': 1},
         'max_node_count'),
        ({'node_count': 5, 'max_node_count': 4}, 'max_node_count'),
        ({'node_labels': {'kubernetes.io/role': 'x'}}, 'node_labels'),
        ({'node_labels': {'k8s.io/x': 'x'}}, 'node_labels'),
        ({'node_labels': {'node-role.kubernetes.io/master': ''}},
         'node_labels'),
        ({'node_labels': {'sub.k8s.io/x': 'y'}}, 'node_labels'),
        ({'node_taints': [{'key': 'a', 'effect': 'Sometimes'}]},
         'node_taints'),
        ({'node_taints': [{'key': '', 'effect': 'NoSchedule'}]},
         'node_taints'),
        ({'node_taints': [{'effect': 'NoSchedule'}]}, 'node_taints'),
        ({'node_taints': [{'key': 'a', 'effect': 'NoSchedule', 'x': 1}]},
         'node_taints'),
        ({'node_taints': ['a=b:NoSchedule']}, 'node_taints'),
        ({'node_taints': [{'key': 'a', 'value': {'x': 1},
                           'effect': 'NoExecute'}]}, 'node_taints'),
    ])
    def test_invalid_nodegroups_are_409(self, api, rpc, cluster, body,
                                        attr):
        response = _post(api, 'c1', dict(body, name='bad'), status=409)
        assert attr in error_of(response)['detail']
        assert rpc.requests == []
        with pytest.raises(exception.NodeGroupNotFound):
            _stored(cluster, 'bad')

    @pytest.mark.parametrize('labels', [
        {'kubernetes.io/arch': 'amd64'},
        {'node.kubernetes.io/instance-type': 'big'},
        {'kubelet.kubernetes.io/anything': 'x'},
        {'node.kubernetes.io/anything': 'x'},
        {'topology.kubernetes.io/zone': 'z1'},
        {'example.com/tier': 'gpu', 'plain': 'x'}])
    def test_allowed_node_labels(self, api, cluster, labels):
        _post(api, 'c1', {'name': 'ok', 'node_labels': labels})

    def test_all_taint_effects(self, api, cluster):
        taints = [{'key': 'a', 'effect': effect} for effect in
                  ('NoSchedule', 'PreferNoSchedule', 'NoExecute')]
        body = _post(api, 'c1', {'name': 'ok', 'node_taints': taints}).json
        assert body['node_taints'] == taints

    @pytest.mark.parametrize('body', [
        {'unknown': 1}, {'project_id': 'p'}, {'cluster_id': 'c'},
        {'status': 'x'}, {'is_default': True}, {'stack_id': 's'},
        {'name': ''}, {'name': 'n' * 256}, {'node_count': -1},
        {'min_node_count': -1}, {'max_node_count': 'x'},
        {'docker_volume_size': 0}, {'labels': 'x'},
        {'node_labels': {'a': {'b': 1}}}, {'node_labels': ['a']},
        {'node_taints': 'a=b:NoSchedule'}, {'node_taints': {'key': 'a'}},
        {'merge_labels': 'maybe'}, {'uuid': 'bad'}])
    def test_malformed_body_is_400(self, api, rpc, cluster, body):
        _post(api, 'c1', body, status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'DELETE_IN_PROGRESS',
                                        'CREATE_FAILED'])
    def test_cluster_must_be_stable_or_updating(self, api, rpc, dbapi,
                                                cluster, status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        response = _post(api, 'c1', {'name': 'ng'}, status=409)
        assert status in error_of(response)['detail']
        assert rpc.requests == []

    @pytest.mark.parametrize('status', ['UPDATE_IN_PROGRESS',
                                        'UPDATE_FAILED', 'UPDATE_COMPLETE'])
    def test_updating_clusters_take_nodegroups(self, api, dbapi, cluster,
                                               status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        _post(api, 'c1', {'name': 'ng'})

    def test_unreachable_conductor_forgets_the_row(self, api, rpc, dbapi,
                                                   cluster):
        rpc.results['nodegroup_create'] = exception.ServiceUnavailable(
            service='message broker', reason='down')
        _post(api, 'c1', {'name': 'ng'}, status=503)
        with pytest.raises(exception.NodeGroupNotFound):
            _stored(cluster, 'ng')
        # Its request is withdrawn: nobody is to carry it out.
        assert dbapi.list_cluster_requests(cluster.uuid) == []
        # So that a retry can use the same name.
        del rpc.results['nodegroup_create']
        _post(api, 'c1', {'name': 'ng'})

    @pytest.mark.parametrize('version', ['1.1', '1.8'])
    def test_406_below_1_9(self, api, rpc, cluster, version):
        _post(api, 'c1', {'name': 'ng'}, version=version, status=406)
        assert rpc.requests == []

    @pytest.mark.parametrize('who,status', [
        ('member', 202), ('member2', 202), ('admin', 404), ('reader', 403),
        ('noroles', 403), ('other', 404)])
    def test_policy(self, api, cluster, who, status):
        # Admins act on their own project's clusters here (no
        # all-projects rule for nodegroup changes).
        _post(api, cluster.uuid, {'name': 'ng'}, as_=who, status=status)

    def test_operator_may_deny(self, api, cluster,
                               policy_file):  # noqa: F811
        policy_file({'nodegroup:create': '!'})
        response = _post(api, 'c1', {'name': 'ng'}, status=403)
        assert 'nodegroup:create' in error_of(response)['detail']


# -- update -----------------------------------------------------------------

def _patch(api, cluster_ident, ident, ops, status=202, version=LATEST,
           as_='member'):
    return api.patch(_url(cluster_ident, '/%s' % ident), ops, as_=as_,
                     version=version, status=status)


def _replace(path, value):
    return [{'op': 'replace', 'path': path, 'value': value}]


class TestUpdate:

    def test_bounds_labels_and_taints(self, api, rpc, dbapi, cluster):
        extra = _group(dbapi, cluster)
        body = _patch(api, 'c1', 'extra', _replace('/min_node_count', 2) +
                      _replace('/max_node_count', 10) +
                      _replace('/node_labels', {'tier': 'gpu'}) +
                      _replace('/node_taints', [
                          {'key': 'gpu', 'value': 'yes',
                           'effect': 'NoSchedule'}])).json
        assert set(body) == FULL
        assert (body['min_node_count'], body['max_node_count']) == (2, 10)
        assert body['status'] == 'UPDATE_IN_PROGRESS'
        stored = _stored(cluster, extra.uuid)
        assert (stored.min_node_count, stored.max_node_count,
                stored.status) == (2, 10, 'UPDATE_IN_PROGRESS')
        assert stored.node_labels == {'tier': 'gpu'}
        assert stored.node_taints == [{'key': 'gpu', 'value': 'yes',
                                       'effect': 'NoSchedule'}]
        kwargs = rpc.last('nodegroup_update')[1]
        assert kwargs['nodegroup'].uuid == extra.uuid
        assert kwargs['nodegroup'].max_node_count == 10
        assert kwargs['cluster'].uuid == cluster.uuid

    def test_client_sends_python_literals(self, api, dbapi, cluster):
        # `openstack coe nodegroup update --node-labels/--node-taints`.
        _group(dbapi, cluster)
        _patch(api, 'c1', 'extra',
               _replace('/node_labels', "{'tier': 'gpu'}") +
               _replace('/node_taints', "[{'key': 'a', 'value': '', "
                                        "'effect': 'NoExecute'}]") +
               _replace('/min_node_count', '2') +
               _replace('/max_node_count', '4'))
        stored = _stored(cluster, 'extra')
        assert stored.node_labels == {'tier': 'gpu'}
        assert stored.node_taints == [{'key': 'a', 'value': '',
                                       'effect': 'NoExecute'}]
        assert (stored.min_node_count, stored.max_node_count) == (2, 4)

    def test_remove_max_and_clear_labels(self, api, dbapi, cluster):
        _group(dbapi, cluster, node_labels={'a': 'b'})
        _patch(api, 'c1', 'extra',
               [{'op': 'remove', 'path': '/max_node_count'}] +
               _replace('/node_labels', '{}'))
        stored = _stored(cluster, 'extra')
        assert stored.max_node_count is None and stored.node_labels == {}

    def test_add_to_null_max(self, api, dbapi, cluster):
        _group(dbapi, cluster, max_node_count=None)
        _patch(api, 'c1', 'extra', [{'op': 'add', 'path': '/max_node_count',
                                     'value': 9}])
        assert _stored(cluster, 'extra').max_node_count == 9

    def test_nothing_changed_does_nothing(self, api, rpc, dbapi, cluster):
        _group(dbapi, cluster)
        body = _patch(api, 'c1', 'extra', _replace('/max_node_count', 5)).json
        assert body['status'] == 'CREATE_COMPLETE'
        assert rpc.requests == []

    @pytest.mark.parametrize('path', ['/name', '/node_count', '/role',
                                      '/labels', '/flavor_id', '/image_id',
                                      '/is_default', '/status', '/stack_id',
                                      '/cluster_id', '/project_id', '/uuid',
                                      '/id', '/docker_volume_size',
                                      '/node_addresses', '/version'])
    def test_internal_attributes_are_400(self, api, rpc, dbapi, cluster,
                                         path):
        _group(dbapi, cluster)
        _patch(api, 'c1', 'extra', _replace(path, 'x'), status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('ops', [
        _replace('/min_node_count', -1), _replace('/min_node_count', 'x'),
        _replace('/max_node_count', -2), _replace('/node_labels', '[1]'),
        _replace('/node_labels', "{'a': {'b': 1}}"),
        _replace('/node_taints', '{broken'), _replace('/node_taints', 'abc'),
        _replace('/nonexistent', 1),
        [{'op': 'add', 'path': '/min_node_count', 'value': 1}],
        {'op': 'replace'}, ['x']])
    def test_malformed_patches_are_400(self, api, rpc, dbapi, cluster, ops):
        _group(dbapi, cluster)
        _patch(api, 'c1', 'extra', ops, status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('ops', [
        _replace('/max_node_count', 0),
        _replace('/min_node_count', 4),
        _replace('/node_labels', {'kubernetes.io/secret': 'x'}),
        _replace('/node_taints', [{'key': 'a', 'effect': 'Never'}])])
    def test_invalid_results_are_409(self, api, rpc, dbapi, cluster, ops):
        _group(dbapi, cluster)
        _patch(api, 'c1', 'extra', ops, status=409)
        assert rpc.requests == []
        assert _stored(cluster, 'extra').status == 'CREATE_COMPLETE'

    def test_no_node_labels_on_masters(self, api, dbapi, cluster):
        master = groups_of(cluster.uuid)['default-master']
        dbapi.update_nodegroup(cluster.uuid, master.uuid,
                               {'status': 'CREATE_COMPLETE'})
        _patch(api, 'c1', 'default-master',
               _replace('/node_labels', {'a': 'b'}), status=409)
        _patch(api, 'c1', 'default-master',
               _replace('/node_taints', [{'key': 'a',
                                          'effect': 'NoSchedule'}]),
               status=409)

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'UPDATE_IN_PROGRESS',
                                        'DELETE_IN_PROGRESS'])
    def test_busy_nodegroup_is_409(self, api, rpc, dbapi, cluster, status):
        _group(dbapi, cluster, status=status)
        response = _patch(api, 'c1', 'extra', _replace('/max_node_count', 7),
                          status=409)
        assert status in error_of(response)['detail']
        assert rpc.requests == []

    def test_failed_nodegroup_may_be_changed(self, api, dbapi, cluster):
        _group(dbapi, cluster, status='UPDATE_FAILED')
        _patch(api, 'c1', 'extra', _replace('/max_node_count', 7))

    def test_busy_cluster_is_409(self, api, dbapi, cluster):
        _group(dbapi, cluster)
        dbapi.update_cluster(cluster.uuid, {'status': 'DELETE_IN_PROGRESS'})
        _patch(api, 'c1', 'extra', _replace('/max_node_count', 7),
               status=409)

    def test_unreachable_conductor_restores_the_nodegroup(self, api, rpc,
                                                          dbapi, cluster):
        _group(dbapi, cluster)
        rpc.results['nodegroup_update'] = exception.ServiceUnavailable(
            service='message broker', reason='down')
        _patch(api, 'c1', 'extra', _replace('/max_node_count', 7),
               status=503)
        stored = _stored(cluster, 'extra')
        assert (stored.max_node_count, stored.status) == (5,
                                                          'CREATE_COMPLETE')

    def test_406_below_1_9(self, api, dbapi, cluster):
        _group(dbapi, cluster)
        _patch(api, 'c1', 'extra', _replace('/max_node_count', 7),
               version='1.8', status=406)

    @pytest.mark.parametrize('who,status', [
        ('member', 202), ('reader', 403), ('noroles', 403), ('other', 404)])
    def test_policy(self, api, dbapi, cluster, who, status):
        _group(dbapi, cluster)
        _patch(api, cluster.uuid, 'extra', _replace('/max_node_count', 7),
               as_=who, status=status)


# -- delete -----------------------------------------------------------------

class TestDelete:

    def test_delete_marks_and_casts(self, api, rpc, dbapi, cluster):
        extra = _group(dbapi, cluster)
        response = api.delete(_url('c1', '/extra'), version=LATEST,
                              status=204)
        assert response.body == b''
        assert _stored(cluster, extra.uuid).status == 'DELETE_IN_PROGRESS'
        kwargs = rpc.last('nodegroup_delete')[1]
        assert kwargs['nodegroup'].uuid == extra.uuid
        assert kwargs['cluster'].uuid == cluster.uuid
        assert dbapi.get_cluster_request(kwargs['request']).operation == \
            'delete nodegroup'

    def test_default_nodegroups_stay(self, api, rpc, cluster):
        for name in ('default-master', 'default-worker'):
            response = api.delete(_url('c1', '/%s' % name), version=LATEST,
                                  status=400)
            assert 'default' in error_of(response)['detail']
        assert rpc.requests == []

    def test_unknown_is_404(self, api, cluster):
        api.delete(_url('c1', '/nope'), version=LATEST, status=404)
        api.delete(_url('nope', '/nope'), version=LATEST, status=404)

    def test_unreachable_conductor_marks_delete_failed(self, api, rpc,
                                                       dbapi, cluster):
        _group(dbapi, cluster)
        rpc.results['nodegroup_delete'] = exception.ServiceUnavailable(
            service='message broker', reason='down')
        api.delete(_url('c1', '/extra'), version=LATEST, status=503)
        stored = _stored(cluster, 'extra')
        assert stored.status == 'DELETE_FAILED'
        assert 'conductor could not be reached' in stored.status_reason
        assert dbapi.list_cluster_requests(cluster.uuid) == []

    def test_busy_cluster_is_409(self, api, rpc, dbapi, cluster):
        _group(dbapi, cluster)
        dbapi.update_cluster(cluster.uuid, {'status': 'CREATE_IN_PROGRESS'})
        api.delete(_url('c1', '/extra'), version=LATEST, status=409)
        assert rpc.requests == []

    def test_406_below_1_9(self, api, dbapi, cluster):
        _group(dbapi, cluster)
        api.delete(_url('c1', '/extra'), version='1.8', status=406)

    @pytest.mark.parametrize('who,status', [
        ('member', 204), ('reader', 403), ('noroles', 403), ('other', 404)])
    def test_policy(self, api, dbapi, cluster, who, status):
        _group(dbapi, cluster)
        api.delete(_url(cluster.uuid, '/extra'), as_=who, version=LATEST,
                   status=status)

    def test_admin_in_own_project(self, api, rpc, dbapi, template):
        mine = make_cluster(dbapi, template, project_id='admin-project',
                            name='adm')
        _group(dbapi, mine)
        api.delete(_url('adm', '/extra'), as_='admin', version=LATEST,
                   status=204)
        assert rpc.methods() == ['nodegroup_delete']
