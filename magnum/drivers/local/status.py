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

"""The status sync's view of a local cluster: what the engine and the
swarm say, recorded as the cluster's status, reason and conditions.

An operation in progress ends here: ``*_COMPLETE`` once every node the
nodegroups ask for runs, is Ready in the swarm and (after a CA rotation)
serves certificates of the cluster's CA, and the API answers; an upgrade
goes on here, one batch per pass. Ends are recorded with
magnum.common.cluster_status (compare-and-swap, nodegroups follow, one
notification).
"""

import contextlib

from oslo_log import log as logging

from magnum.common import cluster_status
from magnum.common import conditions
from magnum.common import exception
from magnum.drivers.local import converge
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import nodes
from magnum.drivers.local import provision
from magnum.drivers.local import rotation
from magnum.drivers.local import swarm
from magnum.drivers.local import upgrade
from magnum.drivers.local import work as work_module
from magnum.drivers.local.work import LocalDriverError
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus


def fail(context, cluster, reason):
    """Record the cluster's operation as failed (unless another writer
    got there first); an upgrade it was is over."""
    if cluster_status.fail(context, cluster, reason):
        upgrade.finish(_nodegroups(cluster))


def _nodegroups(cluster):
    from magnum import objects
    return objects.NodeGroup.list(work_module.admin(), cluster.uuid)


def sync(operation, context, cluster):
    """One pass of the status sync over a cluster in progress (not being
    deleted); ``operation`` is the (not yet entered) Work context of the
    pass. Carries an upgrade on by one batch, else observes and records.
    Raises nothing: what cannot be observed is said in the status reason
    (an upgrade that cannot go on fails)."""
    status = cluster.status
    upgrading = False
    try:
        with operation as work:
            found = work.observe()
            if status == STATUS.UPDATE_IN_PROGRESS:
                # Only an upgrade gives a nodegroup another image: nodes
                # with an older one are replaced, a batch per pass.
                upgrading = True
                if upgrade.replace_batch(work, found):
                    return
                if upgrade.in_progress(work.nodegroups()):
                    # Make good what broke meanwhile (a node that
                    # stopped) before observing.
                    converge.converge(work)
                    found = work.observe()
                upgrading = False
            observe(work, found)
    except (LocalDriverError, exception.MagnumException) as error:
        if upgrading:
            # Say so rather than retry for ever.
            fail(context, cluster, _('Upgrade failed: %s') % error)
            return
        LOG.warning('Cluster %s: cannot observe it: %s', cluster.uuid,
                    error)
        with contextlib.suppress(Exception):
            cluster.status_reason = _('Cannot observe the cluster: %s') % (
                error)
            cluster.save()


def observe_delete(context, cluster, engine):
    """DELETE_COMPLETE once the engine has nothing of the cluster left;
    until then, what remains in the status reason."""
    try:
        left = provision.count_left(engine, cluster.uuid)
    except engine_module.EngineError as error:
        cluster.status_reason = str(error)
        cluster.save()
        return
    finally:
        engine.close()
    if not any(left):
        cluster_status.complete(context, cluster, _(
            'Every container, network and volume of the cluster is gone'))
        return
    cluster.status_reason = _(
        'Deleting: %(containers)d containers, %(networks)d networks and '
        '%(volumes)d volumes remain') % dict(zip(
            ('containers', 'networks', 'volumes'), left))
    cluster.save()


def _answers(node, credentials):
    client = swarm.try_connect(node, credentials)
    if client is None:
        return False
    client.close()
    return True


def _forget_deleted_nodegroups(work, found):
    for nodegroup in work.nodegroups():
        if nodegroup.status == STATUS.DELETE_IN_PROGRESS and not any(
                n.nodegroup == nodegroup.uuid for n in found):
            LOG.info('Cluster %s: nodegroup %s is gone', work.cluster.uuid,
                     nodegroup.name)
            with contextlib.suppress(exception.NodeGroupNotFound):
                nodegroup.destroy()
    return work.nodegroups(refresh=True)


def _swarm_view(cluster, credentials, running, problems):
    """(manager client or None, {hostname: swarm node}) through the
    cluster API."""
    if not cluster.api_address:
        problems.append(_('the cluster has no API address yet'))
        return None, {}
    if not any(n.is_master for n in running):
        return None, {}
    manager = None
    try:
        manager = swarm.client(cluster.api_address, credentials,
                               timeout=10)
        return manager, swarm.by_hostname(swarm.list_nodes(manager))
    except swarm.UNREACHABLE as error:
        reason = error
    problems.append(_('the cluster API at %(address)s does not answer '
                      '(%(error)s)') % {'address': cluster.api_address,
                                        'error': reason})
    return manager, {}


def observe(work, found):
    """Record what the swarm says; *_COMPLETE when it is what the
    nodegroups ask for."""
    cluster = work.cluster
    groups = _forget_deleted_nodegroups(work, found)
    lb = next((n for n in found if n.role == nodes.ROLE_LB), None)
    node_list = [n for n in found if n.role != nodes.ROLE_LB]
    running = [n for n in node_list if n.running]
    if not node_list and cluster.status == STATUS.CREATE_IN_PROGRESS:
        return  # not started yet
    problems = []
    manager, known = _swarm_view(cluster, work.credentials, running,
                                 problems)
    ready = [n for n in running if n.name in known and
             swarm.is_ready(known[n.name])]
    wanted = sum(work_module.wanted(ng) for ng in groups)
    for nodegroup in groups:
        have = [n for n in running if n.nodegroup == nodegroup.uuid]
        if len(have) != work_module.wanted(nodegroup):
            problems.append(_('nodegroup %(nodegroup)s has %(have)d of '
                              '%(want)d nodes') % {
                                  'nodegroup': nodegroup.name,
                                  'have': len(have),
                                  'want': work_module.wanted(nodegroup)})
    late = sorted(n.name for n in node_list if n not in ready)
    if late and not problems:
        problems.append(_('not Ready: %s') % ', '.join(late))
    if cluster.status == STATUS.UPDATE_IN_PROGRESS and not problems:
        # After a CA rotation every node must serve a certificate of the
        # cluster's CA and accept Magnum's client certificate.
        stale = [n.name for n in running
                 if not _answers(n, work.credentials)]
        if stale:
            problems.append(_('not serving certificates of the cluster\'s '
                              'CA yet: %s') % ', '.join(stale))
    if work.needs_lb() and (lb is None or not lb.running):
        problems.append(_('the load balancer is not running'))
    try:
        converge.record(work, running, lb if lb is not None and lb.running
                        else None, manager)
    finally:
        if manager is not None:
            manager.close()
    _set_conditions(cluster, ready, wanted, late, manager)
    if problems:
        cluster.status_reason = '; '.join(problems)
        cluster.save()
        return
    if cluster.status == STATUS.UPDATE_IN_PROGRESS:
        rotation.clear_rotation_marks(work, running)
    if cluster_status.complete(
            work.context, cluster,
            _('All %d nodes are Ready in the swarm') % len(ready)):
        upgrade.finish(groups)


def _set_conditions(cluster, ready, wanted, late, manager):
    conditions.set_condition(
        cluster, conditions.NODES_READY,
        conditions.TRUE if len(ready) == wanted and not late
        else conditions.FALSE,
        'NodesReady' if not late else 'NodesNotReady',
        _('%(ready)d of %(wanted)d nodes Ready') % {
            'ready': len(ready), 'wanted': wanted})
    masters_ready = [n for n in ready if n.is_master]
    conditions.set_condition(
        cluster, conditions.CONTROL_PLANE_READY,
        conditions.TRUE if manager is not None and masters_ready
        else conditions.FALSE,
        'ManagersReady' if masters_ready else 'ManagersNotReady',
        _('%d manager(s) Ready') % len(masters_ready))
