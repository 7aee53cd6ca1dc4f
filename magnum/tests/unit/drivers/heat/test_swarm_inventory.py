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

"""The nodes of a Heat swarm cluster from its stack's outputs and the
swarm's nodes (the values as Heat and Docker give them)."""

import types

from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.swarm_vm import inventory


def _group(uuid, name, role):
    return types.SimpleNamespace(uuid=uuid, name=name, role=role)


MASTERS = _group('11111111-2222-3333-4444-555555555555', 'default-master',
                 'master')
WORKERS = _group('66666666-7777-8888-9999-000000000000', 'default-worker',
                 'worker')


def _outputs():
    outputs = {}
    for group, names, addresses in (
            (MASTERS, ['s-master-0'], ['10.0.0.5']),
            (WORKERS, ['s-node-0', 's-node-1'], ['10.0.0.6', '10.0.0.7'])):
        key = definition.nodegroup_key(group)
        outputs['%s_names' % key] = names
        outputs['%s_addresses' % key] = addresses
        outputs['%s_refs_map' % key] = {
            str(i): 'server-%s' % name for i, name in enumerate(names)}
    return outputs


def _swarm_node(node_id, hostname, state='ready', role='worker'):
    return {'ID': node_id, 'Description': {
                'Hostname': hostname, 'Engine': {'EngineVersion': '27.5.1'}},
            'Spec': {'Role': role, 'Availability': 'active'},
            'Status': {'State': state},
            'ManagerStatus': {'Reachability': 'reachable'}
            if role == 'manager' else None}


def _url(address):
    return 'tcp://%s:2376' % address


def test_every_server_of_the_outputs_with_the_swarm_view():
    known = {'s-master-0': _swarm_node('m', 'S-Master-0', role='manager'),
             's-node-0': _swarm_node('a', 's-node-0'),
             's-node-1': _swarm_node('b', 's-node-1', state='down')}
    listed = inventory.list_nodes(_outputs(), [MASTERS, WORKERS], known,
                                  {'a': 2}, None, _url)
    assert [(n['name'], n['role'], n['nodegroup'], n['status'],
             n['running_tasks']) for n in listed] == [
        ('s-master-0', 'master', 'default-master', 'Ready', 0),
        ('s-node-0', 'worker', 'default-worker', 'Ready', 2),
        ('s-node-1', 'worker', 'default-worker', 'NotReady', 0)]
    assert listed[2]['status_reason'] == 'the swarm says it is down'
    assert listed[1]['server_id'] == 'server-s-node-0'
    assert listed[1]['addresses'] == ['10.0.0.6']
    assert listed[1]['docker_url'] == 'tcp://10.0.0.6:2376'
    assert listed[1]['engine_version'] == '27.5.1'


def test_an_unreadable_swarm_makes_every_node_unknown():
    listed = inventory.list_nodes(_outputs(), [MASTERS, WORKERS], {}, {},
                                  'the swarm manager does not answer', _url)
    assert {(n['status'], n['status_reason']) for n in listed} == {
        ('Unknown', 'the swarm manager does not answer')}
    assert all(n['running_tasks'] is None for n in listed)


def test_a_server_missing_from_the_swarm_is_not_ready():
    listed = inventory.list_nodes(_outputs(), [WORKERS], {}, {}, None, _url)
    assert [(n['status'], n['status_reason']) for n in listed] == [
        ('NotReady', 'it is not in the swarm')] * 2


def test_refs_are_in_member_order_past_nine():
    key = definition.nodegroup_key(WORKERS)
    names = ['n-%d' % i for i in range(11)]
    outputs = {'%s_names' % key: names,
               '%s_refs_map' % key: {str(i): 'id-%d' % i
                                     for i in range(11)}}
    listed = inventory.list_nodes(outputs, [WORKERS], {}, {}, None, _url)
    assert {n['name']: n['server_id'] for n in listed} == {
        'n-%d' % i: 'id-%d' % i for i in range(11)}


def test_a_rebuilt_server_is_its_ready_entry():
    def entry(node_id, state):
        return {'ID': node_id, 'Description': {'Hostname': 'S-Node-0'},
                'Spec': {'Role': 'worker'}, 'Status': {'State': state}}
    for order in ((entry('new', 'ready'), entry('old', 'down')),
                  (entry('old', 'down'), entry('new', 'ready'))):
        assert inventory.by_hostname(order)['s-node-0']['ID'] == 'new'
