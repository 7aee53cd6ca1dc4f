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


"""/v1/quotas: per-project limits, managed by administrators
(api-ref/source/quotas.inc)."""

from urllib import parse

from oslo_log import log as logging
import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import conf
from magnum import objects
from magnum.api import utils as api_utils
from magnum.api.controllers import base
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

RESOURCES = fields.QuotaResourceName.ALL
DEFAULT_RESOURCE = fields.QuotaResourceName.CLUSTER
DEFAULT_HARD_LIMIT = 1
# hard_limit is an INT column on every backend.
MAX_HARD_LIMIT = 2 ** 31 - 1
# Seconds to wait for Keystone when it is not configured otherwise.
KEYSTONE_TIMEOUT = 10


class HardLimitType(wtypes.IntegerType):
    """An integer from 0 to 2**31 - 1 (an INT column everywhere).

    JSON integers and strings of digits are accepted; booleans, fractions
    and anything else are a 400 (WSME's own integer type would quietly
    turn 1.5 into 1 and true into 1).
    """

    basetype = wtypes.text
    name = 'hard_limit'

    def __init__(self):
        super().__init__(minimum=0, maximum=MAX_HARD_LIMIT)

    def validate(self, value):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_('hard_limit must be an integer'))
        if not self.minimum <= value <= self.maximum:
            raise ValueError(_('hard_limit must be between %(min)d and '
                               '%(max)d') % {'min': self.minimum,
                                             'max': self.maximum})
        return value

    @staticmethod
    def frombasetype(value):
        return value


hard_limit_type = HardLimitType()


class Quota(base.APIBase):
    """The limit of one resource for one project."""

    id = wtypes.wsattr(int, readonly=True)
    """Internal id; the marker of GET /v1/quotas"""

    project_id = wtypes.wsattr(wtypes.StringType(min_length=1,
                                                 max_length=255),
                               default=None)
    """The project limited (mandatory on create)"""

    resource = wtypes.wsattr(wtypes.Enum(wtypes.text, *RESOURCES),
                             default=DEFAULT_RESOURCE)
    """What is limited"""

    hard_limit = wtypes.wsattr(hard_limit_type, default=DEFAULT_HARD_LIMIT)
    """How many the project may have"""

    @classmethod
    def convert(cls, quota):
        api_quota = cls(id=quota.id, project_id=quota.project_id,
                        resource=quota.resource,
                        hard_limit=quota.hard_limit)
        api_quota.set_timestamps(quota)
        return api_quota


class QuotaCollection(collection.Collection):
    """A page of quotas."""

    quotas = [Quota]

    _type = 'quotas'

    @classmethod
    def convert(cls, quotas, limit, **filters):
        result = cls()
        result.quotas = [Quota.convert(quota) for quota in quotas]
        result.next = result.get_next(limit, marker_attribute='id',
                                      **filters)
        return result


def _identity_root(auth_url):
    """Keystone's root URL: ``auth_url`` without a version suffix."""
    root = auth_url.rstrip('/')
    for suffix in ('/v3', '/v2.0'):
        if root.endswith(suffix):
            root = root[:-len(suffix)]
    return root


def _auth_plugin(context, root):
    """The caller's token as a keystoneauth identity plugin: the token data
    keystonemiddleware validated when there is some (no extra round trip),
    else a plugin that scopes the caller's token again."""
    from keystoneauth1 import access
    from keystoneauth1.identity import access as access_plugin
    from keystoneauth1.identity import v3
    if context.auth_token_info:
        access_info = access.create(body=context.auth_token_info,
                                    auth_token=context.auth_token)
        return access_plugin.AccessInfoPlugin(access_info,
                                              auth_url=root + '/v3')
    return v3.Token(auth_url=root + '/v3', token=context.auth_token,
                    project_id=context.project_id)


def _session(auth):
    from keystoneauth1 import session as ks_session
    group = CONF.keystone_authtoken
    verify = False if group.insecure else (group.cafile or True)
    cert = None
    if group.certfile and group.keyfile:
        cert = (group.certfile, group.keyfile)
    return ks_session.Session(
        auth=auth, verify=verify, cert=cert,
        timeout=group.http_connect_timeout or KEYSTONE_TIMEOUT)


def _verify_project(context, project_id):
    """Check with Keystone that ``project_id`` exists.

    Only with ``[DEFAULT] auth_strategy = keystone``. Under ``noauth``
    there is no Keystone to ask (and no token to ask with): the check is
    skipped and a quota may be set for any project id.

    Keystone is asked with the caller's own token (``GET
    <[keystone_authtoken] www_authenticate_uri>/v3/projects/<id>``), so
    the caller needs the right to see the project there, which Keystone
    gives administrators.

    :raises ProjectNotFound: (404) Keystone does not know the project.
    :raises NotAuthorized: (403) Keystone refused to show it to the caller.
    :raises ServiceUnavailable: (503) Keystone is not configured, cannot
        be reached or failed.
    """
    if CONF.auth_strategy != 'keystone':
        return
    # Imported here: under noauth an API worker never needs keystoneauth1
    # (and requests), about 3 MiB.
    from keystoneauth1 import exceptions as ks_exceptions
    if not context.auth_url:
        raise exception.ServiceUnavailable(
            service='Keystone',
            reason=_('[keystone_authtoken] www_authenticate_uri is not set, '
                     'so projects cannot be verified'))
    root = _identity_root(context.auth_url)
    url = '%s/v3/projects/%s' % (root, parse.quote(project_id, safe=''))
    try:
        _session(_auth_plugin(context, root)).get(url)
    except ks_exceptions.NotFound:
        raise exception.ProjectNotFound(name=project_id)
    except ks_exceptions.Forbidden:
        raise exception.NotAuthorized(
            _('Keystone does not allow you to see project %s.') %
            project_id)
    except ks_exceptions.ClientException as error:
        LOG.warning('Could not verify project %(project)s with Keystone at '
                    '%(url)s: %(error)s',
                    {'project': project_id, 'url': root, 'error': error})
        raise exception.ServiceUnavailable(
            service='Keystone',
            reason=_('project %(project)s could not be verified: '
                     '%(error)s') % {'project': project_id,
                                     'error': type(error).__name__})


def _known_resource(project_id, resource):
    """QuotaNotFound for a resource that has no quotas at all."""
    if resource not in RESOURCES:
        raise exception.QuotaNotFound(
            msg=_('project %(project)s, resource %(resource)s (resources '
                  'with quotas: %(valid)s)') % {
                      'project': project_id, 'resource': resource,
                      'valid': ', '.join(RESOURCES)})


class QuotaController(rest.RestController):
    """/v1/quotas and /v1/quotas/{project_id}/{resource}."""

    @wsme_pecan.wsexpose(QuotaCollection, int, int, wtypes.text,
                         wtypes.text, types.boolean)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc', all_tenants=None):
        """Quotas of the caller's project; of every project for an
        administrator asking with ``all_tenants=true``."""
        context = pecan.request.context
        policy.authorize(context, 'quota:get_all')
        limit = api_utils.validate_limit(limit)
        sort_dir = api_utils.validate_sort_dir(sort_dir)
        filters = {}
        if not (context.is_admin and all_tenants):
            filters['project_id'] = context.project_id
        quotas = objects.Quota.list(context, limit=limit, marker=marker,
                                    sort_key=sort_key, sort_dir=sort_dir,
                                    filters=filters)
        return QuotaCollection.convert(quotas, limit, sort_key=sort_key,
                                       sort_dir=sort_dir,
                                       all_tenants=all_tenants)

    @wsme_pecan.wsexpose(Quota, wtypes.text, wtypes.text)
    def get_one(self, project_id, resource):
        """The quota of a project; the configured default when none was
        set."""
        context = pecan.request.context
        policy.authorize(context, 'quota:get')
        if not context.is_admin and project_id != context.project_id:
            raise exception.NotAuthorized(
                _('Only administrators may see the quotas of another '
                  'project.'))
        _known_resource(project_id, resource)
        try:
            quota = objects.Quota.get_quota_by_project_id_resource(
                context, project_id, resource)
        except exception.QuotaNotFound:
            return Quota(project_id=project_id, resource=resource,
                         hard_limit=CONF.quotas.max_clusters_per_project)
        return Quota.convert(quota)

    @wsme_pecan.wsexpose(Quota, body=Quota, status_code=201)
    def post(self, quota):
        """Set the quota of a project's resource (409 if it has one)."""
        context = pecan.request.context
        policy.authorize(context, 'quota:create')
        if not quota.project_id:
            raise exception.InvalidParameterValue(
                err=_('project_id is mandatory.'))
        _verify_project(context, quota.project_id)
        new_quota = objects.Quota(
            context, project_id=quota.project_id,
            resource=quota.resource or DEFAULT_RESOURCE,
            hard_limit=DEFAULT_HARD_LIMIT if quota.hard_limit is None
            else quota.hard_limit)
        new_quota.create()
        return Quota.convert(new_quota)

    @wsme_pecan.wsexpose(Quota, wtypes.text, wtypes.text, body=Quota,
                         status_code=202)
    def patch(self, project_id, resource, quota):
        """Change a quota. The body is a plain quota object, not JSON-Patch;
        the project and resource are those of the URL, and a missing
        hard_limit means 1, as it always has
        (doc/source/contributor/compatibility.rst, "Quotas")."""
        context = pecan.request.context
        policy.authorize(context, 'quota:update')
        _known_resource(project_id, resource)
        hard_limit = DEFAULT_HARD_LIMIT if quota.hard_limit is None \
            else quota.hard_limit
        updated = objects.Quota.update_quota(
            context, project_id, {'resource': resource,
                                  'hard_limit': hard_limit})
        return Quota.convert(updated)

    @wsme_pecan.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, project_id, resource):
        """Remove a quota: the project is back to the default."""
        context = pecan.request.context
        policy.authorize(context, 'quota:delete')
        _known_resource(project_id, resource)
        objects.Quota(context, project_id=project_id,
                      resource=resource).delete()
