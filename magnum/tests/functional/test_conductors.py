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

"""Several magnum-conductor processes sharing the work (issue 4).

A real deployment (magnum-api and two magnum-conductor processes on
RabbitMQ and MariaDB) builds real clusters with the local Docker driver,
through the REST API:

- every operation is processed exactly once: clusters created at once
  each get one ``create.start`` and one ``create.end`` notification and
  exactly their node containers in the engine;
- periodic work is split: each conductor syncs the clusters the hash ring
  gives it, and no cluster is synced by both;
- ``kill -9`` of the conductor in the middle of a create: every cluster
  still ends in a terminal status within ``lock_timeout`` +
  ``service_down_time`` + the time a create takes;
- delete always works: a DELETE in the middle of a create stops the
  create and deletes the cluster, nothing left in the engine;
- a create and a delete whose casts were lost (purged from the queue while
  no conductor ran) are carried out by the clusters' owners, and so are a
  resize and a nodegroup create (recorded by the API, replayed once a
  ``lock_timeout`` has passed, each once, ending UPDATE_COMPLETE with the
  nodes asked for);
- a RabbitMQ outage (a private RabbitMQ node of this test): calls answer
  503 with a clear message within the RPC timeout, and once the broker is
  back both sides reconnect and a new create is processed.

Needs root, the private Docker engine of ``tools/docker-engine.sh`` (started
here, with the node image built when missing), RabbitMQ on 127.0.0.1:5672,
MariaDB and ``rabbitmq-server``; without them the tests skip, under
``CI=true`` they fail. Run them alone with::

    python -m pytest -q -s magnum/tests/functional/test_conductors.py
"""

import collections
import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import docker
import docker.errors
import pytest
import sqlalchemy as sa

from magnum.conductor import hash_ring
from magnum.db import migration
from magnum.db.sqlalchemy import models
from magnum.drivers.local import nodes
from magnum.tests import db_backends
from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

IMAGE = docker_engine.IMAGE
RABBITMQ_SERVER = os.environ.get('MAGNUM_TEST_RABBITMQ_SERVER',
                                 '/usr/lib/rabbitmq/bin/rabbitmq-server')


# Small values, so that a dead conductor's work moves quickly.
LOCK_TIMEOUT = 10
SERVICE_DOWN_TIME = 15
REPORT_INTERVAL = 2
SYNC_INTERVAL = 2
RPC_CALL_TIMEOUT = 5
# The RPC timeout of the outage test: a call while the broker is down must
# answer 503 within it.
OUTAGE_CALL_TIMEOUT = 15
# How long one 1+1 cluster may take to build on a loaded machine.
CREATE_TIME = 150
CLUSTERS = 4

TERMINAL = ('CREATE_COMPLETE', 'CREATE_FAILED')
# Where any operation of these tests ends.
SETTLED = TERMINAL + ('UPDATE_COMPLETE', 'UPDATE_FAILED')


# -- the REST API -------------------------------------------------------------

class Api:
    """JSON over HTTP to magnum-api (noauth: every request is an admin)."""

    def __init__(self, url):
        self.url = url

    def request(self, method, path, body=None, timeout=60):
        """(status, parsed JSON body or text)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={'Content-Type': 'application/json',
                     'Accept': 'application/json',
                     'OpenStack-API-Version': 'container-infra latest'})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors='replace')

    def ok(self, method, path, body=None, expect=(200, 201, 202, 204)):
        status, answer = self.request(method, path, body)
        assert status in expect, '%s %s: %s %s' % (method, path, status,
                                                   answer)
        return answer

    def cluster(self, ident):
        status, answer = self.request('GET', '/v1/clusters/%s' % ident)
        if status == 404:
            return None
        assert status == 200, (status, answer)
        return answer

    def create_cluster(self, template, name):
        return self.ok('POST', '/v1/clusters', {
            'name': name, 'cluster_template_id': template,
            'master_count': 1, 'node_count': 1, 'create_timeout': 10})[
                'uuid']

    def conductors(self):
        """{host: state} of the conductors in /v1/mservices."""
        services_ = self.ok('GET', '/v1/mservices')['mservices']
        return {s['host']: s['state'] for s in services_
                if s['binary'] == 'magnum-conductor'}

    def wait_terminal(self, uuids, timeout, statuses=TERMINAL):
        """{uuid: (cluster, seconds it took)} once every cluster has one
        of ``statuses``."""
        start = time.monotonic()
        done = {}
        while True:
            for ident in uuids:
                if ident in done:
                    continue
                cluster = self.cluster(ident)
                if cluster is not None and cluster['status'] in statuses:
                    done[ident] = (cluster, time.monotonic() - start)
            if len(done) == len(uuids):
                return done
            if time.monotonic() - start > timeout:
                left = {ident: (lambda c: c and (c['status'],
                                                 c['status_reason']))(
                    self.cluster(ident)) for ident in uuids
                    if ident not in done}
                pytest.fail('after %ds these clusters are not in %s: %s' % (
                    timeout, statuses, left))
            time.sleep(1)

    def delete_clusters(self, uuids, timeout):
        """Delete the clusters and wait until they are gone; a delete
        that fails fails the test with its reason."""
        for ident in uuids:
            self.ok('DELETE', '/v1/clusters/%s' % ident,
                    expect=(202, 204, 404))

        def gone():
            left = [self.cluster(ident) for ident in uuids]
            failed = {c['uuid']: c['status_reason'] for c in left
                      if c is not None and c['status'] == 'DELETE_FAILED'}
            assert not failed, failed
            return all(c is None for c in left)

        processes.wait_for(gone, timeout, interval=1,
                           message='clusters %s to be deleted' %
                           ', '.join(uuids))


def _template(api, name):
    return api.ok('POST', '/v1/clustertemplates', {
        'name': name, 'coe': 'swarm-mode', 'server_type': 'container',
        'image_id': IMAGE, 'external_network_id': 'host',
        'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small'})['uuid']


# -- what the conductors wrote ------------------------------------------------

LOG_LINE = re.compile(r'^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) '
                      r'(?P<pid>\d+) (?P<level>[A-Z]+) (?P<logger>\S+) '
                      r'(?P<message>.*)$')
NOTIFICATION_LOGGER = 'oslo.messaging.notification.'
SYNC_LINE = re.compile(r'Status sync by (?P<host>\S+): \d+ of \d+ clusters '
                       r'in progress are its own: (?P<uuids>.*)$')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}')
RING_LINE = re.compile(r'Conductors sharing the clusters: (?P<hosts>.*)$')


def conductor_log(deployment, host):
    """The log records of one conductor: dicts of LOG_LINE's groups."""
    path = os.path.join(deployment.directory,
                        'magnum-conductor-%s.log' % host)
    records = []
    if not os.path.exists(path):
        return records
    with open(path, errors='replace') as handle:
        for line in handle:
            match = LOG_LINE.match(line.rstrip('\n'))
            if match:
                records.append(match.groupdict())
    return records


def notifications(deployment):
    """[(host, event_type, cluster uuid)] of every cluster notification
    the conductors sent (the ``log`` notification driver writes them into
    their logs)."""
    found = []
    for host in deployment.conductors:
        for record in conductor_log(deployment, host):
            if not record['logger'].startswith(NOTIFICATION_LOGGER):
                continue
            message = record['message']
            # (A record logged while an exception is handled ends with it.)
            body, _end = json.JSONDecoder().raw_decode(
                message[message.index('{'):])
            found.append((host, body['event_type'],
                          body['payload']['cluster_uuid']))
    return found


def event_counts(deployment, uuids):
    """{uuid: Counter(event_type)} for the clusters ``uuids``."""
    counts = {ident: collections.Counter() for ident in uuids}
    for _host, event, ident in notifications(deployment):
        if ident in counts:
            counts[ident][event] += 1
    return counts


def create_handled_by(deployment, ident):
    """The conductors that sent ``create.start`` for the cluster."""
    return sorted(host for host, event, cluster in notifications(deployment)
                  if event == 'magnum.cluster.create.start' and
                  cluster == ident)


def log_messages(deployment, text, hosts=None):
    """[(host, message)] of the records containing ``text``."""
    return [(host, record['message'])
            for host in hosts or deployment.conductors
            for record in conductor_log(deployment, host)
            if text in record['message']]


# -- the engine ---------------------------------------------------------------

def engine_state(engine, ident):
    """(containers, networks, volumes) of one cluster in the engine."""
    labels = {'label': '%s=%s' % (nodes.LABEL_CLUSTER, ident)}
    return (engine.containers.list(all=True, filters=labels),
            engine.networks.list(filters=labels),
            engine.volumes.list(filters=labels))


def _lock_of(db_url, ident):
    """(holder, operation) of the cluster's lock while it is held, or
    None."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            table = models.ClusterLock.__table__
            row = connection.execute(sa.select(
                table.c.holder, table.c.operation).where(
                    table.c.cluster_uuid == ident,
                    table.c.token.is_not(None))).first()
    finally:
        engine.dispose()
    return tuple(row) if row else None


def remove_from_engine(engine, uuids):
    for ident in uuids:
        containers, networks, volumes = engine_state(engine, ident)
        for container in containers:
            with contextlib.suppress(docker.errors.DockerException):
                container.remove(force=True, v=True)
        for network in networks:
            with contextlib.suppress(docker.errors.DockerException):
                network.remove()
        for volume in volumes:
            with contextlib.suppress(docker.errors.DockerException):
                volume.remove(force=True)


def assert_one_node_each(engine, ident):
    """Exactly one manager and one worker container, one network."""
    containers, networks, _volumes = engine_state(engine, ident)
    roles = collections.Counter(c.labels.get(nodes.LABEL_ROLE)
                                for c in containers)
    names = [c.name for c in containers]
    assert roles == {nodes.ROLE_MASTER: 1, nodes.ROLE_WORKER: 1}, (
        ident, names)
    assert len(set(names)) == len(names) == 2, names
    assert all(c.status == 'running' for c in containers), [
        (c.name, c.status) for c in containers]
    assert len(networks) == 1, [n.name for n in networks]


# -- fixtures -----------------------------------------------------------------


def _settings(docker_host, prefix, extra=None):
    settings = {
        'DEFAULT': {'report_interval': REPORT_INTERVAL,
                    'service_down_time': SERVICE_DOWN_TIME},
        'conductor': {'lock_timeout': LOCK_TIMEOUT,
                      'sync_interval': SYNC_INTERVAL,
                      'rpc_call_timeout': RPC_CALL_TIMEOUT},
        'kubernetes': {'health_polling_interval': 10},
        # Notifications land in the conductors' logs, where the test
        # counts them.
        'oslo_messaging_notifications': {'driver': 'log'},
        'local_driver': {'docker_host': docker_host, 'name_prefix': prefix,
                         'node_ready_timeout': 120, 'drain_timeout': 5},
    }
    for section, options in (extra or {}).items():
        settings.setdefault(section, {}).update(options)
    return settings


def _forget_other_conductors(db_url):
    """Rows of conductors of earlier test modules (stopped, but up for
    service_down_time yet) would own a share of the clusters."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            table = models.MagnumService.__table__
            connection.execute(table.delete().where(
                table.c.binary == 'magnum-conductor'))
    finally:
        engine.dispose()


def _start(deployment, hosts):
    try:
        deployment.start()
        for host in hosts:
            deployment.start_conductor(host)
        api = Api(deployment.url)
        processes.wait_for(
            lambda: all(api.conductors().get(h) == 'up' for h in hosts),
            60, interval=1, message='conductors %s up in /v1/mservices' %
            ', '.join(hosts))
    except BaseException:
        print(deployment.logs())
        deployment.stop()
        raise
    return api


class Cluster:
    """The two-conductor deployment and what the tests made in it."""

    def __init__(self, deployment, api, engine, hosts):
        self.deployment = deployment
        self.api = api
        self.engine = engine
        self.hosts = hosts
        self.made = []
        self.template = None

    def ring(self):
        return hash_ring.HashRing(self.hosts)


@pytest.fixture(scope='module')
def two(migrated_db_url, docker_host, engine, tmp_path_factory):
    """magnum-api and two conductors; every cluster made is deleted and
    its containers removed afterwards, whatever happened."""
    rabbit = processes.require_rabbitmq()
    _forget_other_conductors(migrated_db_url)
    suffix = uuid.uuid4().hex[:4]
    hosts = ['conductor-a%s' % suffix, 'conductor-b%s' % suffix]
    deployment = services.Deployment(
        tmp_path_factory.mktemp('conductors'), migrated_db_url, rabbit,
        config=_settings(docker_host, 'mc%s' % suffix), conductors=0)
    api = _start(deployment, hosts)
    state = Cluster(deployment, api, engine, hosts)
    # Up in /v1/mservices is not yet seen by the other: wait until each
    # conductor's ring has both, so no cluster made from now on is synced
    # by a conductor that thinks it is alone.
    both = ', '.join(sorted(hosts))
    processes.wait_for(
        lambda: all(log_messages(deployment, 'sharing the clusters: ' +
                                 both, hosts=[host]) for host in hosts),
        30, interval=0.5, message='both conductors in both rings')
    try:
        state.template = _template(api, 'two-conductors-%s' % suffix)
        yield state
    finally:
        try:
            left = [c for c in state.made if api.cluster(c) is not None]
            if left and any(p.running() for p in
                            deployment.conductors.values()):
                with contextlib.suppress(BaseException):
                    api.wait_terminal(left, CREATE_TIME, statuses=SETTLED)
                with contextlib.suppress(BaseException):
                    api.delete_clusters(left, 60)
            with contextlib.suppress(BaseException):
                api.request('DELETE', '/v1/clustertemplates/%s' %
                            state.template)
        finally:
            deployment.stop()
            remove_from_engine(engine, state.made)


def _create_concurrently(state, count, prefix):
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        made = list(pool.map(
            lambda n: state.api.create_cluster(
                state.template, '%s-%d' % (prefix, n)), range(count)))
    state.made.extend(made)
    return made


@pytest.fixture(scope='module')
def created(two):
    """CLUSTERS clusters created at once (more when the ring gave one
    conductor none of them, so that each has some to sync), and how long
    they took."""
    uuids = _create_concurrently(two, CLUSTERS, 'together')
    ring = two.ring()
    while len({ring.owner(ident) for ident in uuids}) < 2:
        uuids += _create_concurrently(two, 1, 'extra%d' % len(uuids))
    done = two.api.wait_terminal(uuids, CREATE_TIME + 60)
    return uuids, done


# -- (a) every operation exactly once -----------------------------------------

def test_every_create_is_processed_exactly_once(two, created):
    uuids, done = created
    failed = {ident: cluster['status_reason']
              for ident, (cluster, _took) in done.items()
              if cluster['status'] != 'CREATE_COMPLETE'}
    assert not failed, '%s\n%s' % (failed, two.deployment.logs())
    print('\n%d clusters created at once took %s s' % (
        len(uuids), sorted(round(took) for _c, took in done.values())))
    for ident, (cluster, _took) in done.items():
        assert (cluster['master_count'], cluster['node_count']) == (1, 1)
        assert len(cluster['master_addresses']) == 1, cluster
        assert len(cluster['node_addresses']) == 1, cluster
        assert_one_node_each(two.engine, ident)
    counts = event_counts(two.deployment, uuids)
    for ident in uuids:
        assert counts[ident] == {'magnum.cluster.create.start': 1,
                                 'magnum.cluster.create.end': 1}, (
            ident, counts[ident])
    # Both conductors took casts only when there were enough of them to
    # go round; what matters is that nobody did any twice.
    handlers = {ident: create_handled_by(two.deployment, ident)
                for ident in uuids}
    assert all(len(h) == 1 for h in handlers.values()), handlers
    assert not log_messages(two.deployment, 'ignoring a repeated create')
    # One conductor at a time per cluster: nobody lost a lock to another
    # taker while its operation ran.
    assert not log_messages(two.deployment, 'lost the lock'), \
        log_messages(two.deployment, 'lost the lock')


# -- (b) periodic work split --------------------------------------------------

def test_periodic_work_is_split_by_the_ring(two, created):
    uuids, _done = created
    conductors = two.api.conductors()
    assert all(conductors.get(host) == 'up' for host in two.hosts), \
        conductors
    both = ', '.join(sorted(two.hosts))
    ring = two.ring()
    synced_by = collections.defaultdict(set)
    for host in two.hosts:
        records = conductor_log(two.deployment, host)
        rings = [(index, RING_LINE.search(r['message']).group('hosts'))
                 for index, r in enumerate(records)
                 if RING_LINE.search(r['message'])]
        # Each saw both conductors before the clusters existed, and the
        # ring never changed afterwards (nobody flapped down).
        assert rings and rings[-1][1] == both, (host, rings)
        assert [hosts for _i, hosts in rings].count(both) == 1, (host,
                                                                 rings)
        mine = set()
        for record in records[rings[-1][0]:]:
            match = SYNC_LINE.search(record['message'])
            if match:
                assert match.group('host') == host
                # (DEBUG records end with the function and file.)
                mine.update(UUID.findall(match.group('uuids')))
        mine &= set(uuids)
        for ident in mine:
            synced_by[ident].add(host)
        # Each conductor synced exactly the clusters the ring gives it.
        assert mine == {u for u in uuids if ring.owner(u) == host}, (
            host, sorted(mine))
        assert mine, '%s synced none of %s' % (host, uuids)
    twice = {ident: hosts for ident, hosts in synced_by.items()
             if len(hosts) > 1}
    assert not twice, twice
    assert set(synced_by) == set(uuids)


# -- (c) kill -9 in the middle of a create ------------------------------------

def test_kill_9_during_a_create_ends_every_cluster(two, created):
    # The clusters of (a) are complete: the ring is stable, two conductors.
    uuids = _create_concurrently(two, 2, 'killed')
    victim_cluster = uuids[0]

    def mid_create():
        handlers = create_handled_by(two.deployment, victim_cluster)
        containers, _n, _v = engine_state(two.engine, victim_cluster)
        return handlers and containers and handlers[0]

    victim = processes.wait_for(mid_create, 60, interval=0.2,
                                message='the create to start its nodes')
    cluster = two.api.cluster(victim_cluster)
    assert cluster['status'] == 'CREATE_IN_PROGRESS', cluster
    held = _lock_of(two.deployment.db_url, victim_cluster)
    two.deployment.conductors[victim].stop(signal.SIGKILL)
    killed_at = time.monotonic()
    print('\nkilled %s while it created %s (%s)' % (
        victim, victim_cluster, cluster['status_reason']))
    try:
        done = two.api.wait_terminal(
            uuids, LOCK_TIMEOUT + SERVICE_DOWN_TIME + CREATE_TIME)
        took = time.monotonic() - killed_at
        print('every cluster terminal %.0f s after the kill: %s' % (
            took, {ident: (c['status'], round(t)) for ident, (c, t) in
                   done.items()}))
        for ident, (cluster, _t) in done.items():
            if cluster['status'] == 'CREATE_FAILED':
                assert cluster['status_reason'], cluster
            else:
                assert_one_node_each(two.engine, ident)
        survivor = [h for h in two.hosts if h != victim][0]
        if held == (victim, 'create'):
            # The survivor found the dead conductor's lock and repaired
            # its create.
            takeovers = [(h, m) for h, m in log_messages(
                two.deployment, 'expired without being released') if
                victim_cluster in m]
            assert takeovers and all(h == survivor and victim in m
                                     for h, m in takeovers), takeovers
            assert done[victim_cluster][0]['status'] == 'CREATE_FAILED' or \
                log_messages(two.deployment, '%s: resuming the interrupted '
                             'create' % victim_cluster, hosts=[survivor])
        counts = event_counts(two.deployment, uuids)
        for ident in uuids:
            ended = counts[ident]['magnum.cluster.create.end'] + \
                counts[ident]['magnum.cluster.create.error']
            assert ended == 1, (ident, counts[ident])
    finally:
        # The victim comes back under its name and takes its share again.
        two.deployment.start_conductor(victim)
        processes.wait_for(lambda: two.api.conductors().get(victim) == 'up',
                           60, interval=1, message='%s up again' % victim)


def _mid_create(two, ident):
    """The conductor creating the cluster once it has started nodes."""
    def started():
        handlers = create_handled_by(two.deployment, ident)
        containers, _n, _v = engine_state(two.engine, ident)
        return handlers and containers and handlers[0]
    return processes.wait_for(started, 60, interval=0.2,
                              message='the create of %s to start its '
                              'nodes' % ident)


def _wait_gone(api, ident, timeout, never=()):
    """Poll until the cluster is gone; every status it had meanwhile.
    Fails at once when it shows one of ``never``."""
    seen = []

    def gone():
        cluster = api.cluster(ident)
        if cluster is None:
            return True
        if not seen or seen[-1][0] != cluster['status']:
            seen.append((cluster['status'], cluster['status_reason']))
        assert cluster['status'] not in never, seen
        return False

    processes.wait_for(gone, timeout, interval=0.5,
                       message='cluster %s to be deleted' % ident)
    return seen


def test_delete_during_a_create_deletes_the_cluster(two, created):
    # Delete always works: the create stops, the delete waits for it (and
    # past a lock_timeout leaves it to the cluster's owner), the cluster
    # is removed with everything the create made.
    ident = _create_concurrently(two, 1, 'deleted-early')[0]
    creator = _mid_create(two, ident)
    assert two.api.cluster(ident)['status'] == 'CREATE_IN_PROGRESS'
    asked = time.monotonic()
    two.api.ok('DELETE', '/v1/clusters/%s' % ident, expect=(204,))
    try:
        seen = _wait_gone(two.api, ident, LOCK_TIMEOUT + CREATE_TIME,
                          never=('DELETE_FAILED', 'CREATE_FAILED',
                                 'CREATE_COMPLETE'))
    except BaseException:
        print(two.deployment.logs())
        raise
    took = time.monotonic() - asked
    handed_over = [host for host, _m in log_messages(
        two.deployment, 'handed over to the status sync') if ident in _m]
    print('\ncreate of %s by %s deleted %.0f s after the DELETE (%s); '
          'statuses meanwhile: %s' % (
              ident, creator, took,
              'the delete waited for the create' if not handed_over else
              'handed over by %s to the owner' % handed_over[0], seen))
    assert engine_state(two.engine, ident) == ([], [], [])
    counts = event_counts(two.deployment, [ident])[ident]
    assert counts == {'magnum.cluster.create.start': 1,
                      'magnum.cluster.create.error': 1,
                      'magnum.cluster.delete.start': 1,
                      'magnum.cluster.delete.end': 1}, counts
    assert _lock_of(two.deployment.db_url, ident) is None


def _purge_conductor_queue(deployment):
    """Drop every message waiting for a conductor: casts lost as when
    the broker lost them or a conductor died before taking them."""
    import kombu
    url = deployment.settings['DEFAULT']['transport_url']
    with kombu.Connection(url.replace('rabbit://', 'amqp://')) as connection:
        return connection.default_channel.queue_purge(deployment.topic)


def _store_cluster_as_the_api_does(two, name):
    """A cluster whose create request was lost: stored as POST /v1/clusters
    stores it (CREATE_IN_PROGRESS, its default nodegroups), never cast.

    Sending it through the API while no conductor runs is no longer
    possible with the local driver: its checks are an RPC call to a
    conductor since they left the API, and such a POST answers 503."""
    from magnum.db.sqlalchemy import api as sqlalchemy_api
    from magnum.tests.unit.db import utils as db_utils
    template = two.api.ok('GET', '/v1/clustertemplates/%s' % two.template)
    dbapi = sqlalchemy_api.Connection(two.deployment.db_url)
    try:
        cluster = dbapi.create_cluster(
            db_utils.get_test_cluster(
                name=name, project_id='admin', user_id='admin',
                cluster_template_id=two.template, keypair=None, labels={},
                master_flavor_id=None, flavor_id=None,
                docker_volume_size=None, create_timeout=10,
                floating_ip_enabled=False),
            nodegroups=db_utils.default_nodegroups(
                1, 1, image_id=template['image_id'], flavor_id=None))
        return cluster.uuid
    finally:
        dbapi.dispose()


def test_lost_create_and_delete_are_carried_out(two, created):
    uuids, done = created
    doomed = uuids[0]
    assert done[doomed][0]['status'] == 'CREATE_COMPLETE'
    for host in two.hosts:
        two.deployment.conductors[host].stop()
    try:
        lost_create = _store_cluster_as_the_api_does(two, 'lost-create')
        two.made.append(lost_create)
        two.api.ok('DELETE', '/v1/clusters/%s' % doomed, expect=(204,))
        purged = _purge_conductor_queue(two.deployment)
        print('\npurged %s messages of %s' % (purged, two.deployment.topic))
        assert purged == 1
        assert two.api.cluster(lost_create)['status'] == \
            'CREATE_IN_PROGRESS'
    finally:
        for host in two.hosts:
            two.deployment.start_conductor(host)
    restarted = time.monotonic()
    try:
        cluster, _t = two.api.wait_terminal(
            [lost_create], LOCK_TIMEOUT + CREATE_TIME)[lost_create]
        assert cluster['status'] == 'CREATE_COMPLETE', cluster
        _wait_gone(two.api, doomed, LOCK_TIMEOUT + 60,
                   never=('DELETE_FAILED',))
    except BaseException:
        print(two.deployment.logs())
        raise
    print('lost create complete and lost delete done %.0f s after the '
          'restart' % (time.monotonic() - restarted))
    assert_one_node_each(two.engine, lost_create)
    assert engine_state(two.engine, doomed) == ([], [], [])
    ring = two.ring()
    for ident, operation in ((lost_create, 'create'), (doomed, 'delete')):
        resumed = log_messages(two.deployment, '%s: resuming the %s' % (
            ident, operation))
        # By its owner, once.
        assert [host for host, _m in resumed] == [ring.owner(ident)], \
            resumed
    counts = event_counts(two.deployment, [lost_create, doomed])
    assert counts[lost_create] == {'magnum.cluster.create.start': 1,
                                   'magnum.cluster.create.end': 1}, counts
    assert counts[doomed]['magnum.cluster.delete.start'] == 1, counts
    assert counts[doomed]['magnum.cluster.delete.end'] == 1, counts


def _requests_on_record(db_url, uuids):
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            table = models.ClusterRequest.__table__
            return connection.execute(sa.select(
                table.c.cluster_uuid, table.c.operation).where(
                    table.c.cluster_uuid.in_(uuids))).all()
    finally:
        engine.dispose()


def test_lost_resize_and_nodegroup_create_are_carried_out(two, created):
    # Their casts are lost as the create's were above; the API recorded
    # each request, and the cluster's owner replays it a lock_timeout
    # after it was asked for.
    uuids, done = created
    resized, grown = uuids[1], uuids[2]
    for ident in (resized, grown):
        assert two.api.cluster(ident)['status'] == 'CREATE_COMPLETE'
    for host in two.hosts:
        two.deployment.conductors[host].stop()
    try:
        two.api.ok('POST', '/v1/clusters/%s/actions/resize' % resized,
                   {'node_count': 2}, expect=(202,))
        added = two.api.ok('POST', '/v1/clusters/%s/nodegroups' % grown,
                           {'name': 'lostng', 'node_count': 1},
                           expect=(202,))
        asked = time.monotonic()
        purged = _purge_conductor_queue(two.deployment)
        print('\npurged %s messages of %s' % (purged, two.deployment.topic))
        assert purged == 2
        assert two.api.cluster(resized)['status'] == 'UPDATE_IN_PROGRESS'
        assert sorted(_requests_on_record(two.deployment.db_url,
                                          [resized, grown])) == sorted([
            (resized, 'resize'), (grown, 'create nodegroup')])
    finally:
        for host in two.hosts:
            two.deployment.start_conductor(host)
    try:
        finished = two.api.wait_terminal(
            [resized, grown], LOCK_TIMEOUT + CREATE_TIME,
            statuses=('UPDATE_COMPLETE', 'UPDATE_FAILED'))
        for ident, (cluster, _took) in finished.items():
            assert cluster['status'] == 'UPDATE_COMPLETE', cluster
    except BaseException:
        print(two.deployment.logs())
        raise
    took = time.monotonic() - asked
    print('lost resize and nodegroup create complete %.0f s after they '
          'were asked for (lock_timeout %d s)' % (took, LOCK_TIMEOUT))
    # What was asked for, in Magnum and in the engine.
    cluster = finished[resized][0]
    assert cluster['node_count'] == 2, cluster
    assert len(cluster['node_addresses']) == 2, cluster
    workers = two.api.ok('GET', '/v1/clusters/%s/nodegroups/default-worker'
                         % resized)
    assert (workers['node_count'], workers['status']) == (
        2, 'UPDATE_COMPLETE'), workers
    nodegroup = two.api.ok('GET', '/v1/clusters/%s/nodegroups/%s' % (
        grown, added['uuid']))
    assert (nodegroup['node_count'], nodegroup['status']) == (
        1, 'CREATE_COMPLETE'), nodegroup
    roles = {ident: collections.Counter(
        c.labels.get(nodes.LABEL_ROLE) for c in
        engine_state(two.engine, ident)[0] if c.status == 'running')
        for ident in (resized, grown)}
    assert roles == {ident: {nodes.ROLE_MASTER: 1, nodes.ROLE_WORKER: 2}
                     for ident in (resized, grown)}, roles
    # Replayed by the cluster's owner, once; nothing left on record.
    ring = two.ring()
    for ident, operation in ((resized, 'resize'),
                             (grown, 'create nodegroup')):
        replayed = log_messages(two.deployment, '%s: replaying the %s '
                                'request' % (ident, operation))
        assert [host for host, _m in replayed] == [ring.owner(ident)], \
            replayed
    assert _requests_on_record(two.deployment.db_url,
                               [resized, grown]) == []
    counts = event_counts(two.deployment, [resized])[resized]
    assert counts['magnum.cluster.update.start'] == 1, counts
    assert counts['magnum.cluster.update.end'] == 1, counts


def test_delete_everything(two, created):
    uuids = [c for c in two.made if two.api.cluster(c) is not None]
    two.api.wait_terminal(uuids, CREATE_TIME, statuses=SETTLED)
    two.api.delete_clusters(uuids, 120)
    for ident in uuids:
        assert engine_state(two.engine, ident) == ([], [], [])
    counts = event_counts(two.deployment, uuids)
    for ident in uuids:
        assert counts[ident]['magnum.cluster.delete.start'] == 1, (
            ident, counts[ident])
        assert counts[ident]['magnum.cluster.delete.end'] == 1, (
            ident, counts[ident])
    prefix = two.deployment.settings['local_driver']['name_prefix'] + '-'
    assert not [c.name for c in two.engine.containers.list(all=True)
                if c.name.startswith(prefix)]


# -- (d) RabbitMQ outage ------------------------------------------------------

def _free_port():
    return services.free_port()


def _port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


class PrivateRabbit:
    """A RabbitMQ node of its own (name, ports, data and logs in a
    directory of the test, its own epmd), that the test stops and starts.
    """

    def __init__(self, directory):
        self.directory = str(directory)
        self.port = _free_port()
        self.dist_port = _free_port()
        self.epmd_port = _free_port()
        self.node = 'magnumtest%s@localhost' % uuid.uuid4().hex[:6]
        self.url = 'rabbit://guest:guest@127.0.0.1:%d/' % self.port
        self.epmd = None
        self.server = None
        home = os.path.join(self.directory, 'home')
        os.makedirs(home, exist_ok=True)
        config = os.path.join(self.directory, 'rabbitmq.conf')
        with open(config, 'w') as handle:
            handle.write('listeners.tcp.local = 127.0.0.1:%d\n' % self.port)
        for name, text in (('env.conf', ''), ('enabled_plugins', '[].\n')):
            with open(os.path.join(self.directory, name), 'w') as handle:
                handle.write(text)
        self.env = dict(
            os.environ, HOME=home,
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONFIG_FILE=config,
            RABBITMQ_CONF_ENV_FILE=os.path.join(self.directory, 'env.conf'),
            RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.directory,
                                                       'enabled_plugins'),
            RABBITMQ_MNESIA_BASE=os.path.join(self.directory, 'mnesia'),
            RABBITMQ_LOG_BASE=os.path.join(self.directory, 'log'),
            RABBITMQ_PID_FILE=os.path.join(self.directory, 'node.pid'),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
                '-kernel inet_dist_use_interface {127,0,0,1}'),
            ERL_EPMD_ADDRESS='127.0.0.1',
            ERL_EPMD_PORT=str(self.epmd_port))
        self._out = open(os.path.join(self.directory, 'rabbit.out'), 'ab')

    def _spawn(self, argv):
        return subprocess.Popen(argv, stdout=self._out,
                                stderr=subprocess.STDOUT, env=self.env,
                                start_new_session=True,
                                preexec_fn=processes.die_with_parent,
                                cwd=self.directory)

    def start(self, timeout=60):
        if self.epmd is None:
            # In the foreground, so that it ends with the test (an epmd the
            # node started itself would be a daemon outliving it).
            self.epmd = self._spawn([shutil.which('epmd') or 'epmd',
                                     '-port', str(self.epmd_port),
                                     '-address', '127.0.0.1'])
            processes.wait_for(lambda: _port_open(self.epmd_port), 10,
                               message='epmd on %d' % self.epmd_port)
        self.server = self._spawn([RABBITMQ_SERVER])
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.server.poll() is not None or \
                    time.monotonic() > deadline:
                raise RuntimeError('RabbitMQ node %s did not start:\n%s' % (
                    self.node, self.output()))
            time.sleep(0.2)
        return self

    def stop(self, timeout=60):
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(10)
        processes.wait_for(lambda: not _port_open(self.port), 30,
                           message='RabbitMQ to close port %d' % self.port)

    def close(self):
        self.stop()
        if self.epmd is not None and self.epmd.poll() is None:
            self.epmd.terminate()
            try:
                self.epmd.wait(10)
            except subprocess.TimeoutExpired:
                self.epmd.kill()
                self.epmd.wait(10)
        self._out.close()

    def output(self):
        with open(os.path.join(self.directory, 'rabbit.out'),
                  errors='replace') as handle:
            return handle.read()[-3000:]


@pytest.fixture
def private_rabbit(tmp_path):
    if not os.path.exists(RABBITMQ_SERVER) or not shutil.which('epmd'):
        docker_engine.unavailable('a private RabbitMQ node needs %s and epmd' %
                     RABBITMQ_SERVER)
    rabbit = PrivateRabbit(tmp_path / 'rabbit')
    try:
        rabbit.start()
    except RuntimeError as error:
        rabbit.close()
        docker_engine.unavailable(str(error))
    yield rabbit
    rabbit.close()


@pytest.fixture
def own_db_url(tmp_path):
    """A database of its own: the conductors of this deployment must not
    join the ring of another."""
    with db_backends.provisioned_database('mysql', tmp_path) as url:
        migration.upgrade(url=url)
        yield url


def _timed(api, method, path, body=None):
    started = time.monotonic()
    status, answer = api.request(method, path, body, timeout=120)
    return status, answer, time.monotonic() - started


def test_rabbitmq_outage_503_then_reconnect(private_rabbit, own_db_url,
                                            docker_host, engine, tmp_path):
    suffix = uuid.uuid4().hex[:4]
    host = 'conductor-r%s' % suffix
    deployment = services.Deployment(
        tmp_path / 'magnum', own_db_url, private_rabbit.url, api_workers=1,
        conductors=0, config=_settings(docker_host, 'mr%s' % suffix, {
            'conductor': {'rpc_call_timeout': OUTAGE_CALL_TIMEOUT},
            # Reconnect every second or two, not after up to 30 s.
            'oslo_messaging_rabbit': {'rabbit_retry_interval': 1,
                                      'rabbit_retry_backoff': 1,
                                      'rabbit_interval_max': 2}}))
    os.makedirs(deployment.directory, exist_ok=True)
    api = _start(deployment, [host])
    made = []
    ca_path = None
    try:
        template = _template(api, 'outage-%s' % suffix)
        before = api.create_cluster(template, 'before-outage')
        made.append(before)
        ca_path = '/v1/certificates/%s' % before
        cluster, _took = api.wait_terminal([before], CREATE_TIME)[before]
        assert cluster['status'] == 'CREATE_COMPLETE', cluster
        status, answer = api.request('GET', ca_path)
        assert status == 200 and 'BEGIN CERTIFICATE' in answer['pem'], (
            status, answer)

        private_rabbit.stop()
        print()
        # A call (twice: the second finds the connection already broken).
        for _attempt in range(2):
            status, answer, took = _timed(api, 'GET', ca_path)
            print('RabbitMQ down, GET %s: %d after %.1f s: %s' % (
                ca_path, status, took, answer))
            assert status == 503, (status, answer)
            assert took <= OUTAGE_CALL_TIMEOUT + 2, took
            assert 'message broker is unavailable' in \
                answer['errors'][0]['detail'], answer
        # A cast: the create is refused at once and says why, rather than
        # hang or leave a cluster in progress that no conductor heard of.
        status, answer, took = _timed(api, 'POST', '/v1/clusters', {
            'name': 'during-outage', 'cluster_template_id': template,
            'master_count': 1, 'node_count': 1})
        print('RabbitMQ down, POST /v1/clusters: %d after %.1f s: %s' % (
            status, took, answer))
        assert status == 503, (status, answer)
        assert took <= OUTAGE_CALL_TIMEOUT + 2, took
        during = api.cluster('during-outage')
        if during is not None:
            made.append(during['uuid'])
            assert during['status'] == 'CREATE_FAILED', during
            assert 'could not be reached' in during['status_reason'], during
        # What needs no conductor still works.
        assert api.cluster(before)['status'] == 'CREATE_COMPLETE'

        private_rabbit.start()
        started = time.monotonic()
        processes.wait_for(
            lambda: api.request('GET', ca_path)[0] == 200, 90, interval=1,
            message='the API and the conductor to reconnect to RabbitMQ')
        print('calls answered again %.1f s after RabbitMQ was back' % (
            time.monotonic() - started))
        after = api.create_cluster(template, 'after-outage')
        made.append(after)
        cluster, _took = api.wait_terminal([after], CREATE_TIME)[after]
        assert cluster['status'] == 'CREATE_COMPLETE', cluster
        assert_one_node_each(engine, after)
        assert api.conductors() == {host: 'up'}
        counts = event_counts(deployment, [before, after])
        for ident in (before, after):
            assert counts[ident] == {'magnum.cluster.create.start': 1,
                                     'magnum.cluster.create.end': 1}, (
                ident, counts[ident])
        # The failed one is deleted like the others.
        api.delete_clusters(made, 120)
        for ident in made:
            assert engine_state(engine, ident) == ([], [], [])
        api.ok('DELETE', '/v1/clustertemplates/%s' % template)
    except BaseException:
        print(deployment.logs())
        raise
    finally:
        deployment.stop()
        remove_from_engine(engine, made)
