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

"""A Kubernetes cluster whose API addresses are the cloud's choice
(floating IPs, a VIP in the template's own subnet): its stack is created
with those addresses only, then the status sync signs the masters'
certificates with what Heat made and adds the servers by an update.

Heat is a recording fake here, answering as the real one does to the
driver's calls (magnum/tests/functional/test_heat_kubernetes_addresses.py
runs the same against the cloud-in-a-box's Heat)."""

import json
import types
from unittest import mock

from cryptography import x509
import pytest
import yaml

from magnum import objects
from magnum.drivers.heat import stacks
from magnum.drivers.heat import status as stack_status
from magnum.drivers.heat import steps
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import ignition
from magnum.drivers.heat.kubernetes import phases
from magnum.drivers.heat.kubernetes import pki
from magnum.tests.unit.drivers.heat_k8s import test_driver

# Autouse: a few keys, reused (what goes where is tested, not the keys).
from magnum.tests.unit.drivers.heat_k8s.test_driver import few_keys  # noqa

LB_FIP = '203.0.113.7'
MASTER_FIPS = ['203.0.113.21', '203.0.113.22', '203.0.113.23']
REAL_VIP = '192.168.50.77'


def _work(issuer, **kwargs):
    kwargs.setdefault('floating_ip_enabled', True)
    return test_driver._work(issuer, **kwargs)


def _by_role(work):
    return {ng.role: ng for ng in work.nodegroups}


def _key(work, role):
    return definition.nodegroup_key(_by_role(work)[role])


def _sans(pem):
    names = x509.load_pem_x509_certificate(pem.encode()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}


def _files(user_data):
    return ignition.files_of(user_data)


# -- when ---------------------------------------------------------------------

@pytest.mark.parametrize('floating, lb, fixed_network, lb_fip, two_phases', [
    (False, False, None, None, False),  # fixed addresses, planned by Magnum
    (False, True, None, None, False),   # planned VIP in Magnum's subnet
    (False, True, 'tenant-net', None, True),  # Octavia chooses the VIP
    (True, False, None, None, True),    # the masters' floating IPs
    (True, True, None, None, True),     # and the load balancer's
    (False, True, None, 'true', True),  # the load balancer's only
    (True, True, None, 'false', True),  # the masters' only
])
def test_two_phases_only_when_the_cloud_chooses_an_api_address(
        issuer, floating, lb, fixed_network, lb_fip, two_phases):
    labels = {} if lb_fip is None else {
        'master_lb_floating_ip_enabled': lb_fip}
    work = _work(issuer, floating_ip_enabled=floating, lb=lb,
                 masters=3 if lb else 1, fixed_network=fixed_network,
                 labels=labels)
    assert work.driver._two_phases(work.cluster, work.template) == \
        two_phases


@pytest.mark.parametrize('floating, label, expected', [
    (True, None, True), (False, None, False), (True, 'false', False),
    (False, 'true', True)])
def test_the_load_balancers_floating_ip_follows_its_label(
        issuer, floating, label, expected):
    labels = {} if label is None else {
        'master_lb_floating_ip_enabled': label}
    work = _work(issuer, floating_ip_enabled=floating, labels=labels)
    work._kubernetes['addresses_only'] = True
    stack = json.loads(work.driver.build_stack(work)['template'])
    assert stack['resources']['load_balancer']['properties'][
        'floating_ip_enabled'] is expected


# -- phase one: the addresses -------------------------------------------------

def test_the_first_stack_has_the_addresses_and_no_server(issuer):
    work = _work(issuer)
    work._kubernetes['addresses_only'] = True
    stack = json.loads(work.driver.build_stack(work)['template'])
    resources = stack['resources']
    assert not [name for name in resources if name.startswith('ng_')]
    assert stack['parameters'] == {}  # no user data to give yet
    master_key = _key(work, 'master')
    fips = sorted(name for name in resources if name.startswith('fip_'))
    assert fips == sorted(phases.floating_ip_name(master_key, m)
                          for m in ('0', '1', '2'))
    assert resources[fips[0]] == {
        'type': 'OS::Neutron::FloatingIP', 'depends_on': ['network'],
        'properties': {'floating_network': 'public'}}
    assert {'network', 'load_balancer', 'secgroup_master',
            'secgroup_cluster'} <= set(resources)
    outputs = stack['outputs']
    assert outputs[phases.PHASE_OUTPUT] == {'value': phases.ADDRESSES}
    assert outputs['api_address'] == {
        'value': {'get_attr': ['load_balancer', 'address']}}
    assert outputs[phases.VIP_OUTPUT] == {
        'value': {'get_attr': ['load_balancer', 'vip_address']}}
    assert outputs[phases.PUBLIC_OUTPUT]['value'] == [
        {'get_attr': ['load_balancer', 'address']}] + [
        {'get_attr': [name, 'floating_ip_address']} for name in fips]
    assert not [name for name in outputs if name.startswith('ng_')]


def test_without_a_load_balancer_the_api_is_the_first_masters_floating_ip(
        issuer):
    work = _work(issuer, lb=False, masters=1)
    work._kubernetes['addresses_only'] = True
    stack = json.loads(work.driver.build_stack(work)['template'])
    first = phases.floating_ip_name(_key(work, 'master'), '0')
    assert stack['outputs']['api_address'] == {
        'value': {'get_attr': [first, 'floating_ip_address']}}
    assert phases.VIP_OUTPUT not in stack['outputs']


def test_create_makes_the_addresses_stack_and_signs_nothing(issuer,
                                                            monkeypatch):
    work = _work(issuer)
    created = {}

    def create(heat, name, template, files, environment, parameters,
               timeout):
        created.update(template=json.loads(template), parameters=parameters,
                       timeout=timeout)
        return 'stack-1'
    monkeypatch.setattr(stacks, 'create', create)
    monkeypatch.setattr(stacks, 'client_for', lambda c, ctx: 'heat')
    monkeypatch.setattr(work.driver, 'node_boot', mock.Mock(
        side_effect=AssertionError('no certificate before the addresses')))
    cluster = work.cluster
    cluster.save = lambda: None
    with mock.patch.object(objects.NodeGroup, 'list',
                           return_value=work.nodegroups):
        for nodegroup in work.nodegroups:
            nodegroup.save = lambda: None
        work.driver.create_cluster(None, cluster, 60)
    assert cluster.stack_id == 'stack-1'
    assert created['parameters'] == {}
    assert created['timeout'] == 60
    assert created['template']['outputs'][phases.PHASE_OUTPUT]


def test_without_addresses_to_wait_for_the_create_is_one_stack(
        issuer, monkeypatch):
    work = _work(issuer, floating_ip_enabled=False)
    created = {}

    def create(heat, name, template, files, environment, parameters,
               timeout):
        created.update(template=json.loads(template), parameters=parameters)
        return 'stack-1'
    monkeypatch.setattr(stacks, 'create', create)
    monkeypatch.setattr(stacks, 'client_for', lambda c, ctx: 'heat')
    work.cluster.save = lambda: None
    for nodegroup in work.nodegroups:
        nodegroup.save = lambda: None
    with mock.patch.object(objects.NodeGroup, 'list',
                           return_value=work.nodegroups), \
            mock.patch('magnum.drivers.heat.kubernetes.pki.Issuer.'
                       'for_cluster', return_value=issuer):
        work.driver.create_cluster(None, work.cluster, 60)
    assert len(created['parameters']) == 5  # every node's user data
    assert phases.PHASE_OUTPUT not in created['template']['outputs']
    assert not [n for n in created['template']['resources']
                if n.startswith('fip_')]


# -- phase two: the servers, signed with what Heat made -----------------------

class FakeHeat:
    """Heat's answers to the calls of the second phase, and what the
    driver asked of it."""

    def __init__(self, status, outputs, stored):
        self.stack = types.SimpleNamespace(
            id='stack-1', stack_status=status, stack_status_reason='',
            outputs=[{'output_key': k, 'output_value': v}
                     for k, v in outputs.items()])
        self.stored = stored
        self.updates = []
        self.refuse = None
        self.reads = 0
        self.stacks = self

    def get(self, stack_id, resolve_outputs=True):
        self.reads += 1
        return self.stack

    def template(self, stack_id):
        return self.stored

    def update(self, stack_id, **kwargs):
        if self.refuse:
            raise self.refuse
        self.updates.append(kwargs)


def _addresses_outputs(vip=REAL_VIP, public=None):
    return {phases.PHASE_OUTPUT: phases.ADDRESSES,
            'api_address': LB_FIP, phases.VIP_OUTPUT: vip,
            phases.PUBLIC_OUTPUT: public if public is not None else
            [LB_FIP] + MASTER_FIPS}


@pytest.fixture
def second_phase(issuer, monkeypatch):
    """(work of a cluster whose addresses stack is made, fake Heat,
    recorded failures)."""
    work = _work(issuer)
    work._kubernetes['addresses_only'] = True
    stored = json.loads(work.driver.build_stack(work)['template'])
    heat = FakeHeat('CREATE_COMPLETE', _addresses_outputs(), stored)
    monkeypatch.setattr(stacks, 'client_for', lambda c, ctx: heat)
    failures = []
    monkeypatch.setattr(steps.cluster_status, 'fail',
                        lambda ctx, c, reason: failures.append(reason))
    cluster = work.cluster
    cluster.status = 'CREATE_IN_PROGRESS'
    cluster.stack_id = 'stack-1'
    cluster.api_address = None
    cluster.conditions = []
    cluster.create_timeout = 60
    cluster.created_at = None
    cluster.save = lambda: None
    for nodegroup in work.nodegroups:
        nodegroup.save = lambda: None
        nodegroup.node_addresses = []
        nodegroup.stack_id = 'stack-1'
    patches = [
        mock.patch.object(objects.NodeGroup, 'list',
                          return_value=work.nodegroups),
        mock.patch('magnum.drivers.heat.kubernetes.pki.Issuer.for_cluster',
                   return_value=issuer)]
    for patch in patches:
        patch.start()
    yield work, heat, failures
    for patch in patches:
        patch.stop()


def _user_data(update, work, role, member='0'):
    return update['parameters'][definition.node_parameter(
        _key(work, role), member)]


def test_the_sync_adds_the_servers_signed_with_the_addresses_heat_made(
        second_phase):
    work, heat, failures = second_phase
    driver, cluster = work.driver, work.cluster
    driver.update_cluster_status(None, cluster)
    assert failures == []
    [update] = heat.updates
    assert update['existing'] is True
    full = json.loads(update['template'])
    assert phases.PHASE_OUTPUT not in full['outputs']
    assert {_key(work, 'master'), _key(work, 'worker')} <= set(
        full['resources'])
    # Every master's API certificate names the load balancer's floating
    # IP, its VIP as Octavia made it and every master's floating IP.
    for member in ('0', '1', '2'):
        files = _files(_user_data(update, work, 'master', member))
        sans = _sans(files['%s/apiserver.crt' % pki.PKI])
        assert {LB_FIP, REAL_VIP, *MASTER_FIPS} <= sans
    # Workers reach the API at the VIP Heat made.
    worker = _files(_user_data(update, work, 'worker'))
    kubeconfig = yaml.safe_load(worker['/etc/kubernetes/kubelet.conf'])
    assert kubeconfig['clusters'][0]['cluster']['server'] == \
        'https://%s:6443' % REAL_VIP
    # Recorded now: the API's address and why the cluster still waits.
    assert cluster.api_address == 'https://%s:6443' % LB_FIP
    [condition] = cluster.conditions
    assert (condition['type'], condition['reason']) == (
        stack_status.STACK_READY, 'AddingServers')
    assert update['timeout_mins'] == 60


def test_workers_floating_ips_come_with_their_servers(second_phase):
    work, heat, _failures = second_phase
    work.driver.update_cluster_status(None, work.cluster)
    full = json.loads(heat.updates[0]['template'])
    worker_key = _key(work, 'worker')
    for member in ('0', '1'):
        name = phases.floating_ip_name(worker_key, member)
        assert full['resources'][name]['type'] == 'OS::Neutron::FloatingIP'
        entry = full['resources'][worker_key]['properties'][
            'node_properties']['nodes'][member]
        assert entry['floating_ip'] == {'get_resource': name}
        assert entry['floating_ip_address'] == {
            'get_attr': [name, 'floating_ip_address']}
    # The masters' are the ones the first phase made, under their names.
    stored_fips = {n for n in heat.stored['resources']
                   if n.startswith('fip_')}
    assert stored_fips <= set(full['resources'])


def test_a_refused_update_fails_the_create_naming_it(second_phase):
    work, heat, failures = second_phase
    heat.refuse = stacks.HeatFailure(action='update stack stack-1',
                                     answer='Quota exceeded for instances')
    work.driver.update_cluster_status(None, work.cluster)  # no raise
    assert len(failures) == 1
    assert failures[0].startswith('Adding the servers to the stack failed')
    assert 'Quota exceeded for instances' in failures[0]


@pytest.mark.parametrize('status, outputs', [
    ('CREATE_IN_PROGRESS', _addresses_outputs()),
    ('CREATE_COMPLETE', {'api_address': LB_FIP}),   # one phase, complete
    ('UPDATE_IN_PROGRESS', _addresses_outputs()),   # phase two started
])
def test_other_stacks_are_the_heat_bases_to_observe(second_phase, status,
                                                    outputs):
    work, heat, _failures = second_phase
    heat.stack = FakeHeat(status, outputs, None).stack
    with mock.patch.object(stack_status, 'observe') as observe:
        work.driver.update_cluster_status(None, work.cluster)
    assert heat.updates == []
    observe.assert_called_once()


def test_a_one_phase_cluster_costs_no_extra_read(second_phase):
    """A cluster whose addresses are all planned is never in a first
    phase: the period's stack list is all the driver reads before the
    Heat base's observation."""
    work, heat, _failures = second_phase
    work.cluster.floating_ip_enabled = False  # VIP planned, no floating IP
    summary = FakeHeat('CREATE_COMPLETE', {}, None).stack
    work.driver._observed = {'stack-1': summary}
    with mock.patch.object(stack_status, 'observe') as observe:
        work.driver.update_cluster_status(None, work.cluster)
    assert heat.reads == 0
    observe.assert_called_once_with(work.driver, None, work.cluster,
                                    summary)


def test_a_create_ends_with_the_stack_update_it_made(second_phase):
    """The Heat base's observation takes a create's UPDATE_COMPLETE as
    the stack being built."""
    work, heat, _failures = second_phase
    outputs = {'%s_names' % definition.nodegroup_key(ng):
               ['n'] * ng.node_count for ng in work.nodegroups}
    heat.stack = FakeHeat('UPDATE_COMPLETE', outputs, None).stack
    ready = []
    work.driver.observe_ready = lambda ctx, c: (ready.append(c) or
                                                (False, 'waiting'))
    work.driver.update_cluster_status(None, work.cluster)
    assert ready == [work.cluster]
    assert work.cluster.status_reason == 'waiting'


# -- later operations sign with the same addresses ----------------------------

def test_an_upgrade_of_the_masters_signs_the_stacks_addresses(issuer,
                                                              monkeypatch):
    outputs = _addresses_outputs()
    del outputs[phases.PHASE_OUTPUT]
    heat = FakeHeat('UPDATE_COMPLETE', outputs, None)
    monkeypatch.setattr(stacks, 'client_for', lambda c, ctx: heat)
    work = _work(issuer, labels={'etcd_volume_size': '5'},
                 stack_id='stack-1')
    master = _by_role(work)['master']
    work.upgrading = master.uuid
    work.new = []
    # The upgrade's batch: master 1 alone (kubernetes/upgrade.py).
    work.upgrade_members = {_key(work, 'master'): ['1']}
    work.driver.build_stack(work)
    files = _files(work.node_parameters[definition.node_parameter(
        _key(work, 'master'), '1')])
    assert {LB_FIP, REAL_VIP, *MASTER_FIPS} <= _sans(
        files['%s/apiserver.crt' % pki.PKI])


def test_api_server_names_are_unique_and_split_by_kind():
    addresses = pki.Addresses.of(['10.0.0.10', '10.0.0.11'], '10.0.0.9',
                                 '10.254.0.0/16',
                                 ['203.0.113.5', '10.0.0.9', '',
                                  'api.example.com'])
    dns, ips = pki.api_server_names('m-0', '10.0.0.10', addresses)
    assert ips == ['127.0.0.1', '10.254.0.1', '10.0.0.10', '10.0.0.11',
                   '10.0.0.9', '203.0.113.5']
    assert 'api.example.com' in dns and 'kubernetes.default.svc' in dns


def test_stack_addresses_read_from_outputs():
    read = phases.read({phases.VIP_OUTPUT: '10.1.0.5',
                        phases.PUBLIC_OUTPUT: ['203.0.113.9', '',
                                               '203.0.113.9', None]})
    assert read == phases.StackAddresses('10.1.0.5', ('203.0.113.9',))
    assert phases.read({}) == phases.StackAddresses()
    assert bootconfig.API_PORT == 6443
