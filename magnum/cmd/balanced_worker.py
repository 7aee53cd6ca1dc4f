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

"""An opt-in gunicorn worker that spreads keep-alive connections over the
workers (``[api] balanced_workers``).

It extends gunicorn's threaded worker (gthread) through methods gunicorn
does not document as an interface (accept, set_accept_enabled,
wait_for_and_dispatch_events, nr_conns), so it is used only with the
gunicorn releases it was tested with (TESTED_GUNICORN, also the bound in
requirements.txt). With any other release magnum-api logs a warning and
runs gunicorn's own gthread worker, which needs nothing but gunicorn's
public settings.
"""

import multiprocessing
import os
import time

import gunicorn
from gunicorn.workers import gthread
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# [first, last) releases of gunicorn the worker was written and tested
# against (27.0.1).
TESTED_GUNICORN = ((27, 0), (27, 1))

STOCK_WORKER = 'gthread'


def tested(version_info=None):
    """Whether ``version_info`` (gunicorn's own by default, a tuple such
    as (27, 0, 1)) is a release the balanced worker was tested with."""
    found = tuple(version_info or gunicorn.version_info)
    first, last = TESTED_GUNICORN
    return first <= found < last


def worker_class(balanced, workers, version_info=None):
    """The worker class for gunicorn's ``worker_class`` setting: the
    balanced worker when asked for and the installed gunicorn is one it
    was tested with (its shared connection counts made here, before the
    master forks), else gunicorn's gthread."""
    if not balanced:
        return STOCK_WORKER
    version_info = tuple(version_info or gunicorn.version_info)
    if not tested(version_info):
        LOG.warning(
            '[api] balanced_workers is set, but the balanced worker was '
            'tested with gunicorn %(first)s.x only and gunicorn %(found)s '
            'is installed: serving with gunicorn\'s gthread worker '
            'instead.', {'first': '.'.join(map(str, TESTED_GUNICORN[0])),
                         'found': '.'.join(map(str, version_info))})
        return STOCK_WORKER
    BalancedThreadWorker.counts = ConnectionCounts(workers)
    return BalancedThreadWorker


# How long a worker lets a new connection wait for a worker that holds
# fewer, per connection it holds itself, and at most; the wait ends as
# soon as no worker holds fewer (checked this often).
ACCEPT_DEFERRAL_PER_CONNECTION = 0.002
ACCEPT_DEFERRAL_MAX = 0.02
ACCEPT_DEFERRAL_CHECK = 0.001
# A connection accepted this soon after a wait is the one waited for (the
# main loop may be slow to come back while request threads hold the GIL).
ACCEPT_AFTER_WAIT = 0.01


class ConnectionCounts:
    """How many connections each worker holds, in memory the master
    shares with the workers it forks (one slot per worker)."""

    def __init__(self, slots):
        self._pids = multiprocessing.RawArray('i', slots)
        self._counts = multiprocessing.RawArray('i', slots)
        self._lock = multiprocessing.Lock()

    def claim(self, pid):
        """A slot for the worker ``pid``: a free one, or that of a worker
        that is gone. None when every slot is held."""
        with self._lock:
            for slot, holder in enumerate(self._pids):
                if holder == 0 or not _alive(holder):
                    self._pids[slot] = pid
                    self._counts[slot] = 0
                    return slot
        return None

    def publish(self, slot, count):
        self._counts[slot] = count

    def fewer_elsewhere(self, slot, count):
        """Whether another live worker holds fewer than ``count``."""
        for other, holder in enumerate(self._pids):
            if other != slot and holder and self._counts[other] < count \
                    and _alive(holder):
                return True
        return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BalancedThreadWorker(gthread.ThreadWorker):
    """gunicorn's threaded worker, leaving a new connection to a worker
    that holds fewer (see the module's docstring for when it is used).

    All workers wait on the one listening socket and the first to wake
    accepts: a few keep-alive clients arriving together (a load balancer's
    pooled connections, Horizon, the benchmark's clients) often land three
    or four on one worker, whose requests then share one CPU and one GIL
    while another worker idles (a page of 100 templates on two workers:
    about 90 req/s then, 145-160 spread two and two). A worker that sees
    (in ``counts``, shared by the workers) another worker holding fewer
    connections than itself waits (2 ms per connection it holds, 20 ms at
    most, and only until no worker holds fewer) before it accepts, so
    that the other one, woken by the same connection, takes it; if
    nobody has, it accepts then. Once
    accepted, a keep-alive connection stays with its worker, as before.
    """

    counts = None  # ConnectionCounts, made by the master before forking

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._accept_after = 0.0
        self._slot = None

    def init_process(self):
        if self.counts is not None:
            self._slot = self.counts.claim(os.getpid())
        super().init_process()

    def notify(self):
        # Called by the main loop after every round of events.
        super().notify()
        if self._slot is not None:
            self.counts.publish(self._slot, self.nr_conns)

    def _deferral(self):
        held = self.nr_conns
        if not held or self._slot is None or \
                not self.counts.fewer_elsewhere(self._slot, held):
            return 0.0
        return min(held * ACCEPT_DEFERRAL_PER_CONNECTION,
                   ACCEPT_DEFERRAL_MAX)

    def accept(self, listener):
        now = time.monotonic()
        waited_until = self._accept_after
        if waited_until and now < waited_until + ACCEPT_AFTER_WAIT:
            if now < waited_until:
                return
            # Waited, and no other worker took it: take it now.
            self._accept_after = 0.0
            self._accept(listener)
            return
        deferral = self._deferral()
        if deferral:
            # Stop watching the socket for a moment; the main loop asks to
            # watch it again and set_accept_enabled waits until then.
            self._accept_after = now + deferral
            self.set_accept_enabled(False)
            return
        self._accept_after = 0.0
        self._accept(listener)

    def _accept(self, listener):
        super().accept(listener)
        if self._slot is not None:
            self.counts.publish(self._slot, self.nr_conns)

    def set_accept_enabled(self, enabled):
        now = time.monotonic()
        if enabled and now < self._accept_after:
            if self.counts.fewer_elsewhere(self._slot, self.nr_conns):
                return
            # Another worker took connections meanwhile: wait no more.
            self._accept_after = now
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        waiting = self._accept_after - time.monotonic()
        if waiting > 0:
            timeout = min(timeout, waiting, ACCEPT_DEFERRAL_CHECK)
        super().wait_for_and_dispatch_events(timeout)
