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

"""What every Heat driver shares: member names and fixed addresses as
Heat's ResourceGroup will have them, the generated stack, the step
runner, and the stack-to-cluster status mapping."""

import json
import shutil
import subprocess
import types

import pytest
import yaml

from magnum.common import conditions
from magnum.drivers.heat import addresses
from magnum.drivers.heat import failures
from magnum.drivers.heat import stacks
from magnum.drivers.heat import status
from magnum.drivers.heat import steps
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.swarm_vm import boot
from magnum.drivers.heat.swarm_vm import driver as swarm_driver
from magnum.objects import fields

STATUS = fields.ClusterStatus

UUID_M = '11111111-1111-1111-1111-111111111111'
UUID_W = '22222222-2222-2222-2222-222222222222'
VOLUME_ID = '5a1c3d4e-0f6b-4a7c-9d2e-8b1f0c3a5e7d'


def nodegroup(uuid, name, role, count, **extra):
    values = dict(uuid=uuid, name=name, role=role, node_count=count,
                  is_default=True, image_id=None, flavor_id=None,
                  docker_volume_size=None, node_labels={}, stack_id=None)
    values.update(extra)
    return types.SimpleNamespace(**values)


def cluster(**extra):
    values = dict(uuid='33333333-3333-3333-3333-333333333333',
                  name='c1', labels={'fixed_subnet_cidr': '10.9.0.0/24'},
                  fixed_network=None, fixed_subnet=None,
                  master_lb_enabled=False, floating_ip_enabled=False,
                  keypair=None, master_flavor_id='m1', flavor_id='w1',
                  docker_volume_size=None, stack_id=None,
                  status=STATUS.CREATE_IN_PROGRESS, conditions=[])
    values.update(extra)
    return types.SimpleNamespace(**values)


def template():
    return types.SimpleNamespace(
        labels={}, image_id='debian-node', fixed_network=None,
        fixed_subnet=None, dns_nameserver=None, external_network_id=None,
        keypair_id=None, master_flavor_id='m1', flavor_id='w1')


class TestMembers:
    def test_names_skip_removed_for_good(self):
        assert addresses.members(3, []) == ['0', '1', '2']
        assert addresses.members(3, ['1']) == ['0', '2', '3']

    def test_addresses_from_offset_and_kept(self):
        got = addresses.assign('10.9.0.0/24', [('a', '0'), ('a', '1')],
                               {('a', '1'): '10.9.0.10'})
        assert got == {('a', '1'): '10.9.0.10', ('a', '0'): '10.9.0.11'}

    def test_neutron_keeps_the_range_below_the_offset(self):
        assert addresses.allocation_pools('10.9.0.0/24') == [
            {'start': '10.9.0.2', 'end': '10.9.0.9'}]

    def test_exhausted_subnet_is_a_clear_error(self):
        with pytest.raises(addresses.AddressesExhausted):
            addresses.assign('10.9.0.0/29', [('a', str(i))
                                             for i in range(3)], {})


class TestPlan:
    def test_resize_down_with_nodes_to_remove(self):
        master = nodegroup(UUID_M, 'default-master', 'master', 1)
        worker = nodegroup(UUID_W, 'default-worker', 'worker', 3)
        states, new = definition.plan(cluster(), template(),
                                      [master, worker])
        wkey = definition.nodegroup_key(worker)
        assert states[wkey].members == ['0', '1', '2']
        assert len(new) == 4
        worker.node_count = 2
        states2, new2 = definition.plan(cluster(), template(),
                                        [master, worker], states,
                                        {wkey: ['1']})
        assert states2[wkey].members == ['0', '2']
        assert states2[wkey].removed == ['1']
        assert new2 == []
        # Addresses of the nodes kept do not move.
        assert states2[wkey].addresses['2'] == states[wkey].addresses['2']
        worker.node_count = 3
        states3, new3 = definition.plan(cluster(), template(),
                                        [master, worker], states2)
        assert new3 == [(wkey, '3')]
        assert states3[wkey].addresses['3'] not in \
            states2[wkey].addresses.values()

    def test_state_read_back_from_the_stored_template(self):
        state = definition.NodegroupState('ng_x', ['0', '2'], ['1'],
                                          {'0': '10.0.0.10'})
        stored = {'resources': {'ng_x': {'metadata': state.metadata()},
                                'network': {}}}
        back = definition.stored_states(stored)['ng_x']
        assert (back.members, back.removed, back.addresses) == (
            ['0', '2'], ['1'], {'0': '10.0.0.10'})


class FakeWork:
    def __init__(self, nodegroups):
        self.cluster = cluster()
        self.template = template()
        self.nodegroups = nodegroups
        self.image = None
        self.upgrading = None
        self.max_batch_size = None
        self.context = None
        self.upgrade_members = {}
        self.stored_template = {}
        self.states, self.new = definition.plan(self.cluster, self.template,
                                                nodegroups)


class TestStack:
    def test_swarm_stack(self):
        driver = swarm_driver.SwarmModeVMDriver()
        driver.name = 'swarm_vm'
        master = nodegroup(UUID_M, 'default-master', 'master', 1)
        worker = nodegroup(UUID_W, 'default-worker', 'worker', 2)
        work = FakeWork([master, worker])
        built = driver.build_stack(work)
        body = json.loads(built['template'])
        mkey, wkey = (definition.nodegroup_key(master),
                      definition.nodegroup_key(worker))
        assert body['resources'][wkey]['depends_on'] == [mkey]
        props = body['resources'][wkey]['properties']
        assert props['node_count'] == 2
        assert props['node_type'] == driver.node_type
        nodes = props['node_properties']['nodes']
        assert nodes['0']['user_data'] == {
            'get_param': definition.node_parameter(wkey, '0')}
        # Each member its own image (an upgrade moves them in batches).
        assert nodes['0']['image'] == nodes['1']['image'] == 'debian-node'
        assert 'image' not in props['node_properties']
        # Boot configurations are hidden parameters, never in the body.
        assert body['parameters'][definition.node_parameter(wkey, '1')] \
            == {'type': 'string', 'hidden': True}
        assert body['outputs']['api_address']['value'] == {
            'get_attr': [mkey, 'node_public_addresses', 0]}
        assert set(built['files']) >= {'fragments/nodegroup.yaml',
                                       'fragments/network.yaml',
                                       'node/node.yaml'}
        assert built['environment']['resource_registry'] == {
            driver.node_type: 'node/node.yaml'}
        network = body['resources']['network']['properties']
        assert network['fixed_subnet_cidr'] == '10.9.0.0/24'
        assert 'load_balancer' not in body['resources']

    def test_load_balancer_when_enabled(self):
        driver = swarm_driver.SwarmModeVMDriver()
        work = FakeWork([nodegroup(UUID_M, 'm', 'master', 3)])
        work.cluster.master_lb_enabled = True
        body = json.loads(driver.build_stack(work)['template'])
        assert body['resources']['load_balancer']['properties'][
            'port'] == boot.DOCKER_PORT
        assert body['outputs']['api_address']['value'] == {
            'get_attr': ['load_balancer', 'address']}

    def test_fragments_are_hot(self):
        for name, text in definition.fragment_files().items():
            parsed = yaml.safe_load(text)
            assert str(parsed['heat_template_version']) == \
                definition.HOT_VERSION, name
            assert 'outputs' in parsed and 'parameters' in parsed, name


class TestSteps:
    def test_reverts_in_reverse_order_and_records_failure(self,
                                                          monkeypatch):
        done = []
        failed = []
        monkeypatch.setattr(steps.cluster_status, 'fail',
                            lambda ctx, c, reason: failed.append(reason))

        class Mark(steps.Step):
            def __init__(self, name):
                self.name = name

            def execute(self, work):
                return self.name

            def revert(self, work, result):
                done.append(result)

        class Boom(steps.Step):
            def execute(self, work):
                raise RuntimeError('Heat said no')

        work = types.SimpleNamespace(context=None, cluster=cluster(),
                                     error=None)
        with pytest.raises(RuntimeError):
            steps.run([steps.RecordFailure('Creating the stack'),
                       Mark('a'), Mark('b'), Boom()], work)
        assert done == ['b', 'a']
        assert failed == ['Creating the stack failed: Heat said no']


class FakeDriver:
    def __init__(self, ready=(True, None)):
        self.calls = []
        self.ready = ready

    def complete(self, context, cluster, reason=None):
        self.calls.append(('complete', reason))

    def fail(self, context, cluster, reason):
        self.calls.append(('fail', reason))

    def set_condition(self, cluster, condition_type, ok, reason, message):
        return conditions.set_condition(
            cluster, condition_type,
            conditions.TRUE if ok else conditions.FALSE, reason, message)

    def record_outputs(self, context, cluster, stack):
        self.calls.append(('outputs', stack.stack_status))

    def observe_ready(self, context, cluster):
        return self.ready


class TestStatus:
    @pytest.fixture
    def heat(self, monkeypatch):
        state = {}
        monkeypatch.setattr(stacks, 'client_for', lambda c, ctx: 'heat')

        def get(heat, stack_id):
            if state.get('gone'):
                raise stacks.StackGone(stack=stack_id)
            return types.SimpleNamespace(**state['stack'])
        monkeypatch.setattr(stacks, 'get', get)
        monkeypatch.setattr(stacks, 'failed_resources',
                            lambda heat, sid, reason: state.get('failed',
                                                                []))
        monkeypatch.setattr(status.objects.NodeGroup, 'list',
                            lambda ctx, uuid: [])
        return state

    def test_create_failed_names_the_deepest_resource(self, heat,
                                                      monkeypatch):
        master = nodegroup(UUID_M, 'default-master', 'master', 1)
        monkeypatch.setattr(status.objects.NodeGroup, 'list',
                            lambda ctx, uuid: [master])
        heat['stack'] = dict(stack_status='CREATE_FAILED',
                             stack_status_reason='Resource CREATE failed')
        heat['failed'] = [failures.Failed(
            (definition.nodegroup_key(master), 'nodes', '0', 'server'),
            'OS::Nova::Server', 'CREATE_FAILED', 'image nope not found')]
        driver = FakeDriver()
        c = cluster(stack_id='s1')
        summary = types.SimpleNamespace(**heat['stack'])
        status.observe(driver, None, c, summary)
        assert driver.calls == [('fail', 'Resource ng_default-master/0/server '
                                 '(OS::Nova::Server) CREATE_FAILED: image '
                                 'nope not found')]

    def test_complete_waits_for_the_driver_to_see_it_ready(self, heat):
        heat['stack'] = dict(stack_status='CREATE_COMPLETE',
                             stack_status_reason='', outputs=[])
        c = cluster(stack_id='s1', status_reason=None)
        c.save = lambda: None
        waiting = FakeDriver(ready=(False, '1 of 3 nodes Ready'))
        status.observe(waiting, None, c)
        assert waiting.calls == [('outputs', 'CREATE_COMPLETE')]
        assert c.status_reason == '1 of 3 nodes Ready'
        ready = FakeDriver()
        status.observe(ready, None, c)
        assert ready.calls[-1] == ('complete', None)

    def test_stack_gone_completes_a_delete(self, heat):
        heat['gone'] = True
        driver = FakeDriver()
        status.observe(driver, None, cluster(
            stack_id='s1', status=STATUS.DELETE_IN_PROGRESS))
        assert driver.calls[0][0] == 'complete'
        driver = FakeDriver()
        status.observe(driver, None, cluster(stack_id='s1'))
        assert driver.calls[0][0] == 'fail'
        assert 'lost' in driver.calls[0][1]

    def test_an_update_heat_has_not_started_is_waited_for(self, heat,
                                                          monkeypatch):
        worker = nodegroup(UUID_W, 'w', 'worker', 3,
                           status=STATUS.UPDATE_IN_PROGRESS)
        monkeypatch.setattr(status.objects.NodeGroup, 'list',
                            lambda ctx, uuid: [worker])
        key = definition.nodegroup_key(worker)
        heat['stack'] = dict(stack_status='UPDATE_COMPLETE',
                             stack_status_reason='', outputs=[
                                 {'output_key': '%s_names' % key,
                                  'output_value': ['a', 'b']}])
        driver = FakeDriver()
        status.observe(driver, None, cluster(
            stack_id='s1', status=STATUS.UPDATE_IN_PROGRESS))
        assert driver.calls == []
        worker.node_count = 2
        updated = cluster(stack_id='s1', status=STATUS.UPDATE_IN_PROGRESS)
        updated.save = lambda: None
        status.observe(driver, None, updated)
        assert driver.calls[-1] == ('complete', None)

    def test_other_action_is_looked_at_again(self, heat):
        heat['stack'] = dict(stack_status='CREATE_COMPLETE',
                             stack_status_reason='')
        driver = FakeDriver()
        status.observe(driver, None, cluster(
            stack_id='s1', status=STATUS.UPDATE_IN_PROGRESS))
        assert driver.calls == []


class TestBootScript:
    def script(self, first=True):
        return boot.script('10.9.0.10', '10.9.0.10', first, 'manager',
                           {'magnum.role': 'master'}, 'CA PEM', 'CERT PEM',
                           'KEY PEM')

    def test_carries_the_node_pems_and_joins(self):
        text = self.script(first=False)
        assert 'CA PEM' in text and 'CERT PEM' in text and 'KEY PEM' in text
        assert 'swarm join-token -q "$JOIN_AS"' in text
        assert 'FIRST=no' in text

    @pytest.mark.parametrize('volume', ['', VOLUME_ID])
    def test_shellcheck(self, tmp_path, volume):
        """As rendered, and as Heat's str_replace in node.yaml leaves it
        (the node's volume id, or '' for none)."""
        shellcheck = shutil.which('shellcheck')
        assert shellcheck, 'shellcheck is missing (tools/common.sh)'
        path = tmp_path / 'boot.sh'
        text = self.script()
        path.write_text(text)
        for each in (text, text.replace(boot.VOLUME_PLACEHOLDER, volume)):
            path.write_text(each)
            result = subprocess.run([shellcheck, str(path)],
                                    capture_output=True, text=True)
            assert result.returncode == 0, result.stdout

    def test_volume_placeholder_once_and_its_wait_from_the_config(self):
        text = self.script()
        # Heat replaces every occurrence: there is exactly one.
        assert text.count(boot.VOLUME_PLACEHOLDER) == 1
        assert "\nVOLUME='%s'\n" % boot.VOLUME_PLACEHOLDER in text
        assert '\nVOLUME_WAIT=300\n' in text
        swarm_driver.CONF.set_override('docker_volume_wait', 42,
                                       group='heat_driver')
        try:
            assert '\nVOLUME_WAIT=42\n' in self.script()
        finally:
            swarm_driver.CONF.clear_override('docker_volume_wait',
                                             group='heat_driver')
        assert '\nVOLUME_WAIT=7\n' in boot.script(
            '10.9.0.10', '10.9.0.10', True, 'manager', {}, 'CA', 'C', 'K',
            volume_wait=7)

    def test_volume_mounted_before_dockerd_starts(self):
        text = self.script()
        mounted = text.index('\n    mount_docker_volume\nfi\n')
        assert text.index('\nif [ -n "$VOLUME" ]; then') < mounted
        for start in ('systemctl restart docker', 'setsid sh -c',
                      'docker info'):
            assert mounted < text.index(start), start
        # Under systemd, docker.service needs the mount on every boot.
        assert 'RequiresMountsFor=%s' in text
        assert 'DOCKER_ROOT=/var/lib/docker\n' in text

    def test_kept_identity_takes_the_upgrades_mark_off(self):
        from magnum.drivers.heat.swarm_vm import upgrade
        text = self.script()
        assert boot.REPLACED_LABEL == upgrade.REPLACED
        assert 'REPLACED=%s\n' % upgrade.REPLACED in text
        assert ('node_api node update --label-rm "$REPLACED" '
                '--availability active') in text


class TestNodeTemplate:
    """What node.yaml does with a node's volume (Heat resolves it: the
    volume test of magnum/tests/functional/test_heat_swarm.py)."""

    def node(self):
        return yaml.safe_load(swarm_driver.SwarmModeVMDriver().node_files()[
            'node.yaml'])

    def test_user_data_names_the_nodes_own_volume(self):
        node = self.node()
        resources = node['resources']
        # The member's own entry of the nodes map, its placeholder
        # replaced by this node stack's own volume ('' without one).
        assert resources['server']['properties']['user_data'] == {
            'str_replace': {
                'template': {'get_param': [
                    'nodes', {'get_param': 'index'}, 'user_data']},
                'params': {boot.VOLUME_PLACEHOLDER: {'if': [
                    'with_volume', {'get_resource': 'docker_volume'},
                    '']}}}}
        assert resources['docker_volume']['condition'] == 'with_volume'
        assert resources['docker_volume']['properties']['size'] == {
            'get_param': 'docker_volume_size'}
        attachment = resources['docker_volume_attachment']
        assert attachment['condition'] == 'with_volume'
        assert attachment['properties']['instance_uuid'] == {
            'get_resource': 'server'}
        assert attachment['properties']['volume_id'] == {
            'get_resource': 'docker_volume'}
        assert node['conditions']['with_volume'] == {'not': {'equals': [
            {'get_param': 'docker_volume_size'}, 0]}}

    def test_volume_size_per_nodegroup_else_the_clusters(self):
        driver = swarm_driver.SwarmModeVMDriver()
        worker = nodegroup(UUID_W, 'w', 'worker', 1)
        work = FakeWork([nodegroup(UUID_M, 'm', 'master', 1), worker])
        work.cluster.docker_volume_size = 5
        state = work.states[definition.nodegroup_key(worker)]
        assert driver.node_properties(work, worker, state)[
            'docker_volume_size'] == 5
        worker.docker_volume_size = 8
        assert driver.node_properties(work, worker, state)[
            'docker_volume_size'] == 8


class TestNodesToRemove:
    def test_by_index_server_id_or_server_name(self):
        state = definition.NodegroupState('ng_x', ['0', '2', '3'])
        refs = {'0': 'id-a', '2': 'id-b', '3': 'id-c'}
        names = ['c-w-0', 'c-w-2', 'c-w-3']
        assert definition.member_names(['2', 'id-c', 'c-w-0'], state, refs,
                                       names) == ['2', '3', '0']

    def test_unknown_node_is_refused_naming_it(self):
        state = definition.NodegroupState('ng_x', ['0'])
        with pytest.raises(Exception) as caught:
            definition.member_names(['nope'], state, {}, [])
        assert 'nope' in str(caught.value)


class TestObserveClusters:
    def test_one_stack_list_per_project(self, monkeypatch):
        listed = []
        monkeypatch.setattr(stacks, 'client_for',
                            lambda c, ctx: 'heat-of-%s' % c.project_id)

        def list_by_id(heat, ids, global_tenant=False):
            listed.append((heat, sorted(ids), global_tenant))
            return {i: types.SimpleNamespace(id=i) for i in ids}
        monkeypatch.setattr(stacks, 'list_by_id', list_by_id)
        driver = swarm_driver.SwarmModeVMDriver()
        clusters = [cluster(project_id=p, stack_id=s,
                            application_credential_id='cred')
                    for p, s in (('a', 's1'), ('a', 's2'), ('b', 's3'))]
        clusters.append(cluster(project_id='c', stack_id=None,
                                application_credential_id='cred'))
        driver.observe_clusters(None, clusters)
        assert sorted(listed) == [('heat-of-a', ['s1', 's2'], False),
                                  ('heat-of-b', ['s3'], False)]
        assert set(driver._observed) == {'s1', 's2', 's3'}


class TestSwarmCleanup:
    def test_down_nodes_of_dropped_or_rebuilt_servers_go(self):
        removed = []
        manager = types.SimpleNamespace(api=types.SimpleNamespace(
            remove_node=lambda node_id, force: removed.append(node_id)))

        def node(node_id, hostname, state, role='worker'):
            return {'id': node_id, 'hostname': hostname, 'state': state,
                    'role': role, 'reachability': 'reachable'}
        nodes = [node('m', 'c-m-0', 'ready', 'manager'),
                 node('gone', 'c-w-1', 'down'),
                 node('old', 'c-w-2', 'down'),
                 node('new', 'c-w-2', 'ready'),
                 node('sick', 'c-w-3', 'down')]
        swarm_driver.SwarmModeVMDriver._forget_removed(
            manager, nodes, {'c-m-0', 'c-w-2', 'c-w-3'})
        # A down node of a server still in the stack stays (it may come
        # back); nodes of servers gone, or replaced, go.
        assert sorted(removed) == ['gone', 'old']
