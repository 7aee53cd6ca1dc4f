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

"""CA rotation: every node gets a server certificate of the new CA and
that CA, and its dockerd is restarted in its container (its swarm state
stays), one node at a time, workers first, then managers, the swarm's
leader last, so that the swarm keeps its quorum.

Each node is first marked with the fingerprint of the CA it is being
moved to (``nodes.ROTATION_MARKER``): a rotation whose conductor died is
finished from those marks (``resume``). A node that already answers with
the target CA's credentials is left as it is, so moving is idempotent.
"""

import contextlib
import time

from oslo_log import log as logging

from magnum import conf
from magnum.drivers.local import authority as authority_module
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import membership
from magnum.drivers.local import network
from magnum.drivers.local import nodes
from magnum.drivers.local import swarm
from magnum.drivers.local import work as work_module
from magnum.drivers.local.work import LocalDriverError
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def order(node_list, leaders=()):
    """The order nodes are restarted in: workers, then managers by
    index, the swarm's leader (a name in ``leaders``) last. (The leader's
    restart costs the swarm an election: with several managers, about
    10 s without a leader. Demoting it first would hand the leadership
    over at once, but promoting it again can make dockerd 20.10 panic,
    "tocommit is out of range", and lose the node.)"""
    workers = [n for n in node_list if not n.is_master]
    managers = sorted((n for n in node_list if n.is_master),
                      key=lambda n: (n.name in leaders, n.index))
    return workers + managers


def rotation_nodes(work):
    """The cluster's nodes (not its load balancer), every one running and
    able to restart its dockerd in place; LocalDriverError naming the one
    that is not."""
    work.at(_('reading the cluster\'s containers'))
    found = sorted((n for n in work.observe() if n.role != nodes.ROLE_LB),
                   key=lambda n: n.name)
    for node in found:
        if not node.running:
            raise LocalDriverError(reason=_(
                'Node %(node)s is %(state)s: the CA certificate is rotated '
                'on running nodes only. Resize the cluster to its current '
                'size to replace the node, then rotate again.') % {
                    'node': node.name, 'state': node.state})
        if not nodes.restartable(node):
            raise LocalDriverError(reason=_(
                'Node %(node)s runs dockerd as its first process (it was '
                'made by an older version of the %(driver)s driver): its '
                'dockerd cannot be restarted with new certificates without '
                'losing its swarm state. Replace the cluster\'s nodes '
                '(upgrade it to another node image tag) before rotating '
                'its CA.') % {'node': node.name,
                              'driver': work.driver_name})
    if not any(n.is_master for n in found):
        raise LocalDriverError(reason=_(
            'The cluster has no manager node to rotate the CA certificate '
            'of.'))
    return found


def manager_client(work, masters, authorities, avoid=None):
    """A client of a manager that answers swarm questions (another than
    ``avoid`` when there is one), with whichever authority's credentials
    it accepts; None when no manager does."""
    for master in sorted(masters, key=lambda n: (n is avoid, n.index)):
        client = next((c for c in (swarm.try_connect(master, a.credentials)
                                   for a in authorities) if c is not None),
                      None)
        if client is None:
            continue
        try:
            swarm.list_nodes(client)
            return client
        except swarm.UNREACHABLE as error:
            LOG.info('Cluster %s: manager %s does not answer for the swarm '
                     '(%s)', work.cluster.uuid, master.name, error)
            client.close()
    return None


@contextlib.contextmanager
def _members(work, masters, authorities, avoid=None):
    """(client, {hostname: swarm node}) of a manager that answers, or
    (None, {})."""
    manager = manager_client(work, masters, authorities, avoid=avoid)
    if manager is None:
        yield None, {}
        return
    try:
        yield manager, swarm.by_hostname(swarm.list_nodes(manager))
    finally:
        manager.close()


def drain_for_restart(work, node, masters, authorities):
    """Drain the node before its dockerd restarts, when other active
    nodes can take its tasks; its availability is kept in the node to be
    set again afterwards (by a resumed rotation too)."""
    with _members(work, masters, authorities, avoid=node) as (manager,
                                                              members):
        if manager is None:
            LOG.warning('Cluster %s: no manager answers; %s is restarted '
                        'without draining', work.cluster.uuid, node.name)
            return
        member = members.get(node.name)
        if member is None or member['availability'] != 'active':
            return
        if not any(name != node.name and m['availability'] == 'active' and
                   swarm.is_ready(m) for name, m in members.items()):
            return
        work.at(_('draining %s') % node.name)
        work.engine.put_archive(node.container, '/',
                                nodes.availability_archive('active'))
        swarm.drain(manager, member['id'], CONF.local_driver.drain_timeout)


def restore_availability(work, node, masters, authorities):
    """Make a node drained for its restart available again."""
    wanted = work.read_file(node, nodes.AVAILABILITY_FILE)
    if not wanted:
        return
    work.at(_('making %s active again') % node.name)
    with _members(work, masters, authorities) as (manager, members):
        if manager is None:
            raise LocalDriverError(reason=_(
                'No manager answers to make %s active again in the '
                'swarm.') % node.name)
        member = members.get(node.name)
        if member is not None and member['availability'] != wanted:
            swarm.update_node(manager, member['id'], Availability=wanted)
    work.engine.exec(node.container, ['rm', '-f', nodes.AVAILABILITY_FILE])


def wait_rejoined(work, node, client, deadline):
    """Wait until the restarted node is back in the swarm (a manager with
    the control plane: the raft has a leader and the node is in it)."""
    state = None
    while True:
        info = client.info().get('Swarm') or {}
        state = info.get('LocalNodeState')
        if state == 'active' and (info.get('ControlAvailable') or
                                  not node.is_master):
            return
        if time.monotonic() > deadline:
            raise LocalDriverError(reason=_(
                'Node %(node)s did not rejoin the swarm within %(timeout)d'
                ' s of the restart of its dockerd (its swarm state: '
                '%(state)s). See "docker logs %(node)s" on the engine at '
                '%(url)s.') % {
                    'node': node.name, 'state': state,
                    'timeout': CONF.local_driver.node_ready_timeout,
                    'url': work.engine.url})
        time.sleep(0.3)


def rotate_node(work, node, target, authorities, masters, deadline):
    """Give the node a server certificate of ``target``'s CA with that CA
    and restart its dockerd; back when it answers with ``target``'s
    credentials and is Ready. A node that already answers so is left as
    it is. True when the node was restarted."""
    client = swarm.try_connect(node, target.credentials)
    if client is not None:
        client.close()
        restore_availability(work, node, masters, authorities)
        return False
    drain_for_restart(work, node, masters, authorities)
    work.at(_('installing the certificates of the %(which)s CA in '
              '%(node)s') % {'which': target.label, 'node': node.name})
    dns_names, ip_addresses = network.certificate_names(work, node)
    cert, key = target.issue(node.name, dns_names, ip_addresses)
    work.touched = True
    work.engine.put_archive(
        node.container, '/',
        nodes.certificates_archive(target.ca_pem, cert, key))
    work.at(_('restarting dockerd of %s') % node.name)
    work.engine.signal(node.container, nodes.RESTART_SIGNAL)
    work.at(_('waiting for dockerd of %s to answer with its new '
              'certificate') % node.name)
    clients = swarm.wait_for_dockerd([node], target.credentials, deadline,
                                     exited=work.exited)
    with swarm.closing_all(clients):
        work.at(_('waiting for %s to rejoin the swarm') % node.name)
        wait_rejoined(work, node, clients[node.name], deadline)
    with _members(work, masters, authorities) as (manager, _known):
        if manager is not None:
            membership.wait_ready(work, manager, [node.name], deadline,
                                  label=_(' after the restart of %s') %
                                  node.name)
    restore_availability(work, node, masters, authorities)
    return True


def rotate_to(work, target, others=(), mark=True):
    """Move every node to ``target``'s CA, one node at a time in
    ``order``. ``others`` are the authorities nodes not moved yet answer
    to. With ``mark`` the nodes first record which CA they are being
    moved to (for a resumed rotation). Ends when every node answers with
    ``target``'s credentials, each having been Ready after its
    restart."""
    authorities = [target] + list(others)
    node_list = rotation_nodes(work)
    masters = [n for n in node_list if n.is_master]
    if mark:
        work.at(_('marking the nodes for the CA rotation'))
        for node in node_list:
            work.engine.put_archive(
                node.container, '/',
                nodes.rotation_archive(target.fingerprint))
    work.at(_('finding the swarm\'s leader'))
    with _members(work, masters, authorities) as (_manager, members):
        leaders = {name for name, m in members.items() if m.get('leader')}
    ordered = order(node_list, leaders)
    for done, node in enumerate(ordered):
        work.say(_('Rotating the CA certificate: restarting dockerd of '
                   '%(node)s with a certificate of the %(which)s CA '
                   '(%(done)d of %(total)d nodes done)') % {
                       'node': node.name, 'which': target.label,
                       'done': done, 'total': len(ordered)})
        deadline = time.monotonic() + CONF.local_driver.node_ready_timeout
        rotate_node(work, node, target, authorities, masters, deadline)
    # Workers reconnect to a restarted manager on their own (in a few
    # seconds): the status sync sees them Ready again.
    work.say(_('Rotating the CA certificate: all %(total)d nodes serve '
               'certificates of the %(which)s CA') % {
                   'total': len(node_list), 'which': target.label})


def rotation_marks(work, node_list):
    """The CA fingerprints the nodes were being moved to."""
    return {mark for mark in (work.read_file(n, nodes.ROTATION_MARKER)
                              for n in node_list) if mark}


def clear_rotation_marks(work, node_list):
    for node in node_list:
        with contextlib.suppress(engine_module.EngineError):
            work.engine.exec(node.container,
                             ['rm', '-f', nodes.ROTATION_MARKER])


def move_back(work, current, target, reason):
    """Give nodes moved to ``target``'s CA the certificates of
    ``current`` again; what became of them, to be said."""
    LOG.warning('Cluster %s: CA rotation failed (%s); giving the nodes '
                'their current certificates back', work.cluster.uuid,
                reason)
    try:
        work.say(_('CA rotation failed: %s; giving the nodes their current '
                   'certificates back') % reason)
        rotate_to(work, current, [target], mark=False)
        clear_rotation_marks(work, rotation_nodes(work))
    except Exception as error:
        LOG.exception('Cluster %s: the nodes could not be given their '
                      'current certificates back', work.cluster.uuid)
        return _('Some nodes could not be given their current certificates '
                 'back (%s); resize the cluster to its current size to '
                 'repair them.') % error
    return _('The nodes serve their current certificates again.')


def rotate(work, new_set):
    """Move the nodes to ``new_set``'s CA (what the conductor offers as
    the pending rotation); when that fails, move those that were moved
    back to the current CA and raise a LocalDriverError saying what
    failed and how the nodes were left."""
    current = authority_module.Authority.current(work.context, work.cluster)
    target = authority_module.Authority.pending(work.context, work.cluster,
                                                new_set)
    try:
        work.touched = False
        try:
            rotate_to(work, target, [current])
        except Exception as error:
            reason = work_module.failure_reason(error, work.step)
            if work.touched:
                reason = '%s %s' % (reason, move_back(work, current, target,
                                                      reason))
            raise LocalDriverError(reason=reason) from error
    finally:
        target.close()
        current.close()


def finish_stored(work):
    """Finish a rotation whose new certificates were stored before its
    conductor died (every node marked with the cluster's current CA):
    the nodes not moved yet are moved to it. False when the marks say
    otherwise (the new CA was lost with the conductor)."""
    work.at(_('reading what the interrupted CA rotation left'))
    marks = rotation_marks(work, rotation_nodes(work))
    current = authority_module.Authority.current(work.context, work.cluster)
    try:
        if marks != {current.fingerprint}:
            return False
        work.say(_('Finishing the interrupted CA rotation (its new '
                   'certificates were stored)'))
        rotate_to(work, current, mark=False)
        return True
    finally:
        current.close()


def give_back(work, new_set, error):
    """The new certificates could not be stored after the nodes moved to
    them: move the nodes back to the current CA; a LocalDriverError to
    raise, saying so."""
    current = authority_module.Authority.current(work.context, work.cluster)
    target = authority_module.Authority.pending(work.context, work.cluster,
                                                new_set)
    try:
        outcome = move_back(work, current, target, str(error))
    finally:
        target.close()
        current.close()
    return LocalDriverError(reason=_(
        'The new certificates could not be stored: %(error)s. '
        '%(outcome)s') % {'error': error, 'outcome': outcome})
