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

"""Making the containers and the swarm match the nodegroups: create,
update, resize and the nodegroup operations all converge, and so does a
resumed one (the plan is made from what runs, so running it again does
only what is still missing).

``plan`` decides which nodes to add and which to remove from what the
engine shows, without touching it; ``converge`` carries it out.
"""

import dataclasses
import time

from oslo_log import log as logging

from magnum import conf
from magnum.common import exception
from magnum.drivers.local import membership
from magnum.drivers.local import network
from magnum.drivers.local import nodes
from magnum.drivers.local import provision
from magnum.drivers.local import swarm
from magnum.drivers.local import work as work_module
from magnum.drivers.local.work import LocalDriverError
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Plan:
    """What converging changes: containers stopped (made again), nodes
    kept, nodes removed, and nodes to start as (nodegroup, index, image,
    publish) tuples, managers first."""

    broken: list
    keep: list
    doomed: list
    specs: list


def plan(nodegroups, node_list, default_image, publish_masters,
         removing=()):
    """The Plan that makes ``node_list`` (the cluster's node containers,
    its load balancer left out) match ``nodegroups``.

    A stopped container is made again (its node's state was in it); the
    names in ``removing`` (nodes_to_remove) go first; a nodegroup with
    more nodes than it wants loses those of an outdated image first, then
    its highest indexes; one with fewer gets the lowest free indexes (a
    node being removed keeps its index until it is gone); nodes of a
    nodegroup that no longer exists are removed. ``default_image`` is the
    image of a nodegroup that names none; managers are published on a
    host port with ``publish_masters`` (no load balancer)."""
    removing = set(removing)
    broken = [n for n in node_list if not n.running]
    running = [n for n in node_list if n.running]
    doomed = [n for n in running if n.name in removing]
    running = [n for n in running if n.name not in removing]
    specs = []
    for nodegroup in sorted(nodegroups, key=lambda g: not g.is_master):
        image = nodegroup.image_id or default_image
        have = sorted((n for n in running if n.nodegroup == nodegroup.uuid),
                      key=lambda n: (n.image == image, -n.index))
        want = work_module.wanted(nodegroup)
        if len(have) > want:
            extra = have[:len(have) - want]
            doomed.extend(extra)
            running = [n for n in running if n not in extra]
        used = {n.index for n in node_list
                if n.nodegroup == nodegroup.uuid and n not in broken}
        for index in nodes.free_indexes(used, max(0, want - len(have))):
            specs.append((nodegroup, index, image,
                          nodegroup.is_master and publish_masters))
    known = {ng.uuid for ng in nodegroups}
    orphans = [n for n in running if n.nodegroup not in known]
    doomed.extend(orphans)
    running = [n for n in running if n not in orphans]
    return Plan(broken=broken, keep=running, doomed=doomed, specs=specs)


def converge(work, removing=()):
    """Make the containers and the swarm match the nodegroups: remove
    ``removing`` (Nodes) and broken containers, add what is missing,
    remove what is extra, all in one swarm with every node Ready; runs
    to completion (or raises) and saves what it recorded."""
    deadline = time.monotonic() + CONF.local_driver.node_ready_timeout
    work.at(_('checking the node image'))
    groups = work.nodegroups()
    for nodegroup in groups:
        if work_module.wanted(nodegroup):
            work.engine.image(work.image_of(nodegroup))
    network.ensure_network(work)
    work.at(_('reading the cluster\'s containers'))
    found = work.observe()
    lb = next((n for n in found if n.role == nodes.ROLE_LB), None)
    node_list = [n for n in found if n.role != nodes.ROLE_LB]
    todo = plan(groups, node_list, work.template.image_id,
                not work.needs_lb(), {n.name for n in removing})
    if todo.broken:
        work.at(_('removing stopped nodes %s') % ', '.join(
            n.name for n in todo.broken))
        for node in todo.broken:
            work.engine.remove_container(node.container)
    running = list(todo.keep)
    total = len(running) + len(todo.specs)
    fresh = provision.start_nodes(work, todo.specs, total) \
        if todo.specs else []
    running.extend(fresh)
    if not running:
        raise LocalDriverError(reason=_('The cluster has no nodes.'))
    clients = {}
    try:
        clients = membership.connect_all(work, running, deadline,
                                         installed={n.name for n in fresh})
        leaving = membership.connect_leaving(work, todo.doomed, clients)
        work.say(_('Started %(total)d of %(total)d nodes; forming the '
                   'swarm') % {'total': total})
        manager = membership.form_swarm(work, running, clients,
                                        leaving=leaving)
        membership.remove_nodes(work, manager, todo.doomed)
        masters = [n for n in running if n.is_master]
        if work.needs_lb():
            lb = network.ensure_lb(work, masters, lb)
        elif lb is not None:
            work.engine.remove_container(lb.container)
            lb = None
        work.at(_('labelling the swarm nodes'))
        membership.apply_labels(work, manager, running)
        work.at(_('waiting for the nodes to be Ready'))
        membership.wait_ready(work, manager, [n.name for n in running],
                              deadline)
        record(work, running, lb, manager)
        work.at(_('waiting for the cluster API'))
        membership.wait_api(work, deadline)
        work.say(_('All %d nodes are Ready in the swarm') % len(running))
    finally:
        membership.close_all(clients)


def api_port(running, lb, current):
    """The host port of the cluster API: the load balancer's, else the
    current one while a manager still publishes it, else the newest
    manager's; None when nothing publishes it."""
    if lb is not None:
        return lb.published_port
    ports = [n.published_port for n in sorted(running, key=lambda n: n.index)
             if n.is_master and n.published_port]
    if current in ports:
        return current
    return ports[-1] if ports else None


def record(work, running, lb, manager=None):
    """Save the nodegroups' addresses, the API address and the versions,
    from what runs (the cluster's status is left to the caller)."""
    for nodegroup in work.nodegroups():
        addresses = [n.address for n in sorted(running,
                                               key=lambda n: n.index)
                     if n.nodegroup == nodegroup.uuid and n.address]
        if (nodegroup.node_addresses or []) != addresses:
            nodegroup.node_addresses = addresses
            nodegroup.save()
    port = api_port(running, lb, nodes.port_of(work.cluster.api_address))
    if port:
        work.cluster.api_address = network.api_url(port)
    if not work.cluster.stack_id:
        work.cluster.stack_id = nodes.cluster_prefix(work.cluster.uuid)
    if manager is not None:
        version = manager.version()
        work.cluster.coe_version = version.get('Version')
        work.cluster.container_version = version.get('Version')
    work.cluster.save()


# -- nodes_to_remove ----------------------------------------------------------

def match_node(members, ident):
    """The Node of ``members`` that ``ident`` names by container name
    (= hostname), address or container id (12 characters or more), or
    None."""
    return next((n for n in members if ident in (n.name, n.address) or (
        len(ident) >= 12 and n.container.id.startswith(ident))), None)


def _swarm_ids(work, members):
    """{swarm node id: Node} of the running ``members`` that answer."""
    found = {}
    for node in members:
        if not node.running:
            continue
        try:
            client = swarm.connect(node, work.credentials, timeout=5)
        except swarm.UNREACHABLE:
            continue
        try:
            found[swarm.local_state(client)[1]] = node
        except swarm.UNREACHABLE:
            pass
        finally:
            client.close()
    return found


def resolve_nodes(work, nodegroup, idents):
    """The Nodes of ``nodegroup`` that ``idents`` name: container names,
    container ids, addresses or swarm node ids (asked of the nodes only
    when nothing else matched). InvalidParameterValue for one that names
    none of them."""
    if not idents:
        return []
    members = [n for n in work.observe() if n.nodegroup == nodegroup.uuid]
    swarm_ids = None
    found = []
    for ident in idents:
        match = match_node(members, ident)
        if match is None:
            if swarm_ids is None:
                swarm_ids = _swarm_ids(work, members)
            match = swarm_ids.get(ident)
        if match is None:
            raise exception.InvalidParameterValue(
                err=_('nodes_to_remove: %(ident)s is not a node of '
                      'nodegroup %(nodegroup)s (its nodes: %(nodes)s)') %
                {'ident': ident, 'nodegroup': nodegroup.name,
                 'nodes': ', '.join(n.name for n in members) or '-'})
        if match not in found:
            found.append(match)
    return found
