#!/usr/bin/env python3
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

"""Benchmark of magnum-api: requests per second and latency percentiles.

    tools/bench_api.py [--clusters 1000] [--templates 100] [--seconds 10]

It starts magnum-api itself (gunicorn, noauth) on a MariaDB database it
creates and drops, for each of 1 and 2 workers; loads the templates and
clusters straight into the database; then, with 1 and 4 concurrent
keep-alive clients, measures for a few seconds each:

  GET /v1/clusters (a page of 100), GET /v1/clusters/detail (100),
  GET /v1/clustertemplates (100), GET one cluster template,
  POST /v1/clustertemplates, POST /v1/clusters (202).

POST /v1/clusters casts to a conductor topic nobody serves, so the API is
measured alone; template validation asks the local Docker driver, so the
private engine must run (tools/docker-engine.sh start) with the node image
built. Results print as a table; --rst writes them for the docs.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from magnum.tests import db_backends  # noqa: E402
from magnum.tests.functional import processes  # noqa: E402
from magnum.tests.functional import services  # noqa: E402

IMAGE = 'magnum/swarm-node:bookworm-1'


def load(db_url, templates, clusters):
    """Rows straight into the database, as a busy cloud would have them."""
    from magnum.db.sqlalchemy import api as sqlalchemy_api
    from magnum.tests.unit.db import utils
    dbapi = sqlalchemy_api.Connection(db_url)
    made = []
    for index in range(templates):
        made.append(dbapi.create_cluster_template(utils.get_test_cluster_template(
            name='bench-template-%d' % index, project_id='admin',
            user_id='admin', coe='swarm-mode', server_type='container',
            image_id=IMAGE, cluster_distro='debian', driver='local_swarm',
            network_driver='docker', volume_driver=None)).uuid)
    clusters_made = []
    for index in range(clusters):
        cluster = dbapi.create_cluster(
            utils.get_test_cluster(name='bench-cluster-%d' % index,
                                   project_id='admin', user_id='admin',
                                   cluster_template_id=made[0],
                                   status='CREATE_COMPLETE'),
            nodegroups=utils.default_nodegroups(1, 2))
        clusters_made.append(cluster.uuid)
    dbapi.dispose()
    return made, clusters_made


class Client(threading.Thread):
    """Sends one request shape in a loop over a keep-alive connection."""

    def __init__(self, port, request, deadline):
        super().__init__(daemon=True)
        self.port = port
        self.request = request
        self.deadline = deadline
        self.latencies = []
        self.errors = 0

    def run(self):
        connection = http.client.HTTPConnection('127.0.0.1', self.port,
                                                timeout=30)
        headers = {'Content-Type': 'application/json',
                   'OpenStack-API-Version': 'container-infra latest'}
        while time.monotonic() < self.deadline:
            method, path, body = self.request()
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()
                connection = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=30)
                continue
            self.latencies.append(time.perf_counter() - started)
        connection.close()


def measure(port, request, concurrency, seconds):
    deadline = time.monotonic() + seconds
    clients = [Client(port, request, deadline) for _ in range(concurrency)]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for c in clients for x in c.latencies)
    if not latencies:
        return {'rps': 0, 'p50': 0, 'p90': 0, 'p99': 0, 'count': 0,
                'errors': sum(c.errors for c in clients)}
    quantiles = statistics.quantiles(latencies, n=100) if len(
        latencies) > 1 else [latencies[0]] * 99
    return {'rps': len(latencies) / elapsed,
            'p50': quantiles[49] * 1000, 'p90': quantiles[89] * 1000,
            'p99': quantiles[98] * 1000, 'count': len(latencies),
            'errors': sum(c.errors for c in clients)}


def cpu_seconds(pids):
    """User + system CPU time the processes used so far."""
    ticks = os.sysconf('SC_CLK_TCK')
    total = 0
    for pid in pids:
        try:
            with open('/proc/%d/stat' % pid) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def memory_mib(pid):
    """RSS, PSS and USS (private memory) of one process, in MiB."""
    values = {}
    try:
        with open('/proc/%d/smaps_rollup' % pid) as handle:
            for line in handle:
                parts = line.split()
                if len(parts) >= 2 and parts[0].rstrip(':') in (
                        'Rss', 'Pss', 'Private_Clean', 'Private_Dirty'):
                    values[parts[0].rstrip(':')] = int(parts[1])
    except OSError:
        return None
    return {'rss': values.get('Rss', 0) / 1024,
            'pss': values.get('Pss', 0) / 1024,
            'uss': (values.get('Private_Clean', 0) +
                    values.get('Private_Dirty', 0)) / 1024}


def rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open('/proc/%d/status' % pid) as handle:
                for line in handle:
                    if line.startswith('VmRSS:'):
                        total = max(total, int(line.split()[1]) // 1024)
        except OSError:
            pass
    return total


def worker_pids(master_pid):
    result = subprocess.run(['pgrep', '-P', str(master_pid)],
                            capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


def scenarios(template_uuids):
    counter = iter(range(10 ** 9))

    def template_body():
        return json.dumps({'name': 'tb-%d' % next(counter),
                           'coe': 'swarm-mode', 'server_type': 'container',
                           'image_id': IMAGE,
                           'external_network_id': 'host'})

    def cluster_body():
        return json.dumps({'name': 'cb-%d' % next(counter),
                           'cluster_template_id': template_uuids[0],
                           'master_count': 1, 'node_count': 1})

    one = template_uuids[len(template_uuids) // 2]
    return [
        ('GET one template', lambda: ('GET', '/v1/clustertemplates/' + one,
                                      None)),
        ('GET 100 templates', lambda: ('GET',
                                       '/v1/clustertemplates?limit=100',
                                       None)),
        ('GET 100 clusters', lambda: ('GET', '/v1/clusters?limit=100',
                                      None)),
        ('GET 100 clusters detail', lambda: (
            'GET', '/v1/clusters/detail?limit=100', None)),
        ('POST template', lambda: ('POST', '/v1/clustertemplates',
                                   template_body())),
        ('POST cluster', lambda: ('POST', '/v1/clusters', cluster_body())),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clusters', type=int, default=1000)
    parser.add_argument('--templates', type=int, default=100)
    parser.add_argument('--seconds', type=float, default=8)
    parser.add_argument('--workers', default='1,2')
    parser.add_argument('--concurrency', default='1,4')
    parser.add_argument('--mysql-driver', default='mysqldb',
                        choices=['mysqldb', 'pymysql'],
                        help='mysqldb (mysqlclient, the advised driver) or '
                        'pymysql')
    parser.add_argument('--rst', help='also write the results here (rst)')
    args = parser.parse_args()
    docker_host = subprocess.run(
        [os.path.join(ROOT, 'tools', 'docker-engine.sh'), 'env'],
        capture_output=True, text=True).stdout.strip().split('=', 1)[-1]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, \
            db_backends.provisioned_database(
                'mysqlclient' if args.mysql_driver == 'mysqldb' else 'mysql',
                tmp) as db_url:
        from magnum.db import migration
        migration.upgrade(url=db_url)
        templates, _ = load(db_url, args.templates, args.clusters)
        rabbit = processes.require_rabbitmq()
        for workers in [int(w) for w in args.workers.split(',')]:
            deployment = services.Deployment(
                os.path.join(tmp, 'w%d' % workers), db_url, rabbit,
                config={'local_driver': {'docker_host': docker_host},
                        'DEFAULT': {'debug': 'false'},
                        'quotas': {'max_clusters_per_project': 10 ** 6}},
                api_workers=workers, conductors=0)
            os.makedirs(deployment.directory, exist_ok=True)
            deployment.start()
            try:
                master = deployment.api.process.pid
                for name, request in scenarios(templates):
                    for concurrency in [int(c) for c in
                                        args.concurrency.split(',')]:
                        server = [master] + worker_pids(master)
                        cpu_before = cpu_seconds(server)
                        result = measure(deployment.port, request,
                                         concurrency, args.seconds)
                        done = result.pop('count')
                        # Server CPU per request: what the API processes
                        # used, whatever else ran on the machine.
                        result['cpu_ms'] = (cpu_seconds(server) -
                                            cpu_before) * 1000 / max(done, 1)
                        result.update(name=name, workers=workers,
                                      concurrency=concurrency)
                        rows.append(result)
                        print('%-26s workers=%d clients=%d  %7.1f req/s  '
                              'p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  '
                              'server CPU %5.2f ms/req  errors %d' % (
                                  name, workers, concurrency, result['rps'],
                                  result['p50'], result['p90'],
                                  result['p99'], result['cpu_ms'],
                                  result['errors']),
                              flush=True)
                pids = worker_pids(master)
                memories = [m for m in map(memory_mib, pids) if m]
                largest = max(memories, key=lambda m: m['rss'])
                print('largest API worker: RSS %.0f MiB, PSS %.0f MiB, '
                      'USS %.0f MiB' % (largest['rss'], largest['pss'],
                                        largest['uss']))
                rows.append(dict(largest, name='worker memory',
                                 workers=workers))
            finally:
                deployment.stop()
    if args.rst:
        write_rst(args.rst, rows, args)


def write_rst(path, rows, args):
    lines = ['API throughput (tools/bench_api.py)',
             '------------------------------------', '',
             '%d clusters, %d templates, MariaDB through %s, noauth, '
             'gunicorn gthread workers, keep-alive clients, %g s per '
             'measurement.' % (args.clusters, args.templates,
                               args.mysql_driver, args.seconds), '',
             '.. list-table::', '   :header-rows: 1', '',
             '   * - request', '     - workers', '     - clients',
             '     - req/s', '     - p50 ms', '     - p90 ms',
             '     - p99 ms', '     - server CPU ms/req']
    for row in rows:
        if 'rps' not in row:
            continue
        lines += ['   * - %s' % row['name'], '     - %d' % row['workers'],
                  '     - %d' % row['concurrency'],
                  '     - %.0f' % row['rps'], '     - %.1f' % row['p50'],
                  '     - %.1f' % row['p90'], '     - %.1f' % row['p99'],
                  '     - %.2f' % row['cpu_ms']]
    lines += ['']
    for row in rows:
        if 'rss' in row:
            lines.append('Largest API worker after the run, %d worker(s): '
                         'RSS %.0f MiB, PSS %.0f MiB, USS %.0f MiB.' % (
                             row['workers'], row['rss'], row['pss'],
                             row['uss']))
            lines.append('')
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
