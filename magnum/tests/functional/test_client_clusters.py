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


"""python-magnumclient (`openstack coe ...`) and openstacksdk against a
real magnum-api and magnum-conductor on RabbitMQ and MariaDB, building a
real swarm-mode cluster with the local Docker driver.

One deployment and one cluster (1 manager + 1 worker) serve the module. The
tests run in file order and each goes on from where the previous one left
the cluster: templates, create, show, update, resize up and down naming a
node, nodegroups, upgrade, certificates and credentials, quotas, stats,
services, openstacksdk, delete. What the client prints is asserted as
printed. Whatever happens, every cluster, template, quota and container the
module made is removed at the end.

Needs root and the private engine of ``tools/docker-engine.sh`` (started
here, with the node image built when missing); without them the tests
skip, under ``CI=true`` they fail. Run them alone with::

    python -m pytest -q magnum/tests/functional/test_client_clusters.py
"""

import concurrent.futures
import datetime
import json
import os
import re
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID
import docker
import docker.errors
import docker.models.containers
import docker.tls
import openstack
import pytest
import requests.exceptions

from magnum.drivers.local import nodes
from magnum.tests.functional import client_stage
from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

IMAGE = docker_engine.IMAGE
CLUSTER_TIMEOUT = client_stage.CLUSTER_TIMEOUT
UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
COMPLETE = ('CREATE_COMPLETE', 'UPDATE_COMPLETE')

# The template with (nearly) every option the client has; ct-main is the
# one the cluster is made from, ct-next the upgrade's target.
FULL_TEMPLATE = [
    '--coe', 'swarm-mode', '--server-type', 'container', '--image', IMAGE,
    '--driver', 'local_swarm', '--external-network', 'host',
    '--keypair', 'kp', '--flavor', 'm1.small', '--master-flavor', 'm1.tiny',
    '--dns-nameserver', '1.1.1.1,9.9.9.9', '--docker-volume-size', 3,
    '--docker-storage-driver', 'overlay2', '--network-driver', 'docker',
    '--volume-driver', 'local', '--http-proxy', 'http://proxy.test:3128',
    '--https-proxy', 'http://proxy.test:3129',
    '--no-proxy', 'localhost,127.0.0.1',
    '--labels', 'color=blue,size=large;shape=round',
    '--registry-enabled', '--insecure-registry', '10.0.0.1:5000',
    '--master-lb-enabled', '--floating-ip-disabled', '--public', '--hidden',
    '--tags', 'gold,silver',
]
FULL_FIELDS = {
    'name': 'ct-full', 'coe': 'swarm-mode', 'server_type': 'container',
    'image_id': IMAGE, 'cluster_distro': 'debian', 'driver': 'local_swarm',
    'external_network_id': 'host', 'keypair_id': 'kp',
    'flavor_id': 'm1.small', 'master_flavor_id': 'm1.tiny',
    'dns_nameserver': '1.1.1.1,9.9.9.9', 'docker_volume_size': 3,
    'docker_storage_driver': 'overlay2', 'network_driver': 'docker',
    'volume_driver': 'local', 'http_proxy': 'http://proxy.test:3128',
    'https_proxy': 'http://proxy.test:3129',
    'no_proxy': 'localhost,127.0.0.1',
    'labels': {'color': 'blue', 'size': 'large', 'shape': 'round'},
    'registry_enabled': True, 'insecure_registry': '10.0.0.1:5000',
    'master_lb_enabled': True, 'floating_ip_enabled': False,
    'public': True, 'hidden': True, 'tls_disabled': False,
    'project_id': 'admin', 'fixed_network': '-', 'fixed_subnet': '-',
    'apiserver_port': '-', 'updated_at': '-',
}


def http_error(message, status):
    """The line the client prints for an HTTP error, as a regex."""
    return r'%s \(HTTP %d\) \(Request-ID: req-%s\)' % (re.escape(message),
                                                      status, UUID)


def together(*calls):
    """Results of calls run at the same time, in order (each OSC command
    spends about 2 s starting Python)."""
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def _seconds(timestamp):
    return datetime.datetime.fromisoformat(timestamp).replace(microsecond=0)


def printed_table(text):
    """{Property: Value} of the tables quotas and stats print."""
    values = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('|') and len(cells) == 2 and \
                cells[0] != 'Property':
            values[cells[0]] = int(cells[1]) if cells[1].isdigit() \
                else cells[1]
    return values


def swarm_client(api_address, certs):
    """A docker client of the cluster's API with the client certificate
    `cluster config --output-certs` wrote into certs, trusting only the
    cluster CA (REQUESTS_CA_BUNDLE and proxies of this machine ignored)."""
    tls = docker.tls.TLSConfig(
        ca_cert=os.path.join(certs, 'ca.pem'), verify=True,
        client_cert=(os.path.join(certs, 'cert.pem'),
                     os.path.join(certs, 'key.pem')))
    client = docker.DockerClient(base_url=api_address, tls=tls,
                                 version='1.41', timeout=20)
    client.api.trust_env = False
    return client


def swarm_nodes(client):
    """{hostname: (role, state, address, labels)} of the swarm's nodes."""
    return {n.attrs['Description']['Hostname']: (
        n.attrs['Spec']['Role'], n.attrs['Status']['State'],
        n.attrs['Status'].get('Addr'), n.attrs['Spec'].get('Labels', {}))
        for n in client.nodes.list()}


class Stage(client_stage.ClientStage):
    """The deployment of this module, and what the tests made (for the
    clean-up)."""

    def __init__(self, deployment, engine, prefix, upgrade_image, workdir):
        super().__init__(deployment, engine, workdir)
        self.prefix = prefix
        self.upgrade_image = upgrade_image
        self.clusters = set()
        self.templates = set()
        self.quotas = set()

    def coe_json(self, *args, preface=''):
        """The JSON a command prints with -f json, after the line(s) some
        commands print first (asserted to be ``preface``)."""
        out = self.coe(*args, '-f', 'json')
        match = re.search(r'^[\[{]', out, re.M)
        assert match, self.explain('no JSON in the output of %s:\n%s' % (
            ' '.join(str(a) for a in args), out))
        assert out[:match.start()] == preface, out
        return json.loads(out[match.start():])

    def show(self, name):
        return self.coe_json('cluster', 'show', name)

    def wait_cluster(self, name, status):
        return self.wait_for_status('cluster %s' % name,
                                    lambda: self.show(name), status)

    def wait_nodegroup(self, cluster, name, status):
        return self.wait_for_status(
            'nodegroup %s of %s' % (name, cluster),
            lambda: self.coe_json('nodegroup', 'show', cluster, name),
            status)

    def clean_up(self):
        """Delete whatever the tests made and did not delete; the problems
        met on the way."""
        problems = []
        for cluster in sorted(self.clusters):
            status, body = self.rest('DELETE', '/clusters/%s' % cluster)
            if status not in (204, 404):
                problems.append('DELETE cluster %s: %s %s' % (cluster,
                                                              status, body))
        deadline = time.monotonic() + CLUSTER_TIMEOUT
        for cluster in sorted(self.clusters):
            while self.rest('GET', '/clusters/%s' % cluster)[0] != 404:
                if time.monotonic() > deadline:
                    problems.append('cluster %s was not deleted' % cluster)
                    break
                time.sleep(1)
        for template in sorted(self.templates):
            status, body = self.rest('DELETE',
                                     '/clustertemplates/%s' % template)
            if status not in (204, 404):
                problems.append('DELETE template %s: %s %s' % (
                    template, status, body))
        for project, resource in sorted(self.quotas):
            self.rest('DELETE', '/quotas/%s/%s' % (project, resource))
        for cluster in sorted(self.clusters):
            for thing in self.leftovers(cluster):
                problems.append('left behind by cluster %s: %s' % (
                    cluster, getattr(thing, 'name', thing.id)))
                try:
                    if isinstance(thing, docker.models.containers.Container):
                        thing.remove(force=True, v=True)
                    else:
                        thing.remove()
                except docker.errors.DockerException as error:
                    problems.append('could not remove it: %s' % error)
        return problems


# Fixtures --------------------------------------------------------------------


@pytest.fixture(scope='module')
def upgrade_image(engine):
    """The node image under a second tag: the upgrade's "new" image (one
    tag per module run; parallel runs share the engine)."""
    repository, _sep, tag = IMAGE.rpartition(':')
    new_tag = '%s-b-%s' % (tag, uuid.uuid4().hex[:6])
    engine.images.get(IMAGE).tag(repository, new_tag)
    name = '%s:%s' % (repository, new_tag)
    yield name
    try:
        engine.images.remove(name)
    except docker.errors.DockerException as error:
        print('could not remove the tag %s: %s' % (name, error))


@pytest.fixture(scope='module')
def stage(migrated_db_url, docker_host, engine, upgrade_image,
          tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    prefix = 'mcli%s' % uuid.uuid4().hex[:4]
    deployment = services.Deployment(
        tmp_path_factory.mktemp('magnum-clusters'), migrated_db_url, rabbit,
        config={'local_driver': {'docker_host': docker_host,
                                 'name_prefix': prefix,
                                 'node_ready_timeout': 90,
                                 'drain_timeout': 10},
                # The CA rotation is a call that lasts while the driver
                # restarts every node's dockerd.
                'conductor': {'rpc_call_timeout': 60}})
    deployment.start_or_explain()
    stage = Stage(deployment, engine, prefix, upgrade_image,
                  tmp_path_factory.mktemp('client'))
    started = time.monotonic()
    try:
        yield stage
    finally:
        try:
            problems = stage.clean_up()
        finally:
            logs = deployment.logs()
            deployment.stop()
        print('\nthe module took %.0f s after the deployment started'
              % (time.monotonic() - started))
    assert not problems, 'clean-up: %s\n%s' % ('\n'.join(problems), logs)


# Cluster templates -----------------------------------------------------------

def test_cluster_template_create(stage):
    def create(name, *options):
        made = stage.coe_json(
            'cluster', 'template', 'create', name, *options,
            preface='Request to create cluster template %s accepted\n'
            % name)
        stage.templates.add(made['uuid'])
        return made

    full, main, upgrade = together(
        lambda: create('ct-full', *FULL_TEMPLATE),
        lambda: create('ct-main', '--coe', 'swarm-mode', '--server-type',
                       'container', '--image', IMAGE, '--external-network',
                       'host', '--flavor', 'm1.small', '--master-flavor',
                       'm1.small', '--labels', 'tpl_a=1,tpl_b=2'),
        lambda: create('ct-next', '--coe', 'swarm-mode', '--server-type',
                       'container', '--image', stage.upgrade_image,
                       '--external-network', 'host', '--flavor', 'm1.small',
                       '--master-flavor', 'm1.small'))
    stage.state.update(full=full, main=main, upgrade=upgrade)

    assert {k: full[k] for k in FULL_FIELDS} == FULL_FIELDS
    assert sorted(full['tags'].split(',')) == ['gold', 'silver']
    assert re.fullmatch(UUID, full['uuid'])
    assert datetime.datetime.fromisoformat(full['created_at'])
    # The client shows unset values as "-"; the defaults of ct-main.
    assert {k: main[k] for k in (
        'labels', 'public', 'hidden', 'floating_ip_enabled',
        'master_lb_enabled', 'registry_enabled', 'tls_disabled',
        'cluster_distro', 'driver', 'keypair_id', 'tags', 'network_driver',
        'docker_volume_size')} == {
        'labels': {'tpl_a': '1', 'tpl_b': '2'}, 'public': False,
        'hidden': False, 'floating_ip_enabled': True,
        'master_lb_enabled': False, 'registry_enabled': False,
        'tls_disabled': False, 'cluster_distro': 'debian',
        'driver': 'local_swarm', 'keypair_id': '-', 'tags': '-',
        'network_driver': 'docker', 'docker_volume_size': '-'}
    assert upgrade['image_id'] == stage.upgrade_image


def test_cluster_create(stage):
    stage.need('main')
    out = stage.coe('cluster', 'create', 'alpha',
                    '--cluster-template', 'ct-main',
                    '--master-count', 1, '--node-count', 1,
                    '--labels', 'tpl_b=override,extra=x', '--merge-labels',
                    '--floating-ip-disabled', '--timeout', 10)
    match = re.fullmatch(r'Request to create cluster (%s) accepted\n' % UUID,
                         out)
    assert match, out
    stage.clusters.add(match.group(1))
    stage.state['cluster'] = match.group(1)
    # The cluster builds while the template tests below run.


def test_cluster_template_list_show_update(stage):
    full, main, upgrade = stage.need('full', 'main', 'upgrade')
    listed, shown = together(
        lambda: stage.coe_json('cluster', 'template', 'list',
                               '--fields', 'coe,public,hidden'),
        lambda: stage.coe_json('cluster', 'template', 'show', full['uuid']))
    # An admin sees the public hidden template too.
    assert sorted(listed, key=lambda r: r['name']) == [
        {'uuid': full['uuid'], 'name': 'ct-full', 'tags': full['tags'],
         'coe': 'swarm-mode', 'public': True, 'hidden': True},
        {'uuid': main['uuid'], 'name': 'ct-main', 'tags': None,
         'coe': 'swarm-mode', 'public': False, 'hidden': False},
        {'uuid': upgrade['uuid'], 'name': 'ct-next', 'tags': None,
         'coe': 'swarm-mode', 'public': False, 'hidden': False}]
    # MariaDB keeps whole seconds; the 201 answer had the microseconds.
    assert _seconds(shown['created_at']) == _seconds(full['created_at'])
    assert dict(shown, created_at=None) == dict(full, created_at=None)

    # Named options replace, --label adds (or replaces), --no-label
    # removes.
    updated = stage.coe_json(
        'cluster', 'template', 'update', 'ct-full', '--name', 'ct-full-2',
        '--dns-nameserver', '8.8.4.4', '--flavor', 'm1.medium',
        '--label', 'size=small', '--label', 'extra=1', '--no-label', 'shape',
        '--tag', 'bronze', '--visible', '--floating-ip-enabled',
        '--registry-disabled', '--master-lb-disabled')
    changed = {'name': 'ct-full-2', 'dns_nameserver': '8.8.4.4',
               'flavor_id': 'm1.medium',
               'labels': {'color': 'blue', 'size': 'small', 'extra': '1'},
               'tags': 'bronze', 'hidden': False,
               'floating_ip_enabled': True, 'registry_enabled': False,
               'master_lb_enabled': False}
    assert {k: updated[k] for k in changed} == changed
    assert updated['updated_at'] != '-'
    unchanged = set(shown) - set(changed) - {'updated_at'}
    assert {k: updated[k] for k in unchanged} == {
        k: shown[k] for k in unchanged}


# The cluster -----------------------------------------------------------------

def test_cluster_show_and_list(stage):
    cluster_uuid, main = stage.need('cluster', 'main')
    stage.wait_cluster('alpha', 'CREATE_COMPLETE')
    # Health comes from the next health pass after CREATE_COMPLETE
    # ([kubernetes] health_polling_interval), not with the status.
    shown = processes.wait_for(
        lambda: (lambda s: s if s['health_status'] else None)(
            stage.show('alpha')), 60, interval=1,
        message='the first health check of cluster alpha')
    stack = '%s-%s' % (stage.prefix, cluster_uuid[:8])
    docker_version = stage.engine.images.get(IMAGE).labels[
        nodes.IMAGE_DOCKER_VERSION]
    assert {k: shown[k] for k in (
        'uuid', 'name', 'status', 'cluster_template_id', 'cluster_id',
        'labels', 'labels_overridden', 'labels_added', 'labels_skipped',
        'floating_ip_enabled', 'master_lb_enabled', 'create_timeout',
        'master_count', 'node_count', 'keypair', 'discovery_url',
        'docker_volume_size', 'flavor_id', 'master_flavor_id',
        'fixed_network', 'fixed_subnet', 'project_id',
        'health_status')} == {
        'uuid': cluster_uuid, 'name': 'alpha', 'status': 'CREATE_COMPLETE',
        'cluster_template_id': main['uuid'], 'cluster_id': stack,
        'labels': {'tpl_a': '1', 'tpl_b': 'override', 'extra': 'x'},
        'labels_overridden': {'tpl_b': '2'}, 'labels_added': {'extra': 'x'},
        'labels_skipped': {}, 'floating_ip_enabled': False,
        'master_lb_enabled': False, 'create_timeout': 10,
        'master_count': 1, 'node_count': 1, 'keypair': None,
        'discovery_url': None, 'docker_volume_size': None,
        'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small',
        'fixed_network': None, 'fixed_subnet': None, 'project_id': 'admin',
        'health_status': 'HEALTHY'}, stage.explain(json.dumps(shown))
    assert re.fullmatch(r'tcp://127\.0\.0\.1:\d+', shown['api_address'])
    assert len(shown['master_addresses']) == len(
        shown['node_addresses']) == 1
    assert shown['coe_version'].startswith(docker_version)
    assert shown['container_version'] == shown['coe_version']
    assert {k: v for k, v in shown['health_status_reason'].items()
            if k.endswith('.Ready')} == {'%s-master-0.Ready' % stack: 'True',
                                         '%s-node-0.Ready' % stack: 'True'}
    stage.state['api_address'] = shown['api_address']

    # cluster_id from 1.13, stack_id below, never both.
    (latest, new), (status, old) = together(
        lambda: stage.rest('GET', '/clusters/%s' % cluster_uuid),
        lambda: stage.rest('GET', '/clusters/%s' % cluster_uuid,
                           version='1.12'))
    assert (latest, status) == (200, 200)
    assert (new['cluster_id'], 'stack_id' in new) == (stack, False)
    assert (old['stack_id'], 'cluster_id' in old) == (stack, False)

    assert stage.coe_json('cluster', 'list') == [{
        'uuid': cluster_uuid, 'name': 'alpha', 'keypair': None,
        'node_count': 1, 'master_count': 1, 'status': 'CREATE_COMPLETE',
        'health_status': 'HEALTHY'}]


def test_cluster_template_in_use(stage):
    full, main = stage.need('full', 'main')
    deleted, refused = together(
        lambda: stage.run('cluster', 'template', 'delete', 'ct-full-2',
                          'ct-main'),
        lambda: stage.run('cluster', 'template', 'update', 'ct-main',
                          '--dns-nameserver', '1.1.1.1'))
    # The delete command goes on after a failure, and exits 0.
    referenced = 'ClusterTemplate ct-main is referenced by one or more ' \
        'clusters: alpha'
    assert deleted.returncode == 0, stage.explain('delete', deleted)
    assert re.fullmatch(
        'Request to delete cluster template ct-full-2 has been accepted.\n'
        'Delete for cluster template ct-main failed: %s\n' % http_error(
            referenced, 400), deleted.stdout), stage.explain('delete',
                                                             deleted)
    stage.templates.discard(full['uuid'])
    assert refused.returncode == 1
    assert re.fullmatch(http_error(referenced, 400) + '\n',
                        refused.stderr), stage.explain('update', refused)


def test_cluster_update(stage):
    stage.need('api_address')
    out = stage.coe('cluster', 'update', 'alpha', '--name', 'beta',
                    '--label', 'extra=y', '--label', 'new=1',
                    '--no-label', 'tpl_a')
    assert out == 'Request to update cluster alpha has been accepted.\n'
    shown = stage.show('beta')
    assert {k: shown[k] for k in (
        'name', 'status', 'labels', 'labels_overridden', 'labels_added',
        'labels_skipped')} == {
        'name': 'beta', 'status': 'CREATE_COMPLETE',
        'labels': {'tpl_b': 'override', 'extra': 'y', 'new': '1'},
        'labels_overridden': {'tpl_b': '2'},
        'labels_added': {'extra': 'y', 'new': '1'},
        'labels_skipped': {'tpl_a': '1'}}
    stage.state['renamed'] = True


def test_cluster_resize_and_config(stage):
    cluster_uuid, api_address, _renamed = stage.need(
        'cluster', 'api_address', 'renamed')
    stack = '%s-%s' % (stage.prefix, cluster_uuid[:8])
    out = stage.coe('cluster', 'resize', 'beta', 2)
    assert out == 'Request to resize cluster beta has been accepted.\n'
    shown = stage.wait_cluster('beta', 'UPDATE_COMPLETE')
    assert (shown['node_count'], len(shown['node_addresses'])) == (2, 2)

    certs = os.path.join(stage.workdir, 'certs')
    os.makedirs(certs)
    out = stage.coe('cluster', 'config', 'beta', '--dir', certs,
                    '--output-certs', '--force')
    assert out == ('export DOCKER_HOST=%s\nexport DOCKER_CERT_PATH=%s\n'
                   'export DOCKER_TLS_VERIFY=True\n\n' % (api_address,
                                                          certs))
    assert sorted(os.listdir(certs)) == ['ca.pem', 'cert.pem', 'key.pem']
    client = swarm_client(api_address, certs)
    stage.state['certs'] = certs
    swarm = swarm_nodes(client)
    assert {name: node[:2] for name, node in swarm.items()} == {
        '%s-master-0' % stack: ('manager', 'ready'),
        '%s-node-0' % stack: ('worker', 'ready'),
        '%s-node-1' % stack: ('worker', 'ready')}
    assert sorted(shown['node_addresses']) == sorted(
        node[2] for node in swarm.values() if node[0] == 'worker')

    # Back to one worker, removing the node named.
    out = stage.coe('cluster', 'resize', 'beta', 1,
                    '--nodes-to-remove', '%s-node-0' % stack)
    assert out == 'Request to resize cluster beta has been accepted.\n'
    shown = stage.wait_cluster('beta', 'UPDATE_COMPLETE')
    swarm = swarm_nodes(client)
    assert sorted(swarm) == ['%s-master-0' % stack, '%s-node-1' % stack]
    assert shown['node_count'] == 1
    assert shown['node_addresses'] == [swarm['%s-node-1' % stack][2]]
    client.close()


def test_nodegroups(stage):
    cluster_uuid, api_address, certs, main = stage.need(
        'cluster', 'api_address', 'certs', 'main')
    stack = '%s-%s' % (stage.prefix, cluster_uuid[:8])
    labels = {'tpl_b': 'override', 'extra': 'y', 'new': '1'}
    out = stage.coe('nodegroup', 'create', 'beta', 'extra',
                    '--node-count', 1, '--min-nodes', 0, '--max-nodes', 3,
                    '--node-labels', 'disk=ssd,zone=a')
    match = re.fullmatch(r'Request to create nodegroup (%s) accepted\n'
                         % UUID, out)
    assert match, out
    shown = stage.wait_nodegroup('beta', 'extra', 'CREATE_COMPLETE')
    assert {k: v for k, v in shown.items() if k != 'node_addresses'} == {
        'uuid': match.group(1), 'name': 'extra', 'cluster_id': cluster_uuid,
        'project_id': 'admin', 'docker_volume_size': None, 'labels': labels,
        'labels_overridden': {}, 'labels_skipped': {}, 'labels_added': {},
        'flavor_id': 'm1.small', 'image_id': IMAGE, 'node_count': 1,
        'role': 'worker', 'max_node_count': 3, 'min_node_count': 0,
        'is_default': False, 'status': 'CREATE_COMPLETE',
        # What the driver records.
        'stack_id': shown['stack_id'], 'status_reason': shown['status_reason'],
        'node_labels': {'disk': 'ssd', 'zone': 'a'}, 'node_taints': []}
    assert len(shown['node_addresses']) == 1
    cluster = stage.wait_cluster('beta', 'UPDATE_COMPLETE')
    assert cluster['node_count'] == 2   # every worker group counts
    assert shown['node_addresses'][0] in cluster['node_addresses']

    listed, stats, refused = together(
        lambda: stage.coe_json('nodegroup', 'list', 'beta'),
        lambda: stage.coe('stats', 'list', 'admin'),
        lambda: stage.run('nodegroup', 'update', 'beta', 'extra',
                          '--min-nodes', 4))
    assert refused.returncode == 1 and re.fullmatch(http_error(
        'max_node_count for extra is invalid (max_node_count 3 is less '
        'than min_node_count 4)', 409) + '\n', refused.stderr), \
        stage.explain('nodegroup update --min-nodes 4', refused)
    assert sorted((r['name'], r['role'], r['node_count'], r['image_id'],
                   r['flavor_id'], r['status'].endswith('_COMPLETE'))
                  for r in listed) == [
        ('default-master', 'master', 1, IMAGE, 'm1.small', True),
        ('default-worker', 'worker', 1, IMAGE, 'm1.small', True),
        ('extra', 'worker', 1, IMAGE, 'm1.small', True)]
    assert printed_table(stats) == {'clusters': 1, 'nodes': 3}

    # The node labels are the swarm node's labels.
    client = swarm_client(api_address, certs)
    swarm = swarm_nodes(client)
    extra = swarm.get('%s-extra-0' % stack)
    assert extra and extra[:3] == ('worker', 'ready',
                                   shown['node_addresses'][0]), swarm
    assert {k: extra[3].get(k) for k in ('disk', 'zone')} == {
        'disk': 'ssd', 'zone': 'a'}

    out = stage.coe('nodegroup', 'update', 'beta', 'extra',
                    '--min-nodes', 1, '--max-nodes', 2)
    assert out == 'Request to update nodegroup extra has been accepted.\n'
    shown = stage.wait_nodegroup('beta', 'extra', 'UPDATE_COMPLETE')
    assert (shown['min_node_count'], shown['max_node_count']) == (1, 2)

    out = stage.coe('nodegroup', 'delete', 'beta', 'extra')
    assert out == 'Request to delete nodegroup extra has been accepted.\n'
    deadline = time.monotonic() + CLUSTER_TIMEOUT
    while 'extra' in [r['name'] for r in stage.coe_json(
            'nodegroup', 'list', 'beta')]:
        assert time.monotonic() < deadline, stage.explain(
            'nodegroup extra was not deleted')
        time.sleep(0.5)
    stage.wait_cluster('beta', 'UPDATE_COMPLETE')
    assert sorted(swarm_nodes(client)) == ['%s-master-0' % stack,
                                           '%s-node-1' % stack]
    client.close()
    stage.state['nodegroups_done'] = True


def test_cluster_upgrade(stage):
    cluster_uuid, upgrade, _done = stage.need('cluster', 'upgrade',
                                              'nodegroups_done')
    out = stage.coe('cluster', 'upgrade', 'beta', 'ct-next',
                    '--max-batch-size', 1)
    assert out == 'Request to upgrade cluster beta has been accepted.\n'
    shown = stage.wait_cluster('beta', 'UPDATE_COMPLETE')
    assert shown['cluster_template_id'] == upgrade['uuid']
    # Without --nodegroup the default worker group is upgraded.
    groups = {r['name']: r['image_id']
              for r in stage.coe_json('nodegroup', 'list', 'beta')}
    assert groups == {'default-master': IMAGE,
                      'default-worker': stage.upgrade_image}
    workers = stage.engine.containers.list(all=True, filters={'label': [
        '%s=%s' % (nodes.LABEL_CLUSTER, cluster_uuid),
        '%s=%s' % (nodes.LABEL_ROLE, nodes.ROLE_WORKER)]})
    assert [(c.status, c.labels[nodes.LABEL_IMAGE]) for c in workers] == [
        ('running', stage.upgrade_image)]
    assert stage.upgrade_image in workers[0].image.tags


def _csr():
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([
               x509.NameAttribute(NameOID.COMMON_NAME, 'functional-user'),
               x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'testers')]))
           .add_extension(x509.ExtendedKeyUsage(
               [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
           .add_extension(x509.KeyUsage(
               digital_signature=True, key_cert_sign=True,
               content_commitment=False, key_encipherment=False,
               data_encipherment=False, key_agreement=False, crl_sign=False,
               encipher_only=False, decipher_only=False), critical=False)
           .sign(key, hashes.SHA256()))
    return key, csr.public_bytes(serialization.Encoding.PEM)


def test_certificates_and_credentials(stage):
    cluster_uuid, api_address, certs = stage.need('cluster', 'api_address',
                                                  'certs')
    key, csr = _csr()
    csr_path = os.path.join(stage.workdir, 'user.csr')
    with open(csr_path, 'wb') as handle:
        handle.write(csr)
    ca_out, signed_out, credential, services_ = together(
        lambda: stage.coe('ca', 'show', 'beta'),
        lambda: stage.coe('ca', 'sign', 'beta', csr_path),
        lambda: stage.run('credential', 'rotate', 'beta'),
        lambda: stage.coe_json('service', 'list'))

    ca = x509.load_pem_x509_certificate(ca_out.encode())
    # The CA is named after the cluster as it was named at its creation.
    assert ca.subject.rfc4514_string() == 'CN=alpha'
    assert ca.extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    signed = x509.load_pem_x509_certificate(signed_out.encode())
    signed.verify_directly_issued_by(ca)
    assert signed.subject.rfc4514_string() == 'O=testers,CN=functional-user'
    extensions = signed.extensions
    assert list(extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    # Certificate Sign is not an allowed usage: dropped.
    assert (usage.digital_signature, usage.key_cert_sign) == (True, False)
    assert not extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    assert extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value == \
        x509.SubjectKeyIdentifier.from_public_key(key.public_key())

    # The local driver uses no stage credentials; the client prints the
    # failure and exits 0.
    assert credential.returncode == 0 and re.fullmatch(
        'Credential rotation failed: %s\n' % http_error(
            'Credential rotation by the local_swarm driver is not supported',
            400), credential.stdout), stage.explain('credential rotate',
                                                    credential)

    # (Conductors of earlier modules on the same database may be listed,
    # down.)
    assert [(s['host'], s['binary'], s['state'], s['disabled'],
             s['disabled_reason']) for s in services_ if s['state'] == 'up'] \
        == [('conductor-1', 'magnum-conductor', 'up', False, None)]

    rotated = stage.run('ca', 'rotate', 'beta')
    if rotated.returncode != 0:
        # A driver without CA rotation: a 400 saying so.
        assert re.fullmatch(http_error(
            'CA certificate rotation by the local_swarm driver is not '
            'supported', 400) + '\n', rotated.stderr), stage.explain(
            'ca rotate', rotated)
        # Refused before anything changed: the cluster is as it was.
        assert stage.show('beta')['status'] == 'UPDATE_COMPLETE'
        return
    assert rotated.stdout == ('Request to rotate the CA certificate for '
                              'cluster %s has been accepted.\n'
                              % cluster_uuid), stage.explain('ca rotate',
                                                             rotated)
    stage.wait_cluster('beta', 'UPDATE_COMPLETE')
    new_certs = os.path.join(stage.workdir, 'certs-rotated')
    os.makedirs(new_certs)
    new_ca, _exports = together(
        lambda: stage.coe('ca', 'show', 'beta'),
        lambda: stage.coe('cluster', 'config', 'beta', '--dir', new_certs,
                          '--output-certs'))
    assert new_ca != ca_out
    with open(os.path.join(new_certs, 'ca.pem')) as handle:
        assert handle.read() + '\n' == new_ca   # print() adds one
    # The old credentials are refused, the new ones work.
    old = swarm_client(api_address, certs)
    with pytest.raises(requests.exceptions.SSLError):
        old.ping()
    old.close()
    new = swarm_client(api_address, new_certs)
    assert sorted((role, state) for role, state, _a, _l in
                  swarm_nodes(new).values()) == [('manager', 'ready'),
                                                 ('worker', 'ready')]
    new.close()


def test_quotas_limit_clusters(stage):
    stage.need('cluster')
    created = printed_table(stage.coe(
        'quotas', 'create', '--project-id', 'admin', '--resource', 'Cluster',
        '--hard-limit', 1))
    stage.quotas.add(('admin', 'Cluster'))
    assert (created['project_id'], created['resource'],
            created['hard_limit']) == ('admin', 'Cluster', 1)
    refused, listed = together(
        lambda: stage.run('cluster', 'create', 'gamma',
                          '--cluster-template', 'ct-next'),
        lambda: stage.coe('quotas', 'list'))
    assert refused.returncode == 1 and re.fullmatch(http_error(
        'Resource limit exceeded: project admin may have at most 1 '
        'clusters and has 1', 403) + '\n', refused.stderr), stage.explain(
        'cluster create over the quota', refused)
    rows = [line for line in listed.splitlines() if '| admin ' in line]
    assert len(rows) == 1 and re.search(r'\| Cluster +\| 1 +\|', rows[0]), \
        listed
    out = stage.coe('quotas', 'delete', '--project-id', 'admin',
                    '--resource', 'Cluster')
    assert out == ('Request to delete quota for project id admin and '
                   'resource Cluster has been accepted.\n')
    stage.quotas.discard(('admin', 'Cluster'))


@pytest.mark.filterwarnings('ignore::DeprecationWarning',
                            'ignore::PendingDeprecationWarning')
def test_openstacksdk(stage):
    cluster_uuid, main, upgrade = stage.need('cluster', 'main', 'upgrade')
    conn = openstack.connect(
        auth_type='none', endpoint=stage.deployment.url,
        container_infrastructure_management_endpoint_override=(
            stage.deployment.url + '/v1'),
        load_yaml_config=False, load_envvars=False)
    proxy = conn.container_infrastructure_management

    templates = {t.name: t for t in proxy.cluster_templates()}
    assert sorted(templates) == ['ct-main', 'ct-next']
    got = proxy.get_cluster_template(upgrade['uuid'])
    assert (got.name, got.coe, got.image_id, got.server_type,
            got.cluster_distro, got.is_public, got.is_hidden,
            got.is_floating_ip_enabled, got.labels) == (
        'ct-next', 'swarm-mode', stage.upgrade_image, 'container', 'debian',
        False, False, True, {})

    made = proxy.create_cluster_template(
        name='ct-sdk', coe='swarm-mode', image_id=IMAGE,
        server_type='container', external_network_id='host',
        flavor_id='m1.small', labels={'origin': 'sdk'},
        is_floating_ip_enabled=False)
    stage.templates.add(made.id)
    assert (made.name, made.cluster_distro, made.labels,
            made.is_floating_ip_enabled) == ('ct-sdk', 'debian',
                                              {'origin': 'sdk'}, False)
    assert proxy.get_cluster_template(made.id).flavor_id == 'm1.small'
    proxy.delete_cluster_template(made)
    stage.templates.discard(made.id)
    assert proxy.find_cluster_template('ct-sdk') is None

    # No microversion header: 1.1, with stack_id.
    clusters = list(proxy.clusters())
    assert [(c.id, c.name, c.cluster_template_id, c.stack_id)
            for c in clusters] == [
        (cluster_uuid, 'beta', upgrade['uuid'],
         '%s-%s' % (stage.prefix, cluster_uuid[:8]))]
    cluster = proxy.get_cluster(cluster_uuid)
    assert (cluster.status, cluster.master_count, cluster.node_count,
            cluster.labels, cluster.is_floating_ip_enabled) == (
        'UPDATE_COMPLETE', 1, 1,
        {'tpl_b': 'override', 'extra': 'y', 'new': '1'}, False)

    # The proxy has no nodegroup calls: a plain GET at 1.9.
    reply = proxy.get('/clusters/%s/nodegroups/' % cluster_uuid,
                      microversion='1.9')
    assert reply.status_code == 200, reply.text
    assert sorted((g['name'], g['role'], g['node_count'], g['is_default'])
                  for g in reply.json()['nodegroups']) == [
        ('default-master', 'master', 1, True),
        ('default-worker', 'worker', 1, True)]


def test_cluster_delete(stage):
    cluster_uuid, upgrade = stage.need('cluster', 'upgrade')
    out = stage.coe('cluster', 'delete', 'beta')
    assert out == 'Request to delete cluster beta has been accepted.\n'
    deadline = time.monotonic() + CLUSTER_TIMEOUT
    while True:
        result = stage.run('cluster', 'show', 'beta', '-f', 'json')
        if result.returncode != 0:
            break
        assert time.monotonic() < deadline, stage.explain(
            'cluster beta was not deleted: %s' % result.stdout)
        time.sleep(0.5)
    assert re.fullmatch(http_error('Cluster beta could not be found', 404) +
                        '\n', result.stderr), stage.explain('show', result)
    stage.clusters.discard(cluster_uuid)
    assert stage.leftovers(cluster_uuid) == []

    (ca_status, _body), stats, deleted = together(
        lambda: stage.rest('GET', '/certificates/%s' % cluster_uuid),
        lambda: stage.coe('stats', 'list', 'admin'),
        lambda: stage.coe('cluster', 'template', 'delete', 'ct-main',
                          'ct-next'))
    assert ca_status == 404
    assert printed_table(stats) == {'clusters': 0, 'nodes': 0}
    assert deleted == (
        'Request to delete cluster template ct-main has been accepted.\n'
        'Request to delete cluster template ct-next has been accepted.\n')
    stage.templates.clear()
