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

"""The Node objects of servers a cluster's stack no longer has.

A server removed by a resize down (``nodes_to_remove`` or not) or a
nodegroup's delete leaves its Node object in the Kubernetes API: only a
cloud controller manager deletes the nodes whose servers are gone, and
these drivers run none unless ``cloud_provider_enabled``. Such a node is
NotReady for ever, and every health check after it would say the
cluster is UNHEALTHY. So once an operation's stack is complete and every
node it has is Ready, the driver deletes the nodes Magnum registered (they
carry the ``magnum.openstack.org/nodegroup`` label its kubelets register
with) whose servers the stack does not have. Nodes without that label
(joined by someone else) are never touched.

Best effort: an API that does not answer, or refuses, is logged and the
operation completes; the next one tries again, and the health check
names the node meanwhile.
"""

from oslo_log import log as logging

from magnum.common import exception
from magnum.drivers.heat.kubernetes import node_drain
from magnum.drivers.heat.kubernetes import node_labels
from magnum.drivers.heat.kubernetes import probe

LOG = logging.getLogger(__name__)

#: The label every node of these drivers registers with (node_labels).
NODEGROUP_LABEL = node_labels.NODEGROUP_LABEL


def stale(items, expected):
    """The names of the Nodes (as the API gives them) Magnum registered
    that are not among ``expected`` (the stack's server names,
    lowercase)."""
    names = []
    for item in items or []:
        metadata = item.get('metadata') or {}
        name = metadata.get('name')
        if name and name.lower() not in expected and \
                NODEGROUP_LABEL in (metadata.get('labels') or {}):
            names.append(name)
    return sorted(names)


def remove(context, cluster, expected):
    """Delete the stale nodes (see the module); the names deleted."""
    if not expected or not cluster.api_address:
        return []
    removed = []
    try:
        with probe.connected(context, cluster) as client:
            listed = node_drain.list_nodes(client)
            for name in stale(listed.values(), set(expected)):
                if node_drain.delete_node(client, name):
                    removed.append(name)
                    LOG.info('Cluster %s: deleted node %s from its '
                             'Kubernetes API (its server is no longer in '
                             'the stack)', cluster.uuid, name)
    except (exception.MagnumException, node_drain.APIError) as error:
        LOG.warning('Cluster %s: could not delete the nodes of removed '
                    'servers from its Kubernetes API: %s', cluster.uuid,
                    error)
    return removed
