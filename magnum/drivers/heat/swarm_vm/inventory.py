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

"""The nodes of a Heat swarm-mode cluster as
``GET /v1/clusters/{id}/nodes`` shows them (``Driver.list_nodes``):
the servers the stack's outputs name, joined with what the swarm says
of each (read through the manager's Docker API with Magnum's client
certificate).
"""

import collections
import contextlib

from magnum.drivers.common import swarm_api
from magnum.drivers.heat import template_definition as definition
from magnum.i18n import _

READY = 'Ready'
NOT_READY = 'NotReady'
UNKNOWN = 'Unknown'


def swarm_facts(context, cluster, timeout):
    """({hostname: swarm node attrs}, {swarm node id: running tasks},
    why the swarm could not be read or None)."""
    if not cluster.api_address:
        return {}, {}, _('the cluster has no API address yet')
    try:
        with swarm_api.cluster_tls(context, cluster) as tls:
            manager = swarm_api.client(cluster.api_address, tls, timeout)
            try:
                known = by_hostname(n.attrs for n in manager.nodes.list())
                tasks = collections.Counter(
                    task.get('NodeID') for task in manager.api.tasks(
                        filters={'desired-state': 'running'})
                    if (task.get('Status') or {}).get('State') ==
                    'running')
                return known, tasks, None
            finally:
                with contextlib.suppress(Exception):
                    manager.close()
    except swarm_api.UNREACHABLE as error:
        return {}, {}, _('the swarm manager at %(address)s does not answer '
                         '(%(error)s)') % {'address': cluster.api_address,
                                           'error': error}


def by_hostname(nodes):
    """{host name: swarm node attrs}; of two entries with one host name
    (a rebuilt server joins again as a new node, its old entry stays
    until it is removed), the Ready one."""
    known = {}
    for attrs in nodes:
        hostname = ((attrs.get('Description') or {}).get('Hostname') or
                    '').lower()
        if hostname in known and swarm_api.is_ready(
                swarm_api.describe_node(known[hostname])):
            continue
        known[hostname] = attrs
    return known


def list_nodes(outputs, nodegroups, known, tasks, unreadable, api_url):
    """The driver's node dicts from the stack's outputs, the swarm's
    known nodes and running tasks; api_url(address) is the
    Docker API of a node."""
    listed = []
    for nodegroup in nodegroups:
        key = definition.nodegroup_key(nodegroup)
        for server_id, name, address in definition.server_members(
                outputs, key):
            attrs = known.get((name or '').lower())
            if unreadable:
                status, reason = UNKNOWN, unreadable
            elif attrs is None:
                status, reason = NOT_READY, _('it is not in the swarm')
            elif swarm_api.is_ready(swarm_api.describe_node(attrs)):
                status, reason = READY, None
            else:
                status, reason = NOT_READY, _(
                    'the swarm says it is %s') % (
                        (attrs.get('Status') or {}).get('State'))
            engine = ((attrs or {}).get('Description') or {}).get(
                'Engine') or {}
            listed.append({
                'name': name,
                'nodegroup': nodegroup.name,
                'role': nodegroup.role,
                'addresses': [address] if address else [],
                'status': status,
                'status_reason': reason,
                'server_id': server_id,
                'engine_version': engine.get('EngineVersion'),
                'running_tasks': tasks.get(attrs.get('ID'), 0)
                if attrs is not None else None,
                'docker_url': api_url(address) if address else None,
            })
    return sorted(listed, key=lambda n: n['name'] or '')
