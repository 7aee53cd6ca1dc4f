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

"""GET /v1/clusters/{cluster_ident}/nodes (1.16): the API side (the
conductor is the recording stand-in of conftest; what it answers is what
the driver's list_nodes returns once the handler drops private keys)."""

import pytest

from magnum.common import exception
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

VERSION = '1.16'


def _node(name, role='worker', status='Ready'):
    return {'name': name, 'nodegroup': 'default-' + role, 'role': role,
            'addresses': ['10.0.0.%d' % len(name)], 'status': status,
            'status_reason': None if status == 'Ready' else 'it is down',
            'server_id': 'c0ffee' + name, 'engine_version': '27.5.1',
            'running_tasks': 0}


NODES = [_node('c-node-1'), _node('c-master-0', 'master'),
         _node('c-node-0', status='NotReady')]


@pytest.fixture
def cluster(dbapi):
    template = db_utils.create_test_cluster_template(
        dbapi, project_id=PROJECT_A, user_id='user-a', coe='swarm-mode')
    return db_utils.create_test_cluster(
        dbapi, project_id=PROJECT_A, user_id='user-a', name='swarm',
        cluster_template_id=template['uuid'], status='CREATE_COMPLETE')


@pytest.fixture
def listed(rpc):
    rpc.results['node_list'] = lambda context, cluster: [
        dict(n) for n in NODES]
    return rpc


def test_lists_every_node_sorted_by_name(api, cluster, listed):
    body = api.get('/clusters/%s/nodes' % cluster['name'], version=VERSION,
                   status=200).json
    assert [n['name'] for n in body['nodes']] == [
        'c-master-0', 'c-node-0', 'c-node-1']
    assert body['nodes'][1] == NODES[2]
    assert 'next' not in body
    args, kwargs = listed.last('node_list')
    assert kwargs['cluster'].uuid == cluster['uuid']


def test_pages_by_name_with_a_next_link(api, cluster, listed):
    first = api.get('/clusters/%s/nodes?limit=2' % cluster['uuid'],
                    version=VERSION, status=200).json
    assert [n['name'] for n in first['nodes']] == ['c-master-0',
                                                   'c-node-0']
    assert 'marker=c-node-0' in first['next']
    rest = api.get('/clusters/%s/nodes?limit=2&marker=c-node-0' %
                   cluster['uuid'], version=VERSION, status=200).json
    assert [n['name'] for n in rest['nodes']] == ['c-node-1']


def test_sorts_by_status_descending(api, cluster, listed):
    body = api.get('/clusters/%s/nodes?sort_key=status&sort_dir=desc' %
                   cluster['uuid'], version=VERSION, status=200).json
    assert [n['status'] for n in body['nodes']] == [
        'Ready', 'Ready', 'NotReady']


@pytest.mark.parametrize('query', ['sort_key=server_id', 'marker=nope',
                                   'limit=0', 'sort_dir=up'])
def test_bad_paging_is_a_400(api, cluster, listed, query):
    response = api.get('/clusters/%s/nodes?%s' % (cluster['uuid'], query),
                       version=VERSION, status=400)
    assert error_of(response)['status'] == 400


def test_before_1_16_is_a_406(api, cluster, listed):
    api.get('/clusters/%s/nodes' % cluster['uuid'], version='1.15',
            status=406)
    assert 'node_list' not in listed.methods()


def test_another_projects_cluster_is_a_404(api, cluster, listed):
    api.get('/clusters/%s/nodes' % cluster['uuid'], as_='other',
            version=VERSION, status=404)
    assert 'node_list' not in listed.methods()


def test_reader_may_list_and_admin_sees_every_project(api, cluster,
                                                      listed):
    api.get('/clusters/%s/nodes' % cluster['uuid'], as_='reader',
            version=VERSION, status=200)
    api.get('/clusters/%s/nodes' % cluster['uuid'], as_='admin',
            version=VERSION, status=200)
    api.get('/clusters/%s/nodes' % cluster['uuid'], as_='noroles',
            version=VERSION, status=403)


def test_unknown_cluster_is_a_404(api, listed):
    api.get('/clusters/nope/nodes', version=VERSION, status=404)


def test_a_driver_without_nodes_is_a_400_and_unreachable_a_503(
        api, cluster, rpc):
    rpc.results['node_list'] = exception.NotSupported(
        operation='Listing the nodes of a cluster by the x driver')
    response = api.get('/clusters/%s/nodes' % cluster['uuid'],
                       version=VERSION, status=400)
    assert 'not supported' in error_of(response)['detail']
    rpc.results['node_list'] = exception.ServiceUnavailable(
        service='The cluster swarm (endpoint tcp://192.0.2.1:2376)',
        reason='timed out')
    response = api.get('/clusters/%s/nodes' % cluster['uuid'],
                       version=VERSION, status=503)
    assert 'tcp://192.0.2.1:2376' in error_of(response)['detail']
