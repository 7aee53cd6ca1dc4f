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

"""/v1/clusters, with the actions and nodegroups beneath
(api-ref/source/clusters.inc, nodegroups.inc).

The API writes the intent and the conductor makes it true: a create
inserts the cluster and its two default nodegroups in one transaction
(CREATE_IN_PROGRESS, the project's quota enforced atomically) before it
casts, so the uuid of a 202 always names a stored cluster; update, resize,
upgrade and delete move the status with a compare-and-set first.
"""

from oslo_log import log as logging
from oslo_utils import strutils
from oslo_utils import uuidutils
import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import conf
from magnum import objects
from magnum.api import microversion
from magnum.api import utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import cluster_actions
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import driver_checks
from magnum.api.controllers.v1 import node
from magnum.api.controllers.v1 import nodegroup
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import names
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import cluster_request
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STRING_DICT = wtypes.DictType(wtypes.text, wtypes.text)

Status = fields.ClusterStatus

SUMMARY_FIELDS = ('uuid', 'name', 'cluster_template_id', 'keypair',
                  'docker_volume_size', 'labels', 'node_count', 'status',
                  'master_flavor_id', 'flavor_id', 'create_timeout',
                  'master_count', 'health_status', 'stack_id', 'cluster_id',
                  'links')
# What PATCH may change (doc/source/contributor/compatibility.rst,
# "Cluster updates"); the rest is 400.
PATCHABLE = ('node_count', 'health_status', 'health_status_reason', 'name',
             'labels')
HEALTH_FIELDS = ('health_status', 'health_status_reason')
QUOTA_RESOURCE = 'Cluster'

string = cluster_actions.string
integer = cluster_actions.integer
ClusterID = cluster_actions.ClusterID


class ClusterPatchType(types.JsonPatchType):

    @staticmethod
    def internal_attrs():
        return ['/api_address', '/node_addresses', '/master_addresses',
                '/stack_id', '/cluster_id', '/ca_cert_ref',
                '/magnum_cert_ref', '/etcd_ca_cert_ref',
                '/front_proxy_ca_cert_ref']

    @staticmethod
    def non_removable_attrs():
        return ['/cluster_template_id']


class Cluster(base.APIBase):
    """A cluster as the API shows it."""

    uuid = wtypes.text
    name = wtypes.text
    cluster_template_id = wtypes.text
    keypair = wtypes.text
    node_count = int
    master_count = int
    docker_volume_size = int
    labels = STRING_DICT
    labels_overridden = STRING_DICT
    labels_added = STRING_DICT
    labels_skipped = STRING_DICT
    # Request-only; always shown as false, as clients have always seen it.
    merge_labels = wtypes.wsattr(bool, default=False)
    master_flavor_id = wtypes.text
    flavor_id = wtypes.text
    create_timeout = int
    discovery_url = wtypes.text
    fixed_network = wtypes.text
    fixed_subnet = wtypes.text
    floating_ip_enabled = bool
    master_lb_enabled = bool
    status = wtypes.text
    status_reason = wtypes.text
    health_status = wtypes.text
    health_status_reason = STRING_DICT
    api_address = wtypes.text
    coe_version = wtypes.text
    container_version = wtypes.text
    project_id = wtypes.text
    user_id = wtypes.text
    node_addresses = [wtypes.text]
    master_addresses = [wtypes.text]
    stack_id = wtypes.text
    """Below microversion 1.13."""
    cluster_id = wtypes.text
    """From microversion 1.13: the same value as stack_id was."""
    faults = wtypes.DictType(wtypes.text, types.jsontype)
    """GET one of a failed cluster: nodegroup name -> why it failed."""
    conditions = wtypes.ArrayType(STRING_DICT)
    """From microversion 1.15, full views: type, status, reason, message
    and last_transition_time of what is true about the cluster now."""
    links = wtypes.ArrayType(STRING_DICT)

    # Stored fields shown as they are.
    _STORED = ('uuid', 'name', 'cluster_template_id', 'keypair',
              'docker_volume_size', 'labels', 'master_flavor_id',
              'flavor_id', 'create_timeout', 'discovery_url',
              'fixed_network', 'fixed_subnet', 'floating_ip_enabled',
              'master_lb_enabled', 'status', 'status_reason',
              'health_status', 'health_status_reason', 'api_address',
              'coe_version', 'container_version', 'project_id', 'user_id')
    # Computed from the nodegroups.
    _COMPUTED = ('node_count', 'master_count', 'node_addresses',
                'master_addresses')

    def __init__(self, **kwargs):
        super().__init__()
        self.fields = list(Cluster.attribute_keys())
        self.assign(kwargs.items())

    @staticmethod
    def values(cluster):
        """What GET shows of a cluster (without faults, links and the
        labels diff); also the document PATCH applies to."""
        values = {key: cluster[key] for key in Cluster._STORED}
        values.update({key: getattr(cluster, key)
                       for key in Cluster._COMPUTED})
        if microversion.requested() >= (1, 13):
            values['cluster_id'] = cluster.stack_id
        else:
            values['stack_id'] = cluster.stack_id
        return values

    @classmethod
    def convert(cls, cluster, view='one'):
        """``view``: 'summary' (list), 'detail' (detail list) or 'one'
        (GET one: the detail view plus faults of a failed cluster)."""
        item = cls.trusted(cls.values(cluster),
                           fields=Cluster.attribute_keys())
        item.fill([('links', link.self_and_bookmark(
            link.base_url(), 'clusters', cluster.uuid))])
        if view == 'summary':
            item.unset_fields_except(SUMMARY_FIELDS)
            return item
        item.set_timestamps(cluster)
        if microversion.requested() >= (1, 15):
            item.conditions = cluster.conditions or []
        (item.labels_overridden, item.labels_added,
         item.labels_skipped) = cluster_actions.labels_diff(
             cluster.labels, _template_labels(cluster))
        if view == 'one' and cluster.status in Status.STATUS_FAILED:
            item.faults = faults(cluster)
        return item


def faults(cluster):
    """Why a failed cluster failed: nodegroup name -> its reason."""
    return {group.name: group.status_reason
            for group in cluster.nodegroups
            if group.status and group.status.endswith('FAILED')}


def _template_labels(cluster):
    try:
        return cluster.cluster_template.labels or {}
    except exception.ClusterTemplateNotFound:
        # Never fail a GET: without its template a cluster has no diff.
        return {}


class ClusterCreate(wtypes.Base):
    """The body of POST /v1/clusters."""

    uuid = wtypes.wsattr(types.uuid, default=None)    # ignored
    name = wtypes.wsattr(types.name, default=None)
    cluster_template_id = wtypes.wsattr(string(), mandatory=True)
    keypair = wtypes.wsattr(string(), default=None)
    node_count = wtypes.wsattr(integer(), default=1)
    master_count = wtypes.wsattr(integer(minimum=1), default=1)
    docker_volume_size = wtypes.wsattr(integer(minimum=1),
                                       default=None)
    labels = wtypes.wsattr(types.labels, default=None)
    merge_labels = wtypes.wsattr(types.boolean, default=False)
    master_flavor_id = wtypes.wsattr(string(), default=None)
    flavor_id = wtypes.wsattr(string(), default=None)
    create_timeout = wtypes.wsattr(integer(), default=60)
    discovery_url = wtypes.wsattr(string(minimum=0), default=None)
    fixed_network = wtypes.wsattr(string(), default=None)
    fixed_subnet = wtypes.wsattr(string(), default=None)
    floating_ip_enabled = wtypes.wsattr(types.boolean, default=None)
    master_lb_enabled = wtypes.wsattr(types.boolean, default=None)
    # What the server sets: supplying any of them is a 400.
    status = wtypes.wsattr(types.jsontype, readonly=True)
    status_reason = wtypes.wsattr(types.jsontype, readonly=True)
    health_status = wtypes.wsattr(types.jsontype, readonly=True)
    health_status_reason = wtypes.wsattr(types.jsontype, readonly=True)
    api_address = wtypes.wsattr(types.jsontype, readonly=True)
    coe_version = wtypes.wsattr(types.jsontype, readonly=True)
    container_version = wtypes.wsattr(types.jsontype, readonly=True)
    project_id = wtypes.wsattr(types.jsontype, readonly=True)
    user_id = wtypes.wsattr(types.jsontype, readonly=True)
    node_addresses = wtypes.wsattr(types.jsontype, readonly=True)
    master_addresses = wtypes.wsattr(types.jsontype, readonly=True)
    stack_id = wtypes.wsattr(types.jsontype, readonly=True)
    cluster_id = wtypes.wsattr(types.jsontype, readonly=True)
    faults = wtypes.wsattr(types.jsontype, readonly=True)
    labels_overridden = wtypes.wsattr(types.jsontype, readonly=True)
    labels_added = wtypes.wsattr(types.jsontype, readonly=True)
    labels_skipped = wtypes.wsattr(types.jsontype, readonly=True)
    links = wtypes.wsattr(types.jsontype, readonly=True)
    created_at = wtypes.wsattr(types.jsontype, readonly=True)
    updated_at = wtypes.wsattr(types.jsontype, readonly=True)


class ClusterCollection(collection.Collection):

    clusters = [Cluster]

    _type = 'clusters'

    @classmethod
    def convert(cls, clusters, limit, view, url=None, **filters):
        return cls.page([Cluster.convert(c, view) for c in clusters], limit,
                        url=url, **filters)


# -- create -------------------------------------------------------------------

def _template(context, ident):
    """The template of a create; unknown is 400 below 1.10, 404 from it
    (doc/source/contributor/compatibility.rst, "Errors")."""
    try:
        return objects.ClusterTemplate.get(context, ident)
    except exception.ClusterTemplateNotFound as error:
        if microversion.requested() < (1, 10):
            raise exception.InvalidParameterValue(err=str(error))
        raise


def _quota_limit(context, project_id):
    try:
        return objects.Quota.get_quota_by_project_id_resource(
            context, project_id, QUOTA_RESOURCE).hard_limit
    except exception.QuotaNotFound:
        return CONF.quotas.max_clusters_per_project


def _check_quota(context, project_id):
    """The quota check of a create that a later check refuses (it decides
    which error wins); a create that passes is checked by the insert,
    atomically."""
    limit = _quota_limit(context, project_id)
    count = objects.Cluster.get_count_all(context,
                                          filters={'project_id': project_id})
    if count >= limit:
        raise exception.ResourceLimitExceeded(
            msg=_('project %(project)s may have at most %(limit)d clusters '
                  'and has %(count)d') % {'project': project_id,
                                          'limit': limit, 'count': count})


def _labels(given, merge, template):
    """Labels of a new cluster (or nodegroup) from those of its parent."""
    inherited = dict(template or {})
    if not given:
        return inherited
    if merge:
        inherited.update(given)
        return inherited
    return dict(given)


def _min_node_count(labels, node_count):
    raw = labels.get('min_node_count')
    if raw is None:
        return 0
    if not strutils.is_int_like(raw) or int(raw) < 0:
        raise exception.InvalidParameterValue(
            err=_('the label min_node_count must be a non-negative integer, '
                  'not %r') % raw)
    if int(raw) > node_count:
        raise exception.InvalidParameterValue(
            err=_('the label min_node_count (%(min)s) is more than '
                  'node_count (%(count)d)') % {'min': raw,
                                                'count': node_count})
    return int(raw)


def _default_nodegroups(values, template, master_count, node_count):
    common = {'is_default': True, 'status': Status.CREATE_IN_PROGRESS,
              'status_reason': None, 'image_id': template.image_id,
              'docker_volume_size': values['docker_volume_size'],
              'node_addresses': [], 'max_node_count': None,
              'node_labels': {}, 'node_taints': []}
    master = dict(common, name='default-master', role='master',
                  node_count=master_count, min_node_count=0,
                  flavor_id=values['master_flavor_id'],
                  labels=dict(values['labels']))
    worker = dict(common, name='default-worker', role='worker',
                  node_count=node_count,
                  min_node_count=_min_node_count(values['labels'],
                                                 node_count),
                  flavor_id=values['flavor_id'],
                  labels=dict(values['labels']))
    return [master, worker]


def _create_values(context, body, template):
    """The cluster's values: the body with the template's defaults
    (what the request leaves out comes from the template)."""
    def given_or_template(key, template_key=None):
        value = getattr(body, key)
        return value if value else template[template_key or key]

    values = {
        'name': body.name or names.random_name('cluster'),
        'cluster_template_id': template.uuid,
        'keypair': body.keypair or template.keypair_id,
        'labels': _labels(body.labels, body.merge_labels, template.labels),
        'docker_volume_size': given_or_template('docker_volume_size'),
        'master_flavor_id': given_or_template('master_flavor_id'),
        'flavor_id': given_or_template('flavor_id'),
        'fixed_network': given_or_template('fixed_network'),
        'fixed_subnet': given_or_template('fixed_subnet'),
        'floating_ip_enabled': template.floating_ip_enabled
        if body.floating_ip_enabled is None else body.floating_ip_enabled,
        'master_lb_enabled': template.master_lb_enabled
        if body.master_lb_enabled is None else body.master_lb_enabled,
        'create_timeout': 60 if body.create_timeout is None
        else body.create_timeout,
        'discovery_url': body.discovery_url or None,
        'project_id': context.project_id,
        'user_id': context.user_id,
        'coe_version': None,
        'container_version': None,
        'uuid': uuidutils.generate_uuid(),
        'status': Status.CREATE_IN_PROGRESS,
        'status_reason': None,
        'health_status': None,
        'health_status_reason': {},
    }
    return values


def _fail_create(cluster):
    def undo_with(error):
        reason = cluster_actions.conductor_failure(error)
        for thing in [cluster] + list(cluster.nodegroups):
            thing.status = Status.CREATE_FAILED
            thing.status_reason = reason
            try:
                thing.save(expected={'status': Status.CREATE_IN_PROGRESS})
            except (exception.ConcurrentUpdate,
                    exception.ObjectNotFound) as failure:
                LOG.info('Not marking %s failed: %s', thing.uuid, failure)
    return undo_with


# -- update ---------------------------------------------------------------

def _patched_values(document, original):
    """The patchable values of a patched document, checked (400)."""
    values = {}
    if document.get('node_count') != original['node_count']:
        values['node_count'] = cluster_actions.int_value(
            'node_count', document.get('node_count'))
    if document.get('name') != original['name']:
        values['name'] = types.name.validate(document.get('name'))
    if document.get('labels') != original['labels']:
        values['labels'] = types.labels.validate(document.get('labels')) \
            or {}
    if document.get('health_status') != original['health_status']:
        health = document.get('health_status')
        if health is not None and \
                health not in fields.ClusterHealthStatus.ALL:
            raise exception.InvalidParameterValue(
                err=_('health_status must be one of %(values)s, not '
                      '%(value)r') % {
                          'values': ', '.join(
                              fields.ClusterHealthStatus.ALL),
                          'value': health})
        values['health_status'] = health
    if document.get('health_status_reason') != \
            original['health_status_reason']:
        values['health_status_reason'] = types.labels.validate(
            document.get('health_status_reason')) or {}
    return {key: value for key, value in values.items()
            if value != original[key]}


def _checked_create_values(context, body, template, driver, master_count,
                           node_count):
    """The new cluster's values and default nodegroups, once the checks
    that come after the quota's have passed."""
    if template.hidden and not context.is_admin:
        raise exception.NotAuthorized(
            message=_('Cluster template %s is hidden: only admins can '
                      'create clusters from it.') %
            (template.name or template.uuid))
    values = _create_values(context, body, template)
    nodegroups = _default_nodegroups(values, template, master_count,
                                     node_count)
    driver_checks.validate_cluster(
        context, driver, dict(values, master_count=master_count,
                              node_count=node_count), template)
    if master_count > 1 and not values['master_lb_enabled']:
        raise exception.InvalidParameterValue(
            err=_('master_count %d needs a load balancer in front of '
                  'the masters: enable master_lb_enabled') %
            master_count)
    return values, nodegroups


def create(context, body, rule='cluster:create'):
    """Store a new cluster (with its default nodegroups) from a
    ClusterCreate body, cast cluster_create and return the cluster.
    ``rule``: the create policy (bays use their own)."""
    node_count = 1 if body.node_count is None else body.node_count
    master_count = 1 if body.master_count is None else body.master_count
    if node_count == 0 and microversion.requested() < (1, 10):
        raise exception.ZeroNodeCountNotSupported()
    template = _template(context, body.cluster_template_id)
    # The template's driver name wins over its type
    # (doc/source/contributor/compatibility.rst, "Templates").
    driver = cluster_actions.driver_for(template)
    volume_size = body.docker_volume_size or template.docker_volume_size
    if template.docker_storage_driver == 'devicemapper' and (
            not volume_size or volume_size < 3):
        raise exception.InvalidParameterValue(
            err=_('docker_volume_size must be at least 3 GB with the '
                  'devicemapper storage driver'))
    driver.validate_master_size(master_count)
    policy.authorize(context, rule)
    try:
        values, nodegroups = _checked_create_values(
            context, body, template, driver, master_count, node_count)
    except Exception:
        # Being over quota wins over whatever the later checks refuse.
        # Only a refused create pays for counting here: the insert below
        # enforces the quota atomically, with the same error.
        _check_quota(context, context.project_id)
        raise
    cluster = objects.Cluster(context, **values)
    cluster.create(nodegroups=nodegroups,
                   max_clusters=CONF.quotas.max_clusters_per_project)
    cluster_actions.send('cluster_create', _fail_create(cluster),
                         cluster=cluster,
                         create_timeout=values['create_timeout'])
    return cluster


class ClustersController(rest.RestController):
    """/v1/clusters"""

    _custom_actions = {'detail': ['GET']}

    actions = cluster_actions.ActionsController()
    nodegroups = nodegroup.NodeGroupController()
    nodes = node.NodesController()

    @pecan.expose()
    def _route(self, args, request=None):
        # Clients send /clusters/{id}/?rollback=True and
        # /clusters/{id}/nodegroups/: a trailing slash changes nothing.
        while len(args) > 1 and args[-1] == '':
            args = args[:-1]
        # POST /clusters/{id}, PATCH and DELETE /clusters: pecan would pass
        # the path to the wrong arguments (a 400); they are 405s.
        method = (request or pecan.request).method
        if (method == 'POST' and len(args) == 1 and args[0]) or (
                method in ('PATCH', 'DELETE') and not any(args)):
            pecan.abort(405)
        return super()._route(args, request)

    def _list(self, marker, limit, sort_key, sort_dir, view, url):
        context = pecan.request.context
        limit = utils.validate_limit(limit)
        sort_dir = utils.validate_sort_dir(sort_dir)
        clusters = objects.Cluster.list(context, limit=limit, marker=marker,
                                        sort_key=sort_key, sort_dir=sort_dir)
        # One query for all nodegroups (and templates for the label diff),
        # not one per cluster.
        objects.Cluster.prefetch_related(context, clusters,
                                         templates=view != 'summary')
        return ClusterCollection.convert(clusters, limit, view, url=url,
                                         sort_key=sort_key,
                                         sort_dir=sort_dir)

    @wsme_pecan.wsexpose(ClusterCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc'):
        context = pecan.request.context
        utils.scope_admin(context, 'cluster:get_all_all_projects')
        policy.authorize(context, 'cluster:get_all')
        return self._list(marker, limit, sort_key, sort_dir, 'summary',
                          None)

    @wsme_pecan.wsexpose(ClusterCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def detail(self, marker=None, limit=None, sort_key='id',
               sort_dir='asc'):
        context = pecan.request.context
        if pecan.request.path.rstrip('/').split('/')[-2] != 'clusters':
            raise exception.ResourceNotFound(
                message=_('%s could not be found.') % pecan.request.path)
        utils.scope_admin(context, 'cluster:detail_all_projects')
        policy.authorize(context, 'cluster:detail')
        return self._list(marker, limit, sort_key, sort_dir, 'detail',
                          'clusters/detail')

    @wsme_pecan.wsexpose(Cluster, wtypes.text)
    def get_one(self, cluster_ident):
        context = pecan.request.context
        utils.scope_admin(context, 'cluster:get_one_all_projects')
        cluster = objects.Cluster.get(context, cluster_ident)
        policy.authorize(context, 'cluster:get', target=cluster.as_dict())
        return Cluster.convert(cluster, 'one')

    @wsme_pecan.wsexpose(ClusterID, body=ClusterCreate,
                         status_code=202)
    def post(self, body):
        return ClusterID(create(pecan.request.context, body).uuid)

    @wsme_pecan.wsexpose(ClusterID, wtypes.text, types.boolean,
                         body=[ClusterPatchType], status_code=202)
    def patch(self, cluster_ident, rollback=None, patch=None):
        context = pecan.request.context
        if rollback is not None and microversion.requested() < (1, 3):
            raise exception.InvalidParameterValue(
                err=_('rollback needs microversion 1.3 or later'))
        utils.scope_admin(context, 'cluster:update_all_projects')
        cluster = objects.Cluster.get(context, cluster_ident)
        policy.authorize(context, 'cluster:update', target=cluster.as_dict())
        policy.authorize(context, 'cluster:update_health_status')
        if patch is None:
            raise exception.InvalidParameterValue(
                err=_('the body must be a JSON-Patch list'))
        original = Cluster.values(cluster)
        document = utils.apply_jsonpatch(original,
                                         [p.as_dict() for p in patch])
        update(context, cluster, original, document, rollback)
        return ClusterID(cluster.uuid)

    @wsme_pecan.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, cluster_ident):
        context = pecan.request.context
        utils.scope_admin(context, 'cluster:delete_all_projects')
        cluster = objects.Cluster.get(context, cluster_ident)
        policy.authorize(context, 'cluster:delete', target=cluster.as_dict())
        delete(cluster)


def update(context, cluster, original, document, rollback,
           patchable=PATCHABLE):
    """Make the patched ``document`` (from ``original``, both in the
    Cluster.values names) true: metadata saved here, a node_count change
    cast as cluster_update. Changes outside ``patchable`` are a 400."""
    refused = sorted(
        key for key in set(original) | set(document)
        if document.get(key) != original.get(key) and
        key not in patchable)
    if refused:
        raise exception.InvalidParameterValue(
            err=_('cannot change cluster property(ies) %s; only %s may '
                  'change') % (', '.join(refused), ', '.join(patchable)))
    changes = _patched_values(document, original)
    if not changes:
        return
    node_count = changes.pop('node_count', None)
    if node_count is None:
        _save_metadata(cluster, changes)
        return
    if node_count == 0 and microversion.requested() < (1, 10):
        raise exception.ZeroNodeCountNotSupported()
    if cluster.default_ng_worker is None:
        raise exception.NodeGroupNotFound(
            nodegroup=_('default worker of cluster %s') % cluster.uuid)
    template = cluster.cluster_template
    driver = cluster_actions.driver_for(template)
    driver_checks.validate_cluster(
        context, driver, dict(cluster.as_dict(),
                              master_count=cluster.master_count,
                              node_count=node_count, **changes), template)
    previous = cluster_actions.begin(
        cluster, cluster_actions.UPDATABLE, _('update'), **changes)
    cluster_actions.send_recorded(
        'cluster_update',
        lambda error: cluster_actions.undo(cluster, previous),
        cluster_request.UPDATE,
        {'node_count': node_count, 'rollback': bool(rollback)},
        cluster=cluster, node_count=node_count,
        health_status=cluster.health_status,
        health_status_reason=cluster.health_status_reason,
        rollback=bool(rollback))


def _save_metadata(cluster, changes):
    """Changes that need no driver: saved here, no cast. Health reports
    are taken in any status; names and labels when the cluster may be
    updated."""
    if set(changes) - set(HEALTH_FIELDS):
        cluster_actions.check_status(cluster, cluster_actions.UPDATABLE,
                                     _('update'))
    status = cluster.status
    for key, value in changes.items():
        setattr(cluster, key, value)
    try:
        cluster.save(expected={'status': status})
    except exception.ConcurrentUpdate:
        raise exception.Conflict(
            message=_('Cluster %s changed status while it was being '
                      'updated; retry.') % (cluster.name or cluster.uuid))


def delete(cluster):
    """Start deleting ``cluster`` (policy already checked): cast
    cluster_delete."""
    # Always accepted: deleting is also how a stuck or failed cluster
    # is cleaned up.
    cluster.status = Status.DELETE_IN_PROGRESS
    cluster.status_reason = None
    cluster.save()

    def undo_with(error):
        cluster.status = Status.DELETE_FAILED
        cluster.status_reason = cluster_actions.conductor_failure(error)
        try:
            cluster.save(expected={'status': Status.DELETE_IN_PROGRESS})
        except (exception.ConcurrentUpdate,
                exception.ClusterNotFound) as failure:
            LOG.info('Not marking cluster %s failed: %s', cluster.uuid,
                     failure)

    cluster_actions.send('cluster_delete', undo_with, uuid=cluster.uuid)
