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

"""The conductor's cluster operations (handlers/cluster_conductor.py)."""

import threading
import time

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor import locks
from magnum.conductor.handlers import cluster_conductor
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import held_lock
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.conductor.conftest import take_lock

Driver = fake_driver.FakeDriver


@pytest.fixture
def handler(dbapi, fake_drivers, notifier, monkeypatch):
    # Certificates are tested on their own; here they are not the point.
    monkeypatch.setattr(cluster_conductor.ClusterHandler,
                        'create_certificates',
                        lambda self, context, cluster: None)
    # An accepted upgrade runs at once, before the call returns (in a
    # conductor: in a thread, after the answer).
    return cluster_conductor.ClusterHandler(
        'conductor-1', background=lambda work: work())


class TestCreate:

    def test_starts_the_driver_and_records_its_handle(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template)
        handler.cluster_create(context, cluster, 60)
        assert ('create_cluster', cluster.uuid) in Driver.calls
        stored = reload(cluster)
        assert stored.status == 'CREATE_IN_PROGRESS'
        assert stored.stack_id == 'fake-stack-%s' % cluster.uuid
        assert {g.stack_id for g in stored.nodegroups} == {stored.stack_id}
        assert notifier.events() == ['magnum.cluster.create.start']
        assert held_lock(dbapi, cluster.uuid) is None

    def test_driver_failure_names_the_step_and_the_error(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template)
        Driver.errors['create_cluster'] = RuntimeError('quota of cores hit')
        with pytest.raises(RuntimeError):
            handler.cluster_create(context, cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert stored.status_reason == (
            'Create failed while asking the fake driver to create the '
            'cluster: quota of cores hit')
        assert notifier.events() == ['magnum.cluster.create.start',
                                     'magnum.cluster.create.error']
        level, _, payload = notifier.sent[-1]
        assert level == 'ERROR'
        assert payload['cluster_uuid'] == cluster.uuid
        assert payload['node_count'] == 2 and payload['master_count'] == 1
        assert held_lock(dbapi, cluster.uuid) is None

    def test_no_driver_for_the_template(self, handler, dbapi, context):
        template = objects.ClusterTemplate.get_by_uuid(
            context, dbapi.create_cluster_template(
                {'project_id': 'fake_project', 'coe': 'kubernetes',
                 'server_type': 'bm', 'cluster_distro': 'plan9',
                 'image_id': 'x'}).uuid)
        cluster = make_cluster(dbapi, template)
        with pytest.raises(exception.ClusterTypeNotSupported):
            handler.cluster_create(context, cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'while choosing the driver' in stored.status_reason
        assert 'plan9' in stored.status_reason

    def test_busy_cluster_fails_with_who_holds_it(self, handler, dbapi,
                                                  template, context):
        cluster = make_cluster(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'other', 'rotate_ca')
        with pytest.raises(locks.ClusterBusy):
            handler.cluster_create(context, cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'busy with rotate_ca by conductor other' in \
            stored.status_reason

    def test_repeated_create_is_ignored(self, handler, dbapi, template,
                                        context):
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        handler.cluster_create(context, cluster, 60)
        assert Driver.calls == []
        assert reload(cluster).status == 'CREATE_COMPLETE'


class TestUpdateAndResize:

    def test_update_applies_node_count_to_the_default_workers(
            self, handler, dbapi, template, context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        handler.cluster_update(context, cluster, node_count=5)
        assert ('update_cluster', cluster.uuid, False) in Driver.calls
        assert reload(cluster).default_ng_worker.node_count == 5

    def test_failed_update_restores_the_node_count(self, handler, dbapi,
                                                   template, context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        Driver.errors['update_cluster'] = RuntimeError('no capacity')
        with pytest.raises(RuntimeError):
            handler.cluster_update(context, cluster, node_count=9)
        stored = reload(cluster)
        assert stored.status == 'UPDATE_FAILED'
        assert 'no capacity' in stored.status_reason
        assert stored.default_ng_worker.node_count == 2

    def test_resize_passes_nodes_to_remove(self, handler, dbapi, template,
                                           context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        worker = cluster.default_ng_worker
        handler.cluster_resize(context, cluster, 1, ['node-7'], worker)
        assert ('resize_cluster', cluster.uuid, 1, ['node-7'],
                'default-worker') in Driver.calls
        group = reload(cluster).default_ng_worker
        assert (group.node_count, group.status) == (1, 'UPDATE_IN_PROGRESS')

    def test_failed_resize_marks_cluster_and_nodegroup(self, handler, dbapi,
                                                       template, context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        Driver.errors['resize_cluster'] = RuntimeError('engine gone')
        with pytest.raises(RuntimeError):
            handler.cluster_resize(context, cluster, 4, [],
                                   cluster.default_ng_worker)
        stored = reload(cluster)
        assert stored.status == 'UPDATE_FAILED'
        assert 'engine gone' in stored.status_reason
        group = stored.default_ng_worker
        assert (group.node_count, group.status) == (2, 'UPDATE_FAILED')

    def test_upgrade_refused_before_it_is_accepted_changes_nothing(
            self, handler, dbapi, template, context, monkeypatch):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')

        def check_upgrade(driver, ctx, target, to, nodegroup):
            raise exception.InvalidClusterTemplateForUpgrade(
                reason='image missing')

        monkeypatch.setattr(Driver, 'check_upgrade', check_upgrade)
        with pytest.raises(exception.InvalidClusterTemplateForUpgrade):
            handler.cluster_upgrade(context, cluster, template, 1,
                                    cluster.default_ng_worker)
        assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
        assert not [c for c in Driver.calls if c[0] == 'upgrade_cluster']
        assert held_lock(dbapi, cluster.uuid) is None

    def test_upgrade_of_a_busy_cluster_is_refused(self, handler, dbapi,
                                                  template, context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'resize')
        with pytest.raises(exception.OperationInProgress):
            handler.cluster_upgrade(context, cluster, template, 1,
                                    cluster.default_ng_worker)
        assert not [c for c in Driver.calls if c[0] == 'upgrade_cluster']

    def test_upgrade_failing_after_the_answer_is_the_status(
            self, handler, dbapi, template, context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        Driver.errors['upgrade_cluster'] = RuntimeError('stack refused')
        assert handler.cluster_upgrade(context, cluster, template, 1,
                                       cluster.default_ng_worker) is None
        stored = reload(cluster)
        assert stored.status == 'UPDATE_FAILED'
        assert 'stack refused' in stored.status_reason
        assert held_lock(dbapi, cluster.uuid) is None

    def test_upgrade_answers_before_the_driver_is_done(
            self, dbapi, fake_drivers, notifier, template, context,
            monkeypatch):
        import threading
        release, started = threading.Event(), threading.Event()
        real = Driver.upgrade_cluster

        def slow(driver, *args, **kwargs):
            started.set()
            assert release.wait(10)
            return real(driver, *args, **kwargs)

        monkeypatch.setattr(Driver, 'upgrade_cluster', slow)
        handler = cluster_conductor.ClusterHandler('conductor-1')
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        handler.cluster_upgrade(context, cluster, template, 2,
                                cluster.default_ng_worker)
        assert started.wait(10)
        assert held_lock(dbapi, cluster.uuid).operation == 'upgrade'
        release.set()
        handler.wait(10)
        assert held_lock(dbapi, cluster.uuid) is None
        assert reload(cluster).default_ng_worker.status == \
            'UPDATE_IN_PROGRESS'

    def test_upgrade(self, handler, dbapi, template, context):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        handler.cluster_upgrade(context, cluster, template, 2,
                                cluster.default_ng_worker)
        assert ('upgrade_cluster', cluster.uuid, template.uuid, 2,
                'default-worker') in Driver.calls
        assert reload(cluster).default_ng_worker.status == \
            'UPDATE_IN_PROGRESS'


class TestDelete:

    def test_asks_the_driver(self, handler, dbapi, template, context,
                             notifier):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        handler.cluster_delete(context, cluster.uuid)
        assert ('delete_cluster', cluster.uuid) in Driver.calls
        assert reload(cluster).status == 'DELETE_IN_PROGRESS'
        assert notifier.events() == ['magnum.cluster.delete.start']

    def test_cluster_without_a_template_is_simply_removed(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        dbapi.update_cluster(cluster.uuid, {
            'cluster_template_id': '00000000-0000-0000-0000-000000000000'})
        handler.cluster_delete(context, cluster.uuid)
        with pytest.raises(exception.ClusterNotFound):
            reload(cluster)
        assert 'magnum.cluster.delete.end' in notifier.events()

    def test_failed_delete_can_be_retried(self, handler, dbapi, template,
                                          context):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        Driver.errors['delete_cluster'] = RuntimeError('network busy')
        with pytest.raises(RuntimeError):
            handler.cluster_delete(context, cluster.uuid)
        assert reload(cluster).status == 'DELETE_FAILED'
        del Driver.errors['delete_cluster']
        dbapi.update_cluster(cluster.uuid, {'status': 'DELETE_IN_PROGRESS'})
        handler.cluster_delete(context, cluster.uuid)
        assert Driver.calls.count(('delete_cluster', cluster.uuid)) == 2

    def test_already_gone(self, handler, context):
        handler.cluster_delete(context, '00000000-0000-0000-0000-00000000000'
                                        '1')


def test_create_makes_the_cluster_certificates(dbapi, fake_drivers, notifier,
                                               template, context):
    from magnum.common import certificates
    handler = cluster_conductor.ClusterHandler('conductor-1')
    cluster = make_cluster(dbapi, template)
    handler.cluster_create(context, cluster, 60)
    stored = reload(cluster)
    assert stored.ca_cert_ref and stored.magnum_cert_ref
    assert stored.etcd_ca_cert_ref and stored.front_proxy_ca_cert_ref
    assert '-----BEGIN CERTIFICATE-----' in certificates.get_ca_certificate(
        context, stored)
    # Deleting the cluster deletes every one of them: no key outlives
    # its cluster.
    cluster_conductor.remove_cluster(context, stored)
    assert dbapi.get_x509keypair_list(
        magnum_context.get_admin_context()) == []


def test_certificates_made_before_a_driver_failure_are_kept_for_delete(
        dbapi, fake_drivers, notifier, template, context):
    handler = cluster_conductor.ClusterHandler('conductor-1')
    cluster = make_cluster(dbapi, template)
    Driver.errors['create_cluster'] = RuntimeError('no engine')
    with pytest.raises(RuntimeError):
        handler.cluster_create(context, cluster, 60)
    stored = reload(cluster)
    assert stored.status == 'CREATE_FAILED' and stored.ca_cert_ref


class BlockingCreate:
    """A create the test holds at the driver until it lets it go, as a
    real driver's create runs for a while; ``then`` runs when let go."""

    def __init__(self, monkeypatch, then=None):
        self.reached = threading.Event()
        self.go = threading.Event()
        self.then = then
        original = Driver.create_cluster

        def create_cluster(driver, context, cluster, timeout):
            self.reached.set()
            assert self.go.wait(30)
            original(driver, context, cluster, timeout)
            if self.then is not None:
                self.then(cluster)

        monkeypatch.setattr(Driver, 'create_cluster', create_cluster)

    def start(self, handler, context, cluster):
        errors = []

        def run():
            try:
                handler.cluster_create(context, cluster, 60)
            except Exception as error:
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        assert self.reached.wait(30)
        return thread, errors


def ask_delete(dbapi, cluster):
    """What the API does on DELETE: mark, then cast."""
    dbapi.update_cluster(cluster.uuid, {'status': 'DELETE_IN_PROGRESS',
                                        'status_reason': None})


class TestDeleteDuringAnOperation:
    """Delete always works: a delete that arrives while another operation
    runs waits for it (it stops at its next step) and then deletes."""

    def test_delete_waits_for_a_running_create_then_deletes(
            self, handler, dbapi, template, context, notifier, monkeypatch):
        cluster = make_cluster(dbapi, template)
        blocking = BlockingCreate(monkeypatch)
        creating, errors = blocking.start(handler, context, cluster)
        ask_delete(dbapi, cluster)
        deleter = cluster_conductor.ClusterHandler('conductor-2')
        deleting = threading.Thread(target=deleter.cluster_delete,
                                    args=(context, cluster.uuid))
        deleting.start()
        # The delete says what it waits for.
        waiting = 'Waiting for create by conductor conductor-1 to stop ' \
                  'before deleting'
        for _ in range(100):
            if reload(cluster).status_reason == waiting:
                break
            time.sleep(0.05)
        assert reload(cluster).status_reason == waiting
        assert ('delete_cluster', cluster.uuid) not in Driver.calls
        blocking.go.set()
        creating.join(30)
        deleting.join(30)
        assert errors == []
        # The create ran to the driver's end, the delete after it.
        assert Driver.calls == [('create_cluster', cluster.uuid),
                                ('delete_cluster', cluster.uuid)]
        stored = reload(cluster)
        assert stored.status == 'DELETE_IN_PROGRESS'
        # What the create made is there for the delete to remove.
        assert stored.stack_id == 'fake-stack-%s' % cluster.uuid
        # (The delete may start before the create's end is announced.)
        assert sorted(notifier.events()) == ['magnum.cluster.create.error',
                                             'magnum.cluster.create.start',
                                             'magnum.cluster.delete.start']
        assert [payload['reason'] for _l, event, payload in notifier.sent
                if event == 'magnum.cluster.create.error'] == [
            'Create stopped while asking the fake driver to create the '
            'cluster: the cluster is being deleted']
        assert held_lock(dbapi, cluster.uuid) is None

    def test_a_failing_create_leaves_the_delete_status(
            self, handler, dbapi, template, context, notifier, monkeypatch):
        cluster = make_cluster(dbapi, template)

        def fail(stored):
            raise RuntimeError('engine gone')

        blocking = BlockingCreate(monkeypatch, then=fail)
        creating, errors = blocking.start(handler, context, cluster)
        ask_delete(dbapi, cluster)
        blocking.go.set()
        creating.join(30)
        assert [str(e) for e in errors] == ['engine gone']
        stored = reload(cluster)
        assert (stored.status, stored.status_reason) == (
            'DELETE_IN_PROGRESS', None)
        assert notifier.events() == ['magnum.cluster.create.start',
                                     'magnum.cluster.create.error']

    def test_create_stops_at_its_next_step(self, dbapi, fake_drivers,
                                           template, context, notifier,
                                           monkeypatch):
        cluster = make_cluster(dbapi, template)
        handler = cluster_conductor.ClusterHandler('conductor-1')
        # The delete is asked for while the certificates are made.
        monkeypatch.setattr(
            cluster_conductor.ClusterHandler, 'create_certificates',
            lambda self, ctx, target: ask_delete(dbapi, target))
        handler.cluster_create(context, cluster, 60)
        assert Driver.calls == []
        assert reload(cluster).status == 'DELETE_IN_PROGRESS'
        assert notifier.events() == ['magnum.cluster.create.start',
                                     'magnum.cluster.create.error']

    def test_delete_hands_over_when_the_operation_runs_on(
            self, handler, dbapi, template, context, notifier, monkeypatch):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'upgrade')
        monkeypatch.setattr(handler, 'delete_wait', 0.5)
        started = time.monotonic()
        handler.cluster_delete(context, cluster.uuid)
        assert 0.5 <= time.monotonic() - started < 10
        stored = reload(cluster)
        # Not DELETE_FAILED: the status sync goes on with it.
        assert stored.status == 'DELETE_IN_PROGRESS'
        assert stored.status_reason == (
            'Upgrade by conductor conductor-2 is still running; the delete '
            'goes on as soon as it stops')
        assert Driver.calls == []
        assert notifier.events() == []
        assert held_lock(dbapi, cluster.uuid).holder == 'conductor-2'

    def test_a_second_delete_while_one_runs_is_dropped(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'delete')
        handler.cluster_delete(context, cluster.uuid)
        assert reload(cluster).status == 'DELETE_IN_PROGRESS'
        assert Driver.calls == [] and notifier.events() == []

    def test_delete_after_the_waited_for_delete_removed_it(
            self, handler, dbapi, template, context, notifier, monkeypatch):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        token = take_lock(dbapi, cluster.uuid, 'conductor-2', 'create')

        def other_conductor_finishes():
            time.sleep(0.5)
            # Its create was stopped, and a delete of a third conductor
            # removed the cluster (with its lock row) meanwhile.
            dbapi.release_cluster_lock(cluster.uuid, token, 'create')
            dbapi.destroy_cluster(cluster.uuid)

        other = threading.Thread(target=other_conductor_finishes)
        other.start()
        handler.cluster_delete(context, cluster.uuid)
        other.join()
        assert Driver.calls == [] and notifier.events() == []
        assert dbapi.get_cluster_lock(cluster.uuid) is None

    def test_update_of_a_cluster_being_deleted_does_nothing(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
        handler.cluster_update(context, cluster, node_count=5)
        stored = reload(cluster)
        assert stored.status == 'DELETE_IN_PROGRESS'
        assert stored.default_ng_worker.node_count == 2
        assert Driver.calls == [] and notifier.events() == []

    def test_operation_that_finds_a_delete_running_does_nothing(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'delete')
        handler.cluster_resize(context, cluster, 4, [],
                               cluster.default_ng_worker)
        assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
        assert Driver.calls == [] and notifier.events() == []


class TestDuplicates:

    def test_a_create_sent_twice_runs_once(self, handler, dbapi, template,
                                           context, notifier, monkeypatch):
        cluster = make_cluster(dbapi, template)
        # A driver whose handle is not saved on the cluster: only the
        # lock's record tells that the create ran.
        monkeypatch.setattr(Driver, 'create_cluster',
                            lambda driver, ctx, target, timeout:
                            Driver.calls.append(('create_cluster',
                                                 target.uuid)))
        handler.cluster_create(context, cluster, 60)
        handler.cluster_create(context, cluster, 60)
        assert Driver.calls == [('create_cluster', cluster.uuid)]
        assert notifier.events() == ['magnum.cluster.create.start']
        assert reload(cluster).status == 'CREATE_IN_PROGRESS'

    def test_a_create_while_the_same_create_runs_is_dropped(
            self, handler, dbapi, template, context, notifier):
        cluster = make_cluster(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'create')
        handler.cluster_create(context, cluster, 60)
        assert reload(cluster).status == 'CREATE_IN_PROGRESS'
        assert Driver.calls == [] and notifier.events() == []

    def test_an_interrupted_create_is_taken_up_again(
            self, handler, dbapi, template, context):
        cluster = make_cluster(dbapi, template)
        take_lock(dbapi, cluster.uuid, 'dead-conductor', 'create', -1)
        handler.cluster_create(context, cluster, 60)
        assert Driver.calls == [('create_cluster', cluster.uuid)]


def test_a_nodegroup_operation_does_not_mark_a_deleted_cluster(
        dbapi, fake_drivers, notifier, template, context, monkeypatch):
    from magnum.conductor.handlers import nodegroup_conductor
    cluster = make_cluster(dbapi, template, status='UPDATE_COMPLETE')
    handler = nodegroup_conductor.NodeGroupHandler('conductor-1')
    worker = cluster.default_ng_worker
    original = cluster_conductor.driver_for

    def driver_for(target):
        # The DELETE arrives between the driver's choice and the mark.
        dbapi.update_cluster(target.uuid, {'status': 'DELETE_IN_PROGRESS'})
        return original(target)

    monkeypatch.setattr(cluster_conductor, 'driver_for', driver_for)
    handler.nodegroup_delete(context, cluster, worker)
    assert reload(cluster).status == 'DELETE_IN_PROGRESS'
    assert Driver.calls == []
