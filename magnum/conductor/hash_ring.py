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

"""Which conductor owns which cluster: a consistent hash ring over the
conductors that are up.

Every conductor builds the same ring from the same magnum_service rows,
so they agree on owners without talking to each other. When a conductor
stops reporting, it drops out of every ring within ``service_down_time``
and only the clusters it owned move (to the next conductor on the ring);
the others stay where they are.
"""

import bisect
import hashlib

# Points per conductor on the ring: enough for an even spread among a few
# conductors, cheap to rebuild every period.
REPLICAS = 64


def _hash(key):
    return int.from_bytes(hashlib.sha256(key.encode('utf-8')).digest()[:8],
                          'big')


class HashRing:
    """Maps keys (cluster UUIDs) to one of ``hosts``."""

    def __init__(self, hosts, replicas=REPLICAS):
        self.hosts = frozenset(hosts)
        self._points = sorted(
            (_hash('%s-%d' % (host, replica)), host)
            for host in self.hosts for replica in range(replicas))
        self._keys = [point for point, _ in self._points]

    def owner(self, key):
        """The host that owns ``key``, or None on an empty ring."""
        if not self._points:
            return None
        index = bisect.bisect(self._keys, _hash(key)) % len(self._points)
        return self._points[index][1]

    def owns(self, host, key):
        return self.owner(key) == host

    def __eq__(self, other):
        return isinstance(other, HashRing) and self.hosts == other.hosts

    def __hash__(self):
        return hash(self.hosts)

    def __repr__(self):
        return 'HashRing(%s)' % sorted(self.hosts)
