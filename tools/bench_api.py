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

    tools/bench_api.py [--clusters 1000] [--templates 100] [--seconds 8]
                       [--client wrk|python] [--balanced-workers]

It starts magnum-api itself (gunicorn with its gthread workers, or the
opt-in balanced workers with --balanced-workers; noauth) on a MariaDB
database it creates and drops, for each of 1 and 2 workers; loads the
templates and clusters straight into the database; then, with 1 and 4
concurrent keep-alive connections, measures for a few seconds each:

  GET /v1/clusters (a page of 100), GET /v1/clusters/detail (100),
  GET /v1/clustertemplates (100), GET one cluster template,
  POST /v1/clustertemplates, POST /v1/clusters (202).

Two load generators send the requests:

  wrk (the default): one wrk process (Debian's package, installed when
    missing and possible) with one thread and one connection per client,
    driven by tools/bench_api.lua, which gives every POST a name of its
    own (a per-run prefix and a counter) and reports a JSON line; an
    answer other than the request's status (200, or 201 for a template,
    202 for a cluster) counts as an error, like a socket error or timeout.
  python: threads of this process using http.client, as the tool first
    did (errors: statuses from 400 up, socket errors); kept so that
    earlier numbers can be reproduced.

wrk is the default because on a small machine the load generator shares
the cores with the API workers and MariaDB: the Python threads spend about
a third of a millisecond of CPU per request under the GIL, which both takes
CPU from the server and caps the rate measured (roughly half what wrk
drives on 2 cores). Next to the server's CPU per request, the table shows
the load generator's own (wrk's as a child process, or this process's for
python), so what the client cost is visible.

POST /v1/clusters casts to a conductor topic nobody serves, so the API is
measured alone; template validation asks the local Docker driver, so the
private engine must run (tools/docker-engine.sh start) with the node image
built. Results print as a table; --rst writes them for the docs.
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from magnum.tests import db_backends  # noqa: E402
from magnum.tests.functional import processes  # noqa: E402
from magnum.tests.functional import services  # noqa: E402

IMAGE = 'magnum/swarm-node:bookworm-1'
WRK_SCRIPT = os.path.join(ROOT, 'tools', 'bench_api.lua')
WRK_RESULT = 'BENCH_API_RESULT '


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
    # POST cluster is measured on a Heat driver's template (cloud look-ups
    # off, see the deployment's settings): the local driver's checks are
    # an RPC call to a conductor, and this benchmark runs none.
    heat_template = dbapi.create_cluster_template(
        utils.get_test_cluster_template(
            name='bench-heat-template', project_id='admin', user_id='admin',
            coe='kubernetes', server_type='vm', image_id='fedora-coreos',
            cluster_distro='fedora-coreos', driver='k8s_vm',
            network_driver='flannel', volume_driver=None,
            external_network_id='public')).uuid
    dbapi.dispose()
    return made, clusters_made, heat_template


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


def ensure_wrk():
    """The wrk binary; Debian's package is installed when it is missing and
    this user may install packages (root, or sudo without a password)."""
    found = shutil.which('wrk')
    if found:
        return found
    may_install = shutil.which('apt-get') and (
        os.geteuid() == 0 or (shutil.which('sudo') and subprocess.run(
            ['sudo', '-n', 'true'], capture_output=True).returncode == 0))
    if may_install:
        subprocess.run(['bash', '-c', 'source "$0" && apt_install wrk',
                        os.path.join(ROOT, 'tools', 'common.sh')])
        found = shutil.which('wrk')
    if not found:
        sys.exit('wrk is not installed and could not be installed here '
                 '(apt-get install wrk as root); or run with --client '
                 'python for the slower in-process load generator.')
    return found


def wrk_version(wrk):
    output = subprocess.run([wrk, '-v'], capture_output=True,
                            text=True).stdout.split()
    return output[1] if len(output) > 1 else 'unknown version'


def measure_wrk(wrk, port, scenario, concurrency, seconds):
    """One wrk run of a scenario; its result and the CPU seconds wrk used.

    One thread holds all the connections: a second thread would only take
    more CPU from the server on a 2-core machine, and one is far from busy.
    The timeout matches the Python client's: wrk counts slower responses
    as errors and leaves them out of the latencies.
    """
    env = dict(os.environ, BENCH_API_METHOD=scenario.method,
               BENCH_API_PATH=scenario.path)
    env.pop('BENCH_API_BODY', None)
    if scenario.body:
        # The prefix differs on every run, so repeated runs on the same
        # database never send a name twice; the script numbers requests.
        env['BENCH_API_BODY'] = scenario.body('%s-%s-@N@' % (
            scenario.prefix, uuid.uuid4().hex[:12]))
    command = [wrk, '-t1', '-c%d' % concurrency, '-d%ds' % seconds,
               '--timeout', '30s', '--latency', '-s', WRK_SCRIPT,
               'http://127.0.0.1:%d' % port]
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    output = process.stdout.read()
    process.stdout.close()
    # wait4 rather than wait: the resources of this one child, wrk, and
    # nothing else this process may have reaped meanwhile.
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.splitlines()
             if line.startswith(WRK_RESULT)]
    if process.returncode != 0 or not lines:
        raise RuntimeError('%s failed (exit status %d):\n%s' % (
            ' '.join(command), process.returncode, output))
    summary = json.loads(lines[-1][len(WRK_RESULT):])
    done = summary['requests']
    latency = summary['latency_us']
    # wrk's own status errors are the answers above 399; any answer but the
    # scenario's status is one here (a 200 where a 202 was due is wrong too).
    kinds = {kind: number for kind, number in summary['errors'].items()
             if number and kind != 'status'}
    kinds.update(('status %s' % status, number) for status, number
                 in summary['statuses'].items()
                 if int(status) != scenario.status)
    result = {'rps': done / (summary['duration_us'] / 1e6)
              if summary['duration_us'] else 0,
              'p50': latency['p50'] / 1000, 'p90': latency['p90'] / 1000,
              'p99': latency['p99'] / 1000, 'count': done,
              'errors': sum(kinds.values())}
    if kinds:
        # Which kind (a status, timeout, read...) says where to look.
        result['error_kinds'] = kinds
    return result, usage.ru_utime + usage.ru_stime


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


class Scenario:
    """One request shape and the status it answers with. A body, when there
    is one, is a function of the name of the resource the request creates;
    prefix starts those names."""

    def __init__(self, name, method, path, status=200, prefix=None,
                 body=None):
        self.name = name
        self.method = method
        self.path = path
        self.status = status
        self.prefix = prefix
        self.body = body


def scenarios(template_uuids, heat_template):
    def template_body(name):
        # A Heat driver's template with the cloud look-ups off: the API's
        # own work alone. (The local driver's image check is an RPC call
        # to a conductor since it left the API, and this benchmark runs
        # none: POST cluster casts to a topic nobody serves.)
        return json.dumps({'name': name,
                           'coe': 'kubernetes', 'server_type': 'vm',
                           'image_id': 'fedora-coreos',
                           'cluster_distro': 'fedora-coreos',
                           'external_network_id': 'public'})

    def cluster_body(name):
        return json.dumps({'name': name,
                           'cluster_template_id': heat_template,
                           'master_count': 1, 'node_count': 1})

    one = template_uuids[len(template_uuids) // 2]
    return [
        Scenario('GET one template', 'GET', '/v1/clustertemplates/' + one),
        Scenario('GET 100 templates', 'GET',
                 '/v1/clustertemplates?limit=100'),
        Scenario('GET 100 clusters', 'GET', '/v1/clusters?limit=100'),
        Scenario('GET 100 clusters detail', 'GET',
                 '/v1/clusters/detail?limit=100'),
        Scenario('POST template', 'POST', '/v1/clustertemplates', 201,
                 'tb', template_body),
        Scenario('POST cluster', 'POST', '/v1/clusters', 202, 'cb',
                 cluster_body),
    ]


def python_requests(scenario, counter):
    """The Python client's request function for a scenario: names are
    tb-<n> and cb-<n> from one counter per deployment, as they always
    were."""
    if scenario.body is None:
        return lambda: (scenario.method, scenario.path, None)
    return lambda: (scenario.method, scenario.path, scenario.body(
        '%s-%d' % (scenario.prefix, next(counter))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clusters', type=int, default=1000)
    parser.add_argument('--templates', type=int, default=100)
    parser.add_argument('--seconds', type=float, default=8,
                        help='length of each measurement (whole seconds '
                        'with wrk)')
    parser.add_argument('--client', default='wrk', choices=['wrk', 'python'],
                        help='load generator: wrk (default, native, cheap '
                        'on CPU) or python (threads in this process, as '
                        'earlier runs measured)')
    parser.add_argument('--workers', default='1,2')
    parser.add_argument('--concurrency', default='1,4')
    parser.add_argument('--mysql-driver', default='mysqldb',
                        choices=['mysqldb', 'pymysql'],
                        help='mysqldb (mysqlclient, the advised driver) or '
                        'pymysql')
    parser.add_argument('--balanced-workers', action='store_true',
                        help='serve with [api] balanced_workers (the '
                        'opt-in worker that spreads keep-alive connections) '
                        'instead of gunicorn\'s gthread worker')
    parser.add_argument('--rst', help='also write the results here (rst)')
    args = parser.parse_args()
    wrk = None
    if args.client == 'wrk':
        # Before any database or server is set up, so a missing wrk stops
        # the run at once.
        wrk = ensure_wrk()
        args.client_name = 'wrk %s' % wrk_version(wrk)
        if args.seconds != round(args.seconds) or args.seconds < 1:
            # wrk takes whole seconds only.
            args.seconds = max(1, round(args.seconds))
            print('wrk measures whole seconds: %d s per measurement'
                  % args.seconds)
    else:
        args.client_name = 'python'
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
        templates, _, heat_template = load(db_url, args.templates,
                                           args.clusters)
        rabbit = processes.require_rabbitmq()
        for workers in [int(w) for w in args.workers.split(',')]:
            deployment = services.Deployment(
                os.path.join(tmp, 'w%d' % workers), db_url, rabbit,
                config={'local_driver': {'docker_host': docker_host},
                        'cloud_validation': {'enabled': 'false'},
                        'DEFAULT': {'debug': 'false'},
                        'api': {'balanced_workers': args.balanced_workers},
                        'quotas': {'max_clusters_per_project': 10 ** 6}},
                api_workers=workers, conductors=0)
            os.makedirs(deployment.directory, exist_ok=True)
            deployment.start()
            try:
                master = deployment.api.process.pid
                counter = iter(range(10 ** 9))
                for scenario in scenarios(templates, heat_template):
                    for concurrency in [int(c) for c in
                                        args.concurrency.split(',')]:
                        server = [master] + worker_pids(master)
                        cpu_before = cpu_seconds(server)
                        if wrk:
                            result, client_cpu = measure_wrk(
                                wrk, deployment.port, scenario,
                                concurrency, args.seconds)
                        else:
                            # This process's CPU: the client threads, and
                            # the main thread waiting for them.
                            client_before = time.process_time()
                            result = measure(deployment.port,
                                             python_requests(scenario,
                                                             counter),
                                             concurrency, args.seconds)
                            client_cpu = time.process_time() - client_before
                        done = result.pop('count')
                        # Server CPU per request: what the API processes
                        # used, whatever else ran on the machine.
                        result['cpu_ms'] = (cpu_seconds(server) -
                                            cpu_before) * 1000 / max(done, 1)
                        result['client_cpu_ms'] = client_cpu * 1000 / max(
                            done, 1)
                        result.update(name=scenario.name, workers=workers,
                                      concurrency=concurrency)
                        rows.append(result)
                        print('%-26s workers=%d clients=%d  %7.1f req/s  '
                              'p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  '
                              'server CPU %5.2f ms/req  '
                              'client CPU %5.2f ms/req  errors %d%s' % (
                                  scenario.name, workers, concurrency,
                                  result['rps'], result['p50'],
                                  result['p90'], result['p99'],
                                  result['cpu_ms'], result['client_cpu_ms'],
                                  result['errors'],
                                  ' %s' % result['error_kinds']
                                  if result.get('error_kinds') else ''),
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
    title = 'API throughput (tools/bench_api.py, %s client)' % args.client
    lines = [title, '-' * len(title), '',
             '%d clusters, %d templates, MariaDB through %s, noauth, '
             'gunicorn %s workers, %s, %g s per '
             'measurement.' % (args.clusters, args.templates,
                               args.mysql_driver,
                               'balanced' if args.balanced_workers
                               else 'gthread',
                               client_description(args), args.seconds), '',
             '.. csv-table::', '   :header-rows: 1', '',
             '   request, workers, clients, req/s, p50 ms, p90 ms, p99 ms, '
             'server CPU ms/req, client CPU ms/req']
    for row in rows:
        if 'rps' not in row:
            continue
        lines.append('   %s, %d, %d, %.0f, %.1f, %.1f, %.1f, %.2f, %.2f' % (
            row['name'], row['workers'], row['concurrency'], row['rps'],
            row['p50'], row['p90'], row['p99'], row['cpu_ms'],
            row['client_cpu_ms']))
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


def client_description(args):
    if args.client == 'wrk':
        return ('requests sent by %s (one thread, one keep-alive '
                'connection per client)' % args.client_name)
    return ('requests sent by Python http.client threads in the '
            'benchmark process (one keep-alive connection each)')


if __name__ == '__main__':
    main()
