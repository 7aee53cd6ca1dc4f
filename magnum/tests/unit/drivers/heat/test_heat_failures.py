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

"""A failed stack's reason names the resource that caused the failure,
found through the nested stacks, with Heat's own message of it: checked
against answers recorded from a real Heat (data/heat_failed_resources.json
says how they were made)."""

import copy
import json
import os
import types

import pytest

from magnum.drivers.heat import failures
from magnum.drivers.heat import stacks
from magnum.drivers.heat import status

DATA = os.path.join(os.path.dirname(__file__), 'data',
                    'heat_failed_resources.json')
# The recorded stacks' nodegroup resources, as Magnum's would be named.
NAMES = {'ng_master': 'default-master', 'ng_worker': 'default-worker'}


@pytest.fixture(scope='module')
def recorded():
    with open(DATA) as handle:
        return json.load(handle)


def resources(answer):
    """Heat's answer as python-heatclient gives it (attributes)."""
    return [types.SimpleNamespace(**r) for r in answer['resources']]


class FakeHeat:
    """Answers resources.list as the recorded Heat did; counts calls."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []
        self.resources = self

    def list(self, stack_id, **kwargs):
        self.calls.append((stack_id, kwargs))
        wanted = (kwargs.get('filters') or {}).get('status')
        return [r for r in resources(self.answer)
                if not wanted or r.resource_status.endswith(wanted)]


def reason_of(answer):
    return status.failure_reason(FakeHeat(answer), answer['stack_id'],
                                 answer['stack_status_reason'], NAMES)


class TestCauses:
    def test_the_server_under_the_nodegroup_is_the_cause(self, recorded):
        answer = recorded['missing_image']
        found = failures.causes(resources(answer), answer['stack_id'],
                                answer['stack_status_reason'])
        # The nodegroup, its group and the member failed too, only
        # because the server did.
        assert [f.path for f in found] == [
            ('ng_master', 'nodes', '0', 'server')]
        cause = found[0]
        assert (cause.type, cause.status, cause.rooted) == (
            'OS::Nova::Server', 'CREATE_FAILED', True)
        # The server's own message, not its parents' copies (where Heat
        # turned "no-such-image:1" into "no-such-image: 1").
        assert cause.message.startswith(
            "image 'magnum/no-such-image:1' is not in the test cloud's "
            "Docker engine")

    def test_the_failure_heat_quotes_first_comes_first(self, recorded):
        answer = recorded['two_servers_fail']
        found = failures.causes(resources(answer), answer['stack_id'],
                                answer['stack_status_reason'])
        # Members of both groups are called 0, 1: placed by their links.
        assert [f.path for f in found] == [
            ('ng_worker', 'nodes', '1', 'server'),
            ('ng_worker', 'nodes', '0', 'server')]

    def test_a_failed_script_keeps_its_output(self, recorded):
        answer = recorded['user_data_fails']
        found = failures.causes(resources(answer), answer['stack_id'],
                                answer['stack_status_reason'])
        assert [f.path for f in found] == [
            ('ng_master', 'nodes', '1', 'server')]
        assert found[0].message.startswith('user data exited with status 3')
        assert 'cannot fetch kubelet' in found[0].message

    def test_a_timeout_names_the_member_cut_short(self, recorded):
        answer = recorded['stack_timeout']
        found = failures.causes(resources(answer), answer['stack_id'],
                                answer['stack_status_reason'])
        assert [(f.path, f.message) for f in found] == [
            (('ng_master', 'nodes', '0'), 'CREATE aborted: Timed out')]

    def test_a_chain_heat_did_not_list_whole_is_not_rooted(self, recorded):
        answer = copy.deepcopy(recorded['missing_image'])
        answer['resources'] = [r for r in answer['resources']
                               if r['resource_name'] != 'nodes']
        found = failures.causes(resources(answer), answer['stack_id'])
        # The nodegroup looks like a cause now (nothing listed under
        # it), but its reason passes a nested one's on: the server
        # still comes first.
        assert [(f.path, f.rooted) for f in found] == [
            (('0', 'server'), False), (('ng_master',), True)]
        reason = status.failure_reason(
            FakeHeat(answer), answer['stack_id'],
            answer['stack_status_reason'], NAMES)
        assert reason.startswith('Resource .../0/server (OS::Nova::Server)')

    def test_heat_path_and_message(self):
        assert failures.path_in(
            'Error: resources.ng_a.resources.nodes.resources[0].resources.'
            'server: boom: x') == ('ng_a', 'nodes', '0', 'server')
        assert failures.path_in('Timed out') == ()
        assert failures.own_message(
            'ResourceInError: resources.server: Went to status ERROR due '
            'to "Message: No valid host was found., Code: 500"') == (
                'ResourceInError: Went to status ERROR due to "Message: No '
                'valid host was found., Code: 500"')
        assert failures.own_message('Error: resources[2]: gone') == 'gone'
        assert failures.quotes_a_resource(
            'Resource UPDATE failed: Error: resources.x: y')
        assert not failures.quotes_a_resource('Timed out')


class TestReason:
    def test_names_the_server_by_its_nodegroup(self, recorded):
        assert reason_of(recorded['missing_image']) == (
            "Resource ng_default-master/0/server (OS::Nova::Server) "
            "CREATE_FAILED: image 'magnum/no-such-image:1' is not in the "
            "test cloud's Docker engine (it pulls nothing; "
            "tools/build-node-image.sh builds magnum/swarm-node images)")

    def test_one_call_to_heat_for_every_nested_stack(self, recorded):
        answer = recorded['two_servers_fail']
        heat = FakeHeat(answer)
        status.failure_reason(heat, answer['stack_id'],
                              answer['stack_status_reason'], NAMES)
        assert heat.calls == [(answer['stack_id'], {
            'nested_depth': stacks.NESTED_DEPTH, 'with_detail': False,
            'filters': {'status': 'FAILED'}})]

    def test_the_others_that_failed_are_counted_and_named(self, recorded):
        reason = reason_of(recorded['two_servers_fail'])
        assert reason.startswith(
            'Resource ng_default-worker/1/server (OS::Nova::Server) '
            'CREATE_FAILED: image ')
        assert reason.endswith('; 1 more failed: '
                               'ng_default-worker/0/server')

    def test_a_timeout_says_so(self, recorded):
        assert reason_of(recorded['stack_timeout']) == (
            'Resource ng_default-master/0 (Explore::Node) CREATE_FAILED: '
            'CREATE aborted: Timed out')

    def test_bounded_however_many_fail_and_however_long(self, recorded):
        # Derived from the recorded answer: 40 servers that failed, each
        # in its own member stack, with a 20 kB message.
        answer = copy.deepcopy(recorded['missing_image'])
        server = next(r for r in answer['resources']
                      if r['resource_name'] == 'server')
        member = next(r for r in answer['resources']
                      if r['resource_name'] == '0')
        answer['resources'].remove(server)
        answer['resources'].remove(member)
        for index in range(40):
            copied_member = copy.deepcopy(member)
            copied_member['resource_name'] = str(index)
            nested = '/stacks/m%d/member-%d' % (index, index)
            for link in copied_member['links']:
                if link['rel'] == 'nested':
                    link['href'] = nested
            copied_server = copy.deepcopy(server)
            copied_server['resource_status_reason'] = (
                'Error: resources.server: ' + 'x' * 20000 + ' the end')
            for link in copied_server['links']:
                if link['rel'] == 'stack':
                    link['href'] = nested
            answer['resources'] += [copied_member, copied_server]
        reason = reason_of(answer)
        assert len(reason) < status.MAX_MESSAGE + 300
        assert reason.endswith('; 39 more failed: ng_default-master/1/'
                               'server, ng_default-master/2/server, '
                               'ng_default-master/3/server, ...')
        # The start and the end of Heat's message, the middle cut out.
        assert ' [...] ' in reason and 'x the end; 39 more' in reason

    def test_no_failed_resource_gives_the_stacks_reason(self, recorded):
        answer = dict(recorded['missing_image'], resources=[],
                      stack_status_reason='Property error: resources.ng_a.'
                      'properties.node_count: "x" is not an integer')
        assert reason_of(answer) == (
            'Stack %s failed: Property error: resources.ng_a.properties.'
            'node_count: "x" is not an integer' % answer['stack_id'])

    def test_heat_refusing_the_list_gives_the_stacks_reason(self):
        class Refusing:
            class resources:
                @staticmethod
                def list(*args, **kwargs):
                    from heatclient import exc
                    raise exc.HTTPForbidden('not allowed')
        assert status.failure_reason(Refusing(), 's1', 'Timed out') == (
            'Stack s1 failed: Timed out')
