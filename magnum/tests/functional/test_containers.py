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

"""Containers and nodes (API 1.16) through a live deployment.

A real magnum-api (gunicorn) and magnum-conductor, on RabbitMQ and a
MariaDB database of this module, under Keystone (the cloud-in-a-box's
users of projects A and B), with one 1+2 cluster of the local driver on
the private Docker engine for the whole module. Every call is HTTP with
Keystone tokens: raw REST, curl as doc/source/user/containers.rst shows
it, and openstacksdk through the catalog running the guide's SDK calls
(doc/source/user/examples/containers_sdk.py). What happened on the
nodes is checked from outside Magnum, with the docker CLI inside the
node containers.

No registry: the images are made here with ``docker import`` of a root
file system of this host's sh, sleep and cat (the big one with a file
of random bytes besides), saved with ``docker save`` and imported into
the nodes with load_image.

The tests run in file order on the module's cluster; the last one stops
a worker for good. Needs the cloud-in-a-box, RabbitMQ and the private
Docker engine with the node image (root); without them the tests skip,
under CI=true they fail. Run alone with ``-s`` to see the timings.
"""

import base64
import contextlib
import http.client
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import urllib.parse
import uuid

import docker.errors
import openstack
import openstack.exceptions
import pytest

from magnum.drivers.local import nodes as local_nodes
from magnum.tests.functional import docker_engine
from magnum.tests.functional import keystone_helpers as kh
from magnum.tests.functional import processes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SDK_EXAMPLES = os.path.join(ROOT, 'doc', 'source', 'user', 'examples',
                            'containers_sdk.py')
TAG = uuid.uuid4().hex[:8]
SHELL = 'magnum-test/shell:%s' % TAG
TINY = 'magnum-test/tiny:%s' % TAG
BIG = 'magnum-test/big:%s' % TAG
# The big image: far over [oslo_middleware] max_request_body_size (112
# KiB), as real images are.
BIG_MIB = int(os.environ.get('MAGNUM_TEST_BIG_IMAGE_MIB', '64'))
# The deployment's tarball limit: the big image fits, a little more
# does not.
TARBALL_LIMIT = (BIG_MIB + 16) * 1024 * 1024
# The conductor's periodic sync: long enough for a read to come between
# two passes on a loaded machine (test_a_lost_node_...).
SYNC_INTERVAL = 8
CLUSTER_TIMEOUT = 240

TIMINGS = {}


def _timed(name, function, *args, **kwargs):
    started = time.monotonic()
    result = function(*args, **kwargs)
    TIMINGS[name] = round(time.monotonic() - started, 3)
    return result


# -- images -----------------------------------------------------------------

def _rootfs(path, extra=None):
    """A tar at path of a root file system: this host's sh, sleep and cat
    with their libraries, and extra {name in the image: bytes}."""
    files = {}
    for command in ('sh', 'sleep', 'cat'):
        binary = os.path.realpath(shutil.which(command))
        files['bin/%s' % command] = binary
        out = subprocess.run(['ldd', binary], capture_output=True,
                             text=True, check=True).stdout
        for library in re.findall(r'(/\S+\.so[.\d]*)', out):
            files[library.lstrip('/')] = os.path.realpath(library)
    with tarfile.open(path, 'w') as archive:
        for name, source in sorted(files.items()):
            archive.add(source, arcname=name)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))


def _only_file(path, name, data):
    with tarfile.open(path, 'w') as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))


class Image:
    """An image imported into the private engine from a root file system
    and saved as a tarball file (removed from the engine afterwards)."""

    def __init__(self, name, tarball, image_id):
        self.name = name
        self.tarball = tarball
        self.id = image_id

    @classmethod
    def make(cls, engine, name, rootfs, directory):
        repository, _sep, tag = name.rpartition(':')
        engine.api.import_image_from_file(rootfs, repository=repository,
                                          tag=tag)
        image = engine.images.get(name)
        tarball = os.path.join(directory, '%s.tar' % repository.replace(
            '/', '-'))
        with open(tarball, 'wb') as out:
            for chunk in image.save(named=True):
                out.write(chunk)
        return cls(name, tarball, image.id)


@pytest.fixture(scope='module')
def images(engine, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('images'))
    made = {}
    try:
        rootfs = os.path.join(directory, 'shell-rootfs.tar')
        _rootfs(rootfs)
        made['shell'] = Image.make(engine, SHELL, rootfs, directory)
        _only_file(rootfs, 'hello.txt', b'hello\n')
        made['tiny'] = Image.make(engine, TINY, rootfs, directory)
        _rootfs(rootfs, {'payload': os.urandom(BIG_MIB * 1024 * 1024)})
        made['big'] = Image.make(engine, BIG, rootfs, directory)
        os.unlink(rootfs)
        yield made
    finally:
        for image in made.values():
            with contextlib.suppress(docker.errors.DockerException):
                engine.images.remove(image.name, force=True)


# -- the deployment and the module's cluster ------------------------------

@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, docker_host, tmp_path_factory):
    directory = tmp_path_factory.mktemp('magnum-containers')
    staging = directory / 'private'
    staging.mkdir(mode=0o700)
    magnum = kh.start_deployment(cloud, migrated_db_url, directory,
                                 docker_host, config={
                                     'DEFAULT': {'tempdir': str(staging)},
                                     'local_driver': {
                                         'name_prefix': 'mct%s' % TAG[:4],
                                         'node_ready_timeout': 90},
                                     'conductor': {
                                         'sync_interval': SYNC_INTERVAL},
                                     'api': {'max_image_upload_size':
                                             TARBALL_LIMIT}})
    magnum.staging = str(staging)
    try:
        yield magnum
    finally:
        magnum.stop()


@pytest.fixture(scope='module')
def callers(cloud, deployment):
    return {'%s-%s' % (key, role): kh.Caller(cloud, deployment, user)
            for key, role, user in cloud.users()}


@pytest.fixture(scope='module')
def cluster(callers, deployment, engine):
    """A 1+2 local cluster of project A, made over REST; at the end its
    containers, the cluster and the template are deleted over REST (and
    anything the driver left on the engine is a failure)."""
    member, admin = callers['a-member'], callers['a-admin']
    template = kh.expect(member.post('/v1/clustertemplates', kh.template_body(
        kh.unique('containers'), image_id=docker_engine.IMAGE)),
        201).json()
    made = None
    try:
        made = kh.expect(member.post('/v1/clusters', {
            'name': kh.unique('swarm'),
            'cluster_template_id': template['uuid'], 'master_count': 1,
            'node_count': 2}), 202).json()
        started = time.monotonic()
        made = processes.wait_for(
            lambda: _settled(member, made['uuid']), CLUSTER_TIMEOUT,
            interval=1, message='cluster %s to be created' % made['uuid'])
        TIMINGS['cluster create (1+2)'] = round(time.monotonic() - started,
                                                1)
        assert made['status'] == 'CREATE_COMPLETE', '%s\n%s' % (
            made, deployment.logs())
        yield made
    finally:
        try:
            _clean_up(admin, member, made, template, engine, deployment)
        finally:
            print('\ncontainer timings (s): %s' % TIMINGS)


def _settled(caller, uuid_):
    body = kh.expect(caller.get('/v1/clusters/%s' % uuid_), 200).json()
    return body if not body['status'].endswith('_IN_PROGRESS') else None


def _clean_up(admin, member, cluster, template, engine, deployment):
    problems = []
    if cluster is not None:
        for container in admin.get('/v1/containers?cluster=%s' % cluster[
                'uuid']).json().get('containers', []):
            admin.delete('/v1/containers/%s?force=true' % container['uuid'])
        member.delete('/v1/clusters/%s' % cluster['uuid'])
        processes.wait_for(
            lambda: member.get('/v1/clusters/%s' % cluster[
                'uuid']).status_code == 404, CLUSTER_TIMEOUT, interval=1,
            message='cluster %s to be deleted' % cluster['uuid'])
        label = {'label': '%s=%s' % (local_nodes.LABEL_CLUSTER,
                                     cluster['uuid'])}
        for container in engine.containers.list(all=True, filters=label):
            problems.append('container %s left' % container.name)
            container.remove(force=True, v=True)
        for network in engine.networks.list(filters=label):
            problems.append('network %s left' % network.name)
            network.remove()
    kh.expect(member.delete('/v1/clustertemplates/%s' % template['uuid']),
              204)
    assert not problems, '%s\n%s' % (problems, deployment.logs())


def _nodes(caller, cluster):
    return kh.expect(caller.get('/v1/clusters/%s/nodes' % cluster['uuid']),
                     200).json()['nodes']


def _on_node(engine, node, *argv):
    """The docker CLI inside a node's container (outside Magnum): its
    output, stripped."""
    result = engine.containers.get(node).exec_run(['docker', *argv])
    assert result.exit_code == 0, (node, argv, result.output)
    return result.output.decode().strip()


def _curl_load_image(deployment, token, cluster, tarball, stdin=False):
    """The guide's curl command (containers.rst, Images): the tarball
    streamed as the body, from the file or (stdin) from standard input,
    chunked. (status, body)."""
    magnum = deployment.url + '/v1'
    with open(tarball, 'rb') as source:
        done = subprocess.run(
            ['curl', '-s', '-X', 'POST', '-T', '-' if stdin else tarball,
             '-H', 'X-Auth-Token: %s' % token,
             '-H', 'OpenStack-API-Version: container-infra 1.16',
             '-H', 'Content-Type: application/x-tar',
             '-w', '\n%{http_code}',
             '%s/clusters/%s/actions/load_image' % (magnum, cluster)],
            stdin=source if stdin else subprocess.DEVNULL,
            capture_output=True, timeout=600)
    done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, done.stderr
    body, _sep, status = done.stdout.rpartition('\n')
    return int(status), body


# -- the tests, in order ------------------------------------------------------

def test_nodes_of_the_cluster(callers, cluster, engine):
    reader = callers['a-reader']
    # Followed from the /v1 document's link, as a client finds it.
    link = kh.expect(reader.get('/v1'), 200).json()['nodes'][0]['href']
    path = urllib.parse.urlsplit(link.replace('{cluster_id}',
                                              cluster['uuid'])).path
    listed = kh.expect(reader.get(path), 200).json()['nodes']
    assert [(n['role'], n['status']) for n in listed] == [
        ('master', 'Ready'), ('worker', 'Ready'), ('worker', 'Ready')]
    for node in listed:
        assert node['engine_version'] and node['addresses']
        assert node['server_id'] == engine.containers.get(node['name']).id
        assert 'docker_url' not in node
    assert listed[0]['nodegroup'] == 'default-master'
    page = kh.expect(reader.get(path + '?limit=2'), 200).json()
    assert len(page['nodes']) == 2 and 'marker=' in page['next']
    for other in ('b-member', 'b-reader'):
        kh.expect(callers[other].get(path), 404, other)


def test_images_are_loaded_through_load_image(callers, cluster, images,
                                              deployment, engine):
    member, admin = callers['a-member'], callers['a-admin']
    path = '/v1/clusters/%s/actions/load_image' % cluster['uuid']
    # No registry: an image not on the nodes is a 400 naming it, and no
    # row stays.
    reply = kh.expect(member.post('/v1/containers', {
        'image': SHELL, 'cluster': cluster['name'], 'command': 'sleep 60'}),
        400)
    assert SHELL in reply.json()['errors'][0]['detail']
    assert member.get('/v1/containers').json()['containers'] == []

    # A small image as base64 in JSON; members may not.
    with open(images['tiny'].tarball, 'rb') as tarball:
        encoded = base64.b64encode(tarball.read()).decode()
    kh.expect(member.post(path, {'image_tarball': encoded}), 403)
    loaded = _timed('load_image tiny (JSON)', lambda: kh.expect(
        admin.post(path, {'image_tarball': encoded}), 200)).json()['nodes']
    names = [n['name'] for n in _nodes(member, cluster)]
    assert sorted(loaded) == sorted(names)
    assert all(TINY in found for found in loaded.values())

    # A JSON body over the global limit: 413 saying what to do instead.
    with open(images['shell'].tarball, 'rb') as tarball:
        encoded = base64.b64encode(tarball.read()).decode()
    detail = kh.expect(admin.post(path, {'image_tarball': encoded}),
                       413).json()['errors'][0]['detail']
    assert '[oslo_middleware] max_request_body_size' in detail
    assert 'application/x-tar' in detail

    # Real images: the tarball streamed as the body, with the guide's
    # curl command.
    token = admin.token()
    for key in ('shell', 'big'):
        image = images[key]
        size = os.path.getsize(image.tarball)
        peaks = _peak_rss(deployment)
        status, body = _timed(
            'load_image %s (%.1f MiB, streamed)' % (key, size / 2 ** 20),
            _curl_load_image, deployment, token, cluster['uuid'],
            image.tarball)
        assert status == 200, '%s\n%s' % (body, deployment.logs())
        # Of that time, what the conductor took to load the staged file
        # into the nodes (the rest: the upload through API and RPC).
        loads = re.findall(r'loaded into 3 nodes in ([\d.]+) s',
                           deployment.logs(tail=None))
        TIMINGS['  of which nodes loading %s' % key] = float(loads[-1])
        # Every node has the very image, as its own engine says.
        for name in names:
            assert _on_node(engine, name, 'image', 'inspect', '--format',
                            '{{.Id}}', image.name) == image.id
        # No process held the big one whole: the peak memory of each API
        # worker and conductor grew by less than the image (measured: 20
        # to 45 MiB for any size, with the first use of the code on the
        # way in a worker the shell image did not go through; a process
        # holding the image would grow by its size and more).
        grown = {pid: peak - peaks.get(pid, 0)
                 for pid, peak in _peak_rss(deployment).items()}
        TIMINGS['  peak RSS growth (MiB) %s' % key] = {
            _command(pid): round(g / 2 ** 20, 1)
            for pid, g in grown.items()}
        if key == 'big':
            assert max(grown.values()) < size, {
                _command(pid): round(g / 2 ** 20, 1)
                for pid, g in grown.items()}
    # Without a Content-Length (curl -T -): chunked, read to its end.
    status, body = _curl_load_image(deployment, token, cluster['uuid'],
                                    images['tiny'].tarball, stdin=True)
    assert status == 200, body
    loaded = json.loads(body)['nodes']
    assert sorted(loaded) == sorted(names)
    assert all(TINY in found for found in loaded.values())
    # Nothing stays staged on the conductor.
    assert [n for n in os.listdir(deployment.staging)
            if n.startswith('image-upload-')] == []

    # Over [api] max_image_upload_size: refused at once, naming it.
    status, body = _declared_only(deployment, token, path,
                                  TARBALL_LIMIT + 1)
    assert status == 413, body
    assert '[api] max_image_upload_size' in body


def _peak_rss(deployment):
    """{pid: peak resident memory in bytes (VmHWM)} of every process of
    the deployment (the API's gunicorn and its workers, the conductor and
    its workers)."""
    groups = {deployment.api.process.pid} | {
        c.process.pid for c in deployment.conductors.values()}
    peaks = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/stat' % pid) as stat:
                group = int(stat.read().rsplit(')', 1)[1].split()[2])
            if group not in groups:
                continue
            with open('/proc/%s/status' % pid) as status:
                for line in status:
                    if line.startswith('VmHWM:'):
                        peaks[int(pid)] = int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return peaks


def _command(pid):
    with contextlib.suppress(OSError):
        with open('/proc/%d/cmdline' % pid, 'rb') as cmdline:
            return '%d %s' % (pid, cmdline.read().replace(b'\0', b' ')
                              .decode().strip()[:40])
    return str(pid)


def _declared_only(deployment, token, path, length):
    """POST declaring a tarball of length bytes and sending none of it:
    a limit must answer from the header alone."""
    address = urllib.parse.urlsplit(deployment.url)
    connection = http.client.HTTPConnection(address.hostname,
                                            address.port, timeout=30)
    try:
        connection.putrequest('POST', path)
        for header, value in (('X-Auth-Token', token),
                              ('OpenStack-API-Version',
                               'container-infra 1.16'),
                              ('Content-Type', 'application/x-tar'),
                              ('Content-Length', str(length))):
            connection.putheader(header, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_container_runs_on_a_worker(callers, cluster, engine):
    member = callers['a-member']
    workers = [n['name'] for n in _nodes(member, cluster)
               if n['role'] == 'worker']
    body = _timed('create to running', lambda: kh.expect(member.post(
        '/v1/containers', {
            'name': 'ticker', 'image': SHELL, 'cluster': cluster['uuid'],
            'memory': '32m',
            # sh as PID 1 ignores SIGTERM unless told.
            'command': ['sh', '-c', 'trap "exit 0" TERM; echo started; '
                        'while :; do sleep 1; done'],
            'environment': {'GREETING': 'hello'}}), 201)).json()
    assert body['status'] == 'Running', body
    assert body['host'] in workers
    assert _on_node(engine, body['host'], 'inspect', '--format',
                    '{{.State.Status}} {{.HostConfig.Memory}}',
                    body['container_id']) == 'running %d' % (32 * 2 ** 20)
    listed = kh.expect(member.get('/v1/containers?cluster=%s' %
                                  cluster['uuid']), 200).json()
    assert [c['name'] for c in listed['containers']] == ['ticker']


def test_logs_execute_and_every_action(callers, cluster, engine):
    member, reader = callers['a-member'], callers['a-reader']
    ticker = kh.expect(member.get('/v1/containers/ticker'), 200).json()
    logs = _timed('logs', lambda: kh.expect(member.get(
        '/v1/containers/ticker/logs?tail=10'), 200)).json()
    assert 'started' in logs['output']
    executed = _timed('execute', lambda: kh.expect(member.post(
        '/v1/containers/ticker/execute', {
            'command': 'sh -c "echo $GREETING; exit 3"'}), 200)).json()
    assert executed == {'exit_code': 3, 'output': 'hello\n'}
    for action, status, state in (('stop', 'Stopped', 'exited'),
                                  ('start', 'Running', 'running'),
                                  ('pause', 'Paused', 'paused'),
                                  ('unpause', 'Running', 'running'),
                                  ('restart', 'Running', 'running')):
        answer = _timed(action, lambda: kh.expect(member.post(
            '/v1/containers/ticker/%s' % action, {}), 200)).json()
        assert answer['status'] == status, answer
        assert _on_node(engine, ticker['host'], 'inspect', '--format',
                        '{{.State.Status}}', ticker['container_id']) == state
    stats = _timed('stats', lambda: kh.expect(member.get(
        '/v1/containers/ticker/stats'), 200)).json()
    assert stats['memory_limit'] == 32 * 2 ** 20
    # Readers read, and change nothing.
    kh.expect(reader.get('/v1/containers/ticker/logs'), 200)
    kh.expect(reader.post('/v1/containers/ticker/stop', {}), 403)
    kh.expect(reader.delete('/v1/containers/ticker'), 403)


CALLS = [
    ('GET', '/v1/containers/ticker', None),
    ('GET', '/v1/containers/ticker/logs', None),
    ('GET', '/v1/containers/ticker/stats', None),
    ('POST', '/v1/containers/ticker/execute', {'command': 'ls'}),
    ('POST', '/v1/containers/ticker/start', {}),
    ('POST', '/v1/containers/ticker/stop', {}),
    ('POST', '/v1/containers/ticker/restart', {}),
    ('POST', '/v1/containers/ticker/pause', {}),
    ('POST', '/v1/containers/ticker/unpause', {}),
    ('DELETE', '/v1/containers/ticker', None),
    ('DELETE', '/v1/containers/ticker?force=true', None),
    ('GET', '/v1/clusters/{cluster}/nodes', None),
]


def test_another_projects_users_get_404_for_every_call(callers, cluster,
                                                       engine):
    ticker = kh.expect(callers['a-member'].get('/v1/containers/ticker'),
                       200).json()
    for caller in ('b-member', 'b-reader'):
        for method, path, body in CALLS:
            reply = callers[caller].request(
                method, path.format(cluster=cluster['uuid']), json=body)
            kh.expect(reply, 404, caller)
        # By uuid as by name; and the create on A's cluster.
        kh.expect(callers[caller].get('/v1/containers/%s' %
                                      ticker['uuid']), 404, caller)
        assert kh.expect(callers[caller].get('/v1/containers'),
                         200).json()['containers'] == []
    kh.expect(callers['b-member'].post('/v1/containers', {
        'image': SHELL, 'cluster': cluster['uuid']}), 404)
    # Admins act across projects (container:*_all_projects).
    kh.expect(callers['b-admin'].get('/v1/containers/%s' % ticker['uuid']),
              200)
    assert _on_node(engine, ticker['host'], 'inspect', '--format',
                    '{{.State.Status}}', ticker['container_id']) == 'running'


def _sdk_examples():
    spec = importlib.util.spec_from_file_location('containers_sdk',
                                                  SDK_EXAMPLES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guides_openstacksdk_calls(cloud, deployment, cluster, images,
                                       engine):
    """Every function of the guide's SDK example, through the catalog."""
    sdk = _sdk_examples()
    public = {name for name, value in vars(sdk).items()
              if callable(value) and not name.startswith('_') and
              getattr(value, '__module__', None) == sdk.__name__}
    called = set()

    def call(function, /, *args, **kwargs):
        called.add(function)
        return getattr(sdk, function)(*args, **kwargs)

    started = time.monotonic()
    with cloud.magnum_region(deployment.url) as region:
        TIMINGS['sdk: a catalog region of its own'] = round(
            time.monotonic() - started, 3)
        conns = {}
        for who, (project, role) in {'member': ('a', 'member'),
                                     'admin': ('a', 'admin'),
                                     'other': ('b', 'member')}.items():
            user = cloud.projects[project]['users'][role]
            conns[who] = openstack.connect(
                auth={key: user[key] for key in (
                    'auth_url', 'username', 'password', 'project_name',
                    'user_domain_name', 'project_domain_name')},
                region_name=region, load_yaml_config=False,
                load_envvars=False)
        started = time.monotonic()
        try:
            member = conns['member']
            # What the SDK sends for microversion=, and Magnum's answer.
            reply = member.container_infrastructure_management.get(
                '/clusters/%s/nodes' % cluster['uuid'],
                microversion=sdk.MICROVERSION)
            sent = 'container-infrastructure-management 1.16'
            assert reply.request.headers['OpenStack-API-Version'] == sent
            assert reply.headers['OpenStack-API-Version'] == sent
            nodes = call('list_nodes', member, cluster['name'])
            assert len(nodes) == 3
            loaded = call('load_image', conns['admin'], cluster['uuid'],
                          images['shell'].tarball)
            assert sorted(loaded) == sorted(n['name'] for n in nodes)
            assert all(SHELL in found for found in loaded.values())
            made = call('create_container', member, cluster['name'], SHELL,
                        name='sdk-demo',
                        # A string is split as a shell would; sh as PID 1
                        # ignores SIGTERM unless told (stop would wait
                        # its 10 s grace period).
                        command='sh -c \'trap "exit 0" TERM; '
                                'while :; do sleep 1; done\'',
                        labels={'made-by': 'sdk'})
            assert made['status'] == 'Running', made
            assert 'sdk-demo' in [c['name'] for c in call(
                'list_containers', member, cluster['uuid'])]
            assert call('get_container', member, 'sdk-demo')['labels'] == \
                {'made-by': 'sdk'}
            assert call('execute', member, 'sdk-demo',
                        ['sh', '-c', 'echo $((6 * 7)); exit 4']) == {
                'exit_code': 4, 'output': '42\n'}
            assert call('container_logs', member, 'sdk-demo') == ''
            assert call('container_action', member, 'sdk-demo',
                        'stop')['status'] == 'Stopped'
            with pytest.raises(openstack.exceptions.NotFoundException):
                call('get_container', conns['other'], 'sdk-demo')
            with pytest.raises(openstack.exceptions.ConflictException):
                call('container_action', member, 'sdk-demo', 'pause')
            call('delete_container', member, 'sdk-demo')
            with pytest.raises(openstack.exceptions.NotFoundException):
                call('get_container', member, 'sdk-demo')
            with pytest.raises(openstack.exceptions.NotFoundException):
                call('delete_container', member, made['uuid'], force=True)
        finally:
            TIMINGS['sdk: the calls (3 users)'] = round(
                time.monotonic() - started, 3)
            for conn in conns.values():
                conn.close()
        started = time.monotonic()
    TIMINGS['sdk: the region removed'] = round(time.monotonic() - started,
                                               3)
    assert called == public, public - called
    assert _on_node(engine, made['host'], 'ps', '-aq', '--filter',
                    'id=%s' % made['container_id']) == ''


def test_a_lost_node_and_a_container_removed_behind_magnums_back(
        callers, cluster, engine):
    """A plain container is not rescheduled (containers.rst, "Where a
    container runs"): on a node that stops it is Unknown with the reason
    and stays so through the periodic sync until deleted; one removed
    from its node behind Magnum's back is Unknown on the next read and
    forgotten by the sync."""
    member = callers['a-member']
    ticker = kh.expect(member.get('/v1/containers/ticker'), 200).json()
    second = kh.expect(member.post('/v1/containers', {
        'name': 'second', 'image': SHELL, 'cluster': cluster['uuid'],
        'command': 'sleep 300'}), 201).json()
    # The least used worker: not ticker's.
    assert second['host'] != ticker['host'], (second, ticker)
    engine.containers.get(second['host']).kill()

    # The list shows rows as recorded: second turns Unknown when a sync
    # pass has seen its node down. The next pass is SYNC_INTERVAL away.
    def seen_by_the_sync():
        rows = kh.expect(member.get('/v1/containers'), 200).json()
        return next((c for c in rows['containers'] if c['name'] ==
                     'second' and c['status'] == 'Unknown'), None)
    recorded = processes.wait_for(seen_by_the_sync, 3 * SYNC_INTERVAL,
                                  interval=0.2,
                                  message='a sync pass to see node %s '
                                  'down' % second['host'])
    assert second['host'] in recorded['status_reason']
    assert 'exited' in recorded['status_reason']

    _on_node(engine, ticker['host'], 'rm', '-f', ticker['container_id'])
    shown = kh.expect(member.get('/v1/containers/ticker'), 200).json()
    assert shown['status'] == 'Unknown', shown
    assert 'removed outside Magnum' in shown['status_reason']
    # The next pass forgets ticker, and keeps second as it was.
    processes.wait_for(
        lambda: member.get('/v1/containers/ticker').status_code == 404,
        3 * SYNC_INTERVAL, interval=0.5,
        message='the sync to forget ticker')
    shown = kh.expect(member.get('/v1/containers/second'), 200).json()
    assert (shown['status'], shown['status_reason']) == (
        'Unknown', recorded['status_reason'])

    for action in ('stop', 'start', 'pause'):
        reply = kh.expect(member.post('/v1/containers/second/%s' % action,
                                      {}), 409)
        assert second['host'] in reply.json()['errors'][0]['detail']
    kh.expect(member.get('/v1/containers/second/logs'), 409)
    reply = kh.expect(member.delete('/v1/containers/second'), 409)
    assert 'force=true' in reply.json()['errors'][0]['detail']
    kh.expect(member.delete('/v1/containers/second?force=true'), 204)
    kh.expect(member.get('/v1/containers/second'), 404)
