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

"""The consistent hash ring that splits clusters among conductors."""

import collections
import uuid

from magnum.conductor import hash_ring

KEYS = [str(uuid.UUID(int=i * 7919 + 1)) for i in range(3000)]


def test_empty_ring_has_no_owner():
    assert hash_ring.HashRing([]).owner(KEYS[0]) is None


def test_one_conductor_owns_everything():
    ring = hash_ring.HashRing(['c1'])
    assert {ring.owner(k) for k in KEYS} == {'c1'}


def test_every_key_has_exactly_one_owner_and_rings_agree():
    ring_a = hash_ring.HashRing(['c1', 'c2', 'c3'])
    ring_b = hash_ring.HashRing(['c3', 'c1', 'c2'])
    for key in KEYS:
        assert ring_a.owner(key) == ring_b.owner(key)
        assert [ring_a.owns(h, key) for h in ('c1', 'c2', 'c3')].count(
            True) == 1


def test_work_is_spread_evenly():
    counts = collections.Counter(hash_ring.HashRing(['c1', 'c2']).owner(k)
                                 for k in KEYS)
    assert set(counts) == {'c1', 'c2'}
    assert min(counts.values()) > 0.35 * len(KEYS)


def test_only_the_dead_conductors_keys_move():
    before = hash_ring.HashRing(['c1', 'c2', 'c3'])
    after = hash_ring.HashRing(['c1', 'c3'])
    for key in KEYS:
        if before.owner(key) != 'c2':
            assert after.owner(key) == before.owner(key)
        else:
            assert after.owner(key) in ('c1', 'c3')


def test_a_new_conductor_takes_a_share_only_from_others():
    before = hash_ring.HashRing(['c1', 'c2'])
    after = hash_ring.HashRing(['c1', 'c2', 'c3'])
    moved = [k for k in KEYS if before.owner(k) != after.owner(k)]
    assert moved and all(after.owner(k) == 'c3' for k in moved)
    assert len(moved) < 0.5 * len(KEYS)
