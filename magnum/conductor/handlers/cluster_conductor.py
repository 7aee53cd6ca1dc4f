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

"""Operations on one cluster: the conductor side of the RPC casts.

Each operation runs under the cluster's lock, names the step it is at, and
turns any failure into ``<OP>_FAILED`` with a status reason naming that
step and the outside system's own message. The API has already written
the ``*_IN_PROGRESS`` status; the outcome comes from the driver, observed
by the status sync (``reconcile``).
"""

import contextlib

from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import conf
from magnum import objects
from magnum.common import cluster_status
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import notifications
from magnum.conductor import background as background_threads
from magnum.conductor import cluster_credentials
from magnum.conductor import locks
from magnum.db import api as db_api
from magnum.db.sqlalchemy import outage_errors
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import cluster_request
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus


#: A cluster in one of these is being (or was) deleted: every other
#: operation on it stops, and none records its outcome over them.
DELETE_STATUSES = (STATUS.DELETE_IN_PROGRESS, STATUS.DELETE_FAILED,
                   STATUS.DELETE_COMPLETE)
NOT_DELETING = [status for status in STATUS.ALL
                if status not in DELETE_STATUSES]


class OperationStopped(Exception):
    """The operation must not go on: the cluster is being deleted, is
    gone, the operation is a duplicate of one that ran or runs, or this
    conductor lost the cluster's lock to another."""

    def __init__(self, reason, superseded=False):
        super().__init__(reason)
        #: Stopped by a delete: its start was announced, so its end is.
        self.superseded = superseded


class Operation:
    """The step an operation is at, for status reasons.

    Every step starts with ``at(step)``, which also stops the operation
    (OperationStopped) once the cluster is being deleted: a delete does
    not wait for the whole of a long operation, only for its current
    step. The body of ``OperationRunner._operation`` must begin with
    ``at()``: that is where an operation that must not run stops.
    """

    def __init__(self, action, cluster_uuid=None, request=None):
        self.action = action
        self.cluster_uuid = cluster_uuid
        self.step = _('starting')
        self.stopped = None
        #: The uuid of the ClusterRequest the API recorded for this
        #: operation, until it is claimed (``claim_request``).
        self.request = request
        #: The cluster's lock, while this operation holds it.
        self.lock = None

    def at(self, step):
        self.step = step
        if self.stopped is not None:
            raise self.stopped
        self.check_lock()
        self.check_not_deleted()
        return self

    def check_lock(self):
        """Raise OperationStopped when the cluster's lock was lost: it
        expired before it could be renewed and a status sync took the
        cluster over, repairing it as if this conductor had died; going
        on would run two operations at once."""
        if self.lock is not None and self.lock.lost:
            raise OperationStopped(
                _('%(action)s stopped while %(step)s: this conductor '
                  'could not renew the cluster\'s lock in time and '
                  'another conductor took the cluster over') % {
                      'action': self.action.capitalize(),
                      'step': self.step})

    @property
    def lock_lost(self):
        return self.lock is not None and self.lock.lost

    def claim_request(self):
        """Take the recorded request off the record, right before the
        driver is asked: a conductor that dies before this leaves the
        request for the status sync to replay whole; one that dies after
        it leaves an interrupted operation for the driver to resume.
        Idempotent; OperationStopped when the request is gone (the API
        withdrew it)."""
        if self.request is None:
            return
        request, self.request = self.request, None
        if not objects.ClusterRequest.claim(admin_context(), request):
            raise OperationStopped(_('its request %s was withdrawn') %
                                   request)

    def check_not_deleted(self):
        """Raise OperationStopped when the cluster is being deleted."""
        if self.cluster_uuid is None or self.action == locks.DELETE:
            return
        try:
            status = db_api.get_instance().get_cluster_by_uuid(
                admin_context(), self.cluster_uuid).status
        except exception.ClusterNotFound:
            raise OperationStopped(_('the cluster is gone')) from None
        if status in DELETE_STATUSES:
            raise OperationStopped(
                _('%(action)s stopped while %(step)s: the cluster is being '
                  'deleted') % {'action': self.action.capitalize(),
                                'step': self.step}, superseded=True)


def describe_error(error):
    """``error`` in words for a status reason: its own, except a
    database error's, which are the DB-API driver's (SQL, hosts) and go
    to the log only (an unreachable database says so in its own words,
    see outage_errors)."""
    if outage_errors.is_database_error(error) and \
            not isinstance(error, outage_errors.DatabaseUnreachable):
        return _('the database refused a change (%s; the conductor\'s '
                 'log has the details)') % type(error).__name__
    return str(error) or type(error).__name__


def failure_reason(operation, error):
    message = describe_error(error)
    return _('%(action)s failed while %(step)s: %(error)s') % {
        'action': operation.action.capitalize(), 'step': operation.step,
        'error': message}


def admin_context():
    return magnum_context.get_admin_context()


def reload_cluster(uuid):
    return objects.Cluster.get_by_uuid(admin_context(), uuid)


def driver_for(cluster):
    return driver_base.registry().for_template(cluster.cluster_template)


def save_unless_deleted(cluster):
    """Save what an operation changed; its status only while the cluster
    is not being deleted (a delete that came meanwhile wins)."""
    if 'status' in cluster.obj_what_changed():
        try:
            cluster.save(expected={'status': NOT_DELETING})
        except exception.ConcurrentUpdate:
            raise OperationStopped(
                _('the cluster is being deleted'), superseded=True) from None
    else:
        cluster.save()


class OperationRunner:
    """Runs operations on clusters under their locks."""

    #: Seconds a delete waits for another operation to stop before the
    #: status sync is left to carry it out; None: ``[conductor]
    #: lock_timeout``, after which the status sync may take it up.
    delete_wait = None

    def __init__(self, host, background=None):
        self.host = host
        # How an accepted operation goes on after its RPC call answered:
        # a thread of this conductor (tests pass one that runs it at once).
        self._threads = background_threads.Threads(
            'magnum-accepted-operation')
        self._background = background or self._threads.start

    def wait(self, timeout=None):
        """Wait for the accepted operations under way (stop, tests)."""
        self._threads.wait(timeout)

    @contextlib.contextmanager
    def _operation(self, context, cluster, action, failed_status,
                   notify_action, restore=None, notify_start=False,
                   already_done=None, held=None, request=None):
        """Lock the cluster, run the body, record a failure.

        A delete waits for another operation (which stops at its next
        step) rather than fail; any other operation stops without a
        trace when the cluster is being deleted or when it is a
        duplicate: the same operation holds the lock, ``already_done
        (lock)`` says it ran (a request sent twice), or its recorded
        ``request`` (a ClusterRequest's uuid) was taken already (the
        status sync replayed it). Once it holds the lock, the operation
        has answered its request whatever the outcome: the request is
        claimed by the body (``Operation.claim_request``) or at the end.
        """
        operation = Operation(action, cluster.uuid, request)
        # ``held``: the lock, taken already when the operation was
        # accepted (an RPC call that answers before the work is done).
        lock = held or locks.ClusterLock(cluster.uuid, self.host, action)
        try:
            if held is None:
                self._acquire(context, cluster, lock, failed_status,
                              notify_action, restore, request)
        except OperationStopped as stopped:
            operation.stopped = stopped
            lock = None
        operation.lock = lock
        if lock is not None:
            try:
                operation.stopped = self._refusal(lock, operation,
                                                  already_done)
            except Exception:
                # Nothing ran: a released lock records no finished
                # operation, so the sync runs the request again (start
                # included). One the database could not release expires
                # and the sync resumes it announcing only its end: the
                # start is announced here.
                lock.finish_as(None)
                if not lock.release() and notify_start:
                    notifications.notify_cluster(context, cluster,
                                                 notify_action, 'start')
                raise
            if operation.stopped is None and notify_start:
                notifications.notify_cluster(context, cluster,
                                             notify_action, 'start')
        superseded = None
        try:
            try:
                yield operation
                if operation.stopped is None:
                    # Stopped by a delete after its last step: it says so.
                    operation.check_not_deleted()
            except OperationStopped as stopped:
                LOG.info('Cluster %s: %s stopped: %s', cluster.uuid, action,
                         stopped)
                if stopped.superseded and operation.stopped is None:
                    superseded = str(stopped)
            except Exception as error:
                if operation.lock_lost:
                    # The conductor that took the cluster over repairs
                    # it; a failure recorded here would overwrite that.
                    LOG.error('Cluster %s: %s failed at %s after this '
                              'conductor lost the lock; not recording: %s',
                              cluster.uuid, action, operation.step, error)
                    raise
                LOG.exception('Cluster %s: %s failed at %s', cluster.uuid,
                              action, operation.step)
                self._fail(context, cluster, failed_status,
                           failure_reason(operation, error), notify_action,
                           restore)
                raise
        finally:
            if lock is not None:
                if operation.stopped is None and not operation.lock_lost:
                    self._answered(cluster, operation)
                lock.release()
        if superseded is not None:
            # Its start was announced: so is its end.
            notifications.notify_cluster(context, cluster, notify_action,
                                         'error', superseded)

    @staticmethod
    def _answered(cluster, operation):
        """The operation ran (or failed, or stopped) holding the lock:
        its request, if the body did not claim it, is answered."""
        try:
            operation.claim_request()
        except OperationStopped:
            pass  # withdrawn meanwhile: nothing left to claim
        except Exception:
            # Left on record: the cluster's owner carries it out again a
            # lock timeout later (a retry, never a request left unheard).
            LOG.exception('Cluster %s: could not take request %s off the '
                          'record', cluster.uuid, operation.request)

    @staticmethod
    def _carried_out(request):
        """The recorded request is no longer on record: another conductor
        (the status sync's replay) took it, or the API withdrew it."""
        return request is not None and objects.ClusterRequest.get_pending(
            admin_context(), request) is None

    def _acquire(self, context, cluster, lock, failed_status, notify_action,
                 restore, request=None):
        """Take ``lock``; OperationStopped when the operation must not run,
        ClusterBusy (recorded as the failure) when it cannot."""
        try:
            return lock.acquire()
        except locks.ClusterBusy as busy:
            if busy.operation == lock.operation:
                raise OperationStopped(_(
                    'the same operation runs on conductor %s') %
                    busy.holder) from None
            if busy.operation == locks.DELETE:
                raise OperationStopped(
                    _('the cluster is being deleted')) from None
            if self._carried_out(request):
                # A late copy of a request that was replayed: the busy
                # cluster is no reason to record a failure.
                raise OperationStopped(_(
                    'its request %s was carried out already') %
                    request) from None
            if lock.operation != locks.DELETE:
                reason = _('%(action)s could not start: the cluster is '
                           'busy with %(other)s by conductor %(holder)s; '
                           'retry when it has finished') % {
                               'action': lock.operation.capitalize(),
                               'other': busy.operation,
                               'holder': busy.holder}
                self._fail(context, cluster, failed_status, reason,
                           notify_action, restore)
                if request is not None:
                    # Answered (with the failure): not to be replayed.
                    objects.ClusterRequest.claim(admin_context(), request)
                raise
            first = busy
        # A delete waits for the running operation, which stops at its
        # next step; one that takes longer than a lock_timeout is left to
        # the status sync, which deletes the cluster once it is free.
        self._note(cluster, _('Waiting for %(other)s by conductor '
                              '%(holder)s to stop before deleting') % {
                                  'other': first.operation,
                                  'holder': first.holder})
        lock.wait_for_operation = self.delete_wait or lock.timeout
        try:
            return lock.acquire()
        except locks.ClusterBusy as busy:
            if busy.operation == locks.DELETE:
                raise OperationStopped(_(
                    'the same operation runs on conductor %s') %
                    busy.holder) from None
            self._note(cluster, _(
                '%(other)s by conductor %(holder)s is still running; the '
                'delete goes on as soon as it stops') % {
                    'other': busy.operation.capitalize(),
                    'holder': busy.holder})
            raise OperationStopped(_(
                'handed over to the status sync: %s') % busy) from None

    @staticmethod
    def _note(cluster, reason):
        """Say in the status reason why a delete is not running yet."""
        LOG.info('Cluster %s: %s', cluster.uuid, reason)
        try:
            stored = reload_cluster(cluster.uuid)
            stored.status_reason = reason
            stored.save(expected={'status': STATUS.DELETE_IN_PROGRESS})
        except (exception.ClusterNotFound, exception.ConcurrentUpdate):
            pass

    def _refusal(self, lock, operation, already_done):
        """Why the operation must not run now that it holds the lock, as
        an OperationStopped, or None."""
        refusal = None
        try:
            reload_cluster(lock.cluster_uuid)
            operation.check_not_deleted()
            if already_done is not None and already_done(lock):
                refusal = OperationStopped(_('it already ran on this '
                                             'cluster'))
            elif self._carried_out(operation.request):
                refusal = OperationStopped(_(
                    'its request %s was carried out already') %
                    operation.request)
        except exception.ClusterNotFound:
            refusal = OperationStopped(_('the cluster is gone'))
            lock.cluster_gone()
        except OperationStopped as stopped:
            # Nothing ran yet: not a stop to announce.
            refusal = OperationStopped(str(stopped))
        if refusal is not None:
            lock.finish_as(None)  # it did not run
        return refusal

    def _fail(self, context, cluster, failed_status, reason, notify_action,
              restore=None):
        """Record the failure, unless the cluster is being deleted: the
        delete's status is the one that counts."""
        try:
            cluster = reload_cluster(cluster.uuid)
        except exception.ClusterNotFound:
            return
        deleting = failed_status == STATUS.DELETE_FAILED
        if not deleting and cluster.status in DELETE_STATUSES:
            LOG.info('Cluster %s is being deleted; not recording: %s',
                     cluster.uuid, reason)
            notifications.notify_cluster(context, cluster, notify_action,
                                         'error', reason)
            return
        if restore is not None:
            restore(cluster)
        cluster_status.fail(
            context, cluster, reason,
            expected_status=STATUS.DELETE_IN_PROGRESS if deleting
            else NOT_DELETING, failed_status=failed_status)


class ClusterHandler(OperationRunner):
    """Cluster create, update, resize, upgrade and delete."""

    # 1.2: update and resize take the ``request`` the API recorded.
    target = messaging.Target(version='1.2')

    # -- create -------------------------------------------------------------

    def cluster_create(self, context, cluster, create_timeout):
        cluster = reload_cluster(cluster.uuid)
        if cluster.status != STATUS.CREATE_IN_PROGRESS:
            LOG.info('Cluster %s is %s; ignoring a repeated create',
                     cluster.uuid, cluster.status)
            return
        with self._operation(context, cluster, 'create',
                             STATUS.CREATE_FAILED, 'create',
                             notify_start=True,
                             already_done=self._create_ran) as operation:
            operation.at(_('loading the cluster template'))
            template = cluster.cluster_template
            operation.at(_('choosing the driver'))
            driver = driver_base.registry().for_template(template)
            operation.at(_('creating the cluster certificates'))
            self.create_certificates(context, cluster)
            operation.at(_("creating the cluster's application credential "
                           "in Keystone"))
            cluster_credentials.create_for_cluster(context, cluster, driver)
            operation.at(_('asking the %s driver to create the cluster') %
                         driver.name)
            driver.create_cluster(context, cluster, create_timeout)
            save_unless_deleted(cluster)
            for nodegroup in cluster.nodegroups:
                if cluster.stack_id and not nodegroup.stack_id:
                    nodegroup.stack_id = cluster.stack_id
                    nodegroup.save()

    @staticmethod
    def _create_ran(lock):
        """A create ran to its end on the cluster: this one is the same
        request again (re-sent by the status sync, or sent twice). One
        that was cut short is taken up again."""
        if lock.interrupted is not None:
            return False
        record = lock.record()
        return record is not None and record.finished_operation == 'create'

    def create_certificates(self, context, cluster):
        """The cluster's CAs and Magnum's client certificate, saved at once
        so that a failure later still finds (and deletes) them."""
        from magnum.common import certificates
        if cluster.ca_cert_ref and cluster.magnum_cert_ref:
            return  # a resumed create keeps what it made
        certificates.generate_certificates_to_cluster(context, cluster)
        cluster.save()

    # -- update, resize, upgrade --------------------------------------------

    @staticmethod
    def _in_progress(cluster):
        # A status sync that ran between the API's request and this
        # handler may have seen nothing to do and completed the cluster;
        # the operation is only now really starting.
        if cluster.status != STATUS.UPDATE_IN_PROGRESS:
            cluster.status = STATUS.UPDATE_IN_PROGRESS
            cluster.status_reason = None
            save_unless_deleted(cluster)

    def cluster_update(self, context, cluster, node_count=None,
                       health_status=None, health_status_reason=None,
                       rollback=False, request=None):
        current = reload_cluster(cluster.uuid)
        worker = current.default_ng_worker
        previous = worker.node_count if worker else None

        def restore(stored):
            if worker is not None and previous is not None:
                worker.node_count = previous
                worker.save()

        with self._operation(context, current, cluster_request.UPDATE,
                             STATUS.UPDATE_FAILED, 'update', restore,
                             notify_start=True,
                             request=request) as operation:
            operation.at(_('choosing the driver'))
            driver = driver_for(current)
            self._in_progress(current)
            if worker is not None and node_count is not None:
                worker.node_count = node_count
                worker.status = STATUS.UPDATE_IN_PROGRESS
                worker.save()
            operation.at(_('asking the %s driver to update the cluster') %
                         driver.name)
            operation.claim_request()
            driver.update_cluster(context, current, rollback=rollback)
            save_unless_deleted(current)

    def cluster_resize(self, context, cluster, node_count, nodes_to_remove,
                       nodegroup, request=None):
        current = reload_cluster(cluster.uuid)
        target = objects.NodeGroup.get(admin_context(), current.uuid,
                                       nodegroup.uuid)
        previous = target.node_count

        def restore(stored):
            target.node_count = previous
            target.status = STATUS.UPDATE_FAILED
            target.save()

        with self._operation(context, current, cluster_request.RESIZE,
                             STATUS.UPDATE_FAILED, 'update', restore,
                             notify_start=True,
                             request=request) as operation:
            operation.at(_('choosing the driver'))
            driver = driver_for(current)
            self._in_progress(current)
            target.node_count = node_count
            target.status = STATUS.UPDATE_IN_PROGRESS
            target.status_reason = None
            target.save()
            operation.at(_('asking the %(driver)s driver to resize '
                           'nodegroup %(nodegroup)s to %(count)d nodes') % {
                               'driver': driver.name,
                               'nodegroup': target.name,
                               'count': node_count})
            operation.claim_request()
            driver.resize_cluster(context, current, None, node_count,
                                  nodes_to_remove or [], target)
            save_unless_deleted(current)

    def cluster_upgrade(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup):
        """Accept an upgrade, answer, then have the driver make it.

        The RPC call answers once the upgrade is accepted: the driver
        upgrades clusters and does not refuse this one
        (``check_upgrade``), and the cluster's lock is taken (the API
        recorded UPDATE_IN_PROGRESS). Refusals reach the caller (400,
        409; OperationInProgress when another operation holds the lock)
        with nothing changed here. The driver's ``upgrade_cluster`` runs
        after the answer, under the lock, so that a big cluster does not
        time the call out; its failure is UPDATE_FAILED with a reason.
        """
        current = reload_cluster(cluster.uuid)
        target = objects.NodeGroup.get(admin_context(), current.uuid,
                                       nodegroup.uuid)
        driver = driver_for(current)
        if type(driver).upgrade_cluster is \
                driver_base.Driver.upgrade_cluster:
            driver.upgrade_cluster(context, current, cluster_template,
                                   max_batch_size, target)  # NotSupported
        driver.check_upgrade(context, current, cluster_template, target)
        lock = locks.ClusterLock(current.uuid, self.host, 'upgrade')
        try:
            lock.acquire()
        except locks.ClusterBusy as busy:
            LOG.info('Cluster %s: not upgrading it, %s', current.uuid, busy)
            raise exception.OperationInProgress(
                cluster_name=current.name or current.uuid) from None

        def carry_out():
            try:
                self._upgrade(context, current, cluster_template,
                              max_batch_size, target, driver, lock)
            except Exception:
                pass  # recorded in the cluster's status, and logged

        try:
            self._background(carry_out)
        except BaseException:
            lock.release()
            raise

    def _upgrade(self, context, current, cluster_template, max_batch_size,
                 target, driver, lock):
        with self._operation(context, current, 'upgrade',
                             STATUS.UPDATE_FAILED, 'update',
                             notify_start=True, held=lock) as operation:
            operation.at(_('asking the %s driver to upgrade the cluster') %
                         driver.name)
            driver.upgrade_cluster(context, current, cluster_template,
                                   max_batch_size, target)
            current.status = STATUS.UPDATE_IN_PROGRESS
            current.status_reason = current.status_reason or None
            save_unless_deleted(current)
            target.status = STATUS.UPDATE_IN_PROGRESS
            target.save()

    # -- delete -------------------------------------------------------------

    def cluster_delete(self, context, uuid):
        try:
            cluster = reload_cluster(uuid)
        except exception.ClusterNotFound:
            LOG.info('Cluster %s is already gone', uuid)
            return
        with self._operation(context, cluster, locks.DELETE,
                             STATUS.DELETE_FAILED, 'delete',
                             notify_start=True) as operation:
            operation.at(_('choosing the driver'))
            # As stored now: an operation it waited for may have added
            # what there is to delete (certificates, the driver's handle).
            cluster = reload_cluster(uuid)
            try:
                driver = driver_for(cluster)
            except (exception.ClusterTemplateNotFound,
                    exception.ClusterTypeNotSupported,
                    exception.ClusterDriverNotSupported) as error:
                # Nothing can have been built without a driver; the row is
                # all there is to remove.
                LOG.warning('Cluster %s has no usable driver (%s); '
                            'removing its records', uuid, error)
                remove_cluster(context, cluster)
                return
            operation.at(_('asking the %s driver to delete the cluster') %
                         driver.name)
            driver.delete_cluster(context, cluster)
            cluster.save()


def remove_cluster(context, cluster):
    """Forget a deleted cluster: its application credential, certificates,
    nodegroups and row. When Keystone keeps the credential, the cluster
    stays, DELETE_FAILED with Keystone's answer."""
    from magnum.common import certificates
    if not cluster_credentials.delete_before_removal(context, cluster):
        return
    certificates.delete_certificates(context, cluster)
    try:
        cluster.destroy()
    except exception.ClusterNotFound:
        pass
    notifications.notify_cluster(context, cluster, 'delete', 'end')
