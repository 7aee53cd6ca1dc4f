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

"""A MariaDB restart in the middle of a burst of cluster creates.

A real deployment (magnum-api and one magnum-conductor on the machine's
RabbitMQ and a MariaDB server of this test) builds real clusters with the
local Docker driver. While some creates are in progress the database is
stopped (a clean shutdown, as a restart does), then started again:

- while it is down the API answers 503 in the OpenStack error format,
  saying the database is unavailable, within seconds: never a 500, never
  a hang, nothing about the server (host, port, user) in the answer;
- once it is back every cluster is CREATE_COMPLETE, each with exactly one
  ``create.start`` and one ``create.end`` notification and exactly its
  own containers in the engine. That is the promise, rather than
  CREATE_FAILED: a conductor that meets the outage cannot write a failure
  either, nor release the cluster's lock; the lock expires after
  ``lock_timeout`` and the status sync resumes the create where it was
  cut short (the log says so), as after a conductor's death;
- delete removes every cluster and everything it made.

Needs root, the private Docker engine of ``tools/docker-engine.sh``,
RabbitMQ on 127.0.0.1:5672 and MariaDB's server binaries
(``mariadbd``, ``mariadb-install-db``); without them the test skips,
under ``CI=true`` it fails. Run it alone with::

    python -m pytest -q -s magnum/tests/functional/test_database_outage.py
"""

import os
import time
import uuid

import pytest

from magnum.db import migration
from magnum.tests.functional import docker_engine
from magnum.tests.functional import private_mariadb
from magnum.tests.functional import processes
from magnum.tests.functional import services
from magnum.tests.functional.test_conductors import CREATE_TIME
from magnum.tests.functional.test_conductors import LOCK_TIMEOUT
from magnum.tests.functional.test_conductors import Api
from magnum.tests.functional.test_conductors import _settings
from magnum.tests.functional.test_conductors import _template
from magnum.tests.functional.test_conductors import assert_one_node_each
from magnum.tests.functional.test_conductors import conductor_log
from magnum.tests.functional.test_conductors import engine_state
from magnum.tests.functional.test_conductors import event_counts
from magnum.tests.functional.test_conductors import log_messages
from magnum.tests.functional.test_conductors import remove_from_engine

CLUSTERS = 3
# An answer while the database is down: a refused connection is known at
# once; a few seconds cover a loaded machine.
OUTAGE_ANSWER_TIME = 10
# How long the database stays down: long enough for the conductor to
# meet the outage in the middle of its creates.
OUTAGE = 12
START = 'magnum.cluster.create.start'
ENDS = ('magnum.cluster.create.end', 'magnum.cluster.create.error')


@pytest.fixture
def mariadb(tmp_path):
    missing = private_mariadb.available()
    if missing:
        docker_engine.unavailable('a private MariaDB: %s' % missing)
    server = private_mariadb.PrivateMariaDB(tmp_path / 'mariadb')
    try:
        server.start()
        migration.upgrade(url=server.url)
    except Exception:
        print(server.output())
        server.close()
        raise
    yield server
    server.close()


def _timed(api, method, path, body=None):
    started = time.monotonic()
    status, answer = api.request(method, path, body, timeout=60)
    return status, answer, time.monotonic() - started


def _assert_database_unavailable(api, method, path, body=None):
    status, answer, took = _timed(api, method, path, body)
    print('MariaDB down, %s %s: %d after %.1f s: %s' % (
        method, path, status, took, answer))
    assert status == 503, (method, path, status, answer)
    assert took <= OUTAGE_ANSWER_TIME, (method, path, took)
    error = answer['errors'][0]
    assert error['status'] == 503 and error['code'] == 'server', answer
    assert 'database is unavailable' in error['detail'], answer
    text = str(answer)
    assert 'pymysql' not in text and 'magnum-test' not in text, answer


def _print_story(deployment, uuids):
    """The conductor's log records about each cluster (no tracebacks)."""
    for host in deployment.conductors:
        for record in conductor_log(deployment, host):
            if any(ident in record['message'] for ident in uuids):
                print('%s %s %s %s' % (record['time'], record['level'],
                                       record['logger'],
                                       record['message'][:300]))


def test_mariadb_restart_during_creates(mariadb, docker_host, engine,
                                        tmp_path):
    rabbit = processes.require_rabbitmq()
    suffix = uuid.uuid4().hex[:4]
    host = 'conductor-d%s' % suffix
    deployment = services.Deployment(
        tmp_path / 'magnum', mariadb.url, rabbit, api_workers=1,
        conductors=0, config=_settings(docker_host, 'md%s' % suffix))
    os.makedirs(deployment.directory, exist_ok=True)
    deployment.start_or_explain()
    deployment.start_conductor(host)
    api = Api(deployment.url)
    made = []
    template = None
    try:
        processes.wait_for(lambda: api.conductors().get(host) == 'up', 60,
                           interval=1, message='%s up' % host)
        template = _template(api, 'db-outage-%s' % suffix)
        for index in range(CLUSTERS):
            made.append(api.create_cluster(template, 'burst-%d' % index))
        # The outage starts once the conductor is building clusters.
        processes.wait_for(
            lambda: sum(c[START] for c in
                        event_counts(deployment, made).values()) >= 1,
            60, interval=0.5, message='a create to start')
        before = {ident: api.cluster(ident)['status'] for ident in made}
        print('\nstatuses when MariaDB stops: %s' % before)
        assert 'CREATE_IN_PROGRESS' in before.values(), before

        mariadb.stop()
        stopped = time.monotonic()
        for _attempt in range(2):
            _assert_database_unavailable(api, 'GET', '/v1/clusters')
            _assert_database_unavailable(api, 'GET',
                                         '/v1/clusters/%s' % made[0])
            _assert_database_unavailable(api, 'POST', '/v1/clusters', {
                'name': 'during-outage', 'cluster_template_id': template,
                'master_count': 1, 'node_count': 1})
        time.sleep(max(0, OUTAGE - (time.monotonic() - stopped)))
        mariadb.start()
        print('MariaDB back after %.1f s' % (time.monotonic() - stopped))

        processes.wait_for(
            lambda: api.request('GET', '/v1/clusters')[0] == 200, 30,
            interval=1, message='the API to answer again')
        # Nothing was made while the database was down.
        names = sorted(c['name'] for c in api.ok(
            'GET', '/v1/clusters')['clusters'])
        assert names == ['burst-%d' % n for n in range(CLUSTERS)], names
        done = api.wait_terminal(made, LOCK_TIMEOUT + CREATE_TIME + 60)
        outcome = {ident: (cluster['status'], cluster['status_reason'])
                   for ident, (cluster, _took) in done.items()}
        print('after the restart: %s' % outcome)
        counts = event_counts(deployment, made)
        for ident, (cluster, _took) in done.items():
            assert cluster['status'] == 'CREATE_COMPLETE', (
                ident, cluster['status'], cluster['status_reason'])
            # A create whose conductor took the lock but met the outage
            # before announcing its start (in its check that the cast is
            # no duplicate) is resumed by the status sync, which announces
            # only the end: this catches that.
            assert counts[ident] == {START: 1, ENDS[0]: 1}, (
                ident, counts[ident])
            assert_one_node_each(engine, ident)
        # The outage did cut creates short (else this proved nothing).
        resumed = [ident for ident in made if log_messages(
            deployment, '%s: resuming the interrupted create' % ident)]
        print('creates cut short by the outage and resumed: %s' % resumed)
        assert resumed, 'no create met the outage'
        assert api.conductors() == {host: 'up'}

        api.delete_clusters(made, 180)
        for ident in made:
            assert engine_state(engine, ident) == ([], [], [])
        api.ok('DELETE', '/v1/clustertemplates/%s' % template)
    except BaseException:
        print(deployment.logs())
        print(mariadb.output())
        _print_story(deployment, made)
        raise
    finally:
        deployment.stop()
        remove_from_engine(engine, made)
