# TEST FIXTURE of the cloud-in-a-box (tools/cloud-in-a-box.sh), not part of
# Magnum and NEVER FOR PRODUCTION: a small WSGI service that STANDS IN FOR
# THE READ-ONLY PARTS OF THE GLANCE, NOVA AND NEUTRON APIs on a test cloud
# that has none of those services. It answers the look-ups Horizon's
# magnum-ui forms and Magnum's own validation (magnum/drivers/heat/
# validation.py) make (images, flavors, keypairs, availability zones,
# networks, subnets) from the fixed inventory of inventory.yaml beside it,
# to callers with a valid Keystone token; it changes nothing and creates
# nothing. What it proves and what it does not is in
# doc/source/contributor/cloud-in-a-box.rst.
#
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

"""Read-only Glance, Nova and Neutron stand-ins (a test fixture).

Served by gunicorn with the cloud's Python (``cloud-in-a-box.sh up``),
one port, one path per service, as DevStack lays them out::

    /image                 Glance (the catalog's "image" endpoint)
    /compute/v2.1          Nova ("compute")
    /networking            Neutron ("network")

Settings (environment): ``MAGNUM_CLOUD_KEYSTONE_URL`` (the Keystone whose
tokens are accepted, e.g. http://127.0.0.1:15000) and, optionally,
``MAGNUM_CLOUD_APIS_INVENTORY`` (another inventory file).

What each service answers:

- Glance v2: ``GET /v2/images`` (filters ``name``, ``id``, ``status``,
  ``visibility``, ``os_distro``, ``owner``; one page), ``/v2/images/<id>``,
  ``/v2/schemas/image`` and ``/v2/schemas/images`` (what glanceclient
  builds its models from).
- Nova v2.1: ``GET /flavors``, ``/flavors/detail``, ``/flavors/<id>``,
  ``/flavors/<id>/os-extra_specs``, ``/os-keypairs``,
  ``/os-keypairs/<name>``, ``/os-availability-zone`` (and ``/detail``),
  empty lists of servers, and for Horizon's project overview ``/limits``
  (made-up limits, nothing used) and an empty ``/os-simple-tenant-usage``.
- Neutron v2.0: ``GET /v2.0/networks``, ``/v2.0/subnets`` (filters on any
  field, values as Neutron compares them; ``fields`` honoured),
  ``/v2.0/networks/<id>``, ``/v2.0/subnets/<id>``, ``/v2.0/extensions``,
  and empty lists of ports, routers, floating IPs and security groups.
- Each root (and Nova's ``/v2.1``) answers its version document, without
  a token, as the real services do.

Everything else is 404 in that service's error format; any method but GET
and HEAD is 405 (the stand-ins are read-only). A request without a token
is 401, a token Keystone does not confirm 401, a token of no project 403.
Tokens are checked with Keystone (a token may read its own data, so no
credentials are needed here) and remembered for 60 seconds at most.
"""

import hashlib
import ipaddress
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import yaml

LOG = logging.getLogger('standin_apis')

INVENTORY = os.environ.get('MAGNUM_CLOUD_APIS_INVENTORY') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), 'inventory.yaml')
# The namespace of the inventory's ids: uuid5(ID_NAMESPACE, "kind/name").
ID_NAMESPACE = uuid.UUID('8e7c5d2e-5b0a-4d53-9d52-6b1a4f3c0a11')
# Who owns what every project sees (images, the external network).
CLOUD_OWNER = uuid.uuid5(ID_NAMESPACE, 'project/cloud-in-a-box').hex
# A fixed moment, so that answers never change between starts.
CREATED_AT = '2025-01-01T00:00:00Z'
TOKEN_TTL = 60
NOVA_MAX_VERSION = '2.96'
GLANCE_VERSION = 'v2.17'


def stable_id(kind, name):
    return str(uuid.uuid5(ID_NAMESPACE, '%s/%s' % (kind, name)))


# -- errors -------------------------------------------------------------------

class HTTPError(Exception):
    def __init__(self, status, message, kind=None, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.headers = list(headers)


REASONS = {200: 'OK', 300: 'Multiple Choices', 401: 'Unauthorized',
           403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
           503: 'Service Unavailable'}
# Nova's error body names the kind of fault.
NOVA_FAULTS = {401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound',
               405: 'notAllowed', 503: 'serviceUnavailable'}


# -- tokens -------------------------------------------------------------------

class TokenChecker:
    """Who a token is (user, project, roles), as Keystone says."""

    def __init__(self, keystone_url):
        self.url = keystone_url.rstrip('/') + '/v3/auth/tokens'
        self._lock = threading.Lock()
        self._known = {}

    def __call__(self, token):
        if not token:
            raise HTTPError(401, 'The request you have made requires '
                                 'authentication (no X-Auth-Token).')
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            known = self._known.get(key)
            if known and known[0] > now:
                return known[1]
        who, until = self._validate(token)
        with self._lock:
            if len(self._known) > 1000:
                self._known.clear()
            self._known[key] = (min(now + TOKEN_TTL, until), who)
        return who

    def _validate(self, token):
        request = urllib.request.Request(self.url, headers={
            'X-Auth-Token': token, 'X-Subject-Token': token,
            'Accept': 'application/json'})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as reply:
                body = json.load(reply)['token']
        except urllib.error.HTTPError as error:
            if error.code in (401, 403, 404):
                raise HTTPError(401, 'The token was refused by Keystone '
                                     '(HTTP %d).' % error.code)
            raise HTTPError(503, 'Keystone answered HTTP %d while the '
                                 'token was checked.' % error.code)
        except (OSError, ValueError, KeyError) as error:
            raise HTTPError(503, 'Keystone could not check the token: %s'
                            % error)
        project = body.get('project')
        if not project:
            raise HTTPError(403, 'A project-scoped token is needed.')
        who = {'user_id': body['user']['id'], 'project_id': project['id'],
               'roles': [role['name'] for role in body.get('roles', ())]}
        remaining = TOKEN_TTL
        expires = body.get('expires_at')
        if expires:
            try:
                left = time.mktime(time.strptime(
                    expires[:19], '%Y-%m-%dT%H:%M:%S')) - time.mktime(
                        time.gmtime())
                remaining = max(0, min(remaining, left))
            except ValueError:
                pass
        return who, time.monotonic() + remaining


# -- the inventory, as each API shows it ------------------------------------

class Inventory:
    """The records of inventory.yaml in the shapes the APIs answer."""

    def __init__(self, path):
        with open(path) as handle:
            data = yaml.safe_load(handle)
        self.images = [self._image(i) for i in data.get('images', ())]
        self.flavors = [self._flavor(f) for f in data.get('flavors', ())]
        self.keypairs = list(data.get('keypairs', ()))
        self.zones = list(data.get('availability_zones', ()))
        self.networks, self.subnets = [], []
        for network in data.get('networks', ()):
            self._network(network)

    @staticmethod
    def _image(spec):
        image_id = stable_id('image', spec['name'])
        size = 409 * 1024 * 1024
        digest = hashlib.sha512(spec['name'].encode()).hexdigest()
        image = {
            'id': image_id, 'name': spec['name'], 'status': 'active',
            'visibility': 'public', 'protected': False, 'os_hidden': False,
            'disk_format': 'raw', 'container_format': 'bare',
            'size': size, 'virtual_size': size, 'min_disk': 0,
            'min_ram': 0, 'checksum': hashlib.md5(
                spec['name'].encode(), usedforsecurity=False).hexdigest(),
            'os_hash_algo': 'sha512', 'os_hash_value': digest,
            'owner': CLOUD_OWNER, 'tags': [], 'created_at': CREATED_AT,
            'updated_at': CREATED_AT, 'self': '/v2/images/%s' % image_id,
            'file': '/v2/images/%s/file' % image_id,
            'schema': '/v2/schemas/image',
        }
        # Glance v2 shows additional properties beside the core ones.
        for key, value in spec.items():
            if key != 'name':
                image[key] = str(value)
        return image

    @staticmethod
    def _flavor(spec):
        return {
            'id': str(spec['id']), 'name': spec['name'],
            'ram': int(spec['ram']), 'vcpus': int(spec['vcpus']),
            'disk': int(spec['disk']), 'OS-FLV-EXT-DATA:ephemeral': 0,
            'swap': 0, 'rxtx_factor': 1.0, 'os-flavor-access:is_public': True,
            'OS-FLV-DISABLED:disabled': False, 'description': None,
            'extra_specs': {},
        }

    def _network(self, spec):
        network_id = stable_id('network', spec['name'])
        external = bool(spec.get('external'))
        # The external network is the cloud's; the others are shared.
        owner = CLOUD_OWNER
        subnet_ids = []
        for subnet in spec.get('subnets', ()):
            subnet_id = stable_id('subnet', subnet['name'])
            subnet_ids.append(subnet_id)
            first, last = _host_range(subnet['cidr'])
            self.subnets.append(_neutron_common({
                'id': subnet_id, 'name': subnet['name'],
                'network_id': network_id, 'cidr': subnet['cidr'],
                'ip_version': 4, 'gateway_ip': first,
                'allocation_pools': [{'start': _next(first), 'end': last}],
                'enable_dhcp': True, 'dns_nameservers': [],
                'host_routes': [], 'ipv6_ra_mode': None,
                'ipv6_address_mode': None, 'subnetpool_id': None,
                'service_types': [], 'segment_id': None,
            }, owner))
        self.networks.append(_neutron_common({
            'id': network_id, 'name': spec['name'], 'status': 'ACTIVE',
            'admin_state_up': True, 'shared': bool(spec.get('shared')),
            'router:external': external, 'is_default': external,
            'subnets': subnet_ids, 'mtu': 1450,
            'availability_zones': ['nova'], 'availability_zone_hints': [],
            'port_security_enabled': True, 'qos_policy_id': None,
            'ipv4_address_scope': None, 'ipv6_address_scope': None,
            'l2_adjacency': True,
        }, owner))


def _neutron_common(record, owner):
    record.update({'tenant_id': owner, 'project_id': owner,
                   'description': '', 'tags': [], 'revision_number': 1,
                   'created_at': CREATED_AT, 'updated_at': CREATED_AT})
    return record


def _host_range(cidr):
    network = ipaddress.ip_network(cidr)
    hosts = list(network.hosts()) if network.num_addresses <= 65536 else []
    if not hosts:
        return None, None
    return str(hosts[0]), str(hosts[-1])


def _next(address):
    return str(ipaddress.ip_address(address) + 1) if address else None


# -- requests and answers ---------------------------------------------------

class Request:
    def __init__(self, environ):
        self.environ = environ
        self.method = environ['REQUEST_METHOD'].upper()
        self.path = environ.get('PATH_INFO', '') or '/'
        self.query = urllib.parse.parse_qs(
            environ.get('QUERY_STRING', ''), keep_blank_values=True)
        self.token = environ.get('HTTP_X_AUTH_TOKEN', '')
        self.who = None

    def base(self, prefix):
        """This service's URL as the caller reached it."""
        host = self.environ.get('HTTP_HOST') or '%s:%s' % (
            self.environ['SERVER_NAME'], self.environ['SERVER_PORT'])
        scheme = self.environ.get('wsgi.url_scheme', 'http')
        return '%s://%s%s' % (scheme, host, prefix)

    def first(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default


def _matches(record, query, ignored):
    """Neutron/Glance-style filters: every given field must hold one of
    the values given for it (compared as text, booleans in any case)."""
    for key, wanted in query.items():
        if key in ignored:
            continue
        if key == 'project_id' or key == 'tenant_id':
            field = record.get('project_id', record.get('owner'))
        elif key not in record:
            # Neutron ignores filters on fields a resource does not have.
            continue
        else:
            field = record[key]
        if not any(_same(field, value) for value in wanted):
            return False
    return True


def _same(field, value):
    if isinstance(field, bool):
        return value.lower() == str(field).lower()
    if isinstance(field, list):
        return value in [str(v) for v in field]
    return str(field) == value


def _only(record, fields):
    if not fields:
        return record
    return {key: value for key, value in record.items() if key in fields}


class StandinAPIs:
    """The WSGI application."""

    SERVICES = ('/image', '/compute', '/networking')

    def __init__(self, inventory, check_token):
        self.inventory = inventory
        self.check_token = check_token

    def __call__(self, environ, start_response):
        request = Request(environ)
        service = next((s for s in self.SERVICES
                        if request.path == s or
                        request.path.startswith(s + '/')), None)
        try:
            if service is None:
                raise HTTPError(404, 'No such service here: the test '
                                     'cloud serves /image, /compute and '
                                     '/networking.')
            if request.method not in ('GET', 'HEAD'):
                raise HTTPError(405, 'This test cloud\'s %s is a read-only '
                                     'stand-in: %s is not allowed.' % (
                                         service[1:], request.method),
                                headers=[('Allow', 'GET, HEAD')])
            path = request.path[len(service):].rstrip('/')
            handler = getattr(self, '_' + service[1:])
            status, body = handler(request, path)
        except HTTPError as error:
            LOG.info('%s %s?%s -> %d %s', request.method, request.path,
                     environ.get('QUERY_STRING', ''), error.status,
                     error.message)
            return self._error(start_response, service, error)
        LOG.info('%s %s?%s -> %d', request.method, request.path,
                 environ.get('QUERY_STRING', ''), status)
        payload = json.dumps(body).encode()
        start_response('%d %s' % (status, REASONS[status]), [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(payload)))])
        return [b''] if request.method == 'HEAD' else [payload]

    def _error(self, start_response, service, error):
        headers = [('Content-Type', 'application/json')] + error.headers
        if error.status == 401:
            headers.append(('WWW-Authenticate',
                            'Keystone uri="%s"' % KEYSTONE_URL))
        if service == '/compute':
            body = {NOVA_FAULTS.get(error.status, 'computeFault'): {
                'code': error.status, 'message': error.message}}
        elif service == '/networking':
            body = {'NeutronError': {
                'type': error.kind or REASONS.get(error.status, 'Error')
                .replace(' ', ''), 'message': error.message, 'detail': ''}}
        else:
            # Glance answers errors as text in a small page; its clients
            # read the status. JSON keeps it readable in logs.
            body = {'code': error.status,
                    'title': REASONS.get(error.status, 'Error'),
                    'message': error.message}
        payload = json.dumps(body).encode()
        headers.append(('Content-Length', str(len(payload))))
        start_response('%d %s' % (error.status,
                                  REASONS.get(error.status, 'Error')),
                       headers)
        return [payload]

    def _authenticated(self, request):
        request.who = self.check_token(request.token)
        return request.who

    # -- Glance ---------------------------------------------------------------

    def _image(self, request, path):
        base = request.base('/image')
        if path in ('', '/versions'):
            return 300, {'versions': [{
                'id': GLANCE_VERSION, 'status': 'CURRENT',
                'links': [{'rel': 'self', 'href': base + '/v2/'}]}]}
        self._authenticated(request)
        if path == '/v2/images':
            images = [image for image in self.inventory.images
                      if _matches(image, request.query, {
                          'limit', 'marker', 'sort', 'sort_key',
                          'sort_dir', 'member_status'})]
            return 200, {'images': images, 'first': '/v2/images',
                         'schema': '/v2/schemas/images'}
        if path.startswith('/v2/images/'):
            image_id = path[len('/v2/images/'):]
            for image in self.inventory.images:
                if image['id'] == image_id:
                    return 200, image
            raise HTTPError(404, 'No image found with ID %s' % image_id)
        if path == '/v2/schemas/image':
            return 200, IMAGE_SCHEMA
        if path == '/v2/schemas/images':
            return 200, {'name': 'images', 'properties': {
                'images': {'type': 'array', 'items': IMAGE_SCHEMA},
                'schema': {'type': 'string'}, 'first': {'type': 'string'},
                'next': {'type': 'string'}},
                'links': [{'rel': 'first', 'href': '{first}'},
                          {'rel': 'next', 'href': '{next}'},
                          {'rel': 'describedby', 'href': '{schema}'}]}
        raise HTTPError(404, 'The resource could not be found.')

    # -- Nova -----------------------------------------------------------------

    def _nova_version(self, request):
        return {'id': 'v2.1', 'status': 'CURRENT',
                'version': NOVA_MAX_VERSION, 'min_version': '2.1',
                'updated': '2013-07-23T11:33:21Z',
                'links': [{'rel': 'self',
                           'href': request.base('/compute/v2.1/')}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.compute+json;'
                            'version=2.1'}]}

    def _compute(self, request, path):
        if path == '':
            return 200, {'versions': [self._nova_version(request)]}
        if path == '/v2.1':
            return 200, {'version': self._nova_version(request)}
        if not path.startswith('/v2.1/'):
            raise HTTPError(404, 'The resource could not be found.')
        who = self._authenticated(request)
        path = path[len('/v2.1'):]
        # Clients may put the project id after the version.
        prefix = '/' + who['project_id']
        if path.startswith(prefix + '/'):
            path = path[len(prefix):]
        inventory = self.inventory
        if path in ('/flavors', '/flavors/detail'):
            flavors = inventory.flavors
            if path == '/flavors':
                flavors = [{'id': f['id'], 'name': f['name'],
                            'description': None} for f in flavors]
            return 200, {'flavors': flavors}
        if path.startswith('/flavors/'):
            flavor_id, _, rest = path[len('/flavors/'):].partition('/')
            flavor_id = urllib.parse.unquote(flavor_id)
            for flavor in inventory.flavors:
                if flavor['id'] == flavor_id:
                    if rest == 'os-extra_specs':
                        return 200, {'extra_specs': {}}
                    if rest == '':
                        return 200, {'flavor': flavor}
            raise HTTPError(404, 'Flavor %s could not be found.' % flavor_id)
        if path == '/os-keypairs':
            return 200, {'keypairs': [{'keypair': self._keypair(k, who,
                                                                brief=True)}
                                      for k in inventory.keypairs]}
        if path.startswith('/os-keypairs/'):
            name = urllib.parse.unquote(path[len('/os-keypairs/'):])
            for keypair in inventory.keypairs:
                if keypair['name'] == name:
                    return 200, {'keypair': self._keypair(keypair, who)}
            raise HTTPError(404, 'Keypair %s not found for user %s' % (
                name, who['user_id']))
        if path in ('/os-availability-zone', '/os-availability-zone/detail'):
            return 200, {'availabilityZoneInfo': [
                {'zoneName': zone, 'zoneState': {'available': True},
                 'hosts': None} for zone in inventory.zones]}
        if path in ('/servers', '/servers/detail'):
            return 200, {'servers': []}
        # What Horizon's project overview reads: nothing runs here, so
        # nothing is used, of made-up limits.
        if path == '/limits':
            return 200, {'limits': {'rate': [], 'absolute': LIMITS}}
        if path == '/os-simple-tenant-usage':
            return 200, {'tenant_usages': []}
        if path == '/os-simple-tenant-usage/' + who['project_id']:
            return 200, {'tenant_usage': {}}
        raise HTTPError(404, 'The resource could not be found.')

    @staticmethod
    def _keypair(keypair, who, brief=False):
        shown = {'name': keypair['name'], 'public_key': keypair['public_key'],
                 'fingerprint': keypair['fingerprint'],
                 'type': keypair.get('type', 'ssh')}
        if not brief:
            shown.update({'user_id': who['user_id'], 'id': 1,
                          'created_at': CREATED_AT, 'updated_at': None,
                          'deleted': False, 'deleted_at': None})
        return shown

    # -- Neutron --------------------------------------------------------------

    def _networking(self, request, path):
        base = request.base('/networking')
        if path == '':
            return 200, {'versions': [{
                'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'rel': 'self', 'href': base + '/v2.0/'}]}]}
        if path == '/v2.0':
            return 200, {'resources': [
                {'name': name, 'collection': name + 's',
                 'links': [{'rel': 'self',
                            'href': '%s/v2.0/%ss' % (base, name)}]}
                for name in ('network', 'subnet')]}
        if not path.startswith('/v2.0/'):
            raise HTTPError(404, 'The resource could not be found.')
        self._authenticated(request)
        path = path[len('/v2.0'):]
        fields = set(request.query.get('fields', ()))
        ignored = {'fields', 'limit', 'marker', 'sort_key', 'sort_dir',
                   'page_reverse'}
        for collection, records, kind in (
                ('networks', self.inventory.networks, 'NetworkNotFound'),
                ('subnets', self.inventory.subnets, 'SubnetNotFound')):
            if path == '/' + collection:
                return 200, {collection: [
                    _only(r, fields) for r in records
                    if _matches(r, request.query, ignored)]}
            if path.startswith('/%s/' % collection):
                wanted = path[len(collection) + 2:]
                for record in records:
                    if record['id'] == wanted:
                        return 200, {collection[:-1]: _only(record, fields)}
                raise HTTPError(404, '%s %s could not be found.' % (
                    collection[:-1].capitalize(), wanted), kind=kind)
        if path == '/extensions':
            return 200, {'extensions': EXTENSIONS}
        if path.startswith('/extensions/'):
            alias = path[len('/extensions/'):]
            for extension in EXTENSIONS:
                if extension['alias'] == alias:
                    return 200, {'extension': extension}
            raise HTTPError(404, 'Extension with alias %s does not exist'
                            % alias, kind='ExtensionNotFound')
        empty = {'/ports': 'ports', '/routers': 'routers',
                 '/floatingips': 'floatingips',
                 '/security-groups': 'security_groups'}
        if path in empty:
            return 200, {empty[path]: []}
        raise HTTPError(404, 'The resource could not be found.')


# Nova's absolute limits of every project (made up; nothing is used).
LIMITS = {
    'maxTotalInstances': 10, 'maxTotalCores': 20, 'maxTotalRAMSize': 51200,
    'maxTotalKeypairs': 100, 'maxServerMeta': 128, 'maxImageMeta': 128,
    'maxPersonality': 5, 'maxPersonalitySize': 10240,
    'maxServerGroups': 10, 'maxServerGroupMembers': 10,
    'maxTotalFloatingIps': -1, 'maxSecurityGroups': -1,
    'maxSecurityGroupRules': -1, 'totalInstancesUsed': 0,
    'totalCoresUsed': 0, 'totalRAMUsed': 0, 'totalFloatingIpsUsed': 0,
    'totalSecurityGroupsUsed': 0, 'totalServerGroupsUsed': 0,
}

# The extensions the stand-in's records show fields of.
EXTENSIONS = [
    {'alias': alias, 'name': name, 'description': name, 'links': [],
     'updated': '2013-01-01T10:00:00-00:00'}
    for alias, name in (('external-net', 'Neutron external network'),
                        ('availability_zone', 'Availability Zone'),
                        ('network_availability_zone',
                         'Network Availability Zone'),
                        ('standard-attr-description', 'standard-attr-'
                         'description'),
                        ('project-id', 'project_id field enabled'),
                        ('net-mtu', 'Network MTU'))]

# What glanceclient builds its image model from: the core properties, and
# any other (string) property beside them, as Glance's own schema allows.
IMAGE_SCHEMA = {
    'name': 'image',
    'properties': {
        'id': {'type': 'string'},
        'name': {'type': ['null', 'string']},
        'status': {'type': 'string'},
        'visibility': {'type': 'string'},
        'protected': {'type': 'boolean'},
        'os_hidden': {'type': 'boolean'},
        'checksum': {'type': ['null', 'string']},
        'os_hash_algo': {'type': ['null', 'string']},
        'os_hash_value': {'type': ['null', 'string']},
        'owner': {'type': ['null', 'string']},
        'size': {'type': ['null', 'integer']},
        'virtual_size': {'type': ['null', 'integer']},
        'min_ram': {'type': 'integer'},
        'min_disk': {'type': 'integer'},
        'container_format': {'type': ['null', 'string']},
        'disk_format': {'type': ['null', 'string']},
        'created_at': {'type': 'string'},
        'updated_at': {'type': 'string'},
        'tags': {'type': 'array', 'items': {'type': 'string'}},
        'self': {'type': 'string'},
        'file': {'type': 'string'},
        'schema': {'type': 'string'},
        'locations': {'type': 'array'},
    },
    'additionalProperties': {'type': 'string'},
    'links': [{'rel': 'self', 'href': '{self}'},
              {'rel': 'enclosure', 'href': '{file}'},
              {'rel': 'describedby', 'href': '{schema}'}],
}

KEYSTONE_URL = os.environ.get('MAGNUM_CLOUD_KEYSTONE_URL',
                              'http://127.0.0.1:15000')
logging.basicConfig(level=logging.INFO,
                    format='%(asctime)s %(levelname)s %(name)s %(message)s')
application = StandinAPIs(Inventory(INVENTORY), TokenChecker(KEYSTONE_URL))
