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

"""The local driver's decisions that need no engine: which nodes a
resize adds and removes, which nodes an upgrade replaces next, the order
of a CA rotation. Nodes are described as the engine would show them
(nodes.Node); nothing here talks to Docker."""

import types

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.drivers.local import converge
from magnum.drivers.local import nodes
from magnum.drivers.local import rotation
from magnum.drivers.local import upgrade
from magnum.tests.unit.db import utils as db_utils

OLD, NEW = 'magnum/swarm-node:1', 'magnum/swarm-node:2'


def group(uuid, role='worker', count=1, image=None, status='CREATE_COMPLETE',
          batch=None):
    return types.SimpleNamespace(
        uuid=uuid, name=uuid, is_master=role == 'master', node_count=count,
        image_id=image, status=status, upgrade_batch_size=batch)


def node(ng, index, role='worker', image=OLD, state='running',
         address=None, container_id=None):
    name = 'c-%s-%d' % (ng, index)
    return nodes.Node(
        container=types.SimpleNamespace(id=container_id or
                                        ('%064x' % hash(name))[-64:]),
        name=name, role=role, nodegroup=ng, index=index, image=image,
        state=state, address=address or '10.0.0.%d' % (index + 2))


def names(found):
    return [n.name for n in found]


def spec_indexes(specs):
    return [(ng.uuid, index) for ng, index, _image, _publish in specs]


class TestResizePlan:

    def test_a_nodegroup_that_grows_gets_the_lowest_free_indexes(self):
        workers = group('w', count=3)
        todo = converge.plan([workers], [node('w', 1)], OLD, True)
        assert spec_indexes(todo.specs) == [('w', 0), ('w', 2)]
        assert names(todo.keep) == ['c-w-1'] and todo.doomed == []

    def test_a_nodegroup_that_shrinks_loses_its_highest_indexes(self):
        workers = group('w', count=1)
        found = [node('w', i) for i in range(3)]
        todo = converge.plan([workers], found, OLD, True)
        assert names(todo.doomed) == ['c-w-2', 'c-w-1']
        assert names(todo.keep) == ['c-w-0'] and todo.specs == []

    def test_nodes_of_another_image_go_first(self):
        workers = group('w', count=2, image=NEW)
        found = [node('w', 0), node('w', 1, image=NEW), node('w', 2,
                                                              image=NEW)]
        todo = converge.plan([workers], found, OLD, True)
        assert names(todo.doomed) == ['c-w-0']

    def test_nodes_to_remove_are_honoured(self):
        workers = group('w', count=2)
        found = [node('w', i) for i in range(3)]
        todo = converge.plan([workers], found, OLD, True,
                             removing={'c-w-0'})
        # The named node goes, not the highest index.
        assert names(todo.doomed) == ['c-w-0']
        assert names(todo.keep) == ['c-w-1', 'c-w-2'] and todo.specs == []

    def test_a_node_removed_at_the_same_size_is_replaced_elsewhere(self):
        workers = group('w', count=3)
        found = [node('w', i) for i in range(3)]
        todo = converge.plan([workers], found, OLD, True,
                             removing={'c-w-1'})
        assert names(todo.doomed) == ['c-w-1']
        # Its index stays taken until it is gone.
        assert spec_indexes(todo.specs) == [('w', 3)]

    def test_a_stopped_container_is_made_again_at_its_index(self):
        workers = group('w', count=2)
        found = [node('w', 0), node('w', 1, state='exited')]
        todo = converge.plan([workers], found, OLD, True)
        assert names(todo.broken) == ['c-w-1']
        assert spec_indexes(todo.specs) == [('w', 1)]

    def test_nodes_of_a_nodegroup_gone_or_being_deleted_are_removed(self):
        workers = group('w', count=1)
        leaving = group('x', count=2, status='DELETE_IN_PROGRESS')
        found = [node('w', 0), node('x', 0), node('gone', 0)]
        todo = converge.plan([workers, leaving], found, OLD, True)
        assert sorted(names(todo.doomed)) == ['c-gone-0', 'c-x-0']
        assert names(todo.keep) == ['c-w-0']

    @pytest.mark.parametrize('publish', [True, False])
    def test_managers_first_published_only_without_a_load_balancer(
            self, publish):
        workers = group('w', count=1, image=NEW)
        masters = group('m', role='master', count=1)
        todo = converge.plan([workers, masters], [], OLD, publish)
        assert [(ng.uuid, image, published) for ng, _i, image, published
                in todo.specs] == [('m', OLD, publish), ('w', NEW, False)]

    def test_nodes_to_remove_are_named_by_name_address_or_id(self):
        members = [node('w', 0, address='10.1.0.5', container_id='a' * 64),
                   node('w', 1, container_id='b' * 64)]
        assert converge.match_node(members, 'c-w-1') is members[1]
        assert converge.match_node(members, '10.1.0.5') is members[0]
        assert converge.match_node(members, 'b' * 12) is members[1]
        # Too short to be a container id.
        assert converge.match_node(members, 'b' * 6) is None
        assert converge.match_node(members, 'c-w-7') is None

    def test_api_port(self):
        masters = [node('m', 0, role='master'), node('m', 1, role='master')]
        masters[0].published_port, masters[1].published_port = 23760, 23761
        lb = node('lb', 0, role='lb')
        lb.published_port = 23800
        assert converge.api_port(masters, lb, 23760) == 23800
        assert converge.api_port(masters, None, 23760) == 23760
        assert converge.api_port(masters, None, 23999) == 23761
        assert converge.api_port([], None, 23760) is None


class TestUpgradeBatch:

    def test_managers_first_one_at_a_time(self):
        masters = group('m', role='master', count=3, image=NEW, batch=5)
        workers = group('w', count=2, image=NEW, batch=5)
        found = ([node('m', i, role='master') for i in range(3)] +
                 [node('w', i) for i in range(2)])
        step = upgrade.plan_batch([workers, masters], found, OLD, False)
        assert step.nodegroup is masters
        assert names(step.batch) == ['c-m-0']
        assert spec_indexes(step.specs) == [('m', 3)]
        assert (step.done, step.total, step.image) == (0, 3, NEW)

    def test_workers_by_max_batch_size_running_first(self):
        workers = group('w', count=4, image=NEW, batch=2)
        found = [node('w', 0, state='exited'), node('w', 1), node('w', 2),
                 node('w', 3, image=NEW)]
        step = upgrade.plan_batch([workers], found, OLD, True)
        assert names(step.batch) == ['c-w-1', 'c-w-2']
        assert spec_indexes(step.specs) == [('w', 4), ('w', 5)]
        assert (step.done, step.total) == (1, 4)
        # Workers are never published.
        assert {published for _g, _i, _m, published in step.specs} == {
            False}

    def test_what_is_done_already_is_left_and_the_rest_follows(self):
        workers = group('w', count=3, image=NEW, batch=2)
        found = [node('w', 3, image=NEW), node('w', 4, image=NEW),
                 node('w', 2, state='exited')]
        step = upgrade.plan_batch([workers], found, OLD, True)
        assert names(step.batch) == ['c-w-2']
        assert (step.done, step.total) == (2, 3)

    def test_one_at_a_time_when_no_batch_size_is_recorded(self):
        workers = group('w', count=3, image=NEW, batch=None)
        found = [node('w', i) for i in range(3)]
        step = upgrade.plan_batch([workers], found, OLD, True)
        assert names(step.batch) == ['c-w-0']

    def test_nothing_when_every_node_has_its_image(self):
        workers = group('w', count=2, image=NEW, batch=2)
        masters = group('m', role='master', count=1)  # the template's
        found = [node('w', 0, image=NEW), node('m', 0, role='master')]
        lb = node('lb', 0, role='lb', image='anything')
        assert upgrade.plan_batch([workers, masters], found + [lb], OLD,
                                  False) is None

    def test_the_batch_size_outlives_the_conductor(self, dbapi):
        """What the upgrade call records is in the nodegroup's row: a
        conductor that starts afresh reads it back."""
        context = magnum_context.get_admin_context()
        template = db_utils.create_test_cluster_template(dbapi)
        row = db_utils.create_test_cluster(
            dbapi, cluster_template_id=template.uuid,
            status='UPDATE_IN_PROGRESS', master_count=1, node_count=3)
        cluster = objects.Cluster.get_by_uuid(context, row.uuid)
        worker = cluster.default_ng_worker
        target = types.SimpleNamespace(image_id=NEW, uuid='t-2')
        upgrade.start(cluster, target, 2, worker)
        assert NEW in cluster.status_reason and '2 node(s)' in \
            cluster.status_reason

        stored = objects.NodeGroup.list(context, cluster.uuid)
        assert upgrade.in_progress(stored)
        workers = [ng for ng in stored if not ng.is_master][0]
        assert workers.upgrade_batch_size == 2
        found = [node(workers.uuid, i) for i in range(3)]
        step = upgrade.plan_batch(stored, found, OLD, True)
        assert len(step.batch) == 2

        upgrade.finish(stored)
        assert not upgrade.in_progress(
            objects.NodeGroup.list(context, cluster.uuid))


class TestRotationOrder:

    def test_workers_then_managers_the_leader_last(self):
        found = [node('m', 0, role='master'), node('w', 1),
                 node('m', 1, role='master'), node('m', 2, role='master'),
                 node('w', 0)]
        ordered = rotation.order(found, leaders={'c-m-0'})
        assert names(ordered) == ['c-w-1', 'c-w-0', 'c-m-1', 'c-m-2',
                                  'c-m-0']

    def test_without_a_known_leader_managers_by_index(self):
        found = [node('m', 1, role='master'), node('m', 0, role='master')]
        assert names(rotation.order(found)) == ['c-m-0', 'c-m-1']
