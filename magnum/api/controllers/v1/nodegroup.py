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

"""/v1/clusters/{cluster_ident}/nodegroups, from microversion 1.9
(api-ref/source/nodegroups.inc).

The API writes the nodegroup row (status *_IN_PROGRESS) and casts to the
conductor, which asks the cluster's driver to make it so.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils
import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.api import microversion
from magnum.api import utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import cluster_actions as actions
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import names
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import cluster_request
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STRING_DICT = wtypes.DictType(wtypes.text, wtypes.text)
# A taint's value may be null.
TAINT = wtypes.DictType(wtypes.text, types.jsontype)

Status = fields.ClusterStatus

MIN_VERSION = (1, 9)
MASTER = 'master'
# A nodegroup may be changed when the last operation on it has ended.
NODEGROUP_UPDATABLE = Status.STATUS_STABLE + Status.STATUS_FAILED + (None,)
# What PATCH may change.
PATCHABLE = ('min_node_count', 'max_node_count', 'node_labels',
             'node_taints')
TAINT_EFFECTS = ('NoSchedule', 'PreferNoSchedule', 'NoExecute')
TAINT_KEYS = ('key', 'value', 'effect')
# Label keys under the Kubernetes prefixes that nodes may carry anyway.
RESTRICTED_LABEL_PREFIXES = ('kubernetes.io', 'k8s.io')
ALLOWED_LABEL_PREFIXES = ('kubelet.kubernetes.io', 'node.kubernetes.io')
ALLOWED_LABEL_KEYS = (
    'beta.kubernetes.io/arch', 'beta.kubernetes.io/instance-type',
    'beta.kubernetes.io/os', 'failure-domain.beta.kubernetes.io/region',
    'failure-domain.beta.kubernetes.io/zone', 'kubernetes.io/arch',
    'kubernetes.io/hostname', 'kubernetes.io/os',
    'node.kubernetes.io/instance-type', 'node.kubernetes.io/windows-build',
    'topology.kubernetes.io/region', 'topology.kubernetes.io/zone')

SUMMARY_FIELDS = ('uuid', 'name', 'flavor_id', 'node_count', 'role',
                  'is_default', 'image_id', 'status', 'stack_id',
                  'min_node_count')


class NodeGroupPatchType(types.JsonPatchType):

    @staticmethod
    def internal_attrs():
        return ['/name', '/cluster_id', '/project_id', '/docker_volume_size',
                '/labels', '/flavor_id', '/image_id', '/node_addresses',
                '/node_count', '/role', '/is_default', '/stack_id',
                '/status', '/status_reason', '/version']


class NodeGroup(base.APIBase):
    """A nodegroup as the API shows it (full view; the list shows the
    summary)."""

    id = int
    uuid = wtypes.text
    name = wtypes.text
    cluster_id = wtypes.text
    project_id = wtypes.text
    docker_volume_size = int
    labels = STRING_DICT
    labels_overridden = STRING_DICT
    labels_added = STRING_DICT
    labels_skipped = STRING_DICT
    flavor_id = wtypes.text
    image_id = wtypes.text
    node_addresses = [wtypes.text]
    node_count = int
    role = wtypes.text
    max_node_count = int
    min_node_count = int
    is_default = bool
    stack_id = wtypes.text
    status = wtypes.text
    status_reason = wtypes.text
    version = wtypes.text
    node_labels = STRING_DICT
    node_taints = wtypes.ArrayType(TAINT)
    # Request-only; always shown as false, as clients have always seen it.
    merge_labels = wtypes.wsattr(bool, default=False)
    conditions = wtypes.ArrayType(STRING_DICT)
    """From microversion 1.15, full view: what is true about the
    nodegroup now."""
    links = wtypes.ArrayType(STRING_DICT)

    _FIELDS = ('id', 'uuid', 'name', 'cluster_id', 'project_id',
              'docker_volume_size', 'labels', 'flavor_id', 'image_id',
              'node_addresses', 'node_count', 'role', 'max_node_count',
              'min_node_count', 'is_default', 'stack_id', 'status',
              'status_reason', 'version', 'node_labels', 'node_taints')

    def __init__(self, **kwargs):
        super().__init__()
        self.fields = list(NodeGroup.attribute_keys())
        for key, value in kwargs.items():
            setattr(self, key, value)

    @classmethod
    def convert(cls, nodegroup, cluster, summary=False):
        item = cls.trusted({key: nodegroup[key] for key in cls._FIELDS},
                           fields=NodeGroup.attribute_keys())
        if summary:
            item.unset_fields_except(SUMMARY_FIELDS)
            return item
        item.set_timestamps(nodegroup)
        if microversion.requested() >= (1, 15):
            item.conditions = nodegroup.conditions or []
        (item.labels_overridden, item.labels_added,
         item.labels_skipped) = actions.labels_diff(nodegroup.labels,
                                                    cluster.labels)
        item.links = link.self_and_bookmark(
            link.base_url(), 'clusters',
            '%s/nodegroups/%s' % (cluster.uuid, nodegroup.uuid))
        return item


class NodeGroupCreate(wtypes.Base):
    """The body of POST .../nodegroups."""

    id = wtypes.wsattr(actions.integer(minimum=1), default=None)  # ignored
    uuid = wtypes.wsattr(types.uuid, default=None)               # ignored
    name = wtypes.wsattr(actions.string(), default=None)
    docker_volume_size = wtypes.wsattr(actions.integer(minimum=1),
                                       default=None)
    labels = wtypes.wsattr(types.labels, default=None)
    merge_labels = wtypes.wsattr(types.boolean, default=False)
    flavor_id = wtypes.wsattr(actions.string(), default=None)
    image_id = wtypes.wsattr(actions.string(), default=None)
    node_count = wtypes.wsattr(actions.integer(), default=1)
    role = wtypes.wsattr(actions.string(), default='worker')
    min_node_count = wtypes.wsattr(actions.integer(), default=0)
    max_node_count = wtypes.wsattr(actions.integer(), default=None)
    node_labels = wtypes.wsattr(types.labels, default=None)
    node_taints = wtypes.wsattr(types.jsontype, default=None)
    cluster_id = wtypes.wsattr(wtypes.text, readonly=True)
    project_id = wtypes.wsattr(wtypes.text, readonly=True)
    node_addresses = wtypes.wsattr(types.jsontype, readonly=True)
    is_default = wtypes.wsattr(types.jsontype, readonly=True)
    stack_id = wtypes.wsattr(wtypes.text, readonly=True)
    status = wtypes.wsattr(wtypes.text, readonly=True)
    status_reason = wtypes.wsattr(wtypes.text, readonly=True)
    version = wtypes.wsattr(wtypes.text, readonly=True)
    links = wtypes.wsattr(types.jsontype, readonly=True)
    labels_overridden = wtypes.wsattr(types.jsontype, readonly=True)
    labels_added = wtypes.wsattr(types.jsontype, readonly=True)
    labels_skipped = wtypes.wsattr(types.jsontype, readonly=True)
    created_at = wtypes.wsattr(types.jsontype, readonly=True)
    updated_at = wtypes.wsattr(types.jsontype, readonly=True)


class NodeGroupCollection(collection.Collection):

    nodegroups = [NodeGroup]

    _type = 'nodegroups'

    @classmethod
    def convert(cls, nodegroups, cluster, limit, **filters):
        return cls.page(
            [NodeGroup.convert(ng, cluster, summary=True)
             for ng in nodegroups],
            limit, url='clusters/%s/nodegroups' % cluster.uuid, **filters)


# -- validation -------------------------------------------------------------

def _invalid(attr, name, explanation):
    return exception.NodeGroupInvalidInput(attr=attr, nodegroup=name,
                                           expl=explanation)


def _check_label_key(name, key):
    if not isinstance(key, str) or not key:
        raise _invalid('node_labels', name, _('label keys must be '
                                               'non-empty strings'))
    if '/' not in key:
        return
    prefix = key.split('/', 1)[0]
    restricted = prefix in RESTRICTED_LABEL_PREFIXES or any(
        prefix.endswith('.' + p) for p in RESTRICTED_LABEL_PREFIXES)
    if restricted and prefix not in ALLOWED_LABEL_PREFIXES and \
            key not in ALLOWED_LABEL_KEYS:
        raise _invalid('node_labels', name, _(
            'the label %(key)s uses the reserved prefix %(prefix)s; only '
            'the prefixes %(prefixes)s and the keys %(keys)s may be set') % {
                'key': key, 'prefix': prefix,
                'prefixes': ', '.join(ALLOWED_LABEL_PREFIXES),
                'keys': ', '.join(ALLOWED_LABEL_KEYS)})


def _check_taints(name, taints):
    for taint in taints:
        if not isinstance(taint, dict):
            raise _invalid('node_taints', name, _(
                'each taint must be an object with key, value and effect, '
                'not %r') % (taint,))
        unknown = set(taint) - set(TAINT_KEYS)
        if unknown:
            raise _invalid('node_taints', name, _(
                'a taint has only key, value and effect, not %s') %
                ', '.join(sorted(map(str, unknown))))
        for key in TAINT_KEYS:
            value = taint.get(key)
            if value is not None and not isinstance(value, str):
                raise _invalid('node_taints', name, _(
                    'the %(key)s of a taint must be a string, not %(value)r'
                ) % {'key': key, 'value': value})
        if not taint.get('key'):
            raise _invalid('node_taints', name, _('a taint needs a key'))
        if taint.get('effect') not in TAINT_EFFECTS:
            raise _invalid('node_taints', name, _(
                'the effect of a taint must be one of %(effects)s, not '
                '%(effect)r') % {'effects': ', '.join(TAINT_EFFECTS),
                                 'effect': taint.get('effect')})


def taints_value(value):
    """node_taints as given (a list; null means none); 400 otherwise."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise exception.InvalidParameterValue(
            err=_('node_taints must be a list of taints, not %s') %
            type(value).__name__)
    return value


def validate(values):
    """The rules on a nodegroup's values; a breach is 409 (see
    doc/source/contributor/compatibility.rst, "Errors")."""
    name = values.get('name')
    node_count = values.get('node_count') or 0
    minimum = values.get('min_node_count') or 0
    maximum = values.get('max_node_count')
    if maximum is not None:
        if maximum < minimum:
            raise _invalid('max_node_count', name, _(
                'max_node_count %(max)d is less than min_node_count '
                '%(min)d') % {'max': maximum, 'min': minimum})
        if node_count > maximum:
            raise _invalid('max_node_count', name, _(
                'node_count %(count)d is more than max_node_count %(max)d')
                % {'count': node_count, 'max': maximum})
    if minimum > node_count:
        raise _invalid('min_node_count', name, _(
            'min_node_count %(min)d is more than node_count %(count)d') %
            {'min': minimum, 'count': node_count})
    node_labels = values.get('node_labels') or {}
    node_taints = values.get('node_taints') or []
    if values.get('role') == MASTER:
        for attr, value in (('node_labels', node_labels),
                            ('node_taints', node_taints)):
            if value:
                raise _invalid(attr, name, _(
                    '%s cannot be set on master nodegroups') % attr)
    for key in node_labels:
        _check_label_key(name, key)
    _check_taints(name, node_taints)


def _driver_checks(context, cluster, values):
    """What the cluster's driver refuses in a nodegroup (a 400), e.g.
    node labels or taints its nodes' kubelets would not take."""
    actions.driver_for(cluster.cluster_template).validate_nodegroup(
        context, cluster, values)


# -- the controller ----------------------------------------------------------

def _available():
    """Nodegroups exist from 1.9 (406 below).

    Checked here rather than with microversion.at_least: that gives the
    method its real signature, and pecan then wants every argument of
    get_all (which all have defaults) in the path, answering 404.
    """
    version = microversion.requested()
    if version < MIN_VERSION:
        raise microversion.MethodNotAvailable(
            version=str(version), method=_('nodegroups'),
            needed=microversion.version_string(MIN_VERSION))


def _cluster(context, ident):
    return objects.Cluster.get(context, ident)


def _fail_create(nodegroup):
    def undo_with(error):
        # Nothing was started: forget the row so that a retry with the same
        # name works.
        try:
            nodegroup.destroy()
        except exception.NodeGroupNotFound:
            pass
    return undo_with


class NodeGroupController(rest.RestController):
    """/v1/clusters/{cluster_ident}/nodegroups"""

    @wsme_pecan.wsexpose(NodeGroupCollection, wtypes.text, types.uuid, int,
                         wtypes.text, wtypes.text, wtypes.text)
    def get_all(self, cluster_ident, marker=None, limit=None, sort_key='id',
                sort_dir='asc', role=None):
        _available()
        context = pecan.request.context
        utils.scope_admin(context, 'nodegroup:get_all_all_projects')
        policy.authorize(context, 'nodegroup:get_all')
        limit = utils.validate_limit(limit)
        sort_dir = utils.validate_sort_dir(sort_dir)
        cluster = _cluster(context, cluster_ident)
        filters = {'role': role} if role is not None else None
        nodegroups = objects.NodeGroup.list(
            context, cluster.uuid, limit=limit, marker=marker,
            sort_key=sort_key, sort_dir=sort_dir, filters=filters)
        return NodeGroupCollection.convert(
            nodegroups, cluster, limit, sort_key=sort_key,
            sort_dir=sort_dir, role=role)

    @wsme_pecan.wsexpose(NodeGroup, wtypes.text, wtypes.text)
    def get_one(self, cluster_ident, nodegroup_ident):
        _available()
        context = pecan.request.context
        utils.scope_admin(context, 'nodegroup:get_one_all_projects')
        policy.authorize(context, 'nodegroup:get')
        cluster = _cluster(context, cluster_ident)
        nodegroup = objects.NodeGroup.get(context, cluster.uuid,
                                          nodegroup_ident)
        return NodeGroup.convert(nodegroup, cluster)

    @wsme_pecan.wsexpose(NodeGroup, wtypes.text, body=NodeGroupCreate,
                         status_code=202)
    def post(self, cluster_ident, body):
        _available()
        context = pecan.request.context
        policy.authorize(context, 'nodegroup:create')
        cluster = _cluster(context, cluster_ident)
        if not cluster.api_address:
            raise exception.ClusterAPIAddressUnavailable()
        name = body.name or names.random_name('nodegroup')
        try:
            objects.NodeGroup.get_by_name(context, cluster.uuid, name)
        except exception.NodeGroupNotFound:
            pass
        else:
            raise exception.NodeGroupAlreadyExists(name=name,
                                                   cluster_id=cluster.uuid)
        role = body.role or 'worker'
        if role == MASTER:
            raise exception.CreateMasterNodeGroup()
        labels = body.labels
        if not labels:
            labels = dict(cluster.labels or {})
        elif body.merge_labels:
            labels = dict(cluster.labels or {}, **labels)
        values = {
            'name': name,
            'role': role,
            'node_count': 1 if body.node_count is None else body.node_count,
            'min_node_count': body.min_node_count or 0,
            'max_node_count': body.max_node_count,
            'docker_volume_size': body.docker_volume_size,
            'labels': labels,
            'flavor_id': body.flavor_id or cluster.flavor_id,
            'image_id': body.image_id or cluster.cluster_template.image_id,
            'node_labels': body.node_labels or {},
            'node_taints': taints_value(body.node_taints),
        }
        validate(values)
        _driver_checks(context, cluster, values)
        actions.check_status(cluster, actions.NODEGROUP_CHANGES_ALLOWED,
                             _('add a nodegroup to'))
        nodegroup = objects.NodeGroup(
            context, uuid=uuidutils.generate_uuid(), cluster_id=cluster.uuid,
            project_id=cluster.project_id, is_default=False,
            status=Status.CREATE_IN_PROGRESS, status_reason=None,
            node_addresses=[], **values)
        nodegroup.create()
        actions.send_recorded('nodegroup_create', _fail_create(nodegroup),
                              cluster_request.CREATE_NODEGROUP,
                              {'nodegroup': nodegroup.uuid},
                              cluster=cluster, nodegroup=nodegroup)
        return NodeGroup.convert(nodegroup, cluster)

    @wsme_pecan.wsexpose(NodeGroup, wtypes.text, wtypes.text,
                         body=[NodeGroupPatchType], status_code=202)
    def patch(self, cluster_ident, nodegroup_ident, patch):
        _available()
        context = pecan.request.context
        policy.authorize(context, 'nodegroup:update')
        cluster = _cluster(context, cluster_ident)
        nodegroup = objects.NodeGroup.get(context, cluster.uuid,
                                          nodegroup_ident)
        if patch is None:
            raise exception.InvalidParameterValue(
                err=_('the body must be a JSON-Patch list'))
        original = {key: nodegroup[key] for key in NodeGroup._FIELDS}
        document = utils.apply_jsonpatch(original,
                                         [p.as_dict() for p in patch])
        changed = {key for key in set(original) | set(document)
                   if document.get(key) != original.get(key)}
        refused = changed - set(PATCHABLE)
        if refused:
            raise exception.InvalidParameterValue(
                err=_('cannot change nodegroup property(ies) %s') %
                ', '.join(sorted(refused)))
        values = dict(original)
        values['min_node_count'] = actions.int_value(
            'min_node_count', document.get('min_node_count') or 0)
        values['max_node_count'] = actions.int_value(
            'max_node_count', document.get('max_node_count'),
            nullable=True)
        values['node_labels'] = types.labels.validate(
            document.get('node_labels')) or {}
        values['node_taints'] = taints_value(document.get('node_taints'))
        validate(values)
        _driver_checks(context, cluster, values)
        changes = {key: values[key] for key in PATCHABLE
                   if values[key] != original[key]}
        if not changes:
            return NodeGroup.convert(nodegroup, cluster)
        actions.check_status(cluster, actions.NODEGROUP_CHANGES_ALLOWED,
                             _('change a nodegroup of'))
        if nodegroup.status not in NODEGROUP_UPDATABLE:
            raise exception.Conflict(
                message=_('Cannot change nodegroup %(name)s while its '
                          'status is %(status)s; retry once it has '
                          'finished.') % {'name': nodegroup.name,
                                          'status': nodegroup.status})
        previous = {'status': nodegroup.status,
                    'status_reason': nodegroup.status_reason}
        previous.update({key: original[key] for key in changes})
        for key, value in changes.items():
            setattr(nodegroup, key, value)
        nodegroup.status = Status.UPDATE_IN_PROGRESS
        nodegroup.status_reason = None
        _save(nodegroup, previous['status'])

        def undo_with(error):
            for key, value in previous.items():
                setattr(nodegroup, key, value)
            try:
                nodegroup.save(expected={'status': Status.UPDATE_IN_PROGRESS})
            except (exception.ConcurrentUpdate,
                    exception.NodeGroupNotFound) as failure:
                LOG.info('Not restoring nodegroup %s: %s', nodegroup.uuid,
                         failure)

        actions.send_recorded('nodegroup_update', undo_with,
                              cluster_request.UPDATE_NODEGROUP,
                              {'nodegroup': nodegroup.uuid},
                              cluster=cluster, nodegroup=nodegroup)
        return NodeGroup.convert(nodegroup, cluster)

    @wsme_pecan.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, cluster_ident, nodegroup_ident):
        _available()
        context = pecan.request.context
        policy.authorize(context, 'nodegroup:delete')
        cluster = _cluster(context, cluster_ident)
        nodegroup = objects.NodeGroup.get(context, cluster.uuid,
                                          nodegroup_ident)
        if nodegroup.is_default:
            raise exception.DeletingDefaultNGNotSupported()
        actions.check_status(cluster, actions.NODEGROUP_CHANGES_ALLOWED,
                             _('delete a nodegroup of'))
        previous = {'status': nodegroup.status,
                    'status_reason': nodegroup.status_reason}
        nodegroup.status = Status.DELETE_IN_PROGRESS
        nodegroup.status_reason = None
        _save(nodegroup, previous['status'])

        def undo_with(error):
            nodegroup.status = Status.DELETE_FAILED
            nodegroup.status_reason = actions.conductor_failure(error)
            try:
                nodegroup.save(expected={'status': Status.DELETE_IN_PROGRESS})
            except (exception.ConcurrentUpdate,
                    exception.NodeGroupNotFound) as failure:
                LOG.info('Not marking nodegroup %s failed: %s',
                         nodegroup.uuid, failure)

        actions.send_recorded('nodegroup_delete', undo_with,
                              cluster_request.DELETE_NODEGROUP,
                              {'nodegroup': nodegroup.uuid},
                              cluster=cluster, nodegroup=nodegroup)


def _save(nodegroup, previous_status):
    try:
        nodegroup.save(expected={'status': previous_status})
    except exception.ConcurrentUpdate:
        raise exception.Conflict(
            message=_('Nodegroup %s was changed by another request at the '
                      'same time; retry.') % nodegroup.name)
