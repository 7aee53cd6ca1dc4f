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

"""How much of an API worker's memory is Magnum's, and how much is the
libraries' it is built on.

    tools/api_memory_floor.py [--optimize 0|1|2]

Two processes, each measured after a garbage collection and a malloc_trim:

worker
    The API application as a magnum-api worker loads it (the entry
    point, magnum.conf, the paste pipeline, noauth) on a MariaDB
    database, after it has served one of each request of
    tools/bench_api.py: GET one template, the lists of templates and
    clusters, the detailed list of clusters, POST template (the local
    driver asks the private Docker engine about the image) and POST
    cluster (a cast over RabbitMQ).
floor
    A process that imports exactly the third-party and standard library
    modules the worker ended up with, in the same order, and opens one
    connection to the same database. No Magnum module but the package
    itself (which only picks oslo.service's threading backend).

The floor is what any API built on this dependency set weighs before
its first line of code; the difference is Magnum's own share.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from magnum.tests import db_backends  # noqa: E402
from magnum.tests.functional import processes  # noqa: E402

IMAGE = 'magnum/swarm-node:bookworm-1'

MEASURE = '''
import ctypes, gc
def measured():
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)
    values = {}
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(('VmRSS', 'RssAnon', 'RssFile')):
                values[line.split(':')[0]] = int(line.split()[1]) / 1024
    return values
'''

WORKER = MEASURE + '''
import io, json, sys
from magnum.cmd import api as cmd_api
from magnum.common import service
service.prepare_service(['magnum-api', '--config-file', sys.argv[1]],
                        messaging_opts=False)
from magnum.api import app
application = app.load_app()
template, image = sys.argv[2], sys.argv[3]

def call(method, path, body=b''):
    path, _, query = path.partition('?')
    environ = {
        'REQUEST_METHOD': method, 'PATH_INFO': path, 'QUERY_STRING': query,
        'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
        'HTTP_HOST': 'localhost', 'SCRIPT_NAME': '',
        'SERVER_PROTOCOL': 'HTTP/1.1', 'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(body), 'CONTENT_LENGTH': str(len(body)),
        'CONTENT_TYPE': 'application/json', 'wsgi.errors': sys.stderr,
        'HTTP_OPENSTACK_API_VERSION': 'container-infra latest',
        'wsgi.version': (1, 0), 'wsgi.multithread': True,
        'wsgi.multiprocess': True, 'wsgi.run_once': False}
    answer = {}
    def start_response(status, headers, exc_info=None):
        answer['status'] = int(status.split()[0])
    content = b''.join(application(environ, start_response))
    if answer['status'] >= 300:
        raise SystemExit('%s %s: %s' % (method, path, content[:500]))

call('GET', '/v1/clustertemplates/' + template)
call('GET', '/v1/clustertemplates?limit=100')
call('GET', '/v1/clusters?limit=100')
call('GET', '/v1/clusters/detail?limit=100')
call('POST', '/v1/clustertemplates', json.dumps({
    'name': 'floor-template', 'coe': 'swarm-mode',
    'server_type': 'container', 'image_id': image,
    'external_network_id': 'host'}).encode())
call('POST', '/v1/clusters', json.dumps({
    'name': 'floor-cluster', 'cluster_template_id': template,
    'master_count': 1, 'node_count': 1}).encode())
result = measured()
result['modules'] = [name for name, module in sys.modules.items()
                     if module is not None and name != '__main__']
print(json.dumps(result))
'''

FLOOR = MEASURE + '''
import importlib, json, sys
import magnum  # oslo.service's threading backend, as the worker has it
modules = json.loads(sys.stdin.read())
for name in modules:
    if name.split('.')[0] == 'magnum' or name in sys.modules:
        continue
    try:
        importlib.import_module(name)
    except Exception:
        # A module the worker holds under another name (a private alias
        # some packages install) cannot always be imported by it.
        pass
from oslo_db.sqlalchemy import enginefacade
context = enginefacade.transaction_context()
context.configure(connection=sys.argv[1])
with context.reader.get_engine().connect() as connection:
    connection.exec_driver_sql('SELECT 1').all()
result = measured()
result['modules'] = len(sys.modules)
print(json.dumps(result))
'''


def write_config(directory, db_url, docker_host):
    path = os.path.join(directory, 'magnum.conf')
    with open(path, 'w') as handle:
        handle.write('\n'.join([
            '[DEFAULT]', 'auth_strategy = noauth',
            'transport_url = %s' % processes.require_rabbitmq(),
            'control_exchange = magnum-floor', 'debug = false',
            'log_file = %s' % os.path.join(directory, 'magnum-api.log'),
            '[conductor]', 'topic = magnum-floor-conductor',
            '[database]', 'connection = %s' % db_url,
            '[oslo_messaging_notifications]', 'driver = noop',
            '[local_driver]', 'docker_host = %s' % docker_host, '']))
    return path


def run(code, args, optimize, stdin=None):
    command = [sys.executable] + (['-' + 'O' * optimize] if optimize
                                  else []) + ['-c', code] + args
    result = subprocess.run(command, input=stdin, capture_output=True,
                            text=True, timeout=300, cwd=ROOT,
                            env=dict(os.environ, PYTHONWARNINGS='ignore'))
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--optimize', type=int, choices=[0, 1, 2],
                        default=0, help="Python's -O level for both "
                        "processes (2 drops docstrings and asserts)")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import bench_api
    docker_host = subprocess.run(
        [os.path.join(ROOT, 'tools', 'docker-engine.sh'), 'env'],
        capture_output=True, text=True).stdout.strip().split('=', 1)[-1]
    with tempfile.TemporaryDirectory() as tmp, \
            db_backends.provisioned_database('mysqlclient', tmp) as db_url:
        from magnum.db import migration
        migration.upgrade(url=db_url)
        templates, _ = bench_api.load(db_url, 3, 3)
        config = write_config(tmp, db_url, docker_host)
        worker = run(WORKER, [config, templates[0], IMAGE], args.optimize)
        floor = run(FLOOR, [db_url], args.optimize,
                    stdin=json.dumps(worker['modules']))
    for label, values, modules in (
            ('worker', worker, len(worker['modules'])),
            ('floor (libraries only)', floor, floor['modules'])):
        print('%-24s RSS %5.1f MiB (anonymous %5.1f, files %4.1f), '
              '%d modules' % (label, values['VmRSS'], values['RssAnon'],
                              values['RssFile'], modules))
    print('%-24s RSS %5.1f MiB' % ("Magnum's own share",
                                   worker['VmRSS'] - floor['VmRSS']))


if __name__ == '__main__':
    main()
