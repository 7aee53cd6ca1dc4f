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

"""The conductor's periodic work: a reconcile loop over the clusters it
owns.

Status sync (every ``[conductor] sync_interval``): for each owned cluster
with an operation in progress or a recorded request no conductor took
(``lost_requests``), observe it through its driver, repair an operation
whose conductor died, take up a create, delete, update, resize or
nodegroup change that no conductor ran (its request was lost, or a
delete waited for another operation for longer than it could), enforce
``create_timeout``, record terminal statuses (with notifications) and
forget deleted clusters. A cluster with a request on record that is not
a lock timeout old yet is not observed: its cast may be on its way, and
the status the API wrote must not be taken for the outcome.

Health (every ``[kubernetes] health_polling_interval``): ask each owned
cluster's monitor and record ``health_status`` with a reason that names
what is unhealthy; an unreachable cluster is UNKNOWN, never silently old.
"""

from concurrent import futures
import datetime
import os
import tempfile
import threading

import fasteners
from oslo_log import log as logging
from oslo_utils import timeutils

from magnum import conf
from magnum import objects
from magnum.common import cluster_status
from magnum.common import conditions
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor import cluster_credentials
from magnum.conductor import hash_ring
from magnum.conductor import locks
from magnum.conductor import lost_requests
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers import nodegroup_conductor
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus
BINARY = 'magnum-conductor'

# The statuses of an operation in progress (and how each fails).
FAILED_STATUS = cluster_status.FAILED

# Operations the status sync takes up run beside it, in threads of their
# own (a create takes as long as the driver needs), at most this many at
# once; the others wait for a later period.
RESUME_WORKERS = 4

# Health is checked for clusters that exist and are not being deleted.
HEALTH_STATUSES = (
    STATUS.CREATE_COMPLETE, STATUS.UPDATE_COMPLETE,
    STATUS.UPDATE_IN_PROGRESS, STATUS.UPDATE_FAILED,
    STATUS.RESUME_COMPLETE, STATUS.RESTORE_COMPLETE,
    STATUS.ROLLBACK_COMPLETE, STATUS.SNAPSHOT_COMPLETE,
    STATUS.CHECK_COMPLETE, STATUS.ADOPT_COMPLETE)


def service_is_up(service, now=None):
    if service.forced_down:
        return False
    last = service.last_seen_up or service.updated_at or service.created_at
    if last is None:
        return False
    now = now or timeutils.utcnow()
    last = last.replace(tzinfo=None)
    return abs((now - last).total_seconds()) <= CONF.service_down_time


def live_conductors(context):
    return sorted(s.host for s in objects.MagnumService.list(context)
                  if s.binary == BINARY and not s.disabled and
                  service_is_up(s))


class Reconciler:
    """The periodic work of one conductor (``host``)."""

    def __init__(self, host):
        self.host = host
        self.ring = hash_ring.HashRing([host])
        # The driver of each template, found once per period (not a
        # template read per cluster).
        self._drivers = {}
        # Clusters this conductor has seen DELETE_IN_PROGRESS: uuid -> when
        # first (what a lost or handed-over delete is measured from).
        self._deleting_since = {}
        self._handler = cluster_conductor.ClusterHandler(host)
        self._nodegroup_handler = nodegroup_conductor.NodeGroupHandler(host)
        self._jobs = {}
        self._jobs_lock = threading.Lock()

    def refresh_ring(self, context):
        # This conductor is alive even before its first heartbeat lands.
        ring = hash_ring.HashRing(set(live_conductors(context)) |
                                  {self.host})
        if ring != self.ring:
            LOG.info('Conductors sharing the clusters: %s',
                     ', '.join(sorted(ring.hosts)))
        self.ring = ring
        return ring

    def owns(self, cluster):
        return self.ring.owner(cluster.uuid) == self.host

    def _owned(self, context, statuses, work, kind):
        """The clusters in ``statuses`` that this conductor owns, with the
        ring refreshed first; ``work`` and ``kind`` name them in the log
        (operators and tests read which conductor took which)."""
        self.refresh_ring(context)
        clusters = objects.Cluster.list(context,
                                        filters={'status': list(statuses)})
        owned = [cluster for cluster in clusters if self.owns(cluster)]
        if owned and LOG.isEnabledFor(logging.DEBUG):
            LOG.debug('%(work)s by %(host)s: %(owned)d of %(total)d '
                      '%(kind)s are its own: %(uuids)s',
                      {'work': work, 'kind': kind, 'host': self.host,
                       'owned': len(owned),
                       'total': len(clusters),
                       'uuids': ', '.join(c.uuid for c in owned)})
        return owned

    # -- status sync --------------------------------------------------------

    def sync_once(self):
        """One pass over the owned clusters in progress or with a lost
        request; returns how many clusters were looked at."""
        context = magnum_context.get_admin_context()
        owned = self._owned(context, FAILED_STATUS, 'Status sync',
                            'clusters in progress')
        self._drivers = {}
        now = timeutils.utcnow()
        self._deleting_since = {
            cluster.uuid: self._deleting_since.get(cluster.uuid, now)
            for cluster in owned
            if cluster.status == STATUS.DELETE_IN_PROGRESS}
        self._observe_by_driver(context, owned)
        # Every request on record, read once for the period.
        requests = {}
        for request in objects.ClusterRequest.list_pending(context):
            requests.setdefault(request.cluster_uuid, []).append(request)
        owned = owned + self._owned_with_lost_requests(context, owned,
                                                       requests, now)
        synced = 0
        for cluster in owned:
            synced += 1
            try:
                self.sync_cluster(context, cluster,
                                  requests.get(cluster.uuid, []))
            except Exception:
                LOG.exception('Status sync of cluster %s failed',
                              cluster.uuid)
        return synced

    def _owned_with_lost_requests(self, context, in_progress, requests,
                                  now):
        """The owned clusters, not in progress, with a request on record
        for a lock timeout or more (a nodegroup change leaves the
        cluster's status as it was). ``requests``: {cluster uuid: its
        requests on record}."""
        seen = {cluster.uuid for cluster in in_progress}
        found = []
        for uuid, waiting in requests.items():
            if uuid in seen or self.ring.owner(uuid) != self.host or \
                    not self._older_than_lock_timeout(waiting[0].created_at,
                                                      now):
                continue
            try:
                found.append(objects.Cluster.get_by_uuid(context, uuid))
            except exception.ClusterNotFound:
                # Recorded as its cluster was being destroyed.
                for request in waiting:
                    objects.ClusterRequest.claim(context, request.uuid)
        return found

    def _observe_by_driver(self, context, owned):
        """Give each driver the list of its clusters in progress at once
        (``Driver.observe_clusters``), before any of them is synced: a
        driver that reads many clusters' state in one call reads it now.
        A cluster without a usable driver is left to ``sync_cluster``,
        which records why."""
        by_driver = {}
        for cluster in owned:
            try:
                driver = self._driver_for(cluster)
            except Exception:
                continue
            by_driver.setdefault(id(driver), (driver, []))[1].append(cluster)
        for driver, clusters in by_driver.values():
            try:
                driver.observe_clusters(context, clusters)
            except Exception:
                # Each cluster is still observed on its own.
                LOG.exception('Driver %s could not observe its %d clusters '
                              'in progress at once', driver.name,
                              len(clusters))

    def sync_cluster(self, context, cluster, requests=None):
        """Sync one cluster; ``requests``: its requests on record, as
        read at the start of the period (None: read them now)."""
        try:
            lock = locks.ClusterLock(cluster.uuid, self.host, locks.SYNC)
            lock.acquire()
        except locks.ClusterBusy:
            return  # its operation is running; look again next period
        try:
            resume = self._sync_locked(context, cluster.uuid, lock,
                                       requests)
        finally:
            lock.release()
        if resume is not None:
            self._resume(cluster.uuid, *resume)

    def _sync_locked(self, context, uuid, lock, requests=None):
        """Observe and repair the cluster under the sync's lock; returns
        (operation, why[, request]) when an operation is to be run again
        (after the lock is released), else None."""
        try:
            cluster = objects.Cluster.get_by_uuid(context, uuid)
        except exception.ClusterNotFound:
            return None
        before = cluster.status
        interrupted = lock.interrupted
        if interrupted and interrupted.get('operation') == locks.SYNC:
            interrupted = None
        if requests is None:
            requests = objects.ClusterRequest.list_pending(context, uuid)
        waiting = self._standing_requests(context, cluster, requests)
        if waiting:
            replay = self._lost_request(cluster, waiting, interrupted)
            if replay is not None:
                return replay
        if before not in FAILED_STATUS:
            return None
        if before == STATUS.DELETE_IN_PROGRESS:
            if interrupted:
                # Whatever was cut short, the cluster is to be deleted.
                return locks.DELETE, _(
                    'Deleting the cluster again: conductor %(holder)s '
                    'stopped while running %(operation)s') % interrupted
            if self._delete_is_due(cluster, lock):
                return locks.DELETE, _(
                    'Deleting the cluster: no delete ran in the %d seconds '
                    'since it was asked for') % CONF.conductor.lock_timeout
        try:
            driver = self._driver_for(cluster)
        except exception.MagnumException as error:
            if before == STATUS.DELETE_IN_PROGRESS:
                cluster_conductor.remove_cluster(context, cluster)
                return None
            self._fail(context, cluster, _('Cannot observe the cluster: '
                                           'no driver (%s)') % error)
            return None
        if interrupted:
            if not driver.resume_operation(context, cluster,
                                           interrupted['operation']):
                self._fail(context, cluster, _(
                    '%(operation)s was interrupted: conductor %(holder)s '
                    'stopped while running it. Retry the operation.') % {
                        'operation': interrupted['operation'].capitalize(),
                        'holder': interrupted['holder']})
                return None
            # The driver took it up: it counts as run, not as lost.
            lock.finish_as(interrupted['operation'])
        elif before == STATUS.CREATE_IN_PROGRESS and \
                not self._timed_out(cluster) and \
                self._create_never_started(cluster, lock):
            return 'create', _(
                'No conductor took up the create in the %d seconds since '
                'it was asked for; creating it now') % (
                    CONF.conductor.lock_timeout)
        if waiting:
            # A request on its way: the status the API wrote for it is
            # not an outcome to observe yet.
            return None
        with cluster_status.recording() as recorded:
            driver.update_cluster_status(context, cluster)
        cluster = objects.Cluster.get_by_uuid(context, uuid)
        if cluster.status == STATUS.CREATE_IN_PROGRESS and \
                self._timed_out(cluster):
            self._fail(context, cluster, _(
                'Cluster creation did not finish within %(minutes)d '
                'minutes (create_timeout). Last progress: %(last)s') % {
                    'minutes': cluster.create_timeout,
                    'last': cluster.status_reason or _('none reported')})
            return None
        if cluster.status == STATUS.DELETE_COMPLETE:
            cluster_conductor.remove_cluster(context, cluster)
            return None
        if cluster.status != before and \
                (cluster.uuid, cluster.status) not in recorded:
            # The driver wrote the end itself: it is announced here
            # (cluster_status announced the ones recorded through it).
            cluster_status.notify_terminal(context, cluster)
        return None

    @staticmethod
    def _standing_requests(context, cluster, requests):
        """The cluster's ``requests`` on record that still stand, oldest
        first; those that no longer do are dropped (taken off the
        record), saying why."""
        standing = []
        for request in requests:
            why = lost_requests.why_void(cluster, request)
            if why is None:
                standing.append(request)
                continue
            if objects.ClusterRequest.claim(context, request.uuid):
                LOG.info('Cluster %s: dropping request %s (%s) that no '
                         'conductor took: %s', cluster.uuid, request.uuid,
                         request.operation, why)
        return standing

    def _lost_request(self, cluster, waiting, interrupted):
        """The request to carry out again, as (operation, why, request),
        or None. A conductor that died holding the lock for an operation
        whose request is still on record died before it asked the
        driver: its request is carried out whole, at once (rather than
        the driver asked to resume what never started). Else the oldest
        request on record for a lock timeout is: it was lost."""
        if interrupted:
            for request in waiting:
                if request.operation == interrupted['operation']:
                    return request.operation, \
                        lost_requests.interrupted_reason(
                            cluster, request, interrupted), request
            return None  # the interrupted operation is repaired first
        if self._older_than_lock_timeout(waiting[0].created_at,
                                         timeutils.utcnow()):
            return waiting[0].operation, lost_requests.lost_reason(
                cluster, waiting[0]), waiting[0]
        return None

    @staticmethod
    def _older_than_lock_timeout(moment, now):
        return moment is not None and (now - moment.replace(
            tzinfo=None)).total_seconds() >= CONF.conductor.lock_timeout

    def _create_never_started(self, cluster, lock):
        """No conductor has run the cluster's create, a lock timeout after
        it was asked for: its request was lost (never delivered, or its
        conductor died before taking the lock)."""
        if not self._older_than_lock_timeout(cluster.created_at,
                                             timeutils.utcnow()):
            return False
        if cluster.stack_id:
            return False  # the driver has it
        record = lock.record()
        return record is None or record.finished_operation != 'create'

    def _delete_is_due(self, cluster, lock):
        """This conductor has seen the cluster DELETE_IN_PROGRESS for a
        lock timeout and no delete ran to its end since it first saw it:
        its request was lost, or the delete gave up waiting for another
        operation. The request came before the first sight, so a delete
        that finished after it served the request; one that finished
        before it may be an earlier (failed) one, and then the delete runs
        again: at worst once more than needed, which is safe (deletes are
        idempotent), never a cluster left deleting for ever."""
        now = timeutils.utcnow()
        since = self._deleting_since.setdefault(cluster.uuid, now)
        if not self._older_than_lock_timeout(since, now):
            return False
        record = lock.record()
        return record is None or record.finished_operation != locks.DELETE \
            or record.finished_at is None or \
            record.finished_at.replace(tzinfo=None) < since

    def _resume(self, uuid, operation, why, request=None):
        """Run ``operation`` (or the recorded ``request``) again on the
        cluster in a thread of its own, unless one is already running
        for it or RESUME_WORKERS are busy."""
        with self._jobs_lock:
            self._jobs = {ident: thread for ident, thread in
                          self._jobs.items() if thread.is_alive()}
            if uuid in self._jobs or len(self._jobs) >= RESUME_WORKERS:
                return False
            thread = threading.Thread(
                target=self._run_resumed,
                args=(uuid, operation, why, request),
                name='resume-%s-%s' % (operation.replace(' ', '-'),
                                       uuid[:8]), daemon=True)
            self._jobs[uuid] = thread
        thread.start()
        return True

    def _run_resumed(self, uuid, operation, why, request=None):
        context = magnum_context.get_admin_context()
        if request is not None:
            LOG.warning('Cluster %s: replaying the %s request %s: %s', uuid,
                        operation, request.uuid, why)
        else:
            LOG.warning('Cluster %s: resuming the %s: %s', uuid, operation,
                        why)
        try:
            cluster = objects.Cluster.get_by_uuid(context, uuid)
            if request is None or cluster.status in FAILED_STATUS:
                cluster.status_reason = why
                cluster.save(expected={'status': cluster.status})
            if request is not None:
                lost_requests.carry_out(self._handler,
                                        self._nodegroup_handler, context,
                                        cluster, request)
            elif operation == locks.DELETE:
                self._handler.cluster_delete(context, uuid)
            else:
                self._handler.cluster_create(context, cluster,
                                             cluster.create_timeout)
        except (exception.ClusterNotFound, exception.ConcurrentUpdate) as \
                error:
            LOG.info('Cluster %s: not resuming the %s: %s', uuid,
                     operation, error)
        except Exception:
            LOG.exception('Cluster %s: the resumed %s failed', uuid,
                          operation)

    def wait_for_resumed(self, timeout=None):
        """Wait for the operations taken up so far (tests, shutdown)."""
        with self._jobs_lock:
            threads = list(self._jobs.values())
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    def _driver_for(self, cluster):
        """The cluster's driver: its template is read for the first of
        its clusters in a period only."""
        driver = self._drivers.get(cluster.cluster_template_id)
        if driver is None:
            driver = driver_base.registry().for_template(
                cluster.cluster_template)
            # One instance per driver in a period, whatever the number of
            # templates: what observe_clusters read is in the instance
            # that update_cluster_status is then called on.
            for known in self._drivers.values():
                if known.name == driver.name and \
                        type(known) is type(driver):
                    driver = known
                    break
            self._drivers[cluster.cluster_template_id] = driver
        return driver

    @staticmethod
    def _timed_out(cluster):
        if not cluster.create_timeout or cluster.created_at is None:
            return False
        deadline = cluster.created_at.replace(tzinfo=None) + \
            datetime.timedelta(minutes=cluster.create_timeout)
        return timeutils.utcnow() > deadline

    @staticmethod
    def _fail(context, cluster, reason):
        # Only over what was observed: a delete asked for meanwhile is
        # not overwritten.
        return cluster_status.fail(context, cluster, reason)

    # -- health -------------------------------------------------------------

    def health_once(self):
        """One health look at every owned cluster; returns how many.

        The looks run side by side (``[conductor] health_check_workers``):
        each waits on a cluster's own endpoint, up to its driver's
        timeout, so one after the other a pass over many unreachable
        clusters would last their number times that timeout."""
        context = magnum_context.get_admin_context()
        owned = self._owned(context, HEALTH_STATUSES, 'Health check',
                            'clusters')
        self._drivers = {}
        checkable = []
        for cluster in owned:
            # Drivers are found here, in this thread: the lookups share
            # one template read per template (_driver_for's cache).
            try:
                self._driver_for(cluster)
            except Exception:
                LOG.exception('Health check of cluster %s failed: no '
                              'driver', cluster.uuid)
                continue
            checkable.append(cluster)
        workers = min(CONF.conductor.health_check_workers, len(checkable))
        if workers <= 1:
            for cluster in checkable:
                self._check_health_logged(context, cluster)
        else:
            with futures.ThreadPoolExecutor(
                    max_workers=workers,
                    thread_name_prefix='magnum-health') as pool:
                for cluster in checkable:
                    pool.submit(self._check_health_logged, context,
                                cluster)
        return len(owned)

    def _check_health_logged(self, context, cluster):
        try:
            self.check_health(context, cluster)
        except Exception:
            LOG.exception('Health check of cluster %s failed', cluster.uuid)

    def check_health(self, context, cluster):
        self.check_certificates(context, cluster)
        cluster_credentials.check_condition(cluster)
        driver = self._driver_for(cluster)
        monitor = driver.get_monitor(context, cluster)
        if monitor is None:
            return
        try:
            status, reason = monitor.poll_health_status()
        except Exception as error:
            status = fields.ClusterHealthStatus.UNKNOWN
            reason = {'api': _('The cluster could not be reached: %s') %
                      error}
        if (cluster.health_status, cluster.health_status_reason) != (
                status, reason):
            cluster.health_status = status
            cluster.health_status_reason = reason
            cluster.save()


    @staticmethod
    def check_certificates(context, cluster):
        """CertificatesValid: False with the date when the cluster's
        certificates expire soon or have expired."""
        from magnum.common import certificates
        status, reason, message = certificates.certificate_status(
            context, cluster)
        if conditions.set_condition(cluster, conditions.CERTIFICATES_VALID,
                                    status, reason, message):
            cluster.save()


class PeriodicRunner:
    """Runs the reconciler in one process per host: the worker holding a
    file lock does the periodic work, and another takes over when it
    dies (the lock goes with the process)."""

    def __init__(self, host, reconciler=None):
        self.host = host
        self.reconciler = reconciler or Reconciler(host)
        self._stop = threading.Event()
        self._threads = []
        path = os.path.join(tempfile.gettempdir(),
                            'magnum-conductor-%s-%s.lock' % (
                                host, CONF.conductor.topic))
        self._process_lock = fasteners.InterProcessLock(path)

    def start(self):
        thread = threading.Thread(target=self._run, daemon=True,
                                  name='magnum-periodic')
        thread.start()
        self._threads.append(thread)

    def _run(self):
        while not self._stop.is_set():
            if self._process_lock.acquire(blocking=False):
                break
            self._stop.wait(CONF.conductor.sync_interval)
        else:
            return
        LOG.info('Periodic work of conductor %s runs in process %d',
                 self.host, os.getpid())
        next_sync = next_health = 0.0
        clock = timeutils.StopWatch().start()
        while not self._stop.is_set():
            now = clock.elapsed()
            if now >= next_sync:
                self._guarded(self.reconciler.sync_once)
                self._guarded(self._sync_containers)
                next_sync = clock.elapsed() + CONF.conductor.sync_interval
            interval = CONF.kubernetes.health_polling_interval
            if interval > 0 and now >= next_health:
                self._guarded(self.reconciler.health_once)
                next_health = clock.elapsed() + interval
            self._stop.wait(max(0.1, min(next_sync, next_health if
                                         interval > 0 else next_sync)
                                - clock.elapsed()))

    def _sync_containers(self):
        # Containers (API 1.16) of the clusters this conductor owns.
        from magnum.conductor.handlers import container_conductor
        container_conductor.sync_containers(self.reconciler.owns)

    @staticmethod
    def _guarded(task):
        try:
            task()
        except Exception:
            LOG.exception('Periodic task %s failed', task.__name__)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        try:
            self._process_lock.release()
        except Exception:
            pass


