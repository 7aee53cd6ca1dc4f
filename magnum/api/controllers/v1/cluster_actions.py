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

"""/v1/clusters/{ident}/actions: resize and upgrade
(api-ref/source/clusters.inc).

Also what every operation on a cluster shares (clusters, their actions and
their nodegroups): the statuses an operation may start from, starting it
with a compare-and-set on the status so that two racing requests cannot
both start, and putting the status back when the conductor cannot be
reached.
"""

from oslo_log import log as logging
from oslo_utils import excutils
from oslo_utils import strutils
import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.api import microversion
from magnum.api import utils
from magnum.api.controllers.v1 import load_image as load_image_api
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import policy
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import cluster_request
from magnum.objects import fields

LOG = logging.getLogger(__name__)

Status = fields.ClusterStatus

# The largest value an INTEGER column holds on every backend.
INT_MAX = 2 ** 31 - 1

# What each operation may start from. A failed operation may be retried
# (or undone) by a new one, so every *_FAILED status is accepted too.
UPDATABLE = Status.STATUS_STABLE + Status.STATUS_FAILED
RESIZABLE = Status.STATUS_RESIZABLE + tuple(
    s for s in Status.STATUS_FAILED if s not in Status.STATUS_RESIZABLE)
UPGRADABLE = UPDATABLE
# Nodegroup create, update and delete.
NODEGROUP_CHANGES_ALLOWED = Status.STATUS_RESIZABLE


def string(maximum=255, minimum=1):
    return wtypes.StringType(min_length=minimum, max_length=maximum)


def integer(minimum=0):
    return wtypes.IntegerType(minimum=minimum, maximum=INT_MAX)


def int_value(field, value, minimum=0, nullable=False):
    """A patched integer: an int or an int-like string within range."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not strutils.is_int_like(value):
        raise exception.InvalidParameterValue(
            err=_('%(field)s must be an integer, not %(value)r') %
            {'field': field, 'value': value})
    value = int(value)
    if not minimum <= value <= INT_MAX:
        raise exception.InvalidParameterValue(
            err=_('%(field)s must be between %(min)d and %(max)d, not '
                  '%(value)d') % {'field': field, 'min': minimum,
                                  'max': INT_MAX, 'value': value})
    return value


def labels_diff(labels, base):
    """(overridden, added, skipped) of ``labels`` against ``base``:
    overridden holds the base's value of the keys whose values differ,
    added the keys only in ``labels``, skipped the keys only in ``base``."""
    labels, base = labels or {}, base or {}
    overridden = {key: base[key] for key in labels
                  if key in base and base[key] != labels[key]}
    added = {key: value for key, value in labels.items() if key not in base}
    skipped = {key: value for key, value in base.items()
               if key not in labels}
    return overridden, added, skipped


def driver_for(template):
    """The driver of a template; 400 when no installed driver fits."""
    return driver_base.registry().for_template(template)


def check_status(cluster, allowed, operation):
    if cluster.status not in allowed:
        raise exception.Conflict(
            message=_('Cannot %(operation)s cluster %(cluster)s while its '
                      'status is %(status)s; it must be one of: '
                      '%(allowed)s.') % {
                          'operation': operation,
                          'cluster': cluster.name or cluster.uuid,
                          'status': cluster.status,
                          'allowed': ', '.join(allowed)})


def begin(cluster, allowed, operation, status=Status.UPDATE_IN_PROGRESS,
          **changes):
    """Move ``cluster`` to ``status`` (saving ``changes`` with it) if its
    status allows ``operation``; 409 when it does not, or when another
    request changed the status since the cluster was read. Returns what
    ``undo`` needs."""
    check_status(cluster, allowed, operation)
    previous = {key: cluster[key] for key in changes}
    previous.update(status=cluster.status,
                    status_reason=cluster.status_reason)
    cluster.status = status
    cluster.status_reason = None
    for key, value in changes.items():
        setattr(cluster, key, value)
    try:
        cluster.save(expected={'status': previous['status']})
    except exception.ConcurrentUpdate:
        raise exception.Conflict(
            message=_('Cannot %(operation)s cluster %(cluster)s: another '
                      'request changed its status at the same time; retry '
                      'once it is stable.') % {
                          'operation': operation,
                          'cluster': cluster.name or cluster.uuid})
    return previous


def undo(cluster, previous):
    """Put back what ``begin`` replaced, unless something else has changed
    the status since."""
    current = cluster.status
    for key, value in previous.items():
        setattr(cluster, key, value)
    try:
        cluster.save(expected={'status': current})
    except (exception.ConcurrentUpdate, exception.ClusterNotFound) as error:
        LOG.info('Not restoring the status of cluster %s: %s', cluster.uuid,
                 error)


def conductor_failure(error):
    return _('The conductor could not be reached: %s') % error


def send(method, undo_with, **kwargs):
    """Ask the conductor (a cast or a call); when that fails, run
    ``undo_with(error)`` and let the error through (a 503 when the
    conductor could not be reached)."""
    try:
        return getattr(pecan.request.rpcapi, method)(
            pecan.request.context, **kwargs)
    except Exception as error:
        with excutils.save_and_reraise_exception():
            cluster = kwargs.get('cluster')
            LOG.warning('%(method)s of cluster %(cluster)s failed: %(error)s',
                        {'method': method, 'error': error,
                         'cluster': getattr(cluster, 'uuid', None) or
                         kwargs.get('uuid')})
            undo_with(error)


def send_recorded(method, undo_with, operation, arguments, **kwargs):
    """``send`` a cast whose request is recorded first (ClusterRequest:
    ``operation`` on ``kwargs['cluster']`` with ``arguments``), so that
    the cluster's owner carries it out after ``[conductor] lock_timeout``
    should the cast be lost. When the request cannot be recorded or the
    cast fails, it is withdrawn and ``undo_with(error)`` runs."""
    context = pecan.request.context
    cluster = kwargs['cluster']
    try:
        request = objects.ClusterRequest.record(
            context, cluster.uuid, operation, **arguments)
    except Exception as error:
        with excutils.save_and_reraise_exception():
            LOG.warning('Could not record the %(operation)s of cluster '
                        '%(cluster)s: %(error)s', {
                            'operation': operation, 'cluster': cluster.uuid,
                            'error': error})
            undo_with(error)

    def withdraw_then_undo(error):
        # Withdrawn first: a status put back with the request still on
        # record would have it dropped, never replayed, but say why.
        try:
            request.withdraw()
        except Exception:
            LOG.exception('Could not withdraw request %s of cluster %s',
                          request.uuid, cluster.uuid)
        undo_with(error)

    return send(method, withdraw_then_undo, request=request.uuid, **kwargs)


def find_nodegroup(context, cluster, ident):
    """The nodegroup ``ident`` of the cluster, else its default worker."""
    if ident:
        return objects.NodeGroup.get(context, cluster.uuid, ident)
    nodegroup = cluster.default_ng_worker
    if nodegroup is None:
        raise exception.NodeGroupNotFound(
            nodegroup=_('default worker of cluster %s') % cluster.uuid)
    return nodegroup


class ClusterID(wtypes.Base):
    """The answer to an accepted cluster operation: which cluster."""

    uuid = types.uuid

    def __init__(self, uuid):
        super().__init__()
        self.uuid = uuid


class ClusterResizeRequest(wtypes.Base):

    node_count = wtypes.wsattr(integer(), mandatory=True)
    """How many nodes the nodegroup is to have."""

    nodes_to_remove = wtypes.wsattr([wtypes.text], default=[])
    """Server ids to remove first when shrinking."""

    nodegroup = wtypes.wsattr(string(), default=None)
    """id, uuid or name; the default worker nodegroup when absent."""


class ClusterUpgradeRequest(wtypes.Base):

    cluster_template = wtypes.wsattr(string(), mandatory=True)
    """The template (uuid or name) to upgrade to."""

    max_batch_size = wtypes.wsattr(integer(minimum=1), default=1)

    nodegroup = wtypes.wsattr(string(), default=None)


class ActionsController(rest.RestController):
    """/v1/clusters/{ident}/actions"""

    _custom_actions = {'resize': ['POST'], 'upgrade': ['POST'],
                       'load_image': ['POST']}

    @wsme_pecan.wsexpose(ClusterID, wtypes.text, body=ClusterResizeRequest,
                         status_code=202)
    @microversion.at_least('1.7', method='cluster resize')
    def resize(self, cluster_ident, resize):
        context = pecan.request.context
        node_count = resize.node_count
        if node_count == 0 and microversion.requested() < (1, 10):
            raise exception.ZeroNodeCountNotSupported()
        nodes_to_remove = resize.nodes_to_remove or []
        if any(not isinstance(node, str) or not node
               for node in nodes_to_remove):
            raise exception.InvalidParameterValue(
                err=_('nodes_to_remove must be a list of server ids'))
        # Admins act on every project as with update (compatibility.rst,
        # "Admins and other projects").
        utils.scope_admin(context, 'cluster:update_all_projects')
        cluster = objects.Cluster.get(context, cluster_ident)
        policy.authorize(context, 'cluster:resize', target=cluster.as_dict())
        nodegroup = find_nodegroup(context, cluster, resize.nodegroup)
        if nodegroup.is_master:
            driver_for(cluster.cluster_template).validate_master_resize(
                node_count)
        else:
            minimum = nodegroup.min_node_count or 0
            maximum = nodegroup.max_node_count
            if node_count < minimum or (maximum is not None and
                                        node_count > maximum):
                raise exception.NGResizeOutBounds(
                    nodegroup=nodegroup.name, min_nc=minimum,
                    max_nc=maximum)
        previous = begin(cluster, RESIZABLE, 'resize')
        send_recorded('cluster_resize', lambda error: undo(cluster, previous),
                      cluster_request.RESIZE, {
                          'node_count': node_count,
                          'nodes_to_remove': nodes_to_remove,
                          'nodegroup': nodegroup.uuid},
                      cluster=cluster, node_count=node_count,
                      nodes_to_remove=nodes_to_remove, nodegroup=nodegroup)
        return ClusterID(cluster.uuid)

    @load_image_api.streamed
    @wsme_pecan.wsexpose(load_image_api.LoadImageResult, wtypes.text,
                         body=load_image_api.LoadImageRequest,
                         status_code=200)
    def load_image(self, cluster_ident, body=None):
        """Import an image tarball into every node (1.16, swarm)."""
        return load_image_api.load_image(cluster_ident, body)

    @wsme_pecan.wsexpose(ClusterID, wtypes.text, body=ClusterUpgradeRequest,
                         status_code=202)
    @microversion.at_least('1.7', method='cluster upgrade')
    def upgrade(self, cluster_ident, upgrade):
        context = pecan.request.context
        if microversion.requested() < (1, 8):
            raise exception.ClusterUpgradeNotSupported(
                reason=_('not in microversion %s; use 1.8 or later') %
                str(microversion.requested()))
        utils.scope_admin(context, 'cluster:upgrade_all_projects')
        cluster = objects.Cluster.get(context, cluster_ident)
        policy.authorize(context, 'cluster:upgrade',
                         target=cluster.as_dict())
        template = objects.ClusterTemplate.get(context,
                                               upgrade.cluster_template)
        nodegroup = find_nodegroup(context, cluster, upgrade.nodegroup)
        if not nodegroup.is_default and \
                template.uuid != cluster.cluster_template_id:
            raise exception.InvalidClusterTemplateForUpgrade(
                reason=_('nodegroup %(nodegroup)s is not a default '
                         'nodegroup: upgrade the default nodegroups to '
                         '%(template)s first') % {
                             'nodegroup': nodegroup.name,
                             'template': template.name or template.uuid})
        previous = begin(cluster, UPGRADABLE, 'upgrade')

        def undo_unless_unknown(error):
            # A call that timed out may still run in the conductor: leave
            # the status for the status sync to settle.
            if not isinstance(error, exception.ConductorUnavailable):
                undo(cluster, previous)

        # A call, not a cast: what the conductor refuses reaches the caller.
        send('cluster_upgrade', undo_unless_unknown, cluster=cluster,
             cluster_template=template,
             max_batch_size=upgrade.max_batch_size, nodegroup=nodegroup)
        return ClusterID(cluster.uuid)
