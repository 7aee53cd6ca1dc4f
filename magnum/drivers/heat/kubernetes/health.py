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

"""What one look of ``probe`` at a Kubernetes cluster's API means for
its health, its readiness after a stack, and its nodes.

Health (``KubernetesMonitor``, the conductor's periodic health check):
``health_status_reason`` has a ``<node>.Ready`` entry per node (``True``
or ``False``) and ``api``, /readyz's answer ('ok'); HEALTHY when the API
is ready and every node is Ready, UNHEALTHY otherwise, UNKNOWN when the
API cannot be asked, with ``api`` saying why. The contract's semantics
(api-contract 6.4), with two differences said in the admin guide: the
API is asked whether or not the cluster has floating IPs (the create
reached it to complete), and the reason says why it was not reachable.

A cluster whose ``magnum-auto-healer`` runs is left to it: the healer
writes the health fields through Magnum's API, and two writers would
undo each other's word.
"""

import dataclasses

from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.kubernetes import probe
from magnum.i18n import _
from magnum.objects import fields

HEALTH = fields.ClusterHealthStatus

#: The nodes endpoint's node statuses.
READY = 'Ready'
NOT_READY = 'NotReady'
UNKNOWN = 'Unknown'

AUTO_HEALER = 'magnum-auto-healer'


def _true(value):
    return str(value).strip().lower() in ('true', '1', 'yes', 'on')


def healed_elsewhere(cluster):
    """Whether the cluster's own auto-healer keeps its health fields
    (labels auto_healing_enabled and auto_healing_controller, as the
    cluster holds them: no template read)."""
    labels = cluster.labels or {}
    return _true(labels.get('auto_healing_enabled')) and \
        labels.get('auto_healing_controller', AUTO_HEALER) == AUTO_HEALER


class KubernetesMonitor:
    """poll_health_status() -> (health status, reason dict)."""

    def __init__(self, context, cluster):
        self.context = context
        self.cluster = cluster

    def poll_health_status(self):
        return health_of(probe.observe(self.context, self.cluster),
                         self.cluster)


def monitor_for(context, cluster):
    """The cluster's monitor, or None when its auto-healer keeps its
    health; no I/O."""
    if healed_elsewhere(cluster):
        return None
    return KubernetesMonitor(context, cluster)


def unreachable_reason(observation, cluster):
    return _('The cluster %(name)s is not accessible. Its Kubernetes API '
             'at %(address)s: %(why)s.') % {
                 'name': cluster.name or cluster.uuid,
                 'address': observation.address or '-',
                 'why': observation.unreachable.rstrip('.')}


def health_of(observation, cluster):
    """(health status, reason dict) of one look."""
    if observation.unreachable:
        return HEALTH.UNKNOWN, {'api': unreachable_reason(observation,
                                                          cluster)}
    reason = {'%s.Ready' % node.name: str(node.is_ready)
              for node in observation.nodes or ()}
    reason['api'] = observation.ready_body or \
        'HTTP %d' % observation.ready_status
    if not observation.api_ready:
        if observation.nodes is None:
            reason['nodes'] = observation.nodes_error
        return HEALTH.UNHEALTHY, reason
    if observation.nodes is None:
        reason['nodes'] = _('the API answers but its nodes cannot be '
                            'read: %s') % observation.nodes_error
        return HEALTH.UNKNOWN, reason
    if not observation.nodes:
        reason['nodes'] = _('no node has registered with the API')
        return HEALTH.UNHEALTHY, reason
    if all(node.is_ready for node in observation.nodes):
        return HEALTH.HEALTHY, reason
    return HEALTH.UNHEALTHY, reason


@dataclasses.dataclass(frozen=True)
class Readiness:
    """Whether the cluster is ready after its stack, as conditions say
    it: ControlPlaneReady (``api``), NodesReady (``nodes``)."""

    api: bool
    api_reason: str
    api_message: str
    nodes: bool
    nodes_reason: str
    nodes_message: str

    @property
    def ready(self):
        return self.api and self.nodes

    @property
    def message(self):
        """The cluster's status_reason while it waits."""
        return self.api_message if not self.api else self.nodes_message


def readiness(observation, expected):
    """Readiness of one look; ``expected``: the names of the nodes the
    stack has (its outputs), every one of which must be Ready."""
    if observation.unreachable:
        message = _('The Kubernetes API at %(address)s does not answer: '
                    '%(why)s') % {'address': observation.address or '-',
                                  'why': observation.unreachable}
        return Readiness(False, 'APIUnreachable', message, False,
                         'APIUnreachable', message)
    if not observation.api_ready:
        message = _('The Kubernetes API at %(address)s is not ready: '
                    '%(answer)s') % {
                        'address': observation.address,
                        'answer': observation.ready_body or
                        'HTTP %d' % observation.ready_status}
        return Readiness(False, 'APINotReady', message, False,
                         'APINotReady', message)
    api_message = _('The Kubernetes API answers: %s') % \
        observation.ready_body
    if observation.nodes is None:
        return Readiness(True, 'APIAnswering', api_message, False,
                         'NodesUnreadable', _(
                             'The Kubernetes API does not list its nodes: '
                             '%s') % observation.nodes_error)
    ready = {node.name for node in observation.nodes if node.is_ready}
    known = {node.name: node for node in observation.nodes}
    expected = set(expected) or set(known)
    if not expected:
        return Readiness(True, 'APIAnswering', api_message, False,
                         'NodesNotReady', _('No node has registered with '
                                            'the Kubernetes API yet'))
    waiting = sorted(set(expected) - ready)
    if not waiting:
        return Readiness(True, 'APIAnswering', api_message, True,
                         'NodesReady', _('All %d nodes Ready') %
                         len(expected))
    details = []
    for name in waiting[:5]:
        node = known.get(name)
        details.append('%s (%s)' % (name, node.why if node else _(
            'not registered yet')))
    if len(waiting) > 5:
        details.append('...')
    return Readiness(True, 'APIAnswering', api_message, False,
                     'NodesNotReady', _(
                         '%(ready)d of %(expected)d nodes Ready; not yet: '
                         '%(nodes)s') % {
                             'ready': len(expected) - len(waiting),
                             'expected': len(expected),
                             'nodes': ', '.join(details)})


def stack_node_names(outputs):
    """The names of the servers of the stack's nodegroups (Kubernetes
    registers each node under its server's name), lowercase."""
    names = set()
    for key, value in outputs.items():
        if key.startswith('ng_') and key.endswith('_names'):
            names.update(str(n).lower() for n in value or [] if n)
    return names


def list_nodes(outputs, nodegroups, observation):
    """The nodes endpoint's dicts: the servers of the stack's outputs,
    each with what the Kubernetes API says of its node."""
    known = {node.name: node for node in observation.nodes or ()}
    listed = []
    for nodegroup in nodegroups:
        key = definition.nodegroup_key(nodegroup)
        for server_id, name, address in definition.server_members(
                outputs, key):
            node = known.get(str(name or '').lower())
            if observation.unreachable:
                status = UNKNOWN
                why = _('the Kubernetes API does not answer: %s') % \
                    observation.unreachable
            elif observation.nodes is None:
                status = UNKNOWN
                why = _('the Kubernetes API does not list its nodes: %s') \
                    % observation.nodes_error
            elif node is None:
                status, why = NOT_READY, _('not registered with the '
                                           'Kubernetes API')
            elif node.is_ready:
                status, why = READY, None
            else:
                status = UNKNOWN if node.ready == 'Unknown' else NOT_READY
                why = node.why
            listed.append({
                'name': name,
                'nodegroup': nodegroup.name,
                'role': nodegroup.role,
                'addresses': [address] if address else
                list(node.addresses if node else []),
                'status': status,
                'status_reason': why,
                'server_id': server_id,
                'engine_version': None,
                'running_tasks': None,
                'docker_url': None,
            })
    return sorted(listed, key=lambda n: n['name'] or '')
