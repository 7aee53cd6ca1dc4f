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

"""Large buffers go back to the kernel when freed.

glibc serves an allocation of at least its mmap threshold (128 KiB at
first) with a mapping of its own, unmapped when freed; but each time
such a mapping is freed it raises the threshold to that size (up to 32
MiB), so from then on buffers of a few MiB come from the heap, where the
freed ones stay in the process's memory. A process that handles
messages of several MiB in turn (the pieces of an image upload: the RPC
message, its JSON, its base64, the bytes) grew by about 150 MiB for a
66 MiB image, and a fixed threshold kept it to a few MiB. The cost: an
mmap and munmap per buffer of 1 MiB or more, a few microseconds each.
"""

import ctypes
import os

# mallopt's parameter numbers, from glibc's malloc.h.
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
THRESHOLD = 1024 * 1024

# glibc gives each thread that allocates its own malloc arena, up to 8 per
# core, and memory freed in one arena is not reused by the others: the
# API's gthread workers' request threads each grow one. Two arenas keep a
# worker with 4 busy threads about 5 MiB smaller at the same throughput.
MALLOC_ARENAS = 2


def _mallopt(param, value, variable):
    """glibc's mallopt(param, value) in this process and those it forks,
    unless the operator set the environment ``variable`` that glibc reads
    for the same setting (theirs wins). Returns whether it was set (False
    on a C library without mallopt)."""
    if variable in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(param, value) == 1


def fix_mmap_threshold(threshold=THRESHOLD):
    """Fix glibc's mmap threshold (no longer raised as buffers are
    freed); an operator's MALLOC_MMAP_THRESHOLD_ is left to glibc."""
    return _mallopt(_M_MMAP_THRESHOLD, threshold, 'MALLOC_MMAP_THRESHOLD_')


def limit_malloc_arenas(arenas=MALLOC_ARENAS):
    """Cap glibc's malloc arenas; an operator's MALLOC_ARENA_MAX is left
    to glibc."""
    return _mallopt(_M_ARENA_MAX, arenas, 'MALLOC_ARENA_MAX')
