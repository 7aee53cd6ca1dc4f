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

"""Upgrades of Heat Kubernetes clusters (kubernetes/upgrade.py,
node_drain.py): which members move when, and what the Kubernetes API is
asked around each batch (cordon, evictions, uncordon).

The passes talk to ``API`` below, which answers at the kubernetes
client's REST layer (``client.rest_client.request``) as the API
reference documents kube-apiserver's answers: a JSON merge patch of a
node, pods listed by ``fieldSelector=spec.nodeName``, the policy/v1
Eviction subresource answering 201, or 429 with the Status object the
API's eviction documentation shows when a PodDisruptionBudget forbids
it. These answers are written from the documentation, NOT recorded
from a kube-apiserver (none runs here), and no TLS is involved: the
connection with the cluster's CA and Magnum's certificate is the
prober's (``probe.connected``), tested in test_k8s_health.py and the
functional test_kubernetes_health.py. Heat's side is the functional
tests' (test_heat_kubernetes.py, test_heat_swarm.py).
"""

import json
import types
import urllib.parse

import pytest

from magnum.drivers.heat import rolling
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.k8s_vm import driver as vm_driver
from magnum.drivers.heat.kubernetes import node_drain
from magnum.drivers.heat.kubernetes import upgrade

UUID_M = '11111111-1111-1111-1111-111111111111'
UUID_W = '22222222-2222-2222-2222-222222222222'
OLD = ('fcos-39', 'v1.29.8')
NEW = ('fcos-40', 'v1.30.4')
PDB_REFUSAL = {
    'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
    'status': 'Failure',
    'message': 'Cannot evict pod as it would violate the pod\'s '
               'disruption budget.',
    'reason': 'TooManyRequests',
    'details': {'causes': [{
        'reason': 'DisruptionBudget',
        'message': 'The disruption budget web-pdb needs 2 healthy pods '
                   'and has 2 currently'}]},
    'code': 429}


def nodegroup(uuid, name, role, count, release=OLD, batch=None):
    saved = []
    made = types.SimpleNamespace(
        uuid=uuid, name=name, role=role, node_count=count, is_default=True,
        image_id=release[0], labels={'kube_tag': release[1]},
        upgrade_batch_size=batch, saved=saved)
    made.save = lambda: saved.append(made.upgrade_batch_size)
    return made


def node_name(nodegroup, member):
    return 'k8s-%s-%s' % (nodegroup.name, member)


def a_node(name, version=OLD[1], boot='boot-1'):
    return {'metadata': {'name': name, 'annotations': {}},
            'spec': {},
            'status': {'conditions': [{'type': 'Ready', 'status': 'True'}],
                       'nodeInfo': {'kubeletVersion': version,
                                    'bootID': boot}}}


def a_pod(name, node, namespace='default', daemonset=False, mirror=False):
    metadata = {'name': name, 'namespace': namespace, 'annotations': {}}
    if daemonset:
        metadata['ownerReferences'] = [{'kind': 'DaemonSet', 'name': 'ds',
                                        'controller': True}]
    if mirror:
        metadata['annotations'][node_drain.MIRROR] = 'x'
    return {'metadata': metadata, 'spec': {'nodeName': node},
            'status': {'phase': 'Running'}}


def merge(target, patch):
    """RFC 7386, what the API applies for application/merge-patch+json."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            merge(target.setdefault(key, {}), value)
        else:
            target[key] = value


class Response:
    def __init__(self, status, body):
        self.status = status
        self.data = json.dumps(body).encode()


class API:
    """Nodes and pods, answering as documented (see the module's doc);
    ``calls`` records (method, path) and ``events`` what was done."""

    def __init__(self):
        self.nodes = {}
        self.pods = []
        self.protected = set()
        self.events = []
        self.calls = []
        self.configuration = types.SimpleNamespace(host='https://api')
        self.rest_client = self

    def request(self, method, url, headers=None, body=None,
                _request_timeout=None):
        parsed = urllib.parse.urlsplit(url)
        path, query = parsed.path, urllib.parse.parse_qs(parsed.query)
        self.calls.append((method, path))
        parts = path.strip('/').split('/')
        if method == 'GET' and path == '/api/v1/nodes':
            return Response(200, {'kind': 'NodeList', 'metadata': {},
                                  'items': list(self.nodes.values())})
        if method == 'PATCH' and parts[:3] == ['api', 'v1', 'nodes']:
            assert headers['Content-Type'] == 'application/merge-patch+json'
            node = self.nodes.get(parts[3])
            if node is None:
                return Response(404, {'kind': 'Status', 'code': 404})
            merge(node, body)
            self.events.append(('cordon' if body['spec'].get(
                'unschedulable') else 'uncordon', parts[3]))
            return Response(200, node)
        if method == 'GET' and path == '/api/v1/pods':
            field, _, value = query['fieldSelector'][0].partition('=')
            assert field == 'spec.nodeName'
            return Response(200, {'kind': 'PodList', 'metadata': {},
                                  'items': [p for p in self.pods
                                            if p['spec']['nodeName'] ==
                                            value]})
        if method == 'POST' and parts[-1] == 'eviction':
            assert body['apiVersion'] == 'policy/v1'
            namespace, name = parts[3], parts[5]
            if name in self.protected:
                return Response(429, PDB_REFUSAL)
            pod = next((p for p in self.pods
                        if p['metadata']['name'] == name and
                        p['metadata']['namespace'] == namespace), None)
            if pod is None:
                return Response(404, {'kind': 'Status', 'code': 404})
            self.pods.remove(pod)
            self.events.append(('evict', '%s/%s' % (namespace, name)))
            return Response(201, {'kind': 'Status', 'status': 'Success'})
        raise AssertionError('unexpected %s %s' % (method, url))


class Driver(rolling.BatchedUpgrades):
    """The Kubernetes driver's part in a pass, with Heat's update
    recorded (``update_members``) instead of made."""

    def __init__(self, stage):
        self.stage = stage

    def release_fields(self, work, nodegroup):
        return {'image': nodegroup.image_id,
                'kube_tag': nodegroup.labels['kube_tag']}

    def node_name(self, work, nodegroup, member):
        return node_name(nodegroup, member)

    def update_members(self, work, batch):
        self.stage.updates.append(batch)
        self.stage.events.append(('update', batch))
        work.upgrade_members = batch
        self.stage.store()


class Stage:
    """One master and two workers, their nodes Ready on OLD."""

    def __init__(self, masters=1, workers=2):
        self.master = nodegroup(UUID_M, 'default-master', 'master',
                                masters)
        self.worker = nodegroup(UUID_W, 'default-worker', 'worker',
                                workers)
        template = types.SimpleNamespace(labels={}, image_id=OLD[0])
        cluster = types.SimpleNamespace(
            uuid='33333333-3333-3333-3333-333333333333', name='k8s',
            labels={'fixed_subnet_cidr': '10.9.0.0/24'},
            coe_version=OLD[1])
        states, _new = definition.plan(cluster, template,
                                       [self.master, self.worker])
        self.work = types.SimpleNamespace(
            nodegroups=[self.master, self.worker], states=states,
            template=template, cluster=cluster, upgrade_members={},
            stored_template={})
        self.api = API()
        self.events = self.api.events
        self.updates = []
        self.driver = Driver(self)
        self.store()
        for ng in (self.master, self.worker):
            for member in states[definition.nodegroup_key(ng)].members:
                name = node_name(ng, member)
                self.api.nodes[name] = a_node(name)
                self.api.pods.append(a_pod('app-%s' % name, name))
                self.api.pods.append(a_pod('proxy-%s' % name, name,
                                           'kube-system', daemonset=True))

    def store(self):
        """The stored template as Heat keeps it after an update with the
        driver's member_values."""
        resources = {}
        for ng in self.work.nodegroups:
            key = definition.nodegroup_key(ng)
            nodes = {m: self.driver.member_values(self.work, ng, m)
                     for m in self.work.states[key].members}
            resources[key] = {'properties': {
                'node_properties': {'nodes': nodes}}}
        self.work.stored_template = {'resources': resources}
        self.work.upgrade_members = {}

    def start(self, batch=1):
        for ng in (self.master, self.worker):
            ng.image_id, ng.labels = NEW[0], {'kube_tag': NEW[1]}
            ng.upgrade_batch_size = 1 if ng.role == 'master' else batch

    def step(self, starting=False):
        return upgrade.Upgrade(self.work, self.api, self.driver).step(
            starting)

    def drive(self, starting=False):
        """Passes until one updates the stack (the first evicts, the
        next finds the pods gone), as the request's passes and the
        status sync's go on."""
        for _pass in range(3):
            progress = self.step(starting)
            if progress.updated or progress.finished:
                return progress
        return progress

    def rebuild(self, batch):
        """What Heat and the rebuilt server's kubelet do: a new boot of
        the new release registers under the same name, Ready."""
        for key, members in batch.items():
            ng = self.master if key == definition.nodegroup_key(
                self.master) else self.worker
            for member in members:
                node = self.api.nodes[node_name(ng, member)]
                node['status']['nodeInfo'].update(
                    kubeletVersion=NEW[1], bootID='boot-2')
                self.events.append(('ready', node_name(ng, member)))


def test_versions():
    assert upgrade.same_version('v1.30.4', 'v1.30.4-rancher1')
    assert not upgrade.same_version('v1.29.8', 'v1.30.4')
    assert upgrade.same_version('anything', '')


def test_a_node_is_back_when_ready_on_a_new_boot_of_the_release():
    node = a_node('n', version=NEW[1])
    assert upgrade.is_back(node, NEW[1])
    node['metadata']['annotations'][node_drain.ANNOTATION] = json.dumps(
        {'bootID': 'boot-1'})
    assert not upgrade.is_back(node, NEW[1])  # not rebuilt yet
    node['status']['nodeInfo']['bootID'] = 'boot-2'
    assert upgrade.is_back(node, NEW[1])
    node['status']['conditions'][0]['status'] = 'Unknown'
    assert not upgrade.is_back(node, NEW[1])
    assert not upgrade.is_back(None, NEW[1])
    assert not upgrade.is_back(a_node('n'), NEW[1])  # old kubelet


def test_drain_leaves_daemonset_and_static_pods():
    assert not node_drain.to_evict(a_pod('p', 'n', daemonset=True))
    assert not node_drain.to_evict(a_pod('p', 'n', mirror=True))
    assert node_drain.to_evict(a_pod('p', 'n'))


def test_masters_then_workers_each_cordoned_drained_rebuilt_uncordoned(
        magnum_config):
    stage = Stage()
    stage.start(batch=1)
    master = definition.nodegroup_key(stage.master)
    worker = definition.nodegroup_key(stage.worker)
    progress = stage.step(starting=True)
    assert not progress.updated
    assert progress.message == ('Upgrading nodegroup default-master: '
                                'draining node(s) k8s-default-master-0, '
                                '1 pod(s) to leave')
    progress = stage.step(starting=True)
    assert progress.updated and stage.updates == [{master: ['0']}]
    assert 'rebuilding k8s-default-master-0 (0 of 1 done)' in \
        progress.message
    # The stack is still updating: the master is not back.
    progress = stage.step()
    assert not progress.updated
    assert 'waiting for node(s) k8s-default-master-0' in progress.message
    for _round in range(2):
        stage.rebuild(stage.updates[-1])
        progress = stage.drive()
        assert progress.updated
    stage.rebuild(stage.updates[-1])
    progress = stage.drive()
    assert progress.finished
    assert stage.updates == [{master: ['0']}, {worker: ['0']},
                             {worker: ['1']}]
    m0, w0, w1 = ('k8s-default-master-0', 'k8s-default-worker-0',
                  'k8s-default-worker-1')
    # Each node: cordoned, its own pod evicted (not the DaemonSet's),
    # its server updated, Ready on the new kubelet, uncordoned; the
    # next batch only then.
    assert stage.events == [
        ('cordon', m0), ('evict', 'default/app-%s' % m0),
        ('update', {master: ['0']}), ('ready', m0),
        ('uncordon', m0), ('cordon', w0), ('evict', 'default/app-%s' % w0),
        ('update', {worker: ['0']}), ('ready', w0),
        ('uncordon', w0), ('cordon', w1), ('evict', 'default/app-%s' % w1),
        ('update', {worker: ['1']}), ('ready', w1), ('uncordon', w1)]
    for node in stage.api.nodes.values():
        assert not node['spec'].get('unschedulable')
        assert node_drain.ANNOTATION not in node['metadata']['annotations']
    assert stage.work.cluster.coe_version == NEW[1]
    assert stage.master.upgrade_batch_size is None
    assert stage.worker.upgrade_batch_size is None
    # Each member's release, as the stack stores it.
    assert rolling.stored_value(stage.work.stored_template, worker, '1',
                                'kube_tag') == NEW[1]


def test_workers_in_batches_of_max_batch_size(magnum_config):
    stage = Stage(workers=3)
    stage.start(batch=2)
    stage.master.upgrade_batch_size = None  # only the workers
    stage.master.image_id, stage.master.labels = OLD[0], {
        'kube_tag': OLD[1]}
    worker = definition.nodegroup_key(stage.worker)
    stage.drive(starting=True)
    stage.rebuild(stage.updates[-1])
    stage.drive()
    assert stage.updates == [{worker: ['0', '1']}, {worker: ['2']}]


def test_a_budget_refusing_past_the_drain_timeout_fails_the_upgrade(
        magnum_config):
    magnum_config.config(group='heat_driver', drain_timeout=10)
    stage = Stage()
    stage.start()
    stage.api.protected.add('app-k8s-default-master-0')
    progress = stage.step()
    assert not progress.updated
    assert 'eviction of default/app-k8s-default-master-0 refused for ' \
        'now: Cannot evict pod' in progress.message
    node = stage.api.nodes['k8s-default-master-0']
    mark = node_drain.mark_of(node)
    assert node['spec']['unschedulable'] and mark['bootID'] == 'boot-1'
    # Still refused past the drain timeout: the batch is uncordoned and
    # the upgrade stops, naming the node, the batch and the pod.
    mark['since'] -= 11
    node['metadata']['annotations'][node_drain.ANNOTATION] = json.dumps(
        mark)
    with pytest.raises(rolling.UpgradeBlocked) as raised:
        stage.step()
    message = str(raised.value)
    assert 'node k8s-default-master-0 of nodegroup default-master' in \
        message
    assert 'pod default/app-k8s-default-master-0' in message
    assert 'drain_timeout' in message
    assert not node['spec'].get('unschedulable')
    assert stage.updates == []


def test_pods_still_terminating_past_the_timeout_do_not_hold_it_up(
        magnum_config):
    magnum_config.config(group='heat_driver', drain_timeout=10)
    stage = Stage()
    stage.start()
    pod = next(p for p in stage.api.pods
               if p['metadata']['name'] == 'app-k8s-default-master-0')
    pod['metadata']['deletionTimestamp'] = '2026-12-06T10:00:00Z'
    progress = stage.step()
    assert not progress.updated and '1 pod(s) to leave' in \
        progress.message
    node = stage.api.nodes['k8s-default-master-0']
    mark = node_drain.mark_of(node)
    mark['since'] -= 11
    node['metadata']['annotations'][node_drain.ANNOTATION] = json.dumps(
        mark)
    assert stage.step().updated
    assert stage.updates == [{definition.nodegroup_key(stage.master):
                              ['0']}]


def test_a_node_that_never_registered_is_rebuilt_without_a_drain(
        magnum_config):
    stage = Stage()
    stage.start()
    del stage.api.nodes['k8s-default-master-0']
    assert stage.step().updated
    assert not any(e[0] == 'cordon' for e in stage.events)


def test_an_api_that_does_not_answer(magnum_config):
    stage = Stage()
    stage.start()

    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, 'Connection refused')
    stage.api.request = refused
    with pytest.raises(node_drain.APIError, match='refused'):
        stage.step()


class Work:
    def __init__(self, stage, moved=None):
        self.template = stage.work.template
        self.cluster = stage.work.cluster
        self.stored_template = stage.work.stored_template
        self.upgrade_members = moved or {}


def test_each_member_keeps_its_release_until_its_batch(magnum_config):
    stage = Stage()
    driver = vm_driver.KubernetesVMDriver()
    key = definition.nodegroup_key(stage.worker)
    stage.worker.image_id = NEW[0]
    stage.worker.labels = {'kube_tag': NEW[1]}
    old = {'image': OLD[0], 'kube_tag': OLD[1]}
    new = {'image': NEW[0], 'kube_tag': NEW[1]}
    assert driver.member_values(Work(stage), stage.worker, '0') == old
    assert driver.member_values(Work(stage, {key: ['0']}), stage.worker,
                                '0') == new
    # A member the stack does not have yet gets the nodegroup's release.
    assert driver.member_values(Work(stage), stage.worker, '7') == new
    # A member of a stack made before members carried a kube_tag: the
    # cluster's.
    nodes = stage.work.stored_template['resources'][key]['properties'][
        'node_properties']['nodes']
    del nodes['1']['kube_tag']
    assert driver.member_values(Work(stage), stage.worker, '1') == old


def test_the_request_records_the_new_kube_tag():
    driver = vm_driver.KubernetesVMDriver()
    stage = Stage()
    template = types.SimpleNamespace(labels={'kube_tag': NEW[1],
                                             'etcd_tag': 'v3.5.15'})
    driver.record_upgrade(None, stage.work.cluster, template, stage.worker)
    assert stage.worker.labels == {'kube_tag': NEW[1],
                                   'etcd_tag': 'v3.5.15'}
    assert stage.work.cluster.labels['kube_tag'] == NEW[1]


# -- the same requests over TLS, to the stand-in API on loopback --------------

@pytest.fixture
def standin_api(kubernetes_api):
    """The Kubernetes API stand-in (``kubernetes_api``) with two nodes, a
    pod of each and a DaemonSet's."""
    api, client, module = kubernetes_api([a_node('n-0'), a_node('n-1')])
    for name in ('n-0', 'n-1'):
        api.pods.create('default', a_pod('app-' + name, name))
    api.pods.create('kube-system', a_pod('proxy-n-0', 'n-0',
                                         'kube-system', daemonset=True))
    return api, client, module


def test_cordon_drain_uncordon_through_the_standin_api(standin_api):
    api, client, module = standin_api
    nodes = node_drain.list_nodes(client)
    assert sorted(nodes) == ['n-0', 'n-1']
    patched = node_drain.cordon(client, nodes['n-0'], now=1000)
    assert patched['spec']['unschedulable'] is True
    assert node_drain.mark_of(patched) == {
        'since': 1000, 'bootID': 'boot-1', 'kubeletVersion': OLD[1]}
    # The DaemonSet's pod stays; the other is evicted, then gone.
    assert node_drain.drain(client, 'n-0') == (['default/app-n-0'], [])
    assert api.pods.evicted == [('default', 'app-n-0')]
    assert node_drain.drain(client, 'n-0') == ([], [])
    # A PodDisruptionBudget refusing: 429, the API's reason.
    api.pods.refused.add(('default', 'app-n-1'))
    left, refused = node_drain.drain(client, 'n-1')
    assert left == ['default/app-n-1']
    assert refused == [('default/app-n-1', module.PDB_REFUSAL)]
    back = node_drain.uncordon(client, 'n-0')
    assert 'unschedulable' not in back['spec']
    assert node_drain.ANNOTATION not in back['metadata'].get(
        'annotations', {})
    assert node_drain.uncordon(client, 'gone') is None
