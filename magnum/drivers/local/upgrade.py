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

"""Upgrades: a nodegroup's nodes replaced by nodes of another image, a
batch at a time.

The upgrade call only records what is asked (``start``: the nodegroup's
new image and its ``upgrade_batch_size``, both in the database) and
returns at once; the status sync then replaces one batch per pass
(``replace_batch``). Which nodes are done is read back from the
containers' image label, which batch is next follows from it, and the
batch size from the nodegroup's row: a conductor that restarts, or
another one, goes on where the first one stopped.
"""

import contextlib
import dataclasses
import time

from oslo_log import log as logging

from magnum import conf
from magnum.common import exception
from magnum.drivers.local import converge
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import images
from magnum.drivers.local import membership
from magnum.drivers.local import network
from magnum.drivers.local import nodes
from magnum.drivers.local import provision
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def check_template(driver_name, engine, template, coe, server_type,
                   registered_name=None):
    """InvalidClusterTemplateForUpgrade unless ``template`` is one this
    driver (``registered_name``, when it was loaded by name) builds and
    its image is in ``engine``."""
    if (template.coe, template.server_type) != (coe, server_type):
        raise exception.InvalidClusterTemplateForUpgrade(reason=_(
            'the %(driver)s driver upgrades to %(type)s/%(coe)s templates '
            'only') % {'driver': driver_name, 'type': server_type,
                       'coe': coe})
    if template.driver and registered_name and \
            template.driver != registered_name:
        raise exception.InvalidClusterTemplateForUpgrade(reason=_(
            'template %(template)s uses driver %(other)s') % {
                'template': template.name or template.uuid,
                'other': template.driver})
    try:
        engine.image(template.image_id)
    except engine_module.ImageMissing as error:
        # The caller is a tenant: the engine's URL stays in the log.
        LOG.info('Upgrade refused: %s', error)
        raise exception.InvalidClusterTemplateForUpgrade(
            reason=str(images.missing_image(template.image_id))) from None
    except engine_module.EngineError as error:
        LOG.warning('Upgrade: could not look up image %s: %s',
                    template.image_id, error)
        raise images.engine_unavailable() from None


def start(cluster, template, max_batch_size, nodegroup):
    """Record the upgrade asked for: the nodegroup's new image and batch
    size are saved, the cluster's template (for the default nodegroups)
    and status reason are set for the caller to save."""
    size = batch_size(max_batch_size)
    nodegroup.image_id = template.image_id
    nodegroup.upgrade_batch_size = size
    nodegroup.save()
    if nodegroup.is_default:
        cluster.cluster_template_id = template.uuid
    cluster.status_reason = _(
        'Upgrading nodegroup %(nodegroup)s to image %(image)s, %(batch)d '
        'node(s) at a time') % {'nodegroup': nodegroup.name,
                                'image': template.image_id, 'batch': size}


def batch_size(max_batch_size):
    """At least one node at a time."""
    return max(1, max_batch_size or 1)


def in_progress(nodegroups):
    """Whether an upgrade was asked for one of ``nodegroups`` and has not
    ended yet."""
    return any(ng.upgrade_batch_size for ng in nodegroups)


def finish(nodegroups):
    """Forget the upgrade of ``nodegroups`` (it ended, either way)."""
    for nodegroup in nodegroups:
        if nodegroup.upgrade_batch_size is not None:
            nodegroup.upgrade_batch_size = None
            with contextlib.suppress(exception.NodeGroupNotFound):
                nodegroup.save()


@dataclasses.dataclass
class Step:
    """One batch of an upgrade: the nodes of ``nodegroup`` replaced now,
    by nodes ``specs`` ((nodegroup, index, image, publish) tuples);
    ``done`` of its ``total`` nodes have its image already."""

    nodegroup: object
    image: str
    batch: list
    specs: list
    done: int
    total: int


def plan_batch(nodegroups, found, default_image, publish_masters):
    """The next Step of an upgrade, or None when every node of every
    nodegroup has its nodegroup's image.

    Nodegroups of managers come first, and lose one manager at a time
    (the swarm keeps its quorum); others lose their
    ``upgrade_batch_size`` (1 when not recorded) at a time. Running nodes
    are replaced first, by index, a stopped one last. New nodes take the
    lowest indexes no container of the nodegroup has."""
    node_list = [n for n in found
                 if n.role in (nodes.ROLE_MASTER, nodes.ROLE_WORKER)]
    for nodegroup in sorted(nodegroups, key=lambda g: not g.is_master):
        image = nodegroup.image_id or default_image
        members = [n for n in node_list if n.nodegroup == nodegroup.uuid]
        outdated = sorted((n for n in members if n.image != image),
                          key=lambda n: (not n.running, n.index))
        if not outdated:
            continue
        size = 1 if nodegroup.is_master else batch_size(
            nodegroup.upgrade_batch_size)
        batch = outdated[:size]
        used = {n.index for n in found if n.nodegroup == nodegroup.uuid}
        publish = nodegroup.is_master and publish_masters
        specs = [(nodegroup, index, image, publish)
                 for index in nodes.free_indexes(used, len(batch))]
        return Step(nodegroup=nodegroup, image=image, batch=batch,
                    specs=specs, done=len(members) - len(outdated),
                    total=len(members))
    return None


def replace_batch(work, found):
    """Replace the next batch of outdated nodes (``found``: the
    cluster's containers); runs to completion or raises. True when there
    was one, False when every node is up to date."""
    step = plan_batch(work.nodegroups(), found, work.template.image_id,
                      not work.needs_lb())
    if step is None:
        return False
    work.say(_('Upgrading nodegroup %(nodegroup)s to image %(image)s: '
               'replacing %(nodes)s (%(done)d of %(total)d replaced)') % {
                   'nodegroup': step.nodegroup.name, 'image': step.image,
                   'nodes': ', '.join(n.name for n in step.batch),
                   'done': step.done, 'total': step.total})
    deadline = time.monotonic() + CONF.local_driver.node_ready_timeout
    fresh = provision.start_nodes(work, step.specs,
                                  step.total + len(step.specs))
    running = [n for n in found if n.running and
               n.role in (nodes.ROLE_MASTER, nodes.ROLE_WORKER)]
    keep = [n for n in running if n not in step.batch] + fresh
    clients = {}
    try:
        clients = membership.connect_all(work, keep, deadline,
                                         installed={n.name for n in fresh})
        leaving = membership.connect_leaving(work, step.batch, clients)
        manager = membership.form_swarm(work, keep, clients,
                                        leaving=leaving)
        membership.apply_labels(work, manager, fresh)
        membership.wait_ready(work, manager, [n.name for n in fresh],
                              deadline, label=_(' among the new ones'))
        if step.nodegroup.is_master:
            # A manager still in the swarm is the one to ask now.
            manager = clients[fresh[0].name]
        membership.remove_nodes(work, manager, step.batch)
        lb = next((n for n in found if n.role == nodes.ROLE_LB), None)
        if work.needs_lb():
            lb = network.ensure_lb(work, [n for n in keep if n.is_master],
                                   lb)
        converge.record(work, keep, lb, manager)
    finally:
        membership.close_all(clients)
    return True
