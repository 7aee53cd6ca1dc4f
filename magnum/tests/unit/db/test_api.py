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

"""Behaviour of the database API, on every backend (see conftest)."""

import datetime
import threading

from oslo_utils import uuidutils
import pytest
import sqlalchemy as sa

from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.tests.unit.db import utils


@pytest.fixture
def ctx():
    return magnum_context.make_context(project_id=utils.PROJECT_ID,
                                       user_id=utils.USER_ID,
                                       roles=['member'])


@pytest.fixture
def other_ctx():
    return magnum_context.make_context(project_id='other_project',
                                       user_id='other_user',
                                       roles=['member'])


@pytest.fixture
def admin_ctx():
    return magnum_context.make_context(project_id='admin_project',
                                       user_id='admin', roles=['admin'],
                                       is_admin=True)


@pytest.fixture
def all_ctx():
    return magnum_context.make_admin_context(all_tenants=True)


# -- clusters -----------------------------------------------------------------

class TestClusters:

    def test_create_and_get_by_id_uuid_name(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi, name='alpha',
                                            labels={'a': 'b'})
        for found in (dbapi.get_cluster_by_id(ctx, cluster.id),
                      dbapi.get_cluster_by_uuid(ctx, cluster.uuid),
                      dbapi.get_cluster_by_name(ctx, 'alpha')):
            assert found.uuid == cluster.uuid
            assert found.labels == {'a': 'b'}
            assert found.created_at is not None
            assert found.updated_at is None

    def test_json_columns_written_as_null_read_as_empty(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi, labels=None,
                                            health_status_reason=None)
        found = dbapi.get_cluster_by_uuid(ctx, cluster.uuid)
        assert found.labels == {}
        assert found.health_status_reason == {}

    def test_raw_null_json_reads_as_empty(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi)
        with dbapi.get_engine().begin() as conn:
            conn.execute(sa.text(
                'UPDATE cluster SET labels = NULL WHERE id = :id'),
                {'id': cluster.id})
        assert dbapi.get_cluster_by_id(ctx, cluster.id).labels == {}

    def test_duplicate_uuid_is_conflict(self, dbapi):
        cluster = utils.create_test_cluster(dbapi)
        with pytest.raises(exception.ClusterAlreadyExists) as err:
            utils.create_test_cluster(dbapi, uuid=cluster.uuid)
        assert err.value.code == 409

    def test_create_with_nodegroups_is_atomic(self, dbapi, ctx):
        values = utils.get_test_cluster()
        groups = utils.default_nodegroups()
        groups[1]['name'] = groups[0]['name']  # violates unique name
        with pytest.raises(exception.NodeGroupAlreadyExists):
            dbapi.create_cluster(values, nodegroups=groups)
        with pytest.raises(exception.ClusterNotFound):
            dbapi.get_cluster_by_uuid(ctx, values['uuid'])
        assert dbapi.get_cluster_nodegroup_count(ctx, values['uuid']) == 0

    def test_create_fills_nodegroup_cluster_and_project(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi, master_count=3,
                                            node_count=2)
        groups = dbapi.list_cluster_nodegroups(ctx, cluster.uuid)
        assert {(g.name, g.node_count, g.cluster_id, g.project_id)
                for g in groups} == {
            ('default-master', 3, cluster.uuid, utils.PROJECT_ID),
            ('default-worker', 2, cluster.uuid, utils.PROJECT_ID)}

    def test_name_shared_by_two_clusters_is_conflict(self, dbapi, ctx):
        utils.create_test_cluster(dbapi, name='twin')
        utils.create_test_cluster(dbapi, name='twin')
        with pytest.raises(exception.NameNotUnique) as err:
            dbapi.get_cluster_by_name(ctx, 'twin')
        assert err.value.code == 409
        assert 'twin' in str(err.value)

    def test_name_shared_across_projects_is_not_conflict(self, dbapi, ctx):
        mine = utils.create_test_cluster(dbapi, name='twin')
        utils.create_test_cluster(dbapi, name='twin', project_id='other')
        assert dbapi.get_cluster_by_name(ctx, 'twin').uuid == mine.uuid

    def test_missing_cluster_is_not_found(self, dbapi, ctx):
        for getter, ident in ((dbapi.get_cluster_by_id, 999),
                              (dbapi.get_cluster_by_uuid,
                               uuidutils.generate_uuid()),
                              (dbapi.get_cluster_by_name, 'nope')):
            with pytest.raises(exception.ClusterNotFound) as err:
                getter(ctx, ident)
            assert err.value.code == 404

    def test_malformed_identifiers_are_400(self, dbapi, ctx):
        with pytest.raises(exception.InvalidUUID):
            dbapi.get_cluster_by_uuid(ctx, 'not-a-uuid')
        with pytest.raises(exception.InvalidIdentity):
            dbapi.get_cluster_by_id(ctx, 'abc')
        with pytest.raises(exception.InvalidIdentity):
            dbapi.update_cluster('abc', {'name': 'x'})

    def test_other_project_cannot_see_cluster(self, dbapi, other_ctx):
        cluster = utils.create_test_cluster(dbapi)
        with pytest.raises(exception.ClusterNotFound):
            dbapi.get_cluster_by_uuid(other_ctx, cluster.uuid)
        assert dbapi.get_cluster_list(other_ctx) == []

    def test_context_without_project_is_scoped_to_user(self, dbapi):
        for user in ('u1', 'u2'):
            dbapi.create_cluster(utils.get_test_cluster(project_id=None,
                                                        user_id=user))
        ctx = magnum_context.make_context(user_id='u1')
        assert [c.user_id for c in dbapi.get_cluster_list(ctx)] == ['u1']

    def test_admin_sees_all_projects_only_with_all_tenants(
            self, dbapi, admin_ctx, all_ctx):
        utils.create_test_cluster(dbapi)
        utils.create_test_cluster(dbapi, project_id='other')
        assert dbapi.get_cluster_list(admin_ctx) == []
        assert len(dbapi.get_cluster_list(all_ctx)) == 2

    def test_list_sort_limit_marker(self, dbapi, ctx):
        names = ['c%02d' % i for i in range(7)]
        for name in reversed(names):
            utils.create_test_cluster(dbapi, name=name)
        seen, marker = [], None
        while True:
            page = dbapi.get_cluster_list(ctx, limit=3, marker=marker,
                                          sort_key='name', sort_dir='desc')
            seen.extend(c.name for c in page)
            if len(page) < 3:
                break
            marker = page[-1].uuid
        assert seen == sorted(names, reverse=True)

    @pytest.mark.parametrize('sort_dir', ['asc', 'desc'])
    def test_paging_over_nullable_sort_key_sees_every_row_once(
            self, dbapi, ctx, sort_dir):
        # NULLs order differently on MySQL and PostgreSQL; paging must
        # still visit each row exactly once.
        made = []
        for i in range(6):
            made.append(utils.create_test_cluster(
                dbapi, name='n%d' % i,
                stack_id=None if i % 2 else 'stack-%d' % (i % 3)).uuid)
        seen, marker = [], None
        for _ in range(10):
            page = dbapi.get_cluster_list(ctx, limit=2, marker=marker,
                                          sort_key='stack_id',
                                          sort_dir=sort_dir)
            seen.extend(c.uuid for c in page)
            if len(page) < 2:
                break
            marker = page[-1].uuid
        assert sorted(seen) == sorted(made)
        assert len(seen) == len(set(seen))

    def test_list_rejects_bad_paging_arguments(self, dbapi, ctx):
        utils.create_test_cluster(dbapi)
        with pytest.raises(exception.InvalidSortKey) as err:
            dbapi.get_cluster_list(ctx, sort_key='bogus')
        assert err.value.code == 400 and 'bogus' in str(err.value)
        with pytest.raises(exception.InvalidSortDirection):
            dbapi.get_cluster_list(ctx, sort_dir='sideways')
        with pytest.raises(exception.InvalidLimit):
            dbapi.get_cluster_list(ctx, limit=0)
        with pytest.raises(exception.InvalidUUID):
            dbapi.get_cluster_list(ctx, marker='not-a-uuid')
        with pytest.raises(exception.MarkerNotFound) as err:
            dbapi.get_cluster_list(ctx, marker=uuidutils.generate_uuid())
        assert err.value.code == 404
        with pytest.raises(exception.InvalidParameterValue) as err:
            dbapi.get_cluster_list(ctx, filters={'colour': 'red'})
        assert 'colour' in str(err.value)

    def test_marker_of_invisible_cluster_is_not_found(self, dbapi, ctx):
        other = utils.create_test_cluster(dbapi, project_id='other')
        with pytest.raises(exception.MarkerNotFound):
            dbapi.get_cluster_list(ctx, marker=other.uuid)

    def test_list_filters(self, dbapi, ctx):
        utils.create_test_cluster(dbapi, name='a', status='CREATE_COMPLETE')
        utils.create_test_cluster(dbapi, name='b', status='UPDATE_FAILED')
        utils.create_test_cluster(dbapi, name='c',
                                  status='CREATE_IN_PROGRESS')
        found = dbapi.get_cluster_list(
            ctx, filters={'status': ['CREATE_COMPLETE', 'UPDATE_FAILED']},
            sort_key='name')
        assert [c.name for c in found] == ['a', 'b']
        assert [c.name for c in dbapi.get_cluster_list(
            ctx, filters={'name': 'c'})] == ['c']
        assert dbapi.get_cluster_count_all(
            ctx, filters={'status': 'UPDATE_FAILED'}) == 1

    def test_update(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi)
        updated = dbapi.update_cluster(cluster.uuid, {
            'status': 'CREATE_COMPLETE', 'labels': {'x': 'y'}})
        assert updated.status == 'CREATE_COMPLETE'
        assert updated.labels == {'x': 'y'}
        assert updated.updated_at is not None
        assert dbapi.get_cluster_by_id(ctx, cluster.id).labels == {'x': 'y'}

    def test_update_with_expected_state(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi)
        dbapi.update_cluster(cluster.id, {'status': 'CREATE_COMPLETE'},
                             expected={'status': 'CREATE_IN_PROGRESS'})
        with pytest.raises(exception.ConcurrentUpdate) as err:
            dbapi.update_cluster(cluster.id, {'status': 'CREATE_FAILED'},
                                 expected={'status': ['CREATE_IN_PROGRESS']})
        assert err.value.code == 409
        assert dbapi.get_cluster_by_id(
            ctx, cluster.id).status == 'CREATE_COMPLETE'

    def test_expected_state_lets_only_one_racing_writer_win(self, dbapi,
                                                             ctx):
        cluster = utils.create_test_cluster(dbapi, status='CREATE_COMPLETE')
        results = []
        barrier = threading.Barrier(4)

        def writer(n):
            barrier.wait()
            try:
                dbapi.update_cluster(
                    cluster.uuid,
                    {'status': 'UPDATE_IN_PROGRESS', 'status_reason': str(n)},
                    expected={'status': 'CREATE_COMPLETE'})
                results.append(('won', n))
            except exception.ConcurrentUpdate:
                results.append(('lost', n))

        threads = [threading.Thread(target=writer, args=(n,))
                   for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [n for outcome, n in results if outcome == 'won']
        assert len(winners) == 1 and len(results) == 4
        assert dbapi.get_cluster_by_uuid(
            ctx, cluster.uuid).status_reason == str(winners[0])

    def test_update_missing_cluster_is_not_found(self, dbapi):
        with pytest.raises(exception.ClusterNotFound):
            dbapi.update_cluster(uuidutils.generate_uuid(), {'name': 'x'})

    def test_update_cannot_change_uuid(self, dbapi):
        cluster = utils.create_test_cluster(dbapi)
        with pytest.raises(exception.InvalidParameterValue):
            dbapi.update_cluster(cluster.id,
                                 {'uuid': uuidutils.generate_uuid()})

    def test_destroy_removes_cluster_and_its_nodegroups(self, dbapi, ctx):
        cluster = utils.create_test_cluster(dbapi)
        keep = utils.create_test_cluster(dbapi)
        dbapi.destroy_cluster(cluster.uuid)
        with pytest.raises(exception.ClusterNotFound):
            dbapi.get_cluster_by_uuid(ctx, cluster.uuid)
        assert dbapi.get_cluster_nodegroup_count(ctx, cluster.uuid) == 0
        assert dbapi.get_cluster_nodegroup_count(ctx, keep.uuid) == 2
        with pytest.raises(exception.ClusterNotFound):
            dbapi.destroy_cluster(cluster.uuid)

    def test_stats(self, dbapi, ctx):
        utils.create_test_cluster(dbapi, master_count=1, node_count=2)
        utils.create_test_cluster(dbapi, master_count=3, node_count=4)
        utils.create_test_cluster(dbapi, project_id='other',
                                  master_count=1, node_count=1)
        assert dbapi.get_cluster_stats(ctx, utils.PROJECT_ID) == (2, 10)
        assert dbapi.get_cluster_stats(ctx, 'other') == (1, 2)
        assert dbapi.get_cluster_stats(ctx) == (3, 12)
        assert dbapi.get_cluster_stats(ctx, 'empty') == (0, 0)


# -- the cluster quota, enforced atomically by create_cluster ----------------

def _create_in(dbapi, project_id=utils.PROJECT_ID, max_clusters=None,
               **kw):
    return dbapi.create_cluster(
        utils.get_test_cluster(project_id=project_id, **kw),
        nodegroups=utils.default_nodegroups(), max_clusters=max_clusters)


def _clusters_of(dbapi, project_id):
    with dbapi.get_engine().connect() as conn:
        return conn.execute(sa.text(
            'SELECT count(*) FROM cluster WHERE project_id = :p'),
            {'p': project_id}).scalar_one()


def _quota_rows(dbapi, columns='project_id, resource, hard_limit'):
    with dbapi.get_engine().connect() as conn:
        return sorted(tuple(row) for row in conn.execute(sa.text(
            'SELECT %s FROM quotas' % columns)))


def _race(dbapi, count, project_of, max_clusters):
    """``count`` creates at once; returns the outcome of each."""
    barrier = threading.Barrier(count)
    outcomes = []
    lock = threading.Lock()

    def create(n):
        barrier.wait()
        try:
            cluster = _create_in(dbapi, project_of(n), max_clusters,
                                 name='racer%d' % n)
            outcome = ('created', cluster.uuid)
        except exception.ResourceLimitExceeded:
            outcome = ('over quota', n)
        except Exception as error:  # reported by the assertions
            outcome = ('error', repr(error))
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create, args=(n,))
               for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_timestamps_keep_their_microseconds(dbapi, ctx):
    """What a create answers is what a later read gives (MySQL's plain
    DATETIME would drop the fraction)."""
    moment = datetime.datetime(2026, 11, 21, 23, 20, 1, 654321)
    cluster = utils.create_test_cluster(dbapi, created_at=moment)
    dbapi.update_cluster(cluster.uuid, {'updated_at': moment})
    stored = dbapi.get_cluster_by_uuid(ctx, cluster.uuid)
    assert (stored.created_at, stored.updated_at) == (moment, moment)
    service = dbapi.create_magnum_service({
        'host': 'h', 'binary': 'magnum-conductor', 'report_count': 1,
        'last_seen_up': moment})
    assert dbapi.get_magnum_service_by_host_and_binary(
        'h', 'magnum-conductor').last_seen_up == moment == \
        service.last_seen_up


class TestClusterQuota:

    def test_default_limit_applies_without_quota_row(self, dbapi, ctx):
        first = _create_in(dbapi, max_clusters=2)
        _create_in(dbapi, max_clusters=2)
        values = utils.get_test_cluster()
        with pytest.raises(exception.ResourceLimitExceeded) as err:
            dbapi.create_cluster(values, utils.default_nodegroups(),
                                 max_clusters=2)
        assert err.value.code == 403
        assert utils.PROJECT_ID in str(err.value)
        assert '2' in str(err.value)
        # Nothing of the refused create was written.
        with pytest.raises(exception.ClusterNotFound):
            dbapi.get_cluster_by_uuid(ctx, values['uuid'])
        assert dbapi.get_cluster_nodegroup_count(ctx, values['uuid']) == 0
        assert _clusters_of(dbapi, utils.PROJECT_ID) == 2
        assert dbapi.get_cluster_nodegroup_count(ctx, first.uuid) == 2

    def test_no_quota_row_is_left_behind(self, dbapi):
        _create_in(dbapi, max_clusters=1)
        with pytest.raises(exception.ResourceLimitExceeded):
            _create_in(dbapi, max_clusters=1)
        assert _quota_rows(dbapi) == []
        # So an admin can still create the project's quota afterwards.
        utils.create_test_quota(dbapi, hard_limit=2)
        _create_in(dbapi, max_clusters=1)
        assert _clusters_of(dbapi, utils.PROJECT_ID) == 2

    @pytest.mark.parametrize('hard_limit,default,allowed', [
        (1, 5, 1), (3, 1, 3), (0, 10, 0)])
    def test_quota_row_wins_over_default(self, dbapi, hard_limit, default,
                                         allowed):
        utils.create_test_quota(dbapi, hard_limit=hard_limit)
        for _ in range(allowed):
            _create_in(dbapi, max_clusters=default)
        with pytest.raises(exception.ResourceLimitExceeded):
            _create_in(dbapi, max_clusters=default)
        assert _clusters_of(dbapi, utils.PROJECT_ID) == allowed
        assert _quota_rows(dbapi) == [(utils.PROJECT_ID, 'Cluster',
                                       hard_limit)]
        # Taking the lock leaves the quota as it was.
        assert _quota_rows(dbapi, 'updated_at') == [(None,)]

    def test_quota_of_another_resource_or_project_is_ignored(self, dbapi):
        utils.create_test_quota(dbapi, project_id='other', hard_limit=0)
        _create_in(dbapi, max_clusters=1)
        with pytest.raises(exception.ResourceLimitExceeded):
            _create_in(dbapi, max_clusters=1)

    def test_clusters_of_other_projects_do_not_count(self, dbapi):
        for _ in range(3):
            _create_in(dbapi, project_id='other')
        _create_in(dbapi, max_clusters=1)
        assert _clusters_of(dbapi, utils.PROJECT_ID) == 1

    def test_without_limit_nothing_is_enforced(self, dbapi):
        utils.create_test_quota(dbapi, hard_limit=0)
        _create_in(dbapi)
        _create_in(dbapi, max_clusters=None)
        assert _clusters_of(dbapi, utils.PROJECT_ID) == 2

    def test_failed_insert_within_quota_rolls_back_everything(self, dbapi,
                                                               ctx):
        values = utils.get_test_cluster()
        groups = utils.default_nodegroups()
        groups[1]['name'] = groups[0]['name']
        with pytest.raises(exception.NodeGroupAlreadyExists):
            dbapi.create_cluster(values, nodegroups=groups, max_clusters=5)
        with pytest.raises(exception.ClusterNotFound):
            dbapi.get_cluster_by_uuid(ctx, values['uuid'])
        assert _quota_rows(dbapi) == []
        cluster = _create_in(dbapi, max_clusters=1)
        assert dbapi.get_cluster_nodegroup_count(ctx, cluster.uuid) == 2

    def test_duplicate_uuid_within_quota_is_conflict(self, dbapi):
        cluster = _create_in(dbapi, max_clusters=5)
        with pytest.raises(exception.ClusterAlreadyExists):
            _create_in(dbapi, max_clusters=5, uuid=cluster.uuid)
        assert _clusters_of(dbapi, utils.PROJECT_ID) == 1

    @pytest.mark.parametrize('quota_row', [False, True],
                             ids=['default-limit', 'quota-row'])
    def test_concurrent_creates_leave_exactly_the_quota(self, dbapi,
                                                        quota_row):
        limit, racers = 3, 8
        if quota_row:
            utils.create_test_quota(dbapi, hard_limit=limit)
        outcomes = _race(dbapi, racers, lambda n: utils.PROJECT_ID,
                         max_clusters=limit if not quota_row else 100)
        kinds = [kind for kind, _ in outcomes]
        assert kinds.count('error') == 0, outcomes
        assert kinds.count('created') == limit, outcomes
        assert kinds.count('over quota') == racers - limit, outcomes
        assert _clusters_of(dbapi, utils.PROJECT_ID) == limit
        expected_rows = [(utils.PROJECT_ID, 'Cluster', limit)] \
            if quota_row else []
        assert _quota_rows(dbapi) == expected_rows

    def test_concurrent_creates_of_other_projects_all_succeed(self, dbapi):
        outcomes = _race(dbapi, 6, lambda n: 'project-%d' % (n % 3),
                         max_clusters=2)
        assert sorted(kind for kind, _ in outcomes) == ['created'] * 6, \
            outcomes
        for n in range(3):
            assert _clusters_of(dbapi, 'project-%d' % n) == 2
        assert _quota_rows(dbapi) == []


# -- cluster templates --------------------------------------------------------

class TestClusterTemplates:

    def test_create_get_update_destroy(self, dbapi, ctx):
        template = utils.create_test_cluster_template(dbapi, name='t')
        assert dbapi.get_cluster_template_by_name(ctx, 't').id == template.id
        assert dbapi.get_cluster_template_by_uuid(
            ctx, template.uuid).labels == {'key1': 'val1', 'key2': 'val2'}
        updated = dbapi.update_cluster_template(template.uuid,
                                                {'tags': 'a,b'})
        assert updated.tags == 'a,b'
        dbapi.destroy_cluster_template(template.id)
        with pytest.raises(exception.ClusterTemplateNotFound):
            dbapi.get_cluster_template_by_id(ctx, template.id)
        with pytest.raises(exception.ClusterTemplateNotFound):
            dbapi.destroy_cluster_template(template.id)

    def test_visibility_of_public_and_hidden_templates(
            self, dbapi, ctx, admin_ctx, all_ctx):
        own = utils.create_test_cluster_template(dbapi, name='own')
        own_hidden = utils.create_test_cluster_template(
            dbapi, name='own-hidden', hidden=True)
        public = utils.create_test_cluster_template(
            dbapi, name='public', project_id='other', public=True)
        public_hidden = utils.create_test_cluster_template(
            dbapi, name='public-hidden', project_id='other', public=True,
            hidden=True)
        private = utils.create_test_cluster_template(
            dbapi, name='private', project_id='other')

        def names(context):
            return sorted(t.name for t in
                          dbapi.get_cluster_template_list(context))

        assert names(ctx) == ['own', 'own-hidden', 'public']
        assert names(admin_ctx) == ['public', 'public-hidden']
        assert names(all_ctx) == sorted(
            ['own', 'own-hidden', 'public', 'public-hidden', 'private'])
        dbapi.get_cluster_template_by_uuid(ctx, public.uuid)
        dbapi.get_cluster_template_by_uuid(ctx, own_hidden.uuid)
        dbapi.get_cluster_template_by_uuid(admin_ctx, public_hidden.uuid)
        for invisible in (public_hidden, private):
            with pytest.raises(exception.ClusterTemplateNotFound):
                dbapi.get_cluster_template_by_uuid(ctx, invisible.uuid)
        with pytest.raises(exception.ClusterTemplateNotFound):
            dbapi.get_cluster_template_by_uuid(admin_ctx, own.uuid)

    def test_template_in_use_cannot_be_destroyed(self, dbapi, ctx):
        template = utils.create_test_cluster_template(dbapi)
        utils.create_test_cluster(dbapi, name='user-1',
                                  cluster_template_id=template.uuid)
        with pytest.raises(exception.ClusterTemplateReferenced) as err:
            dbapi.destroy_cluster_template(template.uuid)
        assert err.value.code == 400
        assert 'user-1' in str(err.value)
        dbapi.get_cluster_template_by_uuid(ctx, template.uuid)

    def test_duplicate_name_lookup_is_conflict(self, dbapi, ctx):
        utils.create_test_cluster_template(dbapi, name='dup')
        utils.create_test_cluster_template(dbapi, name='dup')
        with pytest.raises(exception.NameNotUnique):
            dbapi.get_cluster_template_by_name(ctx, 'dup')

    def test_unicode_names_are_stored(self, dbapi, ctx):
        name = 'kube-\u00e9t\u00e9-\U0001f680'
        template = utils.create_test_cluster_template(dbapi, name=name)
        assert dbapi.get_cluster_template_by_uuid(
            ctx, template.uuid).name == name


# -- nodegroups ---------------------------------------------------------------

class TestNodeGroups:

    def test_names_are_unique_within_a_cluster(self, dbapi):
        cluster_a, cluster_b = (uuidutils.generate_uuid() for _ in range(2))
        utils.create_test_nodegroup(dbapi, cluster_id=cluster_a, name='ng')
        utils.create_test_nodegroup(dbapi, cluster_id=cluster_b, name='ng')
        with pytest.raises(exception.NodeGroupAlreadyExists) as err:
            utils.create_test_nodegroup(dbapi, cluster_id=cluster_a,
                                        name='ng')
        assert err.value.code == 409 and 'ng' in str(err.value)

    def test_lookups_are_scoped_to_the_cluster(self, dbapi, ctx):
        cluster_a, cluster_b = (uuidutils.generate_uuid() for _ in range(2))
        group = utils.create_test_nodegroup(dbapi, cluster_id=cluster_a,
                                            name='ng', node_labels={'a': 'b'},
                                            node_taints=[{
                                                'key': 'k',
                                                'effect': 'NoSchedule'}])
        found = dbapi.get_nodegroup_by_name(ctx, cluster_a, 'ng')
        assert found.node_labels == {'a': 'b'}
        assert found.node_taints == [{'key': 'k', 'effect': 'NoSchedule'}]
        assert dbapi.get_nodegroup_by_id(ctx, cluster_a, group.id).uuid == \
            group.uuid
        assert dbapi.get_nodegroup_by_uuid(ctx, cluster_a,
                                           group.uuid).id == group.id
        for getter, ident in ((dbapi.get_nodegroup_by_id, group.id),
                              (dbapi.get_nodegroup_by_uuid, group.uuid),
                              (dbapi.get_nodegroup_by_name, 'ng')):
            with pytest.raises(exception.NodeGroupNotFound):
                getter(ctx, cluster_b, ident)
        with pytest.raises(exception.NodeGroupNotFound):
            dbapi.update_nodegroup(cluster_b, group.id, {'node_count': 1})
        with pytest.raises(exception.NodeGroupNotFound):
            dbapi.destroy_nodegroup(cluster_b, group.uuid)

    def test_list_role_filter_and_project_scoping(self, dbapi, ctx,
                                                   other_ctx, admin_ctx):
        cluster = utils.create_test_cluster(dbapi)
        utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                    name='gpu', role='gpu')
        roles = sorted(g.role for g in
                       dbapi.list_cluster_nodegroups(ctx, cluster.uuid))
        assert roles == ['gpu', 'master', 'worker']
        assert [g.name for g in dbapi.list_cluster_nodegroups(
            ctx, cluster.uuid, filters={'role': 'gpu'})] == ['gpu']
        assert dbapi.list_cluster_nodegroups(other_ctx, cluster.uuid) == []
        assert len(dbapi.list_cluster_nodegroups(admin_ctx,
                                                 cluster.uuid)) == 3

    def test_update_and_destroy(self, dbapi, ctx):
        group = utils.create_test_nodegroup(dbapi)
        updated = dbapi.update_nodegroup(
            group.cluster_id, group.uuid,
            {'node_count': 5, 'node_addresses': ['10.0.0.1']},
            expected={'status': 'CREATE_COMPLETE'})
        assert (updated.node_count, updated.node_addresses) == (
            5, ['10.0.0.1'])
        with pytest.raises(exception.ConcurrentUpdate):
            dbapi.update_nodegroup(group.cluster_id, group.id,
                                   {'node_count': 6},
                                   expected={'status': 'UPDATE_FAILED'})
        dbapi.destroy_nodegroup(group.cluster_id, group.id)
        with pytest.raises(exception.NodeGroupNotFound):
            dbapi.get_nodegroup_by_id(ctx, group.cluster_id, group.id)


# -- x509 key pairs, services, quotas, federations ----------------------------

class TestX509KeyPairs:

    def test_crud_and_scoping(self, dbapi, ctx, other_ctx):
        keypair = utils.create_test_x509keypair(dbapi)
        assert dbapi.get_x509keypair_by_uuid(
            ctx, keypair.uuid).certificate == 'certificate'
        with pytest.raises(exception.X509KeyPairNotFound):
            dbapi.get_x509keypair_by_id(other_ctx, keypair.id)
        assert [k.uuid for k in dbapi.get_x509keypair_list(ctx)] == [
            keypair.uuid]
        dbapi.update_x509keypair(keypair.uuid, {'intermediates': 'i'})
        assert dbapi.get_x509keypair_by_id(ctx,
                                           keypair.id).intermediates == 'i'
        dbapi.destroy_x509keypair(keypair.uuid)
        with pytest.raises(exception.X509KeyPairNotFound):
            dbapi.destroy_x509keypair(keypair.uuid)
        with pytest.raises(exception.X509KeyPairAlreadyExists):
            utils.create_test_x509keypair(dbapi, uuid=keypair.uuid)
            utils.create_test_x509keypair(dbapi, uuid=keypair.uuid)


class TestMagnumServices:

    def test_one_row_per_host_and_binary(self, dbapi):
        assert dbapi.get_magnum_service_by_host_and_binary(
            'conductor-1', 'magnum-conductor') is None
        service = utils.create_test_magnum_service(dbapi)
        utils.create_test_magnum_service(dbapi, host='conductor-2')
        found = dbapi.get_magnum_service_by_host_and_binary(
            'conductor-1', 'magnum-conductor')
        assert found.id == service.id and found.report_count == 0
        with pytest.raises(exception.MagnumServiceAlreadyExists):
            utils.create_test_magnum_service(dbapi)
        assert [s.host for s in dbapi.get_magnum_service_list()] == [
            'conductor-1', 'conductor-2']

    def test_heartbeat_update_and_destroy(self, dbapi):
        service = utils.create_test_magnum_service(dbapi)
        updated = dbapi.update_magnum_service(
            service.id, {'report_count': 1},
            expected={'report_count': 0})
        assert updated.report_count == 1
        with pytest.raises(exception.ConcurrentUpdate):
            dbapi.update_magnum_service(service.id, {'report_count': 1},
                                        expected={'report_count': 0})
        dbapi.update_magnum_service(service.id, {'disabled': True})
        assert dbapi.get_magnum_service_list(disabled=False) == []
        dbapi.destroy_magnum_service(service.id)
        with pytest.raises(exception.MagnumServiceNotFound):
            dbapi.destroy_magnum_service(service.id)


class TestQuotas:

    def test_crud(self, dbapi, admin_ctx):
        quota = utils.create_test_quota(dbapi, hard_limit=3)
        with pytest.raises(exception.QuotaAlreadyExists) as err:
            utils.create_test_quota(dbapi)
        assert err.value.code == 409
        assert dbapi.get_quota_by_project_id_resource(
            utils.PROJECT_ID, 'Cluster').hard_limit == 3
        assert dbapi.get_quota_by_id(admin_ctx, quota.id).id == quota.id
        updated = dbapi.update_quota(utils.PROJECT_ID,
                                     {'resource': 'Cluster',
                                      'hard_limit': 7})
        assert updated.hard_limit == 7
        assert [q.hard_limit for q in dbapi.quota_get_all_by_project_id(
            utils.PROJECT_ID)] == [7]
        dbapi.delete_quota(utils.PROJECT_ID, 'Cluster')
        with pytest.raises(exception.QuotaNotFound):
            dbapi.get_quota_by_project_id_resource(utils.PROJECT_ID,
                                                   'Cluster')
        with pytest.raises(exception.QuotaNotFound):
            dbapi.delete_quota(utils.PROJECT_ID, 'Cluster')
        with pytest.raises(exception.QuotaNotFound):
            dbapi.update_quota(utils.PROJECT_ID, {'resource': 'Cluster',
                                                  'hard_limit': 1})

    def test_list_pages_by_integer_marker(self, dbapi, admin_ctx):
        quotas = [utils.create_test_quota(dbapi, project_id='p%d' % i)
                  for i in range(5)]
        page = dbapi.get_quota_list(admin_ctx, limit=2,
                                    marker=quotas[1].id)
        assert [q.project_id for q in page] == ['p2', 'p3']
        assert [q.project_id for q in dbapi.get_quota_list(
            admin_ctx, filters={'project_id': 'p4'})] == ['p4']
        with pytest.raises(exception.InvalidParameterValue):
            dbapi.get_quota_list(admin_ctx, marker='abc')


class TestFederations:

    def test_crud(self, dbapi, ctx, other_ctx):
        member = uuidutils.generate_uuid()
        federation = utils.create_test_federation(dbapi, name='fed',
                                                  member_ids=[member])
        found = dbapi.get_federation_by_name(ctx, 'fed')
        assert found.member_ids == [member]
        assert found.properties == {'dns-zone': 'example.com.'}
        with pytest.raises(exception.FederationNotFound):
            dbapi.get_federation_by_uuid(other_ctx, federation.uuid)
        dbapi.update_federation(federation.uuid, {'member_ids': []})
        assert dbapi.get_federation_by_id(ctx,
                                          federation.id).member_ids == []
        assert len(dbapi.get_federation_list(ctx)) == 1
        dbapi.destroy_federation(federation.id)
        with pytest.raises(exception.FederationNotFound):
            dbapi.get_federation_by_id(ctx, federation.id)


def _expire_lock(dbapi, uuid):
    with dbapi.get_engine().begin() as conn:
        conn.execute(sa.text(
            'UPDATE cluster_lock SET expires_at = :t WHERE '
            'cluster_uuid = :u').bindparams(
                sa.bindparam('t', type_=sa.DateTime)),
            {'t': datetime.datetime(2000, 1, 1), 'u': uuid})


def _race_for_lock(dbapi, uuid, takers=6):
    """Let ``takers`` threads try to take the cluster's lock at once; what
    each got (True when it took it)."""
    barrier = threading.Barrier(takers)
    results = []

    def take(n):
        barrier.wait()
        results.append(dbapi.acquire_cluster_lock(
            uuid, 'conductor-%d' % n, 'sync', 60, 'token-%d' % n)[0])

    threads = [threading.Thread(target=take, args=(n,))
               for n in range(1, takers + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class TestClusterLocks:

    def test_one_holder_at_a_time(self, dbapi):
        uuid = uuidutils.generate_uuid()
        assert dbapi.acquire_cluster_lock(uuid, 'c1', 'create', 60,
                                          't1') == (True, None)
        acquired, current = dbapi.acquire_cluster_lock(uuid, 'c2', 'sync',
                                                        60, 't2')
        assert not acquired
        assert (current['holder'], current['operation']) == ('c1', 'create')
        assert not dbapi.release_cluster_lock(uuid, 't2')
        assert dbapi.release_cluster_lock(uuid, 't1')
        assert dbapi.get_cluster_lock(uuid).token is None
        # A released lock is taken again (and is no interrupted one).
        assert dbapi.acquire_cluster_lock(uuid, 'c2', 'sync', 60,
                                          't3') == (True, None)
        assert dbapi.get_cluster_lock(uuid).token == 't3'

    def test_expired_lock_is_taken_over_and_reported(self, dbapi):
        uuid = uuidutils.generate_uuid()
        dbapi.acquire_cluster_lock(uuid, 'dead', 'create', 60, 't1')
        _expire_lock(dbapi, uuid)
        acquired, previous = dbapi.acquire_cluster_lock(uuid, 'alive',
                                                        'sync', 60, 't2')
        assert acquired
        assert (previous['holder'], previous['operation']) == ('dead',
                                                              'create')
        assert dbapi.get_cluster_lock(uuid).holder == 'alive'

    def test_renew_only_by_the_token(self, dbapi):
        uuid = uuidutils.generate_uuid()
        dbapi.acquire_cluster_lock(uuid, 'c1', 'create', 5, 't1')
        before = dbapi.get_cluster_lock(uuid).expires_at
        assert dbapi.renew_cluster_lock(uuid, 't1', 600)
        assert dbapi.get_cluster_lock(uuid).expires_at > before
        assert not dbapi.renew_cluster_lock(uuid, 't2', 600)
        assert not dbapi.renew_cluster_lock(uuidutils.generate_uuid(), 't1',
                                            600)

    def test_same_host_two_workers(self, dbapi):
        # Two workers of one conductor host share its name: the one whose
        # lock expired and was taken over by the other can neither renew
        # nor release the new lock, and the taker learns what was cut
        # short.
        uuid = uuidutils.generate_uuid()
        dbapi.acquire_cluster_lock(uuid, 'c1', 'create', 60, 'worker-1')
        acquired, current = dbapi.acquire_cluster_lock(uuid, 'c1', 'sync',
                                                        60, 'worker-2')
        assert not acquired
        assert (current['holder'], current['operation']) == ('c1', 'create')
        _expire_lock(dbapi, uuid)
        acquired, previous = dbapi.acquire_cluster_lock(uuid, 'c1', 'sync',
                                                        60, 'worker-2')
        assert acquired
        assert (previous['holder'], previous['operation']) == ('c1',
                                                              'create')
        assert not dbapi.renew_cluster_lock(uuid, 'worker-1', 60)
        assert not dbapi.release_cluster_lock(uuid, 'worker-1',
                                              finished='create')
        row = dbapi.get_cluster_lock(uuid)
        assert (row.token, row.operation, row.finished_operation) == (
            'worker-2', 'sync', None)
        assert dbapi.release_cluster_lock(uuid, 'worker-2')

    def test_release_records_the_finished_operation(self, dbapi):
        uuid = uuidutils.generate_uuid()
        dbapi.acquire_cluster_lock(uuid, 'c1', 'create', 60, 't1')
        assert dbapi.release_cluster_lock(uuid, 't1', finished='create')
        row = dbapi.get_cluster_lock(uuid)
        assert (row.finished_operation, row.token) == ('create', None)
        assert row.finished_at is not None
        # A status sync's lock leaves the record as it was.
        dbapi.acquire_cluster_lock(uuid, 'c2', 'sync', 60, 't2')
        assert dbapi.release_cluster_lock(uuid, 't2')
        assert dbapi.get_cluster_lock(uuid).finished_operation == 'create'

    def test_the_lock_row_goes_with_its_cluster(self, dbapi):
        cluster = utils.create_test_cluster(dbapi)
        dbapi.acquire_cluster_lock(cluster.uuid, 'c1', 'create', 60, 't1')
        dbapi.release_cluster_lock(cluster.uuid, 't1', finished='create')
        dbapi.destroy_cluster(cluster.uuid)
        assert dbapi.get_cluster_lock(cluster.uuid) is None
        uuid = uuidutils.generate_uuid()
        dbapi.acquire_cluster_lock(uuid, 'c1', 'delete', 60, 't2')
        dbapi.forget_cluster_lock(uuid)
        assert dbapi.get_cluster_lock(uuid) is None

    def test_racing_takers_get_it_once(self, dbapi):
        uuid = uuidutils.generate_uuid()
        assert _race_for_lock(dbapi, uuid).count(True) == 1

    def test_racing_takers_of_a_released_lock_get_it_once(self, dbapi):
        uuid = uuidutils.generate_uuid()
        dbapi.acquire_cluster_lock(uuid, 'c0', 'create', 60, 'token-0')
        dbapi.release_cluster_lock(uuid, 'token-0', finished='create')
        assert _race_for_lock(dbapi, uuid).count(True) == 1


class TestClusterRequests:
    """Requests the API recorded, claimed once by whoever takes them."""

    def test_record_list_and_claim(self, dbapi):
        cluster = utils.create_test_cluster(dbapi)
        first = dbapi.create_cluster_request({
            'cluster_uuid': cluster.uuid, 'operation': 'resize',
            'arguments': {'node_count': 3, 'nodes_to_remove': ['n1'],
                          'nodegroup': 'ng-uuid'}})
        second = dbapi.create_cluster_request({
            'cluster_uuid': cluster.uuid, 'operation': 'create nodegroup',
            'arguments': {'nodegroup': 'other'}})
        elsewhere = dbapi.create_cluster_request({
            'cluster_uuid': uuidutils.generate_uuid(),
            'operation': 'update'})
        assert uuidutils.is_uuid_like(first.uuid)
        assert first.created_at is not None
        stored = dbapi.get_cluster_request(first.uuid)
        assert (stored.operation, stored.arguments) == (
            'resize', {'node_count': 3, 'nodes_to_remove': ['n1'],
                       'nodegroup': 'ng-uuid'})
        assert dbapi.get_cluster_request(elsewhere.uuid).arguments == {}
        assert [r.uuid for r in dbapi.list_cluster_requests(
            cluster.uuid)] == [first.uuid, second.uuid]
        assert {r.uuid for r in dbapi.list_cluster_requests()} == {
            first.uuid, second.uuid, elsewhere.uuid}
        assert dbapi.claim_cluster_request(first.uuid)
        assert not dbapi.claim_cluster_request(first.uuid)
        assert dbapi.get_cluster_request(first.uuid) is None
        assert [r.uuid for r in dbapi.list_cluster_requests(
            cluster.uuid)] == [second.uuid]

    def test_racing_claimers_take_it_once(self, dbapi):
        request = dbapi.create_cluster_request({
            'cluster_uuid': uuidutils.generate_uuid(),
            'operation': 'resize'})
        takers = 6
        barrier = threading.Barrier(takers)
        results = []

        def claim():
            barrier.wait()
            results.append(dbapi.claim_cluster_request(request.uuid))

        threads = [threading.Thread(target=claim) for _ in range(takers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * (takers - 1) + [True]

    def test_requests_go_with_their_cluster(self, dbapi):
        cluster = utils.create_test_cluster(dbapi)
        other = utils.create_test_cluster(dbapi, name='other',
                                          uuid=uuidutils.generate_uuid())
        dbapi.create_cluster_request({'cluster_uuid': cluster.uuid,
                                      'operation': 'update'})
        kept = dbapi.create_cluster_request({'cluster_uuid': other.uuid,
                                             'operation': 'update'})
        dbapi.destroy_cluster(cluster.uuid)
        assert [r.uuid for r in dbapi.list_cluster_requests()] == [
            kept.uuid]


def test_reads_give_rows_by_key_and_by_attribute(dbapi):
    template = utils.create_test_cluster_template(dbapi, name='keyed',
                                                  labels={'a': 'b'})
    for row in (dbapi.get_cluster_template_by_uuid(None, template.uuid),
                dbapi.get_cluster_template_list(None)[0]):
        assert row['name'] == row.name == 'keyed'
        assert row.labels == {'a': 'b'}
        with pytest.raises(AttributeError):
            row.no_such_column


# -- start-up -----------------------------------------------------------------

class TestWarmUp:

    def test_warm_up_connects_and_prepares_the_mappings(self, dbapi):
        from magnum.db.sqlalchemy import models
        engine = dbapi._read_engine()
        checkouts = []

        def checked_out(dbapi_connection, record, proxy):
            checkouts.append(record)
        # A connection from the pool (opened now, or when the engine was
        # made, as oslo.db does on MariaDB to test it).
        sa.event.listen(engine, 'checkout', checked_out)
        try:
            dbapi.warm_up()
        finally:
            sa.event.remove(engine, 'checkout', checked_out)
        assert len(checkouts) == 1
        assert models.Cluster.__mapper__.configured

    def test_warm_up_of_an_unreachable_database_raises(self, tmp_path):
        from magnum.db.sqlalchemy import api as sqlalchemy_api
        missing = tmp_path / 'no-such-dir' / 'magnum.sqlite'
        connection = sqlalchemy_api.Connection('sqlite:///%s' % missing)
        with pytest.raises(Exception):
            connection.warm_up()
