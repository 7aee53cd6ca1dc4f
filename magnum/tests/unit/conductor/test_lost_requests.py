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

"""Update, resize and nodegroup requests the API recorded: claimed by the
conductor that takes them, replayed by the cluster's owner when their
cast was lost, and carried out once whoever reaches them."""

import datetime
import threading

from oslo_utils import timeutils
import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.conductor import lost_requests
from magnum.conductor import reconcile
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers import nodegroup_conductor
from magnum.db.sqlalchemy import models
from magnum.objects import cluster_request
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import held_lock
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.conductor.conftest import take_lock
from magnum.tests.unit.db import utils as db_utils

Driver = fake_driver.FakeDriver
ADMIN = magnum_context.get_admin_context


@pytest.fixture
def handlers(dbapi, fake_drivers, notifier):
    return (cluster_conductor.ClusterHandler('conductor-1'),
            nodegroup_conductor.NodeGroupHandler('conductor-1'))


@pytest.fixture
def owner(dbapi, fake_drivers, notifier):
    """The clusters' owner (alone in its ring), its replays waited for
    after each pass."""
    reconciler = reconcile.Reconciler('conductor-1')

    def sync():
        reconciler.sync_once()
        assert reconciler.wait_for_resumed(30)

    reconciler.sync = sync
    return reconciler


def record(cluster, operation, **arguments):
    """What the API records before its cast."""
    return objects.ClusterRequest.record(ADMIN(), cluster.uuid, operation,
                                         **arguments)


def age(dbapi, request, seconds):
    """Make the request look ``seconds`` old."""
    with dbapi.get_engine().begin() as connection:
        connection.execute(
            models.ClusterRequest.__table__.update().where(
                models.ClusterRequest.uuid == request.uuid).values(
                    created_at=timeutils.utcnow() -
                    datetime.timedelta(seconds=seconds)))


def pending(request):
    return objects.ClusterRequest.get_pending(ADMIN(), request.uuid)


def extra_nodegroup(dbapi, cluster, status):
    row = db_utils.create_test_nodegroup(
        dbapi, cluster_id=cluster.uuid, name='extra', node_count=2,
        status=status)
    return objects.NodeGroup.get_by_uuid(ADMIN(), cluster.uuid, row.uuid)


def resize_request(dbapi, template, count=5):
    """A cluster the API is resizing: UPDATE_IN_PROGRESS, its request on
    record."""
    cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
    worker = cluster.default_ng_worker
    request = record(cluster, cluster_request.RESIZE, node_count=count,
                     nodes_to_remove=[], nodegroup=worker.uuid)
    return cluster, worker, request


class TestTheConductorThatTakesTheWork:

    def test_claims_the_request(self, handlers, dbapi, template, context):
        cluster, worker, request = resize_request(dbapi, template)
        handlers[0].cluster_resize(context, cluster, 5, [], worker,
                                   request=request.uuid)
        assert Driver.calls == [('resize_cluster', cluster.uuid, 5, [],
                                 'default-worker')]
        assert pending(request) is None

    def test_a_request_carried_out_already_is_not_run_again(
            self, handlers, dbapi, template, context, notifier):
        # The status sync replayed it and the cluster is complete; the
        # original cast arrives late.
        cluster, worker, request = resize_request(dbapi, template)
        objects.ClusterRequest.claim(ADMIN(), request.uuid)
        dbapi.update_cluster(cluster.uuid, {'status': 'UPDATE_COMPLETE'})
        handlers[0].cluster_resize(context, cluster, 5, [], worker,
                                   request=request.uuid)
        assert Driver.calls == []
        assert reload(cluster).status == 'UPDATE_COMPLETE'
        assert reload(cluster).default_ng_worker.node_count == 2
        assert notifier.events() == []

    def test_a_late_copy_finding_the_cluster_busy_records_nothing(
            self, handlers, dbapi, template, context):
        # Replayed and done; an upgrade runs now; the late cast must not
        # fail the cluster for being busy.
        cluster, worker, request = resize_request(dbapi, template)
        objects.ClusterRequest.claim(ADMIN(), request.uuid)
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'upgrade')
        handlers[0].cluster_resize(context, cluster, 5, [], worker,
                                   request=request.uuid)
        assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
        assert Driver.calls == []

    def test_a_request_answered_with_a_failure_is_off_the_record(
            self, handlers, dbapi, template, context):
        cluster, worker, request = resize_request(dbapi, template)
        Driver.errors['resize_cluster'] = RuntimeError('engine gone')
        with pytest.raises(RuntimeError):
            handlers[0].cluster_resize(context, cluster, 5, [], worker,
                                       request=request.uuid)
        assert reload(cluster).status == 'UPDATE_FAILED'
        assert pending(request) is None

    def test_a_request_refused_as_busy_is_off_the_record(
            self, handlers, dbapi, template, context):
        from magnum.conductor import locks
        cluster, worker, request = resize_request(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'rotate_ca')
        with pytest.raises(locks.ClusterBusy):
            handlers[0].cluster_resize(context, cluster, 5, [], worker,
                                       request=request.uuid)
        stored = reload(cluster)
        assert stored.status == 'UPDATE_FAILED'
        assert 'busy with rotate_ca' in stored.status_reason
        assert pending(request) is None

    def test_nodegroup_requests_are_claimed(self, handlers, dbapi, template,
                                            context):
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        extra = extra_nodegroup(dbapi, cluster, 'CREATE_IN_PROGRESS')
        request = record(cluster, cluster_request.CREATE_NODEGROUP,
                         nodegroup=extra.uuid)
        handlers[1].nodegroup_create(context, cluster, extra,
                                     request=request.uuid)
        assert Driver.calls == [('create_nodegroup', cluster.uuid, 'extra')]
        assert pending(request) is None
        # One for a nodegroup deleted meanwhile is dropped.
        gone = record(cluster, cluster_request.DELETE_NODEGROUP,
                      nodegroup=extra.uuid)
        dbapi.destroy_nodegroup(cluster.uuid, extra.uuid)
        handlers[1].nodegroup_delete(context, cluster, extra,
                                     request=gone.uuid)
        assert pending(gone) is None
        assert len(Driver.calls) == 1

    def test_a_cast_without_a_request_runs_as_before(
            self, handlers, dbapi, template, context):
        # From an API that records nothing (RPC 1.0).
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        handlers[0].cluster_update(context, cluster, node_count=4)
        assert Driver.calls == [('update_cluster', cluster.uuid, False)]


class TestReplay:

    def test_a_lost_resize_is_carried_out_after_lock_timeout(
            self, owner, dbapi, template, notifier):
        cluster, worker, request = resize_request(dbapi, template)
        Driver.observed[cluster.uuid] = 'UPDATE_COMPLETE'
        owner.sync()
        # The cast may be on its way: not replayed, and the status the
        # API wrote is not taken for an outcome (not even observed).
        assert Driver.calls == []
        assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
        age(dbapi, request, 61)
        owner.sync()
        assert Driver.calls == [('resize_cluster', cluster.uuid, 5, [],
                                 'default-worker')]
        stored = reload(cluster)
        assert stored.status == 'UPDATE_IN_PROGRESS'
        assert stored.default_ng_worker.node_count == 5
        assert stored.status_reason == (
            'No conductor took up the resize of nodegroup default-worker '
            'to 5 nodes in the 60 seconds since it was asked for; '
            'carrying it out now')
        assert pending(request) is None
        assert notifier.events() == ['magnum.cluster.update.start']
        # From now on it is observed, not resized again.
        owner.sync()
        assert Driver.calls[1:] == [('update_cluster_status', cluster.uuid)]
        assert reload(cluster).status == 'UPDATE_COMPLETE'

    def test_a_lost_update(self, owner, dbapi, template):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        request = record(cluster, cluster_request.UPDATE, node_count=4,
                         rollback=True)
        age(dbapi, request, 61)
        owner.sync()
        assert Driver.calls == [('update_cluster', cluster.uuid, True)]
        assert reload(cluster).default_ng_worker.node_count == 4
        assert 'the update of the cluster to 4 nodes' in \
            reload(cluster).status_reason

    @pytest.mark.parametrize('operation,status,call', [
        (cluster_request.CREATE_NODEGROUP, 'CREATE_IN_PROGRESS',
         'create_nodegroup'),
        (cluster_request.UPDATE_NODEGROUP, 'UPDATE_IN_PROGRESS',
         'update_nodegroup'),
        (cluster_request.DELETE_NODEGROUP, 'DELETE_IN_PROGRESS',
         'delete_nodegroup'),
    ])
    def test_a_lost_nodegroup_change_of_a_stable_cluster(
            self, owner, dbapi, template, operation, status, call):
        # The API leaves the cluster's status as it was: the sync finds
        # the cluster by its request.
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        extra = extra_nodegroup(dbapi, cluster, status)
        request = record(cluster, operation, nodegroup=extra.uuid)
        owner.sync()
        assert Driver.calls == []
        age(dbapi, request, 61)
        owner.sync()
        assert Driver.calls == [(call, cluster.uuid, 'extra')]
        assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
        assert pending(request) is None

    def test_requests_that_no_longer_stand_are_dropped(
            self, owner, dbapi, template):
        stable = make_cluster(dbapi, template, status='UPDATE_COMPLETE')
        removed = extra_nodegroup(dbapi, stable, 'DELETE_IN_PROGRESS')
        delete = record(stable, cluster_request.DELETE_NODEGROUP,
                        nodegroup=removed.uuid)
        dbapi.destroy_nodegroup(stable.uuid, removed.uuid)
        deleting = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        update = record(deleting, cluster_request.UPDATE, node_count=1)
        for request in (delete, update):
            age(dbapi, request, 61)
        owner.sync()
        assert [pending(r) for r in (delete, update)] == [None] * 2
        assert Driver.calls == [('update_cluster_status', deleting.uuid)]
        assert reload(stable).status == 'UPDATE_COMPLETE'

    def test_a_request_stands_whatever_the_status_became(
            self, owner, dbapi, template):
        # Another operation failed meanwhile, or a sync that ran between
        # the API's status write and its record completed the cluster:
        # the resize was never tried, and the 202 promised it.
        for status in ('UPDATE_FAILED', 'UPDATE_COMPLETE'):
            cluster = make_cluster(dbapi, template, status=status)
            worker = cluster.default_ng_worker
            request = record(cluster, cluster_request.RESIZE, node_count=3,
                             nodes_to_remove=[], nodegroup=worker.uuid)
            age(dbapi, request, 61)
            owner.sync()
            assert [c for c in Driver.calls if c[1] == cluster.uuid] == [
                ('resize_cluster', cluster.uuid, 3, [], 'default-worker')], \
                status
            stored = reload(cluster)
            assert (stored.status, stored.default_ng_worker.node_count) == (
                'UPDATE_IN_PROGRESS', 3)

    def test_a_conductor_that_died_before_asking_the_driver(
            self, owner, dbapi, template):
        # It took the lock for the resize and died before it claimed the
        # request: the request is carried out whole, at once, rather than
        # the driver asked to resume a resize it never started.
        cluster, worker, request = resize_request(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'dead-conductor',
                  cluster_request.RESIZE, -1)
        owner.sync()
        assert Driver.calls == [('resize_cluster', cluster.uuid, 5, [],
                                 'default-worker')]
        assert reload(cluster).status_reason == (
            'Conductor dead-conductor stopped before it started the resize '
            'of nodegroup default-worker to 5 nodes; carrying it out now')
        assert held_lock(dbapi, cluster.uuid) is None

    def test_another_interrupted_operation_is_resumed_first(
            self, owner, dbapi, template):
        cluster, worker, request = resize_request(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'dead-conductor', 'upgrade', -1)
        Driver.resumable = True
        owner.sync()
        # Resumed, not observed (the resize's cast may be on its way).
        assert Driver.calls == [('resume_operation', cluster.uuid,
                                 'upgrade')]
        assert pending(request) is not None

    def test_a_second_resize_dropped_while_the_first_ran_is_carried_out(
            self, owner, handlers, dbapi, template, context):
        # The API takes a resize of a cluster UPDATE_IN_PROGRESS; its cast
        # finds the first resize holding the lock and is dropped as a
        # duplicate. Its request stays on record: the owner carries it
        # out once the first is done and a lock timeout has passed.
        cluster, worker, first = resize_request(dbapi, template, count=4)
        second = record(cluster, cluster_request.RESIZE, node_count=6,
                        nodes_to_remove=[], nodegroup=worker.uuid)
        token = take_lock(dbapi, cluster.uuid, 'conductor-2',
                          cluster_request.RESIZE)
        objects.ClusterRequest.claim(ADMIN(), first.uuid)
        handlers[0].cluster_resize(context, cluster, 6, [], worker,
                                   request=second.uuid)
        assert Driver.calls == []
        dbapi.release_cluster_lock(cluster.uuid, token,
                                   finished=cluster_request.RESIZE)
        age(dbapi, second, 61)
        owner.sync()
        assert Driver.calls == [('resize_cluster', cluster.uuid, 6, [],
                                 'default-worker')]
        assert pending(second) is None

    def test_a_request_for_a_cluster_of_another_owner_is_left(
            self, dbapi, fake_drivers, notifier, template):
        from magnum.conductor import hash_ring
        for host in ('conductor-1', 'conductor-2'):
            dbapi.create_magnum_service({
                'host': host, 'binary': 'magnum-conductor',
                'report_count': 1, 'last_seen_up': timeutils.utcnow()})
        ring = hash_ring.HashRing(['conductor-1', 'conductor-2'])
        clusters = [make_cluster(dbapi, template, status='CREATE_COMPLETE')
                    for _ in range(6)]
        requests = {}
        for cluster in clusters:
            extra = extra_nodegroup(dbapi, cluster, 'CREATE_IN_PROGRESS')
            requests[cluster.uuid] = record(
                cluster, cluster_request.CREATE_NODEGROUP,
                nodegroup=extra.uuid)
            age(dbapi, requests[cluster.uuid], 61)
        first = reconcile.Reconciler('conductor-1')
        first.sync_once()
        assert first.wait_for_resumed(30)
        replayed = {call[1] for call in Driver.calls}
        assert replayed == {c.uuid for c in clusters
                            if ring.owner(c.uuid) == 'conductor-1'}
        assert all((pending(requests[c.uuid]) is None) ==
                   (c.uuid in replayed) for c in clusters)


def test_copies_racing_for_one_request_carry_it_out_once(
        handlers, dbapi, template):
    # Replays by two owners (a ring that changed) and the late cast, all
    # at once: the cluster's lock and the claim let one through.
    cluster, worker, request = resize_request(dbapi, template)
    racers = 6
    barrier = threading.Barrier(racers)
    errors = []

    def carry_out():
        barrier.wait()
        try:
            lost_requests.carry_out(
                cluster_conductor.ClusterHandler('conductor-x'),
                nodegroup_conductor.NodeGroupHandler('conductor-x'),
                ADMIN(), reload(cluster), request)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=carry_out) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A racer that found another holding the lock for the same resize
    # stopped as a duplicate; one that came after found it carried out.
    assert errors == []
    assert [c for c in Driver.calls if c[0] == 'resize_cluster'] == [
        ('resize_cluster', cluster.uuid, 5, [], 'default-worker')]
    assert pending(request) is None
    assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
