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

"""The local Docker driver against a real Docker engine.

The driver's methods are called the way the conductor calls them (its
handlers and its status sync), with real objects in a real database and
real node containers in the private engine of ``tools/docker-engine.sh``:
a cluster is created, used over TLS with Magnum's client certificate,
resized up and down (with ``nodes_to_remove``), found UNHEALTHY when a node
stops and repaired, upgraded batch by batch, and deleted without leaving a
container, network or volume behind. Failures end with reasons a person
can act on.

Needs root and the private engine (started here, with the node image built
when missing); without them the tests skip, under ``CI=true`` they fail.
Run them alone with::

    python -m pytest -q -s magnum/tests/functional/test_local_driver.py
"""

import contextlib
import re
import socket
import time
import uuid

import docker
import docker.errors
import docker.tls
import docker.types
import pytest

from magnum import objects
from magnum.common import certificates
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.drivers.local import driver as local_driver
from magnum.drivers.local import membership
from magnum.drivers.local import nodes
from magnum.drivers.local import work
from magnum.objects import fields
from magnum.tests.functional import docker_engine

IMAGE = docker_engine.IMAGE
# The upgrade's "new" image: the same image under another tag, one per test
# process (parallel workers share the engine).
UPGRADE_IMAGE = 'magnum/swarm-node:local-driver-test-%s' % uuid.uuid4().hex[:8]

STATUS = fields.ClusterStatus
HEALTH = fields.ClusterHealthStatus







@pytest.fixture(scope='module')
def docker_host():
    """The private engine's URL, with the node image (and its upgrade
    tag) in it."""
    url = docker_engine.engine_url()
    client = docker.DockerClient(base_url=url, version='auto', timeout=60)
    repository, _sep, tag = UPGRADE_IMAGE.rpartition(':')
    client.images.get(IMAGE).tag(repository, tag)
    yield url
    with contextlib.suppress(docker.errors.DockerException):
        client.images.remove(UPGRADE_IMAGE)
    client.close()


@pytest.fixture
def engine(docker_host):
    client = docker.DockerClient(base_url=docker_host, version='auto',
                                 timeout=60)
    yield client
    client.close()


@pytest.fixture
def context():
    return magnum_context.make_context(project_id='local-driver-test',
                                       user_id='tester', roles=['member'])


@pytest.fixture
def local(docker_host, dbapi, magnum_config, engine, context):
    """The driver on the private engine; every container, network and
    volume of the clusters made is removed afterwards, whatever
    happened."""
    magnum_config.config(group='local_driver', docker_host=docker_host,
                         name_prefix='mt%s' % uuid.uuid4().hex[:4],
                         node_ready_timeout=90, drain_timeout=10)
    driver = local_driver.LocalSwarmDriver()
    driver.name = 'local_swarm'
    made = []
    yield Harness(driver, context, made)
    for cluster_uuid in made:
        label = {'label': '%s=%s' % (nodes.LABEL_CLUSTER, cluster_uuid)}
        for container in engine.containers.list(all=True, filters=label):
            container.remove(force=True, v=True)
        for network in engine.networks.list(filters=label):
            network.remove()
        for volume in engine.volumes.list(filters=label):
            volume.remove(force=True)


class Harness:
    """Clusters made with real objects, and the calls the conductor
    makes."""

    def __init__(self, driver, context, made):
        self.driver = driver
        self.context = context
        self.made = made

    def template(self, image=IMAGE, **values):
        template = objects.ClusterTemplate(
            self.context, uuid=str(uuid.uuid4()), name='local-%s' % image,
            project_id=self.context.project_id,
            user_id=self.context.user_id, image_id=image,
            coe='swarm-mode', server_type='container',
            flavor_id='m1.small', master_flavor_id='m1.small',
            labels=values.pop('labels', {}), tls_disabled=False,
            master_lb_enabled=values.pop('master_lb_enabled', False),
            **values)
        checked = {'image_id': image, 'coe': 'swarm-mode',
                   'server_type': 'container', 'labels': template.labels}
        self.driver.validate_cluster_template(self.context, checked)
        template.cluster_distro = checked['cluster_distro']
        template.create()
        return template

    def cluster(self, template, masters=1, workers=1, labels=None,
                master_lb_enabled=None):
        cluster_uuid = str(uuid.uuid4())
        lb = template.master_lb_enabled if master_lb_enabled is None \
            else master_lb_enabled
        cluster = objects.Cluster(
            self.context, uuid=cluster_uuid,
            name='lt-%s' % cluster_uuid[:6],
            project_id=self.context.project_id,
            user_id=self.context.user_id,
            cluster_template_id=template.uuid, labels=labels or {},
            master_flavor_id='m1.small', flavor_id='m1.small',
            status=STATUS.CREATE_IN_PROGRESS, create_timeout=10,
            master_lb_enabled=lb, floating_ip_enabled=False)
        common = {'is_default': True, 'status': STATUS.CREATE_IN_PROGRESS,
                  'image_id': template.image_id, 'labels': labels or {},
                  'node_addresses': []}
        cluster.create(nodegroups=[
            dict(common, name='default-master', role='master',
                 node_count=masters, flavor_id='m1.small'),
            dict(common, name='default-worker', role='worker',
                 node_count=workers, flavor_id='m1.small')])
        self.made.append(cluster.uuid)
        return self.reload(cluster)

    @staticmethod
    def reload(cluster):
        return objects.Cluster.get_by_uuid(
            magnum_context.get_admin_context(), cluster.uuid)

    def sync(self, cluster):
        """One status sync of the cluster (what the reconcile loop does
        under the lock); the reloaded cluster."""
        self.driver.update_cluster_status(self.context, self.reload(cluster))
        return self.reload(cluster)

    def create(self, cluster):
        """What the create handler does; seconds until CREATE_COMPLETE."""
        started = time.monotonic()
        certificates.generate_certificates_to_cluster(self.context, cluster)
        cluster.save()
        self.driver.create_cluster(self.context, cluster, 10)
        cluster.save()
        cluster = self.sync(cluster)
        assert cluster.status == STATUS.CREATE_COMPLETE, \
            cluster.status_reason
        return time.monotonic() - started

    def resize(self, cluster, node_count, nodes_to_remove=(),
               nodegroup=None):
        """What the resize handler does, then the status sync."""
        cluster = self.reload(cluster)
        target = nodegroup or cluster.default_ng_worker
        target = objects.NodeGroup.get_by_uuid(
            self.context, cluster.uuid, target.uuid)
        cluster.status = STATUS.UPDATE_IN_PROGRESS
        cluster.save()
        target.node_count = node_count
        target.status = STATUS.UPDATE_IN_PROGRESS
        target.save()
        self.driver.resize_cluster(self.context, cluster, None, node_count,
                                   list(nodes_to_remove), target)
        cluster.save()
        cluster = self.sync(cluster)
        assert cluster.status == STATUS.UPDATE_COMPLETE, \
            cluster.status_reason
        return cluster

    def upgrade(self, cluster, template, nodegroup, batch):
        """What the upgrade handler does, then status syncs until the
        upgrade is done; the number of syncs it took."""
        cluster = self.reload(cluster)
        self.driver.upgrade_cluster(self.context, cluster, template, batch,
                                    nodegroup)
        cluster.status = STATUS.UPDATE_IN_PROGRESS
        cluster.save()
        nodegroup.status = STATUS.UPDATE_IN_PROGRESS
        nodegroup.save()
        for syncs in range(1, 20):
            cluster = self.sync(cluster)
            if cluster.status != STATUS.UPDATE_IN_PROGRESS:
                break
        assert cluster.status == STATUS.UPDATE_COMPLETE, \
            cluster.status_reason
        return syncs

    def delete(self, cluster):
        """What the delete handler does, then the status sync; seconds."""
        started = time.monotonic()
        cluster = self.reload(cluster)
        cluster.status = STATUS.DELETE_IN_PROGRESS
        cluster.save()
        self.driver.delete_cluster(self.context, cluster)
        cluster.save()
        cluster = self.sync(cluster)
        assert cluster.status == STATUS.DELETE_COMPLETE, \
            cluster.status_reason
        return time.monotonic() - started

    def swarm_client(self, cluster, tmp_path):
        """A docker client of the cluster API with Magnum's client
        certificate, trusting only the cluster CA."""
        return _tls_client(cluster.api_address, self.tls(cluster, tmp_path))

    def tls(self, cluster, tmp_path):
        ca = certificates.get_ca_certificate(self.context, cluster)
        cert, key = certificates.get_cluster_magnum_cert(self.context,
                                                         cluster)
        paths = {}
        for name, text in (('ca.pem', ca), ('cert.pem', cert),
                           ('key.pem', key)):
            paths[name] = str(tmp_path / ('%s-%s' % (cluster.uuid[:8],
                                                     name)))
            with open(paths[name], 'w') as handle:
                handle.write(text)
        return docker.tls.TLSConfig(
            ca_cert=paths['ca.pem'], verify=True,
            client_cert=(paths['cert.pem'], paths['key.pem']))


def _tls_client(url, tls):
    """A docker client of ``url`` speaking its API version. Not
    version="auto": that asks the server before trust_env can be turned
    off, and REQUESTS_CA_BUNDLE (set on these machines) would then replace
    the cluster CA."""
    def make(version):
        client = docker.DockerClient(base_url=url, tls=tls, version=version,
                                     timeout=30)
        client.api.trust_env = False
        return client

    probe = make('1.24')
    version = probe.api.version(api_version=False)['ApiVersion']
    probe.close()
    return make(version)


def _swarm(client):
    """{hostname: (state, role, availability)} of the swarm's nodes."""
    return {n.attrs['Description']['Hostname']: (
        n.attrs['Status']['State'], n.attrs['Spec']['Role'],
        n.attrs['Spec']['Availability']) for n in client.nodes.list()}






def _node_containers(engine, cluster_uuid, role=None):
    filters = ['%s=%s' % (nodes.LABEL_CLUSTER, cluster_uuid)]
    if role:
        filters.append('%s=%s' % (nodes.LABEL_ROLE, role))
    return sorted(engine.containers.list(all=True,
                                         filters={'label': filters}),
                  key=lambda c: c.name)


def test_cluster_lifecycle(local, engine, tmp_path):
    template = local.template()
    assert template.cluster_distro == 'debian'
    cluster = local.cluster(template, masters=1, workers=1,
                            labels={'purpose': 'test'})
    timings = {'create 1+1': local.create(cluster)}
    cluster = local.reload(cluster)
    master, worker = cluster.default_ng_master, cluster.default_ng_worker
    assert master.status == worker.status == STATUS.CREATE_COMPLETE
    assert re.match(r'^tcp://127\.0\.0\.1:\d+$', cluster.api_address)
    image_version = engine.images.get(IMAGE).labels[
        nodes.IMAGE_DOCKER_VERSION]
    assert cluster.coe_version.startswith(image_version)
    assert cluster.container_version == cluster.coe_version
    assert len(cluster.master_addresses) == 1
    assert len(cluster.node_addresses) == 1
    assert cluster.stack_id == nodes.cluster_prefix(cluster.uuid)

    # The cluster API: a swarm of two Ready nodes, the worker labelled.
    client = local.swarm_client(cluster, tmp_path)
    names = [c.name for c in _node_containers(engine, cluster.uuid)]
    assert _swarm(client) == {
        names[0]: ('ready', 'manager', 'active'),
        names[1]: ('ready', 'worker', 'active')}
    labels = {n.attrs['Description']['Hostname']: n.attrs['Spec']['Labels']
              for n in client.nodes.list()}
    assert labels[names[1]]['purpose'] == 'test'
    assert labels[names[1]][nodes.LABEL_NODEGROUP_NAME] == 'default-worker'
    # A service runs on it (its image imported into each node: there is
    # no registry).
    image = docker_engine.sleep_image()
    for address in cluster.master_addresses + cluster.node_addresses:
        node = _tls_client('tcp://%s:2376' % address,
                           local.tls(cluster, tmp_path))
        node.api.import_image_from_data(image, repository='local/sleep',
                                        tag='1')
        node.close()
    client.services.create('local/sleep:1', command=['/bin/sleep', '3600'],
                           name='sleeper',
                           mode=docker.types.ServiceMode('replicated', 2))
    deadline = time.monotonic() + 60
    while True:
        states = [t['Status']['State'] for t in
                  client.services.get('sleeper').tasks(
                      filters={'desired-state': 'running'})]
        if states == ['running', 'running']:
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.5)
    monitor = local.driver.get_monitor(local.context, cluster)
    assert monitor.poll_health_status() == (HEALTH.HEALTHY, {
        '%s.Ready' % names[0]: 'True', '%s.Ready' % names[1]: 'True',
        'api': 'ok'})

    # Resize up to two workers, then back to one removing the first.
    started = time.monotonic()
    cluster = local.resize(cluster, 2)
    timings['resize 1+1 -> 1+2'] = time.monotonic() - started
    workers = [c.name for c in _node_containers(engine, cluster.uuid,
                                                nodes.ROLE_WORKER)]
    assert len(workers) == 2
    assert len(cluster.node_addresses) == 2
    assert sorted(_swarm(client)) == sorted(names[:1] + workers)
    with pytest.raises(exception.InvalidParameterValue,
                       match='nodes_to_remove: nope is not a node of '
                       'nodegroup default-worker'):
        local.driver.resize_cluster(local.context, cluster, None, 1,
                                    ['nope'], cluster.default_ng_worker)
    # A node named by its swarm node id, as "docker node ls" shows it.
    swarm_id = next(n.id for n in client.nodes.list()
                    if n.attrs['Description']['Hostname'] == workers[0])
    started = time.monotonic()
    cluster = local.resize(cluster, 1, nodes_to_remove=[swarm_id])
    timings['resize 1+2 -> 1+1'] = time.monotonic() - started
    assert [c.name for c in _node_containers(
        engine, cluster.uuid, nodes.ROLE_WORKER)] == workers[1:]
    assert sorted(_swarm(client)) == sorted(names[:1] + workers[1:])

    # A stopped node: UNHEALTHY naming it; an update repairs it.
    stopped = engine.containers.get(workers[1])
    stopped.stop(timeout=1)
    status, reason = monitor.poll_health_status()
    assert status == HEALTH.UNHEALTHY
    assert reason['%s.Ready' % workers[1]] == 'False'
    assert reason['%s.Ready' % names[0]] == 'True'
    cluster.status = STATUS.UPDATE_IN_PROGRESS
    cluster.save()
    local.driver.update_cluster(local.context, cluster)
    cluster = local.sync(cluster)
    assert cluster.status == STATUS.UPDATE_COMPLETE, cluster.status_reason
    assert monitor.poll_health_status()[0] == HEALTH.HEALTHY

    # Upgrade the workers, then the manager, to the "new" image.
    new_template = local.template(image=UPGRADE_IMAGE)
    started = time.monotonic()
    local.upgrade(cluster, new_template, cluster.default_ng_worker, 1)
    local.upgrade(cluster, new_template, cluster.default_ng_master, 1)
    timings['upgrade 1+1'] = time.monotonic() - started
    cluster = local.reload(cluster)
    assert cluster.cluster_template_id == new_template.uuid
    images = {c.labels[nodes.LABEL_IMAGE] for c in _node_containers(
        engine, cluster.uuid) if c.labels[nodes.LABEL_ROLE] != nodes.ROLE_LB}
    assert images == {UPGRADE_IMAGE}
    client.close()
    # Without a load balancer the new manager publishes its own port.
    client = local.swarm_client(cluster, tmp_path)
    swarm_now = _swarm(client)
    assert len(swarm_now) == 2
    assert all(state == 'ready' for state, _r, _a in swarm_now.values())
    client.close()

    timings['delete 1+1'] = local.delete(cluster)
    assert docker_engine.leftovers(engine, cluster.uuid) == []
    print('\n' + ', '.join('%s %.1f s' % item for item in timings.items()))


def test_managers_behind_a_load_balancer(local, engine, tmp_path):
    template = local.template(master_lb_enabled=True)
    cluster = local.cluster(template, masters=3, workers=1)
    seconds = local.create(cluster)
    cluster = local.reload(cluster)
    lb = _node_containers(engine, cluster.uuid, nodes.ROLE_LB)
    assert len(lb) == 1
    published = lb[0].attrs['HostConfig']['PortBindings']['2376/tcp'][0]
    assert cluster.api_address.endswith(':%s' % published['HostPort'])
    client = local.swarm_client(cluster, tmp_path)
    roles = sorted(role for _s, role, _a in _swarm(client).values())
    assert roles == ['manager', 'manager', 'manager', 'worker']

    # Replacing the managers one by one keeps the API (and its address).
    address = cluster.api_address
    new_template = local.template(image=UPGRADE_IMAGE,
                                  master_lb_enabled=True)
    started = time.monotonic()
    syncs = local.upgrade(cluster, new_template, cluster.default_ng_master, 3)
    upgraded = time.monotonic() - started
    cluster = local.reload(cluster)
    assert cluster.api_address == address
    assert syncs >= 3  # one manager per pass whatever the batch size
    managers = _node_containers(engine, cluster.uuid, nodes.ROLE_MASTER)
    assert {c.labels[nodes.LABEL_IMAGE] for c in managers} == {
        UPGRADE_IMAGE}
    client.close()
    client = local.swarm_client(cluster, tmp_path)
    swarm_now = _swarm(client)
    assert sorted(swarm_now) == sorted(
        c.name for c in _node_containers(engine, cluster.uuid)
        if c.labels[nodes.LABEL_ROLE] != nodes.ROLE_LB)
    assert all(s == 'ready' for s, _r, _a in swarm_now.values())
    client.close()
    deleted = local.delete(cluster)
    assert docker_engine.leftovers(engine, cluster.uuid) == []
    print('\ncreate 3+1 with LB %.1f s, upgrade of 3 managers %.1f s, '
          'delete %.1f s' % (seconds, upgraded, deleted))


def test_nodegroups_become_swarm_node_labels(local, engine, tmp_path):
    template = local.template()
    cluster = local.cluster(template, masters=1, workers=0)
    local.create(cluster)
    cluster = local.reload(cluster)
    nodegroup = objects.NodeGroup(
        local.context, uuid=str(uuid.uuid4()), name='gpu',
        cluster_id=cluster.uuid, project_id=cluster.project_id,
        role='worker', node_count=2, min_node_count=0, is_default=False,
        image_id=IMAGE, flavor_id='m1.tiny', labels={'accelerator': 'gpu'},
        node_addresses=[], status=STATUS.CREATE_IN_PROGRESS)
    nodegroup.create()
    cluster.status = STATUS.UPDATE_IN_PROGRESS
    cluster.save()
    local.driver.create_nodegroup(local.context, cluster, nodegroup)
    cluster = local.sync(cluster)
    assert cluster.status == STATUS.UPDATE_COMPLETE, cluster.status_reason
    nodegroup.refresh()
    assert nodegroup.status == STATUS.CREATE_COMPLETE
    assert len(nodegroup.node_addresses) == 2
    client = local.swarm_client(cluster, tmp_path)
    labelled = {n.attrs['Description']['Hostname']: n.attrs['Spec']['Labels']
                for n in client.nodes.list()}
    gpu_nodes = [name for name, labels in labelled.items()
                 if labels.get('accelerator') == 'gpu']
    assert sorted(gpu_nodes) == ['%s-gpu-0' % nodes.cluster_prefix(
        cluster.uuid), '%s-gpu-1' % nodes.cluster_prefix(cluster.uuid)]
    # The flavor's limits apply to the node containers.
    container = engine.containers.get(gpu_nodes[0])
    assert container.attrs['HostConfig']['Memory'] == 512 * 1024 * 1024

    nodegroup.status = STATUS.DELETE_IN_PROGRESS
    nodegroup.save()
    cluster.status = STATUS.UPDATE_IN_PROGRESS
    cluster.save()
    local.driver.delete_nodegroup(local.context, cluster, nodegroup)
    cluster = local.sync(cluster)
    assert cluster.status == STATUS.UPDATE_COMPLETE, cluster.status_reason
    with pytest.raises(exception.NodeGroupNotFound):
        nodegroup.refresh()
    assert len(_swarm(client)) == 1
    client.close()
    local.delete(cluster)
    assert docker_engine.leftovers(engine, cluster.uuid) == []


def test_interrupted_create_is_resumed(local, engine, monkeypatch):
    template = local.template()
    cluster = local.cluster(template, masters=1, workers=2)
    certificates.generate_certificates_to_cluster(local.context, cluster)
    cluster.save()

    def conductor_dies(*args, **kwargs):
        raise KeyboardInterrupt('the conductor stops')

    # The conductor dies once the containers run, before the swarm forms.
    with monkeypatch.context() as patch:
        patch.setattr(membership, 'form_swarm', conductor_dies)
        with pytest.raises(KeyboardInterrupt):
            local.driver.create_cluster(local.context, cluster, 10)
    assert len(_node_containers(engine, cluster.uuid)) == 3
    cluster = local.reload(cluster)
    assert cluster.status == STATUS.CREATE_IN_PROGRESS
    # Another conductor finds the lock expired and resumes the create.
    assert local.driver.resume_operation(local.context, cluster, 'create')
    cluster = local.sync(cluster)
    assert cluster.status == STATUS.CREATE_COMPLETE, cluster.status_reason
    assert len(cluster.node_addresses) == 2
    local.delete(cluster)
    assert docker_engine.leftovers(engine, cluster.uuid) == []


def test_missing_image_is_refused(local):
    with pytest.raises(exception.ImageNotFound):
        local.driver.validate_cluster_template(local.context, {
            'image_id': 'magnum/no-such-image:1', 'coe': 'swarm-mode',
            'server_type': 'container'})


def test_taken_port_fails_the_create_and_delete_cleans_up(local, engine):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        template = local.template()
        cluster = local.cluster(template, labels={'api_port': str(port)})
        certificates.generate_certificates_to_cluster(local.context,
                                                      cluster)
        cluster.save()
        with pytest.raises(work.LocalDriverError,
                           match='Port %d on 127.0.0.1, asked for by the '
                           'api_port label, is already in use' % port):
            local.driver.create_cluster(local.context, cluster, 10)
    cluster = local.reload(cluster)
    assert cluster.default_ng_master.status == STATUS.CREATE_FAILED
    # the network was made
    assert docker_engine.leftovers(engine, cluster.uuid)
    local.delete(cluster)
    assert docker_engine.leftovers(engine, cluster.uuid) == []


def test_node_that_never_answers_fails_with_its_name(local, engine,
                                                     magnum_config):
    # dockerd refuses to start with an insecure registry that is no
    # registry: the node never answers.
    template = local.template(insecure_registry='999.1.1.1/99')
    cluster = local.cluster(template, workers=0)
    certificates.generate_certificates_to_cluster(local.context, cluster)
    cluster.save()
    name = '%s-master-0' % nodes.cluster_prefix(cluster.uuid)
    started = time.monotonic()
    with pytest.raises(work.LocalDriverError,
                       match='dockerd of %s did not start: its container is '
                       'exited .*insecure registry 999.1.1.1/99 is not '
                       'valid' % name):
        local.driver.create_cluster(local.context, cluster, 10)
    assert time.monotonic() - started < 30  # not node_ready_timeout (90)
    local.delete(cluster)
    assert docker_engine.leftovers(engine, cluster.uuid) == []


def test_engine_unreachable(local, magnum_config, tmp_path):
    template = local.template()
    cluster = local.cluster(template)
    certificates.generate_certificates_to_cluster(local.context, cluster)
    cluster.save()
    magnum_config.config(group='local_driver',
                         docker_host='unix://%s/none.sock' % tmp_path)
    with pytest.raises(work.LocalDriverError,
                       match='cannot be reached'):
        local.driver.create_cluster(local.context, cluster, 10)
