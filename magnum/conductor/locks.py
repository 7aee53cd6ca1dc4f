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

"""Cluster locks: one conductor at a time works on a cluster.

A lock is a row in ``cluster_lock`` with an expiry. The holder renews it
in the background while its operation runs; if the holder dies, the lock
expires after ``[conductor] lock_timeout`` and the next taker learns whose
operation was cut short, so it can be repaired (see ``reconcile``).
"""

import threading
import time

from oslo_log import log as logging

from magnum import conf
from magnum.db import api as db_api

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: The operation name of the status sync (``reconcile``).
SYNC = 'sync'
#: How often an operation looks again while a status sync holds the lock.
SYNC_WAIT_INTERVAL = 0.2


class ClusterBusy(Exception):
    """Another conductor holds the cluster's lock."""

    def __init__(self, cluster_uuid, holder, operation):
        self.holder = holder
        self.operation = operation
        super().__init__('Cluster %s is busy: %s by conductor %s' % (
            cluster_uuid, operation, holder))


class ClusterLock:
    """``with ClusterLock(uuid, host, 'create') as lock:`` holds the lock.

    ``lock.interrupted`` tells what an earlier holder that died was doing
    (a dict with holder and operation), or is None.
    """

    def __init__(self, cluster_uuid, holder, operation, timeout=None):
        self.cluster_uuid = cluster_uuid
        self.holder = holder
        self.operation = operation
        self.timeout = timeout or CONF.conductor.lock_timeout
        self.interrupted = None
        self._stop = threading.Event()
        self._renewer = None
        self.lost = False

    def acquire(self):
        dbapi = db_api.get_instance()
        deadline = time.monotonic() + self.timeout
        while True:
            acquired, previous = dbapi.acquire_cluster_lock(
                self.cluster_uuid, self.holder, self.operation, self.timeout)
            if acquired:
                break
            # The API marks a cluster *_IN_PROGRESS before it casts, so a
            # status sync may be looking at it when the operation arrives:
            # an operation waits for that short look to end. A sync never
            # waits (it looks again next period), nor does anyone for
            # another operation.
            if self.operation == SYNC or previous['operation'] != SYNC or \
                    time.monotonic() >= deadline:
                raise ClusterBusy(self.cluster_uuid, previous['holder'],
                                  previous['operation'])
            time.sleep(SYNC_WAIT_INTERVAL)
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

    def _renew(self):
        dbapi = db_api.get_instance()
        while not self._stop.wait(self.timeout / 3.0):
            try:
                if not dbapi.renew_cluster_lock(self.cluster_uuid,
                                                self.holder, self.timeout):
                    self.lost = True
                    LOG.error('Cluster %s: lost the lock for %s',
                              self.cluster_uuid, self.operation)
                    return
            except Exception:
                LOG.exception('Cluster %s: could not renew the lock',
                              self.cluster_uuid)

    def release(self):
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        try:
            db_api.get_instance().release_cluster_lock(self.cluster_uuid,
                                                       self.holder)
        except Exception:
            # It expires on its own; say so rather than hide it.
            LOG.exception('Cluster %s: could not release the lock; it '
                          'expires in %s seconds', self.cluster_uuid,
                          self.timeout)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()
        return False
