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

"""Requests the API recorded (ClusterRequest) that no conductor took.

The status sync of the cluster's owner looks at them under its lock:
one whose cluster is being deleted, or whose nodegroup is gone, no
longer stands and is dropped; one that stands and was asked for
``[conductor] lock_timeout`` ago or more was lost with its cast and is
carried out again, by the same handler a cast reaches, with the same
arguments. The handler claims it under the cluster's lock, so a copy of
the cast that still arrives finds it taken and does nothing.

A request answered 202 stands whatever the cluster's status became
meanwhile (another operation failed, or a status sync that ran between
the API's status write and its record completed the cluster): the
request was never tried, and the handler starts it from any status but
a delete's.
"""

from oslo_log import log as logging

from magnum import conf
from magnum import objects
from magnum.common import exception
from magnum.conductor.handlers import cluster_conductor
from magnum.i18n import _
from magnum.objects import cluster_request

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# The operations whose request names a nodegroup.
NODEGROUP_OPERATIONS = (cluster_request.RESIZE,
                        cluster_request.CREATE_NODEGROUP,
                        cluster_request.UPDATE_NODEGROUP,
                        cluster_request.DELETE_NODEGROUP)


def _nodegroup(cluster, request):
    """The nodegroup the request names, or None when it is gone."""
    ident = (request.arguments or {}).get('nodegroup')
    if not ident:
        return None
    try:
        return objects.NodeGroup.get_by_uuid(
            cluster_conductor.admin_context(), cluster.uuid, ident)
    except exception.NodeGroupNotFound:
        return None


def why_void(cluster, request):
    """Why ``request`` no longer stands (a sentence), or None when it
    does."""
    if cluster.status in cluster_conductor.DELETE_STATUSES:
        return _('the cluster is being deleted')
    if request.operation not in cluster_request.OPERATIONS:
        return _('no conductor handles %s') % request.operation
    if request.operation in NODEGROUP_OPERATIONS and \
            _nodegroup(cluster, request) is None:
        return _('its nodegroup is gone')
    return None


def describe(cluster, request):
    """The request in words: 'the resize of nodegroup x to 3 nodes'."""
    arguments = request.arguments or {}
    nodegroup = _nodegroup(cluster, request)
    name = nodegroup.name if nodegroup is not None else \
        arguments.get('nodegroup')
    if request.operation == cluster_request.RESIZE:
        return _('the resize of nodegroup %(name)s to %(count)s nodes') % {
            'name': name, 'count': arguments.get('node_count')}
    if request.operation == cluster_request.UPDATE:
        if arguments.get('node_count') is None:
            return _('the update of the cluster')
        return _('the update of the cluster to %s nodes') % (
            arguments['node_count'])
    verb = request.operation.split()[0]
    return _('the %(verb)s of nodegroup %(name)s') % {
        'verb': {'create': _('creation'), 'update': _('update'),
                 'delete': _('deletion')}.get(verb, verb),
        'name': name}


def lost_reason(cluster, request):
    """The status reason of a replayed request."""
    return _('No conductor took up %(request)s in the %(seconds)d seconds '
             'since it was asked for; carrying it out now') % {
                 'request': describe(cluster, request),
                 'seconds': CONF.conductor.lock_timeout}


def interrupted_reason(cluster, request, interrupted):
    return _('Conductor %(holder)s stopped before it started %(request)s; '
             'carrying it out now') % {
                 'holder': interrupted['holder'],
                 'request': describe(cluster, request)}


def carry_out(cluster_handler, nodegroup_handler, context, cluster,
              request):
    """Run the request's handler as its cast would have (the handler
    claims the request, or does nothing when another did first)."""
    arguments = request.arguments or {}
    if request.operation == cluster_request.UPDATE:
        cluster_handler.cluster_update(
            context, cluster, node_count=arguments.get('node_count'),
            rollback=bool(arguments.get('rollback')), request=request.uuid)
        return
    nodegroup = _nodegroup(cluster, request)
    if nodegroup is None:
        LOG.info('Cluster %s: the nodegroup of request %s is gone',
                 cluster.uuid, request.uuid)
        objects.ClusterRequest.claim(context, request.uuid)
        return
    if request.operation == cluster_request.RESIZE:
        cluster_handler.cluster_resize(
            context, cluster, arguments.get('node_count'),
            arguments.get('nodes_to_remove') or [], nodegroup,
            request=request.uuid)
        return
    method = {
        cluster_request.CREATE_NODEGROUP: nodegroup_handler.nodegroup_create,
        cluster_request.UPDATE_NODEGROUP: nodegroup_handler.nodegroup_update,
        cluster_request.DELETE_NODEGROUP: nodegroup_handler.nodegroup_delete,
    }[request.operation]
    method(context, cluster, nodegroup, request=request.uuid)
