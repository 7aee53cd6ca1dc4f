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


"""Cluster objects against a real (SQLite) database."""

from oslo_utils import uuidutils
import pytest

from magnum import objects
from magnum.common import exception
from magnum.tests.unit.db import utils


def _new_cluster(ctx, **kw):
    values = utils.get_test_cluster(**kw)
    values.pop('uuid')
    return objects.Cluster(ctx, **values)


def _nodegroups(master_count=1, node_count=2):
    groups = utils.default_nodegroups(master_count, node_count)
    groups[0]['node_addresses'] = ['10.0.0.1']
    groups[1]['node_addresses'] = ['10.0.0.2', '10.0.0.3']
    return groups


class TestCreateAndGet:

    def test_create_fills_id_uuid_and_timestamps(self, dbapi, ctx):
        cluster = _new_cluster(ctx, name='alpha')
        cluster.create()
        assert cluster.id > 0
        assert uuidutils.is_uuid_like(cluster.uuid)
        assert cluster.created_at is not None
        assert cluster.obj_what_changed() == set()
        row = dbapi.get_cluster_by_uuid(ctx, cluster.uuid)
        assert row.name == 'alpha'
        assert row.labels == {'key1': 'val1'}

    def test_create_applies_field_defaults(self, dbapi, ctx):
        cluster = objects.Cluster(ctx, name='bare',
                                  project_id=utils.PROJECT_ID)
        cluster.create()
        assert cluster.floating_ip_enabled is True
        assert cluster.master_lb_enabled is False

    def test_get_by_id_uuid_name(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, name='alpha')
        for cluster in (objects.Cluster.get_by_id(ctx, row.id),
                        objects.Cluster.get_by_uuid(ctx, row.uuid),
                        objects.Cluster.get_by_name(ctx, 'alpha')):
            assert cluster.uuid == row.uuid
            assert cluster.name == 'alpha'
            assert cluster._context is ctx
            assert cluster.obj_what_changed() == set()

    @pytest.mark.parametrize('attr', ['id', 'str_id', 'uuid', 'name'])
    def test_get_dispatches_on_the_identifier(self, dbapi, ctx, attr):
        row = utils.create_test_cluster(dbapi, name='alpha')
        ident = {'id': row.id, 'str_id': str(row.id), 'uuid': row.uuid,
                 'name': 'alpha'}[attr]
        assert objects.Cluster.get(ctx, ident).uuid == row.uuid

    def test_get_unknown_raises_not_found(self, dbapi, ctx):
        for ident in (42, uuidutils.generate_uuid(), 'nope'):
            with pytest.raises(exception.ClusterNotFound):
                objects.Cluster.get(ctx, ident)

    def test_name_shared_by_two_clusters_is_ambiguous(self, dbapi, ctx):
        utils.create_test_cluster(dbapi, name='twin')
        utils.create_test_cluster(dbapi, name='twin')
        with pytest.raises(exception.NameNotUnique):
            objects.Cluster.get(ctx, 'twin')

    def test_other_projects_cluster_is_not_found(self, dbapi, ctx,
                                                 other_ctx):
        row = utils.create_test_cluster(dbapi)
        with pytest.raises(exception.ClusterNotFound):
            objects.Cluster.get(other_ctx, row.uuid)


class TestList:

    def test_paging_with_limit_and_marker(self, dbapi, ctx):
        uuids = [utils.create_test_cluster(dbapi, name='c%d' % i).uuid
                 for i in range(5)]
        first = objects.Cluster.list(ctx, limit=2)
        assert [c.uuid for c in first] == uuids[:2]
        rest = objects.Cluster.list(ctx, marker=first[-1].uuid)
        assert [c.uuid for c in rest] == uuids[2:]
        assert all(isinstance(c, objects.Cluster) for c in rest)
        assert all(c._context is ctx for c in rest)

    def test_sort_and_filters(self, dbapi, ctx):
        utils.create_test_cluster(dbapi, name='b', status='CREATE_COMPLETE')
        utils.create_test_cluster(dbapi, name='a', status='CREATE_FAILED')
        utils.create_test_cluster(dbapi, name='c', status='CREATE_COMPLETE')
        names = [c.name for c in objects.Cluster.list(
            ctx, sort_key='name', sort_dir='desc')]
        assert names == ['c', 'b', 'a']
        complete = objects.Cluster.list(
            ctx, filters={'status': 'CREATE_COMPLETE'}, sort_key='name')
        assert [c.name for c in complete] == ['b', 'c']

    def test_scoped_to_the_context(self, dbapi, ctx, other_ctx, admin_ctx):
        utils.create_test_cluster(dbapi)
        utils.create_test_cluster(dbapi, project_id='other_project')
        assert len(objects.Cluster.list(ctx)) == 1
        assert len(objects.Cluster.list(other_ctx)) == 1
        assert len(objects.Cluster.list(admin_ctx)) == 2
        assert objects.Cluster.get_count_all(admin_ctx) == 2
        assert objects.Cluster.get_count_all(
            admin_ctx, filters={'project_id': 'other_project'}) == 1


class TestSave:

    def test_writes_only_the_changed_fields(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, name='alpha')
        first = objects.Cluster.get_by_uuid(ctx, row.uuid)
        second = objects.Cluster.get_by_uuid(ctx, row.uuid)
        first.status = 'CREATE_COMPLETE'
        first.save()
        # second still holds the old status; saving its name must not
        # write that stale status back.
        second.name = 'beta'
        second.save()
        stored = dbapi.get_cluster_by_uuid(ctx, row.uuid)
        assert (stored.name, stored.status) == ('beta', 'CREATE_COMPLETE')
        assert second.status == 'CREATE_COMPLETE'
        assert second.obj_what_changed() == set()
        assert second.updated_at is not None

    def test_structured_fields_round_trip(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        cluster.health_status = 'UNHEALTHY'
        cluster.health_status_reason = {'api': 'down'}
        cluster.labels = {'a': 1}
        cluster.save()
        again = objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert again.health_status == 'UNHEALTHY'
        assert again.health_status_reason == {'api': 'down'}
        assert again.labels == {'a': '1'}

    def test_expected_guards_the_write(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, status='CREATE_COMPLETE')
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        cluster.status = 'UPDATE_IN_PROGRESS'
        with pytest.raises(exception.ConcurrentUpdate):
            cluster.save(expected={'status': 'UPDATE_COMPLETE'})
        assert dbapi.get_cluster_by_uuid(
            ctx, row.uuid).status == 'CREATE_COMPLETE'
        cluster.save(expected={'status': ['CREATE_COMPLETE',
                                          'UPDATE_COMPLETE']})
        assert dbapi.get_cluster_by_uuid(
            ctx, row.uuid).status == 'UPDATE_IN_PROGRESS'

    def test_expected_without_changes_still_checks(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, status='CREATE_COMPLETE')
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        with pytest.raises(exception.ConcurrentUpdate):
            cluster.save(expected={'status': 'DELETE_IN_PROGRESS'})
        cluster.save(expected={'status': 'CREATE_COMPLETE'})

    def test_nothing_changed_writes_nothing(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        cluster.save()
        assert dbapi.get_cluster_by_uuid(ctx, row.uuid).updated_at is None

    def test_save_of_a_deleted_cluster_raises_not_found(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        dbapi.destroy_cluster(row.uuid)
        cluster.name = 'gone'
        with pytest.raises(exception.ClusterNotFound):
            cluster.save()


class TestRefreshAndDestroy:

    def test_refresh_takes_the_stored_values(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, name='alpha')
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        dbapi.update_cluster(row.uuid, {'status': 'CREATE_COMPLETE',
                                        'api_address': 'https://h:6443'})
        cluster.name = 'unsaved'
        cluster.refresh()
        assert cluster.status == 'CREATE_COMPLETE'
        assert cluster.api_address == 'https://h:6443'
        assert cluster.name == 'alpha'
        assert cluster.updated_at is not None
        assert cluster.obj_what_changed() == set()

    def test_refresh_reloads_nodegroups(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, node_count=1)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert cluster.node_count == 1
        worker = cluster.default_ng_worker
        dbapi.update_nodegroup(row.uuid, worker.uuid, {'node_count': 4})
        assert cluster.node_count == 1  # cached until refresh
        cluster.refresh()
        assert cluster.node_count == 4

    def test_destroy_removes_cluster_and_nodegroups(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        cluster.destroy()
        with pytest.raises(exception.ClusterNotFound):
            objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert dbapi.list_cluster_nodegroups(ctx, row.uuid) == []
        with pytest.raises(exception.ClusterNotFound):
            cluster.destroy()


class TestNodegroupsAndTemplate:

    def test_create_with_nodegroup_dicts(self, dbapi, ctx):
        cluster = _new_cluster(ctx)
        cluster.create(nodegroups=_nodegroups(master_count=3,
                                              node_count=2))
        again = objects.Cluster.get_by_uuid(ctx, cluster.uuid)
        assert again.master_count == 3
        assert again.node_count == 2
        assert again.master_addresses == ['10.0.0.1']
        assert again.node_addresses == ['10.0.0.2', '10.0.0.3']
        assert again.default_ng_master.name == 'default-master'
        assert again.default_ng_worker.name == 'default-worker'
        assert {ng.cluster_id for ng in again.nodegroups} == {cluster.uuid}
        assert {ng.project_id for ng in again.nodegroups} == {
            utils.PROJECT_ID}

    def test_create_with_nodegroup_objects_fills_them(self, dbapi, ctx):
        master = objects.NodeGroup(ctx, name='default-master', role='master',
                                   is_default=True, node_count=1)
        worker = objects.NodeGroup(ctx, name='default-worker', role='worker',
                                   is_default=True)
        cluster = _new_cluster(ctx)
        cluster.create(nodegroups=[master, worker])
        assert master.cluster_id == worker.cluster_id == cluster.uuid
        assert master.id and worker.id
        assert worker.node_count == 1  # the NodeGroup default
        assert worker.min_node_count == 0
        assert master.obj_what_changed() == set()
        worker.node_count = 5
        worker.save()
        assert objects.Cluster.get_by_uuid(ctx, cluster.uuid).node_count == 5

    def test_create_is_atomic(self, dbapi, ctx):
        groups = _nodegroups()
        groups[1]['name'] = groups[0]['name']  # duplicate name in cluster
        cluster = _new_cluster(ctx, name='atomic')
        with pytest.raises(exception.NodeGroupAlreadyExists):
            cluster.create(nodegroups=groups)
        assert objects.Cluster.list(ctx) == []

    def test_counts_add_up_every_nodegroup_of_a_role(self, dbapi, ctx):
        row = utils.create_test_cluster(dbapi, master_count=1, node_count=2)
        utils.create_test_nodegroup(dbapi, cluster_id=row.uuid, name='gpu',
                                    role='gpu', node_count=3,
                                    node_addresses=['10.1.0.1'])
        utils.create_test_nodegroup(dbapi, cluster_id=row.uuid,
                                    name='extra-master', role='master',
                                    node_count=2)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert cluster.master_count == 3
        assert cluster.node_count == 5
        assert cluster.node_addresses == ['10.1.0.1']
        assert cluster.default_ng_worker.name == 'default-worker'
        assert len(cluster.nodegroups) == 4

    def test_cluster_without_nodegroups(self, dbapi, ctx):
        row = dbapi.create_cluster(utils.get_test_cluster())
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert cluster.nodegroups == []
        assert (cluster.master_count, cluster.node_count) == (0, 0)
        assert cluster.default_ng_master is None
        assert cluster.master_addresses == []
        assert objects.Cluster(ctx).nodegroups == []

    def test_computed_properties_are_read_only(self, dbapi, ctx):
        cluster = objects.Cluster(ctx)
        with pytest.raises(AttributeError):
            cluster.node_count = 3
        assert 'node_count' not in cluster.as_dict()

    def test_cluster_template_of_another_project_resolves(self, dbapi, ctx):
        template = utils.create_test_cluster_template(
            dbapi, project_id='other_project', public=True)
        row = utils.create_test_cluster(
            dbapi, cluster_template_id=template.uuid)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert cluster.cluster_template.uuid == template.uuid
        assert cluster.cluster_template.coe == 'swarm-mode'

    def test_cluster_template_follows_the_template_id(self, dbapi, ctx):
        first = utils.create_test_cluster_template(dbapi)
        second = utils.create_test_cluster_template(dbapi, name='second')
        row = utils.create_test_cluster(dbapi,
                                        cluster_template_id=first.uuid)
        cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
        assert cluster.cluster_template.name == 'clustermodel1'
        cluster.cluster_template_id = second.uuid
        assert cluster.cluster_template.name == 'second'
