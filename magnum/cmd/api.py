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
processes of ``[api] threads`` threads each behind one listening socket.

Only gunicorn's documented settings and server hooks are used, with
gunicorn's own threaded worker (gthread); ``[api] balanced_workers``
opts in to magnum.cmd.balanced_worker instead. Other WSGI servers serve
magnum.wsgi.api:application.
"""

import ctypes
import gc
import sys
import threading
import time

from gunicorn.app import base as gunicorn_base
from oslo_log import log as logging

from magnum import conf
from magnum.api import app
from magnum.cmd import balanced_worker
from magnum.common import heap
from magnum.common import service

CONF = conf.CONF
LOG = logging.getLogger(__name__)

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
        'worker_class': balanced_worker.worker_class(
            CONF.api.balanced_workers, CONF.api.workers),
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
    heap.limit_malloc_arenas()
    heap.fix_mmap_threshold()
    service.prepare_service(sys.argv if argv is None else argv,
                            messaging_opts=False)
    options = server_options()
    LOG.info('Serving the Magnum API on %s with %d worker(s)',
             options['bind'], options['workers'])
    APIServer(options).run()


if __name__ == '__main__':
    sys.exit(main())
