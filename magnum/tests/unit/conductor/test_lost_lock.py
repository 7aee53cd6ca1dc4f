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

"""An operation whose lock was lost (it could not be renewed in time,
expired, and a status sync took the cluster over) stops at its next step
and records nothing over the conductor that took over."""

import pytest

from magnum.conductor import locks
from magnum.conductor.handlers import cluster_conductor
from magnum.tests.unit.conductor.conftest import held_lock
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.db.test_api import _expire_lock


@pytest.fixture
def runner(dbapi, fake_drivers, notifier):
    return cluster_conductor.OperationRunner('conductor-1')


def _taken_over(dbapi, lock):
    """Another conductor takes the expired lock over; the holder's next
    renewal finds out."""
    _expire_lock(dbapi, lock.cluster_uuid)
    taker = locks.ClusterLock(lock.cluster_uuid, 'conductor-2',
                              locks.SYNC).acquire()
    assert taker.interrupted['holder'] == 'conductor-1'
    assert lock.renew() is False
    assert lock.lost
    return taker


def test_renew_extends_a_lock_still_held(dbapi, template):
    cluster = make_cluster(dbapi, template)
    lock = locks.ClusterLock(cluster.uuid, 'conductor-1', 'resize')
    lock.acquire()
    before = held_lock(dbapi, cluster.uuid).expires_at
    assert lock.renew() is True
    assert held_lock(dbapi, cluster.uuid).expires_at >= before
    assert not lock.lost
    lock.release()


def test_an_operation_that_lost_its_lock_stops_at_its_next_step(
        runner, dbapi, template, context):
    cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
    lock = locks.ClusterLock(cluster.uuid, 'conductor-1', 'resize')
    lock.acquire()
    reached = []
    with runner._operation(context, cluster, 'resize', 'UPDATE_FAILED',
                           'update', held=lock) as operation:
        operation.at('step one')
        taker = _taken_over(dbapi, lock)
        operation.at('step two')
        reached.append('step two')
    assert reached == []
    assert reload(cluster).status == 'UPDATE_IN_PROGRESS'
    # Its release left the taker's lock alone.
    row = held_lock(dbapi, cluster.uuid)
    assert (row.holder, row.token) == ('conductor-2', taker.token)
    taker.release()


def test_a_failure_after_the_lock_was_lost_is_not_recorded(
        runner, dbapi, template, context, notifier):
    cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
    lock = locks.ClusterLock(cluster.uuid, 'conductor-1', 'resize')
    lock.acquire()
    with pytest.raises(RuntimeError):
        with runner._operation(context, cluster, 'resize', 'UPDATE_FAILED',
                               'update', held=lock) as operation:
            operation.at('asking the driver')
            taker = _taken_over(dbapi, lock)
            raise RuntimeError('the driver call failed meanwhile')
    stored = reload(cluster)
    assert (stored.status, stored.status_reason) == ('UPDATE_IN_PROGRESS',
                                                     None)
    assert notifier.events() == []
    taker.release()
