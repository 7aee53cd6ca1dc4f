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

"""What one look at a Kubernetes API means: the health fields (the
contract's shape), readiness after a stack, the nodes endpoint, and the
words for each way the API may not answer. No network here: the looks
over TLS are in magnum/tests/functional/test_kubernetes_health.py,
against a stand-in of the API."""

import json
import os
import ssl
import types

import pytest
from urllib3 import exceptions as u3

from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.kubernetes import health
from magnum.drivers.heat.kubernetes import probe

DATA = os.path.join(os.path.dirname(__file__), 'data', 'k8s_nodes.json')
ADDRESS = 'https://10.0.0.10:6443'
READYZ_FAILED = ('[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n'
                 '[+]poststarthook/start-apiserver-admission-initializer ok'
                 '\nreadyz check failed')


@pytest.fixture(scope='module')
def node_list():
    with open(DATA) as handle:
        return json.load(handle)


@pytest.fixture(scope='module')
def nodes(node_list):
    return {n.name: n for n in (probe._node(item)
                                for item in node_list['items'])}


def look(nodes=(), **extra):
    values = dict(address=ADDRESS, ready_status=200, ready_body='ok',
                  nodes=tuple(nodes))
    values.update(extra)
    return probe.Observation(**values)


def cluster(**extra):
    values = dict(name='k8s', uuid='5d12f6fd-1a1e-4d37-9ad2-6b5d1b5d6c4e',
                  labels={})
    values.update(extra)
    return types.SimpleNamespace(**values)


class TestNodes:
    def test_ready_condition_and_addresses(self, nodes):
        master = nodes['k8s-default-master-0']
        assert (master.ready, master.is_ready, master.why,
                master.addresses) == ('True', True, '', ('10.0.0.10',))

    def test_not_ready_says_the_kubelets_reason(self, nodes):
        worker = nodes['k8s-default-worker-1']
        assert (worker.ready, worker.is_ready) == ('False', False)
        assert worker.why.startswith('KubeletNotReady: container runtime '
                                     'network not ready')
        gone = nodes['k8s-default-worker-2']
        assert (gone.ready, gone.why) == (
            'Unknown', 'NodeStatusUnknown: Kubelet stopped posting node '
            'status.')

    def test_a_node_without_conditions_is_not_ready(self):
        node = probe._node({'metadata': {'name': 'new'}, 'status': {}})
        assert (node.ready, node.is_ready) == ('Unknown', False)
        assert node.why == 'it has no Ready condition yet'


class TestHealth:
    def test_every_node_ready_is_healthy(self, nodes):
        ready = [nodes['k8s-default-master-0'], nodes['k8s-default-worker-0']]
        assert health.health_of(look(ready), cluster()) == ('HEALTHY', {
            'k8s-default-master-0.Ready': 'True',
            'k8s-default-worker-0.Ready': 'True', 'api': 'ok'})

    def test_a_node_not_ready_is_unhealthy_and_named(self, nodes):
        status, reason = health.health_of(look(nodes.values()), cluster())
        assert status == 'UNHEALTHY'
        assert reason == {'k8s-default-master-0.Ready': 'True',
                          'k8s-default-worker-0.Ready': 'True',
                          'k8s-default-worker-1.Ready': 'False',
                          'k8s-default-worker-2.Ready': 'False',
                          'api': 'ok'}

    def test_an_api_not_ready_is_unhealthy_with_its_failed_checks(self,
                                                                  nodes):
        answer = look(nodes.values(), ready_status=500,
                      ready_body=probe._ready_text(500, READYZ_FAILED))
        status, reason = health.health_of(answer, cluster())
        assert status == 'UNHEALTHY'
        assert reason['api'] == ('[-]etcd failed: reason withheld; readyz '
                                 'check failed')

    def test_unreachable_is_unknown_with_what_to_check(self):
        answer = probe.Observation(ADDRESS, unreachable=probe.describe(
            u3.ConnectTimeoutError('timed out'), 10))
        assert health.health_of(answer, cluster()) == ('UNKNOWN', {
            'api': 'The cluster k8s is not accessible. Its Kubernetes API '
                   'at https://10.0.0.10:6443: no connection within 10 s '
                   '([kubernetes] api_timeout): is the address reachable '
                   'from the conductor (security group, router, floating '
                   'IP)?.'})

    def test_nodes_unreadable_is_unknown(self):
        answer = probe.Observation(ADDRESS, ready_status=200,
                                   ready_body='ok', nodes=None,
                                   nodes_error='HTTP 403: forbidden')
        status, reason = health.health_of(answer, cluster())
        assert status == 'UNKNOWN'
        assert reason['api'] == 'ok'
        assert 'HTTP 403: forbidden' in reason['nodes']

    def test_no_node_registered_is_unhealthy(self):
        status, reason = health.health_of(look(()), cluster())
        assert (status, reason['api']) == ('UNHEALTHY', 'ok')
        assert 'no node' in reason['nodes']

    @pytest.mark.parametrize('labels, watched', [
        ({}, True),
        ({'auto_healing_enabled': 'false'}, True),
        ({'auto_healing_enabled': 'true'}, False),
        ({'auto_healing_enabled': 'True',
          'auto_healing_controller': 'magnum-auto-healer'}, False),
        ({'auto_healing_enabled': 'true',
          'auto_healing_controller': 'draino'}, True),
    ])
    def test_the_auto_healer_keeps_the_health_fields(self, labels, watched):
        monitor = health.monitor_for(None, cluster(labels=labels))
        assert (monitor is not None) == watched


class TestReadiness:
    def test_waits_for_each_node_of_the_stack(self, nodes):
        state = health.readiness(look(nodes.values()), [
            'k8s-default-master-0', 'k8s-default-worker-1',
            'k8s-default-worker-9'])
        assert (state.api, state.nodes, state.ready) == (True, False, False)
        assert state.message == (
            '1 of 3 nodes Ready; not yet: k8s-default-worker-1 '
            '(KubeletNotReady: container runtime network not ready: '
            'NetworkReady=false reason:NetworkPluginNotReady '
            'message:Network plugin returns error: cni plugin not '
            'initialized), k8s-default-worker-9 (not registered yet)')

    def test_ready_when_the_stacks_nodes_are(self, nodes):
        state = health.readiness(look(nodes.values()), [
            'k8s-default-master-0', 'k8s-default-worker-0'])
        assert state.ready
        assert state.nodes_message == 'All 2 nodes Ready'

    def test_the_api_not_answering_is_said_first(self):
        answer = probe.Observation(ADDRESS, unreachable='cannot connect: '
                                   '[Errno 111] Connection refused')
        state = health.readiness(answer, ['a'])
        assert (state.api, state.api_reason) == (False, 'APIUnreachable')
        assert state.message == (
            'The Kubernetes API at https://10.0.0.10:6443 does not answer: '
            'cannot connect: [Errno 111] Connection refused')

    def test_nothing_registered_is_not_ready(self):
        state = health.readiness(look(()), [])
        assert not state.ready
        assert state.message == 'No node has registered with the ' \
            'Kubernetes API yet'


class TestNodeList:
    def test_servers_of_the_stack_with_their_nodes(self, nodes):
        master = types.SimpleNamespace(uuid='aa' * 16, name='default-master',
                                       role='master')
        worker = types.SimpleNamespace(uuid='bb' * 16, name='default-worker',
                                       role='worker')
        mkey = definition.nodegroup_key(master)
        wkey = definition.nodegroup_key(worker)
        outputs = {
            '%s_names' % mkey: ['k8s-default-master-0'],
            '%s_addresses' % mkey: ['10.0.0.10'],
            '%s_refs_map' % mkey: {'0': 'server-m0'},
            '%s_names' % wkey: ['k8s-default-worker-0',
                                'k8s-default-worker-1',
                                'k8s-default-worker-3'],
            '%s_addresses' % wkey: ['10.0.0.11', '10.0.0.12', '10.0.0.14'],
            '%s_refs_map' % wkey: {'0': 'server-w0', '1': 'server-w1',
                                   '3': 'server-w3'},
        }
        listed = health.list_nodes(outputs, [master, worker],
                                   look(nodes.values()))
        assert [(n['name'], n['nodegroup'], n['role'], n['status'],
                 n['server_id'], n['addresses']) for n in listed] == [
            ('k8s-default-master-0', 'default-master', 'master', 'Ready',
             'server-m0', ['10.0.0.10']),
            ('k8s-default-worker-0', 'default-worker', 'worker', 'Ready',
             'server-w0', ['10.0.0.11']),
            ('k8s-default-worker-1', 'default-worker', 'worker',
             'NotReady', 'server-w1', ['10.0.0.12']),
            ('k8s-default-worker-3', 'default-worker', 'worker',
             'NotReady', 'server-w3', ['10.0.0.14'])]
        assert listed[2]['status_reason'].startswith('KubeletNotReady')
        assert listed[3]['status_reason'] == \
            'not registered with the Kubernetes API'
        unreachable = health.list_nodes(outputs, [master], probe.Observation(
            ADDRESS, unreachable='no answer within 10 s'))
        assert [(n['status'], n['status_reason']) for n in unreachable] == [
            ('Unknown', 'the Kubernetes API does not answer: no answer '
             'within 10 s')]


class TestWords:
    def test_refused(self):
        error = u3.NewConnectionError(
            object(), 'Failed to establish a new connection: [Errno 111] '
            'Connection refused')
        assert probe.describe(error, 10) == (
            'cannot connect: Failed to establish a new connection: [Errno '
            '111] Connection refused')

    def test_timeouts(self):
        assert probe.describe(u3.ReadTimeoutError(None, '/readyz', 'read '
                                                  'timed out'), 7) == \
            'no answer within 7 s ([kubernetes] api_timeout)'
        handshake = u3.ProtocolError('Connection aborted.', TimeoutError(
            'The handshake operation timed out'))
        assert probe.describe(handshake, 7) == \
            'no answer within 7 s ([kubernetes] api_timeout)'

    def test_tls(self):
        error = u3.SSLError(ssl.SSLCertVerificationError(
            1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
            'failed: unable to get local issuer certificate (_ssl.c:1006)'))
        assert probe.describe(error, 10).startswith(
            'TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate '
            'verify failed: unable to get local issuer certificate')

    def test_tls_as_the_kubernetes_client_wraps_it(self):
        from kubernetes.client import exceptions as k8s_exceptions
        error = k8s_exceptions.ApiException(status=0, reason=(
            'SSLError\n[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
            'failed: self-signed certificate in certificate chain'))
        assert probe.describe(error, 10).startswith(
            'TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate '
            'verify failed: self-signed certificate in certificate chain '
            '(the server must show')

    def test_reset(self):
        error = u3.ProtocolError('Connection aborted.', ConnectionResetError(
            104, 'Connection reset by peer'))
        assert probe.describe(error, 10) == \
            'the connection broke: [Errno 104] Connection reset by peer'

    def test_readyz_answers(self):
        assert probe._ready_text(200, 'ok\n') == 'ok'
        assert probe._ready_text(500, READYZ_FAILED) == (
            '[-]etcd failed: reason withheld; readyz check failed')
        status = json.dumps({'kind': 'Status', 'apiVersion': 'v1',
                             'status': 'Failure', 'message': 'forbidden: '
                             'User "admin" cannot get path "/readyz"',
                             'reason': 'Forbidden', 'code': 403})
        assert probe._ready_text(403, status) == (
            'forbidden: User "admin" cannot get path "/readyz"')
