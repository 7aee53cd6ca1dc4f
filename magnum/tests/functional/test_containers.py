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

"""Containers and nodes (API 1.16) on a real local swarm cluster.

One 1+2 cluster of the local driver on the private Docker engine for the
whole module (the fixtures of test_local_driver.py). The API is the real
pecan application in process; its conductor calls go straight to the
real container handler (the objects through the RPC serializer and
back, as oslo.messaging would carry them) instead of through RabbitMQ,
so that this test needs no conductor process: the RPC transport itself
is proven by the conductor tests. Everything below the handler is real:
the node containers' dockerd over mutual TLS with Magnum's client
certificate, images imported from a tarball (no registry: the image is a
root file system of this host's sh, sleep and cat, made with docker
import and saved), the containers themselves.

Needs root and the private engine; without them the tests skip, under
CI=true they fail (as test_local_driver.py).
"""

import base64
import io
import os
import re
import shutil
import subprocess
import tarfile
import time

import pytest
import webtest

from magnum import objects
from magnum.api import app
from magnum.api import hooks
from magnum.common import certificates
from magnum.common import context as magnum_context
from magnum.conductor.handlers import container_conductor
from magnum.drivers.common import swarm_api
from magnum.objects import base as objects_base
from magnum.tests.functional.test_local_driver import context  # noqa: F401
from magnum.tests.functional.test_local_driver import docker_host  # noqa
from magnum.tests.functional.test_local_driver import engine  # noqa: F401
from magnum.tests.functional.test_local_driver import local  # noqa: F401

VERSION = 'container-infra 1.16'
IMAGE = 'magnum-test/shell:containers'


def shell_rootfs():
    """A tar of a tiny root file system: this host's sh, sleep and cat
    and the libraries they need."""
    files = {}
    for command in ('sh', 'sleep', 'cat'):
        binary = os.path.realpath(shutil.which(command))
        files['bin/%s' % command] = binary
        out = subprocess.run(['ldd', binary], capture_output=True,
                             text=True, check=True).stdout
        for path in re.findall(r'(/\S+\.so[.\d]*)', out):
            files[path.lstrip('/')] = os.path.realpath(path)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        for name, source in sorted(files.items()):
            archive.add(source, arcname=name)
    return buffer.getvalue()


def image_tarball(host_engine):
    """The image in docker save format: imported into the host engine
    from the root file system, then saved."""
    repository, _sep, tag = IMAGE.rpartition(':')
    host_engine.api.import_image_from_data(
        shell_rootfs(), repository=repository, tag=tag)
    return b''.join(host_engine.images.get(IMAGE).save(named=True))


class DirectConductor:
    """The API's conductor client, answered in process by the real
    container handler; arguments and answers cross the RPC serializer
    both ways."""

    def __init__(self):
        self.handler = container_conductor.ContainerHandler('functional')
        self.serializer = objects_base.MagnumObjectSerializer()

    def _carry(self, ctx, value):
        return self.serializer.deserialize_entity(
            ctx, self.serializer.serialize_entity(ctx, value))

    def __getattr__(self, method):
        if method.startswith('_'):
            raise AttributeError(method)

        def call(ctx, **kwargs):
            kwargs = {k: self._carry(ctx, v) for k, v in kwargs.items()}
            return self._carry(ctx, getattr(self.handler, method)(
                ctx, **kwargs))
        return call


class API:
    def __init__(self, test_app, project):
        self.app = test_app
        self.project = project

    def request(self, method, path, body=None, project=None, status=None,
                roles='member,reader'):
        headers = {'X-Project-Id': project or self.project,
                   'X-User-Id': 'tester', 'X-Roles': roles,
                   'OpenStack-API-Version': VERSION}
        if body is not None:
            response = getattr(self.app, method + '_json')(
                '/v1' + path, body, headers=headers, expect_errors=True)
        else:
            response = getattr(self.app, method)(
                '/v1' + path, headers=headers, expect_errors=True)
        if status is not None:
            assert response.status_int == status, response.text
        return response


@pytest.fixture
def api(local, monkeypatch, context):  # noqa: F811
    conductor = DirectConductor()
    monkeypatch.setattr(hooks.RPCHook, 'before', lambda self, state:
                        setattr(state.request, 'rpcapi', conductor))
    return API(webtest.TestApp(app.setup_app()), context.project_id)


def _timed(timings, name, function, *args, **kwargs):
    started = time.monotonic()
    result = function(*args, **kwargs)
    timings[name] = round(time.monotonic() - started, 3)
    return result


def test_containers_and_nodes_on_a_local_cluster(local, engine, api,  # noqa
                                                 context):  # noqa: F811
    template = local.template()
    cluster = local.cluster(template, masters=1, workers=2)
    local.create(cluster)
    cluster = local.reload(cluster)
    timings = {}

    # Nodes: one entry per machine, Ready, with the swarm's facts.
    listed = api.request('get', '/clusters/%s/nodes' % cluster.uuid,
                         status=200).json['nodes']
    assert [(n['role'], n['status']) for n in listed] == [
        ('master', 'Ready'), ('worker', 'Ready'), ('worker', 'Ready')]
    for node in listed:
        assert node['engine_version'] and node['addresses']
        assert node['server_id'] == engine.containers.get(node['name']).id
        assert 'docker_url' not in node
    assert listed[0]['nodegroup'] == 'default-master'
    workers = [n['name'] for n in listed if n['role'] == 'worker']
    page = api.request('get', '/clusters/%s/nodes?limit=2' % cluster.uuid,
                       status=200).json
    assert len(page['nodes']) == 2 and 'marker=' in page['next']

    # No registry: an image not on the nodes is a 400 naming it.
    response = api.request('post', '/containers', {
        'image': IMAGE, 'cluster': cluster.name, 'command': 'sleep 60'},
        status=400)
    assert IMAGE in response.json['errors'][0]['detail']
    assert objects.Container.list(_admin()) == []

    # The operator imports it into every node; members may not.
    tarball = base64.b64encode(image_tarball(engine)).decode()
    path = '/clusters/%s/actions/load_image' % cluster.uuid
    api.request('post', path, {'image_tarball': tarball}, status=403)
    loaded = _timed(timings, 'load_image', api.request, 'post', path,
                    {'image_tarball': tarball}, project='admin-project',
                    roles='admin,member,reader', status=200).json['nodes']
    assert sorted(loaded) == sorted(n['name'] for n in listed)
    assert all(IMAGE in images for images in loaded.values())

    # Create: it runs on a worker.
    body = _timed(timings, 'create to running', api.request, 'post',
                  '/containers', {
                      'name': 'ticker', 'image': IMAGE,
                      'cluster': cluster.uuid, 'memory': '32m',
                      # sh as PID 1 ignores SIGTERM unless told.
                      'command': ['sh', '-c', 'trap "exit 0" TERM; echo '
                                  'started; while :; do sleep 1; done'],
                      'environment': {'GREETING': 'hello'}},
                  status=201).json
    assert body['status'] == 'Running', body
    assert body['host'] in workers
    with local.driver._work(context, cluster) as work:
        node = next(n for n in work.observe() if n.name == body['host'])
    node_client = _node_client(local, cluster, node)
    on_node = node_client.containers.get(body['container_id'])
    assert on_node.status == 'running'
    assert on_node.attrs['HostConfig']['Memory'] == 32 * 1024 * 1024

    # Logs, execute, stop, start, pause, unpause, restart, stats.
    logs = _timed(timings, 'logs', api.request, 'get',
                  '/containers/ticker/logs?tail=10', status=200).json
    assert 'started' in logs['output']
    executed = _timed(timings, 'execute', api.request, 'post',
                      '/containers/ticker/execute', {
                          'command': 'sh -c "echo $GREETING; exit 3"'},
                      status=200).json
    assert executed == {'exit_code': 3, 'output': 'hello\n'}
    for action, status in (('stop', 'Stopped'), ('start', 'Running'),
                           ('pause', 'Paused'), ('unpause', 'Running'),
                           ('restart', 'Running')):
        answer = _timed(timings, action, api.request, 'post',
                        '/containers/ticker/%s' % action, status=200).json
        assert answer['status'] == status, answer
        on_node.reload()
        assert on_node.status == {'Stopped': 'exited', 'Paused': 'paused',
                                  'Running': 'running'}[status]
    stats = _timed(timings, 'stats', api.request, 'get',
                   '/containers/ticker/stats', status=200).json
    assert stats['memory_limit'] == 32 * 1024 * 1024

    # Another project's user: 404 for every call.
    for method, path, payload in (
            ('get', '/containers/ticker', None),
            ('get', '/containers/ticker/logs', None),
            ('get', '/containers/ticker/stats', None),
            ('post', '/containers/ticker/execute', {'command': 'ls'}),
            ('post', '/containers/ticker/stop', None),
            ('delete', '/containers/ticker', None),
            ('get', '/clusters/%s/nodes' % cluster.uuid, None)):
        api.request(method, path, payload, project='someone-else',
                    status=404)
    assert api.request('get', '/containers', project='someone-else',
                       status=200).json['containers'] == []
    on_node.reload()
    assert on_node.status == 'running'

    # Removed behind Magnum's back: Unknown with a reason on the next
    # read, forgotten by the periodic sync.
    on_node.remove(force=True)
    shown = api.request('get', '/containers/ticker', status=200).json
    assert shown['status'] == 'Unknown'
    assert 'removed outside Magnum' in shown['status_reason']
    assert container_conductor.sync_containers(lambda cluster: True) == 1
    api.request('get', '/containers/ticker', status=404)

    # Its node lost: a plain container is not rescheduled; it is shown
    # Unknown with the reason.
    second = api.request('post', '/containers', {
        'name': 'second', 'image': IMAGE, 'cluster': cluster.uuid,
        'command': 'sleep 300'}, status=201).json
    engine.containers.get(second['host']).stop(timeout=1)
    shown = api.request('get', '/containers/second', status=200).json
    assert shown['status'] == 'Unknown', shown
    assert second['host'] in shown['status_reason']
    api.request('post', '/containers/second/stop', status=409)
    api.request('delete', '/containers/second?force=true', status=204)
    api.request('get', '/containers/second', status=404)
    print('\ncontainer timings (s): %s' % timings)


def _admin():
    admin = magnum_context.get_admin_context()
    admin.all_tenants = True
    return admin


def _node_client(harness, cluster, node):
    ca = certificates.get_ca_certificate(harness.context, cluster)
    cert, key = certificates.get_cluster_magnum_cert(harness.context,
                                                     cluster)
    files = swarm_api.TLSFiles(ca, cert, key)
    return swarm_api.client('tcp://%s:2376' % node.address, files, 30)
