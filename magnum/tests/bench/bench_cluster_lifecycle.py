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

"""Benchmark, run on demand (not part of the test suite): how long a
user waits for a local-driver cluster, through the whole service.

    python -m pytest -s magnum/tests/bench/bench_cluster_lifecycle.py

Real magnum-api and magnum-conductor (RabbitMQ, MariaDB, the private
Docker engine with the node image already built) as the functional tests
run them. For 1+2 and 3+5 clusters (the latter with its load balancer),
``MAGNUM_BENCH_ROUNDS`` times each (default 3), it measures:

- POST /v1/clusters until GET shows CREATE_COMPLETE (the API's 202, the
  cast, the conductor's certificates, the driver's containers and swarm,
  and the status sync that completes the cluster);
- DELETE /v1/clusters/{id} until GET answers 404.

The status is polled every 0.2 s, so the numbers are at most that much
late. It prints a table of the median, best and worst time of each.
"""

import json
import os
import statistics
import time
import urllib.error
import urllib.request
import uuid

import pytest

from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

SHAPES = [(1, 2), (3, 5)]
POLL = 0.2
TIMEOUT = 300
RESULTS = {}
ROUNDS = int(os.environ.get('MAGNUM_BENCH_ROUNDS', '3'))


@pytest.fixture(scope='module')
def deployment(migrated_db_url, tmp_path_factory):
    docker_host = docker_engine.engine_url()
    deployment = services.Deployment(
        tmp_path_factory.mktemp('bench-lifecycle'), migrated_db_url,
        processes.require_rabbitmq(), config={
            'local_driver': {'docker_host': docker_host,
                             'name_prefix': 'bl%s' % uuid.uuid4().hex[:4],
                             'node_ready_timeout': 120},
            # The status sync completes a cluster; the functional tests'
            # 2 s period would flatter the numbers, so use the default.
            'conductor': {'sync_interval': 10}})
    deployment.start()
    try:
        yield deployment
    finally:
        print(deployment.logs()[-3000:] if RESULTS else deployment.logs())
        deployment.stop()
        _report()


def _call(deployment, method, path, body=None):
    request = urllib.request.Request(
        deployment.url + '/v1' + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={'Content-Type': 'application/json',
                 'Accept': 'application/json',
                 'OpenStack-API-Version': 'container-infra latest'})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=60) as reply:
            data = reply.read()
            return reply.status, json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors='replace')


def _wait(deployment, uuid_, done):
    deadline = time.monotonic() + TIMEOUT
    while True:
        code, body = _call(deployment, 'GET', '/clusters/%s' % uuid_)
        if done(code, body):
            return
        if code == 200 and body['status'].endswith('FAILED'):
            pytest.fail('cluster %s: %s (%s)' % (
                uuid_, body['status'], body['status_reason']))
        assert time.monotonic() < deadline, (code, body)
        time.sleep(POLL)


@pytest.fixture(scope='module')
def template(deployment):
    code, body = _call(deployment, 'POST', '/clustertemplates', {
        'name': 'bench-lifecycle', 'coe': 'swarm-mode',
        'server_type': 'container', 'image_id': docker_engine.IMAGE,
        'external_network_id': 'host', 'flavor_id': 'm1.small',
        'master_flavor_id': 'm1.small', 'master_lb_enabled': True})
    assert code == 201, body
    return body['uuid']


@pytest.mark.parametrize('masters, workers', SHAPES)
def test_lifecycle(deployment, template, masters, workers):
    for round_ in range(ROUNDS):
        started = time.monotonic()
        code, body = _call(deployment, 'POST', '/clusters', {
            'name': 'bench-%d-%d-%d' % (masters, workers, round_),
            'cluster_template_id': template, 'master_count': masters,
            'node_count': workers})
        assert code == 202, body
        cluster = body['uuid']
        _wait(deployment, cluster,
              lambda c, b: c == 200 and b['status'] == 'CREATE_COMPLETE')
        created = time.monotonic() - started
        started = time.monotonic()
        code, body = _call(deployment, 'DELETE', '/clusters/%s' % cluster)
        assert code == 204, body
        _wait(deployment, cluster, lambda c, b: c == 404)
        deleted = time.monotonic() - started
        RESULTS.setdefault((masters, workers), []).append((created, deleted))


def _report():
    print('\nshape  rounds  create median (min-max) s  '
          'delete median (min-max) s')
    for (masters, workers), runs in sorted(RESULTS.items()):
        columns = []
        for index in (0, 1):
            values = [run[index] for run in runs]
            columns.append('%.1f (%.1f-%.1f)' % (
                statistics.median(values), min(values), max(values)))
        print('%d+%d    %-6d  %-25s  %s' % (masters, workers, len(runs),
                                             columns[0], columns[1]))
