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

"""/v1/containers (1.16): the API side, over a real SQLite database. The
conductor is conftest's recording stand-in; here it answers as the
container handler does (places the container, saves the row), so the
rows the API reads are what a conductor would have left."""

import pytest

from magnum import objects
from magnum.common import exception
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

VERSION = '1.16'


@pytest.fixture
def conductor(rpc):
    def create(context, container):
        container.host = 'swarm-node-0'
        container.container_id = 'c0ffee'
        container.status = 'Running'
        container.save()
        return container
    rpc.results['container_create'] = create
    rpc.results['container_show'] = lambda context, container: container

    def act(context, container, action):
        container.status = {'stop': 'Stopped', 'pause': 'Paused'}.get(
            action, 'Running')
        container.save()
        return container
    rpc.results['container_action'] = act
    rpc.results['container_logs'] = lambda context, container, tail, \
        since: {'output': 'hello\n'}
    rpc.results['container_execute'] = lambda context, container, \
        command: {'exit_code': 3, 'output': ' '.join(command)}
    rpc.results['container_stats'] = lambda context, container: {
        'read_at': '2026-12-06T04:00:00Z', 'cpu_percent': 0.5,
        'memory_usage': 1024, 'memory_limit': 4194304,
        'network_rx_bytes': 0, 'network_tx_bytes': 0, 'pids': 1}
    rpc.results['container_delete'] = lambda context, container, force: \
        container.destroy()
    return rpc


def _create(api, status=201, as_='member', **body):
    body.setdefault('image', 'busybox:local')
    body.setdefault('cluster', 'swarm')
    return api.post('/containers', body, as_=as_, version=VERSION,
                    status=status)


def test_create_runs_it_and_answers_201_with_where(api, swarm, conductor):
    response = _create(api, name='web', command='sh -c "echo hi"',
                       memory='64m', cpu=0.5, environment={'A': 'b'},
                       labels={'tier': 'web'},
                       ports=[{'container_port': 80, 'host_port': 8080}],
                       restart_policy={'name': 'on-failure',
                                       'maximum_retry_count': 2})
    body = response.json
    assert response.location.endswith('/v1/containers/%s' % body['uuid'])
    assert (body['status'], body['host']) == ('Running', 'swarm-node-0')
    assert body['cluster_uuid'] == swarm['uuid']
    assert body['command'] == ['sh', '-c', 'echo hi']
    assert body['ports'] == [{'container_port': 80, 'host_port': 8080,
                              'protocol': 'tcp'}]
    assert body['restart_policy'] == {'name': 'on-failure',
                                      'maximum_retry_count': 2}
    args, kwargs = conductor.last('container_create')
    assert kwargs['container'].memory == '64m'
    shown = api.get('/containers/web', version=VERSION, status=200).json
    assert shown['uuid'] == body['uuid']


@pytest.mark.parametrize('body, words', [
    ({'memory': '12x'}, 'memory'),
    ({'memory': '1m'}, '4m'),
    ({'cpu': 0}, 'cpu'),
    ({'ports': [{'container_port': 70000}]}, 'port'),
    ({'ports': 'http'}, 'ports'),
    ({'restart_policy': 'sometimes'}, 'restart_policy'),
    ({'restart_policy': {'name': 'always', 'maximum_retry_count': 3}},
     'on-failure'),
    ({'command': 'sh -c "unterminated'}, 'command'),
    ({'command': [1, 2]}, 'command'),
])
def test_bad_input_is_a_400_and_no_row(api, swarm, conductor, body, words):
    response = _create(api, status=400, **body)
    assert words in error_of(response)['detail']
    assert objects.Container.list(_admin()) == []


def _admin():
    from magnum.common import context
    admin = context.get_admin_context()
    admin.all_tenants = True
    return admin


def test_cluster_must_exist_be_a_swarm_and_be_complete(api, dbapi, swarm,
                                                      conductor):
    _create(api, cluster='nope', status=404)
    _create(api, as_='other', status=404)
    template = db_utils.create_test_cluster_template(
        dbapi, project_id=PROJECT_A, user_id='user-a', coe='kubernetes',
        name='k8s-template')
    db_utils.create_test_cluster(
        dbapi, project_id=PROJECT_A, user_id='user-a', name='k8s',
        cluster_template_id=template['uuid'], status='CREATE_COMPLETE')
    assert 'swarm' in error_of(_create(api, cluster='k8s',
                                       status=400))['detail']
    dbapi.update_cluster(swarm['uuid'], {'status': 'UPDATE_IN_PROGRESS'})
    assert 'UPDATE_IN_PROGRESS' in error_of(_create(api,
                                                    status=409))['detail']
    assert conductor.methods().count('container_create') == 0


def test_an_image_not_on_the_cluster_is_a_400_naming_it(api, swarm, rpc):
    rpc.results['container_create'] = exception.ImageNotOnCluster(
        image='busybox:missing', cluster='swarm')
    response = _create(api, image='busybox:missing', status=400)
    assert 'busybox:missing' in error_of(response)['detail']
    assert objects.Container.list(_admin()) == []


def test_an_unreachable_cluster_is_a_503_and_the_row_stays(api, swarm,
                                                           rpc):
    def unreachable(context, container):
        container.status = 'Error'
        container.status_reason = 'The cluster could not be reached'
        container.save()
        raise exception.ServiceUnavailable(
            service='The cluster swarm (endpoint tcp://192.0.2.9:2376)',
            reason='timed out')
    rpc.results['container_create'] = unreachable
    response = _create(api, status=503)
    assert 'tcp://192.0.2.9:2376' in error_of(response)['detail']
    [row] = objects.Container.list(_admin())
    assert row.status == 'Error'


def test_the_container_quota_is_enforced(api, dbapi, swarm, conductor):
    db_utils.create_test_quota(dbapi, project_id=PROJECT_A,
                               resource='Container', hard_limit=1)
    _create(api)
    response = _create(api, status=403)
    assert 'at most 1 containers' in error_of(response)['detail']


def test_list_filters_and_pages(api, swarm, conductor):
    first = _create(api, name='a').json
    _create(api, name='b')
    api.post('/containers/a/stop', version=VERSION, status=200)
    listed = api.get('/containers?status=Stopped', version=VERSION,
                     status=200).json['containers']
    assert [c['name'] for c in listed] == ['a']
    page = api.get('/containers?limit=1&cluster=swarm', version=VERSION,
                   status=200).json
    assert [c['uuid'] for c in page['containers']] == [first['uuid']]
    assert 'cluster=swarm' in page['next']
    assert api.get('/containers', as_='other', version=VERSION,
                   status=200).json['containers'] == []
    assert len(api.get('/containers', as_='admin', version=VERSION,
                       status=200).json['containers']) == 2


def test_actions_logs_execute_stats(api, swarm, conductor):
    uuid = _create(api, name='web').json['uuid']
    for action, status in (('stop', 'Stopped'), ('start', 'Running'),
                           ('pause', 'Paused'), ('unpause', 'Running'),
                           ('restart', 'Running')):
        body = api.post('/containers/%s/%s' % (uuid, action),
                        version=VERSION, status=200).json
        assert body['status'] == status
    logs = api.get('/containers/web/logs?tail=5&since=0', version=VERSION,
                   status=200).json
    assert logs == {'output': 'hello\n'}
    args, kwargs = conductor.last('container_logs')
    assert (kwargs['tail'], kwargs['since']) == (5, 0)
    executed = api.post('/containers/web/execute',
                        {'command': 'echo "a b"'}, version=VERSION,
                        status=200).json
    assert executed == {'exit_code': 3, 'output': 'echo a b'}
    stats = api.get('/containers/web/stats', version=VERSION,
                    status=200).json
    assert stats['memory_limit'] == 4194304
    api.get('/containers/web/logs?tail=-1', version=VERSION, status=400)
    api.post('/containers/web/execute', {'command': []}, version=VERSION,
             status=400)


def test_another_projects_user_gets_404_for_everything(api, swarm,
                                                       conductor):
    uuid = _create(api, name='web').json['uuid']
    before = len(conductor.requests)
    for ident in (uuid, 'web'):
        api.get('/containers/%s' % ident, as_='other', version=VERSION,
                status=404)
        for action in ('start', 'stop', 'restart', 'pause', 'unpause'):
            api.post('/containers/%s/%s' % (ident, action), as_='other',
                     version=VERSION, status=404)
        api.get('/containers/%s/logs' % ident, as_='other',
                version=VERSION, status=404)
        api.get('/containers/%s/stats' % ident, as_='other',
                version=VERSION, status=404)
        api.post('/containers/%s/execute' % ident, {'command': 'ls'},
                 as_='other', version=VERSION, status=404)
        api.delete('/containers/%s' % ident, as_='other', version=VERSION,
                   status=404)
    assert len(conductor.requests) == before


def test_readers_read_but_do_not_act(api, swarm, conductor):
    _create(api, name='web')
    api.get('/containers/web', as_='reader', version=VERSION, status=200)
    api.get('/containers/web/logs', as_='reader', version=VERSION,
            status=200)
    api.post('/containers/web/stop', as_='reader', version=VERSION,
             status=403)
    api.delete('/containers/web', as_='reader', version=VERSION,
               status=403)


def test_delete_passes_force_and_forgets_the_row(api, swarm, conductor):
    _create(api, name='web')
    api.delete('/containers/web?force=true', version=VERSION, status=204)
    args, kwargs = conductor.last('container_delete')
    assert kwargs['force'] is True
    api.get('/containers/web', version=VERSION, status=404)


def test_before_1_16_it_is_a_406(api, swarm, conductor):
    api.get('/containers', version='1.15', status=406)
    api.post('/containers', {'image': 'x', 'cluster': 'swarm'},
             version='1.15', status=406)


def test_deleting_the_cluster_row_deletes_its_containers(api, dbapi, swarm,
                                                         conductor):
    _create(api, name='web')
    dbapi.destroy_cluster(swarm['uuid'])
    assert objects.Container.list(_admin()) == []


def test_a_create_the_conductor_did_not_answer_leaves_an_error_row(
        api, swarm, rpc):
    rpc.results['container_create'] = exception.ConductorUnavailable(
        timeout=60)
    _create(api, name='lost', status=503)
    [row] = objects.Container.list(_admin())
    assert (row.name, row.status) == ('lost', 'Error')
    assert 'did not complete' in row.status_reason
