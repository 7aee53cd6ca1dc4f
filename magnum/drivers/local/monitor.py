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

"""Health of a local swarm cluster.

The swarm is asked through the cluster's API address with Magnum's client
certificate, as a user of the cluster would ask it. The reason has one
``<node>.Ready`` entry per node (``True``/``False``) and ``api``, the
shape a Kubernetes cluster's health reason has: HEALTHY when every node is
Ready, UNHEALTHY naming the nodes that are not, UNKNOWN when the API
cannot be reached.

The engine is asked too: a node whose container is not running is not
Ready at once, before the swarm notices its missed heartbeats.
"""

from oslo_log import log as logging

from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import nodes
from magnum.drivers.local import swarm
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

HEALTH = fields.ClusterHealthStatus


def aggregate(swarm_nodes, containers=None):
    """(status, reason) from the swarm's nodes (dicts of
    swarm.describe_node) and, when known, the cluster's node containers
    (nodes.Node, LB excluded).

    With containers, the nodes are exactly the containers: a container
    missing from the swarm, or not running, is not Ready; swarm entries of
    containers that no longer exist (nodes being replaced) do not count.
    """
    known = swarm.by_hostname(swarm_nodes)
    ready = {}
    if containers is None:
        for hostname, swarm_node in known.items():
            ready[hostname] = swarm.is_ready(swarm_node)
    else:
        for node in containers:
            swarm_node = known.get(node.name)
            ready[node.name] = bool(node.running and swarm_node is not None
                                    and swarm.is_ready(swarm_node))
    reason = {'%s.Ready' % name: str(value)
              for name, value in sorted(ready.items())}
    down = sorted(name for name, value in ready.items() if not value)
    if not ready:
        reason['api'] = _('the cluster has no nodes')
        return HEALTH.UNHEALTHY, reason
    reason['api'] = 'ok'
    if down:
        return HEALTH.UNHEALTHY, reason
    return HEALTH.HEALTHY, reason


def down_nodes(reason):
    """The node names a reason of ``aggregate`` says are not Ready."""
    return sorted(key[:-len('.Ready')] for key, value in reason.items()
                  if key.endswith('.Ready') and value != 'True')


class LocalSwarmMonitor:
    """poll_health_status() -> (health status, reason dict)."""

    def __init__(self, context, cluster, engine=None):
        self.context = context
        self.cluster = cluster
        self.engine = engine or engine_module.Engine()

    def _unreachable(self, detail=None):
        message = _('The cluster %s is not accessible.') % (
            self.cluster.name or self.cluster.uuid)
        if detail:
            message = '%s %s' % (message, detail)
        return HEALTH.UNKNOWN, {'api': message}

    def _containers(self):
        """The cluster's node containers, or None when the engine does
        not answer (the swarm alone then decides)."""
        try:
            found = self.engine.containers(
                nodes.cluster_labels(self.cluster.uuid))
        except engine_module.EngineError as error:
            LOG.warning('Health of cluster %s: %s', self.cluster.uuid, error)
            return None
        finally:
            self.engine.close()
        network = nodes.network_name(self.cluster.uuid)
        return [node for node in (nodes.describe(c, network) for c in found)
                if node.role in (nodes.ROLE_MASTER, nodes.ROLE_WORKER)]

    def poll_health_status(self):
        if not self.cluster.api_address:
            return self._unreachable()
        try:
            with swarm.Credentials(self.context, self.cluster) as credentials:
                manager = swarm.client(self.cluster.api_address, credentials,
                                       timeout=10)
                try:
                    swarm_nodes = swarm.list_nodes(manager)
                finally:
                    manager.close()
        except swarm.UNREACHABLE as error:
            return self._unreachable(_('Its API at %(address)s does not '
                                       'answer: %(error)s') % {
                                           'address':
                                           self.cluster.api_address,
                                           'error': error})
        status, reason = aggregate(swarm_nodes, self._containers())
        if status != HEALTH.HEALTHY:
            LOG.info('Cluster %s is %s; nodes not Ready: %s',
                     self.cluster.uuid, status,
                     ', '.join(down_nodes(reason)) or '-')
        return status, reason
