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

"""Cluster locks: one operation at a time on a cluster.

A lock is the cluster's row in ``cluster_lock``, held under a random token
until an expiry. The holder renews it in the background while its
operation runs; if the holder dies, the lock expires after ``[conductor]
lock_timeout`` and the next taker learns whose operation was cut short, so
it can be repaired (see ``reconcile``). The token, not the host name, says
whose lock it is: the workers of one conductor host share its name, and a
worker whose lock expired and was taken over must neither renew nor
release the new holder's lock.

The row stays when the lock is released and records the last operation
that ran to its end (``finished_operation``), which tells the status sync
whether a request ever reached a conductor.
"""

import threading
import time

from oslo_log import log as logging
from oslo_utils import uuidutils

from magnum import conf
from magnum.db import api as db_api

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: The operation name of the status sync (``reconcile``).
SYNC = 'sync'
#: The operation name of a cluster delete: it waits for, rather than
#: fails on, an operation that holds the lock.
DELETE = 'delete'
#: How often an operation looks again while a status sync holds the lock.
SYNC_WAIT_INTERVAL = 0.2
#: How often a delete looks again while another operation holds it.
OPERATION_WAIT_INTERVAL = 1.0


class ClusterBusy(Exception):
    """Another operation holds the cluster's lock."""

    def __init__(self, cluster_uuid, holder, operation):
        self.holder = holder
        self.operation = operation
        super().__init__('Cluster %s is busy: %s by conductor %s' % (
            cluster_uuid, operation, holder))


class ClusterLock:
    """``with ClusterLock(uuid, host, 'create') as lock:`` holds the lock.

    ``lock.interrupted`` tells what an earlier holder that died was doing
    (a dict with holder and operation), or is None. ``wait_for_operation``
    (seconds) makes ``acquire`` wait that long for another operation to
    end instead of raising ClusterBusy at once; every operation waits for
    a status sync's short look.
    """

    def __init__(self, cluster_uuid, holder, operation, timeout=None,
                 wait_for_operation=0):
        self.cluster_uuid = cluster_uuid
        self.holder = holder
        self.operation = operation
        self.timeout = timeout or CONF.conductor.lock_timeout
        self.wait_for_operation = wait_for_operation
        self.token = None
        self.interrupted = None
        #: What ``release`` records as having run to its end: the
        #: operation itself, unless it says otherwise (``finish_as``).
        self.finished = None if operation == SYNC else operation
        self._forget = False
        self._stop = threading.Event()
        self._renewer = None
        #: True once a renewal found the lock taken by another: it could
        #: not be renewed in time (the database was unreachable for
        #: longer than the timeout), expired, and a status sync took the
        #: cluster over as if this conductor had died. The operation
        #: must stop and record nothing (``Operation.at``): the taker
        #: repairs the cluster.
        self.lost = False

    def acquire(self):
        dbapi = db_api.get_instance()
        token = uuidutils.generate_uuid()
        started = time.monotonic()
        while True:
            acquired, previous = dbapi.acquire_cluster_lock(
                self.cluster_uuid, self.holder, self.operation,
                self.timeout, token)
            if acquired:
                break
            # The API marks a cluster *_IN_PROGRESS before it casts, so a
            # status sync may be looking at it when the operation arrives:
            # an operation waits for that short look to end. A sync never
            # waits (it looks again next period); another operation is
            # waited for only when asked (a delete), and never the same
            # operation (that is a duplicate of this one).
            waited = time.monotonic() - started
            if self.operation == SYNC or \
                    previous['operation'] == self.operation:
                wait = None
            elif previous['operation'] == SYNC:
                wait = (self.timeout, SYNC_WAIT_INTERVAL)
            else:
                wait = (self.wait_for_operation, OPERATION_WAIT_INTERVAL)
            if wait is None or waited >= wait[0]:
                raise ClusterBusy(self.cluster_uuid, previous['holder'],
                                  previous['operation'])
            time.sleep(wait[1])
        self.token = token
        if previous is not None:
            self.interrupted = previous
            LOG.warning('Cluster %s: the lock of conductor %s (%s) expired '
                        'without being released; that operation was cut '
                        'short', self.cluster_uuid, previous['holder'],
                        previous['operation'])
        self._renewer = threading.Thread(
            target=self._renew, name='lock-%s' % self.cluster_uuid[:8],
            daemon=True)
        self._renewer.start()
        return self

    def record(self):
        """The cluster's lock row: ``finished_operation`` and
        ``finished_at`` say which operation last ran to its end (read
        while holding the lock, it is one before this one)."""
        return db_api.get_instance().get_cluster_lock(self.cluster_uuid)

    def finish_as(self, operation):
        """Record ``operation`` (or nothing, with None) as the one that
        ran to its end when the lock is released."""
        self.finished = operation

    def cluster_gone(self):
        """The cluster was deleted meanwhile: ``release`` deletes its lock
        row rather than leave one for no cluster."""
        self._forget = True

    def renew(self):
        """Extend the lock once; False (and ``lost``) when another holds
        it now. A database error is raised (the lock may still be ours:
        the next renewal tries again)."""
        if self.lost or self.token is None:
            return not self.lost
        if db_api.get_instance().renew_cluster_lock(
                self.cluster_uuid, self.token, self.timeout):
            return True
        self.lost = True
        LOG.error('Cluster %s: lost the lock for %s: it expired before it '
                  'could be renewed and another conductor took the '
                  'cluster over', self.cluster_uuid, self.operation)
        return False

    def _renew(self):
        while not self._stop.wait(self.timeout / 3.0):
            try:
                if not self.renew():
                    return
            except Exception:
                LOG.exception('Cluster %s: could not renew the lock',
                              self.cluster_uuid)

    def release(self):
        """Give the lock up; True unless the database could not be told
        (it was down or restarting): then the lock expires after
        ``lock_timeout`` and the status sync treats the operation as cut
        short (so a caller whose operation did not run yet knows that the
        sync, not a re-run of its request, will take it up)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        if self.token is None:
            return True
        try:
            dbapi = db_api.get_instance()
            if self._forget:
                dbapi.forget_cluster_lock(self.cluster_uuid)
            else:
                dbapi.release_cluster_lock(self.cluster_uuid, self.token,
                                           finished=self.finished)
        except Exception:
            # It expires on its own; say so rather than hide it.
            LOG.exception('Cluster %s: could not release the lock; it '
                          'expires in %s seconds', self.cluster_uuid,
                          self.timeout)
            return False
        finally:
            self.token = None
        return True

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()
        return False
