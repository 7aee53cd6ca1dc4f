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

"""The reconcile loop: status sync, repair, timeouts, health, ownership."""

import datetime
import threading

from oslo_utils import timeutils
import pytest
import sqlalchemy as sa

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor import reconcile
from magnum.conductor.handlers import cluster_conductor
from magnum.db.sqlalchemy import models
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import held_lock
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.conductor.conftest import take_lock
from magnum.tests.unit.db import utils as db_utils

Driver = fake_driver.FakeDriver


@pytest.fixture
def reconciler(dbapi, fake_drivers, notifier, monkeypatch):
    from magnum.common import certificates
    monkeypatch.setattr(certificates, 'delete_certificates',
                        lambda context, cluster: None)
    return reconcile.Reconciler('conductor-1')


def _report_up(dbapi, host, seconds_ago=0):
    dbapi.create_magnum_service({
        'host': host, 'binary': 'magnum-conductor', 'report_count': 1,
        'last_seen_up': timeutils.utcnow() - datetime.timedelta(
            seconds=seconds_ago)})


class TestStatusSync:

    def test_observes_clusters_in_progress_only(self, reconciler, dbapi,
                                                template):
        busy = make_cluster(dbapi, template)
        done = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        Driver.observed[busy.uuid] = 'CREATE_COMPLETE'
        assert reconciler.sync_once() == 1
        assert ('update_cluster_status', busy.uuid) in Driver.calls
        assert ('update_cluster_status', done.uuid) not in Driver.calls
        assert reload(busy).status == 'CREATE_COMPLETE'

    def test_terminal_status_is_notified(self, reconciler, dbapi, template,
                                         notifier):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        Driver.observed[cluster.uuid] = 'UPDATE_FAILED'
        reconciler.sync_once()
        assert notifier.events() == ['magnum.cluster.update.error']

    def test_delete_complete_forgets_the_cluster(self, reconciler, dbapi,
                                                 template, notifier):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        Driver.observed[cluster.uuid] = 'DELETE_COMPLETE'
        reconciler.sync_once()
        with pytest.raises(exception.ClusterNotFound):
            reload(cluster)
        assert dbapi.get_cluster_nodegroup_count(
            magnum_context.get_admin_context(), cluster.uuid) == 0
        assert notifier.events() == ['magnum.cluster.delete.end']

    def test_create_timeout(self, reconciler, dbapi, template):
        cluster = make_cluster(dbapi, template, create_timeout=5)
        dbapi.update_cluster(cluster.uuid, {
            'created_at': timeutils.utcnow() - datetime.timedelta(minutes=6),
            'status_reason': 'Started node 2 of 3'})
        reconciler.sync_once()
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'within 5 minutes' in stored.status_reason
        assert 'Started node 2 of 3' in stored.status_reason

    def test_not_yet_timed_out(self, reconciler, dbapi, template):
        cluster = make_cluster(dbapi, template, create_timeout=5)
        reconciler.sync_once()
        assert reload(cluster).status == 'CREATE_IN_PROGRESS'

    def test_cluster_busy_with_a_live_operation_is_left_alone(
            self, reconciler, dbapi, template):
        cluster = make_cluster(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'other', 'create')
        reconciler.sync_once()
        assert ('update_cluster_status', cluster.uuid) not in Driver.calls

    def test_interrupted_operation_fails_with_a_reason(self, reconciler,
                                                       dbapi, template,
                                                       notifier):
        cluster = make_cluster(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'dead-conductor', 'create', -1)
        reconciler.sync_once()
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'conductor dead-conductor stopped' in stored.status_reason
        assert ('resume_operation', cluster.uuid, 'create') in Driver.calls
        assert notifier.events() == ['magnum.cluster.create.error']
        assert held_lock(dbapi, cluster.uuid) is None

    def test_interrupted_operation_the_driver_resumes(self, reconciler,
                                                      dbapi, template):
        cluster = make_cluster(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'dead-conductor', 'create', -1)
        Driver.resumable = True
        Driver.observed[cluster.uuid] = 'CREATE_COMPLETE'
        reconciler.sync_once()
        assert reload(cluster).status == 'CREATE_COMPLETE'

    def test_driver_errors_do_not_stop_the_pass(self, reconciler, dbapi,
                                                template):
        first = make_cluster(dbapi, template)
        second = make_cluster(dbapi, template)
        Driver.errors['update_cluster_status'] = RuntimeError('boom')
        assert reconciler.sync_once() == 2
        assert reload(first).status == reload(second).status == \
            'CREATE_IN_PROGRESS'


class TestOwnership:

    def test_two_conductors_split_the_clusters(self, dbapi, fake_drivers,
                                               notifier, template):
        _report_up(dbapi, 'conductor-1')
        _report_up(dbapi, 'conductor-2')
        clusters = [make_cluster(dbapi, template) for _ in range(20)]
        first = reconcile.Reconciler('conductor-1')
        second = reconcile.Reconciler('conductor-2')
        counts = [first.sync_once(), second.sync_once()]
        assert sum(counts) == 20 and min(counts) > 0
        synced = [call[1] for call in Driver.calls
                  if call[0] == 'update_cluster_status']
        # Every cluster polled exactly once in the period.
        assert sorted(synced) == sorted(c.uuid for c in clusters)

    def test_a_dead_conductors_clusters_move(self, dbapi, fake_drivers,
                                             notifier, template):
        _report_up(dbapi, 'conductor-1')
        _report_up(dbapi, 'conductor-2', seconds_ago=3600)
        [make_cluster(dbapi, template) for _ in range(10)]
        assert reconcile.Reconciler('conductor-1').sync_once() == 10

    def test_live_conductors(self, dbapi):
        _report_up(dbapi, 'a')
        _report_up(dbapi, 'b', seconds_ago=3600)
        dbapi.create_magnum_service({'host': 'c', 'binary':
                                     'magnum-conductor', 'report_count': 1,
                                     'last_seen_up': timeutils.utcnow(),
                                     'forced_down': True})
        assert reconcile.live_conductors(
            magnum_context.get_admin_context()) == ['a']


class TestHealth:

    def test_records_health_and_reason(self, reconciler, dbapi, template):
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        Driver.health[cluster.uuid] = ('UNHEALTHY', {'node-2.Ready': 'False'})
        assert reconciler.health_once() == 1
        stored = reload(cluster)
        assert (stored.health_status, stored.health_status_reason) == (
            'UNHEALTHY', {'node-2.Ready': 'False'})

    def test_unreachable_is_unknown_with_the_reason(self, reconciler, dbapi,
                                                    template):
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE',
                               health_status='HEALTHY')
        Driver.health[cluster.uuid] = ConnectionRefusedError(
            'connection refused')
        reconciler.health_once()
        stored = reload(cluster)
        assert stored.health_status == 'UNKNOWN'
        assert 'connection refused' in stored.health_status_reason['api']

    def test_certificates_condition(self, reconciler, dbapi, template,
                                    context):
        from magnum.common import certificates
        from magnum.common import conditions
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        reconciler.health_once()
        condition = conditions.get(reload(cluster),
                                   conditions.CERTIFICATES_VALID)
        assert (condition['status'], condition['reason']) == (
            'Unknown', 'CertificatesNotGenerated')
        stored = reload(cluster)
        certificates.generate_certificates_to_cluster(context, stored)
        stored.save()
        reconciler.health_once()
        condition = conditions.get(reload(cluster),
                                   conditions.CERTIFICATES_VALID)
        assert condition['status'] == 'True'
        assert condition['last_transition_time']

    @staticmethod
    def _statements(dbapi, work):
        statements = []

        def record(conn, cursor, statement, params, context, executemany):
            statements.append(statement)

        engine = dbapi.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', record)
        try:
            work()
        finally:
            sa.event.remove(engine, 'before_cursor_execute', record)
        return statements

    def test_a_fixed_number_of_queries_per_period(self, reconciler, dbapi,
                                                  template):
        # The driver is found once per template, not a template read per
        # cluster: a pass over 12 clusters of 2 templates reads as much as
        # one over 3.
        other = objects.ClusterTemplate.get_by_uuid(
            magnum_context.get_admin_context(),
            db_utils.create_test_cluster_template(
                dbapi, coe='kubernetes', server_type='vm',
                cluster_distro='fedora-coreos', image_id='fedora-coreos',
                driver=None).uuid)
        counts = []
        for added in (3, 9):
            for index in range(added):
                cluster = make_cluster(
                    dbapi, (template, other)[index % 2],
                    status='CREATE_COMPLETE')
                Driver.health[cluster.uuid] = ('HEALTHY', {})
            reconciler.health_once()  # records what is new
            statements = self._statements(dbapi, reconciler.health_once)
            counts.append(len(statements))
            template_reads = [s for s in statements
                              if s.lstrip().upper().startswith('SELECT') and
                              'FROM cluster_template' in s]
            assert len(template_reads) == 2
        assert reconciler.health_once() == 12
        assert counts[0] == counts[1]

    def test_clusters_are_checked_side_by_side(self, reconciler, dbapi,
                                               template, magnum_config):
        # Four checks that each wait for the four to be under way at
        # once: one after the other, the first would wait in vain (the
        # barrier breaks) and its cluster would be UNKNOWN.
        magnum_config.config(group='conductor', health_check_workers=4)
        together = threading.Barrier(4, timeout=30)

        def poll():
            together.wait()
            return ('HEALTHY', {'api': 'ok'})
        clusters = [make_cluster(dbapi, template, status='CREATE_COMPLETE')
                    for _ in range(4)]
        for cluster in clusters:
            Driver.health[cluster.uuid] = poll
        assert reconciler.health_once() == 4
        assert [reload(c).health_status for c in clusters] == ['HEALTHY'] * 4

    def test_one_worker_checks_one_cluster_at_a_time(self, reconciler, dbapi,
                                                     template, magnum_config):
        magnum_config.config(group='conductor', health_check_workers=1)
        running = []

        def poll():
            running.append(threading.current_thread().name)
            return ('HEALTHY', {})
        for _ in range(3):
            cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
            Driver.health[cluster.uuid] = poll
        assert reconciler.health_once() == 3
        assert running == [threading.current_thread().name] * 3

    def test_clusters_being_created_are_not_checked(self, reconciler, dbapi,
                                                    template):
        cluster = make_cluster(dbapi, template)
        Driver.health[cluster.uuid] = ('HEALTHY', {})
        assert reconciler.health_once() == 0
        assert objects.Cluster.get_by_uuid(
            magnum_context.get_admin_context(),
            cluster.uuid).health_status is None


def _age(dbapi, cluster, seconds, **values):
    """Make the cluster look ``seconds`` old."""
    dbapi.update_cluster(cluster.uuid, dict(
        created_at=timeutils.utcnow() - datetime.timedelta(seconds=seconds),
        **values))


def _finished(dbapi, cluster, operation, seconds_ago=0):
    """Record ``operation`` as having run to its end on the cluster."""
    token = take_lock(dbapi, cluster.uuid, 'conductor-9', operation)
    dbapi.release_cluster_lock(cluster.uuid, token, finished=operation)
    if seconds_ago:
        with dbapi.get_engine().begin() as connection:
            connection.execute(
                models.ClusterLock.__table__.update().where(
                    models.ClusterLock.cluster_uuid == cluster.uuid).values(
                        finished_at=timeutils.utcnow() -
                        datetime.timedelta(seconds=seconds_ago)))


@pytest.fixture
def resumer(reconciler, monkeypatch):
    """The reconciler, its resumed operations waited for after each
    pass."""
    sync_once = reconciler.sync_once

    def sync_and_wait():
        synced = sync_once()
        assert reconciler.wait_for_resumed(30)
        return synced

    monkeypatch.setattr(reconciler, 'sync_once', sync_and_wait)
    monkeypatch.setattr(cluster_conductor.ClusterHandler,
                        'create_certificates',
                        lambda self, context, cluster: None)
    return reconciler


class TestLostRequests:
    """A create or delete that no conductor ran is taken up by the
    cluster's owner a lock timeout after it was asked for."""

    def test_a_lost_create_is_resumed(self, resumer, dbapi, template,
                                      notifier):
        cluster = make_cluster(dbapi, template)
        _age(dbapi, cluster, 61)
        resumer.sync_once()
        assert Driver.calls == [('create_cluster', cluster.uuid)]
        stored = reload(cluster)
        assert stored.status == 'CREATE_IN_PROGRESS'
        assert stored.stack_id == 'fake-stack-%s' % cluster.uuid
        assert stored.status_reason == (
            'No conductor took up the create in the 60 seconds since it '
            'was asked for; creating it now')
        assert notifier.events() == ['magnum.cluster.create.start']
        assert dbapi.get_cluster_lock(cluster.uuid).finished_operation == \
            'create'
        # From now on it is observed, not created again.
        Driver.calls.clear()
        Driver.observed[cluster.uuid] = 'CREATE_COMPLETE'
        resumer.sync_once()
        assert Driver.calls == [('update_cluster_status', cluster.uuid)]
        assert reload(cluster).status == 'CREATE_COMPLETE'

    def test_a_create_asked_for_less_than_a_lock_timeout_ago_waits(
            self, resumer, dbapi, template):
        cluster = make_cluster(dbapi, template)
        _age(dbapi, cluster, 50)
        resumer.sync_once()
        assert Driver.calls == [('update_cluster_status', cluster.uuid)]

    def test_a_create_that_ran_is_not_run_again(self, resumer, dbapi,
                                                template):
        ran = make_cluster(dbapi, template)
        _age(dbapi, ran, 600)
        _finished(dbapi, ran, 'create')
        # (A create of before the lock's record: the driver's handle.)
        has_handle = make_cluster(dbapi, template)
        _age(dbapi, has_handle, 600, stack_id='stack-1')
        resumer.sync_once()
        assert sorted(Driver.calls) == sorted([
            ('update_cluster_status', ran.uuid),
            ('update_cluster_status', has_handle.uuid)])

    def test_a_timed_out_create_fails_rather_than_resumes(
            self, resumer, dbapi, template):
        cluster = make_cluster(dbapi, template, create_timeout=5)
        _age(dbapi, cluster, 360)
        resumer.sync_once()
        assert ('create_cluster', cluster.uuid) not in Driver.calls
        assert reload(cluster).status == 'CREATE_FAILED'

    def test_a_lost_delete_is_carried_out(self, resumer, dbapi, template,
                                          notifier):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        _finished(dbapi, cluster, 'create', seconds_ago=3600)
        resumer.sync_once()
        # Not at once: the delete's request may be on its way.
        assert Driver.calls == [('update_cluster_status', cluster.uuid)]
        # A lock timeout later (the time it was first seen, moved back).
        resumer._deleting_since[cluster.uuid] -= datetime.timedelta(
            seconds=60)
        Driver.calls.clear()
        resumer.sync_once()
        assert Driver.calls == [('delete_cluster', cluster.uuid)]
        stored = reload(cluster)
        assert stored.status == 'DELETE_IN_PROGRESS'
        assert stored.status_reason == (
            'Deleting the cluster: no delete ran in the 60 seconds since '
            'it was asked for')
        assert notifier.events() == ['magnum.cluster.delete.start']
        # The driver reports it gone: forgotten.
        Driver.observed[cluster.uuid] = 'DELETE_COMPLETE'
        resumer.sync_once()
        with pytest.raises(exception.ClusterNotFound):
            reload(cluster)
        assert dbapi.get_cluster_lock(cluster.uuid) is None

    def test_a_delete_that_just_ran_is_observed(self, resumer, dbapi,
                                                template):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        _finished(dbapi, cluster, 'delete', seconds_ago=10)
        resumer.sync_once()
        resumer._deleting_since[cluster.uuid] -= datetime.timedelta(
            seconds=600)
        resumer.sync_once()
        assert Driver.calls == [('update_cluster_status', cluster.uuid)] * 2

    def test_a_retried_delete_whose_request_was_lost_runs_once(
            self, resumer, dbapi, template):
        # A delete failed an hour ago; the user asked again and that
        # request was lost.
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        _finished(dbapi, cluster, 'delete', seconds_ago=3600)
        resumer.sync_once()
        resumer._deleting_since[cluster.uuid] -= datetime.timedelta(
            seconds=60)
        resumer.sync_once()
        assert Driver.calls == [('update_cluster_status', cluster.uuid),
                                ('delete_cluster', cluster.uuid)]
        # A driver that deletes in the background: observed from now on,
        # its delete not sent again and again.
        Driver.calls.clear()
        resumer._deleting_since[cluster.uuid] -= datetime.timedelta(
            seconds=3600)
        resumer.sync_once()
        assert Driver.calls == [('update_cluster_status', cluster.uuid)]

    def test_a_delete_that_waited_too_long_is_taken_up(
            self, resumer, dbapi, template):
        # The delete handed over while a create ran; the create ended.
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        token = take_lock(dbapi, cluster.uuid, 'conductor-2', 'create')
        resumer.sync_once()  # busy: not even observed
        assert Driver.calls == []
        resumer._deleting_since[cluster.uuid] -= datetime.timedelta(
            seconds=60)
        dbapi.release_cluster_lock(cluster.uuid, token, finished='create')
        resumer.sync_once()
        assert Driver.calls == [('delete_cluster', cluster.uuid)]

    def test_an_interrupted_operation_of_a_cluster_being_deleted(
            self, resumer, dbapi, template):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        take_lock(dbapi, cluster.uuid, 'dead-conductor', 'create', -1)
        Driver.resumable = True
        resumer.sync_once()
        # Deleted, not resumed.
        assert Driver.calls == [('delete_cluster', cluster.uuid)]
        assert reload(cluster).status_reason == (
            'Deleting the cluster again: conductor dead-conductor stopped '
            'while running create')

    def test_a_delete_asked_for_during_a_timeout_is_kept(
            self, reconciler, dbapi, template, monkeypatch):
        cluster = make_cluster(dbapi, template, create_timeout=5)
        _age(dbapi, cluster, 360, stack_id='stack-1')

        def observe(driver, context, target):
            # The API marks the cluster for deletion while it is observed.
            dbapi.update_cluster(target.uuid,
                                 {'status': 'DELETE_IN_PROGRESS'})

        monkeypatch.setattr(Driver, 'update_cluster_status', observe)
        reconciler.sync_once()
        assert reload(cluster).status == 'DELETE_IN_PROGRESS'
