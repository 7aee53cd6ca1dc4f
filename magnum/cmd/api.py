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

"""magnum-api: serve the REST API with gunicorn, ``[api] workers``
processes behind one listening socket."""

import ctypes
import gc
import multiprocessing
import os
import sys
import threading
import time

from gunicorn.app import base as gunicorn_base
from gunicorn.workers import gthread
from oslo_log import log as logging

from magnum import conf
from magnum.api import app
from magnum.common import service

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# glibc gives each thread that allocates its own malloc arena, up to 8 per
# core, and memory freed in one arena is not reused by the others: the
# gthread workers' request threads each grow one. Two arenas keep a
# worker with 4 busy threads about 5 MiB smaller at the same throughput.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def limit_malloc_arenas(arenas=MALLOC_ARENAS):
    """Cap glibc's malloc arenas in this process and the workers it forks
    (they inherit the setting). An operator's own MALLOC_ARENA_MAX is
    left to glibc. Returns whether the cap was set (False on a C library
    without mallopt)."""
    if 'MALLOC_ARENA_MAX' in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(_M_ARENA_MAX, arenas) == 1


# How often, at most, a worker hands the free pages of its C heap back to
# the kernel (see HeapTrimmer). A trim costs about 0.2 ms.
TRIM_INTERVAL = 1.0


class HeapTrimmer:
    """Hands the free pages inside glibc's heaps back to the kernel.

    glibc returns freed memory only from the top of a heap; the pages
    freed below it (import-time temporaries, the objects of a page of 100
    clusters, which large requests free in any order) stay in the
    process's RSS until ``malloc_trim`` releases them. Called after each
    request, it trims at most once per ``interval`` seconds, and never in
    two threads at once. About 2-5 MiB of a busy worker.
    """

    def __init__(self, interval=TRIM_INTERVAL, clock=time.monotonic,
                 libc=None):
        self.interval = interval
        self._clock = clock
        self._trim = _malloc_trim(libc)
        self._due = clock() + interval
        self._lock = threading.Lock()

    def trim(self):
        """Trim now. Returns whether memory went back to the kernel."""
        if self._trim is None:
            return False
        return self._trim(0) == 1

    def __call__(self, worker, request, environ, response):
        """gunicorn's post_request hook: trim when the interval is up."""
        if self._trim is None or self._clock() < self._due:
            return False
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._due = self._clock() + self.interval
            return self.trim()
        finally:
            self._lock.release()


def _malloc_trim(libc=None):
    try:
        trim = (libc or ctypes.CDLL(None)).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return trim


def worker_started(trimmer):
    """gunicorn's post_worker_init hook, run once the worker has loaded
    the application and before it accepts a connection."""
    def post_worker_init(worker):
        app.warm_up()
        # What start-up built lives as long as the worker: out of the
        # cyclic garbage collector's sight, a full collection walks only
        # what requests made since (40-100 ms pauses on the first
        # requests otherwise, while the long-lived objects keep growing).
        gc.collect()
        gc.freeze()
        trimmer.trim()
    return post_worker_init


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
    that holds fewer.

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


class APIServer(gunicorn_base.BaseApplication):
    """gunicorn, configured from magnum.conf instead of its command line."""

    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Each worker builds its own application, so database and broker
        # connections are never shared across forked processes.
        return app.load_app()


def server_options():
    options = {
        'bind': '%s:%d' % (CONF.api.host, CONF.api.port),
        'workers': CONF.api.workers,
        'worker_class': BalancedThreadWorker,
        'threads': CONF.api.threads,
        'proc_name': 'magnum-api',
        'accesslog': None,
        'errorlog': '-',
        'graceful_timeout': 10,
        'timeout': 120,
        # gunicorn's control socket (in $HOME) is not used by Magnum and
        # would clash between several API servers of one user.
        'control_socket_disable': True,
    }
    BalancedThreadWorker.counts = ConnectionCounts(CONF.api.workers)
    trimmer = HeapTrimmer()
    options.update(post_request=trimmer,
                   post_worker_init=worker_started(trimmer))
    if CONF.api.enabled_ssl:
        if not (CONF.api.ssl_cert_file and CONF.api.ssl_key_file):
            raise RuntimeError('[api] enabled_ssl needs ssl_cert_file and '
                               'ssl_key_file.')
        options.update(certfile=CONF.api.ssl_cert_file,
                       keyfile=CONF.api.ssl_key_file)
    return options


def main(argv=None):
    # First, before any thread of this process or its workers allocates.
    limit_malloc_arenas()
    service.prepare_service(sys.argv if argv is None else argv,
                            messaging_opts=False)
    options = server_options()
    LOG.info('Serving the Magnum API on %s with %d worker(s)',
             options['bind'], options['workers'])
    APIServer(options).run()


if __name__ == '__main__':
    sys.exit(main())
