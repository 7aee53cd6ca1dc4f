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

"""magnum-api with two workers, opted in to the balanced worker
(``[api] balanced_workers``): keep-alive connections that arrive together
are spread over both, and each worker is ready (database warmed up)
before its first request."""

import collections
import http.client
import threading
import time

import psutil
import pytest

from magnum.tests.functional import processes
from magnum.tests.functional import services

HEADERS = {'OpenStack-API-Version': 'container-infra latest'}


@pytest.fixture(scope='module')
def deployment(migrated_db_url, tmp_path_factory):
    magnum = services.Deployment(
        tmp_path_factory.mktemp('magnum'), migrated_db_url,
        processes.require_rabbitmq(), api_workers=2, conductors=0,
        config={'api': {'balanced_workers': True}})
    magnum.start_or_explain()
    yield magnum
    magnum.stop()


def _workers(deployment):
    return psutil.Process(deployment.api.process.pid).children()


def _held_by(workers, port, status=psutil.CONN_ESTABLISHED):
    """How many of the connections to ``port`` in ``status`` (any but
    listening when None) each worker holds."""
    held = collections.Counter()
    for worker in workers:
        for connection in worker.net_connections(kind='tcp'):
            if connection.laddr.port == port and \
                    connection.status != psutil.CONN_LISTEN and \
                    status in (None, connection.status):
                held[worker.pid] += 1
    return held


def _to_mariadb(worker):
    return [c for c in worker.net_connections(kind='inet')
            if c.status == psutil.CONN_ESTABLISHED and c.raddr and
            c.raddr.port == 3306]


def _wait_until_warmed_up(workers, seconds=60):
    """Wait, without sending a request, until every worker holds its
    pooled connection to MariaDB (the functional tests' database): the
    deployment answers as soon as one worker does, and on a busy machine
    the other may still be loading. Returns the workers still without."""
    deadline = time.monotonic() + seconds
    while True:
        cold = [worker for worker in workers if not _to_mariadb(worker)]
        if not cold or time.monotonic() > deadline:
            return cold
        time.sleep(0.1)


def test_each_worker_is_connected_to_the_database_before_any_request(
        deployment):
    # Without the warm-up a worker connects on its first request, which
    # this test never sends.
    workers = _workers(deployment)
    assert len(workers) == 2
    assert _wait_until_warmed_up(workers) == []
    for worker in workers:
        assert len(_to_mariadb(worker)) == 1


def _spread_once(deployment, workers):
    """Four keep-alive connections opened together: how many each worker
    holds once each has been answered."""
    # The workers have closed the previous attempt's connections (not
    # only their clients): they place new ones by those they hold.
    deadline = time.monotonic() + 10
    while _held_by(workers, deployment.port, status=None) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    barrier = threading.Barrier(4)
    connections = [http.client.HTTPConnection('127.0.0.1', deployment.port,
                                              timeout=30) for _ in range(4)]
    statuses = []

    def ask(connection):
        barrier.wait()
        connection.request('GET', '/v1/clustertemplates', headers=HEADERS)
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
    threads = [threading.Thread(target=ask, args=(c,)) for c in connections]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert statuses == [200] * 4
        return tuple(sorted(_held_by(workers, deployment.port).values()))
    finally:
        for connection in connections:
            connection.close()


def test_keep_alive_connections_arriving_together_are_spread(deployment):
    workers = _workers(deployment)
    assert len(workers) == 2
    # Both ready: a worker still starting takes no connection.
    assert _wait_until_warmed_up(workers) == []
    spreads = [_spread_once(deployment, workers) for _ in range(5)]
    # Best effort: a worker deprived of CPU for longer than the others
    # wait for it (20 ms) loses its turn, which a loaded 2-CPU machine
    # sees now and then. Without spreading, 4+0 and 3+1 were the rule
    # (3 attempts out of 5 here).
    assert spreads.count((2, 2)) >= 4, spreads
    assert (4,) not in spreads, spreads
