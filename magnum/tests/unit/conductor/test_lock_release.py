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

"""ClusterLock.release says whether the database heard it: a lock it
could not release (the database down) expires, and the status sync then
takes the operation up as cut short."""

from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from magnum.conductor import locks
from magnum.tests.unit.conductor.conftest import held_lock


def test_a_released_lock_says_so(dbapi):
    uuid = uuidutils.generate_uuid()
    lock = locks.ClusterLock(uuid, 'host-1', 'create', timeout=60)
    lock.acquire()
    assert lock.release() is True
    assert held_lock(dbapi, uuid) is None
    assert lock.release() is True  # nothing held any more


def test_a_lock_the_database_did_not_release_is_left_to_expire(
        dbapi, monkeypatch):
    uuid = uuidutils.generate_uuid()
    lock = locks.ClusterLock(uuid, 'host-1', 'create', timeout=60)
    lock.acquire()
    token = lock.token

    def down(*args, **kwargs):
        raise db_exc.DBConnectionError('the database is down')

    with monkeypatch.context() as patch:
        patch.setattr(dbapi, 'release_cluster_lock', down)
        assert lock.release() is False
    row = held_lock(dbapi, uuid)
    assert (row.token, row.operation) == (token, 'create')
    # The holder forgot it: a second release neither tries nor fails.
    assert lock.token is None
    assert lock.release() is True
    assert held_lock(dbapi, uuid).token == token
