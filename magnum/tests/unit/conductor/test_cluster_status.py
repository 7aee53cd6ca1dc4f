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

"""magnum.common.cluster_status: the one way the end of an operation is
recorded, and the status sync's batched observation hook."""

import pytest

from magnum import objects
from magnum.common import cluster_status
from magnum.common import context as magnum_context
from magnum.conductor import reconcile
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload


def _nodegroups(cluster):
    return {ng.name: ng for ng in objects.NodeGroup.list(
        magnum_context.get_admin_context(), cluster.uuid)}


def _set_nodegroup_status(cluster, name, status):
    nodegroup = _nodegroups(cluster)[name]
    nodegroup.status = status
    nodegroup.save()


@pytest.fixture
def in_progress(dbapi, template, fake_drivers, notifier):
    cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
    for name in _nodegroups(cluster):
        _set_nodegroup_status(cluster, name, 'UPDATE_IN_PROGRESS')
    return reload(cluster)


class TestFail:

    def test_moves_to_the_matching_failed_status(self, in_progress,
                                                 context, notifier):
        assert cluster_status.fail(context, in_progress, 'it broke')
        stored = reload(in_progress)
        assert (stored.status, stored.status_reason) == (
            'UPDATE_FAILED', 'it broke')
        assert notifier.events() == ['magnum.cluster.update.error']
        assert notifier.sent[0][2]['reason'] == 'it broke'

    def test_nodegroups_in_progress_follow(self, in_progress, context):
        names = sorted(_nodegroups(in_progress))
        _set_nodegroup_status(in_progress, names[0], 'CREATE_COMPLETE')
        cluster_status.fail(context, in_progress, 'it broke')
        after = _nodegroups(in_progress)
        assert after[names[0]].status == 'CREATE_COMPLETE'
        for name in names[1:]:
            assert (after[name].status, after[name].status_reason) == (
                'UPDATE_FAILED', 'it broke')

    def test_a_delete_asked_for_meanwhile_is_not_overwritten(
            self, in_progress, context, notifier, dbapi):
        dbapi.update_cluster(in_progress.uuid,
                             {'status': 'DELETE_IN_PROGRESS'})
        assert not cluster_status.fail(context, in_progress, 'it broke')
        assert reload(in_progress).status == 'DELETE_IN_PROGRESS'
        assert notifier.events() == []
        # The caller's copy is as it was: a later save() writes no end.
        assert in_progress.status == 'UPDATE_IN_PROGRESS'
        assert 'status' not in in_progress.obj_what_changed()
        assert {ng.status for ng in _nodegroups(in_progress).values()} == {
            'UPDATE_IN_PROGRESS'}

    def test_the_second_writer_records_nothing(self, in_progress, context,
                                               notifier):
        other = reload(in_progress)
        assert cluster_status.complete(context, other, 'done')
        assert not cluster_status.fail(context, in_progress, 'it broke')
        assert reload(in_progress).status == 'UPDATE_COMPLETE'
        assert notifier.events() == ['magnum.cluster.update.end']

    def test_a_cluster_gone_is_not_recorded(self, in_progress, context,
                                            notifier, dbapi):
        dbapi.destroy_cluster(in_progress.uuid)
        assert not cluster_status.fail(context, in_progress, 'it broke')
        assert notifier.events() == []

    def test_expected_and_failed_status_given(self, in_progress, context,
                                              notifier):
        assert cluster_status.fail(
            context, in_progress, 'refused',
            expected_status=['UPDATE_IN_PROGRESS', 'CREATE_COMPLETE'],
            failed_status='CREATE_FAILED')
        assert reload(in_progress).status == 'CREATE_FAILED'
        assert notifier.events() == ['magnum.cluster.create.error']


class TestComplete:

    def test_records_the_end_once_with_the_nodegroups(self, in_progress,
                                                      context, notifier):
        names = sorted(_nodegroups(in_progress))
        _set_nodegroup_status(in_progress, names[0], 'DELETE_IN_PROGRESS')
        assert cluster_status.complete(context, in_progress, 'all Ready')
        stored = reload(in_progress)
        assert (stored.status, stored.status_reason) == (
            'UPDATE_COMPLETE', 'all Ready')
        after = _nodegroups(in_progress)
        # Being deleted: it completes by going away.
        assert after[names[0]].status == 'DELETE_IN_PROGRESS'
        for name in names[1:]:
            assert (after[name].status, after[name].status_reason) == (
                'UPDATE_COMPLETE', None)
        assert notifier.events() == ['magnum.cluster.update.end']

    def test_create_complete(self, dbapi, template, context, notifier,
                             fake_drivers):
        cluster = make_cluster(dbapi, template)
        assert cluster_status.complete(context, cluster)
        assert reload(cluster).status == 'CREATE_COMPLETE'
        assert notifier.events() == ['magnum.cluster.create.end']

    def test_delete_complete_is_announced_by_the_removal(
            self, dbapi, template, context, notifier, fake_drivers):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        assert cluster_status.complete(context, cluster)
        assert reload(cluster).status == 'DELETE_COMPLETE'
        assert notifier.events() == []


class PairDriver(fake_driver.FakeDriver):
    """Records the end of an operation through cluster_status, as real
    drivers do, and counts the batched observations."""

    batches = []

    def observe_clusters(self, context, clusters):
        self.batches.append((self.name, sorted(c.uuid for c in clusters)))
        self.batch = {c.uuid for c in clusters}

    def update_cluster_status(self, context, cluster):
        # Whether this instance was given the cluster in this period's
        # batch.
        self.calls.append(('update_cluster_status', cluster.uuid,
                           cluster.uuid in getattr(self, 'batch', ())))
        outcome = self.observed.get(cluster.uuid)
        if outcome == 'complete':
            cluster_status.complete(context, cluster, 'done')
        elif outcome == 'fail':
            cluster_status.fail(context, cluster, 'broken')


class OtherPairDriver(PairDriver):

    @property
    def provides(self):
        return [{'server_type': 'vm', 'os': 'ubuntu', 'coe': 'kubernetes'}]


@pytest.fixture
def pair_drivers(fake_drivers, monkeypatch):
    from magnum.common import certificates
    from magnum.drivers.common import driver
    monkeypatch.setattr(certificates, 'delete_certificates',
                        lambda context, cluster: None)
    PairDriver.batches = []
    registry = driver.DriverRegistry({'pair': PairDriver,
                                      'other_pair': OtherPairDriver})
    previous = driver.set_registry(registry)
    yield registry
    driver.set_registry(previous)


class TestStatusSyncWithThePair:

    @pytest.mark.parametrize('outcome,event', [
        ('complete', 'magnum.cluster.update.end'),
        ('fail', 'magnum.cluster.update.error')])
    def test_an_end_recorded_by_the_driver_is_notified_once(
            self, pair_drivers, dbapi, template, notifier, outcome, event):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        dbapi.update_cluster_template(template.uuid, {'driver': 'pair'})
        PairDriver.observed[cluster.uuid] = outcome
        reconcile.Reconciler('conductor-1').sync_once()
        assert notifier.events() == [event]

    def test_observe_clusters_once_per_driver_per_period(
            self, pair_drivers, dbapi, template, notifier):
        from magnum.tests.unit.db import utils as db_utils
        second = db_utils.create_test_cluster_template(
            dbapi, coe='kubernetes', server_type='vm',
            cluster_distro='fedora-coreos', image_id='fedora-coreos',
            driver='pair', name='second')
        other = db_utils.create_test_cluster_template(
            dbapi, coe='kubernetes', server_type='vm',
            cluster_distro='ubuntu', image_id='fedora-coreos',
            driver='other_pair', name='other')
        dbapi.update_cluster_template(template.uuid, {'driver': 'pair'})
        ours = [make_cluster(dbapi, template),
                make_cluster(dbapi, template, status='DELETE_IN_PROGRESS'),
                make_cluster(dbapi, second, status='UPDATE_IN_PROGRESS')]
        theirs = [make_cluster(dbapi, other)]
        make_cluster(dbapi, template, status='CREATE_COMPLETE')
        reconciler = reconcile.Reconciler('conductor-1')
        reconciler.sync_once()
        assert sorted(PairDriver.batches) == [
            ('other_pair', [c.uuid for c in theirs]),
            ('pair', sorted(c.uuid for c in ours))]
        # Then each cluster is observed, on the instance that was given
        # the batch.
        synced = [(uuid, batched) for call, uuid, batched in PairDriver.calls
                  if call == 'update_cluster_status']
        assert sorted(synced) == sorted((c.uuid, True)
                                        for c in ours + theirs)
        reconciler.sync_once()
        assert len(PairDriver.batches) == 4

    def test_a_failing_batch_still_observes_each_cluster(
            self, pair_drivers, dbapi, template, notifier, monkeypatch):
        def broken(self, context, clusters):
            raise RuntimeError('the batch read failed')

        monkeypatch.setattr(PairDriver, 'observe_clusters', broken)
        dbapi.update_cluster_template(template.uuid, {'driver': 'pair'})
        cluster = make_cluster(dbapi, template)
        PairDriver.observed[cluster.uuid] = 'complete'
        reconcile.Reconciler('conductor-1').sync_once()
        assert reload(cluster).status == 'CREATE_COMPLETE'
