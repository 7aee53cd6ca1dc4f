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

"""What the container handler asks Docker for (run options, sizes) and
how the local driver words a node's status: the pure parts. The Docker
calls themselves run against a real engine in
magnum/tests/functional/test_containers.py."""

import pytest

from magnum import objects
from magnum.drivers.common import container_client
from magnum.drivers.local import inventory
from magnum.drivers.local import nodes


@pytest.mark.parametrize('text, size', [
    ('4m', 4 * 1024 ** 2), ('1G', 1024 ** 3), ('512k', 512 * 1024),
    ('100b', 100), ('2048', 2048), (' 64M ', 64 * 1024 ** 2)])
def test_memory_sizes(text, size):
    assert container_client.memory_bytes(text) == size


@pytest.mark.parametrize('text', ['', 'm', '1.5g', '-1m', '12x', '²m'])
def test_bad_memory_sizes(text):
    with pytest.raises(ValueError):
        container_client.memory_bytes(text)


def test_run_options_are_what_the_user_asked_for():
    container = objects.Container(
        uuid='0b7c1e8e-6a43-4c5f-9d1e-2f6f1b0c9a11', image='busybox:local',
        command=['sleep', '60'], memory='64m', cpu=0.5,
        environment={'A': 'b'}, labels={'tier': 'web'},
        ports=[{'container_port': '80', 'host_port': '8080',
                'protocol': 'tcp'},
               {'container_port': '53', 'host_port': None,
                'protocol': 'udp'}],
        restart_policy={'name': 'on-failure', 'maximum_retry_count': '3'})
    options = container_client.run_options(container)
    assert options == {
        'image': 'busybox:local', 'command': ['sleep', '60'],
        'name': 'magnum-0b7c1e8e-6a43-4c5f-9d1e-2f6f1b0c9a11',
        'labels': {'tier': 'web', container_client.LABEL_CONTAINER:
                   '0b7c1e8e-6a43-4c5f-9d1e-2f6f1b0c9a11'},
        'environment': {'A': 'b'}, 'detach': True,
        'mem_limit': 64 * 1024 ** 2, 'nano_cpus': 500000000,
        'ports': {'80/tcp': 8080, '53/udp': None},
        'restart_policy': {'Name': 'on-failure', 'MaximumRetryCount': 3}}


def _node(state='running', role='worker'):
    return nodes.Node(container=None, name='c-node-0', role=role,
                      nodegroup='ng', index=0, image='i', state=state,
                      address='172.30.0.3')


def _swarm_node(state='ready', role='worker', reachability=None):
    return {'ID': 'x', 'Description': {'Hostname': 'c-node-0'},
            'Spec': {'Role': role, 'Availability': 'active'},
            'Status': {'State': state, 'Addr': '172.30.0.3'},
            'ManagerStatus': {'Reachability': reachability}
            if reachability else None}


def test_node_status_words():
    assert inventory._status(_node(), _swarm_node(), None) == (
        'Ready', None)
    assert inventory._status(_node('exited'), _swarm_node(), None) == (
        'NotReady', 'its container is exited')
    assert inventory._status(_node(), None, 'the API does not answer') == (
        'Unknown', 'the API does not answer')
    assert inventory._status(_node(), None, None) == (
        'NotReady', 'it is not in the swarm')
    assert inventory._status(_node(), _swarm_node('down'), None) == (
        'NotReady', 'the swarm says it is down')
    assert inventory._status(
        _node(role='master'),
        _swarm_node(role='manager', reachability='unreachable'), None) == (
        'NotReady', 'the swarm says it is ready, unreachable')
