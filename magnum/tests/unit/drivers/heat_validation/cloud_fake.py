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

"""A STAND-IN for Nova, Glance and Neutron, for unit tests (requests-mock,
no network): the cloud-in-a-box has none of these services.

It answers only the read calls the Heat drivers' validation makes, with
bodies shaped like the examples of each service's API reference (Compute
API v2.1 ``GET /flavors/{id}``, ``/flavors/detail``,
``/os-keypairs/{name}``; Image API v2 ``GET /v2/images/{id}``,
``/v2/images?name=``; Networking API v2.0 ``GET /v2.0/networks/{id}``,
``?name=``, ``/v2.0/subnets/{id}``, ``?name=``) and their documented
404s, and it requires the token of the user the test acts as. What it
proves: how Magnum reads those documented answers. What it does not: that
a real Nova, Glance or Neutron answers exactly so.
"""

import datetime
import json
import re
from urllib import parse
import uuid

from magnum.common import context as magnum_context

KEYSTONE = 'http://keystone.test:5000'
NOVA = 'http://nova.test:8774/v2.1'
GLANCE = 'http://glance.test:9292'
NEUTRON = 'http://neutron.test:9696'
REGION = 'RegionOne'


def token_body(user_id, project_id, catalog):
    """A Keystone v3 token's data, as keystonemiddleware hands it over."""
    now = datetime.datetime.now(datetime.timezone.utc)
    iso = '%Y-%m-%dT%H:%M:%S.000000Z'
    return {'token': {
        'methods': ['password'],
        'user': {'id': user_id, 'name': user_id,
                 'domain': {'id': 'default', 'name': 'Default'}},
        'project': {'id': project_id, 'name': project_id,
                    'domain': {'id': 'default', 'name': 'Default'}},
        'roles': [{'id': 'r1', 'name': 'member'}],
        'issued_at': now.strftime(iso),
        'expires_at': (now + datetime.timedelta(hours=1)).strftime(iso),
        'catalog': catalog,
    }}


def catalog_entry(service_type, name, url, interface='public',
                  region=REGION):
    return {'type': service_type, 'name': name, 'id': uuid.uuid4().hex,
            'endpoints': [{'id': uuid.uuid4().hex, 'interface': interface,
                           'region': region, 'region_id': region,
                           'url': url}]}


def full_catalog():
    return [catalog_entry('identity', 'keystone', KEYSTONE + '/v3'),
            catalog_entry('compute', 'nova', NOVA),
            catalog_entry('image', 'glance', GLANCE),
            catalog_entry('network', 'neutron', NEUTRON)]


class FakeCloud:
    """Nova, Glance and Neutron of one cloud, seen by its users."""

    def __init__(self, mocker):
        self.mocker = mocker
        self.flavors = []       # Nova flavor documents
        self.images = []        # Glance image documents
        self.keypairs = {}      # user id -> {name: keypair document}
        self.networks = []      # Neutron network documents
        self.subnets = []       # Neutron subnet documents
        self.tokens = {}        # token -> user id
        self._register()

    # -- what the cloud holds --------------------------------------------

    def add_flavor(self, name, flavor_id=None, disk=20):
        flavor_id = flavor_id or str(len(self.flavors) + 1)
        flavor = {
            'OS-FLV-DISABLED:disabled': False,
            'disk': disk,
            'OS-FLV-EXT-DATA:ephemeral': 0,
            'os-flavor-access:is_public': True,
            'id': flavor_id,
            'links': [
                {'href': '%s/flavors/%s' % (NOVA, flavor_id),
                 'rel': 'self'},
                {'href': 'http://nova.test:8774/flavors/%s' % flavor_id,
                 'rel': 'bookmark'}],
            'name': name,
            'ram': 2048,
            'swap': '',
            'vcpus': 1,
            'rxtx_factor': 1.0,
        }
        self.flavors.append(flavor)
        return flavor

    def add_image(self, name, os_distro='fedora-coreos', image_id=None):
        image_id = image_id or str(uuid.uuid4())
        image = {
            'status': 'active',
            'name': name,
            'tags': [],
            'container_format': 'bare',
            'created_at': '2026-05-05T17:15:10Z',
            'disk_format': 'qcow2',
            'updated_at': '2026-05-05T17:15:11Z',
            'visibility': 'public',
            'self': '/v2/images/%s' % image_id,
            'min_disk': 0,
            'protected': False,
            'id': image_id,
            'file': '/v2/images/%s/file' % image_id,
            'checksum': '64d7c1cd2b6f60c92c14662941cb7913',
            'os_hash_algo': 'sha512',
            'os_hash_value': '073b4523583784fbe01daff81eba092a262ec3'
                             '7ba6d04dd3f52e4cd5c93eb8258af44881345ec'
                             'da0e76f8a6c0e7c2f7e2e6d4d07d0f5e08e0c0c'
                             '6e2b2a4f0b5c4',
            'os_hidden': False,
            'owner': 'a7b3f4cd3b1f4a0f8c8e6a2e5d8f0e11',
            'size': 13167616,
            'min_ram': 0,
            'schema': '/v2/schemas/image',
            'virtual_size': None,
        }
        if os_distro is not None:
            # Image properties are top-level keys in Glance v2.
            image['os_distro'] = os_distro
        self.images.append(image)
        return image

    def add_keypair(self, user_id, name):
        keypair = {
            'fingerprint': '44:fe:29:6e:23:14:b9:53:5b:65:82:58:1c:fe:5a:c3',
            'name': name,
            'type': 'ssh',
            'public_key': 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC9 '
                          'Generated-by-Nova',
            'user_id': user_id,
            'deleted': False,
            'created_at': '2026-05-07T12:06:13.681238',
            'updated_at': None,
            'deleted_at': None,
            'id': 1,
        }
        self.keypairs.setdefault(user_id, {})[name] = keypair
        return keypair

    def add_network(self, name, external=False, network_id=None):
        network_id = network_id or str(uuid.uuid4())
        network = {
            'admin_state_up': True,
            'availability_zone_hints': [],
            'availability_zones': ['nova'],
            'created_at': '2026-03-08T20:19:41Z',
            'dns_domain': 'my-domain.org.',
            'id': network_id,
            'ipv4_address_scope': None,
            'ipv6_address_scope': None,
            'l2_adjacency': False,
            'mtu': 1500,
            'name': name,
            'port_security_enabled': True,
            'project_id': '4fd44f30292945e481c7b8a0c8908869',
            'qos_policy_id': None,
            'revision_number': 1,
            'router:external': external,
            'shared': False,
            'status': 'ACTIVE',
            'subnets': [],
            'tags': [],
            'tenant_id': '4fd44f30292945e481c7b8a0c8908869',
            'updated_at': '2026-03-08T20:19:41Z',
            'is_default': False,
            'description': '',
        }
        self.networks.append(network)
        return network

    def add_subnet(self, name, network, subnet_id=None):
        subnet_id = subnet_id or str(uuid.uuid4())
        subnet = {
            'name': name,
            'enable_dhcp': True,
            'network_id': network['id'],
            'segment_id': None,
            'project_id': '4fd44f30292945e481c7b8a0c8908869',
            'tenant_id': '4fd44f30292945e481c7b8a0c8908869',
            'dns_nameservers': [],
            'dns_publish_fixed_ip': False,
            'allocation_pools': [{'start': '10.0.0.2',
                                  'end': '10.0.0.254'}],
            'host_routes': [],
            'ip_version': 4,
            'gateway_ip': '10.0.0.1',
            'cidr': '10.0.0.0/24',
            'id': subnet_id,
            'created_at': '2026-10-10T14:35:47Z',
            'description': '',
            'ipv6_address_mode': None,
            'ipv6_ra_mode': None,
            'revision_number': 2,
            'service_types': [],
            'subnetpool_id': None,
            'tags': [],
            'updated_at': '2026-10-10T14:35:47Z',
        }
        network['subnets'].append(subnet_id)
        self.subnets.append(subnet)
        return subnet

    def context(self, user_id='alice', project_id='proj', catalog=None):
        """A request context of ``user_id`` whose token this cloud
        accepts, with a service catalog (default: all three services)."""
        token = 'token-%s-%s' % (user_id, uuid.uuid4().hex)
        self.tokens[token] = user_id
        return magnum_context.make_context(
            auth_token=token, user_id=user_id, project_id=project_id,
            roles=['member'], auth_url=KEYSTONE,
            auth_token_info=token_body(
                user_id, project_id,
                full_catalog() if catalog is None else catalog))

    # -- what the mocked services answered -------------------------------

    def calls(self, host=None):
        """(method, path?query) of every request, in order."""
        return [(r.method, r.path + ('?' + r.query if r.query else ''))
                for r in self.mocker.request_history
                if host is None or r.hostname == host]

    # -- the services' answers -------------------------------------------

    def _user(self, request, context):
        user = self.tokens.get(request.headers.get('X-Auth-Token'))
        if user is None:
            context.status_code = 401
        return user

    @staticmethod
    def _nova_404(context, message):
        context.status_code = 404
        return {'itemNotFound': {'code': 404, 'message': message}}

    @staticmethod
    def _neutron_404(context, kind, ident):
        context.status_code = 404
        return {'NeutronError': {
            'type': '%sNotFound' % kind.capitalize(),
            'message': '%s %s could not be found.' % (kind.capitalize(),
                                                     ident),
            'detail': ''}}

    def _flavor(self, request, context):
        if self._user(request, context) is None:
            return {'error': {'code': 401, 'title': 'Unauthorized',
                              'message': 'The request you have made '
                                         'requires authentication.'}}
        ident = _last(request)
        if ident == 'detail':
            return {'flavors': list(self.flavors)}
        for flavor in self.flavors:
            if flavor['id'] == ident:
                return {'flavor': flavor}
        return self._nova_404(context, 'Flavor %s could not be found.' %
                              ident)

    def _keypair(self, request, context):
        user = self._user(request, context)
        if user is None:
            return {}
        name = _last(request)
        keypair = self.keypairs.get(user, {}).get(name)
        if keypair is None:
            return self._nova_404(
                context, 'Keypair %s not found for user %s' % (name, user))
        return {'keypair': keypair}

    def _image(self, request, context):
        if self._user(request, context) is None:
            return ''
        ident = _last(request)
        for image in self.images:
            if image['id'] == ident:
                context.headers['Content-Type'] = 'application/json'
                return json.dumps(image)
        # Glance answers its 404s in plain text.
        context.status_code = 404
        context.headers['Content-Type'] = 'text/plain'
        return '404 Not Found\n\nNo image found with ID %s\n\n' % ident

    def _images(self, request, context):
        if self._user(request, context) is None:
            return ''
        name = request.qs.get('name', [None])[0]
        found = [image for image in self.images
                 if name is None or image['name'] == name]
        context.headers['Content-Type'] = 'application/json'
        return json.dumps({'images': found, 'schema': '/v2/schemas/images',
                           'first': '/v2/images'})

    def _neutron(self, request, context):
        if self._user(request, context) is None:
            return {}
        match = re.search(r'/v2\.0/(networks|subnets)(?:/([^/?]+))?',
                          request.path)
        collection, ident = match.group(1), match.group(2)
        kind = collection[:-1]
        items = self.networks if kind == 'network' else self.subnets
        if ident:
            for item in items:
                if item['id'] == ident:
                    return {kind: item}
            return self._neutron_404(context, kind, ident)
        name = request.qs.get('name', [None])[0]
        return {collection: [item for item in items
                             if name is None or item['name'] == name]}

    def _register(self):
        mocker = self.mocker
        mocker.get(re.compile(r'^%s/flavors/[^/]+$' % re.escape(NOVA)),
                   json=self._flavor)
        mocker.get(re.compile(r'^%s/os-keypairs/[^/]+$' % re.escape(NOVA)),
                   json=self._keypair)
        mocker.get(re.compile(r'^%s/v2/images/[^/?]+$' % re.escape(GLANCE)),
                   text=self._image)
        mocker.get(re.compile(r'^%s/v2/images(\?.*)?$' % re.escape(GLANCE)),
                   text=self._images)
        mocker.get(re.compile(r'^%s/v2\.0/(networks|subnets)' %
                              re.escape(NEUTRON)), json=self._neutron)


def _last(request):
    return parse.unquote(request.path.rstrip('/').rsplit('/', 1)[-1])
