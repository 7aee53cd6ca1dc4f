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

"""Upgrades of Heat clusters a batch of a nodegroup's members at a time:
what the swarm-mode (``swarm_vm/upgrade.py``) and Kubernetes
(``kubernetes/upgrade.py``) drivers share.

Heat alone cannot upgrade a cluster safely: a ResourceGroup's rolling
update moves on to its next batch as soon as Nova says the servers are
ACTIVE, long before they are nodes of the cluster again, and nothing
empties a node first. So each member of the node template carries its
own release (its ``image``, and for Kubernetes its ``kube_tag``) in the
``nodes`` map, and the upgrade moves members to their nodegroup's
release a batch at a time: the driver's ``upgrade_session`` looks at the
cluster once per status sync period, empties the next batch, updates the
stack with that batch only (``update_members``), and waits for its nodes
to be back before the next one. Masters go first, one at a time; others
``upgrade_batch_size`` at a time.

What an upgrade needs survives a conductor restart: the target release
and batch size in the nodegroup's row (``image_id``,
``upgrade_batch_size``, and the labels the driver records), each
member's release in the stack's stored template, and what a driver marks
on the nodes themselves (swarm labels, Kubernetes annotations).
"""

import time

from oslo_log import log as logging

from magnum import objects
from magnum.drivers.heat import driver as heat_driver
from magnum.drivers.heat import steps
from magnum.drivers.heat import template_definition as definition
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)


class Member:
    """One member of a nodegroup being upgraded; ``release`` is what the
    stack last gave it (an image, or (image, kube_tag))."""

    def __init__(self, nodegroup, key, name, hostname, address, release):
        self.nodegroup = nodegroup
        self.key = key
        self.name = name
        self.hostname = hostname
        self.address = address
        self.release = release

    def __repr__(self):
        return self.hostname


class Progress:
    """What one pass did: ``message`` for the cluster's status reason;
    ``updated`` when it started a stack update, ``finished`` when no
    upgrade is left."""

    def __init__(self, message=None, updated=False, finished=False):
        self.message = message
        self.updated = updated
        self.finished = finished


class UpgradeBlocked(Exception):
    """The upgrade cannot go on; the message says why."""


def stored_value(stored_template, key, member, field):
    """What the stack last gave ``member`` of nodegroup ``key`` as
    ``field`` (its entry in the ``nodes`` map, else, for a stack made
    before members had their own, the nodegroup's), or None."""
    resource = ((stored_template or {}).get('resources') or {}).get(key) \
        or {}
    properties = (resource.get('properties') or {}).get(
        'node_properties') or {}
    entry = (properties.get('nodes') or {}).get(member) or {}
    value = entry.get(field) or properties.get(field)
    return value if isinstance(value, str) else None


def members(work, nodegroup, hostname_of, release_of):
    """The Members of ``nodegroup`` as the stack has them, by name:
    ``hostname_of(nodegroup, name)``, ``release_of(key, name)``."""
    key = definition.nodegroup_key(nodegroup)
    state = work.states.get(key)
    if state is None:
        return []
    return [Member(nodegroup, key, name, hostname_of(nodegroup, name),
                   state.addresses.get(name), release_of(key, name))
            for name in sorted(state.members, key=int)]


def guarded(moving, starting, errors, refused, retrying):
    """The pass of ``moving`` (its ``step(starting)``) where a cluster
    API that does not answer (``errors``) fails the request (reason
    ``refused % error``) and is waited for by the status sync
    (``retrying % error``)."""
    def step():
        try:
            return moving.step(starting)
        except errors as error:
            if starting:
                raise UpgradeBlocked(refused % error) from None
            return Progress(retrying % error)
    return step


def stored_image(stored_template, key, member):
    return stored_value(stored_template, key, member, 'image')


def upgrading(nodegroups):
    """The nodegroups with an upgrade under way, masters first."""
    return sorted((ng for ng in nodegroups if ng.upgrade_batch_size),
                  key=lambda ng: (ng.role != 'master', ng.name))


def classify(members, target, is_back):
    """(done, pending, outdated): members on ``target`` whose node
    ``is_back``; members given ``target`` whose node is not (yet); and
    members still on another release."""
    done, pending, outdated = [], [], []
    for member in members:
        if member.release != target:
            outdated.append(member)
        elif is_back(member):
            done.append(member)
        else:
            pending.append(member)
    return done, pending, outdated


def next_batch(nodegroup, outdated, started=lambda member: False):
    """The members moved next: a master alone, else
    ``upgrade_batch_size`` of them; those a pass already started on
    (``started``) first, then by name."""
    size = 1 if nodegroup.role == 'master' else max(
        1, nodegroup.upgrade_batch_size or 1)
    return sorted(outdated, key=lambda m: (not started(m),
                                           int(m.name)))[:size]


def batch_size(nodegroup, max_batch_size, labels):
    """The batch size an upgrade request records: 1 for masters, else
    the request's, the label max_batch_size's or 1."""
    if nodegroup.role == 'master':
        return 1
    try:
        return max(1, int(max_batch_size or labels.get('max_batch_size')
                          or 1))
    except ValueError:
        return 1


class UpgradePass(steps.Step):
    """The cluster's upgrade moved on; the Progress is left in
    ``work.progress``.

    The status sync makes one pass per period. The upgrade request's
    passes (``starting``) go on, a second apart, until the first batch's
    stack update is made (the batch emptied), for ``START_WAIT`` seconds
    at most: then the stack is updated with no member moved, for the
    status sync, which waits for the stack's UPDATE, to take over.
    """

    #: Seconds the upgrade request waits to update the stack with its
    #: first batch.
    START_WAIT = 30

    def __init__(self, driver, starting):
        self.driver = driver
        self.starting = starting

    def execute(self, work):
        deadline = time.monotonic() + self.START_WAIT
        with self.driver.upgrade_session(work, self.starting) as step:
            while True:
                work.progress = step()
                if not self.starting or work.progress.updated or \
                        work.progress.finished or \
                        time.monotonic() > deadline:
                    break
                time.sleep(1)
        if self.starting and not work.progress.updated:
            # No batch yet (or nothing to move): the status sync goes on.
            self.driver.update_members(work, {})


class BatchedUpgrades:
    """Upgrades of a Heat driver a batch of members at a time (a mixin
    before ``HeatDriver``). The driver gives ``upgrade_session(work,
    starting)``, a context manager yielding the pass (a callable
    returning a Progress), and ``release_fields(work, nodegroup)``, the
    {field: target} each member carries in the ``nodes`` map."""

    def release_fields(self, work, nodegroup):
        return {'image': nodegroup.image_id or work.template.image_id}

    def member_values(self, work, nodegroup, member):
        """Each member its own release: the one the stack gave it last,
        the nodegroup's for a new member or one the upgrade moves now."""
        key = definition.nodegroup_key(nodegroup)
        targets = self.release_fields(work, nodegroup)
        if member in work.upgrade_members.get(key, ()):
            return dict(targets)
        return {field: self.stored_release(work, key, member, field)
                or target for field, target in targets.items()}

    def stored_release(self, work, key, member, field):
        return stored_value(work.stored_template, key, member, field)

    @staticmethod
    def _batch_size(work, nodegroup):
        # Which members change is the driver's choice (member_values):
        # Heat applies an update to all of them at once.
        state = work.states.get(definition.nodegroup_key(nodegroup))
        return max(1, len(state.members) if state else 1)

    def record_upgrade(self, context, cluster, cluster_template,
                       nodegroup):
        """What a driver records beside the image and batch size."""

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        """Record the upgrade (the nodegroup's new image and batch size,
        the cluster's template for a default nodegroup) and make its
        first pass, which empties the first batch and updates the stack;
        the status sync makes the others."""
        self.check_upgrade(context, cluster, cluster_template, nodegroup)
        if not cluster.stack_id:
            self._not_supported(_('Upgrading a cluster that has no stack'))
        size = batch_size(nodegroup, max_batch_size,
                          definition.labels_of(cluster, cluster_template))
        nodegroup.image_id = cluster_template.image_id
        nodegroup.upgrade_batch_size = size
        self.record_upgrade(context, cluster, cluster_template, nodegroup)
        nodegroup.save()
        template = None
        if nodegroup.is_default:
            cluster.cluster_template_id = cluster_template.uuid
            template = cluster_template
        work = heat_driver.Work(self, context, cluster, template=template,
                                upgrading=nodegroup.uuid,
                                max_batch_size=size)
        self._run(_('Upgrading nodegroup %s') % nodegroup.name, work, [
            heat_driver.ReadStoredState(), heat_driver.PlanMembers(),
            UpgradePass(self, starting=True)])
        cluster.status_reason = work.progress.message

    def update_members(self, work, batch):
        """Update the stack with ``batch`` ({nodegroup key: member
        names}) on their nodegroups' releases."""
        work.upgrade_members = batch
        steps.run([heat_driver.RenderBootConfiguration(),
                   heat_driver.UpdateStack()], work)

    def advance_upgrade(self, context, cluster):
        """One pass of the status sync (a Progress)."""
        work = heat_driver.Work(self, context, cluster)
        try:
            self._run(_('Upgrading the cluster'), work, [
                heat_driver.ReadStoredState(), heat_driver.PlanMembers(),
                UpgradePass(self, starting=False)])
        except Exception:
            if cluster.status != fields.ClusterStatus.UPDATE_IN_PROGRESS:
                # Recorded: UPDATE_FAILED with the reason.
                return Progress(cluster.status_reason)
            raise
        if work.progress.message and \
                work.progress.message != cluster.status_reason:
            LOG.info('Cluster %s: %s', cluster.uuid, work.progress.message)
        return work.progress

    def _update(self, context, cluster, what, **kwargs):
        # Another operation ends an upgrade that did not finish (it
        # failed): asking for the upgrade again goes on from where the
        # nodes are.
        for nodegroup in objects.NodeGroup.list(context, cluster.uuid):
            if nodegroup.upgrade_batch_size:
                nodegroup.upgrade_batch_size = None
                nodegroup.save()
        super()._update(context, cluster, what, **kwargs)
