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

"""/v1/clusters/{ident}/actions/resize and /upgrade
(api-ref/source/clusters.inc)."""

from oslo_utils import uuidutils
import pytest

from magnum.common import exception
from magnum.tests import fake_driver
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.api.test_cluster import groups_of
from magnum.tests.unit.api.test_cluster import make_cluster
from magnum.tests.unit.api.test_cluster import make_template
from magnum.tests.unit.api.test_cluster import policy_file  # noqa: F401
from magnum.tests.unit.api.test_cluster import stored
from magnum.tests.unit.db import utils as db_utils

LATEST = '1.14'


@pytest.fixture
def template(dbapi):
    return make_template(dbapi)


@pytest.fixture
def cluster(dbapi, template):
    return make_cluster(dbapi, template, master_count=1, node_count=2)


def _resize(api, ident, body, status=202, version=LATEST, as_='member'):
    return api.post('/clusters/%s/actions/resize' % ident, body, as_=as_,
                    version=version, status=status)


def _upgrade(api, ident, body, status=202, version=LATEST, as_='member'):
    return api.post('/clusters/%s/actions/upgrade' % ident, body, as_=as_,
                    version=version, status=status)


def _extra_group(dbapi, cluster, **kw):
    values = dict(cluster_id=cluster.uuid, project_id=cluster.project_id,
                  name='extra', node_count=3, min_node_count=2,
                  max_node_count=5)
    values.update(kw)
    return db_utils.create_test_nodegroup(dbapi, **values)


class TestResize:

    def test_resizes_the_default_worker(self, api, rpc, cluster):
        response = _resize(api, 'c1', {'node_count': 4})
        assert response.json == {'uuid': cluster.uuid}
        kwargs = rpc.last('cluster_resize')[1]
        assert kwargs['cluster'].uuid == cluster.uuid
        assert kwargs['node_count'] == 4
        assert kwargs['nodes_to_remove'] == []
        worker = groups_of(cluster.uuid)['default-worker']
        assert kwargs['nodegroup'].uuid == worker.uuid
        assert stored(cluster.uuid).status == 'UPDATE_IN_PROGRESS'
        # The conductor changes the nodegroup, not the API.
        assert worker.node_count == 2

    def test_the_request_is_recorded_before_the_cast(self, api, rpc, dbapi,
                                                     cluster):
        # Its arguments are what the cast carries: the cluster's owner
        # carries it out with them should the cast be lost.
        _resize(api, 'c1', {'node_count': 4, 'nodes_to_remove': ['s1']})
        kwargs = rpc.last('cluster_resize')[1]
        request = dbapi.get_cluster_request(kwargs['request'])
        assert (request.cluster_uuid, request.operation) == (cluster.uuid,
                                                             'resize')
        assert request.arguments == {
            'node_count': 4, 'nodes_to_remove': ['s1'],
            'nodegroup': kwargs['nodegroup'].uuid}

    def test_named_nodegroup_and_nodes_to_remove(self, api, rpc, dbapi,
                                                 cluster):
        extra = _extra_group(dbapi, cluster)
        for ident in ('extra', extra.uuid, str(extra.id)):
            _resize(api, cluster.uuid, {'node_count': 2, 'nodegroup': ident,
                                        'nodes_to_remove': ['s1', 's2']})
            kwargs = rpc.last('cluster_resize')[1]
            assert kwargs['nodegroup'].uuid == extra.uuid
            assert kwargs['nodes_to_remove'] == ['s1', 's2']

    def test_unknown_nodegroup_is_404(self, api, rpc, cluster):
        _resize(api, 'c1', {'node_count': 2, 'nodegroup': 'nope'},
                status=404)
        assert rpc.requests == []
        assert stored(cluster.uuid).status == 'CREATE_COMPLETE'

    def test_nodegroup_of_another_cluster_is_404(self, api, dbapi, template,
                                                 cluster):
        other = make_cluster(dbapi, template, name='c2')
        theirs = _extra_group(dbapi, other, name='theirs')
        _resize(api, 'c1', {'node_count': 3, 'nodegroup': theirs.uuid},
                status=404)

    @pytest.mark.parametrize('count,status', [(1, 400), (2, 202), (5, 202),
                                              (6, 400)])
    def test_bounds_of_the_nodegroup(self, api, dbapi, cluster, count,
                                     status):
        _extra_group(dbapi, cluster)
        response = _resize(api, 'c1', {'node_count': count,
                                       'nodegroup': 'extra'}, status=status)
        if status == 400:
            detail = error_of(response)['detail']
            assert 'min_node_count = 2' in detail
            assert 'max_node_count = 5' in detail

    def test_unbounded_nodegroup(self, api, dbapi, cluster):
        _extra_group(dbapi, cluster, max_node_count=None)
        _resize(api, 'c1', {'node_count': 100, 'nodegroup': 'extra'})

    def test_master_resize_is_up_to_the_driver(self, api, rpc, cluster,
                                               monkeypatch):
        response = _resize(api, 'c1', {'node_count': 3,
                                       'nodegroup': 'default-master'},
                           status=400)
        assert 'master' in error_of(response)['detail']
        assert rpc.requests == []
        seen = []
        monkeypatch.setattr(fake_driver.FakeDriver, 'validate_master_resize',
                            lambda self, count: seen.append(count))
        _resize(api, 'c1', {'node_count': 3, 'nodegroup': 'default-master'})
        assert seen == [3]

    @pytest.mark.parametrize('version,status', [('1.1', 406), ('1.6', 406),
                                                ('1.7', 202)])
    def test_available_from_1_7(self, api, cluster, version, status):
        response = _resize(api, 'c1', {'node_count': 3}, version=version,
                           status=status)
        if status == 406:
            assert error_of(response)['status'] == 406

    @pytest.mark.parametrize('version,status', [('1.7', 400), ('1.9', 400),
                                                ('1.10', 202)])
    def test_zero_nodes_needs_1_10(self, api, cluster, version, status):
        _resize(api, 'c1', {'node_count': 0}, version=version,
                status=status)

    @pytest.mark.parametrize('status', ['UPDATE_IN_PROGRESS',
                                        'UPDATE_FAILED', 'CREATE_FAILED',
                                        'UPDATE_COMPLETE'])
    def test_allowed_statuses(self, api, dbapi, cluster, status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        _resize(api, 'c1', {'node_count': 3})
        assert stored(cluster.uuid).status == 'UPDATE_IN_PROGRESS'

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'DELETE_IN_PROGRESS',
                                        'ROLLBACK_IN_PROGRESS'])
    def test_busy_cluster_is_409(self, api, rpc, dbapi, cluster, status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        response = _resize(api, 'c1', {'node_count': 3}, status=409)
        assert status in error_of(response)['detail']
        assert rpc.requests == []

    def test_unreachable_conductor_restores_the_status(self, api, rpc,
                                                       dbapi, cluster):
        dbapi.update_cluster(cluster.uuid, {'status': 'UPDATE_FAILED',
                                            'status_reason': 'before'})
        rpc.results['cluster_resize'] = exception.ServiceUnavailable(
            service='message broker', reason='down')
        _resize(api, 'c1', {'node_count': 3}, status=503)
        after = stored(cluster.uuid)
        assert (after.status, after.status_reason) == ('UPDATE_FAILED',
                                                       'before')
        assert dbapi.list_cluster_requests(cluster.uuid) == []

    @pytest.mark.parametrize('body', [
        {}, {'node_count': -1}, {'node_count': 'x'},
        {'node_count': 2 ** 31}, {'node_count': 2, 'unknown': 1},
        {'node_count': 2, 'nodegroup': ''},
        {'node_count': 2, 'nodes_to_remove': 'abc'},
        {'node_count': 2, 'nodes_to_remove': [{'a': 1}]},
        {'node_count': 2, 'nodes_to_remove': ['']},
        [1], 'text'])
    def test_malformed_body_is_400(self, api, rpc, cluster, body):
        _resize(api, 'c1', body, status=400)
        assert rpc.requests == []

    def test_unknown_cluster_is_404(self, api):
        _resize(api, uuidutils.generate_uuid(), {'node_count': 1},
                status=404)

    @pytest.mark.parametrize('who,status', [
        ('member', 202), ('member2', 202), ('admin', 202),
        ('reader', 403), ('noroles', 403), ('other', 404)])
    def test_policy(self, api, cluster, who, status):
        response = _resize(api, cluster.uuid, {'node_count': 3}, as_=who,
                           status=status)
        if status == 403:
            assert 'cluster:resize' in error_of(response)['detail']

    def test_admin_follows_the_update_all_projects_rule(self, api, dbapi,
                                                        template,
                                                        policy_file):  # noqa
        # compatibility.rst, "Admins and other projects".
        theirs = make_cluster(dbapi, template, project_id=PROJECT_B)
        _resize(api, theirs.uuid, {'node_count': 3}, as_='admin')
        dbapi.update_cluster(theirs.uuid, {'status': 'UPDATE_COMPLETE'})
        policy_file({'cluster:update_all_projects': '!'})
        response = _resize(api, theirs.uuid, {'node_count': 3}, as_='admin',
                           status=403)
        assert 'cluster:update_all_projects' in error_of(response)['detail']

    def test_operator_may_deny_resize(self, api, cluster,
                                      policy_file):  # noqa: F811
        policy_file({'cluster:resize': '!'})
        _resize(api, 'c1', {'node_count': 3}, status=403)


class TestUpgrade:

    @pytest.fixture
    def newer(self, dbapi):
        return make_template(dbapi, name='k8s-newer')

    def test_calls_the_conductor(self, api, rpc, cluster, newer):
        response = _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'})
        assert response.json == {'uuid': cluster.uuid}
        kwargs = rpc.last('cluster_upgrade')[1]
        assert kwargs['cluster'].uuid == cluster.uuid
        assert kwargs['cluster_template'].uuid == newer.uuid
        assert kwargs['max_batch_size'] == 1
        assert kwargs['nodegroup'].uuid == groups_of(
            cluster.uuid)['default-worker'].uuid
        assert stored(cluster.uuid).status == 'UPDATE_IN_PROGRESS'

    def test_batch_size_and_nodegroup(self, api, rpc, cluster, newer):
        _upgrade(api, 'c1', {'cluster_template': newer.uuid,
                             'max_batch_size': 3,
                             'nodegroup': 'default-master'})
        kwargs = rpc.last('cluster_upgrade')[1]
        assert kwargs['max_batch_size'] == 3
        assert kwargs['nodegroup'].name == 'default-master'

    @pytest.mark.parametrize('version,status', [('1.1', 406), ('1.6', 406),
                                                ('1.7', 400), ('1.8', 202)])
    def test_versions(self, api, rpc, cluster, newer, version, status):
        response = _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'},
                            version=version, status=status)
        if status == 400:
            assert 'not supported' in error_of(response)['detail']
            assert rpc.requests == []

    def test_1_7_refuses_even_an_unknown_cluster(self, api):
        _upgrade(api, 'nope', {'cluster_template': 'x'}, version='1.7',
                 status=400)

    def test_unknown_template_cluster_or_nodegroup_is_404(self, api, rpc,
                                                          cluster, newer):
        _upgrade(api, 'c1', {'cluster_template': 'nope'}, status=404)
        _upgrade(api, 'nope', {'cluster_template': 'k8s-newer'},
                 status=404)
        _upgrade(api, 'c1', {'cluster_template': 'k8s-newer',
                             'nodegroup': 'nope'}, status=404)
        assert rpc.requests == []

    def test_non_default_nodegroup_needs_the_cluster_template(
            self, api, rpc, dbapi, template, cluster, newer):
        _extra_group(dbapi, cluster)
        response = _upgrade(api, 'c1', {'cluster_template': 'k8s-newer',
                                        'nodegroup': 'extra'}, status=409)
        assert 'extra' in error_of(response)['detail']
        assert rpc.requests == []
        _upgrade(api, 'c1', {'cluster_template': template.uuid,
                             'nodegroup': 'extra'})

    def test_conductor_errors_reach_the_caller(self, api, rpc, cluster,
                                               newer):
        rpc.results['cluster_upgrade'] = exception.NotSupported(
            operation='Upgrading to k8s-newer')
        response = _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'},
                            status=400)
        assert 'Upgrading to k8s-newer' in error_of(response)['detail']
        # Nothing started: the status is back.
        assert stored(cluster.uuid).status == 'CREATE_COMPLETE'

    def test_conductor_failure_is_left_to_the_conductor(self, api, rpc,
                                                        dbapi, cluster,
                                                        newer):
        def fail(context, **kwargs):
            dbapi.update_cluster(cluster.uuid, {
                'status': 'UPDATE_FAILED', 'status_reason': 'driver said no'})
            raise exception.MagnumException('driver said no')
        rpc.results['cluster_upgrade'] = fail
        _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'}, status=500)
        after = stored(cluster.uuid)
        assert (after.status, after.status_reason) == ('UPDATE_FAILED',
                                                       'driver said no')

    def test_timed_out_call_leaves_the_status(self, api, rpc, cluster,
                                              newer):
        rpc.results['cluster_upgrade'] = exception.ConductorUnavailable(
            timeout=60)
        _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'}, status=503)
        # The conductor may still be upgrading; the status sync settles it.
        assert stored(cluster.uuid).status == 'UPDATE_IN_PROGRESS'

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'UPDATE_IN_PROGRESS',
                                        'DELETE_IN_PROGRESS'])
    def test_busy_cluster_is_409(self, api, rpc, dbapi, cluster, newer,
                                 status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'}, status=409)
        assert rpc.requests == []

    @pytest.mark.parametrize('status', ['UPDATE_FAILED', 'CREATE_FAILED',
                                        'ROLLBACK_COMPLETE'])
    def test_failed_and_stable_clusters_may_upgrade(self, api, dbapi,
                                                    cluster, newer, status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        _upgrade(api, 'c1', {'cluster_template': 'k8s-newer'})

    @pytest.mark.parametrize('body', [
        {}, {'cluster_template': ''}, {'cluster_template': 'x' * 256},
        {'cluster_template': 'k8s-newer', 'max_batch_size': 0},
        {'cluster_template': 'k8s-newer', 'unknown': 1}, ['x']])
    def test_malformed_body_is_400(self, api, rpc, cluster, newer, body):
        _upgrade(api, 'c1', body, status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('who,status', [
        ('member', 202), ('admin', 202), ('reader', 403), ('noroles', 403),
        ('other', 404)])
    def test_policy(self, api, dbapi, cluster, who, status):
        public = make_template(dbapi, name='pub', public=True)
        response = _upgrade(api, cluster.uuid,
                            {'cluster_template': public.uuid}, as_=who,
                            status=status)
        if status == 403:
            assert 'cluster:upgrade' in error_of(response)['detail']

    def test_admin_needs_upgrade_all_projects(self, api, dbapi, template,
                                              policy_file):  # noqa: F811
        theirs = make_cluster(dbapi, template, project_id=PROJECT_B)
        policy_file({'cluster:upgrade_all_projects': '!'})
        _upgrade(api, theirs.uuid, {'cluster_template': template.uuid},
                 as_='admin', status=403)
