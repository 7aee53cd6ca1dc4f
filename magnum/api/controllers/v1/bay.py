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


"""/v1/bays: clusters under their historical name
(doc/source/contributor/compatibility.rst, "Legacy resources").

A bay is a cluster row seen through the 2014-2021 API: ``baymodel_id`` is
the cluster template, ``bay_create_timeout`` the create timeout, the
keypair always comes from the baymodel, node_count is never zero and a
failed bay shows ``bay_faults``. Everything else (defaults, validation,
quota, nodegroups, the conductor casts) is the cluster logic of
cluster.py.

Microversion 1.1 answered POST with 201 and the full bay, PATCH with 200
and the full bay. Creating a cluster is asynchronous here (the conductor
is cast to, never waited for), so the 201 body shows the bay as stored:
status CREATE_IN_PROGRESS. From 1.2, POST and PATCH answer 202
``{"uuid"}``. The OpenAPI document holds one status per operation: it
describes the 1.2+ answers (202, whose schema is the Bay type with only
uuid set); the 1.1 answers carry the same Bay type.
"""

import pecan
from pecan import rest
import wsme
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.api import microversion
from magnum.api import utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import cluster as cluster_api
from magnum.api.controllers.v1 import cluster_actions
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import fields

STRING_DICT = cluster_api.STRING_DICT
string = cluster_actions.string
integer = cluster_actions.integer

# bay name -> cluster name, for the fields that were renamed.
RENAMED = {'baymodel_id': 'cluster_template_id',
           'bay_create_timeout': 'create_timeout'}
SUMMARY_FIELDS = ('uuid', 'name', 'baymodel_id', 'docker_volume_size',
                  'labels', 'master_flavor_id', 'flavor_id', 'node_count',
                  'status', 'bay_create_timeout', 'master_count', 'stack_id',
                  'links')
# The cluster's patchable fields that a bay shows.
PATCHABLE = tuple(f for f in cluster_api.PATCHABLE
                  if f not in cluster_api.HEALTH_FIELDS)


class BayPatchType(types.JsonPatchType):

    @staticmethod
    def internal_attrs():
        return ['/api_address', '/node_addresses', '/master_addresses',
                '/stack_id', '/bay_faults', '/trust_id',
                '/trustee_user_name', '/trustee_password',
                '/trustee_user_id']

    @staticmethod
    def non_removable_attrs():
        return ['/baymodel_id']


class Bay(base.APIBase):
    """A bay (a cluster) as the API shows it."""

    uuid = types.uuid
    name = wtypes.text
    baymodel_id = wtypes.text
    node_count = int
    master_count = int
    docker_volume_size = int
    labels = STRING_DICT
    master_flavor_id = wtypes.text
    flavor_id = wtypes.text
    bay_create_timeout = int
    discovery_url = wtypes.text
    fixed_network = wtypes.text
    fixed_subnet = wtypes.text
    floating_ip_enabled = bool
    master_lb_enabled = bool
    status = wtypes.text
    status_reason = wtypes.text
    api_address = wtypes.text
    coe_version = wtypes.text
    container_version = wtypes.text
    node_addresses = [wtypes.text]
    master_addresses = [wtypes.text]
    stack_id = wtypes.text
    bay_faults = wtypes.DictType(wtypes.text, types.jsontype)
    """GET one of a failed bay: nodegroup name -> why it failed."""
    links = wtypes.ArrayType(STRING_DICT)

    def __init__(self, **kwargs):
        super().__init__()
        self.fields = list(Bay.attribute_keys())
        for key, value in kwargs.items():
            setattr(self, key, value)

    @staticmethod
    def values(cluster):
        """What GET shows of a bay; also the document PATCH applies to."""
        shown = cluster_api.Cluster.values(cluster)
        values = {key: shown[RENAMED.get(key, key)]
                  for key in Bay.attribute_keys()
                  if RENAMED.get(key, key) in shown}
        values['stack_id'] = cluster.stack_id
        return values

    @classmethod
    def convert(cls, cluster, view='one'):
        item = cls.trusted(cls.values(cluster), fields=Bay.attribute_keys())
        item.fill([('links', link.self_and_bookmark(
            link.base_url(), 'bays', cluster.uuid))])
        if view == 'summary':
            item.unset_fields_except(SUMMARY_FIELDS)
            return item
        item.set_timestamps(cluster)
        if view == 'one' and \
                cluster.status in fields.ClusterStatus.STATUS_FAILED:
            item.bay_faults = cluster_api.faults(cluster)
        return item


class BayCreate(wtypes.Base):
    """The body of POST /v1/bays."""

    uuid = wtypes.wsattr(types.uuid, default=None)    # ignored
    name = wtypes.wsattr(types.name, default=None)
    baymodel_id = wtypes.wsattr(string(), mandatory=True)
    node_count = wtypes.wsattr(integer(minimum=1), default=1)
    master_count = wtypes.wsattr(integer(minimum=1), default=1)
    docker_volume_size = wtypes.wsattr(integer(minimum=1), default=None)
    labels = wtypes.wsattr(types.labels, default=None)
    master_flavor_id = wtypes.wsattr(string(), default=None)
    flavor_id = wtypes.wsattr(string(), default=None)
    bay_create_timeout = wtypes.wsattr(integer(), default=60)
    discovery_url = wtypes.wsattr(string(minimum=0), default=None)
    fixed_network = wtypes.wsattr(string(), default=None)
    fixed_subnet = wtypes.wsattr(string(), default=None)
    floating_ip_enabled = wtypes.wsattr(types.boolean, default=None)
    master_lb_enabled = wtypes.wsattr(types.boolean, default=None)
    # What the server sets: supplying any of them is a 400.
    status = wtypes.wsattr(types.jsontype, readonly=True)
    status_reason = wtypes.wsattr(types.jsontype, readonly=True)
    api_address = wtypes.wsattr(types.jsontype, readonly=True)
    coe_version = wtypes.wsattr(types.jsontype, readonly=True)
    container_version = wtypes.wsattr(types.jsontype, readonly=True)
    node_addresses = wtypes.wsattr(types.jsontype, readonly=True)
    master_addresses = wtypes.wsattr(types.jsontype, readonly=True)
    stack_id = wtypes.wsattr(types.jsontype, readonly=True)
    bay_faults = wtypes.wsattr(types.jsontype, readonly=True)
    links = wtypes.wsattr(types.jsontype, readonly=True)
    created_at = wtypes.wsattr(types.jsontype, readonly=True)
    updated_at = wtypes.wsattr(types.jsontype, readonly=True)

    def as_cluster_create(self, template_uuid):
        """The same request as a ClusterCreate body; no keypair, so the
        cluster logic takes the baymodel's keypair_id."""
        values = {'cluster_template_id': template_uuid,
                  'create_timeout': self.bay_create_timeout}
        for key in ('name', 'node_count', 'master_count',
                    'docker_volume_size', 'labels', 'master_flavor_id',
                    'flavor_id', 'discovery_url', 'fixed_network',
                    'fixed_subnet', 'floating_ip_enabled',
                    'master_lb_enabled'):
            values[key] = getattr(self, key)
        return cluster_api.ClusterCreate(**{
            key: value for key, value in values.items()
            if value is not None and value is not wtypes.Unset})


class BayCollection(collection.Collection):

    bays = [Bay]

    _type = 'bays'

    @classmethod
    def convert(cls, clusters, limit, view, url=None, **filters):
        return cls.page([Bay.convert(c, view) for c in clusters], limit,
                        url=url, **filters)


def _baymodel(context, ident):
    """The baymodel of a new bay: unknown is a 400 at every version."""
    try:
        return objects.ClusterTemplate.get(context, ident)
    except exception.ClusterTemplateNotFound as error:
        raise exception.InvalidParameterValue(err=str(error))


def _answer(cluster_uuid, legacy_status):
    """1.1: the full bay with ``legacy_status``; later: 202 {"uuid"}."""
    if microversion.requested() >= (1, 2):
        return Bay(uuid=cluster_uuid)
    cluster = objects.Cluster.get(pecan.request.context, cluster_uuid)
    return wsme.api.Response(Bay.convert(cluster, 'one'),
                             status_code=legacy_status)


class BaysController(rest.RestController):
    """/v1/bays"""

    _custom_actions = {'detail': ['GET']}

    def _list(self, marker, limit, sort_key, sort_dir, view, url):
        context = pecan.request.context
        limit = utils.validate_limit(limit)
        sort_dir = utils.validate_sort_dir(sort_dir)
        sort_key = RENAMED.get(sort_key, sort_key)
        clusters = objects.Cluster.list(context, limit=limit, marker=marker,
                                        sort_key=sort_key, sort_dir=sort_dir)
        objects.Cluster.prefetch_related(context, clusters, templates=False)
        return BayCollection.convert(clusters, limit, view, url=url,
                                     sort_key=sort_key, sort_dir=sort_dir)

    @wsme_pecan.wsexpose(BayCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc'):
        policy.authorize(pecan.request.context, 'bay:get_all')
        return self._list(marker, limit, sort_key, sort_dir, 'summary',
                          None)

    @wsme_pecan.wsexpose(BayCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def detail(self, marker=None, limit=None, sort_key='id',
               sort_dir='asc'):
        if pecan.request.path.rstrip('/').split('/')[-2] != 'bays':
            raise exception.ResourceNotFound(
                message=_('%s could not be found.') % pecan.request.path)
        policy.authorize(pecan.request.context, 'bay:detail')
        return self._list(marker, limit, sort_key, sort_dir, 'detail',
                          'bays/detail')

    @wsme_pecan.wsexpose(Bay, wtypes.text)
    def get_one(self, bay_ident):
        context = pecan.request.context
        cluster = objects.Cluster.get(context, bay_ident)
        policy.authorize(context, 'bay:get', target=cluster.as_dict())
        return Bay.convert(cluster, 'one')

    @wsme_pecan.wsexpose(Bay, body=BayCreate, status_code=202)
    def post(self, body):
        context = pecan.request.context
        template = _baymodel(context, body.baymodel_id)
        cluster = cluster_api.create(
            context, body.as_cluster_create(template.uuid), rule='bay:create')
        if microversion.requested() < (1, 2):
            pecan.response.location = link.build_url('bays', cluster.uuid)
        return _answer(cluster.uuid, 201)

    @wsme_pecan.wsexpose(Bay, wtypes.text, types.boolean,
                         body=[BayPatchType], status_code=202)
    def patch(self, bay_ident, rollback=None, patch=None):
        context = pecan.request.context
        if rollback is not None and microversion.requested() < (1, 3):
            raise exception.InvalidParameterValue(
                err=_('rollback needs microversion 1.3 or later'))
        cluster = objects.Cluster.get(context, bay_ident)
        policy.authorize(context, 'bay:update', target=cluster.as_dict())
        if patch is None:
            raise exception.InvalidParameterValue(
                err=_('the body must be a JSON-Patch list'))
        original = Bay.values(cluster)
        document = utils.apply_jsonpatch(original,
                                         [p.as_dict() for p in patch])
        refused = sorted(
            key for key in set(original) | set(document)
            if document.get(key) != original.get(key) and
            key not in PATCHABLE)
        if refused:
            raise exception.InvalidParameterValue(
                err=_('cannot change bay property(ies) %s; only %s may '
                      'change') % (', '.join(refused), ', '.join(PATCHABLE)))
        if document.get('node_count') != original['node_count']:
            # Unlike a cluster's, a bay's node_count is never zero.
            cluster_actions.int_value('node_count',
                                      document.get('node_count'), minimum=1)
        cluster_original = cluster_api.Cluster.values(cluster)
        cluster_document = dict(cluster_original)
        cluster_document.update({key: document.get(key) for key in PATCHABLE})
        cluster_api.update(context, cluster, cluster_original,
                           cluster_document, rollback)
        return _answer(cluster.uuid, 200)

    @wsme_pecan.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, bay_ident):
        context = pecan.request.context
        cluster = objects.Cluster.get(context, bay_ident)
        policy.authorize(context, 'bay:delete', target=cluster.as_dict())
        cluster_api.delete(cluster)
