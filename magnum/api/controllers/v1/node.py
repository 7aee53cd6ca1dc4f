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

"""/v1/clusters/{cluster_ident}/nodes, from microversion 1.16: the
machines of a cluster as its driver sees them now (not stored: each
request asks the conductor, which asks the driver)."""

import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.api import microversion
from magnum.api import utils
from magnum.api.controllers.v1 import collection
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _

MIN_VERSION = (1, 16)
SORT_KEYS = ('name', 'nodegroup', 'role', 'status')


def available(what):
    """406 below 1.16. Checked in the body (not with a decorator) so
    that pecan sees the methods' real signatures (see nodegroup.py)."""
    version = microversion.requested()
    if version < MIN_VERSION:
        raise microversion.MethodNotAvailable(
            version=str(version), method=what,
            needed=microversion.version_string(MIN_VERSION))


class Node(wtypes.Base):
    """One machine of a cluster."""

    name = wtypes.text
    nodegroup = wtypes.text
    role = wtypes.text
    addresses = [wtypes.text]
    status = wtypes.text
    """Ready, NotReady or Unknown."""
    status_reason = wtypes.text
    server_id = wtypes.text
    """The server (or, for the local driver, container) id."""
    engine_version = wtypes.text
    """The Docker engine version (swarm clusters)."""
    running_tasks = int
    """Swarm tasks running on the node (swarm clusters)."""

    _FIELDS = ('name', 'nodegroup', 'role', 'addresses', 'status',
               'status_reason', 'server_id', 'engine_version',
               'running_tasks')

    @classmethod
    def convert(cls, values):
        return cls(**{key: values.get(key) for key in cls._FIELDS})


class NodeCollection(collection.Collection):

    nodes = [Node]

    _type = 'nodes'


def page(items, marker, limit, sort_key, sort_dir, key='name'):
    """The page of items (dicts) after marker (a key value)
    in the order asked for; 400 for an unknown sort key or marker."""
    if sort_key not in SORT_KEYS:
        raise exception.InvalidParameterValue(
            err=_('sort_key must be one of %s') % ', '.join(SORT_KEYS))
    items = sorted(items, key=lambda i: (i.get(sort_key) or '',
                                         i.get(key) or ''),
                   reverse=sort_dir == 'desc')
    if marker is not None:
        names = [i.get(key) for i in items]
        if marker not in names:
            raise exception.InvalidParameterValue(
                err=_('marker %s is not one of the list') % marker)
        items = items[names.index(marker) + 1:]
    return items[:limit]


class NodesController(rest.RestController):
    """/v1/clusters/{cluster_ident}/nodes"""

    @wsme_pecan.wsexpose(NodeCollection, wtypes.text, wtypes.text, int,
                         wtypes.text, wtypes.text)
    def get_all(self, cluster_ident, marker=None, limit=None,
                sort_key='name', sort_dir='asc'):
        available(_('nodes'))
        context = pecan.request.context
        utils.scope_admin(context, 'node:get_all_all_projects')
        policy.authorize(context, 'node:get_all')
        limit = utils.validate_limit(limit)
        sort_dir = utils.validate_sort_dir(sort_dir)
        cluster = objects.Cluster.get(context, cluster_ident)
        listed = pecan.request.rpcapi.node_list(context, cluster=cluster)
        items = [Node.convert(n) for n in page(listed, marker, limit,
                                                 sort_key, sort_dir)]
        result = NodeCollection.page([], limit)
        result.nodes = items
        result.next = result.get_next(
            limit, url='clusters/%s/nodes' % cluster.uuid,
            marker_attribute='name', sort_key=sort_key, sort_dir=sort_dir)
        return result
