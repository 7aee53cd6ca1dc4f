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

"""Upgrades of a Heat swarm-mode cluster: a nodegroup's servers rebuilt
on a new image, one batch at a time, with the swarm kept whole.

Heat cannot do it alone: a ResourceGroup's rolling update moves on to
the next batch as soon as Nova says the rebuilt servers are ACTIVE, long
before they have booted and joined the swarm again, and nothing in Heat
drains a node, removes the swarm's entry of the node it rebuilt or keeps
the managers' quorum. So each member of the node template gets its own
image (in the ``nodes`` map), and the status sync moves the members to
the nodegroup's new image a batch at a time, looking at the swarm
between two batches (``Upgrade.step``, once per pass):

1. Find the cluster's swarm through a manager (a master rebuilt on its
   own may run a swarm of one: not the cluster's).
2. A master that runs a swarm of its own (it was rebuilt, found no
   manager and initialised one) leaves it and joins the cluster's swarm
   as a manager, through Magnum's client certificate.
3. The entries of rebuilt nodes (labelled ``REPLACED`` before the
   rebuild) are removed from the swarm once the node they stood for is a
   Ready node again under a new entry (a manager is demoted first).
4. Members given the new image whose node is not Ready again yet: wait.
5. The next batch of members still on the old image (``max_batch_size``
   of them, a master one at a time): while a master is rebuilt the swarm
   must keep its raft quorum, so Ready workers are promoted to managers
   first when the other managers are too few (``TEMPORARY``: a swarm of
   one master gets two); the batch's nodes are labelled and drained, and
   once their tasks have stopped (or ``DRAIN_WAIT`` passed), the stack is
   updated with the batch on the new image: Heat rebuilds those servers
   (Nova's default ``image_update_policy``, REBUILD: same server, same
   port and address, a new disk), their user data runs again and they
   join the swarm as new nodes.
6. None left: the nodegroup's upgrade is over; once every upgraded
   nodegroup is, the temporary managers are demoted again.

A node whose Docker storage is on its Cinder volume (``docker_volume_size``)
keeps it across the rebuild (Nova keeps attached volumes), and with it
its swarm identity (``/var/lib/docker/swarm``): it comes back as the
same swarm node under its old entry, neither initialising a swarm nor
joining one, and its boot script takes the ``REPLACED`` label off that
entry and makes it active again (boot.py). The rules above hold for both
kinds of node without telling them apart: a member is done once a Ready
entry of its host name has no ``REPLACED`` label (a new entry, or the
old one taken back); a labelled entry is removed only while another,
unlabelled entry of its host is Ready, so the entry a node took back is
never taken for an old one. The driver does not decide alone that such a
node is back: right after Heat's update it may still be Ready for a few
seconds before Nova stops it.

What the upgrade needs is kept where it survives a conductor restart:
the target image and batch size in the nodegroup's row
(``image_id``, ``upgrade_batch_size``), each member's image in the
stack's stored template, the nodes being replaced and the temporary
managers in the swarm's own node labels.
"""

import re
import time

from oslo_log import log as logging

from magnum.drivers.common import swarm_api
from magnum.drivers.heat import rolling
from magnum.drivers.heat.swarm_vm import boot
from magnum.i18n import _

LOG = logging.getLogger(__name__)

Progress = rolling.Progress
UpgradeBlocked = rolling.UpgradeBlocked
stored_image = rolling.stored_image
upgrading = rolling.upgrading

#: Swarm label of the entry of a node an upgrade rebuilds; its value is
#: when the node was drained (seconds since the epoch). The rebuilt node
#: joins as a new entry, without it, or (Docker on a volume) takes its
#: old entry back and removes the label itself.
REPLACED = boot.REPLACED_LABEL
#: Swarm label of a worker promoted to manager for the time a master is
#: rebuilt.
TEMPORARY = 'magnum.upgrade.temporary-manager'
#: Seconds the tasks of a drained node have to stop before the node is
#: rebuilt anyway (the swarm moves them in seconds; one that cannot be
#: placed elsewhere would not move in a longer wait either).
DRAIN_WAIT = 60


# -- what the stack and the swarm say (no I/O) ------------------------------

def hostname(server_name):
    """The host name a server of that name has (Nova's rule, which
    cloud-init and the test cloud follow): lower case, spaces,
    underscores and dots as '-', other characters dropped, 63 at most."""
    name = re.sub(r'[ _.]', '-', (server_name or '').lower())
    name = re.sub(r'[^a-z0-9-]+', '', name).strip('-')
    return name[:63].strip('-')


def _host(node):
    return (node.get('hostname') or '').lower()


def fresh(nodes):
    """Host names with a Ready swarm node that no upgrade is replacing."""
    return {_host(n) for n in nodes
            if swarm_api.is_ready(n) and REPLACED not in n['labels']}


def classify(members, target, nodes):
    """(done, pending, outdated): members on ``target`` whose node is
    Ready again in the swarm; members given ``target`` whose node is not
    (yet); and members still on another image."""
    ready = fresh(nodes)
    return rolling.classify(members, target,
                            lambda member: member.hostname in ready)


def promotions_needed(nodes, leaving):
    """How many workers to promote so that the managers not in
    ``leaving`` (host names) keep the raft quorum of all of them."""
    managers = [n for n in nodes if n['role'] == 'manager']
    reachable = len([n for n in managers if _host(n) not in leaving and
                     REPLACED not in n['labels'] and swarm_api.is_ready(n)])
    extra = 0
    while reachable + extra < (len(managers) + extra) // 2 + 1:
        extra += 1
    return extra


def promotion_candidates(nodes, leaving):
    """Ready, active workers that no upgrade is replacing, by name."""
    return sorted((n for n in nodes if n['role'] == 'worker' and
                   swarm_api.is_ready(n) and n['availability'] == 'active'
                   and REPLACED not in n['labels'] and
                   _host(n) not in leaving), key=_host)


def drained(nodes, tasks, now):
    """Whether the marked nodes may be rebuilt: none of their tasks runs
    any more, or the first was marked DRAIN_WAIT seconds ago."""
    marked = [n for n in nodes if REPLACED in n['labels']]
    since = [int(n['labels'][REPLACED]) for n in marked
             if str(n['labels'][REPLACED]).isdigit()]
    if since and now - min(since) >= DRAIN_WAIT:
        return True
    ids = {n['id'] for n in marked}
    return not any(task.get('NodeID') in ids and
                   (task.get('Status') or {}).get('State') == 'running'
                   for task in tasks)


# -- one pass ---------------------------------------------------------------

class Clients:
    """Magnum's Docker clients of a cluster's nodes for one pass."""

    def __init__(self, tls, timeout):
        self._tls = tls
        self._timeout = timeout
        self._made = {}

    def of(self, address):
        if address not in self._made:
            self._made[address] = swarm_api.client(
                'tcp://%s:%d' % (address, boot.DOCKER_PORT), self._tls,
                self._timeout)
        return self._made[address]

    def close(self):
        for client in self._made.values():
            try:
                client.close()
            except Exception:  # closing only
                pass
        self._made = {}


class Upgrade:
    """One pass of the upgrades under way in a cluster.

    ``work`` is the driver's Work with the stack's stored state read and
    the members planned; ``update(work, batch)`` starts the stack update
    that gives ``batch`` ({nodegroup key: member names}) the
    nodegroups' images; ``labels(nodegroup)`` are the swarm labels of a
    node of a nodegroup.
    """

    def __init__(self, work, clients, update, labels, server_name):
        self.work = work
        self.clients = clients
        self.update = update
        self.labels = labels
        self.server_name = server_name
        self.manager = None
        self.manager_address = None
        self.swarm_id = None

    # -- members --------------------------------------------------------------

    def members(self, nodegroup):
        target = self.target(nodegroup)
        return rolling.members(
            self.work, nodegroup,
            lambda ng, name: hostname(self.server_name(ng, name)),
            lambda key, name: rolling.stored_image(
                self.work.stored_template, key, name) or target)

    def target(self, nodegroup):
        return nodegroup.image_id or self.work.template.image_id

    def _all_members(self, role=None):
        return [m for ng in self.work.nodegroups
                if role is None or (ng.role == 'master') == (role ==
                                                              'master')
                for m in self.members(ng)]

    # -- the swarm ------------------------------------------------------------

    def find_manager(self):
        """The cluster's swarm through one of its managers, masters first
        (False when none answers). A manager of a swarm of one, in a
        cluster of several servers, is a master rebuilt on its own."""
        masters = self._all_members('master')
        others = self._all_members('worker')
        servers = len(masters) + len(others)
        for member in masters + others:
            if not member.address:
                continue
            try:
                client = self.clients.of(member.address)
                swarm = client.info().get('Swarm') or {}
            except swarm_api.UNREACHABLE as error:
                LOG.debug('Upgrade: %s does not answer: %s', member, error)
                continue
            if not swarm.get('ControlAvailable'):
                continue
            if servers > 1 and (swarm.get('Nodes') or 0) <= 1:
                continue
            self.manager = client
            self.manager_address = member.address
            self.swarm_id = (swarm.get('Cluster') or {}).get('ID')
            return True
        return False

    def nodes(self):
        return swarm_api.list_nodes(self.manager)

    def _update_spec(self, node_id, change):
        node = self.manager.nodes.get(node_id)
        spec = dict(node.attrs.get('Spec') or {})
        spec['Labels'] = dict(spec.get('Labels') or {})
        change(spec)
        node.update(spec)

    def rejoin_masters(self, nodes):
        """Masters running a swarm of their own join the cluster's."""
        ready = fresh(nodes)
        joined = []
        for member in self._all_members('master'):
            if member.hostname in ready or not member.address or \
                    member.address == self.manager_address:
                continue
            try:
                client = self.clients.of(member.address)
                swarm = client.info().get('Swarm') or {}
            except swarm_api.UNREACHABLE:
                continue
            if swarm.get('LocalNodeState') != 'active' or \
                    (swarm.get('Cluster') or {}).get('ID') in (
                        None, self.swarm_id):
                continue
            LOG.warning('Upgrade: master %s runs a swarm of its own; it '
                        'joins the cluster\'s swarm through %s', member,
                        self.manager_address)
            token = self.manager.api.inspect_swarm()['JoinTokens'][
                'Manager']
            client.swarm.leave(force=True)
            client.swarm.join(
                remote_addrs=['%s:%d' % (self.manager_address,
                                         boot.SWARM_PORT)],
                join_token=token,
                listen_addr='0.0.0.0:%d' % boot.SWARM_PORT,
                advertise_addr=member.address)
            node_id = client.info()['Swarm']['NodeID']
            labels = self.labels(member.nodegroup)
            self._update_spec(node_id,
                              lambda spec: spec['Labels'].update(labels))
            joined.append(member)
        return joined

    def forget_replaced(self, nodes):
        """Entries of rebuilt nodes go once the node is Ready again as a
        new entry (a manager's is demoted first, then removed in a later
        pass); how many such entries are left. (``fresh`` counts no
        labelled entry: an entry is never removed for itself, so one a
        node took back with its identity stays.)"""
        ready = fresh(nodes)
        left = 0
        for node in nodes:
            if REPLACED not in node['labels'] or _host(node) not in ready:
                continue
            left += 1
            try:
                if node['role'] == 'manager':
                    self._update_spec(node['id'], _demote)
                    LOG.info('Upgrade: demoted the old entry %s of %s',
                             node['id'], _host(node))
                else:
                    self.manager.api.remove_node(node['id'], force=True)
                    LOG.info('Upgrade: removed the old entry %s of %s',
                             node['id'], _host(node))
                    left -= 1
            except swarm_api.UNREACHABLE as error:
                LOG.info('Upgrade: the old entry %s of %s stays for now: '
                         '%s', node['id'], _host(node), error)
        return left

    def keep_quorum(self, nodes, batch):
        """Promote workers when the managers left while ``batch`` is
        rebuilt would lose the quorum: True when the quorum is safe."""
        leaving = {m.hostname for m in batch}
        waiting = [n for n in nodes if TEMPORARY in n['labels'] and
                   n['role'] == 'manager' and not swarm_api.is_ready(n)]
        if waiting:
            return False
        extra = promotions_needed(nodes, leaving)
        if not extra:
            return True
        candidates = promotion_candidates(nodes, leaving)
        if len(candidates) < extra:
            raise UpgradeBlocked(_(
                'rebuilding %(batch)s would lose the swarm\'s quorum of '
                'managers, and only %(found)d Ready worker(s) can be '
                'promoted to managers for the time (%(needed)d needed)')
                % {'batch': ', '.join(m.hostname for m in batch),
                   'found': len(candidates), 'needed': extra})
        for node in candidates[:extra]:
            LOG.info('Upgrade: promoting %s to manager while %s is '
                     'rebuilt', _host(node), batch)
            self._update_spec(node['id'], _promote)
        return False

    def mark(self, nodes, batch):
        """Label and drain the swarm entries of ``batch``."""
        hosts = {m.hostname for m in batch}
        now = str(int(time.time()))
        for node in nodes:
            if _host(node) in hosts and REPLACED not in node['labels']:
                self._update_spec(node['id'], lambda spec: _drain(spec,
                                                                   now))
                node['labels'][REPLACED] = now
                node['availability'] = 'drain'

    def demote_temporaries(self, nodes):
        """True once no temporary manager is left: each is demoted, and
        loses its label once the swarm no longer counts it among the
        managers. (The swarm refuses a demotion that would lose the
        quorum: that one is tried again next pass.)"""
        left = [n for n in nodes if TEMPORARY in n['labels']]
        for node in left:
            change = _demote if node['role'] == 'manager' else \
                None if node['reachability'] else _end_temporary
            if change is None:
                continue  # still leaving the managers
            try:
                self._update_spec(node['id'], change)
                LOG.info('Upgrade: %s: %s', _host(node),
                         'demoted' if change is _demote else
                         'a worker again')
            except swarm_api.UNREACHABLE as error:
                LOG.info('Upgrade: %s stays a manager for now: %s',
                         _host(node), error)
        return not left

    # -- the pass -------------------------------------------------------------

    def step(self, starting=False):
        """Do what can be done now (see the module's doc). ``starting``:
        the pass of the upgrade request, which makes the update of a
        batch an earlier upgrade left unfinished again (Heat retries
        what failed)."""
        nodegroups = upgrading(self.work.nodegroups)
        if not nodegroups:
            return Progress(finished=True)
        if not self.find_manager():
            if starting:
                raise UpgradeBlocked(_(
                    'no manager of the swarm answers Magnum\'s client '
                    'certificate of the cluster'))
            return Progress(_('Upgrading: no manager of the swarm answers '
                              'yet'))
        nodes = self.nodes()
        if self.rejoin_masters(nodes):
            nodes = self.nodes()
        left = self.forget_replaced(nodes)
        for nodegroup in nodegroups:
            members = self.members(nodegroup)
            target = self.target(nodegroup)
            done, pending, outdated = classify(members, target, nodes)
            if pending and starting:
                return self._rebuild(nodegroup, pending, done, members,
                                     target)
            if pending:
                return Progress(_(
                    'Upgrading nodegroup %(nodegroup)s to image '
                    '%(image)s: waiting for %(nodes)s to be Ready in the '
                    'swarm again (%(done)d of %(total)d done)') % {
                        'nodegroup': nodegroup.name, 'image': target,
                        'nodes': ', '.join(m.hostname for m in pending),
                        'done': len(done), 'total': len(members)})
            if not outdated:
                continue
            if left:
                return Progress(_(
                    'Upgrading nodegroup %s: removing the swarm entries of '
                    'the nodes rebuilt') % nodegroup.name)
            # A batch marked in an earlier pass first.
            marked = {_host(n) for n in nodes if REPLACED in n['labels']}
            batch = rolling.next_batch(nodegroup, outdated,
                                       lambda m: m.hostname in marked)
            names = ', '.join(m.hostname for m in batch)
            if nodegroup.role == 'master' and \
                    not self.keep_quorum(nodes, batch):
                return Progress(_(
                    'Upgrading nodegroup %(nodegroup)s: promoting workers '
                    'to managers while %(nodes)s is rebuilt') % {
                        'nodegroup': nodegroup.name, 'nodes': names})
            self.mark(nodes, batch)
            if not drained(nodes, self.manager.api.tasks(), time.time()):
                return Progress(_(
                    'Upgrading nodegroup %(nodegroup)s: draining '
                    '%(nodes)s') % {'nodegroup': nodegroup.name,
                                    'nodes': names})
            return self._rebuild(nodegroup, batch, done, members, target)
        # Every member has its image: the swarm is tidied up (old
        # entries, temporary managers) before the upgrade is over.
        if left:
            return Progress(_('Upgrading: removing the swarm entries of '
                              'the nodes rebuilt'))
        if not self.demote_temporaries(nodes):
            return Progress(_('Upgrading: demoting the workers made '
                              'managers for the time'))
        for nodegroup in nodegroups:
            LOG.info('Upgrade of nodegroup %s to image %s is complete',
                     nodegroup.name, self.target(nodegroup))
            nodegroup.upgrade_batch_size = None
            nodegroup.save()
        return Progress(finished=True)

    def _rebuild(self, nodegroup, batch, done, members, target):
        self.update(self.work, {batch[0].key: [m.name for m in batch]})
        return Progress(_(
            'Upgrading nodegroup %(nodegroup)s to image %(image)s: '
            'rebuilding %(nodes)s (%(done)d of %(total)d done)') % {
                'nodegroup': nodegroup.name, 'image': target,
                'nodes': ', '.join(m.hostname for m in batch),
                'done': len(done), 'total': len(members)}, updated=True)


def _demote(spec):
    spec['Role'] = 'worker'


def _promote(spec):
    spec['Role'] = 'manager'
    spec['Labels'][TEMPORARY] = 'true'


def _end_temporary(spec):
    spec['Role'] = 'worker'
    spec['Labels'].pop(TEMPORARY, None)


def _drain(spec, now):
    spec['Availability'] = 'drain'
    spec['Labels'][REPLACED] = now
