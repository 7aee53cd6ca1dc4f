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

"""Health of a Heat swarm-mode cluster, for the conductor's health pass.

The swarm is asked through the cluster's API address with Magnum's client
certificate, as a user of the cluster would ask it; Heat is not read (the
health pass runs for every cluster each period, and the stack says
nothing about whether a node is in the swarm). The reason has the shape
the local and Kubernetes drivers give: one ``<node>.Ready`` entry per
node and ``api``. A swarm with fewer Ready nodes than the nodegroups ask
for is UNHEALTHY too, and ``nodes`` says how many are missing: a server
that never joined, or was lost, has no entry of its own in the swarm.
"""

from oslo_log import log as logging

from magnum import conf
from magnum.drivers.common import swarm_api
from magnum.drivers.heat.swarm_vm import inventory
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

HEALTH = fields.ClusterHealthStatus


def health_of(known, expected):
    """(status, reason) from the swarm's nodes ({host name: node attrs},
    one entry a host: ``inventory.by_hostname``) and the number of nodes
    the cluster's nodegroups ask for."""
    ready = {}
    for hostname, attrs in known.items():
        ready[hostname] = swarm_api.is_ready(
            swarm_api.describe_node(attrs))
    reason = {'%s.Ready' % name: str(value)
              for name, value in sorted(ready.items())}
    reason['api'] = 'ok'
    missing = max(expected - sum(ready.values()), 0)
    if missing and len(ready) < expected:
        reason['nodes'] = _('%(ready)d of %(expected)d nodes are Ready in '
                            'the swarm; %(absent)d are not in it at all') % {
                                'ready': sum(ready.values()),
                                'expected': expected,
                                'absent': expected - len(ready)}
    if missing or not ready:
        return HEALTH.UNHEALTHY, reason
    return HEALTH.HEALTHY, reason


class HeatSwarmMonitor:
    """poll_health_status() -> (health status, reason dict)."""

    def __init__(self, context, cluster):
        self.context = context
        self.cluster = cluster

    def poll_health_status(self):
        known, _tasks, unreadable = inventory.swarm_facts(
            self.context, self.cluster,
            CONF.heat_driver.docker_api_timeout)
        if unreadable:
            return HEALTH.UNKNOWN, {'api': _(
                'The cluster %(name)s is not accessible: %(why)s') % {
                    'name': self.cluster.name or self.cluster.uuid,
                    'why': unreadable}}
        expected = sum(ng.node_count or 0 for ng in self.cluster.nodegroups)
        status, reason = health_of(known, expected)
        if status != HEALTH.HEALTHY:
            LOG.info('Cluster %s is %s: %s', self.cluster.uuid, status,
                     reason)
        return status, reason
