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

"""Cluster locks (conductor/locks.py) on the real database API."""

import threading
import time

from oslo_utils import uuidutils
import pytest

from magnum.conductor import locks
from magnum.tests.unit.conductor.conftest import held_lock
from magnum.tests.unit.conductor.conftest import take_lock
from magnum.tests.unit.db.test_api import _expire_lock


@pytest.fixture
def uuid(dbapi):
    return uuidutils.generate_uuid()


def test_two_workers_of_one_host(dbapi, uuid):
    # [conductor] workers > 1: processes of one host share its name. The
    # worker whose lock expired and was taken over by the other neither
    # renews nor releases the other's lock.
    first = locks.ClusterLock(uuid, 'host-1', 'create', timeout=60)
    first.acquire()
    with pytest.raises(locks.ClusterBusy) as busy:
        locks.ClusterLock(uuid, 'host-1', 'update').acquire()
    assert (busy.value.holder, busy.value.operation) == ('host-1', 'create')
    _expire_lock(dbapi, uuid)
    second = locks.ClusterLock(uuid, 'host-1', 'sync').acquire()
    # The taker learns whose operation was cut short.
    assert second.interrupted['holder'] == 'host-1'
    assert second.interrupted['operation'] == 'create'
    assert first.token != second.token
    first.release()
    row = held_lock(dbapi, uuid)
    assert (row.token, row.operation) == (second.token, 'sync')
    assert row.finished_operation is None  # the cut-short create did not
    second.release()
    assert held_lock(dbapi, uuid) is None


def test_the_renewer_notices_a_lost_lock(dbapi, uuid):
    lock = locks.ClusterLock(uuid, 'host-1', 'create', timeout=0.3)
    lock.acquire()
    taker = locks.ClusterLock(uuid, 'host-1', 'sync')
    try:
        for _ in range(20):
            # (Its renewer may renew it between the two; then again.)
            _expire_lock(dbapi, uuid)
            try:
                taker.acquire()
                break
            except locks.ClusterBusy:
                continue
        for _ in range(50):
            if lock.lost:
                break
            time.sleep(0.05)
        assert lock.lost
    finally:
        lock.release()
    assert held_lock(dbapi, uuid).operation == 'sync'
    taker.release()


def test_renewed_while_held(dbapi, uuid):
    with locks.ClusterLock(uuid, 'host-1', 'create', timeout=0.6):
        first = held_lock(dbapi, uuid).expires_at
        time.sleep(0.5)
        assert held_lock(dbapi, uuid).expires_at > first
    row = dbapi.get_cluster_lock(uuid)
    assert (row.token, row.finished_operation) == (None, 'create')


def test_a_sync_does_not_record_itself_as_finished(dbapi, uuid):
    with locks.ClusterLock(uuid, 'host-1', 'delete'):
        pass
    with locks.ClusterLock(uuid, 'host-2', locks.SYNC) as lock:
        assert lock.record().finished_operation == 'delete'
    assert dbapi.get_cluster_lock(uuid).finished_operation == 'delete'


def test_an_operation_waits_for_a_sync_only(dbapi, uuid):
    token = take_lock(dbapi, uuid, 'host-2', locks.SYNC)
    threading.Timer(0.5, dbapi.release_cluster_lock,
                    args=(uuid, token)).start()
    started = time.monotonic()
    with locks.ClusterLock(uuid, 'host-1', 'update'):
        assert time.monotonic() - started >= 0.4
    take_lock(dbapi, uuid, 'host-2', 'update')
    started = time.monotonic()
    with pytest.raises(locks.ClusterBusy):
        locks.ClusterLock(uuid, 'host-1', 'resize').acquire()
    assert time.monotonic() - started < 0.5


def test_waiting_for_another_operation_when_asked(dbapi, uuid):
    token = take_lock(dbapi, uuid, 'host-2', 'create')
    threading.Timer(1.5, dbapi.release_cluster_lock,
                    args=(uuid, token, 'create')).start()
    lock = locks.ClusterLock(uuid, 'host-1', locks.DELETE,
                             wait_for_operation=10)
    with lock:
        assert lock.interrupted is None
        assert lock.record().finished_operation == 'create'
    # Never for the same operation: that one is a duplicate.
    take_lock(dbapi, uuid, 'host-2', locks.DELETE)
    started = time.monotonic()
    with pytest.raises(locks.ClusterBusy):
        locks.ClusterLock(uuid, 'host-1', locks.DELETE,
                          wait_for_operation=10).acquire()
    assert time.monotonic() - started < 0.5


def test_a_lock_of_a_cluster_gone_meanwhile_is_forgotten(dbapi, uuid):
    lock = locks.ClusterLock(uuid, 'host-1', locks.DELETE).acquire()
    lock.cluster_gone()
    lock.release()
    assert dbapi.get_cluster_lock(uuid) is None
