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


"""NodeGroup objects: always scoped to their cluster."""

from oslo_utils import uuidutils
import pytest

from magnum import objects
from magnum.common import exception
from magnum.tests.unit.db import utils


@pytest.fixture
def cluster(dbapi):
    return utils.create_test_cluster(dbapi, name='one')


@pytest.fixture
def other_cluster(dbapi):
    return utils.create_test_cluster(dbapi, name='two')


def test_create_applies_defaults_and_fills_row(dbapi, ctx, cluster):
    group = objects.NodeGroup(ctx, name='gpu', cluster_id=cluster.uuid,
                              project_id=utils.PROJECT_ID, role='gpu')
    group.create()
    assert group.id > 0
    assert uuidutils.is_uuid_like(group.uuid)
    assert (group.node_count, group.min_node_count) == (1, 0)
    assert group.is_default is False
    assert group.max_node_count is None
    row = dbapi.get_nodegroup_by_uuid(ctx, cluster.uuid, group.uuid)
    assert (row.name, row.node_count) == ('gpu', 1)


@pytest.mark.parametrize('attr', ['id', 'uuid', 'name'])
def test_get_is_scoped_to_the_cluster(dbapi, ctx, cluster, other_cluster,
                                      attr):
    mine = utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                       name='pool')
    theirs = utils.create_test_nodegroup(dbapi,
                                         cluster_id=other_cluster.uuid,
                                         name='pool')
    found = objects.NodeGroup.get(ctx, cluster.uuid, getattr(mine, attr))
    assert found.uuid == mine.uuid
    found = objects.NodeGroup.get(ctx, other_cluster.uuid,
                                  getattr(theirs, attr))
    assert found.uuid == theirs.uuid
    if attr != 'name':
        with pytest.raises(exception.NodeGroupNotFound):
            objects.NodeGroup.get(ctx, other_cluster.uuid,
                                  getattr(mine, attr))


def test_get_by_methods(dbapi, ctx, cluster):
    row = utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                      name='pool')
    for group in (objects.NodeGroup.get_by_id(ctx, cluster.uuid, row.id),
                  objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid),
                  objects.NodeGroup.get_by_name(ctx, cluster.uuid, 'pool')):
        assert group.uuid == row.uuid
        assert group.cluster_id == cluster.uuid


def test_non_admin_of_another_project_sees_nothing(dbapi, other_ctx,
                                                   cluster):
    row = utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid)
    with pytest.raises(exception.NodeGroupNotFound):
        objects.NodeGroup.get(other_ctx, cluster.uuid, row.uuid)
    assert objects.NodeGroup.list(other_ctx, cluster.uuid) == []


def test_list_only_the_clusters_nodegroups(dbapi, ctx, cluster,
                                           other_cluster):
    groups = objects.NodeGroup.list(ctx, cluster.uuid)
    assert [g.name for g in groups] == ['default-master', 'default-worker']
    assert objects.NodeGroup.get_count(ctx, cluster.uuid) == 2
    utils.create_test_nodegroup(dbapi, cluster_id=other_cluster.uuid,
                                name='elsewhere')
    assert objects.NodeGroup.get_count(ctx, other_cluster.uuid) == 3
    assert objects.NodeGroup.get_count(ctx, cluster.uuid) == 2


def test_list_paging_and_filters(dbapi, ctx, cluster):
    for name in ('a', 'b', 'c'):
        utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                    name=name)
    page = objects.NodeGroup.list(ctx, cluster.uuid, limit=2,
                                  sort_key='name', sort_dir='asc')
    assert [g.name for g in page] == ['a', 'b']
    rest = objects.NodeGroup.list(ctx, cluster.uuid, marker=page[-1].uuid,
                                  sort_key='name', sort_dir='asc')
    assert [g.name for g in rest] == ['c', 'default-master',
                                      'default-worker']
    masters = objects.NodeGroup.list(ctx, cluster.uuid,
                                     filters={'role': 'master'})
    assert [g.name for g in masters] == ['default-master']
    assert masters[0].is_master


def test_save_writes_changes_and_respects_expected(dbapi, ctx, cluster):
    row = utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                      node_count=3)
    first = objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid)
    second = objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid)
    first.node_labels = {'zone': 'a'}
    first.node_taints = [{'key': 'gpu', 'value': None,
                          'effect': 'NoSchedule'}]
    first.save()
    second.max_node_count = 10
    second.save()
    stored = objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid)
    assert stored.node_labels == {'zone': 'a'}
    assert stored.node_taints == [{'key': 'gpu', 'value': None,
                                   'effect': 'NoSchedule'}]
    assert stored.max_node_count == 10
    stored.node_count = 5
    with pytest.raises(exception.ConcurrentUpdate):
        stored.save(expected={'node_count': 4})
    stored.save(expected={'node_count': 3})
    assert dbapi.get_nodegroup_by_uuid(ctx, cluster.uuid,
                                       row.uuid).node_count == 5


def test_save_uses_its_own_cluster(dbapi, ctx, cluster, other_cluster):
    row = utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid)
    group = objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid)
    # As if it had been loaded under the wrong cluster.
    group.cluster_id = other_cluster.uuid
    group.obj_reset_changes()
    group.node_count = 9
    with pytest.raises(exception.NodeGroupNotFound):
        group.save()


def test_refresh_and_destroy(dbapi, ctx, cluster):
    row = utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid)
    group = objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid)
    dbapi.update_nodegroup(cluster.uuid, row.uuid,
                           {'status': 'UPDATE_COMPLETE',
                            'node_addresses': ['10.0.0.9']})
    group.refresh()
    assert group.status == 'UPDATE_COMPLETE'
    assert group.node_addresses == ['10.0.0.9']
    group.destroy()
    with pytest.raises(exception.NodeGroupNotFound):
        objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, row.uuid)
    assert objects.NodeGroup.get_count(ctx, cluster.uuid) == 2


def test_duplicate_name_in_a_cluster(dbapi, ctx, cluster):
    group = objects.NodeGroup(ctx, name='default-worker',
                              cluster_id=cluster.uuid,
                              project_id=utils.PROJECT_ID)
    with pytest.raises(exception.NodeGroupAlreadyExists):
        group.create()
