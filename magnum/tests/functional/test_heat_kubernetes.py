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

"""The Kubernetes drivers' stacks (k8s_vm, k8s_bm) against the
cloud-in-a-box's real Heat.

Kubernetes nodes cannot boot here (no Kubernetes release can be
downloaded), so what is proven is the stacks, not a running cluster:

- every combination the drivers produce (1 and 3 masters, load balancer
  on/off, floating IPs on/off, Cinder volumes on/off for VMs, VM and
  bare metal, Fedora CoreOS and Ubuntu: 36) passes Heat's own
  template-validate, with the shared fragments and the driver's node
  template as the files and the nodes' real boot configurations as
  parameters;
- every one of them is then built to CREATE_COMPLETE with the
  cloud-in-a-box's stand-ins (a server is a container; Neutron, Octavia
  and Cinder resources are provider templates), three at a time.
  Their servers are containers of a node image labelled for the stand-in to
  record the user data and not run it (standin_boot.USER_DATA_LABEL): the
  image decides, the templates are the drivers' own. Each stack is
  checked for what Heat made of the template: one server per node of
  each role, each holding exactly the boot configuration the driver
  rendered for it with its own volume ids in place, the addresses the
  outputs give being the servers' own, a load balancer and pool members
  iff enabled, floating IPs iff enabled, and an api_address where the
  driver says;
- one Ubuntu node runs its cloud-config for real in the stand-in (the
  ordinary node image) and its set-up script fails where it must,
  downloading Kubernetes: the stack is CREATE_FAILED and the reason names
  the server and the download. A node image whose label asks for
  something the stand-in does not know fails its server and says so.

The stacks above are what the drivers build (``build_stack`` and
``node_boot``), for clusters held in memory rather than in Magnum's
database; the nodes' certificates are ECDSA (``[x509] key_type``, an
operator's option) so that the 84 nodes' are issued in seconds rather
than a minute (RSA rendering is the unit tests'). Last, one k8s_vm
cluster goes through a real Magnum (API, conductor, certificates,
application credential): its stack is built, its addresses recorded, and
it waits, CREATE_IN_PROGRESS, for a Kubernetes API that cannot come up
here; then it is deleted. The rest of the lifecycle (resize, nodegroups,
upgrade) is the Heat driver base's, proven end to end by
test_heat_swarm.py, and for Kubernetes on stand-in nodes (a stand-in
Kubernetes API) by test_heat_kubernetes_lifecycle.py.
"""

import collections
import dataclasses
import functools
import importlib.util
import io
import ipaddress
import json
import os
import random
import tarfile
import time
import types
from unittest import mock
import uuid

from heatclient import client as heat_client
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
import pytest

from magnum import objects
from magnum.common import certificates
import magnum.conf
from magnum.drivers.heat import driver as heat_driver
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.k8s_bm import driver as bm_driver
from magnum.drivers.heat.k8s_vm import driver as vm_driver
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import ignition
from magnum.drivers.heat.kubernetes import pki
from magnum.tests.functional import docker_engine
from magnum.tests.functional import test_heat_swarm as heat_swarm
from magnum.tests.functional.test_heat_swarm import deployment  # noqa: F401

CONF = magnum.conf.CONF
# Stacks Heat builds side by side. Its one engine process is the limit
# (about 13 s of its CPU per stack, create and delete, on the two-core
# machines here): two or three keep it busy while a stack waits on its
# dependencies; more only add the cost of its threads contending (six
# took 40% more of its CPU for the same stacks in the same time).
IN_FLIGHT = 3
# Heat's timeout of each stack's create, and of its delete: generous, as
# a busy engine shares itself between all the stacks in flight.
STACK_MINUTES = 20
BUILD_TIMEOUT = 1800    # all of them, first create to the last observed
DELETE_TIMEOUT = 900
POLL = 3       # more than gunicorn keeps an idle connection (2 s)
# How the cloud-in-a-box's Nova stand-in labels a server's container.
SERVER_LABEL = 'org.openstack.magnum.standin.server'
ROOT_STACK_LABEL = 'org.openstack.magnum.standin.root-stack'
# The node image with the stand-in's "record the user data" label, and
# one whose label the stand-in does not know.
_TAG = docker_engine.IMAGE.rsplit(':', 1)[1]
RECORDING_IMAGE = 'magnum/recording-node:%s' % _TAG
MISLABELLED_IMAGE = 'magnum/recording-node:%s-mislabelled' % _TAG
# The made-up ranges of the stood-in floating IPs and VIPs
# (tools/cloud-in-a-box/standins/make_standins.py).
FLOATING_RANGE = ipaddress.ip_network('203.0.113.0/24')
VIP_RANGE = ipaddress.ip_network('198.51.100.0/24')


@functools.cache
def standin_boot():
    """The stand-in's user data reader (standard library and PyYAML
    only), for the names it gives what it writes into a node."""
    path = os.path.join(docker_engine.ROOT, 'tools', 'cloud-in-a-box',
                        'standins', 'plugins', 'standin_boot.py')
    spec = importlib.util.spec_from_file_location('magnum_standin_boot',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cidr():
    return _cidrs(1)[0]


def _cidrs(count):
    """Distinct /24s for stacks that exist at the same time (the test
    cloud's Docker networks cannot share a range), outside the default
    pod (10.100.0.0/16) and service (10.254.0.0/16) ranges."""
    picked = random.sample([(a, b) for a in range(32, 100)
                            for b in range(256)], count)
    return ['10.%d.%d.0/24' % pair for pair in picked]


def _combinations():
    found = []
    for server_type in ('vm', 'bm'):
        for distro in ('fedora-coreos', 'ubuntu'):
            for masters in (1, 3):
                for lb in (False, True):
                    if masters > 1 and not lb:
                        continue  # refused by the API: needs a LB
                    for fip in (False, True):
                        for volumes in ((False, True) if server_type == 'vm'
                                        else (False,)):
                            found.append((server_type, distro, masters, lb,
                                          fip, volumes))
    return found


COMBINATIONS = _combinations()


def _id(combo):
    server_type, distro, masters, lb, fip, volumes = combo
    return '%s-%s-%dm%s%s%s' % (server_type, distro, masters,
                                '-lb' if lb else '', '-fip' if fip else '',
                                '-vol' if volumes else '')


def _workers(combo):
    # Three masters are what such a stack tests; one master and one
    # worker test both roles' nodes (labels, taints, volumes).
    return 0 if combo[2] > 1 else 1


@functools.lru_cache(maxsize=1)
def _issuer():
    cluster = types.SimpleNamespace(name='k8s-heat', uuid=str(uuid.uuid4()))
    cas = certificates.generate_certificate_set(cluster)
    return pki.Issuer({
        certificates.CA_KUBERNETES: (cas.ca.certificate,
                                     cas.ca.private_key),
        certificates.CA_ETCD: (cas.etcd_ca.certificate,
                               cas.etcd_ca.private_key),
        certificates.CA_FRONT_PROXY: (cas.front_proxy_ca.certificate,
                                      cas.front_proxy_ca.private_key)})


def _nodegroup(role, count, **extra):
    values = dict(uuid=str(uuid.uuid4()), role=role, node_count=count,
                  name='default-%s' % role, is_default=True, image_id=None,
                  flavor_id=None, docker_volume_size=None, labels={},
                  node_labels={}, node_taints=[])
    values.update(extra)
    return types.SimpleNamespace(**values)


@dataclasses.dataclass
class Rendered:
    """A stack as the driver builds it, and what the checks need of it."""

    template: str
    files: dict
    environment: dict
    roles: dict         # nodegroup key -> 'master' or 'worker'
    cidr: str           # the cluster's subnet

    @property
    def user_data(self):
        """{parameter: the boot configuration of one node}."""
        return self.environment['parameters']

    def role_of(self, parameter):
        for key, role in self.roles.items():
            if parameter.startswith(key + '_'):
                return role
        raise KeyError(parameter)

    def key_of(self, role):
        return next(k for k, r in self.roles.items() if r == role)


def stack_of(server_type, distro, masters, lb, fip, volumes, image,
             workers=1, cidr=None):
    """The :class:`Rendered` stack the driver builds for such a cluster
    (on a subnet of its own: ``cidr``, else a random one)."""
    driver = (vm_driver.KubernetesVMDriver() if server_type == 'vm' else
              bm_driver.KubernetesBMDriver())
    driver.name = 'k8s_%s' % server_type
    cidr = cidr or _cidr()
    labels = {'fixed_subnet_cidr': cidr}
    if volumes:
        labels.update(etcd_volume_size='5')
    # Bare metal boots on the network its Ironic nodes are on, passed by
    # name; one of its own per stack (one Docker network each).
    network = 'baremetal-%s' % uuid.uuid4().hex[:8]
    template = types.SimpleNamespace(
        image_id=image, flavor_id='m1.medium', master_flavor_id='m1.medium',
        keypair_id='', external_network_id='public', dns_nameserver='',
        cluster_distro=distro, network_driver='flannel', labels=labels,
        fixed_network=network if server_type == 'bm' else None,
        fixed_subnet='%s-subnet' % network if server_type == 'bm' else None)
    cluster = types.SimpleNamespace(
        uuid=str(uuid.uuid4()), name='k8s-%s' % server_type,
        labels=dict(labels), fixed_network=None, fixed_subnet=None,
        master_lb_enabled=lb, floating_ip_enabled=fip,
        master_flavor_id=None, flavor_id=None, keypair=None,
        docker_volume_size=10 if volumes else None,
        application_credential_id=None, cluster_template=template)
    nodegroups = [
        _nodegroup('master', masters, status='CREATE_IN_PROGRESS'),
        _nodegroup('worker', workers, node_labels={'example.com/pool': 'a'},
                   node_taints=[{'key': 'dedicated', 'value': 'batch',
                                 'effect': 'NoSchedule'}],
                   status='CREATE_IN_PROGRESS')]
    # The driver's own Work, its nodegroups given rather than read from
    # Magnum's database; its CA signs with in-memory CAs.
    with mock.patch.object(objects.NodeGroup, 'list',
                           return_value=nodegroups):
        work = heat_driver.Work(driver, None, cluster)
    work._kubernetes = {'issuer': _issuer()}
    heat_driver.PlanMembers().execute(work)
    states, new = work.states, work.new
    by_key = {definition.nodegroup_key(ng): ng for ng in nodegroups}
    parameters = {}
    for key, name in new:
        parameters[definition.node_parameter(key, name)] = driver.node_boot(
            work, by_key[key], name, states[key].addresses[name])
    built = driver.build_stack(work)
    environment = dict(built['environment'], parameters=parameters)
    return Rendered(built['template'], built['files'], environment,
                    {key: ng.role for key, ng in by_key.items()}, cidr)


@pytest.fixture(scope='module')
def heat(cloud):
    user = cloud.projects['a']['users']['member']
    # A busy engine answers slowly; a create must not be sent twice.
    session = ks_session.Session(auth=cloud.auth(user), timeout=120)
    return heat_client.Client('1', session=session,
                              service_type='orchestration',
                              interface='public', region_name=cloud.region,
                              connect_retries=3)


@pytest.fixture(scope='module')
def ecdsa_keys():
    """Nodes' certificates on ECDSA keys, an operator's choice
    (``[x509] key_type``): 84 nodes' RSA keys take a minute here."""
    CONF.set_override('key_type', 'ecdsa', group='x509')
    _issuer.cache_clear()
    yield
    CONF.clear_override('key_type', group='x509')
    _issuer.cache_clear()


@pytest.fixture(scope='module')
def rendered(ecdsa_keys):
    """{combination: Rendered}, each on a subnet of its own, its nodes
    booting from the recording node image."""
    return {combo: stack_of(*combo, image=RECORDING_IMAGE,
                            workers=_workers(combo), cidr=cidr)
            for combo, cidr in zip(COMBINATIONS,
                                   _cidrs(len(COMBINATIONS)))}


@pytest.mark.parametrize('combo', COMBINATIONS, ids=_id)
def test_every_combination_passes_heat_template_validate(heat, rendered,
                                                         combo):
    stack = rendered[combo]
    answer = heat.stacks.validate(template=stack.template, files=stack.files,
                                  environment=stack.environment)
    assert 'Parameters' in answer, answer
    document = json.loads(stack.template)
    nodegroups = [name for name in document['resources']
                  if name.startswith('ng_')]
    assert sorted(nodegroups) == sorted(stack.roles)
    server_type, _distro, masters, lb, fip, volumes = combo
    assert ('load_balancer' in document['resources']) == lb
    node = stack.files['node/node.yaml']
    assert ('etcd_volume' in node) == (server_type == 'vm')
    assert len(stack.user_data) == masters + _workers(combo)


def test_the_matrix_is_complete():
    assert len(COMBINATIONS) == 36
    assert {c[0] for c in COMBINATIONS} == {'vm', 'bm'}
    assert {c[1] for c in COMBINATIONS} == {'fedora-coreos', 'ubuntu'}
    assert {c[2] for c in COMBINATIONS} == {1, 3}


# -- every combination built --------------------------------------------------

def _build_image(engine, tag, value):
    """The node image with the stand-in's user data label set to value
    (one LABEL layer on it: nothing is fetched)."""
    boot = standin_boot()
    dockerfile = 'FROM %s\nLABEL %s=%s\n' % (docker_engine.IMAGE,
                                             boot.USER_DATA_LABEL, value)
    image, _log = engine.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True,
        pull=False)
    assert image.labels.get(boot.USER_DATA_LABEL) == value, image.labels
    return tag


@pytest.fixture(scope='module')
def recording_image(engine, docker_host):
    return _build_image(engine, RECORDING_IMAGE,
                        standin_boot().USER_DATA_RECORD)


@pytest.fixture(scope='module')
def mislabelled_image(engine, docker_host):
    return _build_image(engine, MISLABELLED_IMAGE, 'recorded')


# Beside the 36: one Ubuntu node that runs its cloud-config (the node
# image without the label), and one node of a mislabelled image.
UBUNTU_RUN = ('vm', 'ubuntu', 1, False, False, False)
RUNS = 'ubuntu-runs-its-cloud-config'
MISLABELLED = 'mislabelled-node-image'


def _create(heat, stack, tag):
    created = heat.stacks.create(
        stack_name='k8s-%s' % uuid.uuid4().hex[:8], template=stack.template,
        files=stack.files, environment=stack.environment,
        timeout_mins=STACK_MINUTES, disable_rollback=True,
        tags=tag)
    return created['stack']['id']


def _stack_of_link(resource):
    for link in resource.links:
        if link.get('rel') == 'stack':
            return link['href'].rstrip('/').rsplit('/', 1)[1]
    raise AssertionError('resource %s has no stack link' % resource.to_dict())


def _instance_files(container):
    """{path under the instance directory: bytes} of a node."""
    boot = standin_boot()
    stream, _stat = container.get_archive(boot.INSTANCE_DIR)
    found = {}
    with tarfile.open(fileobj=io.BytesIO(b''.join(stream))) as tar:
        for member in tar.getmembers():
            if member.isfile():
                # The archive's top directory is "instance".
                found[member.name.split('/', 1)[1]] = \
                    tar.extractfile(member).read()
    return found


def _observe(heat, engine, stack_id):
    """What Heat and the stand-in made of a finished stack, read before
    it is deleted: its status, outputs and resources (nested), and of
    each complete server its container's addresses and recorded files."""
    stack = heat.stacks.get(stack_id)
    resources = [types.SimpleNamespace(
        type=r.resource_type, name=r.resource_name,
        physical_id=r.physical_resource_id, status=r.resource_status,
        reason=r.resource_status_reason, stack=_stack_of_link(r))
        for r in heat.resources.list(stack_id, nested_depth=5)]
    servers = {}
    for resource in resources:
        if resource.type != 'OS::Nova::Server' or \
                resource.status != 'CREATE_COMPLETE':
            continue
        found = engine.containers.list(all=True, filters={
            'label': '%s=%s' % (SERVER_LABEL, resource.physical_id)})
        assert len(found) == 1, (resource, found)
        container = found[0]
        networks = container.attrs['NetworkSettings']['Networks']
        servers[resource.physical_id] = types.SimpleNamespace(
            stack=resource.stack, container=container.name,
            running=container.status == 'running',
            root_stack=container.labels.get(ROOT_STACK_LABEL),
            addresses=sorted(n['IPAddress'] for n in networks.values()
                             if n.get('IPAddress')),
            files=_instance_files(container))
    outputs = {o['output_key']: o.get('output_value')
               for o in stack.outputs or []}
    return types.SimpleNamespace(
        status=stack.stack_status, reason=stack.stack_status_reason,
        outputs=outputs, resources=resources, servers=servers, error=None)


def _listed(heat, tag):
    """The stacks of the tag; None when Heat's API did not answer in
    time (a busy engine), to be asked again."""
    try:
        return list(heat.stacks.list(tags=tag))
    except ks_exceptions.RetriableConnectionFailure:
        return None


def _wait_gone(heat, tag, deadline):
    while True:
        left = _listed(heat, tag)
        if left is None:
            assert time.monotonic() < deadline, 'Heat does not answer'
            continue
        failed = [s for s in left if s.stack_status == 'DELETE_FAILED']
        if failed:
            raise AssertionError('stacks not deleted: %s' % [
                (s.stack_name, s.stack_status_reason) for s in failed])
        if not left:
            return
        assert time.monotonic() < deadline, [
            (s.stack_name, s.stack_status) for s in left]
        time.sleep(POLL)


@pytest.fixture(scope='module')
def built(heat, engine, rendered, recording_image, mislabelled_image):
    """{combination (or RUNS, MISLABELLED): what was observed of its
    finished stack}. IN_FLIGHT stacks are built at a time; each is
    observed as soon as it finishes, then deleted in the background while
    the next ones build. All are gone (stacks and containers) after the
    module."""
    tag = 'magnum-test-k8s-%s' % uuid.uuid4().hex[:8]
    queue = [(RUNS, stack_of(*UBUNTU_RUN, image=docker_engine.IMAGE,
                             workers=0)),
             (MISLABELLED, stack_of('vm', 'fedora-coreos', 1, False, False,
                                    False, image=mislabelled_image,
                                    workers=0))]
    queue += [(combo, rendered[combo]) for combo in COMBINATIONS]
    in_flight, observed, made, deleting = {}, {}, set(), set()
    started = time.monotonic()
    deadline = started + BUILD_TIMEOUT
    try:
        while queue or in_flight:
            while queue and len(in_flight) < IN_FLIGHT:
                key, stack = queue.pop(0)
                stack_id = _create(heat, stack, tag)
                made.add(stack_id)
                in_flight[stack_id] = key
            if time.monotonic() > deadline:
                for stack_id, key in in_flight.items():
                    observed[key] = types.SimpleNamespace(
                        error='not finished %d s after the first create'
                        % BUILD_TIMEOUT)
                break
            time.sleep(POLL)
            for listed in _listed(heat, tag) or []:
                if listed.id not in in_flight or \
                        listed.stack_status.endswith('IN_PROGRESS'):
                    continue
                key = in_flight.pop(listed.id)
                try:
                    observed[key] = _observe(heat, engine, listed.id)
                except Exception as error:  # that stack's test says so
                    observed[key] = types.SimpleNamespace(
                        error='%s: %s' % (type(error).__name__, error))
                try:
                    heat.stacks.delete(listed.id)
                    deleting.add(listed.id)
                except Exception:  # deleted at the end, with the rest
                    pass
        print('\n%d stacks built and observed in %.0f s' % (
            len(made), time.monotonic() - started))
        yield observed
    finally:
        # Every stack of the tag (one whose create did not answer too),
        # not twice: a second delete cancels the one under way.
        for listed in _listed(heat, tag) or []:
            made.add(listed.id)
            if listed.id not in deleting:
                try:
                    heat.stacks.delete(listed.id)
                except Exception:  # the wait below says what is left
                    pass
        _wait_gone(heat, tag, time.monotonic() + DELETE_TIMEOUT)
        left = [c.name for c in engine.containers.list(
            all=True, filters={'label': ROOT_STACK_LABEL})
            if c.labels.get(ROOT_STACK_LABEL) in made]
        assert not left, 'containers left behind: %s' % left
        print('%d stacks built, checked and deleted in %.0f s' % (
            len(made), time.monotonic() - started))


def _by_stack(resources):
    grouped = collections.defaultdict(list)
    for resource in resources:
        grouped[resource.stack].append(resource)
    return grouped


def _count(resources, type_name):
    return sum(1 for r in resources if r.type == type_name)


@pytest.mark.parametrize('combo', COMBINATIONS, ids=_id)
def test_every_combination_builds_to_create_complete(built, rendered,
                                                     combo):
    boot = standin_boot()
    facts, stack = built[combo], rendered[combo]
    assert facts.error is None, facts.error
    assert facts.status == 'CREATE_COMPLETE', facts.reason
    server_type, distro, masters, lb, fip, volumes = combo
    workers = _workers(combo)
    nodes = masters + workers
    by_stack = _by_stack(facts.resources)

    # One server per node, each holding exactly the boot configuration the
    # driver rendered for one node, with its own volumes' ids in place of
    # the placeholders; recorded by the stand-in, not run.
    assert len(facts.servers) == nodes, facts.servers
    given = {}
    for server_id, server in sorted(facts.servers.items()):
        assert server.running, server.container
        assert server.root_stack in by_stack  # labelled with its stack
        volumes_of = {r.name: r.physical_id for r in by_stack[server.stack]
                      if r.type == 'OS::Cinder::Volume'}
        received = server.files['user-data.txt'].decode()
        matches = [parameter for parameter, user_data
                   in stack.user_data.items()
                   if user_data.replace(
                       bootconfig.RUNTIME_VOLUME,
                       volumes_of.get('runtime_volume', '')).replace(
                       bootconfig.ETCD_VOLUME,
                       volumes_of.get('etcd_volume', '')) == received]
        assert len(matches) == 1, (server.container, received[:300])
        parameter = matches[0]
        assert parameter not in given, parameter
        given[parameter] = server
        role = stack.role_of(parameter)
        expected = set()
        if volumes:
            expected = {'runtime_volume'} | (
                {'etcd_volume'} if role == 'master' else set())
        assert set(volumes_of) == expected, (role, volumes_of)
        for volume_id in volumes_of.values():
            assert volume_id and volume_id in received
        for placeholder in bootconfig.PLACEHOLDERS:
            assert placeholder not in received
        assert boot.NOT_RUN_PATH.split('/instance/', 1)[1] in server.files
        assert boot.BOOT_FINISHED.split('/instance/', 1)[1] not in \
            server.files
        if distro == 'fedora-coreos':
            files = ignition.files_of(received)
        else:
            assert received.startswith('#cloud-config')
            files = {f.path: f.content.decode() for f in
                     boot.plan(received).files}
        assert '/etc/kubernetes/pki/kubelet-client.crt' in files
        assert ('RUNTIME_VOLUME=%s\n' % volumes_of.get('runtime_volume', '')
                in files[bootconfig.ENV_PATH]), files[bootconfig.ENV_PATH]
    assert set(given) == set(stack.user_data)

    # The outputs give the servers' own addresses, in the planned subnet.
    subnet = ipaddress.ip_network(stack.cidr)
    for role in ('master', 'worker'):
        key = stack.key_of(role)
        mine = sorted(ip for p, s in given.items()
                      if stack.role_of(p) == role for ip in s.addresses)
        assert sorted(facts.outputs['%s_addresses' % key]) == mine
        assert all(ipaddress.ip_address(ip) in subnet for ip in mine)
        public = facts.outputs['%s_public_addresses' % key]
        assert len(public) == len(mine)
        assert all((ipaddress.ip_address(ip) in FLOATING_RANGE) == fip
                   for ip in public), public

    # A load balancer with the masters in its pool iff enabled; a floating
    # IP per node (and the VIP's) iff enabled.
    everything = facts.resources
    assert _count(everything, 'OS::Octavia::LoadBalancer') == int(lb)
    assert _count(everything, 'OS::Octavia::PoolMember') == (
        masters if lb else 0)
    assert _count(everything, 'OS::Neutron::FloatingIP') == (
        nodes + int(lb) if fip else 0)
    assert _count(everything, 'OS::Cinder::Volume') == (
        2 * masters + workers if volumes else 0)

    # The API address is where the driver says: the load balancer's
    # (its floating IP, else its VIP), else the first master's.
    api = ipaddress.ip_address(facts.outputs['api_address'])
    master_key = stack.key_of('master')
    if not lb:
        assert str(api) == facts.outputs[
            '%s_public_addresses' % master_key][0]
    elif fip:
        assert api in FLOATING_RANGE
    elif server_type == 'vm':
        # The VIP planned in the cluster's subnet, which the masters'
        # certificates name.
        assert str(api) == pki.planned_vip(
            stack.cidr, CONF.heat_driver.node_address_offset)
    else:
        assert api in VIP_RANGE


def test_ubuntu_node_fails_its_stack_where_kubernetes_cannot_be_fetched(
        built):
    facts = built[RUNS]
    assert facts.error is None, facts.error
    assert facts.status == 'CREATE_FAILED'
    failed = [r for r in facts.resources if r.type == 'OS::Nova::Server'
              and r.status == 'CREATE_FAILED']
    assert failed, facts.reason
    reason = failed[0].reason
    # The set-up script ran (cloud-config's runcmd) up to the download.
    assert 'downloading https://dl.k8s.io/release/v1.30.5' in reason, reason


def test_a_node_image_with_an_unknown_user_data_label_fails_its_server(
        built):
    facts = built[MISLABELLED]
    assert facts.error is None, facts.error
    assert facts.status == 'CREATE_FAILED'
    failed = [r for r in facts.resources if r.type == 'OS::Nova::Server'
              and r.status == 'CREATE_FAILED']
    assert failed, facts.reason
    assert standin_boot().USER_DATA_LABEL in failed[0].reason
    assert "'recorded'" in failed[0].reason, failed[0].reason


# -- through Magnum: API, conductor, driver, Heat -----------------------------

@pytest.fixture(scope='module')
def through_magnum(cloud, deployment, engine,  # noqa: F811
                   tmp_path_factory):
    """A project member calling the Magnum deployment of the Heat
    drivers' end-to-end tests (``deployment``, from test_heat_swarm: API
    and conductor on the cloud-in-a-box, cloud look-ups off)."""
    made = heat_swarm.Stage(cloud, deployment, engine,
                            tmp_path_factory.mktemp('heat-k8s-client'))
    yield made
    made.clean_up()


def test_a_cluster_through_magnum_waits_for_kubernetes_after_its_stack(
        through_magnum):
    """POST a k8s_vm cluster to a real Magnum: the conductor's driver
    builds the stack in Heat; once it is CREATE_COMPLETE the cluster has
    its addresses and stays CREATE_IN_PROGRESS, its reason saying the
    Kubernetes API does not answer yet (here it never will); DELETE
    removes it and its stack."""
    stage = through_magnum
    template = stage.call('POST', '/clustertemplates', {
        'name': 'heat-k8s-%s' % uuid.uuid4().hex[:6], 'coe': 'kubernetes',
        'server_type': 'vm', 'cluster_distro': 'fedora-coreos',
        'image_id': docker_engine.IMAGE, 'flavor_id': 'm1.small',
        'master_flavor_id': 'm1.small', 'external_network_id': 'public',
        'master_lb_enabled': False, 'floating_ip_enabled': False,
        'labels': {'fixed_subnet_cidr': _cidr()}}, status=201).json()
    stage.templates.append(template['uuid'])
    assert template['driver'] == 'k8s_vm'
    cluster_id = stage.cluster(template, masters=1, workers=1)
    deadline = time.monotonic() + heat_swarm.CLUSTER_TIMEOUT
    while True:
        cluster = stage.show(cluster_id)
        assert cluster['status'] == 'CREATE_IN_PROGRESS', cluster
        if 'Kubernetes API' in (cluster['status_reason'] or ''):
            break
        assert time.monotonic() < deadline, (cluster,
                                             stage.deployment.logs())
        time.sleep(2)
    assert cluster['api_address'].startswith('https://')
    assert cluster['api_address'].endswith(':6443')
    assert len(cluster['master_addresses']) == 1
    assert len(cluster['node_addresses']) == 1
    assert cluster['master_addresses'][0] in cluster['api_address']
    stage.call('DELETE', '/clusters/%s' % cluster_id, status=204)
    stage.wait(cluster_id, 'GONE')
