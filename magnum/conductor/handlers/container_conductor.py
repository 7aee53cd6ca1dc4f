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

"""Nodes and containers of a cluster (microversion 1.16): RPC calls
answered by asking the cluster's driver, which reads the outside world.

Whatever the outside world raises becomes a 503 naming the cluster and
its endpoint (the API never answers 500 for a cluster it cannot reach);
Magnum's own 4xx errors pass through as they are.
"""

from oslo_log import log as logging

from magnum.common import exception
from magnum.conductor.handlers import cluster_conductor
from magnum.i18n import _

LOG = logging.getLogger(__name__)

# docker_url is for the container handler, never shown.
PRIVATE_NODE_KEYS = ('docker_url',)


def unreachable(cluster, error):
    """The 503 of a cluster whose machines cannot be reached."""
    return exception.ServiceUnavailable(
        service=_('The cluster %(cluster)s (endpoint %(endpoint)s)') % {
            'cluster': cluster.name or cluster.uuid,
            'endpoint': cluster.api_address or _('not known yet')},
        reason=error)


def _is_client_error(error):
    return isinstance(error, exception.MagnumException) and \
        400 <= getattr(error, 'code', 500) < 500


def nodes_of(context, cluster):
    """The driver's node dicts of cluster (with private keys)."""
    driver = cluster_conductor.driver_for(cluster)
    try:
        return driver.list_nodes(context, cluster)
    except Exception as error:
        if _is_client_error(error):
            raise
        LOG.warning('Cluster %s: cannot list its nodes: %s', cluster.uuid,
                    error)
        raise unreachable(cluster, error) from None


class ContainerHandler:
    """RPC endpoint: node_list and the container_* calls."""

    def __init__(self, host):
        self.host = host

    def node_list(self, context, cluster):
        cluster = cluster_conductor.reload_cluster(cluster.uuid)
        return [{key: value for key, value in node.items()
                 if key not in PRIVATE_NODE_KEYS}
                for node in nodes_of(context, cluster)]
