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

"""Node containers: their names, labels, limits and life.

A node is a Docker-in-Docker container of the node image running dockerd
with mutual TLS on 2376. Everything the driver makes carries labels that
say which cluster, nodegroup, role and index it is, so the state of a
cluster can always be read back from the engine (after a conductor
restart, a half-finished create, ...). Names are for people; labels are
what counts.
"""

import dataclasses
import io
import re
import shlex
import tarfile
import time

from magnum import conf
from magnum.drivers.local import confinement
from magnum.i18n import _

CONF = conf.CONF

LABEL_PREFIX = 'org.openstack.magnum.'
LABEL_CLUSTER = LABEL_PREFIX + 'cluster'
LABEL_CLUSTER_NAME = LABEL_PREFIX + 'cluster-name'
LABEL_ROLE = LABEL_PREFIX + 'role'
LABEL_NODEGROUP = LABEL_PREFIX + 'nodegroup'
LABEL_NODEGROUP_NAME = LABEL_PREFIX + 'nodegroup-name'
LABEL_INDEX = LABEL_PREFIX + 'index'
LABEL_IMAGE = LABEL_PREFIX + 'image'
LABEL_DRIVER = LABEL_PREFIX + 'driver'
IMAGE_DOCKER_VERSION = LABEL_PREFIX + 'docker-version'

ROLE_MASTER = 'master'
ROLE_WORKER = 'worker'
ROLE_LB = 'lb'

DOCKER_PORT = 2376
SWARM_PORT = 2377
TLS_DIR = '/etc/docker/tls'
LB_DIR = '/etc/haproxy/magnum'

# The fewest privileges a Docker-in-Docker node needs (measured): see
# confinement.py and the Security section of
# doc/source/admin/local-driver.rst.
NODE_RUN_OPTIONS = confinement.NODE_RUN_OPTIONS

# A node's address is known only once it runs, and its server certificate
# names it: dockerd starts once the certificates are in place.
DOCKERD = (f'dockerd --tlsverify --tlscacert {TLS_DIR}/ca.pem '
           f'--tlscert {TLS_DIR}/server-cert.pem '
           f'--tlskey {TLS_DIR}/server-key.pem '
           f'-H tcp://0.0.0.0:{DOCKER_PORT} -H unix:///var/run/docker.sock')
LB_COMMAND = f'haproxy -W -db -f {LB_DIR}/haproxy.cfg'

# dockerd reads its certificates when it starts. A node's swarm state is in
# its /var/lib/docker, a tmpfs lost when the container stops, so dockerd is
# restarted inside the running container: the node's first process is a
# shell that runs dockerd, runs it again when it gets this signal, and ends
# (with dockerd's exit status) when dockerd ends otherwise or the container
# is stopped.
RESTART_SIGNAL = 'SIGHUP'
# What the driver leaves in a node while it rotates the CA: the SHA-256
# fingerprint of the CA the node is being moved to, and the node's swarm
# availability from before it was drained for its restart.
ROTATION_MARKER = f'{TLS_DIR}/rotation'
AVAILABILITY_FILE = f'{TLS_DIR}/availability'
RESTARTED_MESSAGE = 'magnum: restarting dockerd with the certificates in ' \
    + TLS_DIR
_RESTART_TRAP = re.compile(r"trap '[^']*' HUP$", re.M)


def _wait_then(marker, command):
    return ['sh', '-c', 'while [ ! -e %s ]; do sleep 0.1; done; exec %s' % (
        marker, command)]


def _supervised(marker, command):
    """sh -c: once ``marker`` exists, run ``command``; again after a
    SIGHUP (the driver's restart), until it ends on its own or the
    container is stopped (SIGTERM, SIGINT)."""
    script = '\n'.join([
        confinement.CGROUP_SETUP,
        'while [ ! -e %s ]; do sleep 0.1; done' % marker,
        'child= restart= code=1',
        'trap \'restart=; [ -z "$child" ] || kill -TERM "$child" '
        '2>/dev/null\' TERM INT',
        'trap \'restart=1; [ -z "$child" ] || kill -TERM "$child" '
        '2>/dev/null\' HUP',
        'while :; do',
        '  restart=',
        '  %s &' % command,
        '  child=$!',
        '  while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; '
        'done',
        '  [ -n "$restart" ] || exit "$code"',
        '  echo %s' % shlex.quote(RESTARTED_MESSAGE),
        'done',
    ])
    return ['sh', '-c', script]


def restartable(node):
    """Whether the node's dockerd can be restarted in place (nodes made
    before that was possible run dockerd as their first process)."""
    config = (node.container.attrs or {}).get('Config') or {}
    command = config.get('Cmd') or []
    if isinstance(command, str):
        command = [command]
    return bool(_RESTART_TRAP.search('\n'.join(command)))


# -- names --------------------------------------------------------------------

def _slug(text, limit):
    slug = re.sub(r'[^a-z0-9]+', '-', (text or '').lower()).strip('-')
    return slug[:limit].strip('-')


def cluster_prefix(cluster_uuid):
    """<prefix>-<first 8 of the uuid>: names of one cluster's things."""
    return '%s-%s' % (CONF.local_driver.name_prefix, cluster_uuid[:8])


def network_name(cluster_uuid):
    return cluster_prefix(cluster_uuid)


def lb_name(cluster_uuid):
    return '%s-lb' % cluster_prefix(cluster_uuid)


def nodegroup_part(nodegroup):
    """The nodegroup's part of its node names: ``master`` and ``node`` for
    the default groups (as upstream names its servers), else the group's
    name as a DNS label, with a piece of its uuid when the name had to be
    changed to fit or would look like a default group."""
    if nodegroup.is_default:
        return 'master' if nodegroup.is_master else 'node'
    slug = _slug(nodegroup.name, 24)
    if not slug or slug != (nodegroup.name or '').lower() or slug in (
            'master', 'node', 'lb'):
        slug = '%s-%s' % (slug or 'ng', nodegroup.uuid[:4])
    return slug


def node_name(cluster_uuid, nodegroup, index):
    """Container name and hostname (a DNS label of at most 63
    characters) of node ``index`` of ``nodegroup``."""
    return '%s-%s-%d' % (cluster_prefix(cluster_uuid),
                         nodegroup_part(nodegroup), index)


def cluster_labels(cluster_uuid):
    return {LABEL_CLUSTER: cluster_uuid}


def labels_for(cluster, role, nodegroup=None, index=None, image=None,
               driver_name=None):
    labels = {LABEL_CLUSTER: cluster.uuid,
              LABEL_CLUSTER_NAME: cluster.name or '',
              LABEL_ROLE: role,
              LABEL_DRIVER: driver_name or 'local_swarm'}
    if nodegroup is not None:
        labels[LABEL_NODEGROUP] = nodegroup.uuid
        labels[LABEL_NODEGROUP_NAME] = nodegroup.name or ''
    if index is not None:
        labels[LABEL_INDEX] = str(index)
    if image is not None:
        labels[LABEL_IMAGE] = image
    return labels


def free_indexes(used, count):
    """The ``count`` lowest indexes not in ``used``."""
    found = []
    index = 0
    while len(found) < count:
        if index not in used:
            found.append(index)
        index += 1
    return found


# -- flavors ------------------------------------------------------------------

class FlavorInvalid(ValueError):
    pass


def parse_limits(spec):
    """'cpus/memory_mib' -> (cpus as float, memory MiB as int)."""
    match = re.match(r'^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)\s*$', spec or '')
    if not match:
        raise FlavorInvalid(_('%r is not cpus/memory_mib') % (spec,))
    cpus, memory = float(match.group(1)), int(match.group(2))
    if cpus <= 0:
        raise FlavorInvalid(_('%r asks for no CPU') % (spec,))
    return cpus, memory


def flavor_limits(flavor_id, host_cpus=None):
    """(cpus, memory MiB) of a flavor: [local_driver] flavors, else
    default_flavor; CPUs at most the host's."""
    spec = (CONF.local_driver.flavors or {}).get(flavor_id or '')
    if spec is None:
        spec = CONF.local_driver.default_flavor
    cpus, memory = parse_limits(spec)
    if host_cpus:
        cpus = min(cpus, float(host_cpus))
    return cpus, memory


def resource_options(cpus, memory_mib):
    """docker run options for the limits."""
    options = {'nano_cpus': int(cpus * 1e9)}
    if memory_mib:
        options['mem_limit'] = '%dm' % memory_mib
        options['memswap_limit'] = '%dm' % memory_mib
    return options


# -- ports --------------------------------------------------------------------

def parse_port_range(text):
    first, _sep, last = (text or '').partition('-')
    first, last = int(first), int(last)
    if not 1 <= first <= last <= 65535:
        raise ValueError(_('%r is not a port range first-last within '
                           '1-65535') % (text,))
    return first, last


def port_candidates(first, last, used):
    """Ports of [first, last] not in ``used``, lowest first."""
    return [port for port in range(first, last + 1) if port not in used]


def port_of(api_address):
    """The port of tcp://host:port, or None."""
    match = re.match(r'^[a-z]+://.*:(\d+)/?$', api_address or '')
    return int(match.group(1)) if match else None


# -- what the engine shows ----------------------------------------------------

@dataclasses.dataclass
class Node:
    """A node (or load balancer) container as the engine shows it."""

    container: object
    name: str
    role: str
    nodegroup: str
    index: int
    image: str
    state: str
    address: str
    published_port: int = None

    @property
    def running(self):
        return self.state == 'running'

    @property
    def is_master(self):
        return self.role == ROLE_MASTER


def describe(container, network):
    """A Node from a container of the cluster."""
    attrs = container.attrs or {}
    labels = (attrs.get('Config') or {}).get('Labels') or {}
    networks = (attrs.get('NetworkSettings') or {}).get('Networks') or {}
    address = (networks.get(network) or {}).get('IPAddress') or ''
    published = None
    bindings = ((attrs.get('HostConfig') or {}).get('PortBindings') or
                {}).get('%d/tcp' % DOCKER_PORT) or []
    for binding in bindings:
        if (binding.get('HostPort') or '').isdigit():
            published = int(binding['HostPort'])
    try:
        index = int(labels.get(LABEL_INDEX, -1))
    except ValueError:
        index = -1
    return Node(container=container, name=container.name,
                role=labels.get(LABEL_ROLE, ''),
                nodegroup=labels.get(LABEL_NODEGROUP, ''), index=index,
                image=labels.get(LABEL_IMAGE, ''),
                state=((attrs.get('State') or {}).get('Status') or
                       getattr(container, 'status', '') or ''),
                address=address, published_port=published)


def node_sans(node, extra_names=(), extra_addresses=()):
    """(DNS names, IP addresses) a node's server certificate names."""
    names = [node.name, 'localhost'] + [n for n in extra_names if n]
    addresses = ['127.0.0.1'] + ([node.address] if node.address else [])
    for address in extra_addresses:
        if address and address not in addresses:
            addresses.append(address)
    return list(dict.fromkeys(names)), addresses


# -- files copied into containers ---------------------------------------------

def tar_files(directory, files, mode=0o600):
    """A tar of ``directory`` (absolute) with ``files`` (name -> text or
    bytes), in order, for put_archive at /."""
    buffer = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        parts = directory.strip('/').split('/')
        for depth in range(1, len(parts) + 1):
            info = tarfile.TarInfo('/'.join(parts[:depth]))
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = now
            archive.addfile(info)
        for name, data in files.items():
            if isinstance(data, str):
                data = data.encode('utf-8')
            info = tarfile.TarInfo('%s/%s' % ('/'.join(parts), name))
            info.size = len(data)
            info.mode = mode
            info.mtime = now
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tls_archive(ca_pem, cert_pem, key_pem):
    """The node's certificates, then the marker that starts dockerd."""
    return tar_files(TLS_DIR, {'ca.pem': ca_pem, 'server-cert.pem': cert_pem,
                               'server-key.pem': key_pem, 'ready': ''})


def certificates_archive(ca_pem, cert_pem, key_pem):
    """New certificates for a node whose dockerd runs: it takes them when
    it is restarted."""
    return tar_files(TLS_DIR, {'ca.pem': ca_pem, 'server-cert.pem': cert_pem,
                               'server-key.pem': key_pem})


def rotation_archive(fingerprint):
    return tar_files(TLS_DIR, {'rotation': fingerprint + '\n'})


def availability_archive(availability):
    return tar_files(TLS_DIR, {'availability': availability + '\n'})


def haproxy_config(managers):
    """haproxy's configuration: TCP (TLS passes through) to the managers'
    Docker APIs, (name, address) pairs."""
    lines = [
        'global',
        '    maxconn 4096',
        'defaults',
        '    mode tcp',
        '    timeout connect 5s',
        '    timeout client 1h',
        '    timeout server 1h',
        'frontend docker_api',
        '    bind *:%d' % DOCKER_PORT,
        '    default_backend managers',
        'backend managers',
        '    default-server check inter 2s fall 2 rise 1',
    ]
    for name, address in managers:
        lines.append('    server %s %s:%d' % (name, address, DOCKER_PORT))
    return '\n'.join(lines) + '\n'


def lb_archive(managers):
    return tar_files(LB_DIR, {'haproxy.cfg': haproxy_config(managers),
                              'ready': ''}, mode=0o644)


# -- how containers are run ---------------------------------------------------

def node_command(insecure_registry=None):
    """The node's command: dockerd once its certificates are there, run
    again (in the same container) when it gets RESTART_SIGNAL;
    ``insecure_registry`` (the template's, comma-separated) is trusted
    over plain HTTP."""
    command = DOCKERD
    for registry in (insecure_registry or '').split(','):
        if registry.strip():
            command += ' --insecure-registry %s' % shlex.quote(
                registry.strip())
    return _supervised('%s/ready' % TLS_DIR, command)


def lb_command():
    return _wait_then('%s/ready' % LB_DIR, LB_COMMAND)


def node_environment(template):
    """Proxy settings of the template, for dockerd (pulling images)."""
    environment = {}
    for key in ('http_proxy', 'https_proxy', 'no_proxy'):
        value = getattr(template, key, None)
        if value:
            environment[key] = value
            environment[key.upper()] = value
    return environment


def dns_servers(template):
    servers = (getattr(template, 'dns_nameserver', None) or '').split(',')
    return [server.strip() for server in servers if server.strip()]
