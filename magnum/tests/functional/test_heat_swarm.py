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

"""swarm-mode clusters through the swarm_vm Heat driver, end to end
against the cloud-in-a-box's real Keystone and Heat and the Docker
engine.

Heat runs the driver's templates unchanged; the cloud-in-a-box stands in
for Nova (a server is a container of the node image running its user
data as cloud-init would), Neutron and Cinder (see
tools/cloud-in-a-box/). The image look-up through Glance cannot run here:
``[cloud_validation] enabled = false`` turns it off, so the template
gives ``cluster_distro`` itself.

The tests run in file order on one cluster (1 master + 2 workers) of
project A's member:

- POST cluster: Heat builds the stack, the nodes boot from their user
  data and form the swarm with the cluster's certificates; the POST to
  CREATE_COMPLETE time is printed (the driver doc quotes it);
- ``openstack coe cluster config``, then the ``docker`` CLI: ``docker
  node ls`` shows three Ready nodes and a replicated service runs;
- ``GET /v1/clusters/{id}/nodes`` (1.16): one entry per server, read
  from the stack's outputs and the swarm, checked against the stand-in's
  containers and ``docker node ls``; it follows the resize;
- resize up, then down with ``nodes_to_remove`` naming a node;
- a nodegroup added, then deleted;
- upgrade to a template whose image is the node image under a second
  tag: the workers two at a time, then the only master (workers promoted
  to managers meanwhile): every server is rebuilt from the new image at
  its address, the swarm has each node once and Ready, and the service
  made before the upgrade runs again (its definition survived the
  master's rebuild); the time of each upgrade is printed;
- delete: the stack and every container go;
- a cluster whose image the engine does not have ends CREATE_FAILED with
  a reason naming the failed server resource;
- a cluster with ``docker_volume_size``: Heat makes the node's (stand-in)
  volume and gives its id to the node's own user data (str_replace in
  node.yaml); the stand-in attaches no block device, so the boot script
  gives up after ``[heat_driver] docker_volume_wait`` and the cluster
  ends CREATE_FAILED with a reason naming that volume. (The volume step
  on a real block device: test_swarm_node_volume.py.)
"""

import ipaddress
import os
import random
import shlex
import subprocess
import sys
import time
import types

import docker.errors
import pytest

from magnum.drivers.heat import driver as heat_driver
from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

LATEST = 'container-infra latest'
OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
CLUSTER_TIMEOUT = 300


def _cidr():
    # Each run its own subnet, so clusters of runs sharing the engine
    # never overlap (the node addresses are fixed in it).
    return '10.%d.%d.0/24' % (random.randint(160, 250),
                              random.randint(0, 255))


@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, docker_host, tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    config = cloud.magnum_settings()
    for section, options in {
            # No Glance, Nova or Neutron to look names up in here.
            'cloud_validation': {'enabled': 'false'},
            'cluster_credentials': {'roles': 'member'},
            # The stand-in Cinder attaches no device: a node with a
            # volume gives up on it after this (300 s by default).
            'heat_driver': {'docker_volume_wait': '6'}}.items():
        config.setdefault(section, {}).update(options)
    magnum = services.Deployment(
        tmp_path_factory.mktemp('magnum-heat-swarm'), migrated_db_url,
        rabbit, config=config)
    magnum.start_or_explain()
    try:
        yield magnum
    finally:
        magnum.stop()


class Stage:
    """One project member calling the deployment; what the tests made."""

    def __init__(self, cloud, deployment, engine, workdir):
        self.cloud = cloud
        self.deployment = deployment
        self.engine = engine
        self.workdir = str(workdir)
        self.user = cloud.projects['a']['users']['member']
        self.session = cloud.session(self.user)
        self.url = deployment.url + '/v1'
        self.clusters = []
        self.templates = []
        self.state = {}

    def call(self, method, path, body=None, status=None):
        kwargs = {'json': body} if body is not None else {}
        response = self.session.request(
            self.url + path, method, raise_exc=False, connect_retries=2,
            headers={'OpenStack-API-Version': LATEST}, **kwargs)
        if status is not None:
            assert response.status_code == status, '%s %s -> %d %s\n%s' % (
                method, path, response.status_code, response.text,
                self.deployment.logs())
        return response

    def template(self, image, **fields):
        body = {'name': 'heat-swarm-%s' % os.urandom(3).hex(),
                'coe': 'swarm-mode', 'server_type': 'vm',
                'cluster_distro': 'debian', 'image_id': image,
                'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small',
                'master_lb_enabled': False, 'floating_ip_enabled': False,
                'labels': {'fixed_subnet_cidr': _cidr()}}
        body.update(fields)
        made = self.call('POST', '/clustertemplates', body, 201).json()
        self.templates.append(made['uuid'])
        return made

    def cluster(self, template, masters=1, workers=2):
        body = {'name': 'hs%s' % os.urandom(3).hex(),
                'cluster_template_id': template['uuid'],
                'master_count': masters, 'node_count': workers,
                'create_timeout': 10}
        made = self.call('POST', '/clusters', body, 202).json()
        self.clusters.append(made['uuid'])
        return made['uuid']

    def show(self, uuid):
        return self.call('GET', '/clusters/%s' % uuid, status=200).json()

    def wait(self, uuid, wanted, timeout=CLUSTER_TIMEOUT):
        """Until the cluster is ``wanted`` (or gone, for 'GONE'); fails
        at once on another terminal status, naming it and its reason."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.call('GET', '/clusters/%s' % uuid)
            if response.status_code == 404:
                if wanted == 'GONE':
                    return None
                pytest.fail('cluster %s is gone\n%s' % (
                    uuid, self.deployment.logs()), pytrace=False)
            cluster = response.json()
            if cluster['status'] == wanted:
                return cluster
            if cluster['status'] != wanted and (
                    cluster['status'].endswith('_FAILED') or
                    (wanted != 'GONE' and
                     cluster['status'].endswith('_COMPLETE'))):
                pytest.fail('cluster %s is %s (wanted %s): %s\n%s' % (
                    uuid, cluster['status'], wanted,
                    cluster['status_reason'], self.deployment.logs()),
                    pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail('cluster %s still %s after %ds (wanted %s): '
                            '%s\n%s' % (uuid, cluster['status'], timeout,
                                        wanted, cluster['status_reason'],
                                        self.deployment.logs()),
                            pytrace=False)
            time.sleep(1)

    def clean_up(self):
        problems = []
        for uuid in self.clusters:
            if self.call('GET', '/clusters/%s' % uuid).status_code == 404:
                continue
            self.call('DELETE', '/clusters/%s' % uuid)
            try:
                self.wait(uuid, 'GONE')
            except BaseException as error:  # report it, go on
                problems.append('cluster %s: %s' % (uuid, error))
        for uuid in self.templates:
            self.call('DELETE', '/clustertemplates/%s' % uuid)
        assert not problems, problems


@pytest.fixture(scope='module')
def stage(cloud, deployment, engine, tmp_path_factory):
    made = Stage(cloud, deployment, engine,
                 tmp_path_factory.mktemp('heat-swarm-client'))
    yield made
    made.clean_up()


def _cli_env(stage, region):
    env = stage.cloud.client_env(stage.user, region=region)
    env['SHELL'] = '/bin/bash'
    return env


def _docker_env(stage):
    return stage.state['docker_env']


def _docker(stage, *args, timeout=120):
    result = subprocess.run(['docker'] + [str(a) for a in args],
                            capture_output=True, text=True,
                            env=_docker_env(stage), timeout=timeout)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def _ready_hostnames(stage):
    out = _docker(stage, 'node', 'ls', '--format',
                  '{{.Hostname}} {{.Status}} {{.ManagerStatus}}')
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return sorted(row[0] for row in rows if row[1] == 'Ready')


def _wait_ready_count(stage, count, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        ready = _ready_hostnames(stage)
        if len(ready) == count:
            return ready
        assert time.monotonic() < deadline, ready
        time.sleep(1)


# -- the tests, in order ------------------------------------------------------

def test_create_builds_a_swarm(stage):
    template = stage.template(docker_engine.IMAGE)
    started = time.monotonic()
    uuid = stage.cluster(template, masters=1, workers=2)
    cluster = stage.wait(uuid, 'CREATE_COMPLETE')
    seconds = time.monotonic() - started
    print('heat swarm_vm 1+2: POST to CREATE_COMPLETE %.1f s' % seconds)
    stage.state.update(uuid=uuid, template=template, create_s=seconds)
    subnet = ipaddress.ip_network(template['labels']['fixed_subnet_cidr'])
    master = str(subnet.network_address + 10)
    assert cluster['api_address'] == 'tcp://%s:2376' % master
    assert cluster['master_addresses'] == [master]
    assert len(cluster['node_addresses']) == 2
    assert all(ipaddress.ip_address(a) in subnet
               for a in cluster['node_addresses'])
    conditions = {c['type']: c['status'] for c in cluster['conditions']}
    assert conditions.get('StackReady') == 'True', cluster['conditions']
    assert conditions.get('NodesReady') == 'True', cluster['conditions']


def test_cluster_config_then_docker_cli(stage):
    uuid = stage.state['uuid']
    with stage.cloud.magnum_region(stage.deployment.url) as region:
        result = subprocess.run(
            [OPENSTACK, 'coe', 'cluster', 'config', uuid, '--dir',
             stage.workdir, '--output-certs', '--force'],
            capture_output=True, text=True,
            timeout=120, env=_cli_env(stage, region))
    assert result.returncode == 0, (result.stdout, result.stderr)
    env = {k: v for k, v in os.environ.items() if not k.startswith('DOCKER')}
    for line in result.stdout.splitlines():
        if line.startswith('export '):
            key, _sep, value = line[len('export '):].partition('=')
            env[key] = shlex.split(value)[0] if value else ''
    assert env['DOCKER_HOST'] == stage.show(uuid)['api_address']
    assert env.get('DOCKER_TLS_VERIFY'), result.stdout
    stage.state['docker_env'] = env
    assert len(_ready_hostnames(stage)) == 3
    # A replicated service runs (its image imported into each node:
    # there is no registry).
    cluster = stage.show(uuid)
    image = os.path.join(stage.workdir, 'sleep.tar')
    with open(image, 'wb') as handle:
        handle.write(docker_engine.sleep_image())
    for address in cluster['master_addresses'] + cluster['node_addresses']:
        _docker(stage, '--host', 'tcp://%s:2376' % address, 'import', image,
                'local/sleep:1')
    # sleep as a container's first process ignores SIGTERM: a short
    # grace period, so that a drained node's task stops at once.
    _docker(stage, 'service', 'create', '--detach', '--name', 'sleeper',
            '--replicas', '3', '--stop-grace-period', '1s', 'local/sleep:1',
            '/bin/sleep', '3600')
    deadline = time.monotonic() + 60
    while True:
        states = _docker(stage, 'service', 'ps', 'sleeper', '--format',
                         '{{.CurrentState}}').split('\n')
        running = [s for s in states if s.startswith('Running')]
        if len(running) == 3:
            break
        assert time.monotonic() < deadline, states
        time.sleep(1)


def _stack_containers(engine, cluster):
    """The stand-in servers (containers) of the cluster's stack, by the
    label the stand-in gives them (the engine is shared: a container of
    someone else's may go between Docker's list and its details)."""
    label = '%s=%s' % (cloud_box.STANDIN_ROOT_STACK, cluster['cluster_id'])
    for _attempt in range(5):
        try:
            return engine.containers.list(all=True,
                                          filters={'label': label})
        except docker.errors.NotFound:
            time.sleep(0.5)
    return engine.containers.list(all=True, filters={'label': label})


def _server_containers(engine, cluster):
    """{host name: container} of the cluster's running servers (their
    host names are the server names)."""
    return {c.attrs['Config']['Hostname']: c
            for c in _stack_containers(engine, cluster)
            if c.status == 'running'}


def _address(container):
    networks = container.attrs['NetworkSettings']['Networks']
    assert len(networks) == 1, networks
    return list(networks.values())[0]['IPAddress']


def _swarm(stage):
    """``docker node ls`` as [{id, hostname, status, availability,
    manager, engine}]."""
    keys = ('id', 'hostname', 'status', 'availability', 'manager',
            'engine')
    out = _docker(stage, 'node', 'ls', '--format', '|'.join(
        '{{.%s}}' % f for f in ('ID', 'Hostname', 'Status', 'Availability',
                                'ManagerStatus', 'EngineVersion')))
    return [dict(zip(keys, line.split('|'))) for line in out.splitlines()
            if line.strip()]


def _running_tasks(stage, node_id):
    out = _docker(stage, 'node', 'ps', node_id, '--filter',
                  'desired-state=running', '--format', '{{.CurrentState}}')
    return len([line for line in out.splitlines()
                if line.startswith('Running')])


def _check_nodes(stage, engine):
    """GET .../nodes against the stand-in's servers and the swarm: one
    entry per server, with its name, nodegroup, role, address, Ready, its
    server id, engine version and running tasks."""
    uuid = stage.state['uuid']
    cluster = stage.show(uuid)
    listed = stage.call('GET', '/clusters/%s/nodes' % uuid,
                        status=200).json()['nodes']
    servers = _server_containers(engine, cluster)
    assert sorted(n['name'] for n in listed) == sorted(servers), (
        listed, sorted(servers))
    groups = {ng['name']: ng for ng in stage.call(
        'GET', '/clusters/%s/nodegroups' % uuid,
        status=200).json()['nodegroups']}
    swarm = {row['hostname']: row for row in _swarm(stage)}
    for node in listed:
        server = servers[node['name']]
        assert node['server_id'] == server.labels[cloud_box.STANDIN_SERVER]
        assert node['addresses'] == [_address(server)], node
        assert node['role'] == groups[node['nodegroup']]['role'], node
        assert node['addresses'][0] in cluster[
            'master_addresses' if node['role'] == 'master' else
            'node_addresses'], node
        assert (node['status'], node['status_reason']) == ('Ready', None)
        row = swarm[node['name']]
        assert node['engine_version'] == row['engine'], node
        assert node['running_tasks'] == _running_tasks(stage, row['id'])
    return listed


def test_nodes_list_one_entry_per_server(stage, engine):
    listed = _check_nodes(stage, engine)
    assert sorted((n['nodegroup'], n['role']) for n in listed) == [
        ('default-master', 'master'), ('default-worker', 'worker'),
        ('default-worker', 'worker')]
    # The service's three replicas are counted.
    assert sum(n['running_tasks'] for n in listed) == 3


def test_health_follows_the_swarm(stage):
    """The health pass (every 5 s here) asks the swarm through the
    manager's Docker API: HEALTHY, one Ready entry per node the swarm
    lists, no Heat read."""
    uuid = stage.state['uuid']
    deadline = time.monotonic() + 60
    while True:
        cluster = stage.show(uuid)
        if cluster['health_status'] == 'HEALTHY':
            break
        assert time.monotonic() < deadline, (
            cluster['health_status'], cluster['health_status_reason'])
        time.sleep(1)
    expected = {'%s.Ready' % row['hostname'].lower(): 'True'
                for row in _swarm(stage)}
    assert len(expected) == 3, expected
    assert cluster['health_status_reason'] == dict(expected, api='ok')


def _workers(stage):
    uuid = stage.state['uuid']
    nodegroups = stage.call('GET', '/clusters/%s/nodegroups' % uuid,
                            status=200).json()['nodegroups']
    return [ng for ng in nodegroups if ng['role'] != 'master' and
            ng['is_default']][0]


def test_resize_up_then_down_with_nodes_to_remove(stage, engine):
    uuid = stage.state['uuid']
    worker = _workers(stage)
    stage.call('POST', '/clusters/%s/actions/resize' % uuid,
               {'node_count': 3, 'nodegroup': worker['uuid']}, 202)
    cluster = stage.wait(uuid, 'UPDATE_COMPLETE')
    assert len(cluster['node_addresses']) == 3
    ready = _wait_ready_count(stage, 4)
    assert len(_check_nodes(stage, engine)) == 4
    # Remove the worker named ...-1 (a server name, as `docker node ls`
    # shows it).
    victim = [h for h in ready if h.endswith('default-worker-1')][0]
    stage.call('POST', '/clusters/%s/actions/resize' % uuid,
               {'node_count': 2, 'nodegroup': worker['uuid'],
                'nodes_to_remove': [victim]}, 202)
    cluster = stage.wait(uuid, 'UPDATE_COMPLETE')
    assert len(cluster['node_addresses']) == 2
    ready = _wait_ready_count(stage, 3)
    assert victim not in ready
    # The other two workers stayed.
    assert sorted(h.rsplit('-', 1)[1] for h in ready
                  if '-default-worker-' in h) == ['0', '2'], ready
    assert sorted(n['name'] for n in _check_nodes(stage, engine)) == ready


def _wait_nodegroup(stage, uuid, name, wanted, timeout=CLUSTER_TIMEOUT):
    """Until the nodegroup is ``wanted`` (or gone, for 'GONE'): the
    cluster keeps its last status until the conductor takes the request
    up, so the nodegroup's own status is what to wait on."""
    deadline = time.monotonic() + timeout
    while True:
        response = stage.call('GET', '/clusters/%s/nodegroups/%s' % (
            uuid, name))
        if response.status_code == 404 and wanted == 'GONE':
            return None
        if response.status_code == 200:
            nodegroup = response.json()
            if nodegroup['status'] == wanted:
                return nodegroup
            assert not nodegroup['status'].endswith('_FAILED'), (
                nodegroup, stage.show(uuid)['status_reason'])
        assert time.monotonic() < deadline, (response.text,
                                             stage.deployment.logs())
        time.sleep(1)


def test_nodegroup_add_and_delete(stage):
    uuid = stage.state['uuid']
    stage.call('POST', '/clusters/%s/nodegroups' % uuid,
               {'name': 'extra', 'node_count': 1, 'role': 'extra'}, 202)
    extra = _wait_nodegroup(stage, uuid, 'extra', 'CREATE_COMPLETE')
    assert stage.show(uuid)['status'] == 'UPDATE_COMPLETE'
    assert len(extra['node_addresses']) == 1
    ready = _wait_ready_count(stage, 4)
    labelled = _docker(stage, 'node', 'ls', '--filter',
                       'node.label=magnum.role=extra', '--format',
                       '{{.Hostname}}').split()
    assert len(labelled) == 1 and labelled[0] in ready
    stage.call('DELETE', '/clusters/%s/nodegroups/extra' % uuid,
               status=204)
    _wait_nodegroup(stage, uuid, 'extra', 'GONE')
    stage.wait(uuid, 'UPDATE_COMPLETE')
    _wait_ready_count(stage, 3)


@pytest.fixture(scope='module')
def upgrade_image(engine):
    """The node image under a second tag: the upgrade's "new" image, so
    that its servers are rebuilt (one tag per module run)."""
    repository, _sep, tag = docker_engine.IMAGE.rpartition(':')
    new_tag = '%s-u%s' % (tag, os.urandom(3).hex())
    engine.images.get(docker_engine.IMAGE).tag(repository, new_tag)
    name = '%s:%s' % (repository, new_tag)
    yield name
    try:
        engine.images.remove(name)  # the tag only: the image keeps its own
    except docker.errors.DockerException as error:
        print('could not remove the tag %s: %s' % (name, error))


def _upgrade(stage, template, nodegroup, batch):
    uuid = stage.state['uuid']
    started = time.monotonic()
    stage.call('POST', '/clusters/%s/actions/upgrade' % uuid,
               {'cluster_template': template['uuid'],
                'max_batch_size': batch, 'nodegroup': nodegroup}, 202)
    assert stage.show(uuid)['status'] == 'UPDATE_IN_PROGRESS'
    cluster = stage.wait(uuid, 'UPDATE_COMPLETE')
    return cluster, time.monotonic() - started


def _swarm_is_whole(stage, servers):
    """Each server once in ``docker node ls``, Ready and active; the
    master the only manager (no stale entry, no worker left a manager).
    """
    rows = _swarm(stage)
    assert sorted(r['hostname'] for r in rows) == sorted(servers), rows
    assert all((r['status'], r['availability']) == ('Ready', 'Active')
               for r in rows), rows
    managers = [r['hostname'] for r in rows if r['manager']]
    assert managers == [h for h in servers if '-default-master-' in h], \
        rows
    labels = _docker(stage, 'node', 'inspect', '--format',
                     '{{json .Spec.Labels}}', *[r['id'] for r in rows])
    assert 'magnum.upgrade' not in labels, labels


def _wait_replicas(stage, service, count, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        states = _docker(stage, 'service', 'ps', service, '--filter',
                         'desired-state=running', '--format',
                         '{{.CurrentState}}').splitlines()
        if len([s for s in states if s.startswith('Running')]) == count:
            return
        assert time.monotonic() < deadline, states
        time.sleep(1)


def test_upgrade_rebuilds_workers_then_the_only_master(stage, engine,
                                                      upgrade_image):
    uuid = stage.state['uuid']
    before = stage.show(uuid)
    old = _server_containers(engine, before)
    assert len(old) == 3
    template = stage.template(upgrade_image,
                              labels=stage.state['template']['labels'])

    # The workers (the default nodegroup), two at a time.
    cluster, workers_s = _upgrade(stage, template, 'default-worker', 2)
    print('heat swarm_vm: upgrade of 2 workers, batch 2: %.1f s' %
          workers_s)
    assert cluster['cluster_template_id'] == template['uuid']
    now = _server_containers(engine, cluster)
    assert sorted(now) == sorted(old)
    for host, container in now.items():
        if '-default-worker-' in host:
            assert container.id != old[host].id, host
            assert upgrade_image in container.image.tags, host
        else:
            assert container.id == old[host].id, host
        assert _address(container) == _address(old[host]), host
    _swarm_is_whole(stage, list(now))
    groups = {ng['name']: ng['image_id'] for ng in stage.call(
        'GET', '/clusters/%s/nodegroups' % uuid,
        status=200).json()['nodegroups']}
    assert groups == {'default-master': docker_engine.IMAGE,
                      'default-worker': upgrade_image}

    # The only master: workers hold the swarm as managers meanwhile.
    cluster, master_s = _upgrade(stage, template, 'default-master', 1)
    print('heat swarm_vm: upgrade of the only master: %.1f s' % master_s)
    stage.state['upgrade_s'] = (workers_s, master_s)
    final = _server_containers(engine, cluster)
    assert sorted(final) == sorted(old)
    for host, container in final.items():
        assert container.id != old[host].id, host
        assert upgrade_image in container.image.tags, host
        assert _address(container) == _address(old[host]), host
    for key in ('api_address', 'master_addresses', 'node_addresses'):
        assert cluster[key] == before[key], key
    _swarm_is_whole(stage, list(final))
    # The service made before the upgrade is still there (the swarm's
    # state survived its only manager's rebuild); the rebuilt nodes
    # need its image again (there is no registry) to run it.
    image = os.path.join(stage.workdir, 'sleep.tar')
    for address in cluster['master_addresses'] + cluster['node_addresses']:
        _docker(stage, '--host', 'tcp://%s:2376' % address, 'import', image,
                'local/sleep:1')
    _wait_replicas(stage, 'sleeper', 3)
    assert sum(n['running_tasks'] for n in _check_nodes(stage, engine)) \
        == 3


def _servers(engine, cluster):
    """The names of the cluster's stand-in servers (containers)."""
    return [c.name for c in _stack_containers(engine, cluster)]


def test_delete_removes_the_stack_and_its_servers(stage, engine):
    uuid = stage.state['uuid']
    cluster = stage.show(uuid)
    assert len(_servers(engine, cluster)) == 3
    stage.call('DELETE', '/clusters/%s' % uuid, status=204)
    stage.wait(uuid, 'GONE')
    assert _servers(engine, cluster) == []


def test_missing_image_fails_naming_the_server(stage):
    template = stage.template('magnum/no-such-image:1')
    uuid = stage.cluster(template, masters=1, workers=1)
    cluster = stage.wait(uuid, 'CREATE_FAILED')
    reason = cluster['status_reason']
    # The server that failed, under its nodegroup and member (the
    # masters': the workers wait for them), and its own message from
    # Heat (here the stand-in's), not the copies its parents carry.
    assert reason.startswith(
        'Resource ng_default-master/0/server (OS::Nova::Server) '
        "CREATE_FAILED: image 'magnum/no-such-image:1' is not in the "
        "test cloud's Docker engine"), reason
    stage.call('DELETE', '/clusters/%s' % uuid, status=204)
    stage.wait(uuid, 'GONE')



def _resource(stage, stack, name):
    """A resource of a stack (by the stack's name or id)."""
    heat = stage.cloud.heat(stage.user)
    found = heat.get(stack)
    assert found, 'no stack %s' % stack
    url = '%s/stacks/%s/%s/resources/%s' % (
        heat.url, found['stack_name'], found['id'], name)
    return heat.session.get(url).json()['resource']


def test_docker_volume_without_a_device_fails_naming_the_volume(stage):
    template = stage.template(docker_engine.IMAGE, docker_volume_size=1)
    uuid = stage.cluster(template, masters=1, workers=1)
    cluster = stage.wait(uuid, 'CREATE_FAILED')
    reason = cluster['status_reason']
    assert reason.startswith(
        'Resource ng_default-master/0/server (OS::Nova::Server) '
        'CREATE_FAILED: user data exited with status 1'), reason
    # The id Heat gave the master's own volume reached its user data.
    stack = heat_driver.stack_name(types.SimpleNamespace(
        name=cluster['name'], uuid=cluster['uuid']))
    nodegroups = stage.call('GET', '/clusters/%s/nodegroups' % uuid,
                            status=200).json()['nodegroups']
    (master,) = [ng for ng in nodegroups if ng['role'] == 'master']
    group = _resource(stage, stack, 'ng_%s' % master['uuid'].replace(
        '-', ''))['physical_resource_id']
    members = _resource(stage, group, 'nodes')['physical_resource_id']
    node = _resource(stage, members, '0')['physical_resource_id']
    volume = _resource(stage, node, 'docker_volume')['physical_resource_id']
    assert ('magnum: the Cinder volume %s (docker_volume_size) for '
            '/var/lib/docker did not appear as /dev/disk/by-id/virtio-%s'
            % (volume, volume[:20])) in reason, reason
    stage.call('DELETE', '/clusters/%s' % uuid, status=204)
    stage.wait(uuid, 'GONE')
