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

"""Health of a Heat swarm-mode cluster from the swarm's nodes (as the
Docker API gives them), and the monitor the health pass asks."""

import socket
import types

from magnum.drivers.heat.swarm_vm import driver as swarm_driver
from magnum.drivers.heat.swarm_vm import health
from magnum.objects import fields
from magnum.tests.unit.drivers.heat.test_swarm_inventory import _swarm_node

HEALTH = fields.ClusterHealthStatus


def test_every_node_ready_is_healthy():
    known = {'m-0': _swarm_node('m', 'm-0', role='manager'),
             'w-0': _swarm_node('a', 'w-0'), 'w-1': _swarm_node('b', 'w-1')}
    status, reason = health.health_of(known, expected=3)
    assert status == HEALTH.HEALTHY
    assert reason == {'m-0.Ready': 'True', 'w-0.Ready': 'True',
                      'w-1.Ready': 'True', 'api': 'ok'}


def test_a_node_down_is_unhealthy_and_named():
    known = {'m-0': _swarm_node('m', 'm-0', role='manager'),
             'w-0': _swarm_node('a', 'w-0', state='down')}
    status, reason = health.health_of(known, expected=2)
    assert status == HEALTH.UNHEALTHY
    assert reason['w-0.Ready'] == 'False'
    assert reason['m-0.Ready'] == 'True'
    assert 'nodes' not in reason


def test_a_server_that_never_joined_is_counted():
    # The stack has three servers; the swarm knows two.
    known = {'m-0': _swarm_node('m', 'm-0', role='manager'),
             'w-0': _swarm_node('a', 'w-0')}
    status, reason = health.health_of(known, expected=3)
    assert status == HEALTH.UNHEALTHY
    assert reason['nodes'] == ('2 of 3 nodes are Ready in the swarm; 1 are '
                               'not in it at all')


def test_an_unreachable_manager_is_unhealthy():
    manager = _swarm_node('m', 'm-0', role='manager')
    manager['ManagerStatus'] = {'Reachability': 'unreachable'}
    status, reason = health.health_of({'m-0': manager}, expected=1)
    assert status == HEALTH.UNHEALTHY
    assert reason['m-0.Ready'] == 'False'


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_a_swarm_that_does_not_answer_is_unknown(monkeypatch):
    cluster = types.SimpleNamespace(
        uuid='c1', name='prod', nodegroups=[],
        api_address='tcp://127.0.0.1:%d' % _closed_port())

    class NoFiles:
        # Magnum's client certificate is not needed: nothing answers.
        def tls(self):
            return False

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.inventory.swarm_api, 'cluster_tls',
                        lambda context, cluster: NoFiles())
    monitor = swarm_driver.SwarmModeVMDriver().get_monitor(None, cluster)
    status, reason = monitor.poll_health_status()
    assert status == HEALTH.UNKNOWN
    assert reason['api'].startswith('The cluster prod is not accessible: '
                                    'the swarm manager at tcp://127.0.0.1:')


def test_a_cluster_without_an_api_address_is_unknown():
    cluster = types.SimpleNamespace(uuid='c1', name=None, nodegroups=[],
                                    api_address=None)
    status, reason = health.HeatSwarmMonitor(None,
                                             cluster).poll_health_status()
    assert status == HEALTH.UNKNOWN
    assert reason == {'api': 'The cluster c1 is not accessible: the '
                             'cluster has no API address yet'}
