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

"""magnum.common.heap in fresh processes (the setting is process-wide):
threads that in turn allocate and free buffers of a few MiB, as the
conductor's RPC threads do with an image upload's pieces."""

import os
import subprocess
import sys

import pytest

SCRIPT = '''
import sys, threading
from magnum.common import heap
fixed = heap.fix_mmap_threshold() if sys.argv[1] == 'fixed' else None
def rss():
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) for line in status
                    if line.startswith('VmRSS'))
start = rss()
def pieces():
    for _ in range(10):
        parts = [bytes(5 * 2 ** 20) for _ in range(3)]
        joined = b''.join(parts)
        del parts, joined
threads = [threading.Thread(target=pieces) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(fixed, (rss() - start) // 1024)
'''


def _grown(mode, **env):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith('MALLOC_')}
    environment.update(env)
    done = subprocess.run([sys.executable, '-c', SCRIPT, mode],
                          capture_output=True, text=True, timeout=120,
                          env=environment, check=True)
    fixed, mib = done.stdout.split()
    return fixed, int(mib)


@pytest.mark.skipif(not os.path.exists('/proc/self/status'),
                    reason='needs Linux /proc to read the memory')
def test_freed_buffers_go_back_once_the_threshold_is_fixed():
    fixed, grown = _grown('fixed')
    assert fixed == 'True'
    assert grown < 20
    # What it prevents: glibc's own threshold, raised by the first
    # freed buffer, keeps the later ones (some 240 MiB here).
    assert _grown('dynamic')[1] > 100


def test_an_operators_own_threshold_is_left_to_glibc():
    fixed, _ = _grown('fixed', MALLOC_MMAP_THRESHOLD_='65536')
    assert fixed == 'False'
