# TEST FIXTURE of the cloud-in-a-box (tools/cloud-in-a-box.sh), not part of
# Magnum: a Heat resource plugin that STANDS IN FOR A NOVA SERVER
# (OS::Nova::Server) on a test cloud that has no Nova. The cloud's global
# environment maps OS::Nova::Server to it; each server is a container on
# the project's Docker engine, started from the Docker image named by
# `image`, which runs the server's user data as cloud-init would (or, when
# the image's labels say so, only records it: see standin_boot.py). What it
# promises the Heat drivers' templates, and what it does not prove, is in
# doc/source/contributor/cloud-in-a-box.rst. Never install it in a real
# Heat: it replaces the real server type for every stack of that engine.
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

"""A container-backed stand-in for OS::Nova::Server (a test fixture).

Loaded by heat-engine from heat.conf ``plugin_dirs``. It is deliberately
not a subclass of Heat's Server: that schema carries constraints that call
Glance and Nova. It declares only what the drivers' templates may pass and
read.

The Docker SDK is imported when a server is made, not when the module is
loaded: an ImportError while heat-engine loads its plugins stops it.
"""

import contextlib
import functools
import hashlib
import importlib.util
import ipaddress
import json
import logging
import os
import re
import threading
import uuid

from heat.common import exception
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from oslo_utils import uuidutils


def _load_boot_module():
    """standin_boot beside this file, however this module was loaded
    (by Heat's plugin loader as part of heat.engine.plugins, or by path).
    """
    try:
        from . import standin_boot
        return standin_boot
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            'magnum_standin_boot',
            os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'standin_boot.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


boot = _load_boot_module()

LOG = logging.getLogger(__name__)

TYPE_NAME = 'MagnumTest::Container::Server'
LABEL = 'org.openstack.magnum.standin.'
LABEL_SERVER = LABEL + 'server'        # the stood-in server's id
LABEL_STACK = LABEL + 'stack'          # the Heat stack it belongs to
LABEL_ROOT_STACK = LABEL + 'root-stack'  # and that stack's top stack
LABEL_RESOURCE = LABEL + 'resource'    # its resource name there
LABEL_PROJECT = LABEL + 'project'
LABEL_NETWORK = LABEL + 'network'      # the stood-in Neutron network id
# The first process of a node: a small init, never dockerd (boot scripts
# start what they need, as on a VM without systemd).
NODE_COMMAND = ['sleep', 'infinity']
# The privileges of a node are the local driver's, read from its module
# (magnum/drivers/local/confinement.py: the standard library only) so that
# they never drift apart; loaded when a server is made, never at import.
CONFINEMENT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
    os.pardir, os.pardir, 'magnum', 'drivers', 'local', 'confinement.py')
OUTPUT_LINES = 25
DEFAULT_NETWORK = 'default'

# One heat-engine process makes and removes the Docker networks; the lock
# keeps a network from being removed between another server's lookup and
# its attach. (Across processes, _create_container retries the attach.)
_NETWORKS_LOCK = threading.Lock()


@contextlib.contextmanager
def _engine():
    """A Docker client of DOCKER_HOST (set for heat-engine by
    tools/cloud-in-a-box.sh), closed afterwards. The SDK is imported here,
    not when the module is loaded."""
    try:
        import docker
    except ImportError as error:
        raise exception.Error(
            'the test cloud\'s OS::Nova::Server stand-in needs the docker '
            'SDK in heat-engine\'s virtualenv (tools/cloud-in-a-box.sh up '
            'installs it): %s' % error)
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as error:
        raise exception.Error(
            'the test cloud\'s Docker engine at DOCKER_HOST=%s does not '
            'answer (start it with tools/docker-engine.sh start): %s' % (
                os.environ.get('DOCKER_HOST', '(unset)'), error))
    try:
        yield client
    finally:
        client.close()


def _confinement():
    """The local driver's confinement module: NODE_RUN_OPTIONS (what the
    container is run with) and CGROUP_SETUP (what a node runs first, as
    its operating system would at boot: its own cgroups)."""
    path = os.path.normpath(CONFINEMENT)
    try:
        spec = importlib.util.spec_from_file_location(
            'magnum_local_confinement', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except (OSError, ImportError, SyntaxError) as error:
        raise exception.Error(
            'the node privileges of the local driver could not be read '
            'from %s: %s' % (path, error))


def _dns_label(text, limit=63):
    label = re.sub(r'[^a-z0-9-]+', '-', (text or '').lower()).strip('-')
    return label[:limit].strip('-') or 'server'


def network_name(project_id, network):
    """The Docker network of a stood-in Neutron network (an id, or a name
    as the template passed it) of a project."""
    digest = hashlib.sha256(('%s/%s' % (project_id, network)).encode())
    return 'standin-%s-%s' % (_dns_label(network, 36), digest.hexdigest()[:8])


class ContainerServer(resource.Resource):
    """TEST FIXTURE: stands in for OS::Nova::Server on the test cloud.

    A container on the test cloud's Docker engine from the Docker image
    named by ``image``, on one Docker network per Neutron network id, that
    runs ``user_data`` as cloud-init would. Complete when the user data
    ran to its end with exit status 0.

    An image labelled ``standin_boot.USER_DATA_LABEL=record`` stands for a
    node that cannot boot here (a Kubernetes node: its set-up downloads
    Kubernetes): the user data is written into the container exactly as
    given and not run, and the server is complete once the container is
    up on its networks. Such a server proves what Heat gave it, never
    that it would boot.
    """

    support_status = support.SupportStatus(version='27.0.0')

    PROPERTIES = (
        NAME, IMAGE, FLAVOR, KEY_NAME, AVAILABILITY_ZONE, NETWORKS,
        USER_DATA, USER_DATA_FORMAT, METADATA, CONFIG_DRIVE,
        BLOCK_DEVICE_MAPPING_V2, SCHEDULER_HINTS, SECURITY_GROUPS,
        IMAGE_UPDATE_POLICY,
    ) = (
        'name', 'image', 'flavor', 'key_name', 'availability_zone',
        'networks', 'user_data', 'user_data_format', 'metadata',
        'config_drive', 'block_device_mapping_v2', 'scheduler_hints',
        'security_groups', 'image_update_policy',
    )
    _NETWORK_KEYS = (
        NETWORK_ID, NETWORK_PORT, NETWORK_FIXED_IP, NETWORK_SUBNET,
        NETWORK_FLOATING_IP,
    ) = (
        'network', 'port', 'fixed_ip', 'subnet', 'floating_ip',
    )
    ATTRIBUTES = (
        NETWORKS_ATTR, ADDRESSES, FIRST_ADDRESS, NAME_ATTR,
    ) = (
        'networks', 'addresses', 'first_address', 'name',
    )

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            'Server name; the container\'s hostname (as a DNS label).',
            update_allowed=True),
        IMAGE: properties.Schema(
            properties.Schema.STRING,
            'On the test cloud: a Docker image in its engine (e.g. '
            'magnum/swarm-node:bookworm-1); else the image of the boot '
            'entry of block_device_mapping_v2. A new one rebuilds the '
            'server (see image_update_policy).',
            update_allowed=True),
        IMAGE_UPDATE_POLICY: properties.Schema(
            properties.Schema.STRING,
            'As Nova\'s server: REBUILD (the default) makes a new '
            'container from the new image for the same server (same id, '
            'name and addresses; a new disk; the same user data run '
            'again); REPLACE makes Heat replace the server. '
            'REBUILD_PRESERVE_EPHEMERAL is REBUILD (no ephemeral disks '
            'here).',
            default='REBUILD', update_allowed=True,
            constraints=[constraints.AllowedValues(
                ['REBUILD', 'REPLACE', 'REBUILD_PRESERVE_EPHEMERAL'])]),
        FLAVOR: properties.Schema(
            properties.Schema.STRING,
            'Recorded; the container has no size limits.',
            required=True, update_allowed=True),
        KEY_NAME: properties.Schema(
            properties.Schema.STRING, 'Recorded only.'),
        AVAILABILITY_ZONE: properties.Schema(
            properties.Schema.STRING, 'Recorded only.'),
        NETWORKS: properties.Schema(
            properties.Schema.LIST,
            'Networks: one Docker network per Neutron network id (the '
            '"network" of an entry, or the network of its "port").',
            default=[],
            schema=properties.Schema(
                properties.Schema.MAP,
                schema={
                    NETWORK_ID: properties.Schema(
                        properties.Schema.STRING,
                        'Network id or name (as the template has it).'),
                    NETWORK_PORT: properties.Schema(
                        properties.Schema.STRING,
                        'A stood-in port; its network_id is the network.'),
                    NETWORK_FIXED_IP: properties.Schema(
                        properties.Schema.STRING,
                        'Ignored: Docker gives the address.'),
                    NETWORK_SUBNET: properties.Schema(
                        properties.Schema.STRING, 'Recorded only.'),
                    NETWORK_FLOATING_IP: properties.Schema(
                        properties.Schema.STRING, 'Ignored.'),
                })),
        USER_DATA: properties.Schema(
            properties.Schema.STRING,
            'Run in the container as cloud-init would (a software config '
            'id is read as Heat does).', default=''),
        USER_DATA_FORMAT: properties.Schema(
            properties.Schema.STRING,
            'Every format runs the user data itself (no agents here).',
            default='HEAT_CFNTOOLS',
            constraints=[constraints.AllowedValues(
                ['HEAT_CFNTOOLS', 'RAW', 'SOFTWARE_CONFIG'])]),
        METADATA: properties.Schema(
            properties.Schema.MAP, 'Recorded only.', update_allowed=True),
        CONFIG_DRIVE: properties.Schema(
            properties.Schema.BOOLEAN, 'Recorded only.'),
        BLOCK_DEVICE_MAPPING_V2: properties.Schema(
            properties.Schema.LIST,
            'Only the image of the boot entry is used (when there is no '
            '"image"); volumes are not attached.',
            schema=properties.Schema(properties.Schema.MAP)),
        SCHEDULER_HINTS: properties.Schema(
            properties.Schema.MAP, 'Recorded only.'),
        SECURITY_GROUPS: properties.Schema(
            properties.Schema.LIST, 'Recorded only: nothing is filtered.',
            default=[]),
    }

    attributes_schema = {
        NETWORKS_ATTR: attributes.Schema(
            'Network id or name as passed (and a port\'s network id) -> '
            'the container\'s addresses on it.',
            type=attributes.Schema.MAP),
        ADDRESSES: attributes.Schema(
            'As Nova reports them: network -> [{addr, version, '
            'OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr, port}].',
            type=attributes.Schema.MAP),
        FIRST_ADDRESS: attributes.Schema(
            'The first of the addresses.', type=attributes.Schema.STRING),
        NAME_ATTR: attributes.Schema(
            'The server\'s name (its hostname).',
            type=attributes.Schema.STRING),
    }

    # -- update: rebuild (the replace is further down) -------------------
    # A change of a property that is not update_allowed (user data,
    # networks, ...) makes Heat replace the server: it creates the new
    # one, then deletes the old. A new image rebuilds it in place, as
    # Nova does with the default image_update_policy.

    def needs_replace_with_prop_diff(self, changed_properties_set,
                                     after_props, before_props):
        if self.IMAGE not in changed_properties_set:
            return False
        policy = after_props.get(self.IMAGE_UPDATE_POLICY) or \
            before_props.get(self.IMAGE_UPDATE_POLICY)
        return policy == 'REPLACE'

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        # Name, flavor, metadata and the policy are only recorded (the
        # hostname of a container does not change).
        if not prop_diff.get(self.IMAGE) or self.resource_id is None:
            return None
        with _engine() as client:
            return {'boot_exec': self._start_node(
                client, prop_diff[self.IMAGE], rebuild=True)}

    def check_update_complete(self, rebuilt):
        if not rebuilt:
            return True
        with _engine() as client:
            if rebuilt['boot_exec'] is None:    # user data recorded
                self._record_addresses(client)
                return True
            return self._boot_finished(client, rebuilt['boot_exec'])

    # -- create -------------------------------------------------------------

    def _hostname(self):
        return _dns_label(self.properties[self.NAME] or
                          self.physical_resource_name())

    def _image(self):
        image = self.properties[self.IMAGE]
        if image:
            return image
        for entry in self.properties[self.BLOCK_DEVICE_MAPPING_V2] or []:
            if entry.get('image') or entry.get('image_id'):
                return entry.get('image') or entry.get('image_id')
        raise exception.Error('no image: neither "image" nor a '
                              'block_device_mapping_v2 entry with one')

    def _user_data(self):
        content = self.properties[self.USER_DATA] or ''
        if uuidutils.is_uuid_like(content):
            # As Heat's server does: the id of a software config (e.g. an
            # OS::Heat::MultipartMime) stands for its content.
            with self.rpc_client().ignore_error_by_name('NotFound'):
                config = self.rpc_client().show_software_config(
                    self.context, content)
                return config['config']
        return content

    def _output(self, stack_id, key, what):
        """An output of a stand-in's nested stack (a stood-in port or
        subnet: the stack's id is the resource's id)."""
        try:
            identity = self.rpc_client().identify_stack(self.context,
                                                        stack_id)
            shown = self.rpc_client().show_output(self.context, identity, key)
        except Exception as error:
            raise exception.Error(
                '%s %s is not one of the test cloud (its stand-in could not '
                'be read: %s)' % (what, stack_id, error))
        value = shown.get('output_value') if isinstance(shown, dict) else None
        if not value:
            raise exception.Error('%s %s has no %s' % (what, stack_id, key))
        return value

    def _wanted_networks(self):
        """[(network key, port, fixed_ip, subnet)] of the networks
        property; a server without networks is on its project's default
        network. The network of a port is the port's network_id."""
        wanted = []
        for entry in self.properties[self.NETWORKS] or []:
            port = entry.get(self.NETWORK_PORT)
            network = entry.get(self.NETWORK_ID)
            if port and not network:
                network = self._output(port, 'network_id', 'port')
            if not network:
                raise exception.Error(
                    'a networks entry needs a network or a port: %r' % entry)
            wanted.append((network, port, entry.get(self.NETWORK_FIXED_IP),
                           entry.get(self.NETWORK_SUBNET)))
        return wanted or [(DEFAULT_NETWORK, None, None, None)]

    def _subnet_cidr(self, network, subnet, fixed_ip):
        """The CIDR of the stood-in subnet of a network (the one holding
        fixed_ip, when one is asked for): the entry's subnet, else a
        subnet of this network in the server's top stack, else the /24
        around fixed_ip, else None (a network passed by name, say)."""
        if subnet:
            return self._output(subnet, 'cidr', 'subnet')
        if network == DEFAULT_NETWORK:
            return None
        try:
            identity = self.rpc_client().identify_stack(
                self.context, self.stack.root_stack_id())
            subnets = self.rpc_client().list_stack_resources(
                self.context, identity, nested_depth=5,
                filters={'type': 'OS::Neutron::Subnet'})
        except Exception as error:
            LOG.warning('stand-in server %s: subnets not listed: %s',
                        self.name, error)
            subnets = []
        pending = False
        for row in subnets:
            stack_id = row.get('physical_resource_id')
            state = '%s %s' % (row.get('resource_action') or '',
                               row.get('resource_status') or '')
            if not stack_id or 'INIT' in state or (
                    'CREATE' in state and 'COMPLETE' not in state):
                pending = True
                continue
            try:
                if self._output(stack_id, 'network_id', 'subnet') != network:
                    continue
                cidr = self._output(stack_id, 'cidr', 'subnet')
            except exception.Error:
                pending = True
                continue
            if not fixed_ip or ipaddress.ip_address(
                    fixed_ip) in ipaddress.ip_network(cidr, strict=False):
                return cidr
        if pending:
            # Nova refuses a server on a network without a subnet too.
            raise exception.Error(
                'network %s has no subnet yet (a subnet of this stack is '
                'still being made): a real cloud fails such a server as '
                'well; make the server depend on the subnet' % network)
        if fixed_ip:
            return str(ipaddress.ip_network(fixed_ip + '/24', strict=False))
        return None

    def _labels(self):
        return {LABEL_SERVER: self.resource_id,
                LABEL_STACK: self.stack.id or '',
                LABEL_ROOT_STACK: self.stack.root_stack_id() or '',
                LABEL_RESOURCE: self.name,
                LABEL_PROJECT: self.context.project_id or ''}

    def _ensure_network(self, client, network, find_cidr):
        """The Docker network of a stood-in Neutron network, made when
        missing: on the range of its stood-in subnet (find_cidr() when
        there is one, as a real cloud gives addresses from its subnet),
        else on a range of the engine's pool."""
        import docker
        name = network_name(self.context.project_id, network)
        try:
            return client.networks.get(name)
        except docker.errors.NotFound:
            pass
        cidr = find_cidr()
        ipam = None
        if cidr:
            ipam = docker.types.IPAMConfig(pool_configs=[
                docker.types.IPAMPool(subnet=cidr)])
        try:
            return client.networks.create(
                name, driver='bridge', check_duplicate=True, ipam=ipam,
                labels={LABEL_NETWORK: network,
                        LABEL_PROJECT: self.context.project_id or ''})
        except docker.errors.APIError as error:
            if error.status_code == 409:
                return client.networks.get(name)
            if cidr and 'overlap' in str(error).lower():
                raise exception.Error(
                    'network %s needs the address range %s of its subnet, '
                    'and another network of the test cloud has it (Docker '
                    'networks share the host\'s routes, so the test cloud '
                    'cannot have two networks on one range at once; give '
                    'each a subnet of its own): %s' % (
                        network, cidr, error.explanation or error))
            raise

    @staticmethod
    def _check_fixed_ip(network_key, docker_network, fixed_ip):
        configs = (docker_network.attrs.get('IPAM') or {}).get('Config') or []
        ranges = [ipaddress.ip_network(c['Subnet'], strict=False)
                  for c in configs if c.get('Subnet')]
        if not any(ipaddress.ip_address(fixed_ip) in r for r in ranges):
            raise exception.Error(
                'fixed_ip %s is not on network %s as the test cloud made it '
                '(%s: its subnet\'s range, or the Docker engine\'s when the '
                'test cloud found no subnet of it)' % (
                    fixed_ip, network_key,
                    ', '.join(str(r) for r in ranges) or 'no range'))

    def handle_create(self):
        with _engine() as client:
            return self._create(client)

    def _create(self, client):
        return self._start_node(client, self._image())

    def _start_node(self, client, image, rebuild=False):
        """Make and start the node's container from ``image`` and start
        its user data (the id of the exec that runs it, None when the
        user data is only recorded). A rebuild keeps the server's id,
        host name and networks and removes its old container first (its
        disk goes, its addresses are free again)."""
        import docker
        try:
            node_image = client.images.get(image)
        except docker.errors.ImageNotFound:
            raise exception.Error(
                'image %r is not in the test cloud\'s Docker engine (it '
                'pulls nothing; tools/build-node-image.sh builds '
                'magnum/swarm-node images)' % image)
        user_data = self._user_data()
        try:
            # The image, never the template, decides whether the user
            # data runs (standin_boot.USER_DATA_LABEL); it is read either
            # way, so what the stand-in cannot run fails the server.
            mode = boot.user_data_mode(node_image.labels, image)
            plan = boot.plan(user_data)
        except boot.UserDataError as error:
            raise exception.Error('user data not run: %s' % error)
        recorded = mode == boot.USER_DATA_RECORD
        # A Kubernetes stand-in node: the user data recorded, the image's
        # stand-in program run in its place (it finishes once started).
        kubernetes = mode == boot.USER_DATA_KUBERNETES
        confinement = _confinement()
        if rebuild:
            networks = [tuple(n) for n in json.loads(
                self.data().get('networks_wanted') or '[]')]
            hostname = self.data().get('hostname')
        else:
            networks = self._wanted_networks()
            hostname = self._hostname()
            self.resource_id_set(str(uuid.uuid4()))
            self.data_set('networks_wanted', json.dumps(networks))
            self.data_set('hostname', hostname)
        with _NETWORKS_LOCK:
            if rebuild:
                for old in self._own_containers(client):
                    old.remove(force=True, v=True)
            container = self._create_container(
                client, image, hostname, networks,
                confinement.NODE_RUN_OPTIONS)
        self.data_set('container', container.id)
        container.put_archive('/', boot.archive(
            plan, user_data, hostname, prologue=confinement.CGROUP_SETUP,
            not_run=boot.not_run_note(image, mode)
            if recorded or kubernetes else None, kubernetes=kubernetes))
        container.start()
        if recorded:
            # Nothing to wait for: the container has its addresses once
            # it started (check_create_complete records them).
            self.data_set('user_data', boot.USER_DATA_RECORD)
            return None
        run = client.api.exec_create(container.id,
                                     ['sh', boot.RUNNER], user='root')
        client.api.exec_start(run['Id'], detach=True)
        self.data_set('boot_exec', run['Id'])
        return run['Id']

    def _create_container(self, client, image, hostname, networks,
                          run_options):
        import docker
        for attempt in range(3):
            attach = []    # (docker network, fixed ip or None), unique
            for network, _port, fixed_ip, subnet in networks:
                docker_network = self._ensure_network(
                    client, network, functools.partial(
                        self._subnet_cidr, network, subnet, fixed_ip))
                if fixed_ip:
                    self._check_fixed_ip(network, docker_network, fixed_ip)
                if docker_network.id not in [n.id for n, _ip in attach]:
                    attach.append((docker_network, fixed_ip))
            try:
                container = client.containers.create(
                    image, NODE_COMMAND, init=True, detach=True,
                    name='%s-%s' % (hostname[:40], self.resource_id[:8]),
                    hostname=hostname, labels=self._labels(),
                    network=attach[0][0].name, **run_options)
                for index, (docker_network, fixed_ip) in enumerate(attach):
                    if index == 0 and not fixed_ip:
                        continue
                    if index == 0:
                        # Created on it without an address: attach again
                        # with the one asked for.
                        docker_network.disconnect(container)
                    try:
                        docker_network.connect(container,
                                               ipv4_address=fixed_ip)
                    except docker.errors.APIError as error:
                        if fixed_ip and 'in use' in str(error).lower():
                            raise exception.Error(
                                'fixed_ip %s is in use on network %s (by '
                                'another server of the test cloud)' % (
                                    fixed_ip, docker_network.name))
                        raise
                return container
            except docker.errors.NotFound as error:
                # A network removed with another stack's last container
                # between our lookup and the attach: look again.
                LOG.warning('stand-in server %s: %s; retrying', self.name,
                            error)
                self._remove_container(client)
        raise exception.Error('could not attach the container to its '
                              'networks %s' % [n[0] for n in networks])

    def check_create_complete(self, exec_id):
        with _engine() as client:
            if exec_id is None:    # user data recorded, not run
                self._record_addresses(client)
                return True
            return self._boot_finished(client, exec_id)

    def _boot_finished(self, client, exec_id):
        state = client.api.exec_inspect(exec_id)
        if state.get('Running'):
            container = client.containers.get(self.data().get('container'))
            if container.status != 'running':
                raise exception.Error(
                    'the server stopped while its user data ran (container '
                    '%s is %s); the last lines of its boot output:\n%s' % (
                        container.name, container.status,
                        self._boot_output(client)))
            return False
        code = state.get('ExitCode')
        if code != 0:
            raise exception.Error(
                'user data exited with status %s; the last lines of %s:\n%s'
                % (code, boot.OUTPUT_LOG, self._boot_output(client)))
        self._record_addresses(client)
        return True

    def _boot_output(self, client):
        try:
            container = client.containers.get(self.data().get('container'))
            if container.status != 'running':
                return container.logs(tail=OUTPUT_LINES).decode(
                    errors='replace')
            result = container.exec_run(
                ['tail', '-n', str(OUTPUT_LINES), boot.OUTPUT_LOG])
            return result.output.decode(errors='replace').rstrip()
        except Exception as error:
            return '(no boot output: %s)' % error

    def _record_addresses(self, client):
        """The networks and addresses attributes, from the container as
        Docker attached it, kept in the resource's data."""
        container = client.containers.get(self.data().get('container'))
        attached = container.attrs['NetworkSettings']['Networks']
        networks, addresses = {}, {}
        for network, port, *_rest in json.loads(self.data().get(
                'networks_wanted')):
            found = attached.get(network_name(self.context.project_id,
                                              network)) or {}
            ip = found.get('IPAddress')
            if not ip:
                continue
            networks.setdefault(network, [])
            if ip not in networks[network]:
                networks[network].append(ip)
            addresses.setdefault(network, []).append({
                'addr': ip, 'version': 4, 'OS-EXT-IPS:type': 'fixed',
                'OS-EXT-IPS-MAC:mac_addr': found.get('MacAddress'),
                'port': port})
        self.data_set('addresses', json.dumps({'networks': networks,
                                               'addresses': addresses}))

    # -- attributes ---------------------------------------------------------

    def _addresses(self):
        text = self.data().get('addresses')
        return json.loads(text) if text else None

    def _resolve_attribute(self, name):
        if name == self.NAME_ATTR:
            return self.data().get('hostname')
        recorded = self._addresses()
        if recorded is None:
            return None
        if name == self.NETWORKS_ATTR:
            return recorded['networks']
        if name == self.ADDRESSES:
            return recorded['addresses']
        if name == self.FIRST_ADDRESS:
            for ips in recorded['networks'].values():
                if ips:
                    return ips[0]
            return ''
        return None

    def _show_resource(self):
        recorded = self._addresses() or {}
        return {
            'id': self.resource_id,
            'name': self.data().get('hostname'),
            'status': 'ACTIVE' if recorded else 'BUILD',
            'image': {'id': self.properties[self.IMAGE]},
            'flavor': {'id': self.properties[self.FLAVOR]},
            'key_name': self.properties[self.KEY_NAME],
            'metadata': self.properties[self.METADATA] or {},
            'OS-EXT-AZ:availability_zone':
                self.properties[self.AVAILABILITY_ZONE],
            'addresses': recorded.get('addresses', {}),
            'magnum_standin_container': self.data().get('container'),
        }

    def get_reference_id(self):
        return self.resource_id

    # -- replace --------------------------------------------------------------

    def _fixed_addresses(self):
        """[(Docker network name, fixed ip)] the server asked for."""
        return [(network_name(self.context.project_id, network), fixed_ip)
                for network, _port, fixed_ip, *_rest in json.loads(
                    self.data().get('networks_wanted') or '[]')
                if fixed_ip]

    def _own_containers(self, client):
        return client.containers.list(all=True, filters={
            'label': '%s=%s' % (LABEL_SERVER, self.resource_id)})

    def prepare_for_replace(self):
        # As Heat's own server detaches its ports before its replacement
        # is made (create first, delete after): the new server can then
        # take the same fixed addresses.
        if self.resource_id is None or not self._fixed_addresses():
            return
        import docker
        with _engine() as client, _NETWORKS_LOCK:
            for container in self._own_containers(client):
                for name, _ip in self._fixed_addresses():
                    try:
                        client.networks.get(name).disconnect(container,
                                                             force=True)
                    except docker.errors.APIError as error:
                        LOG.info('stand-in server %s: %s not detached '
                                 'from %s: %s', self.name, container.name,
                                 name, error)

    def restore_prev_rsrc(self, convergence=False):
        # A rollback brings this server back: its fixed addresses, taken
        # from whichever server holds them now, come back to it.
        if self.resource_id is None or not self._fixed_addresses():
            return
        import docker
        with _engine() as client, _NETWORKS_LOCK:
            containers = self._own_containers(client)
            for name, fixed_ip in self._fixed_addresses():
                try:
                    network = client.networks.get(name)
                except docker.errors.NotFound:
                    continue
                holders = network.attrs.get('Containers') or {}
                for holder, endpoint in holders.items():
                    if endpoint.get('IPv4Address', '').split('/')[0] == \
                            fixed_ip:
                        network.disconnect(holder, force=True)
                for container in containers:
                    if name not in container.attrs['NetworkSettings'][
                            'Networks']:
                        network.connect(container, ipv4_address=fixed_ip)

    # -- delete -------------------------------------------------------------

    def _remove_container(self, client):
        import docker
        containers = client.containers.list(
            all=True, filters={'label': '%s=%s' % (LABEL_SERVER,
                                                   self.resource_id)})
        networks = set()
        for container in containers:
            networks.update(container.attrs['NetworkSettings'][
                'Networks'].keys())
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        return networks

    def handle_delete(self):
        if self.resource_id is None:
            return None
        with _engine() as client, _NETWORKS_LOCK:
            names = self._remove_container(client)
            # Also the networks a half-made server wanted.
            names.update(network_name(self.context.project_id, network)
                         for network, *_rest in json.loads(
                             self.data().get('networks_wanted') or '[]'))
            for name in sorted(names):
                self._remove_network_if_unused(client, name)
        return self.resource_id

    @staticmethod
    def _remove_network_if_unused(client, name):
        """The network goes with its last container (only a stand-in's
        network, and only when no container is on it)."""
        import docker
        try:
            network = client.networks.get(name)
            if (LABEL_NETWORK in (network.attrs.get('Labels') or {})
                    and not network.attrs.get('Containers')):
                network.remove()
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            LOG.info('stand-in network %s kept: %s', name, error)


def resource_mapping():
    return {TYPE_NAME: ContainerServer}
