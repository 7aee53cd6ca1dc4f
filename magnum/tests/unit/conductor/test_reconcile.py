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

from oslo_utils import timeutils
import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor import reconcile
from magnum.db import api as db_api
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload

Driver = fake_driver.FakeDriver


@pytest.fixture
def reconciler(dbapi, fake_drivers, notifier, monkeypatch):
    from magnum.conductor import certificates
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
        db_api.get_instance().acquire_cluster_lock(cluster.uuid, 'other',
                                                   'create', 60)
        reconciler.sync_once()
        assert ('update_cluster_status', cluster.uuid) not in Driver.calls

    def test_interrupted_operation_fails_with_a_reason(self, reconciler,
                                                       dbapi, template,
                                                       notifier):
        cluster = make_cluster(dbapi, template)
        dbapi.acquire_cluster_lock(cluster.uuid, 'dead-conductor', 'create',
                                   -1)
        reconciler.sync_once()
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'conductor dead-conductor stopped' in stored.status_reason
        assert ('resume_operation', cluster.uuid, 'create') in Driver.calls
        assert notifier.events() == ['magnum.cluster.create.error']
        assert dbapi.get_cluster_lock(cluster.uuid) is None

    def test_interrupted_operation_the_driver_resumes(self, reconciler,
                                                      dbapi, template):
        cluster = make_cluster(dbapi, template)
        dbapi.acquire_cluster_lock(cluster.uuid, 'dead-conductor', 'create',
                                   -1)
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
        from magnum.conductor import certificates
        from magnum.conductor import conditions
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

    def test_clusters_being_created_are_not_checked(self, reconciler, dbapi,
                                                    template):
        cluster = make_cluster(dbapi, template)
        Driver.health[cluster.uuid] = ('HEALTHY', {})
        assert reconciler.health_once() == 0
        assert objects.Cluster.get_by_uuid(
            magnum_context.get_admin_context(),
            cluster.uuid).health_status is None
