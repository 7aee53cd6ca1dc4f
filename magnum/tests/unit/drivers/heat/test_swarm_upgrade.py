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

"""Upgrades of Heat swarm-mode clusters (swarm_vm/upgrade.py): which
members move when, what the swarm is asked to do around each batch
(drain, promote, rejoin, remove, demote), and the driver's refusals.

The passes run against an in-memory swarm that answers the few Docker
API calls the upgrade makes; the real swarm and Heat are in
magnum/tests/functional/test_heat_swarm.py.
"""

import types

import pytest

from magnum.common import exception
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.swarm_vm import driver as swarm_driver
from magnum.drivers.heat.swarm_vm import upgrade

UUID_M = '11111111-1111-1111-1111-111111111111'
UUID_W = '22222222-2222-2222-2222-222222222222'
OLD, NEW = 'node:1', 'node:2'


def nodegroup(uuid, name, role, count, image=OLD, batch=None):
    saved = []
    made = types.SimpleNamespace(
        uuid=uuid, name=name, role=role, node_count=count, is_default=True,
        image_id=image, upgrade_batch_size=batch, node_labels={},
        saved=saved)
    made.save = lambda: saved.append(made.upgrade_batch_size)
    return made


def host(nodegroup, member):
    return 'c-%s-%s' % (nodegroup.name, member)


class Swarm:
    """Nodes by id, as the Docker API describes them, and tasks."""

    def __init__(self, cluster_id='swarm-1'):
        self.cluster_id = cluster_id
        self.nodes = {}
        self.tasks = []
        self.removed = []
        self.count = 0

    def add(self, hostname, role='worker', state='ready', labels=None,
            availability='active', reachable=True):
        self.count += 1
        node_id = 'n%d' % self.count
        attrs = {'ID': node_id, 'Version': {'Index': 1},
                 'Description': {'Hostname': hostname,
                                 'Engine': {'EngineVersion': '20.10'}},
                 'Spec': {'Role': role, 'Availability': availability,
                          'Labels': dict(labels or {})},
                 'Status': {'State': state}}
        if role == 'manager':
            attrs['ManagerStatus'] = {
                'Reachability': 'reachable' if reachable else
                'unreachable'}
        self.nodes[node_id] = attrs
        return node_id

    def by_host(self, hostname):
        return [a for a in self.nodes.values()
                if a['Description']['Hostname'] == hostname]


class Node:
    def __init__(self, swarm, attrs):
        self.swarm = swarm
        self.attrs = attrs
        self.id = attrs['ID']

    def update(self, spec):
        self.attrs['Spec'] = spec


class Client:
    """A node's Docker API: a manager of ``swarm`` (or a worker of it),
    a node that runs a swarm of its own (``own``: the id of that swarm),
    or one that does not answer. A node of its own swarm that is asked
    to join ``swarm`` becomes a new manager entry of it."""

    def __init__(self, swarm, hostname, own=None, answers=True):
        self.cluster = swarm
        self.own = own
        self.answers = answers
        self.hostname = hostname
        self.left = None
        self.joined = None
        self.join_args = None
        self.nodes = types.SimpleNamespace(
            list=lambda: [Node(swarm, a) for a in swarm.nodes.values()],
            get=lambda node_id: Node(swarm, swarm.nodes[node_id]))
        self.api = types.SimpleNamespace(
            tasks=lambda: list(swarm.tasks),
            remove_node=self._remove,
            inspect_swarm=lambda: {'JoinTokens': {'Manager': 'SWMTKN-m'}})
        self.swarm = types.SimpleNamespace(leave=self._leave,
                                           join=self._join)

    def info(self):
        if not self.answers:
            raise upgrade.swarm_api.UNREACHABLE[0]('no answer')
        if self.own:
            return {'Swarm': {'LocalNodeState': 'active',
                              'ControlAvailable': True, 'Nodes': 1,
                              'Cluster': {'ID': self.own}}}
        # A manager as the swarm's record of it says (promoted or not).
        control = any(a['Spec']['Role'] == 'manager' for a in
                      self.cluster.by_host(self.hostname))
        return {'Swarm': {'LocalNodeState': 'active',
                          'ControlAvailable': control,
                          'Nodes': len(self.cluster.nodes),
                          'Cluster': {'ID': self.cluster.cluster_id},
                          'NodeID': self.joined}}

    def _remove(self, node_id, force=False):
        if self.cluster.nodes[node_id]['Spec']['Role'] == 'manager':
            raise upgrade.swarm_api.UNREACHABLE[0]('demote it first')
        del self.cluster.nodes[node_id]
        self.cluster.removed.append(node_id)

    def _leave(self, force=False):
        self.left = force
        self.own = None

    def _join(self, remote_addrs, join_token, listen_addr, advertise_addr):
        self.join_args = {'remote_addrs': remote_addrs,
                          'join_token': join_token,
                          'advertise_addr': advertise_addr}
        self.joined = self.cluster.add(self.hostname, role='manager')

    def close(self):
        pass


class Clients:
    def __init__(self, by_address):
        self.by_address = by_address

    def of(self, address):
        return self.by_address[address]


class Stage:
    """A cluster of one master and two workers (or as given), its stack's
    stored template, and an in-memory swarm with each server in it."""

    def __init__(self, masters=1, workers=2):
        self.master = nodegroup(UUID_M, 'default-master', 'master',
                                masters)
        self.worker = nodegroup(UUID_W, 'default-worker', 'worker',
                                workers)
        template = types.SimpleNamespace(labels={}, image_id=OLD)
        cluster = types.SimpleNamespace(
            uuid='33333333-3333-3333-3333-333333333333', name='c',
            labels={'fixed_subnet_cidr': '10.9.0.0/24'})
        states, _new = definition.plan(cluster, template,
                                       [self.master, self.worker])
        self.work = types.SimpleNamespace(
            nodegroups=[self.master, self.worker], states=states,
            template=template, upgrade_members={}, stored_template={})
        self.store({})
        self.swarm = Swarm()
        self.clients = {}
        for ng in (self.master, self.worker):
            state = states[definition.nodegroup_key(ng)]
            for member in state.members:
                role = 'manager' if ng.role == 'master' else 'worker'
                self.swarm.add(host(ng, member), role=role)
                self.clients[state.addresses[member]] = Client(
                    self.swarm, host(ng, member))
        self.updates = []

    def address(self, ng, member):
        return self.work.states[definition.nodegroup_key(ng)].addresses[
            member]

    def store(self, moved):
        """The stored template as the driver's member_values would have
        written it with ``moved`` ({key: members}) on their new image."""
        resources = {}
        for ng in self.work.nodegroups:
            key = definition.nodegroup_key(ng)
            nodes = {}
            for member in self.work.states[key].members:
                image = ng.image_id if member in moved.get(key, ()) else \
                    upgrade.stored_image(self.work.stored_template, key,
                                         member) or OLD
                nodes[member] = {'image': image}
            resources[key] = {'properties': {
                'node_properties': {'nodes': nodes}}}
        self.work.stored_template = {'resources': resources}

    def update(self, work, batch):
        self.updates.append(batch)

    def step(self, starting=False):
        moving = upgrade.Upgrade(
            self.work, Clients(self.clients), self.update,
            swarm_driver.SwarmModeVMDriver.swarm_labels,
            lambda ng, member: host(ng, member))
        return moving.step(starting)

    def rebuild(self, ng, member, rogue=False, kept=False):
        """What Heat and the node's boot do to a member in a batch: the
        stack stores its new image, the node joins again (as a new
        entry) or, a master alone, starts a swarm of its own, or (Docker
        on a volume, ``kept``) is back under its old entry, whose
        upgrade mark its boot script takes off (boot.py; run for real in
        magnum/tests/functional/test_swarm_node_volume.py)."""
        key = definition.nodegroup_key(ng)
        self.store({key: [member]})
        if kept:
            (attrs,) = self.swarm.by_host(host(ng, member))
            attrs['Status']['State'] = 'ready'
            if 'ManagerStatus' in attrs:
                attrs['ManagerStatus'] = {'Reachability': 'reachable'}
            attrs['Spec']['Labels'].pop(upgrade.REPLACED, None)
            attrs['Spec']['Availability'] = 'active'
        elif rogue:
            self.clients[self.address(ng, member)] = Client(
                self.swarm, host(ng, member), own='swarm-rogue')
        else:
            self.swarm.add(host(ng, member), role='manager'
                           if ng.role == 'master' else 'worker')


def labels_of(swarm, hostname):
    return [a['Spec']['Labels'] for a in swarm.by_host(hostname)]


# -- what the stack and the swarm say ---------------------------------------

def test_host_names_follow_nova():
    assert upgrade.hostname('Magnum-c_1.x-Default Worker-0') == \
        'magnum-c-1-x-default-worker-0'
    assert len(upgrade.hostname('a' * 80)) == 63


def test_stored_image_per_member_else_the_nodegroups():
    stored = {'resources': {'ng_a': {'properties': {'node_properties': {
        'image': 'old-style', 'nodes': {'0': {'image': 'x'}, '1': {}}}}}}}
    assert upgrade.stored_image(stored, 'ng_a', '0') == 'x'
    assert upgrade.stored_image(stored, 'ng_a', '1') == 'old-style'
    assert upgrade.stored_image(stored, 'ng_b', '0') is None


def test_classify():
    stage = Stage()
    stage.worker.image_id = NEW
    stage.store({definition.nodegroup_key(stage.worker): ['0', '1']})
    # worker 0 is back as a new entry; worker 1's only entry is replaced.
    for member in ('0', '1'):
        for attrs in stage.swarm.by_host(host(stage.worker, member)):
            attrs['Spec']['Labels'][upgrade.REPLACED] = '1'
    stage.swarm.add(host(stage.worker, '0'))
    moving = upgrade.Upgrade(stage.work, None, None, None, host)
    members = moving.members(stage.worker)
    done, pending, outdated = upgrade.classify(
        members, NEW, upgrade.swarm_api.list_nodes(
            Client(stage.swarm, host(stage.master, '0'))))
    assert ([m.name for m in done], [m.name for m in pending],
            outdated) == (['0'], ['1'], [])


@pytest.mark.parametrize('managers, down, leaving, needed', [
    (1, 0, 1, 2),   # the only master: two workers hold the quorum
    (3, 0, 1, 0),   # three masters: the other two are a quorum
    (3, 1, 1, 2),   # ... unless one of them is down
    (5, 0, 1, 0)])
def test_promotions_keep_the_quorum(managers, down, leaving, needed):
    nodes = [{'role': 'manager', 'hostname': 'm%d' % i, 'labels': {},
              'state': 'down' if i >= managers - down else 'ready',
              'reachability': 'reachable'} for i in range(managers)]
    assert upgrade.promotions_needed(
        nodes, {'m%d' % i for i in range(leaving)}) == needed


def test_drained_when_no_task_runs_or_after_the_wait():
    marked = {'id': 'n1', 'labels': {upgrade.REPLACED: '1000'}}
    running = [{'NodeID': 'n1', 'Status': {'State': 'running'}}]
    assert not upgrade.drained([marked], running, 1000 + 5)
    assert upgrade.drained([marked], [], 1000 + 5)
    assert upgrade.drained([marked], running,
                           1000 + upgrade.DRAIN_WAIT)


# -- passes ------------------------------------------------------------------

def test_workers_drained_then_rebuilt_in_batches_then_forgotten():
    stage = Stage(workers=3)
    stage.worker.image_id = NEW
    stage.worker.upgrade_batch_size = 2
    w0 = stage.swarm.by_host(host(stage.worker, '0'))[0]['ID']
    stage.swarm.tasks = [{'NodeID': w0, 'Status': {'State': 'running'}}]
    progress = stage.step()
    # The first two are drained and labelled; a task still runs on one.
    assert 'draining' in progress.message and not stage.updates
    for member in ('0', '1'):
        (labels,) = labels_of(stage.swarm, host(stage.worker, member))
        assert upgrade.REPLACED in labels
    assert stage.swarm.nodes[w0]['Spec']['Availability'] == 'drain'
    assert labels_of(stage.swarm, host(stage.worker, '2')) == [{}]
    stage.swarm.tasks = []
    progress = stage.step()
    key = definition.nodegroup_key(stage.worker)
    assert progress.updated and stage.updates == [{key: ['0', '1']}]
    # Heat rebuilt them; one is back, the other not yet.
    stage.store({key: ['0', '1']})
    stage.rebuild(stage.worker, '0')
    progress = stage.step()
    assert 'waiting for c-default-worker-1' in progress.message
    assert w0 in stage.swarm.removed
    stage.rebuild(stage.worker, '1')
    progress = stage.step()
    # The last one goes in a batch of its own.
    assert stage.updates[-1] == {key: ['2']}
    stage.store({key: ['0', '1', '2']})
    stage.rebuild(stage.worker, '2')
    assert stage.step().finished
    assert stage.worker.upgrade_batch_size is None
    assert sorted(a['Description']['Hostname']
                  for a in stage.swarm.nodes.values()) == sorted(
        [host(stage.master, '0')] +
        [host(stage.worker, m) for m in '012'])


def test_only_master_kept_by_temporary_managers_and_rejoined():
    stage = Stage(masters=1, workers=2)
    stage.master.image_id = NEW
    stage.master.upgrade_batch_size = 1
    key = definition.nodegroup_key(stage.master)
    progress = stage.step()
    # Two workers become managers before the master is touched.
    assert 'promoting' in progress.message and not stage.updates
    workers = [a for a in stage.swarm.nodes.values()
               if a['Spec']['Role'] == 'manager' and
               '-worker-' in a['Description']['Hostname']]
    assert len(workers) == 2
    assert all(a['Spec']['Labels'][upgrade.TEMPORARY] == 'true'
               for a in workers)
    # Not reachable managers yet: wait.
    assert 'promoting' in stage.step().message
    for attrs in workers:
        attrs['ManagerStatus'] = {'Reachability': 'reachable'}
    progress = stage.step()
    assert stage.updates == [{key: ['0']}], progress.message
    (old,) = stage.swarm.by_host(host(stage.master, '0'))
    assert old['Spec']['Availability'] == 'drain'
    # Rebuilt, it found no manager and started a swarm of its own: the
    # next pass finds the cluster's swarm through a temporary manager
    # and has the master join it as a manager.
    old['Status']['State'] = 'down'
    old['ManagerStatus'] = {'Reachability': 'unreachable'}
    stage.rebuild(stage.master, '0', rogue=True)
    rogue = stage.clients[stage.address(stage.master, '0')]
    stage.step()
    assert rogue.left is True
    assert rogue.join_args['join_token'] == 'SWMTKN-m'
    assert rogue.join_args['advertise_addr'] == stage.address(
        stage.master, '0')
    (new,) = [a for a in stage.swarm.by_host(host(stage.master, '0'))
              if a['ID'] != old['ID']]
    assert new['Spec']['Labels']['magnum.role'] == 'master'
    # The old entry is demoted, then removed; the workers are demoted,
    # then lose their label; then the upgrade is over.
    assert old['Spec']['Role'] == 'worker'
    for _pass in range(4):
        progress = stage.step()
        for attrs in stage.swarm.nodes.values():
            if attrs['Spec']['Role'] == 'worker':
                attrs.pop('ManagerStatus', None)
        if progress.finished:
            break
    assert progress.finished
    assert old['ID'] in stage.swarm.removed
    assert [a['Description']['Hostname'] for a in stage.swarm.nodes.values()
            if a['Spec']['Role'] == 'manager'] == [host(stage.master, '0')]
    assert not any(upgrade.TEMPORARY in a['Spec']['Labels']
                   for a in stage.swarm.nodes.values())
    assert stage.master.upgrade_batch_size is None


def test_workers_on_volumes_keep_their_swarm_entries():
    """Docker's storage on a Cinder volume survives the rebuild: each
    worker comes back as the same swarm node. Its entry is never taken
    for an old one, and the batch is done only once the node itself
    took the mark off (not while it is still Ready right after Heat's
    update, before Nova stopped it)."""
    stage = Stage(workers=2)
    stage.worker.image_id = NEW
    stage.worker.upgrade_batch_size = 1
    key = definition.nodegroup_key(stage.worker)
    before = {a['Description']['Hostname']: a['ID']
              for a in stage.swarm.nodes.values()}
    progress = stage.step()
    assert progress.updated and stage.updates == [{key: ['0']}]
    stage.store({key: ['0']})
    # Heat's update is complete; the node has not gone down yet.
    for _pass in range(2):
        progress = stage.step()
        assert 'waiting for c-default-worker-0' in progress.message
        assert stage.swarm.removed == [] and len(stage.updates) == 1
    # Rebuilt: down for a while, then back with its identity.
    (w0,) = stage.swarm.by_host(host(stage.worker, '0'))
    w0['Status']['State'] = 'down'
    assert 'waiting for' in stage.step().message
    stage.rebuild(stage.worker, '0', kept=True)
    progress = stage.step()
    assert stage.updates[-1] == {key: ['1']}, progress.message
    stage.store({key: ['0', '1']})
    stage.rebuild(stage.worker, '1', kept=True)
    assert stage.step().finished
    assert stage.swarm.removed == []
    assert {a['Description']['Hostname']: a['ID']
            for a in stage.swarm.nodes.values()} == before
    assert all(a['Spec']['Availability'] == 'active' and
               upgrade.REPLACED not in a['Spec']['Labels']
               for a in stage.swarm.nodes.values())


def test_only_master_on_a_volume_comes_back_as_the_same_manager():
    stage = Stage(masters=1, workers=2)
    stage.master.image_id = NEW
    stage.master.upgrade_batch_size = 1
    key = definition.nodegroup_key(stage.master)
    (master,) = stage.swarm.by_host(host(stage.master, '0'))
    stage.step()
    for attrs in stage.swarm.nodes.values():
        if attrs['Spec']['Role'] == 'manager':
            attrs['ManagerStatus'] = {'Reachability': 'reachable'}
    assert stage.step().updated and stage.updates == [{key: ['0']}]
    master['Status']['State'] = 'down'
    master['ManagerStatus'] = {'Reachability': 'unreachable'}
    stage.rebuild(stage.master, '0', kept=True)
    rogue = stage.clients[stage.address(stage.master, '0')]
    for _pass in range(4):
        progress = stage.step()
        for attrs in stage.swarm.nodes.values():
            if attrs['Spec']['Role'] == 'worker':
                attrs.pop('ManagerStatus', None)
        if progress.finished:
            break
    assert progress.finished
    # Neither asked to leave and join again, nor demoted or removed.
    assert rogue.left is None and rogue.join_args is None
    assert stage.swarm.removed == []
    assert master['Spec']['Role'] == 'manager'
    assert [a['ID'] for a in stage.swarm.nodes.values()
            if a['Spec']['Role'] == 'manager'] == [master['ID']]
    assert not any(upgrade.TEMPORARY in a['Spec']['Labels']
                   for a in stage.swarm.nodes.values())


def test_too_few_workers_to_promote_stops_the_upgrade():
    stage = Stage(masters=1, workers=2)
    stage.master.image_id = NEW
    stage.master.upgrade_batch_size = 1
    stage.swarm.by_host(host(stage.worker, '1'))[0]['Status'][
        'State'] = 'down'
    with pytest.raises(upgrade.UpgradeBlocked,
                       match='only 1 Ready worker'):
        stage.step()


def test_request_refused_when_no_manager_answers():
    stage = Stage()
    stage.worker.image_id = NEW
    stage.worker.upgrade_batch_size = 1
    for client in stage.clients.values():
        client.answers = False
    with pytest.raises(upgrade.UpgradeBlocked, match='no manager'):
        stage.step(starting=True)
    assert 'no manager' in stage.step().message


def test_unfinished_batch_is_updated_again_when_asked_again():
    stage = Stage()
    stage.worker.image_id = NEW
    stage.worker.upgrade_batch_size = 1
    key = definition.nodegroup_key(stage.worker)
    # Drained and given the new image, its rebuild failed in Heat.
    stage.store({key: ['0']})
    stage.swarm.by_host(host(stage.worker, '0'))[0]['Spec']['Labels'][
        upgrade.REPLACED] = '1'
    progress = stage.step(starting=True)
    assert progress.updated and stage.updates == [{key: ['0']}]


# -- the driver --------------------------------------------------------------

class Work:
    def __init__(self, stage, moved=None):
        self.template = stage.work.template
        self.stored_template = stage.work.stored_template
        self.upgrade_members = moved or {}


def test_each_member_keeps_its_image_until_its_batch():
    stage = Stage()
    driver = swarm_driver.SwarmModeVMDriver()
    key = definition.nodegroup_key(stage.worker)
    stage.worker.image_id = NEW
    assert driver.member_values(Work(stage), stage.worker, '0') == {
        'image': OLD}
    assert driver.member_values(Work(stage, {key: ['0']}), stage.worker,
                                '0') == {'image': NEW}
    # A member the stack does not have yet gets the nodegroup's image.
    assert driver.member_values(Work(stage), stage.worker, '7') == {
        'image': NEW}


def _template(**fields):
    values = dict(coe='swarm-mode', server_type='vm',
                  cluster_distro='debian', driver=None, name='t',
                  uuid='t')
    values.update(fields)
    return types.SimpleNamespace(**values)


def test_upgrade_refusals(monkeypatch):
    driver = swarm_driver.SwarmModeVMDriver()
    driver.name = 'swarm_vm'
    stage = Stage(masters=1, workers=1)
    monkeypatch.setattr(swarm_driver.objects.NodeGroup, 'list',
                        lambda context, uuid: stage.work.nodegroups)
    cluster = types.SimpleNamespace(uuid='c')
    with pytest.raises(exception.InvalidClusterTemplateForUpgrade):
        driver.check_upgrade(None, cluster, _template(coe='kubernetes'),
                             stage.worker)
    with pytest.raises(exception.NotSupported,
                       match='2 Ready worker.*has 1'):
        driver.check_upgrade(None, cluster, _template(), stage.master)
    driver.check_upgrade(None, cluster, _template(), stage.worker)
    stage.worker.node_count = 2
    driver.check_upgrade(None, cluster, _template(), stage.master)
    stage.master.node_count, stage.worker.node_count = 3, 0
    driver.check_upgrade(None, cluster, _template(), stage.master)

