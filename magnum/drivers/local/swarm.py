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

"""The swarm of a cluster, through the nodes' Docker APIs over mutual TLS.

Magnum authenticates with the cluster's client certificate (CN=admin,
signed by the cluster CA) and trusts only the cluster CA: the same
credentials ``openstack coe cluster config`` hands to users.
"""

import contextlib
import time

import docker
import docker.errors
import docker.tls
from oslo_log import log as logging

from magnum import conf
from magnum.drivers.common import swarm_api
from magnum.drivers.local import nodes
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# What a client of a node may raise when the node is not (yet) there.
UNREACHABLE = swarm_api.UNREACHABLE


class SwarmError(Exception):
    """The swarm refused or could not do something; the message says
    what, on which node."""


# -- credentials --------------------------------------------------------------

class Credentials(swarm_api.TLSFiles):
    """The cluster CA and Magnum's client certificate as files (see
    swarm_api.TLSFiles): no private key stays on disk after use.

    ``pems`` (CA, client certificate, client key), when given, are used
    instead of the cluster's stored ones (the certificates a CA rotation
    brings in)."""

    def __init__(self, context, cluster, pems=None):
        if pems is None:
            # Here, not at import: magnum-api loads the driver without
            # the cryptography bindings certificates brings.
            from magnum.common import certificates
            ca = certificates.get_ca_certificate(context, cluster)
            cert, key = certificates.get_cluster_magnum_cert(context,
                                                             cluster)
        else:
            ca, cert, key = pems
        super().__init__(ca, cert, key)


def client(base_url, credentials, timeout=None):
    """A docker client of a node or of the cluster API (tcp://host:port)
    speaking the server's API version; connects at once: raises when it
    cannot."""
    return swarm_api.client(base_url, credentials,
                            timeout or CONF.local_driver.engine_timeout)


def node_url(node):
    return 'tcp://%s:%d' % (node.address, nodes.DOCKER_PORT)


@contextlib.contextmanager
def closing_all(clients):
    try:
        yield clients
    finally:
        for each in clients.values():
            with contextlib.suppress(Exception):
                each.close()


def connect(node, credentials, timeout=10):
    return client(node_url(node), credentials, timeout=timeout)


def try_connect(node, credentials, timeout=5):
    """A client of the node when its dockerd answers with ``credentials``
    (it serves a certificate of their CA and accepts their client
    certificate), else None."""
    try:
        return connect(node, credentials, timeout=timeout)
    except UNREACHABLE as error:
        LOG.debug('Node %s does not answer with the credentials in %s: %s',
                  node.name, credentials.directory, error)
        return None


def wait_for_dockerd(pending, credentials, deadline, progress=None,
                     exited=None):
    """Clients of the nodes ``pending`` (a list of Node) once their
    dockerd answers over TLS; {name: client}. SwarmError naming the
    nodes that did not answer by ``deadline`` (a monotonic time), or at
    once naming a node for which ``exited(node)`` (asked every two
    seconds) returns a reason."""
    clients = {}
    last_error = {}
    waiting = list(pending)
    next_check = time.monotonic() + 2
    try:
        while waiting:
            for node in list(waiting):
                try:
                    clients[node.name] = connect(node, credentials,
                                                 timeout=5)
                    waiting.remove(node)
                    if progress:
                        progress(len(clients), len(pending))
                except UNREACHABLE as error:
                    last_error[node.name] = error
            if not waiting:
                break
            if exited is not None and time.monotonic() > next_check:
                next_check = time.monotonic() + 2
                for node in waiting:
                    reason = exited(node)
                    if reason:
                        raise SwarmError(_(
                            'dockerd of %(node)s did not start: '
                            '%(reason)s') % {'node': node.name,
                                             'reason': reason})
            if time.monotonic() > deadline:
                raise SwarmError(_(
                    'dockerd of %(nodes)s did not answer over TLS at port '
                    '%(port)d (last error: %(error)s)') % {
                        'nodes': ', '.join(n.name for n in waiting),
                        'port': nodes.DOCKER_PORT,
                        'error': last_error.get(waiting[0].name)})
            time.sleep(0.2)
    except BaseException:
        for each in clients.values():
            each.close()
        raise
    return clients


# -- reading the swarm --------------------------------------------------------

describe_node = swarm_api.describe_node
list_nodes = swarm_api.list_nodes
is_ready = swarm_api.is_ready


def by_hostname(swarm_nodes):
    """{hostname: the node to trust}: a Ready one when a name is there
    twice (a node replaced under the same name leaves a Down entry)."""
    found = {}
    for swarm_node in swarm_nodes:
        known = found.get(swarm_node['hostname'])
        if known is None or (is_ready(swarm_node) and not is_ready(known)):
            found[swarm_node['hostname']] = swarm_node
    return found


def local_state(node_client):
    """(LocalNodeState, NodeID, ControlAvailable) of a node."""
    info = node_client.info().get('Swarm') or {}
    return (info.get('LocalNodeState') or 'inactive', info.get('NodeID'),
            bool(info.get('ControlAvailable')))


# -- changing it --------------------------------------------------------------

def init(manager_client, node, force_new_cluster=False):
    manager_client.swarm.init(
        advertise_addr=node.address,
        listen_addr='0.0.0.0:%d' % nodes.SWARM_PORT,
        force_new_cluster=force_new_cluster)


def join_tokens(manager_client):
    manager_client.swarm.reload()
    tokens = manager_client.swarm.attrs['JoinTokens']
    return {'manager': tokens['Manager'], 'worker': tokens['Worker']}


def join(node_client, node, manager_addresses, token):
    node_client.swarm.join(
        remote_addrs=['%s:%d' % (address, nodes.SWARM_PORT)
                      for address in manager_addresses],
        join_token=token, advertise_addr=node.address,
        listen_addr='0.0.0.0:%d' % nodes.SWARM_PORT)


def leave(node_client):
    with contextlib.suppress(docker.errors.APIError):
        node_client.swarm.leave(force=True)


def update_node(manager_client, node_id, **changes):
    """Change a swarm node's spec (Labels, Availability, Role)."""
    swarm_node = manager_client.nodes.get(node_id)
    spec = dict(swarm_node.attrs['Spec'])
    spec.update(changes)
    swarm_node.update(spec)


def drain(manager_client, node_id, timeout):
    """Drain a node and wait (at most ``timeout`` seconds) until no task
    runs on it any more. True when it emptied in time."""
    update_node(manager_client, node_id, Availability='drain')
    deadline = time.monotonic() + timeout
    while True:
        running = [task for task in manager_client.api.tasks(
            filters={'node': node_id, 'desired-state': 'running'})
            if (task.get('Status') or {}).get('State') in (
                'running', 'starting', 'preparing', 'assigned',
                'accepted', 'ready')]
        if not running:
            return True
        if time.monotonic() > deadline:
            LOG.warning('Node %s still runs %d tasks after %d s of '
                        'draining; removing it anyway', node_id,
                        len(running), timeout)
            return False
        time.sleep(0.5)


def remove_node(manager_client, swarm_node):
    """Forget a node in the swarm; a manager is demoted first."""
    if swarm_node['role'] == 'manager':
        with contextlib.suppress(docker.errors.NotFound):
            update_node(manager_client, swarm_node['id'], Role='worker')
        # The demotion takes effect once the raft has agreed.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                current = describe_node(
                    manager_client.nodes.get(swarm_node['id']))
            except docker.errors.NotFound:
                return
            if current['role'] == 'worker' and not current['reachability']:
                break
            time.sleep(0.5)
    deadline = time.monotonic() + 30
    while True:
        try:
            manager_client.api.remove_node(swarm_node['id'], force=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as error:
            # "node is a cluster manager..." until the demotion settles.
            if time.monotonic() > deadline:
                raise SwarmError(_('the swarm would not remove node '
                                   '%(node)s: %(error)s') % {
                                       'node': swarm_node['hostname'],
                                       'error': error.explanation or error})
            time.sleep(0.5)
