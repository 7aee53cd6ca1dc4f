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

"""The swarm the nodes form: connecting to their dockerd, joining them
(managers as managers), their labels, taking nodes out, and waiting
until the swarm says they are Ready. Every step is idempotent: it reads
each node's swarm state first and does only what is missing."""

import concurrent.futures
import contextlib
import time

import docker.errors
from oslo_log import log as logging

from magnum import conf
from magnum.drivers.local import nodes
from magnum.drivers.local import provision
from magnum.drivers.local import swarm
from magnum.drivers.local.work import LocalDriverError
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def close_all(clients):
    for each in clients.values():
        with contextlib.suppress(Exception):
            each.close()


def connect_all(work, running, deadline, installed=()):
    """{name: client} of every running node, installing certificates
    where a half-finished operation left none (``installed`` names the
    nodes just given theirs)."""
    from magnum.common import certificates
    clients = {}
    waiting = []
    for node in running:
        if node.name in installed:
            waiting.append(node)
            continue
        try:
            clients[node.name] = swarm.connect(node, work.credentials,
                                               timeout=5)
        except swarm.UNREACHABLE:
            waiting.append(node)
    ca_pem = None
    for node in waiting:
        if node.name in installed:
            continue
        if ca_pem is None:
            ca_pem = certificates.get_ca_certificate(work.context,
                                                     work.cluster)
        if not provision.has_tls(work, node):
            provision.install_tls(work, node, ca_pem)
        elif nodes.restartable(node) and provision.has_other_ca(
                work, node, ca_pem):
            LOG.warning('Cluster %s: node %s has certificates of another '
                        'CA; it gets the cluster\'s again',
                        work.cluster.uuid, node.name)
            provision.install_tls(work, node, ca_pem, restart=True)
    if waiting:
        work.at(_('waiting for dockerd of %s') % ', '.join(
            node.name for node in waiting))
        clients.update(swarm.wait_for_dockerd(
            waiting, work.credentials, deadline, exited=work.exited))
    return clients


def connect_leaving(work, leaving, clients):
    """Add clients of the nodes about to be removed that answer; those
    that do not (a hung dockerd) are removed without draining. The nodes
    that answered."""
    answered = []
    for node in leaving:
        try:
            clients[node.name] = swarm.connect(node, work.credentials,
                                               timeout=5)
            answered.append(node)
        except swarm.UNREACHABLE as error:
            LOG.warning('Cluster %s: node %s does not answer (%s); it is '
                        'removed without draining', work.cluster.uuid,
                        node.name, error)
    return answered


def _leader(work, masters, candidates, states, clients):
    """The manager whose swarm the others join: an active manager with
    the control plane, or a swarm made anew on the first one."""
    leader = next((m for m in candidates
                   if states[m.name][0] == 'active' and states[m.name][2]),
                  None)
    if leader is None:
        leader = masters[0]
        if states[leader.name][0] != 'inactive':
            swarm.leave(clients[leader.name])
        work.at(_('initialising the swarm on %s') % leader.name)
        swarm.init(clients[leader.name], leader)
        states[leader.name] = swarm.local_state(clients[leader.name])
    return leader


def form_swarm(work, running, clients, leaving=()):
    """Make every running node a member of one swarm (managers as
    managers); stale members (nodes whose container is gone) are removed
    first, the nodes ``leaving`` are left as they are. The client of a
    manager."""
    work.at(_('forming the swarm'))
    masters = sorted((n for n in running if n.is_master),
                     key=lambda n: n.index)
    if not masters:
        raise LocalDriverError(reason=_(
            'The cluster has no running manager container to form the '
            'swarm with.'))
    states = {node.name: swarm.local_state(clients[node.name])
              for node in list(running) + list(leaving)}
    candidates = masters + sorted(
        (n for n in leaving if n.is_master), key=lambda n: n.index)
    leader = _leader(work, masters, candidates, states, clients)
    manager = clients[leader.name]
    try:
        members = {n['id']: n for n in swarm.list_nodes(manager)}
    except docker.errors.APIError as error:
        if 'leader' not in str(error):
            raise
        # The other managers are gone for good (their state was in their
        # containers): this one carries on alone.
        LOG.warning('Cluster %s: the swarm lost its quorum (%s); starting '
                    'it again from %s', work.cluster.uuid, error,
                    leader.name)
        work.at(_('recovering the swarm on %s') % leader.name)
        swarm.init(manager, leader, force_new_cluster=True)
        members = {n['id']: n for n in swarm.list_nodes(manager)}
    ours = {states[n.name][1] for n in list(running) + list(leaving)
            if states[n.name][0] == 'active'}
    for node_id, member in members.items():
        if node_id not in ours:
            work.at(_('removing stale swarm node %s') % member['hostname'])
            swarm.remove_node(manager, member)
    joined = {n.name for n in running
              if states[n.name][0] == 'active' and
              states[n.name][1] in members}
    tokens = swarm.join_tokens(manager)
    managers = [m.address for m in candidates if m.name in joined or
                (m in leaving and states[m.name][1] in members)]
    for master in masters:
        if master.name in joined:
            continue
        work.at(_('joining manager %s to the swarm') % master.name)
        if states[master.name][0] != 'inactive':
            swarm.leave(clients[master.name])
        swarm.join(clients[master.name], master, managers,
                   tokens['manager'])
        managers.append(master.address)
    workers = [n for n in running
               if not n.is_master and n.name not in joined]

    def join_worker(node):
        if states[node.name][0] != 'inactive':
            swarm.leave(clients[node.name])
        swarm.join(clients[node.name], node, managers, tokens['worker'])

    if workers:
        work.at(_('joining %s to the swarm') % ', '.join(
            n.name for n in workers))
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=min(8, len(workers))) as pool:
            for future in [pool.submit(join_worker, n) for n in workers]:
                future.result()
    return manager


def apply_labels(work, manager, running):
    """Nodegroup labels (and node_labels) as swarm node labels, with the
    node's nodegroup and role."""
    groups = {ng.uuid: ng for ng in work.nodegroups()}
    members = swarm.by_hostname(swarm.list_nodes(manager))
    for node in running:
        nodegroup = groups.get(node.nodegroup)
        member = members.get(node.name)
        if nodegroup is None or member is None:
            continue
        wanted = dict(nodegroup.labels or {})
        wanted.update(nodegroup.node_labels or {})
        wanted[nodes.LABEL_NODEGROUP_NAME] = nodegroup.name
        wanted[nodes.LABEL_ROLE] = node.role
        if member['labels'] != wanted:
            swarm.update_node(manager, member['id'], Labels=wanted)


def remove_nodes(work, manager, doomed):
    """Take nodes out: managers demoted while they run, every node
    drained, then its container removed and its swarm entry
    forgotten."""
    if not doomed:
        return
    work.at(_('removing %s') % ', '.join(n.name for n in doomed))
    members = {}
    if manager is not None:
        members = swarm.by_hostname(swarm.list_nodes(manager))
    for node in doomed:
        member = members.get(node.name)
        if member is None:
            continue
        if member['role'] == 'manager':
            swarm.remove_node(manager, member)
            members.pop(node.name)
        elif member['state'] == 'ready':
            swarm.drain(manager, member['id'],
                        CONF.local_driver.drain_timeout)
    for node in doomed:
        work.engine.remove_container(node.container)
    for node in doomed:
        member = members.get(node.name)
        if member is not None:
            swarm.remove_node(manager, member)


def wait_ready(work, manager, names, deadline, label=None):
    """Wait until the swarm says every node of ``names`` is Ready; its
    members by hostname. LocalDriverError naming the late ones after
    ``deadline`` (time.monotonic())."""
    names = sorted(names)
    known = {}
    while True:
        known = swarm.by_hostname(swarm.list_nodes(manager))
        late = [name for name in names if name not in known or
                not swarm.is_ready(known[name])]
        work.say(_('%(ready)d of %(total)d nodes Ready in the '
                   'swarm%(label)s') % {
                       'ready': len(names) - len(late),
                       'total': len(names), 'label': label or ''})
        if not late:
            return known
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    details = []
    for name in late:
        member = known.get(name)
        details.append('%s (%s)' % (name, member['state'] if member
                                    else _('not in the swarm')))
    raise LocalDriverError(reason=_(
        'Nodes not Ready in the swarm after %(timeout)d s: %(nodes)s. '
        'See "docker logs <node>" on the engine at %(url)s.') % {
            'timeout': CONF.local_driver.node_ready_timeout,
            'nodes': ', '.join(details), 'url': work.engine.url})


def wait_api(work, deadline):
    """Wait until the cluster API answers at api_address."""
    last = None
    while True:
        try:
            swarm.client(work.cluster.api_address, work.credentials,
                         timeout=5).close()
            return
        except swarm.UNREACHABLE as error:
            last = error
        if time.monotonic() > deadline:
            raise LocalDriverError(reason=_(
                'The cluster API at %(address)s does not answer: '
                '%(error)s') % {'address': work.cluster.api_address,
                                'error': last})
        time.sleep(0.3)
