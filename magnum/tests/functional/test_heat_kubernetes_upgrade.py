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

"""An upgrade of a k8s_vm cluster's workers through a real magnum-api and
magnum-conductor and the cloud-in-a-box's real Keystone and Heat, on
KUBERNETES STAND-IN NODES (``kubernetes_node_image``: the Nova stand-in
runs tools/cloud-in-a-box/standins/kubernetes/kubernetes_node.py instead
of the user data; its first lines say what it proves and what not: no
kubelet, pod or real API server runs).

A cluster of 1 master and 2 workers on kube_tag OLD is upgraded (default
worker nodegroup, ``max_batch_size`` 1) to a template of another image
tag and kube_tag NEW. A watcher reads the master's stand-in API (as
system:masters, with a client certificate Magnum signs) every half
second during the upgrade and the test checks what it saw: each worker
cordoned while it still ran OLD, then Ready on NEW and schedulable
again, one worker at a time; a pod placed on each worker evicted; the
master never cordoned; the cluster ``UPDATE_COMPLETE`` with
``coe_version`` NEW and the workers' servers on the new image. Then the
only master (etcd on a volume, as a master's upgrade needs): cordoned,
replaced while its API is down, back on NEW.
"""

import json
import os
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from magnum.common import secret_files
from magnum.drivers.heat.kubernetes import node_drain
from magnum.drivers.heat.kubernetes import probe
from magnum.drivers.heat.kubernetes import upgrade
from magnum.tests.functional import kubernetes_node_image
from magnum.tests.functional import test_heat_swarm as heat_swarm

# The swarm module's fixtures: a running Magnum on the cloud-in-a-box,
# and a project member calling it who deletes what it made.
from magnum.tests.functional.test_heat_swarm import deployment  # noqa: F401
from magnum.tests.functional.test_heat_swarm import stage  # noqa: F401

OLD, NEW = 'v1.30.5', 'v1.31.2'
CREATE_TIMEOUT = 300
UPGRADE_TIMEOUT = 600


@pytest.fixture(scope='module')
def images(engine, docker_host):
    """The stand-in node image, and the same under a second tag (the
    upgrade's new image, so that Nova's stand-in rebuilds)."""
    old = kubernetes_node_image.build(engine)
    repository = old.rpartition(':')[0]
    new_tag = 'u%s' % os.urandom(3).hex()
    engine.images.get(old).tag(repository, new_tag)
    new = '%s:%s' % (repository, new_tag)
    yield old, new
    engine.images.remove(new)  # the tag only


class Watcher:
    """The cluster's stand-in API read as system:masters with the client
    Magnum uses (``probe._client``); ``seen`` is each node's sequence of
    (cordoned, Ready, kubelet version), one entry per change, and
    ``when`` the moment of each."""

    def __init__(self, caller, cluster):
        uuid = cluster['uuid']
        ca = caller.call('GET', '/certificates/%s' % uuid,
                         status=200).json()['pem']
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, 'upgrade-watcher'),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'system:masters')])
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            subject).sign(key, hashes.SHA256())
        cert = caller.call('POST', '/certificates', {
            'cluster_uuid': uuid, 'csr': csr.public_bytes(
                serialization.Encoding.PEM).decode()}, 201).json()['pem']
        self.files = secret_files.PrivateFiles({
            'ca.crt': ca, 'client.crt': cert,
            'client.key': key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())})
        self.client = probe._client(cluster['api_address'], self.files)
        self.seen = {}
        self.when = {}
        self._stop = threading.Event()
        self._thread = None

    def nodes(self):
        return node_drain.list_nodes(self.client)

    def look(self):
        try:
            nodes = self.nodes()
        except node_drain.APIError:
            return
        moment = time.monotonic()
        for name, node in nodes.items():
            state = (bool(node['spec'].get('unschedulable')),
                     upgrade.is_ready(node),
                     node_drain.node_info(node).get('kubeletVersion'))
            states = self.seen.setdefault(name, [])
            if not states or states[-1] != state:
                states.append(state)
                self.when.setdefault(name, []).append(moment)

    def _run(self):
        while not self._stop.is_set():
            self.look()
            self._stop.wait(0.5)

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(10)

    def close(self):
        self.client.close()
        self.files.close()


def _post_pod(watcher, name, node):
    """A pod bound to ``node`` (the stand-in keeps it until evicted)."""
    response = watcher.client.rest_client.request(
        'POST', watcher.client.configuration.host +
        '/api/v1/namespaces/default/pods',
        headers={'Content-Type': 'application/json'},
        body={'apiVersion': 'v1', 'kind': 'Pod',
              'metadata': {'name': name, 'namespace': 'default'},
              'spec': {'nodeName': node}})
    assert response.status == 201, response.read()


def test_workers_upgraded_one_at_a_time_cordoned_then_ready_again(
        stage, images):  # noqa: F811
    old_image, new_image = images
    cidr = heat_swarm._cidr()
    fields = dict(coe='kubernetes', cluster_distro='fedora-coreos',
                  name='k8s-upgrade-%s' % os.urandom(3).hex())
    # etcd on a volume: what an upgrade of the masters needs.
    template = stage.template(old_image, labels={
        'fixed_subnet_cidr': cidr, 'kube_tag': OLD,
        'etcd_volume_size': '1'}, **fields)
    uuid = stage.cluster(template, masters=1, workers=2)
    cluster = stage.wait(uuid, 'CREATE_COMPLETE', timeout=CREATE_TIMEOUT)
    assert cluster['coe_version'] == OLD
    fields['name'] += '-new'
    target = stage.template(new_image, labels={
        'fixed_subnet_cidr': cidr, 'kube_tag': NEW,
        'etcd_volume_size': '1'}, **fields)
    stage.state.update(uuid=uuid, target=target)

    watcher = Watcher(stage, cluster)
    nodes = watcher.nodes()
    workers = sorted(n for n in nodes if '-default-worker-' in n)
    masters = sorted(n for n in nodes if '-default-master-' in n)
    assert len(workers) == 2 and len(masters) == 1, sorted(nodes)
    for worker in workers:
        _post_pod(watcher, 'app-%s' % worker, worker)
    watcher.start()
    started = time.monotonic()
    try:
        stage.call('POST', '/clusters/%s/actions/upgrade' % uuid, {
            'cluster_template': target['uuid'], 'max_batch_size': 1,
            'nodegroup': 'default-worker'}, 202)
        assert stage.show(uuid)['status'] == 'UPDATE_IN_PROGRESS'
        cluster = stage.wait(uuid, 'UPDATE_COMPLETE',
                             timeout=UPGRADE_TIMEOUT)
        watcher.stop()
        watcher.look()
        pods = [node_drain.pods_on(watcher.client, w) for w in workers]
    finally:
        watcher.stop()
        watcher.close()
    print('heat k8s_vm: upgrade of 2 workers, batch 1, on stand-in nodes: '
          '%.1f s; the API saw %s' % (time.monotonic() - started,
                                      json.dumps(watcher.seen)))
    assert cluster['coe_version'] == NEW

    # Each worker: cordoned on OLD, then Ready on NEW and schedulable.
    spans = []
    for worker in workers:
        states, when = watcher.seen[worker], watcher.when[worker]
        assert states[0] == (False, True, OLD), states
        cordoned = states.index((True, True, OLD))
        back = states.index((False, True, NEW))
        assert cordoned < back, states
        assert states[-1] == (False, True, NEW), states
        spans.append((when[cordoned], when[back]))
    # One at a time: the second worker cordoned once the first was back
    # (in the same pass, which uncordons one then cordons the next: the
    # same look may see both).
    spans.sort()
    assert spans[0][1] <= spans[1][0], (spans, watcher.seen)
    assert watcher.seen[masters[0]] == [(False, True, OLD)]
    assert pods == [[], []]   # both workers' pods evicted

    servers = heat_swarm._server_containers(stage.engine, cluster)
    for host, container in servers.items():
        wanted = new_image if '-default-worker-' in host else old_image
        assert wanted in container.image.tags, (host,
                                                container.image.tags)


def test_then_the_only_master(stage, images):  # noqa: F811
    """The master's nodegroup after the workers': cordoned, its server
    replaced (the API is down meanwhile: the passes say so and try
    again), back on NEW. The stand-in master's API keeps its nodes in
    memory, so the new master's API starts empty and every node
    registers again (a real one keeps them in etcd, on its volume)."""
    uuid = stage.state['uuid']
    cluster = stage.show(uuid)
    watcher = Watcher(stage, cluster)
    master = next(n for n in watcher.nodes() if '-default-master-' in n)
    watcher.start()
    started = time.monotonic()
    try:
        stage.call('POST', '/clusters/%s/actions/upgrade' % uuid, {
            'cluster_template': stage.state['target']['uuid'],
            'nodegroup': 'default-master'}, 202)
        cluster = stage.wait(uuid, 'UPDATE_COMPLETE',
                             timeout=UPGRADE_TIMEOUT)
        watcher.stop()
        watcher.look()
    finally:
        watcher.stop()
        watcher.close()
    print('heat k8s_vm: upgrade of the only master on stand-in nodes: '
          '%.1f s; the API saw %s' % (time.monotonic() - started,
                                      json.dumps(watcher.seen)))
    states = watcher.seen[master]
    assert states[:2] == [(False, True, OLD),
                          (True, True, OLD)], states
    assert states[-1] == (False, True, NEW), states
    assert all(state[-1] == NEW for state in
               (seen[-1] for seen in watcher.seen.values())), watcher.seen
    assert cluster['coe_version'] == NEW
    servers = heat_swarm._server_containers(stage.engine, cluster)
    assert all(images[1] in c.image.tags for c in servers.values())
