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

"""What the Heat drivers check in the cloud before anything is built.

A cluster template or cluster names cloud resources (an image, flavors, a
keypair, networks, a subnet) that Heat would only find wrong minutes into
a stack create. The Heat drivers' ``validate_cluster_template`` and
``validate_cluster`` call this module, which looks each of them up with
the requesting user's token (Glance, Nova and Neutron, through
:mod:`magnum.common.clients`) and refuses a wrong one at once, naming the
field and the value.

Public interface (for the Heat drivers; keep these signatures):

``validate_template(context, values) -> dict``
    ``values``: the template's values as the API hands them to
    ``Driver.validate_cluster_template`` (a dict; not changed). Checks
    ``image_id``, ``flavor_id``, ``master_flavor_id`` (and that a flavor
    without a root disk comes with the ``boot_volume_size`` label),
    ``external_network_id``, ``fixed_network`` and ``fixed_subnet``, the
    ones that are set. Returns what the cloud decides about the template:
    ``{'cluster_distro': <the image's os_distro>}``; ``{}`` when the
    look-ups are switched off (then the request must say
    ``cluster_distro`` itself). ``keypair_id`` is not checked on a
    template: keypairs belong to users, and the template's users are not
    known yet.

``validate_cluster(context, values, template) -> None``
    ``values``: the cluster's values after the template's defaults, as
    ``Driver.validate_cluster`` receives them (dict); ``template``: its
    ClusterTemplate (object or dict). Checks the cluster's ``keypair``
    (a Nova keypair of the requesting user) and what the cluster builds
    from: its own ``flavor_id``, ``master_flavor_id``, ``fixed_network``,
    ``fixed_subnet`` (else the template's), the template's ``image_id``
    and ``external_network_id``, which may have gone since the template
    was stored.

``image_os_distro(context, image) -> str``
    The ``os_distro`` property of the Glance image named by ``image`` (id
    or name): what decides the driver.

``lookups_enabled() -> bool``
    ``[cloud_validation] enabled``; when False every function above
    checks nothing (``image_os_distro`` then returns None).

``clear_cache() -> None``
    Forget every remembered look-up (tests; configuration changes).

Errors (Magnum's exceptions, answered in the OpenStack error format):
400 for a value that names nothing (``ImageNotFound``,
``OSDistroFieldNotFound``, ``FlavorNotFound``,
``FlavorZeroRootVolumeNotSupported``, ``ExternalNetworkNotFound``,
``FixedNetworkNotFound``, ``FixedSubnetNotFound``) or a service missing
from the catalog; 404 ``KeyPairNotFound`` for a missing keypair (the API
contract's status for it); 409 ``NameNotUnique`` when a name matches
several resources: the request is well formed but ambiguous in this
cloud, the user must give the id (409 is also what Magnum's clients and
tempest expect there); 503 ``ServiceUnavailable`` when a service cannot
be reached; 403 when a service refuses the token.

Found resources are remembered for ``[cloud_validation] cache_ttl``
seconds per (project, kind, value) (keypairs per user), a few fields
each, at most :data:`CACHE_SIZE` of them; what is not found is never
remembered, so a resource created after a refusal is found at once.
"""

import collections
import threading
import time
from urllib import parse

from oslo_log import log as logging
from oslo_utils import uuidutils

from magnum import conf
from magnum.common import clients
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: How many found resources are remembered (a few hundred bytes each).
CACHE_SIZE = 512

_MISSING = object()


class _TTLCache:
    """A small, thread-safe map whose entries expire; the oldest entry
    goes when it is full."""

    def __init__(self, size, clock=time.monotonic):
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries = collections.OrderedDict()

    def get(self, key, ttl):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return _MISSING
            stored_at, value = entry
            if self._clock() - stored_at >= ttl:
                del self._entries[key]
                return _MISSING
            return value

    def put(self, key, value):
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (self._clock(), value)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


_cache = _TTLCache(CACHE_SIZE)


def lookups_enabled():
    return CONF.cloud_validation.enabled


def clear_cache():
    _cache.clear()


def _quoted(value):
    return parse.quote(str(value), safe='')


def _one_of(field, value, found, what, resource):
    """The single resource among ``found`` (None if none); several are a
    409 saying how many ``what`` (e.g. "Glance images") share the name."""
    if len(found) > 1:
        raise exception.NameNotUnique(
            message=_("%(field)s '%(value)s': %(count)d %(what)s have this "
                      "name; give the id of the one to use instead.") % {
                          'field': field, 'value': value,
                          'count': len(found), 'what': what},
            resource=resource, name=value)
    return found[0] if found else None


class _Lookups:
    """The look-ups of one request: a reader per service, made when the
    first look-up that misses the cache needs it."""

    def __init__(self, context):
        self._context = context
        self._readers = {}

    def _reader(self, service_type):
        reader = self._readers.get(service_type)
        if reader is None:
            reader = clients.user_reader(self._context, service_type,
                                         CONF.cloud_validation.timeout)
            self._readers[service_type] = reader
        return reader

    def _remembered(self, kind, value, find, per_user=False):
        """``find()``'s result, or the one found less than cache_ttl
        seconds ago for the same project (and user) and value."""
        context = self._context
        scope = (context.project_id,
                 context.user_id if per_user else None)
        key = (scope, kind, value)
        ttl = CONF.cloud_validation.cache_ttl
        if ttl:
            found = _cache.get(key, ttl)
            if found is not _MISSING:
                return found
        found = find()
        if ttl and found is not None:
            _cache.put(key, found)
        return found

    # -- Glance -------------------------------------------------------------

    def image(self, field, value):
        """{'id', 'name', 'os_distro'} of the image (id or name)."""
        def find():
            glance = self._reader('image')
            if uuidutils.is_uuid_like(value):
                image = glance.get('/images/%s' % _quoted(value))
                if image is not None:
                    return _image_record(image)
            listed = glance.get('/images', params={'name': value}) or {}
            found = [image for image in listed.get('images', ())
                     if image.get('name') == value]
            image = _one_of(field, value, found,
                            _('Glance images'), 'images')
            return None if image is None else _image_record(image)

        image = self._remembered('image', value, find)
        if image is None:
            raise exception.ImageNotFound(
                message=_("%(field)s '%(value)s': no Glance image with this "
                          "id or name is visible to the project.") % {
                              'field': field, 'value': value},
                image_id=value)
        if not image['os_distro']:
            raise exception.OSDistroFieldNotFound(
                message=_("%(field)s '%(value)s': the Glance image "
                          "%(id)s has no os_distro property, which says "
                          "what the nodes run (e.g. fedora-coreos, ubuntu) "
                          "and so which driver builds them; set it with "
                          "'openstack image set --property "
                          "os_distro=<distro> %(id)s'.") % {
                              'field': field, 'value': value,
                              'id': image['id']},
                image_id=value)
        return image

    # -- Nova ---------------------------------------------------------------

    def flavor(self, field, value):
        """{'id', 'name', 'disk'} of the flavor (id or name)."""
        def find():
            nova = self._reader('compute')
            # Flavor ids are free-form strings in Nova: any value may be
            # one, so the id is tried first.
            answer = nova.get('/flavors/%s' % _quoted(value))
            if answer is not None and 'flavor' in answer:
                return _flavor_record(answer['flavor'])
            listed = nova.get('/flavors/detail') or {}
            found = [flavor for flavor in listed.get('flavors', ())
                     if flavor.get('name') == value]
            flavor = _one_of(field, value, found,
                             _('Nova flavors'), 'flavors')
            return None if flavor is None else _flavor_record(flavor)

        flavor = self._remembered('flavor', value, find)
        if flavor is None:
            raise exception.FlavorNotFound(
                message=_("%(field)s '%(value)s': no Nova flavor with this "
                          "id or name is available to the project.") % {
                              'field': field, 'value': value},
                flavor=value)
        return flavor

    def keypair(self, field, value):
        """{'name'} of the requesting user's keypair ``value``."""
        def find():
            answer = self._reader('compute').get(
                '/os-keypairs/%s' % _quoted(value))
            if answer is None or 'keypair' not in answer:
                return None
            return {'name': answer['keypair'].get('name', value)}

        keypair = self._remembered('keypair', value, find, per_user=True)
        if keypair is None:
            raise exception.KeyPairNotFound(
                message=_("%(field)s '%(value)s': the requesting user has "
                          "no Nova keypair of this name.") % {
                              'field': field, 'value': value},
                keypair=value)
        return keypair

    # -- Neutron ------------------------------------------------------------

    def _by_id_or_name(self, kind, value):
        """The Neutron networks or subnets ``value`` names: [the one
        with this id] if there is one, else all of this name."""
        neutron = self._reader('network')
        if uuidutils.is_uuid_like(value):
            answer = neutron.get('/%ss/%s' % (kind, _quoted(value)))
            if answer is not None and kind in answer:
                return [answer[kind]]
        listed = neutron.get('/%ss' % kind, params={'name': value}) or {}
        return [item for item in listed.get(kind + 's', ())
                if item.get('name') == value]

    def network(self, field, value, external=False):
        """{'id', 'name', 'external'} of the network (id or name); with
        ``external``, of the one external network of that name."""
        def find():
            found = self._by_id_or_name('network', value)
            if external and len(found) > 1:
                # Several networks may share a name; only an external one
                # can be meant here.
                found = [net for net in found
                         if net.get('router:external')] or found[:1]
                what = _('external Neutron networks')
            else:
                what = _('Neutron networks')
            network = _one_of(field, value, found, what,
                              'networks')
            return None if network is None else _network_record(network)

        kind = 'external_network' if external else 'network'
        network = self._remembered(kind, value, find)
        if network is None:
            error = exception.ExternalNetworkNotFound if external \
                else exception.FixedNetworkNotFound
            raise error(
                message=_("%(field)s '%(value)s': no Neutron network with "
                          "this id or name is visible to the project.") % {
                              'field': field, 'value': value},
                network=value)
        if external and not network['external']:
            raise exception.ExternalNetworkNotFound(
                message=_("%(field)s '%(value)s': the Neutron network "
                          "%(id)s is not external (router:external is "
                          "false); give the network the cluster's router "
                          "reaches the outside through.") % {
                              'field': field, 'value': value,
                              'id': network['id']},
                network=value)
        return network

    def subnet(self, field, value, network=None, network_field=None):
        """{'id', 'name', 'network_id'} of the subnet (id or name); when
        ``network`` (a network record) is given, the subnet must be in
        it, and a name is looked for among that network's subnets."""
        network_id = network['id'] if network else None

        def find():
            found = self._by_id_or_name('subnet', value)
            if network_id and len(found) > 1:
                found = [subnet for subnet in found
                         if subnet.get('network_id') == network_id] or \
                    found[:1]
            subnet = _one_of(field, value, found,
                             _('Neutron subnets'), 'subnets')
            return None if subnet is None else _subnet_record(subnet)

        subnet = self._remembered('subnet', (value, network_id), find)
        if subnet is None:
            raise exception.FixedSubnetNotFound(
                message=_("%(field)s '%(value)s': no Neutron subnet with "
                          "this id or name is visible to the project.") % {
                              'field': field, 'value': value},
                subnet=value)
        if network_id and subnet['network_id'] != network_id:
            raise exception.FixedSubnetNotFound(
                message=_("%(field)s '%(value)s': the subnet %(id)s is in "
                          "network %(in)s, not in %(network_field)s "
                          "'%(network)s' (%(network_id)s).") % {
                              'field': field, 'value': value,
                              'id': subnet['id'],
                              'in': subnet['network_id'],
                              'network_field': network_field,
                              'network': network['name'] or network_id,
                              'network_id': network_id},
                subnet=value)
        return subnet


# Only what the checks read is remembered.

def _image_record(image):
    return {'id': image.get('id'), 'name': image.get('name'),
            'os_distro': image.get('os_distro')}


def _flavor_record(flavor):
    return {'id': flavor.get('id'), 'name': flavor.get('name'),
            'disk': flavor.get('disk')}


def _network_record(network):
    return {'id': network.get('id'), 'name': network.get('name'),
            'external': bool(network.get('router:external'))}


def _subnet_record(subnet):
    return {'id': subnet.get('id'), 'name': subnet.get('name'),
            'network_id': subnet.get('network_id')}


# -- the checks -------------------------------------------------------------

def _value(source, key):
    if isinstance(source, dict):
        return source.get(key)
    return getattr(source, key, None)


def _boot_volume_size(labels):
    raw = (labels or {}).get('boot_volume_size')
    if raw in (None, ''):
        return CONF.cinder.default_boot_volume_size
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise exception.InvalidParameterValue(
            err=_("label boot_volume_size '%s' must be a whole number of "
                  "GB") % raw) from None


def _check_flavors(lookups, flavors, labels):
    """Each (field, value) names a flavor; one without a root disk needs
    a boot volume (nodes would have nowhere to boot from)."""
    boot_volume_size = None
    for field, value in flavors:
        if not value:
            continue
        flavor = lookups.flavor(field, value)
        if flavor['disk'] == 0:
            if boot_volume_size is None:
                boot_volume_size = _boot_volume_size(labels)
            if boot_volume_size <= 0:
                raise exception.FlavorZeroRootVolumeNotSupported(
                    message=_("%(field)s '%(value)s': the flavor has no "
                              "root disk (disk 0), so nodes must boot from "
                              "a volume: set the label boot_volume_size to "
                              "its size in GB, or choose a flavor with a "
                              "disk.") % {'field': field, 'value': value},
                    flavor=value)


def _check_networks(lookups, external, fixed_network, fixed_subnet):
    if external:
        lookups.network('external_network_id', external, external=True)
    network = None
    if fixed_network:
        network = lookups.network('fixed_network', fixed_network)
    if fixed_subnet:
        lookups.subnet('fixed_subnet', fixed_subnet, network=network,
                       network_field='fixed_network')


def validate_template(context, values):
    """Check the template's cloud resources; the values the cloud
    decides ({'cluster_distro': os_distro}). See the module's doc."""
    if not lookups_enabled():
        return {}
    lookups = _Lookups(context)
    derived = {}
    if values.get('image_id'):
        image = lookups.image('image_id', values['image_id'])
        derived['cluster_distro'] = image['os_distro']
    _check_flavors(lookups, [('master_flavor_id',
                              values.get('master_flavor_id')),
                             ('flavor_id', values.get('flavor_id'))],
                   values.get('labels'))
    _check_networks(lookups, values.get('external_network_id'),
                    values.get('fixed_network'), values.get('fixed_subnet'))
    return derived


def validate_cluster(context, values, template):
    """Check the cluster's cloud resources. See the module's doc."""
    if not lookups_enabled():
        return

    def own_or_template(key):
        return values.get(key) or _value(template, key)

    lookups = _Lookups(context)
    keypair = values.get('keypair')
    # Keypairs are per user: a project member changing a colleague's
    # cluster cannot see the creator's keypair, and it is not theirs to
    # check; the stack keeps the one it was built with.
    if keypair and values.get('user_id') in (None, context.user_id):
        lookups.keypair('keypair', keypair)
    image_id = _value(template, 'image_id')
    if image_id:
        lookups.image('image_id', image_id)
    labels = values.get('labels')
    if labels is None:
        labels = _value(template, 'labels')
    _check_flavors(lookups, [('master_flavor_id',
                              own_or_template('master_flavor_id')),
                             ('flavor_id', own_or_template('flavor_id'))],
                   labels)
    _check_networks(lookups, _value(template, 'external_network_id'),
                    own_or_template('fixed_network'),
                    own_or_template('fixed_subnet'))


def image_os_distro(context, image):
    """The os_distro of the Glance image ``image`` (id or name); None
    when the look-ups are off. Raises as ``validate_template`` does."""
    if not lookups_enabled():
        return None
    return _Lookups(context).image('image_id', image)['os_distro']
