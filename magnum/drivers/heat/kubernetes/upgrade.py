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

"""Upgrades of a Heat Kubernetes cluster: a nodegroup's servers moved to
a new image and kube_tag a batch at a time, each batch's nodes emptied
first and Ready again on the new release before the next one
(``magnum.drivers.heat.rolling`` says what the drivers share).

Each member carries its release, (image, kube_tag), in the node
template's ``nodes`` map; a member whose release changes gets its boot
configuration rendered again with the new kube_tag, and only then. One
pass (``Upgrade.step``, once per status sync period) does what can be
done now, masters' nodegroups first:

1. Members given the new release whose node is back (Ready, its kubelet
   of the new kube_tag and, when the node said which boot it ran when it
   was cordoned, another boot) are uncordoned if the upgrade cordoned
   them (``node_drain.ANNOTATION``); members given it whose node is not
   back yet: wait (bounded by ``[heat_driver] ready_timeout``, which the
   status sync applies from the stack update's end).
2. The next batch of members on the old release (a master alone, for
   etcd's quorum; ``max_batch_size`` workers) is cordoned and its pods
   evicted through the Eviction API, so PodDisruptionBudgets are kept:
   a refused eviction (429) is asked again next pass. Once no pod is
   left to leave, the stack is updated with that batch on the new
   release: Heat rebuilds or replaces those servers only.
3. A batch not emptied within ``[heat_driver] drain_timeout`` seconds of
   its cordon: when only pods already evicted are still terminating, the
   upgrade goes on; when a PodDisruptionBudget still refuses an eviction,
   the batch is uncordoned and the upgrade fails (UPDATE_FAILED) naming
   the node and the pod, since going on would break the budget the
   cluster's owner set. Asking for the upgrade again goes on from there.
4. None left: the nodegroup's upgrade is over (a default nodegroup's
   kube_tag becomes the cluster's coe_version).

A node the API does not have (it never registered) has nothing to
empty: its member is rebuilt when its batch comes.
"""

import re
import time

from oslo_log import log as logging

from magnum import conf
from magnum.drivers.heat import rolling
from magnum.drivers.heat.kubernetes import node_drain
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

_VERSION = re.compile(r'v?(\d+)\.(\d+)\.(\d+)')


def same_version(kubelet_version, kube_tag):
    """Whether a kubelet's version is the kube_tag's release (v1.30.4 is
    v1.30.4-rancher1's); any kubelet when there is no kube_tag."""
    if not kube_tag:
        return True
    ours, theirs = _VERSION.match(kube_tag or ''), _VERSION.match(
        kubelet_version or '')
    if ours and theirs:
        return ours.groups() == theirs.groups()
    return (kubelet_version or '') == kube_tag


def is_ready(node):
    return any(c.get('type') == 'Ready' and c.get('status') == 'True'
               for c in ((node or {}).get('status') or {}).get(
                   'conditions') or [])


def is_back(node, kube_tag):
    """Whether a rebuilt member's node is a node of the new release:
    Ready, its kubelet's version the kube_tag's, and not the boot it
    was cordoned in (when it said which)."""
    if node is None or not is_ready(node):
        return False
    info = node_drain.node_info(node)
    if not same_version(info.get('kubeletVersion'), kube_tag):
        return False
    mark = node_drain.mark_of(node)
    if mark and mark.get('bootID') and \
            mark.get('bootID') == info.get('bootID'):
        return False
    return True


class Upgrade:
    """One pass of the upgrades under way in a Kubernetes cluster.

    ``work``: the driver's Work with the stack's stored state read and
    the members planned; ``client``: Magnum's client of the cluster's
    API (``probe.connected``); ``driver``: the Kubernetes Heat driver
    (its ``update_members``, ``node_name``, ``release_fields`` and
    ``stored_release``).
    """

    FIELDS = ('image', 'kube_tag')

    def __init__(self, work, client, driver):
        self.work = work
        self.client = client
        self.driver = driver

    def update(self, work, batch):
        self.driver.update_members(work, batch)

    def target(self, nodegroup):
        targets = self.driver.release_fields(self.work, nodegroup)
        return tuple(targets[field] for field in self.FIELDS)

    def members(self, nodegroup):
        target = self.target(nodegroup)
        return rolling.members(
            self.work, nodegroup,
            lambda ng, name: self.driver.node_name(self.work, ng, name),
            lambda key, name: tuple(
                self.driver.stored_release(self.work, key, name, field)
                or value for field, value in zip(self.FIELDS, target)))

    def step(self, starting=False):
        """Do what can be done now (see the module's doc). ``starting``:
        the pass of the upgrade request, which updates the stack again
        with a batch an earlier upgrade left unfinished."""
        nodegroups = rolling.upgrading(self.work.nodegroups)
        if not nodegroups:
            return rolling.Progress(finished=True)
        nodes = node_drain.list_nodes(self.client)
        for nodegroup in nodegroups:
            members = self.members(nodegroup)
            target = self.target(nodegroup)
            done, pending, outdated = rolling.classify(
                members, target,
                lambda m: is_back(nodes.get(m.hostname), target[1]))
            for member in done:
                if node_drain.mark_of(nodes.get(member.hostname)) \
                        is not None:
                    LOG.info('Upgrade: node %s is back on %s; '
                             'uncordoned', member.hostname, target[1])
                    node_drain.uncordon(self.client, member.hostname)
            if pending and starting:
                return self._rebuild(nodegroup, pending, done, members)
            if pending:
                return rolling.Progress(_(
                    'Upgrading nodegroup %(nodegroup)s to %(release)s: '
                    'waiting for node(s) %(nodes)s to be Ready with '
                    'kubelet %(tag)s (%(done)d of %(total)d done)') % {
                        'nodegroup': nodegroup.name,
                        'release': _release(target),
                        'nodes': ', '.join(m.hostname for m in pending),
                        'tag': target[1], 'done': len(done),
                        'total': len(members)})
            if not outdated:
                continue
            batch = rolling.next_batch(
                nodegroup, outdated, lambda m: node_drain.mark_of(
                    nodes.get(m.hostname)) is not None)
            waiting = self._empty(nodegroup, batch, nodes)
            if waiting:
                return waiting
            return self._rebuild(nodegroup, batch, done, members)
        for nodegroup in nodegroups:
            self._finish(nodegroup)
        return rolling.Progress(finished=True)

    def _finish(self, nodegroup):
        image, tag = self.target(nodegroup)
        LOG.info('Upgrade of nodegroup %s to image %s, kube_tag %s is '
                 'complete', nodegroup.name, image, tag)
        nodegroup.upgrade_batch_size = None
        nodegroup.save()
        if nodegroup.is_default and tag:
            self.work.cluster.coe_version = tag

    def _empty(self, nodegroup, batch, nodes):
        """Cordon the batch's nodes and evict their pods: None once
        nothing is left to leave, else the Progress of the wait."""
        now = time.time()
        since = []
        left, refused = [], []
        for member in batch:
            node = nodes.get(member.hostname)
            if node is None:
                continue  # never registered: nothing to empty
            mark = node_drain.mark_of(node)
            if mark is None:
                LOG.info('Upgrade: cordoning node %s', member.hostname)
                node = node_drain.cordon(self.client, node, now)
                if node is None:
                    continue
                mark = node_drain.mark_of(node) or {}
            since.append(int(mark.get('since') or now))
            pods, blocked = node_drain.drain(self.client, member.hostname)
            left += pods
            refused += [(member.hostname,) + r for r in blocked]
        if not left:
            return None
        names = ', '.join(m.hostname for m in batch)
        waited = now - min(since) if since else 0
        limit = CONF.heat_driver.drain_timeout
        if waited >= limit:
            if not refused:
                LOG.warning('Upgrade: %s still terminating on %s after '
                            '%d s; the upgrade goes on', ', '.join(left),
                            names, waited)
                return None
            for member in batch:
                node_drain.uncordon(self.client, member.hostname)
            host, pod, reason = refused[0]
            raise rolling.UpgradeBlocked(_(
                'node %(node)s of nodegroup %(nodegroup)s (batch '
                '%(batch)s) could not be drained within %(limit)d s '
                '([heat_driver] drain_timeout): the eviction of pod '
                '%(pod)s is refused: %(reason)s. The batch was uncordoned '
                'and its servers left as they were; let the '
                'PodDisruptionBudget allow it (or move the pod), then ask '
                'for the upgrade again') % {
                    'node': host, 'nodegroup': nodegroup.name,
                    'batch': names, 'limit': limit, 'pod': pod,
                    'reason': reason})
        message = _('Upgrading nodegroup %(nodegroup)s: draining node(s) '
                    '%(nodes)s, %(left)d pod(s) to leave') % {
                        'nodegroup': nodegroup.name, 'nodes': names,
                        'left': len(left)}
        if refused:
            message += _('; eviction of %(pod)s refused for now: '
                         '%(reason)s') % {'pod': refused[0][1],
                                          'reason': refused[0][2]}
        return rolling.Progress(message)

    def _rebuild(self, nodegroup, batch, done, members):
        self.update(self.work, {batch[0].key: [m.name for m in batch]})
        return rolling.Progress(_(
            'Upgrading nodegroup %(nodegroup)s to %(release)s: rebuilding '
            '%(nodes)s (%(done)d of %(total)d done)') % {
                'nodegroup': nodegroup.name,
                'release': _release(self.target(nodegroup)),
                'nodes': ', '.join(m.hostname for m in batch),
                'done': len(done), 'total': len(members)}, updated=True)


def _release(target):
    image, tag = target
    return _('image %(image)s, kube_tag %(tag)s') % {'image': image,
                                                     'tag': tag or '-'}
