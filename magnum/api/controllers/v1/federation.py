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


"""/v1/federations: a host cluster and the clusters federated with it
(doc/source/contributor/compatibility.rst, "Federations").

Federations are stored: the API validates the clusters (they exist, are
the caller's, in the federation's project and run the host's COE), writes
the row and asks the conductor to act on it.
"""

from oslo_utils import uuidutils
import pecan
from pecan import rest
import wsme
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.api import utils as api_utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import names
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import fields

# Seconds the conductor gives a federation to be created.
CREATE_TIMEOUT = 15
DNS_ZONE = 'dns-zone'
# What a PATCH may change.
CHANGEABLE = ('member_ids', 'properties')
SUMMARY_FIELDS = ('uuid', 'name', 'hostcluster_id', 'member_ids', 'status',
                  'properties', 'links')


class PropertiesType(wtypes.UserType):
    """Federation properties: an object of names to strings; numbers and
    booleans are kept as strings."""

    basetype = wtypes.DictType(wtypes.text, types.jsontype)
    name = 'properties'

    @staticmethod
    def validate(value):
        # Shape only: stored federations are shown whatever they hold; the
        # dns-zone is checked where federations are created and changed.
        return _properties(value, require_zone=False)

    @staticmethod
    def frombasetype(value):
        return value


def _properties(value, require_zone=True):
    """``value`` as a dict of str to str (with a non-empty dns-zone unless
    ``require_zone`` is false); a ValueError otherwise."""
    if not isinstance(value, dict):
        raise ValueError(_('properties must be an object, not %s') %
                         type(value).__name__)
    properties = {}
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)):
            raise ValueError(
                _('property %(key)s has a value of type %(type)s; use a '
                  'string, number or boolean') %
                {'key': key, 'type': type(item).__name__})
        properties[str(key)] = str(item)
    if require_zone and not properties.get(DNS_ZONE):
        raise ValueError(_('properties must name the %s of the federation')
                         % DNS_ZONE)
    return properties


properties_type = PropertiesType()


class FederationPatchType(types.JsonPatchType):
    """A JSON-Patch operation on a federation.

    Only ``/member_ids`` and ``/properties`` (and keys under it) change.
    ``add /member_ids <cluster>`` joins a cluster, ``remove /member_ids
    <cluster>`` takes it out, ``replace /member_ids [...]`` sets the list.
    """

    @staticmethod
    def non_removable_attrs():
        return ['/properties']

    @classmethod
    def validate(cls, patch):
        top = patch.path.lstrip('/').split('/', 1)[0]
        if top not in CHANGEABLE:
            raise wsme.exc.ClientSideError(
                _("%(path)s cannot be changed; a federation changes only "
                  "%(changeable)s") % {
                      'path': patch.path,
                      'changeable': ', '.join('/' + name
                                              for name in CHANGEABLE)})
        if top != 'member_ids':
            return super().validate(patch)
        if patch.path != '/member_ids':
            raise wsme.exc.ClientSideError(
                _('Join or leave with /member_ids and the cluster as the '
                  'value, not %s') % patch.path)
        if patch.value is wtypes.Unset or patch.value is None:
            raise wsme.exc.ClientSideError(
                _("'%s' of /member_ids needs a value: the cluster that "
                  "joins or leaves, or the list of members for "
                  "'replace'") % patch.op)
        if patch.op == 'replace':
            members = types.literal(patch.value, list, patch.path)
            if not all(isinstance(member, str) for member in members):
                raise exception.PatchError(
                    patch=patch.path, reason=_('members are cluster UUIDs'))
            patch.value = members
        elif not isinstance(patch.value, str):
            raise exception.PatchError(
                patch=patch.path,
                reason=_("the value of '%s' is one cluster UUID or name") %
                patch.op)
        return patch


class Federation(base.APIBase):
    """A federation as the API shows and accepts it."""

    uuid = wtypes.wsattr(types.uuid, readonly=True)
    """Unique UUID of the federation"""

    name = wtypes.wsattr(types.name, default=None)
    """Name; a random one when not given"""

    hostcluster_id = wtypes.wsattr(
        wtypes.StringType(min_length=1, max_length=255), mandatory=True)
    """The host cluster (UUID or name on input; stored as its UUID)"""

    member_ids = wtypes.wsattr([wtypes.text], default=None)
    """UUIDs of the member clusters"""

    status = wtypes.wsattr(
        wtypes.Enum(wtypes.text, *fields.FederationStatus.ALL),
        readonly=True)
    """Status of the last operation"""

    status_reason = wtypes.wsattr(wtypes.text, readonly=True)
    """Why the federation has its status"""

    properties = wtypes.wsattr(properties_type, mandatory=True)
    """Properties; ``dns-zone`` is mandatory"""

    project_id = wtypes.wsattr(wtypes.text, readonly=True)
    """The owning project"""

    links = wtypes.wsattr([wtypes.DictType(wtypes.text, wtypes.text)],
                          readonly=True)
    """Self and bookmark links"""

    def __init__(self, **kwargs):
        # APIBase.as_dict and unset_fields_except work on self.fields.
        self.fields = [attribute.name for attribute in
                       wtypes.list_attributes(type(self))]
        super().__init__(**kwargs)

    @classmethod
    def convert(cls, federation, expand=True):
        api_federation = cls(
            uuid=federation.uuid, name=federation.name,
            hostcluster_id=federation.hostcluster_id,
            member_ids=list(federation.member_ids or []),
            status=federation.status,
            status_reason=federation.status_reason,
            properties=dict(federation.properties or {}),
            project_id=federation.project_id,
            links=link.self_and_bookmark(link.base_url(), 'federations',
                                         federation.uuid))
        api_federation.set_timestamps(federation)
        if not expand:
            api_federation.unset_fields_except(SUMMARY_FIELDS)
        return api_federation


class FederationID(wtypes.Base):
    """The answer to an accepted create or update."""

    uuid = types.uuid

    def __init__(self, uuid=wtypes.Unset):
        super().__init__()
        self.uuid = uuid


class FederationCollection(collection.Collection):
    """A page of federations."""

    federations = [Federation]

    _type = 'federations'

    @classmethod
    def convert(cls, federations, limit, url, expand, **filters):
        return cls.page([Federation.convert(federation, expand)
                         for federation in federations], limit, url=url,
                        **filters)


def _cluster(context, ident, error):
    """The cluster ``ident`` (UUID or name) as the caller sees it; a
    missing one raises ``error(cluster)``."""
    try:
        return objects.Cluster.get(context, ident)
    except exception.ClusterNotFound:
        raise error(ident)


def _missing_in_body(field):
    def error(ident):
        return exception.InvalidParameterValue(
            err=_('%(field)s: cluster %(cluster)s could not be found.') %
            {'field': field, 'cluster': ident})
    return error


def _missing(ident):
    return exception.ClusterNotFound(cluster=ident)


def _coe(cluster):
    try:
        return cluster.cluster_template.coe
    except exception.ClusterTemplateNotFound:
        raise exception.InvalidParameterValue(
            err=_('The COE of cluster %s is unknown: its cluster template '
                  'is gone.') % cluster.uuid)


def _check_member(cluster, project_id, coe):
    """A member must be in the federation's project and run its COE."""
    if cluster.project_id != project_id:
        raise exception.InvalidParameterValue(
            err=_('Cluster %(cluster)s is not in project %(project)s of '
                  'the federation.') % {'cluster': cluster.uuid,
                                        'project': project_id})
    member_coe = _coe(cluster)
    if member_coe != coe:
        raise exception.InvalidParameterValue(
            err=_('Cluster %(cluster)s runs %(coe)s; the members of this '
                  'federation run %(host_coe)s.') % {
                      'cluster': cluster.uuid, 'coe': member_coe,
                      'host_coe': coe})


def _context():
    """The request context; federations belong to projects, so the token
    must name one."""
    context = pecan.request.context
    if not context.project_id:
        raise exception.NotAuthorized(
            _('Federations belong to projects; use a project-scoped '
              'token.'))
    return context


def _operation(patch):
    operation = {'op': patch.op, 'path': patch.path}
    if patch.value is not wtypes.Unset:
        operation['value'] = patch.value
    return operation


def _unique(uuids):
    seen = set()
    for uuid in uuids:
        if uuid in seen:
            raise exception.InvalidParameterValue(
                err=_('Cluster %s is listed twice in member_ids.') % uuid)
        seen.add(uuid)
    return uuids


class FederationsController(rest.RestController):
    """/v1/federations, /v1/federations/detail and
    /v1/federations/{ident}."""

    _custom_actions = {'detail': ['GET']}

    def _list(self, marker, limit, sort_key, sort_dir, expand, url):
        context = _context()
        limit = api_utils.validate_limit(limit)
        sort_dir = api_utils.validate_sort_dir(sort_dir)
        federations = objects.Federation.list(
            context, limit=limit, marker=marker, sort_key=sort_key,
            sort_dir=sort_dir)
        return FederationCollection.convert(
            federations, limit, url, expand, sort_key=sort_key,
            sort_dir=sort_dir)

    @wsme_pecan.wsexpose(FederationCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc'):
        """The caller's federations, summarized."""
        policy.authorize(_context(), 'federation:get_all')
        return self._list(marker, limit, sort_key, sort_dir, False,
                          'federations')

    @wsme_pecan.wsexpose(FederationCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def detail(self, marker=None, limit=None, sort_key='id',
               sort_dir='asc'):
        """The caller's federations with every field."""
        # pecan also routes /federations/<anything>/detail here.
        segments = pecan.request.path.rstrip('/').split('/')
        if segments[-2:] != ['federations', 'detail']:
            raise exception.ObjectNotFound(name='resource',
                                           id=pecan.request.path)
        policy.authorize(_context(), 'federation:detail')
        return self._list(marker, limit, sort_key, sort_dir, True,
                          'federations/detail')

    @wsme_pecan.wsexpose(Federation, wtypes.text)
    def get_one(self, federation_ident):
        context = _context()
        federation = api_utils.get_resource('Federation', federation_ident)
        policy.authorize(context, 'federation:get', federation.as_dict())
        return Federation.convert(federation)

    @wsme_pecan.wsexpose(FederationID, body=Federation, status_code=202)
    def post(self, federation):
        """Create a federation (CREATE_IN_PROGRESS) and cast
        federation_create."""
        context = _context()
        policy.authorize(context, 'federation:create')
        if not federation.hostcluster_id:
            raise exception.InvalidParameterValue(
                err=_('hostcluster_id is mandatory.'))
        try:
            properties = _properties(federation.properties)
        except ValueError as error:
            raise exception.InvalidParameterValue(err=str(error))
        project_id = context.project_id
        host = _cluster(context, federation.hostcluster_id,
                        _missing_in_body('hostcluster_id'))
        coe = _coe(host)
        _check_member(host, project_id, coe)
        members = []
        for ident in federation.member_ids or []:
            member = _cluster(context, ident,
                              _missing_in_body('member_ids'))
            _check_member(member, project_id, coe)
            members.append(member.uuid)
        new_federation = objects.Federation(
            context, uuid=uuidutils.generate_uuid(),
            name=federation.name or names.random_name('federation'),
            project_id=project_id, hostcluster_id=host.uuid,
            member_ids=_unique(members),
            properties=properties,
            status=fields.FederationStatus.CREATE_IN_PROGRESS)
        new_federation.create()
        pecan.request.rpcapi.federation_create(
            context, new_federation, create_timeout=CREATE_TIMEOUT)
        return FederationID(new_federation.uuid)

    @wsme_pecan.wsexpose(FederationID, wtypes.text, types.boolean,
                         body=[FederationPatchType], status_code=202)
    def patch(self, federation_ident, rollback=False, patch=None):
        """Join (``add /member_ids``), unjoin (``remove /member_ids``),
        replace the members or change properties; cast
        federation_update."""
        if not patch:
            raise exception.InvalidParameterValue(
                err=_('The body must be a non-empty JSON-Patch list.'))
        context = _context()
        federation = api_utils.get_resource('Federation', federation_ident)
        policy.authorize(context, 'federation:update', federation.as_dict())
        if federation.status == fields.FederationStatus.DELETE_IN_PROGRESS:
            raise exception.OperationInProgress(
                _('Federation %s is being deleted; it cannot be changed.') %
                federation.name)
        document = {'member_ids': list(federation.member_ids or []),
                    'properties': dict(federation.properties or {})}
        for operation in patch:
            if operation.path == '/member_ids':
                document['member_ids'] = self._members_after(
                    context, federation, document['member_ids'], operation)
            else:
                document = api_utils.apply_jsonpatch(
                    document, [_operation(operation)])
        try:
            properties = _properties(document['properties'])
        except ValueError as error:
            raise exception.PatchError(patch='/properties', reason=error)
        members = _unique(document['member_ids'])
        added = set(members) - set(federation.member_ids or [])
        if added:
            coe = self._host_coe(context, federation)
            for uuid in added:
                _check_member(_cluster(context, uuid, _missing),
                              federation.project_id, coe)
        seen_at = federation.updated_at
        federation.member_ids = members
        federation.properties = properties
        federation.status = fields.FederationStatus.UPDATE_IN_PROGRESS
        federation.status_reason = None
        # Two concurrent updates must not silently drop a member.
        federation.save(expected={'updated_at': seen_at})
        pecan.request.rpcapi.federation_update(context, federation,
                                               rollback=rollback)
        return FederationID(federation.uuid)

    @staticmethod
    def _host_coe(context, federation):
        try:
            host = objects.Cluster.get_by_uuid(context,
                                               federation.hostcluster_id)
        except (exception.ClusterNotFound, exception.InvalidUUID):
            raise exception.InvalidParameterValue(
                err=_('The host cluster %s of the federation is gone; '
                      'clusters cannot join it.') %
                federation.hostcluster_id)
        return _coe(host)

    @staticmethod
    def _members_after(context, federation, members, operation):
        """The members once ``operation`` (on /member_ids) is done."""
        if operation.op == 'replace':
            return [_cluster(context, ident, _missing).uuid
                    for ident in operation.value]
        if operation.op == 'add':
            cluster = _cluster(context, operation.value, _missing)
            if cluster.uuid in members:
                raise exception.MemberAlreadyExists(
                    uuid=cluster.uuid, federation_name=federation.name)
            return members + [cluster.uuid]
        # remove: a UUID need not name a cluster that still exists.
        uuid = operation.value
        if uuid not in members and not uuidutils.is_uuid_like(uuid):
            try:
                uuid = objects.Cluster.get(context, uuid).uuid
            except exception.ClusterNotFound:
                pass
        if uuid not in members:
            raise exception.ClusterNotFound(
                _('Cluster %(cluster)s is not a member of federation '
                  '%(federation)s.') % {'cluster': operation.value,
                                        'federation': federation.name})
        return [member for member in members if member != uuid]

    @wsme_pecan.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, federation_ident):
        """Mark the federation DELETE_IN_PROGRESS and cast
        federation_delete."""
        context = _context()
        federation = api_utils.get_resource('Federation', federation_ident)
        policy.authorize(context, 'federation:delete', federation.as_dict())
        federation.status = fields.FederationStatus.DELETE_IN_PROGRESS
        federation.status_reason = None
        federation.save()
        pecan.request.rpcapi.federation_delete(context, federation.uuid)
