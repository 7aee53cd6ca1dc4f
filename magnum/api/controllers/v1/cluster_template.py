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

"""/v1/clustertemplates: what clusters are built from
(api-ref/source/clustertemplates.inc)."""

import ipaddress

import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import conf
from magnum import objects
from magnum.api import utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import driver_checks
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import names
from magnum.common import policy
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF

SUPPORTED_COES = ('kubernetes', 'swarm-mode')
KUBERNETES_NETWORK_DRIVERS = ('flannel', 'calico', 'cilium')
SWARM_NETWORK_DRIVERS = ('docker',)
VOLUME_DRIVERS = {'kubernetes': ('cinder',), 'swarm-mode': ('cinder',
                                                           'local')}

# Changes allowed while clusters use the template
# (doc/source/contributor/compatibility.rst, "Templates").
CHANGES_ALLOWED_WHEN_REFERENCED = ({'public'}, {'hidden'}, {'tags'},
                                   {'name'})


def _string(maximum=255, minimum=1):
    return wtypes.StringType(min_length=minimum, max_length=maximum)


class ClusterTemplatePatchType(types.JsonPatchType):

    @staticmethod
    def non_removable_attrs():
        return ['/image_id', '/coe', '/network_driver',
                '/external_network_id', '/tls_disabled', '/public',
                '/server_type', '/registry_enabled', '/cluster_distro',
                '/hidden']


class TemplateRepresentation(base.APIBase):
    """Construction shared by cluster templates and baymodels."""

    def __init__(self, **kwargs):
        super().__init__()
        self.fields = self._object_fields()
        self.assign((field, kwargs.get(field, wtypes.Unset))
                    for field in self.fields)

    @classmethod
    def _object_fields(cls):
        """The object's fields this representation has, in the object's
        order (worked out once per class)."""
        fields = cls.__dict__.get('_object_field_names')
        if fields is None:
            probe = super().__new__(cls)
            fields = [field for field in objects.ClusterTemplate.fields
                      if hasattr(probe, field)]
            cls._object_field_names = fields
        return list(fields)

    @classmethod
    def convert(cls, template):
        item = cls.trusted(template.as_dict(), fields=cls._object_fields())
        item.set_timestamps(template)
        item.fill([('links', link.self_and_bookmark(
            link.base_url(), cls._resource, template.uuid))])
        return item


class ClusterTemplate(TemplateRepresentation):
    """A cluster template as the API shows and accepts it."""

    uuid = types.uuid
    name = wtypes.wsattr(_string(), default=None)
    coe = wtypes.wsattr(wtypes.Enum(wtypes.text, *SUPPORTED_COES),
                        mandatory=True)
    image_id = wtypes.wsattr(_string(), mandatory=True)
    flavor_id = _string()
    master_flavor_id = _string()
    keypair_id = wtypes.wsattr(_string(), default=None)
    dns_nameserver = wtypes.wsattr(_string(), default=None)
    external_network_id = _string()
    fixed_network = wtypes.wsattr(_string(), default=None)
    fixed_subnet = wtypes.wsattr(_string(), default=None)
    network_driver = wtypes.wsattr(_string(), default=None)
    volume_driver = wtypes.wsattr(_string(), default=None)
    apiserver_port = wtypes.wsattr(wtypes.IntegerType(minimum=1024,
                                                      maximum=65535))
    docker_volume_size = wtypes.wsattr(wtypes.IntegerType(minimum=1))
    docker_storage_driver = wtypes.wsattr(_string(), default=None)
    cluster_distro = _string()
    http_proxy = wtypes.wsattr(_string(), default=None)
    https_proxy = wtypes.wsattr(_string(), default=None)
    no_proxy = wtypes.wsattr(_string(), default=None)
    registry_enabled = wtypes.wsattr(types.boolean, default=False)
    insecure_registry = wtypes.wsattr(_string(), default=None)
    labels = wtypes.wsattr(types.labels, default={})
    tls_disabled = wtypes.wsattr(types.boolean, default=False)
    public = wtypes.wsattr(types.boolean, default=False)
    hidden = wtypes.wsattr(types.boolean, default=False)
    server_type = wtypes.wsattr(
        wtypes.Enum(wtypes.text, *fields.ServerType.ALL), default='vm')
    master_lb_enabled = wtypes.wsattr(types.boolean, default=False)
    floating_ip_enabled = wtypes.wsattr(types.boolean, default=True)
    tags = wtypes.wsattr(_string(minimum=0), default=None)
    driver = wtypes.wsattr(_string(), default=None)
    project_id = wtypes.wsattr(wtypes.text, readonly=True)
    user_id = wtypes.wsattr(wtypes.text, readonly=True)
    links = wtypes.wsattr([{str: str}], readonly=True)

    _resource = 'clustertemplates'
    _publish_flags = ('public', 'hidden')



class ClusterTemplateCollection(collection.Collection):

    clustertemplates = [ClusterTemplate]

    _type = 'clustertemplates'

    @classmethod
    def convert(cls, templates, limit, url=None, **filters):
        return cls.page([ClusterTemplate.convert(t) for t in templates],
                        limit, url=url, **filters)


# -- validation -------------------------------------------------------------

def validate_coe_and_server_type(values):
    if values.get('coe') not in SUPPORTED_COES:
        raise exception.InvalidParameterValue(
            err=_('COE %(coe)s is not supported; supported COEs: '
                  '%(supported)s') % {'coe': values.get('coe'),
                                      'supported': ', '.join(SUPPORTED_COES)})
    if values.get('server_type') not in fields.ServerType.ALL:
        raise exception.InvalidParameterValue(
            err=_('Server type %s is not supported') %
            values.get('server_type'))


def default_network_driver(coe):
    if coe == 'kubernetes':
        return CONF.cluster_template.kubernetes_default_network_driver
    return SWARM_NETWORK_DRIVERS[0]


def validate_network_driver(values):
    network_driver = values.get('network_driver')
    if network_driver is None:
        return
    coe = values.get('coe')
    if coe == 'kubernetes':
        allowed = CONF.cluster_template.kubernetes_allowed_network_drivers
        if network_driver not in KUBERNETES_NETWORK_DRIVERS or (
                'all' not in allowed and network_driver not in allowed):
            usable = [d for d in KUBERNETES_NETWORK_DRIVERS
                      if 'all' in allowed or d in allowed]
            raise exception.InvalidParameterValue(
                err=_('Network driver %(driver)s is not allowed for '
                      'kubernetes; allowed: %(allowed)s') % {
                          'driver': network_driver,
                          'allowed': ', '.join(usable)})
    elif network_driver not in SWARM_NETWORK_DRIVERS:
        raise exception.InvalidParameterValue(
            err=_('Network driver %(driver)s is not supported for '
                  '%(coe)s; supported: %(supported)s') % {
                      'driver': network_driver, 'coe': coe,
                      'supported': ', '.join(SWARM_NETWORK_DRIVERS)})


def validate_volume_driver(values):
    volume_driver = values.get('volume_driver')
    allowed = VOLUME_DRIVERS.get(values.get('coe'), ())
    if volume_driver is not None and volume_driver not in allowed:
        raise exception.InvalidParameterValue(
            err=_('Volume driver %(driver)s is not supported; supported: '
                  '%(allowed)s') % {'driver': volume_driver,
                                    'allowed': ', '.join(allowed)})


def validate_docker_storage(values):
    if values.get('docker_storage_driver') == 'devicemapper':
        size = values.get('docker_volume_size')
        if size is None or size < 3:
            raise exception.InvalidParameterValue(
                err=_('docker_volume_size must be at least 3 GB with the '
                      'devicemapper storage driver'))


def validate_dns_nameserver(values):
    servers = values.get('dns_nameserver')
    if servers is None:
        return
    for server in servers.split(','):
        try:
            ipaddress.IPv4Address(server.strip())
        except ValueError:
            raise exception.InvalidParameterValue(
                err=_('dns_nameserver must be a comma-separated list of '
                      'IPv4 addresses; %s is not one') % server)


def validate_values(values):
    """The checks that need nothing but the values themselves."""
    validate_coe_and_server_type(values)
    validate_network_driver(values)
    validate_volume_driver(values)
    validate_docker_storage(values)
    validate_dns_nameserver(values)


def resolve_driver(context, values):
    """Choose the template's driver and let it check (and complete) the
    values: an explicit or configured driver name wins, else the drivers
    providing (server_type, os, coe) are asked in name order."""
    registry = driver_base.registry()
    if values.get('driver') or CONF.drivers.default_driver:
        driver = registry.resolve(values.get('driver'))
        driver_checks.validate_cluster_template(context, driver, values)
        return driver
    candidates = registry.candidates(values['server_type'], values['coe'],
                                     values.get('cluster_distro'))
    if not candidates:
        raise exception.ClusterTypeNotSupported(
            server_type=values['server_type'],
            os=values.get('cluster_distro') or _('any OS'),
            coe=values['coe'], available=registry.describe())
    for driver in candidates:
        attempt = dict(values)
        driver_checks.validate_cluster_template(context, driver, attempt)
        if registry.provides(driver, attempt['server_type'],
                             attempt.get('cluster_distro'), attempt['coe']):
            values.update(attempt)
            return driver
    raise exception.ClusterTypeNotSupported(
        server_type=values['server_type'],
        os=attempt.get('cluster_distro'), coe=values['coe'],
        available=registry.describe())


def check_publish(context, values, original=None,
                  rule='clustertemplate:publish', flags=('public', 'hidden')):
    """Setting (or changing) public/hidden needs the publish rule."""
    if original is None:
        wants = [flag for flag in flags if values.get(flag)]
    else:
        wants = [flag for flag in flags
                 if bool(values.get(flag)) != bool(original[flag])]
    if wants and not policy.authorize(context, rule, do_raise=False):
        raise exception.ClusterTemplatePublishDenied()


class TemplateOperations:
    """What /clustertemplates and the historical /baymodels share; each
    controller binds it to its own types, policy rules and paths."""

    def __init__(self, api_type, collection_type, patch_type, rule_prefix,
                 all_projects_rules=True):
        self.api_type = api_type
        self.collection_type = collection_type
        self.patch_type = patch_type
        self.rule_prefix = rule_prefix
        self.resource = api_type._resource
        self.all_projects_rules = all_projects_rules

    def rule(self, action):
        return '%s:%s' % (self.rule_prefix, action)

    def scope_admin(self, context, action):
        # Baymodels never had admin all-projects rules: admins see them as
        # any member of their project does.
        if self.all_projects_rules:
            utils.scope_admin(context, self.rule(action + '_all_projects'))

    def list(self, marker, limit, sort_key, sort_dir, detail=False):
        context = pecan.request.context
        action = 'detail' if detail else 'get_all'
        if detail and pecan.request.path.rstrip('/').split('/')[-2] != \
                self.resource:
            raise exception.ResourceNotFound(name='detail', id='')
        self.scope_admin(context, action)
        policy.authorize(context, self.rule(action))
        limit = utils.validate_limit(limit)
        sort_dir = utils.validate_sort_dir(sort_dir)
        templates = objects.ClusterTemplate.list(
            context, limit=limit, marker=marker, sort_key=sort_key,
            sort_dir=sort_dir)
        url = self.resource + ('/detail' if detail else '')
        return self.collection_type.convert(
            templates, limit, url=url, sort_key=sort_key, sort_dir=sort_dir)

    def get_one(self, ident):
        context = pecan.request.context
        self.scope_admin(context, 'get_one')
        template = objects.ClusterTemplate.get(context, ident)
        if not template.public:
            policy.authorize(context, self.rule('get'),
                             target=template.as_dict())
        return self.api_type.convert(template)

    def create(self, template, prepare=None):
        context = pecan.request.context
        values = template.as_dict()
        for readonly in ('uuid', 'project_id', 'user_id', 'links',
                         'created_at', 'updated_at'):
            values.pop(readonly, None)
        # Explicit JSON nulls count as "not given" (compatibility.rst).
        defaults = {'labels': {}, 'registry_enabled': False,
                    'tls_disabled': False, 'public': False,
                    'hidden': False, 'server_type': 'vm',
                    'master_lb_enabled': False, 'floating_ip_enabled': True}
        for key, default in defaults.items():
            if values.get(key) is None:
                values[key] = default
        validate_coe_and_server_type(values)
        if values.get('network_driver') is None:
            values['network_driver'] = default_network_driver(values['coe'])
        if prepare is not None:
            prepare(values)
        validate_values(values)
        driver = resolve_driver(context, values)
        values['driver'] = driver.name
        policy.authorize(context, self.rule('create'))
        self.check_publish(context, values)
        values['project_id'] = context.project_id
        values['user_id'] = context.user_id
        if not values.get('name'):
            values['name'] = names.random_name('template')
        new = objects.ClusterTemplate(context, **values)
        new.create()
        pecan.response.location = link.build_url(self.resource, new.uuid)
        return self.api_type.convert(new)

    def check_publish(self, context, values, original=None):
        check_publish(context, values, original,
                      rule=self.rule('publish'),
                      flags=self.api_type._publish_flags)

    def update(self, ident, patch):
        context = pecan.request.context
        self.scope_admin(context, 'update')
        template = objects.ClusterTemplate.get(context, ident)
        original = template.as_dict()
        attributes = {a.key for a in wtypes.list_attributes(self.api_type)}
        document = utils.apply_jsonpatch(
            {k: v for k, v in original.items() if k in attributes},
            self.patch_type.operations(patch))
        # Setting the attributes of the API type re-checks every value.
        document = self.api_type(**document).as_dict()
        validate_values(document)
        policy.authorize(context, self.rule('update'), target=original)
        changed = {key for key, value in document.items()
                   if key in original and original[key] != value}
        if not changed:
            return self.api_type.convert(template)
        if changed & {'image_id', 'coe', 'server_type', 'driver',
                      'cluster_distro', 'flavor_id', 'master_flavor_id',
                      'external_network_id', 'fixed_network',
                      'fixed_subnet'}:
            document.setdefault('driver', original['driver'])
            resolve_driver(context, document)
        self.check_publish(context, document, original)
        check_referenced(template, changed, document)
        for key in changed:
            setattr(template, key, document[key])
        template.save()
        return self.api_type.convert(template)

    def delete(self, ident):
        context = pecan.request.context
        self.scope_admin(context, 'delete')
        template = objects.ClusterTemplate.get(context, ident)
        policy.authorize(context, self.rule('delete'),
                         target=template.as_dict())
        template.destroy()


def check_referenced(template, changed, document):
    admin = magnum_admin_context()
    users = objects.Cluster.list(
        admin, filters={'cluster_template_id': template.uuid})
    if not users:
        return
    allowed = changed in CHANGES_ALLOWED_WHEN_REFERENCED and not (
        changed == {'public'} and not document['public']) and not (
        changed == {'tags'} and document['tags'] is None)
    if not allowed:
        raise exception.ClusterTemplateReferenced(
            clustertemplate=template.name or template.uuid,
            clusters=', '.join(sorted(c.name or c.uuid for c in users)))


class ClusterTemplatesController(rest.RestController):
    """/v1/clustertemplates"""

    _custom_actions = {'detail': ['GET']}
    _operations = TemplateOperations(ClusterTemplate,
                                     ClusterTemplateCollection,
                                     ClusterTemplatePatchType,
                                     'clustertemplate')

    @wsme_pecan.wsexpose(ClusterTemplateCollection, types.uuid, int,
                         wtypes.text, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc'):
        return self._operations.list(marker, limit, sort_key, sort_dir)

    @wsme_pecan.wsexpose(ClusterTemplateCollection, types.uuid, int,
                         wtypes.text, wtypes.text)
    def detail(self, marker=None, limit=None, sort_key='id',
               sort_dir='asc'):
        return self._operations.list(marker, limit, sort_key, sort_dir,
                                     detail=True)

    @wsme_pecan.wsexpose(ClusterTemplate, wtypes.text)
    def get_one(self, ident):
        return self._operations.get_one(ident)

    @wsme_pecan.wsexpose(ClusterTemplate, body=ClusterTemplate,
                         status_code=201)
    def post(self, template):
        return self._operations.create(template)

    @wsme_pecan.wsexpose(ClusterTemplate, wtypes.text,
                         body=[ClusterTemplatePatchType])
    def patch(self, ident, patch):
        return self._operations.update(ident, patch)

    @wsme_pecan.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, ident):
        self._operations.delete(ident)


def magnum_admin_context():
    from magnum.common import context as magnum_context
    return magnum_context.get_admin_context()
