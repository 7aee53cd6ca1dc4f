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

"""The container handler when a container's node is down or gone: what
no engine is needed for (the nodes are what a stand-in driver lists).
With engines, nodes and containers for real: the functional tests
(test_containers.py)."""

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor.handlers import container_conductor
from magnum.drivers.common import driver as driver_base
from magnum.tests import fake_driver
from magnum.tests.unit.db import utils as db_utils


class ListedNodesDriver(fake_driver.FakeDriver):
    """Stands in for a swarm driver (test fixture): the cluster's nodes
    are the dicts of ``nodes``; no machine exists."""

    runs_containers = True
    nodes = []

    def list_nodes(self, context, cluster):
        return [dict(node) for node in self.nodes]


def _node(name, status='Ready', reason=None, docker_url=None):
    return {'name': name, 'nodegroup': 'default-worker', 'role': 'worker',
            'addresses': [], 'status': status, 'status_reason': reason,
            'server_id': name, 'engine_version': None,
            'running_tasks': None, 'docker_url': docker_url}


@pytest.fixture
def container(dbapi, magnum_config):
    previous = driver_base.set_registry(driver_base.DriverRegistry(
        {'listed': ListedNodesDriver}))
    template = db_utils.create_test_cluster_template(
        dbapi, coe='swarm-mode', driver='listed')
    cluster = db_utils.create_test_cluster(
        dbapi, cluster_template_id=template['uuid'],
        status='CREATE_COMPLETE')
    context = magnum_context.make_context(project_id=cluster['project_id'],
                                          user_id='user', roles=['member'])
    made = objects.Container(
        context, name='web', image='busybox:local',
        cluster_uuid=cluster['uuid'], project_id=cluster['project_id'],
        user_id='user', status='Running', host='node-1',
        container_id='c0ffee')
    made.create(max_containers=10)
    yield made
    driver_base.set_registry(previous)
    ListedNodesDriver.nodes = []


def _reload(container):
    return objects.Container.get(_admin(), container.uuid)


def _admin():
    admin = magnum_context.get_admin_context()
    admin.all_tenants = True
    return admin


def test_a_node_that_is_down_keeps_its_container_unknown(container):
    ListedNodesDriver.nodes = [_node('node-0', docker_url='tcp://x:2376'),
                               _node('node-1', 'NotReady',
                                     'its container is exited')]
    handler = container_conductor.ContainerHandler('host')
    shown = handler.container_show(container._context, container)
    assert shown.status == 'Unknown'
    assert shown.status_reason == (
        'Node node-1, where the container runs, is NotReady (its '
        'container is exited)')
    # The sync keeps it: the node may come back.
    assert container_conductor.sync_containers(lambda cluster: True) == 0
    kept = _reload(container)
    assert (kept.status, kept.status_reason) == ('Unknown',
                                                 shown.status_reason)
    with pytest.raises(exception.Conflict) as raised:
        handler.container_action(container._context, kept, 'stop')
    assert 'cannot be reached' in str(raised.value)
    assert 'node-1' in str(raised.value)
    with pytest.raises(exception.Conflict) as raised:
        handler.container_delete(container._context, kept)
    assert 'force=true' in str(raised.value)
    handler.container_delete(container._context, kept, force=True)
    with pytest.raises(exception.ContainerNotFound):
        _reload(container)


def test_a_node_gone_from_the_cluster_has_its_container_forgotten(
        container):
    ListedNodesDriver.nodes = [_node('node-0', docker_url='tcp://x:2376')]
    handler = container_conductor.ContainerHandler('host')
    shown = handler.container_show(container._context, container)
    assert shown.status == 'Unknown'
    assert 'no longer part of the cluster' in shown.status_reason
    with pytest.raises(exception.Conflict):
        handler.container_logs(container._context, _reload(container))
    assert container_conductor.sync_containers(lambda cluster: True) == 1
    with pytest.raises(exception.ContainerNotFound):
        _reload(container)
