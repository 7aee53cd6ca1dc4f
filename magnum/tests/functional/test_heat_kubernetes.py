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
  bare metal, Fedora CoreOS and Ubuntu) passes Heat's own
  template-validate, with the shared fragments and the driver's node
  template as the files and the nodes' real boot configurations as
  parameters;
- a chosen few are created to CREATE_COMPLETE with the cloud-in-a-box's
  stand-ins (a server is a container of the node image; Neutron, Octavia
  and Cinder resources are provider templates): Fedora CoreOS nodes, whose
  Ignition config the stand-in keeps but does not run; the container
  holds the exact config Heat gave the server, volume ids in place;
- an Ubuntu node runs its cloud-config for real in the stand-in and its
  set-up script fails where it must, downloading Kubernetes: the stack is
  CREATE_FAILED and the reason names the server and the download.

The stacks above are what the drivers build (``build_stack`` and
``node_boot``), for clusters held in memory rather than in Magnum's
database. Last, one k8s_vm cluster goes through a real Magnum (API,
conductor, certificates, application credential): its stack is built,
its addresses recorded, and it waits, CREATE_IN_PROGRESS, for a
Kubernetes API that cannot come up here; then it is deleted. The rest of
the lifecycle (resize, nodegroups, upgrade) is the Heat driver base's,
proven end to end by test_heat_swarm.py.
"""

import functools
import json
import random
import time
import types
from unittest import mock
import uuid

from heatclient import client as heat_client
import pytest

from magnum import objects
from magnum.common import certificates
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

STACK_TIMEOUT = 150
# How the cloud-in-a-box's Nova stand-in labels a server's container.
SERVER_LABEL = 'org.openstack.magnum.standin.server'


def _cidr():
    # Nodes have fixed addresses: each stack its own subnet, outside the
    # default pod (10.100.0.0/16) and service (10.254.0.0/16) ranges.
    return '10.%d.%d.0/24' % (random.randint(32, 99),
                              random.randint(0, 255))


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


def _id(combo):
    server_type, distro, masters, lb, fip, volumes = combo
    return '%s-%s-%dm%s%s%s' % (server_type, distro, masters,
                                '-lb' if lb else '', '-fip' if fip else '',
                                '-vol' if volumes else '')


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


def stack_of(server_type, distro, masters, lb, fip, volumes, image,
             workers=1, boot_cache=None):
    """(template, files, environment with parameters) the driver builds
    for such a cluster."""
    driver = (vm_driver.KubernetesVMDriver() if server_type == 'vm' else
              bm_driver.KubernetesBMDriver())
    driver.name = 'k8s_%s' % server_type
    labels = {'fixed_subnet_cidr': _cidr()}
    if volumes:
        labels.update(etcd_volume_size='5')
    template = types.SimpleNamespace(
        image_id=image, flavor_id='m1.medium', master_flavor_id='m1.medium',
        keypair_id='', external_network_id='public', dns_nameserver='',
        cluster_distro=distro, network_driver='flannel', labels=labels,
        # Bare metal boots from the network Ironic nodes are on.
        fixed_network='baremetal' if server_type == 'bm' else None,
        fixed_subnet='baremetal-subnet' if server_type == 'bm' else None)
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
        nodegroup = by_key[key]
        cache_key = (distro, nodegroup.role, name == '0')
        if boot_cache is not None and cache_key in boot_cache:
            user_data = boot_cache[cache_key]
        else:
            user_data = driver.node_boot(work, nodegroup, name,
                                         states[key].addresses[name])
            if boot_cache is not None:
                boot_cache[cache_key] = user_data
        parameters[definition.node_parameter(key, name)] = user_data
    built = driver.build_stack(work)
    environment = dict(built['environment'], parameters=parameters)
    return built['template'], built['files'], environment


@pytest.fixture(scope='module')
def heat(cloud):
    user = cloud.projects['a']['users']['member']
    return heat_client.Client('1', session=cloud.session(user),
                              service_type='orchestration',
                              interface='public', region_name=cloud.region,
                              connect_retries=3)


@pytest.fixture(scope='module')
def boot_cache():
    # Heat only checks that each node's user data is a string; one real
    # rendering per (OS, role, first master) keeps 36 templates quick.
    return {}


@pytest.mark.parametrize('combo', _combinations(), ids=_id)
def test_every_combination_passes_heat_template_validate(heat, combo,
                                                         boot_cache):
    template, files, environment = stack_of(*combo, image='an-image',
                                            boot_cache=boot_cache)
    answer = heat.stacks.validate(template=template, files=files,
                                  environment=environment)
    assert 'Parameters' in answer, answer
    document = json.loads(template)
    nodegroups = [name for name in document['resources']
                  if name.startswith('ng_')]
    assert len(nodegroups) == 2
    server_type, _distro, masters, lb, fip, volumes = combo
    assert ('load_balancer' in document['resources']) == lb
    node = files['node/node.yaml']
    assert ('etcd_volume' in node) == (server_type == 'vm')


def test_the_matrix_is_complete():
    combos = _combinations()
    assert len(combos) == 36
    assert {c[0] for c in combos} == {'vm', 'bm'}
    assert {c[2] for c in combos} == {1, 3}


def _wait(heat, stack_id, timeout=STACK_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        stack = heat.stacks.get(stack_id)
        if not stack.stack_status.endswith('IN_PROGRESS'):
            return stack
        assert time.monotonic() < deadline, stack.stack_status
        time.sleep(2)


def _wait_deleted(heat, stack_id):
    try:
        _wait(heat, stack_id)
    except Exception as error:  # gone already is fine
        if 'could not be found' not in str(error) and \
                'Not found' not in str(error):
            raise


def _create(heat, template, files, environment):
    created = heat.stacks.create(
        stack_name='k8s-%s' % uuid.uuid4().hex[:8], template=template,
        files=files, environment=environment, timeout_mins=5,
        disable_rollback=True)
    return created['stack']['id']


# The stacks built for real: every kind of resource the templates use
# (servers on VMs and bare metal, Cinder volumes with their ids in the
# user data, three masters behind the Octavia load balancer with floating
# IPs) at least once, on as few servers as that takes; and one Ubuntu
# node, whose cloud-config the stand-in runs.
REPRESENTATIVE = [
    ('vm', 'fedora-coreos', 1, False, False, True),
    ('vm', 'fedora-coreos', 3, True, True, False),
    ('bm', 'fedora-coreos', 1, True, False, False),
]
UBUNTU = ('vm', 'ubuntu', 1, False, False, False)


@pytest.fixture(scope='module')
def built(heat, engine, docker_host):
    """{combo: finished stack}: all of them created at once (Heat builds
    them side by side), then deleted together at the module's end."""
    made = {}
    try:
        for combo in REPRESENTATIVE + [UBUNTU]:
            # The three masters' stack has no worker: masters are what it
            # tests; the Ubuntu stack's one master is enough to fail.
            workers = 0 if combo[2] > 1 or combo == UBUNTU else 1
            made[combo] = _create(heat, *stack_of(
                *combo, image=docker_engine.IMAGE, workers=workers))
        yield {combo: _wait(heat, stack_id)
               for combo, stack_id in made.items()}
    finally:
        for stack_id in made.values():
            try:
                heat.stacks.delete(stack_id)
            except Exception:
                pass
        for stack_id in made.values():
            _wait_deleted(heat, stack_id)


def _servers(heat, stack_id):
    return [r for r in heat.resources.list(stack_id, nested_depth=5)
            if r.resource_type == 'OS::Nova::Server']


@pytest.mark.parametrize('combo', REPRESENTATIVE, ids=_id)
def test_representative_stacks_reach_create_complete(heat, engine, built,
                                                     combo):
    stack = built[combo]
    assert stack.stack_status == 'CREATE_COMPLETE', \
        stack.stack_status_reason
    outputs = {o['output_key']: o['output_value'] for o in stack.outputs}
    assert outputs['api_address']
    servers = _servers(heat, stack.id)
    server_type, _distro, masters, lb, fip, volumes = combo
    assert len(servers) == masters + (0 if masters > 1 else 1)
    # What each server was given is the Ignition config the driver
    # rendered, with the volume placeholders replaced by Heat.
    for server in servers:
        container = _container_of(engine, server.physical_resource_id)
        written = ignition.files_of(_read(container,
                                          '/etc/magnum-ignition.json'))
        env = written[bootconfig.ENV_PATH]
        assert bootconfig.RUNTIME_VOLUME not in env
        assert bootconfig.ETCD_VOLUME not in env
        assert ('RUNTIME_VOLUME=\n' in env) == (not volumes), env
        assert '/etc/kubernetes/pki/kubelet-client.crt' in written


def _container_of(engine, server_id):
    """The stand-in's container of a server (labelled with its id)."""
    found = engine.containers.list(all=True, filters={
        'label': '%s=%s' % (SERVER_LABEL, server_id)})
    assert len(found) == 1, (server_id, found)
    return found[0]


def _read(container, path):
    result = container.exec_run(['cat', path])
    assert result.exit_code == 0, result.output
    return result.output.decode()


def test_ubuntu_node_fails_its_stack_where_kubernetes_cannot_be_fetched(
        heat, built):
    stack = built[UBUNTU]
    assert stack.stack_status == 'CREATE_FAILED'
    failed = [r for r in _servers(heat, stack.id)
              if r.resource_status == 'CREATE_FAILED']
    assert failed, stack.stack_status_reason
    reason = failed[0].resource_status_reason
    # The set-up script ran (cloud-config's runcmd) up to the download.
    assert 'downloading https://dl.k8s.io/release/v1.30.5' in reason, reason


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
