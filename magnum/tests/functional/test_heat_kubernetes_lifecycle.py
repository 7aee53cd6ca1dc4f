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

"""A k8s_vm cluster's lifecycle through a real magnum-api and
magnum-conductor, the cloud-in-a-box's real Keystone and Heat, on
KUBERNETES STAND-IN NODES.

No Kubernetes can run here. The cluster template's image is the
Kubernetes stand-in node image (``kubernetes_node_image``): the Nova
stand-in records each server's user data (the Ignition config the driver
rendered, as Heat delivered it) and runs the stand-in node program
instead (tools/cloud-in-a-box/standins/kubernetes/kubernetes_node.py): the
master serves a stand-in Kubernetes API with its API certificate, every
node registers with its kubelet certificate, labels and taints and posts
its Ready condition. What is proven is Magnum's side against such an
API, and that the boot configuration carries what a node needs to join;
no kubelet, container runtime, etcd, real API server, scheduler or pod
runs (see the program's first lines).

The tests run in file order on one cluster (1 master + 1 worker, Fedora
CoreOS) of project A's member, and check the stand-in API itself (as
system:masters, with a client certificate Magnum signs through its
certificates API), not only what Magnum says:

- POST cluster to CREATE_COMPLETE: the conductor waited for /readyz and
  for every server of the stack to be a Ready node; coe_version set;
- the stand-in API lists exactly the servers as Ready nodes, with the
  labels and taints of their boot configuration; a worker's kubelet
  certificate may change its own Node only;
- health HEALTHY with the contract's reason (``<node>.Ready``, ``api``);
  the nodes endpoint lists them Ready;
- a worker whose stand-in stops goes Unknown in the API after its grace
  period, and the cluster UNHEALTHY; started again, HEALTHY;
- resize up, then down with nodes_to_remove;
- a nodegroup with node_labels and node_taints (API 1.14), whose node
  registers with them; deleted;
- delete: the stack and every container go;
- an Ubuntu cluster (cloud-config) and a bare-metal one (k8s_bm) go
  CREATE_COMPLETE with their nodes Ready in their APIs, then are
  deleted.
"""

import ipaddress
import json
import os
import ssl
import tempfile
import time
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from magnum.tests.functional import kubernetes_node_image
from magnum.tests.functional import test_heat_swarm as heat_swarm
from magnum.tests.functional.test_heat_swarm import deployment  # noqa: F401

CLUSTER_TIMEOUT = 300
#: The stand-in API's grace period and the health pass's interval, with
#: room for a busy machine.
NOT_READY_TIMEOUT = 90
KUBE_TAG = 'v1.30.5'    # the kube_tag label's default
STANDIN_STARTED = '/var/lib/magnum-standin-kubernetes/started'
PROGRAM = '/usr/local/lib/magnum-standin/kubernetes_node.py'


@pytest.fixture(scope='module')
def node_image(engine, docker_host):
    started = time.monotonic()
    tag = kubernetes_node_image.build(engine)
    print('\nKubernetes stand-in node image %s ready in %.1f s' % (
        tag, time.monotonic() - started))
    return tag


@pytest.fixture(scope='module')
def stage(cloud, deployment, engine, tmp_path_factory):  # noqa: F811
    made = heat_swarm.Stage(cloud, deployment, engine,
                            tmp_path_factory.mktemp('heat-k8s-lifecycle'))
    yield made
    made.clean_up()


class StandInAPI:
    """The cluster's (stand-in) Kubernetes API, as system:masters: a
    client certificate Magnum signs with the cluster's CA (POST
    /certificates), the server checked against the cluster's CA."""

    def __init__(self, stage, cluster):
        uuid = cluster['uuid']
        self.address = cluster['api_address']
        ca = stage.call('GET', '/certificates/%s' % uuid,
                        status=200).json()['pem']
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'tester'),
                       x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                          'system:masters')])).sign(
            key, hashes.SHA256())
        cert = stage.call('POST', '/certificates', {
            'cluster_uuid': uuid, 'csr': csr.public_bytes(
                serialization.Encoding.PEM).decode()}, 201).json()['pem']
        self.context = ssl.create_default_context(cadata=ca)
        with tempfile.TemporaryDirectory() as directory:
            cert_file = os.path.join(directory, 'c.crt')
            key_file = os.path.join(directory, 'c.key')
            with open(cert_file, 'w') as handle:
                handle.write(cert)
            with open(key_file, 'wb') as handle:
                handle.write(key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption()))
            self.context.load_cert_chain(cert_file, key_file)

    def get(self, path):
        request = urllib.request.Request(self.address + path)
        try:
            with urllib.request.urlopen(request, context=self.context,
                                        timeout=10) as response:
                body = response.read().decode()
                return response.status, body
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def nodes(self):
        status, body = self.get('/api/v1/nodes')
        assert status == 200, body
        return {n['metadata']['name']: n for n in json.loads(body)['items']}


def _ready_condition(node):
    return next(c for c in node['status']['conditions']
                if c['type'] == 'Ready')


def ready_of(node):
    return _ready_condition(node)['status']


def _servers(stage, uuid):
    """{host name: container} of the cluster's running servers."""
    return heat_swarm._server_containers(stage.engine, stage.show(uuid))


def _wait(what, check, timeout=NOT_READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(1)


def _api_matches_servers(stage, api, uuid):
    """(servers, nodes) once the stand-in API's nodes are exactly the
    running servers, all Ready."""
    servers = _servers(stage, uuid)
    nodes = api.nodes()
    ready = sorted(name for name, node in nodes.items()
                   if ready_of(node) == 'True')
    return ready == sorted(nodes) == sorted(servers) and (servers, nodes)


def _healthy(stage, uuid, names):
    """HEALTHY with the contract's reason, one entry per node."""
    cluster = _wait('HEALTHY with %s' % names, lambda: (
        lambda c: c['health_status'] == 'HEALTHY' and
        c['health_status_reason'] == dict(
            {'%s.Ready' % n: 'True' for n in names}, api='ok') and c)(
                stage.show(uuid)))
    return cluster


# -- the tests, in order ------------------------------------------------------

def test_create_reaches_create_complete_on_stand_in_nodes(stage,
                                                          node_image):
    template = stage.template(
        node_image, coe='kubernetes', cluster_distro='fedora-coreos',
        name='k8s-life-%s' % os.urandom(3).hex(),
        labels={'fixed_subnet_cidr': heat_swarm._cidr()})
    assert template['driver'] == 'k8s_vm'
    started = time.monotonic()
    uuid = stage.cluster(template, masters=1, workers=1)
    cluster = stage.wait(uuid, 'CREATE_COMPLETE', timeout=CLUSTER_TIMEOUT)
    seconds = time.monotonic() - started
    print('heat k8s_vm 1+1 on stand-in nodes: POST to CREATE_COMPLETE '
          '%.1f s' % seconds)
    stage.state.update(uuid=uuid, template=template)
    subnet = ipaddress.ip_network(template['labels']['fixed_subnet_cidr'])
    master = cluster['master_addresses'][0]
    assert ipaddress.ip_address(master) in subnet
    assert cluster['api_address'] == 'https://%s:6443' % master
    assert cluster['coe_version'] == KUBE_TAG
    conditions = {c['type']: c['status'] for c in cluster['conditions']}
    for kind in ('StackReady', 'ControlPlaneReady', 'NodesReady'):
        assert conditions.get(kind) == 'True', cluster['conditions']
    stage.state['api'] = StandInAPI(stage, cluster)


def test_the_api_lists_every_server_as_a_ready_node(stage):
    uuid, api = stage.state['uuid'], stage.state['api']
    servers, nodes = _wait('nodes match servers',
                           lambda: _api_matches_servers(stage, api, uuid))
    assert len(nodes) == 2, sorted(nodes)
    assert api.get('/readyz') == (200, 'ok')
    for name, node in nodes.items():
        labels = node['metadata']['labels']
        role = labels['magnum.openstack.org/role']
        assert labels['kubernetes.io/hostname'] == name
        assert labels['magnum.openstack.org/nodegroup'] == 'default-%s' % (
            role)
        addresses = {a['type']: a['address']
                     for a in node['status']['addresses']}
        assert addresses['InternalIP'] == heat_swarm._address(servers[name])
        assert node['status']['nodeInfo']['kubeletVersion'] == KUBE_TAG
        taints = node['spec'].get('taints') or []
        if role == 'master':
            assert taints == [{'key': 'node-role.kubernetes.io/'
                               'control-plane', 'effect': 'NoSchedule'}]
        else:
            assert role == 'worker' and taints == []
    # The boot configuration the stand-in read is the one Heat delivered.
    for name, container in servers.items():
        result = container.exec_run(['python3', PROGRAM, 'describe'])
        assert result.exit_code == 0, result.output
        described = json.loads(result.output)
        assert described['name'] == name
        assert described['address'] == heat_swarm._address(container)
        assert described['role'] == nodes[name]['metadata']['labels'][
            'magnum.openstack.org/role']


# Run in a worker: its kubelet's client certificate (as its boot
# configuration wrote it) against the API its kubeconfig names.
AS_KUBELET = """
import json, ssl, sys, urllib.error, urllib.request, yaml
conf = yaml.safe_load(open('/etc/kubernetes/kubelet.conf'))
server = conf['clusters'][0]['cluster']['server']
user = conf['users'][0]['user']
context = ssl.create_default_context(
    cafile=conf['clusters'][0]['cluster']['certificate-authority'])
context.load_cert_chain(user['client-certificate'], user['client-key'])
codes = []
for name in sys.argv[1:]:
    request = urllib.request.Request(
        server + '/api/v1/nodes/' + name, method='PATCH',
        data=json.dumps({'metadata': {'labels': {'touched': 'yes'}}}).encode(),
        headers={'Content-Type': 'application/merge-patch+json'})
    try:
        codes.append(urllib.request.urlopen(request, context=context).status)
    except urllib.error.HTTPError as error:
        codes.append(error.code)
print(json.dumps(codes))
"""


def test_a_kubelet_certificate_is_its_own_node_only(stage):
    """A worker's kubelet client certificate, as Magnum issued it into
    its boot configuration, is that node to the API (system:node:<name>,
    group system:nodes): it may change its own Node, not another's
    (403), as Kubernetes' Node authorizer would decide."""
    uuid, api = stage.state['uuid'], stage.state['api']
    servers = _servers(stage, uuid)
    worker = _worker(stage)
    master = next(n for n in servers if n != worker)
    result = servers[worker].exec_run(['python3', '-c', AS_KUBELET, worker,
                                       master])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [200, 403]
    nodes = api.nodes()
    assert nodes[worker]['metadata']['labels'].get('touched') == 'yes'
    assert 'touched' not in nodes[master]['metadata']['labels']


def test_health_healthy_and_the_nodes_endpoint(stage):
    uuid = stage.state['uuid']
    names = sorted(_servers(stage, uuid))
    _healthy(stage, uuid, names)
    listed = stage.call('GET', '/clusters/%s/nodes' % uuid,
                        status=200).json()['nodes']
    assert sorted(n['name'] for n in listed) == names
    assert all((n['status'], n['status_reason']) == ('Ready', None)
               for n in listed), listed
    assert sorted(n['role'] for n in listed) == ['master', 'worker']


def _worker(stage):
    return next(name for name in _servers(stage, stage.state['uuid'])
                if '-default-worker-' in name)


def test_a_stopped_node_goes_unknown_then_ready_again(stage):
    uuid, api = stage.state['uuid'], stage.state['api']
    name = _worker(stage)
    container = _servers(stage, uuid)[name]
    stopped = container.exec_run(['sh', '-c', 'kill "$(cat %s)"'
                                  % STANDIN_STARTED])
    assert stopped.exit_code == 0, stopped.output
    _wait('%s Unknown in the API' % name,
          lambda: ready_of(api.nodes()[name]) == 'Unknown')
    went = _ready_condition(api.nodes()[name])['lastTransitionTime']
    cluster = _wait('UNHEALTHY', lambda: (
        lambda c: c['health_status'] == 'UNHEALTHY' and c)(
            stage.show(uuid)))
    assert cluster['health_status_reason']['%s.Ready' % name] == 'False'
    listed = {n['name']: n for n in stage.call(
        'GET', '/clusters/%s/nodes' % uuid, status=200).json()['nodes']}
    assert listed[name]['status'] == 'Unknown'
    assert 'Kubelet stopped posting' in listed[name]['status_reason']
    started = container.exec_run(['python3', PROGRAM, 'start'])
    assert started.exit_code == 0, started.output
    _wait('HEALTHY again', lambda: stage.show(uuid)['health_status'] ==
          'HEALTHY')
    # Ready again, its condition's transition after the one to Unknown,
    # as a kubelet posts it.
    condition = _ready_condition(api.nodes()[name])
    assert (condition['status'], condition['reason']) == ('True',
                                                          'KubeletReady')
    assert condition['lastTransitionTime'] >= went, (condition, went)


def _default_worker(stage):
    return next(ng for ng in stage.call(
        'GET', '/clusters/%s/nodegroups' % stage.state['uuid'],
        status=200).json()['nodegroups']
        if ng['role'] != 'master' and ng['is_default'])


def test_resize_up_then_down_with_nodes_to_remove(stage):
    uuid, api = stage.state['uuid'], stage.state['api']
    worker = _default_worker(stage)
    stage.call('POST', '/clusters/%s/actions/resize' % uuid,
               {'node_count': 2, 'nodegroup': worker['uuid']}, 202)
    cluster = stage.wait(uuid, 'UPDATE_COMPLETE', timeout=CLUSTER_TIMEOUT)
    assert len(cluster['node_addresses']) == 2
    servers, nodes = _wait('3 Ready nodes',
                           lambda: _api_matches_servers(stage, api, uuid))
    assert len(servers) == 3
    victim = sorted(n for n in servers if '-default-worker-' in n)[0]
    stage.call('POST', '/clusters/%s/actions/resize' % uuid,
               {'node_count': 1, 'nodegroup': worker['uuid'],
                'nodes_to_remove': [victim]}, 202)
    cluster = stage.wait(uuid, 'UPDATE_COMPLETE', timeout=CLUSTER_TIMEOUT)
    assert len(cluster['node_addresses']) == 1
    servers = _servers(stage, uuid)
    assert victim not in servers and len(servers) == 2, sorted(servers)
    listed = stage.call('GET', '/clusters/%s/nodes' % uuid,
                        status=200).json()['nodes']
    assert sorted(n['name'] for n in listed) == sorted(servers)
    assert all(n['status'] == 'Ready' for n in listed), listed
    # The driver deleted the removed server's Node object (no cloud
    # controller manager runs to do it): the API has exactly the servers,
    # and the health check no node that is gone.
    assert victim not in api.nodes()
    servers, nodes = _api_matches_servers(stage, api, uuid)
    _healthy(stage, uuid, sorted(servers))


def test_nodegroup_with_node_labels_and_taints(stage):
    uuid, api = stage.state['uuid'], stage.state['api']
    labels = {'example.com/pool': 'batch', 'tier': 'backend'}
    taints = [{'key': 'dedicated', 'value': 'batch',
               'effect': 'NoSchedule'}]
    stage.call('POST', '/clusters/%s/nodegroups' % uuid,
               {'name': 'batch', 'node_count': 1, 'role': 'batch',
                'node_labels': labels, 'node_taints': taints}, 202)
    made = heat_swarm._wait_nodegroup(stage, uuid, 'batch',
                                      'CREATE_COMPLETE')
    assert made['node_labels'] == labels
    assert len(made['node_addresses']) == 1
    servers, nodes = _wait('the nodegroup\'s node Ready',
                           lambda: _api_matches_servers(stage, api, uuid))
    mine = [n for n in servers if '-batch-' in n]
    assert len(mine) == 1, sorted(servers)
    node = nodes[mine[0]]
    for key, value in labels.items():
        assert node['metadata']['labels'][key] == value
    assert node['metadata']['labels']['magnum.openstack.org/nodegroup'] == \
        'batch'
    assert node['metadata']['labels']['magnum.openstack.org/role'] == \
        'batch'
    assert node['spec']['taints'] == taints
    stage.call('DELETE', '/clusters/%s/nodegroups/batch' % uuid,
               status=204)
    heat_swarm._wait_nodegroup(stage, uuid, 'batch', 'GONE')
    stage.wait(uuid, 'UPDATE_COMPLETE')
    servers = _servers(stage, uuid)
    assert not [n for n in servers if '-batch-' in n]
    assert sorted(api.nodes()) == sorted(servers)
    _healthy(stage, uuid, sorted(servers))


def test_delete_removes_the_stack_and_its_servers(stage):
    uuid = stage.state['uuid']
    cluster = stage.show(uuid)
    stage.call('DELETE', '/clusters/%s' % uuid, status=204)
    stage.wait(uuid, 'GONE', timeout=CLUSTER_TIMEOUT)
    assert heat_swarm._stack_containers(stage.engine, cluster) == []


@pytest.mark.parametrize('server_type,distro', [
    ('vm', 'ubuntu'), ('bm', 'fedora-coreos')], ids=['vm-ubuntu', 'bm-fcos'])
def test_other_variants_join(stage, node_image, server_type, distro):
    """Ubuntu nodes (the stand-in reads the cloud-config Heat delivered:
    write_files) and bare-metal nodes (k8s_bm, its servers on the network
    the template names): CREATE_COMPLETE with both nodes Ready in the
    cluster's API; then deleted."""
    fields = dict(coe='kubernetes', cluster_distro=distro,
                  server_type=server_type,
                  name='k8s-%s-%s' % (server_type, os.urandom(3).hex()),
                  labels={'fixed_subnet_cidr': heat_swarm._cidr()})
    if server_type == 'bm':
        # Bare metal boots on the network its Ironic nodes are on, given
        # by name (one Docker network of the stand-in's).
        network = 'baremetal-%s' % os.urandom(4).hex()
        fields.update(fixed_network=network,
                      fixed_subnet='%s-subnet' % network)
    template = stage.template(node_image, **fields)
    assert template['driver'] == 'k8s_%s' % server_type
    uuid = stage.cluster(template, masters=1, workers=1)
    cluster = stage.wait(uuid, 'CREATE_COMPLETE', timeout=CLUSTER_TIMEOUT)
    assert cluster['coe_version'] == KUBE_TAG
    api = StandInAPI(stage, cluster)
    servers, nodes = _wait('nodes match servers',
                           lambda: _api_matches_servers(stage, api, uuid))
    assert len(nodes) == 2
    for name, container in servers.items():
        recorded = container.exec_run(
            ['head', '-c', '1', '/var/lib/cloud/instance/user-data.txt'])
        assert recorded.output == (b'#' if distro == 'ubuntu' else b'{')
    stage.call('DELETE', '/clusters/%s' % uuid, status=204)
    stage.wait(uuid, 'GONE', timeout=CLUSTER_TIMEOUT)
    assert heat_swarm._stack_containers(stage.engine, cluster) == []
