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

"""The nodes of a local cluster as ``GET /v1/clusters/{id}/nodes`` shows
them: the engine's node containers joined with what the swarm says of
each (``Driver.list_nodes``).

A node is Ready when its container runs and the swarm calls it ready
(managers also reachable); NotReady when one of the two says otherwise;
Unknown when the swarm cannot be asked (the reason says why).
"""

import collections
import contextlib

from magnum.drivers.local import nodes
from magnum.drivers.local import swarm
from magnum.i18n import _

READY = 'Ready'
NOT_READY = 'NotReady'
UNKNOWN = 'Unknown'


def _swarm_facts(work):
    """({hostname: swarm node attrs}, {swarm node id: running tasks},
    reason the swarm could not be read or None)."""
    cluster = work.cluster
    if not cluster.api_address:
        return {}, {}, _('the cluster has no API address yet')
    manager = None
    try:
        manager = swarm.client(cluster.api_address, work.credentials,
                               timeout=10)
        known = {}
        for node in manager.nodes.list():
            hostname = ((node.attrs.get('Description') or {}).get(
                'Hostname'))
            known[hostname] = node.attrs
        tasks = collections.Counter(
            task.get('NodeID') for task in manager.api.tasks(
                filters={'desired-state': 'running'})
            if (task.get('Status') or {}).get('State') == 'running')
        return known, tasks, None
    except swarm.UNREACHABLE as error:
        return {}, {}, _('the cluster API at %(address)s does not answer '
                         '(%(error)s)') % {'address': cluster.api_address,
                                           'error': error}
    finally:
        if manager is not None:
            with contextlib.suppress(Exception):
                manager.close()


def _status(node, attrs, unreadable):
    """(status, reason) of a node container and its swarm node attrs."""
    if not node.running:
        return NOT_READY, _('its container is %s') % (node.state or
                                                      _('gone'))
    if unreadable:
        return UNKNOWN, unreadable
    if attrs is None:
        return NOT_READY, _('it is not in the swarm')
    described = swarm.describe_node(attrs)
    if swarm.is_ready(described):
        return READY, None
    return NOT_READY, _('the swarm says it is %(state)s%(reach)s') % {
        'state': described['state'],
        'reach': (_(', %s') % described['reachability'])
        if described['role'] == 'manager' else ''}


def list_nodes(work):
    """The driver's node dicts (magnum.drivers.common.driver.Driver.
    list_nodes) of the cluster of ``work``, sorted by name."""
    groups = {ng.uuid: ng.name for ng in work.nodegroups()}
    found = [n for n in work.observe() if n.role != nodes.ROLE_LB]
    known, tasks, unreadable = _swarm_facts(work) if any(
        n.running and n.is_master for n in found) else (
            {}, {}, _('no manager node runs'))
    listed = []
    for node in sorted(found, key=lambda n: n.name):
        attrs = known.get(node.name)
        status, reason = _status(node, attrs, unreadable)
        engine = ((attrs or {}).get('Description') or {}).get(
            'Engine') or {}
        listed.append({
            'name': node.name,
            'nodegroup': groups.get(node.nodegroup, node.nodegroup),
            'role': node.role,
            'addresses': [node.address] if node.address else [],
            'status': status,
            'status_reason': reason,
            'server_id': node.container.id,
            'engine_version': engine.get('EngineVersion'),
            'running_tasks': tasks.get((attrs or {}).get('ID'), 0)
            if attrs is not None else None,
            'docker_url': swarm.node_url(node) if node.address else None,
        })
    return listed
