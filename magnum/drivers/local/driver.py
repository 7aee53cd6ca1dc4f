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

"""The local Docker driver: swarm-mode clusters of containers.

Each cluster is a private bridge network with ``master_count`` manager
containers and each nodegroup's worker containers, all running dockerd
with mutual TLS (server certificates from the cluster CA), formed into a
swarm; several managers (or ``master_lb_enabled``) get an haproxy
container in front. The cluster's Docker API is published on a host port
(``api_address``).

How the work is shared with the conductor:

- create, update, resize, nodegroup create/delete and delete run to the
  end in the handler that calls them (under the cluster lock), reporting
  progress in ``status_reason``; what they leave is a cluster whose nodes
  are all Ready (or gone), still ``*_IN_PROGRESS``;
- ``update_cluster_status`` (the status sync) observes and records the
  outcome: ``*_COMPLETE`` once every node is Ready in the swarm and the
  API answers; it also carries an upgrade on, one batch of nodes per
  pass, because the upgrade RPC is a call that must return at once;
- ``rotate_ca_certificate`` runs inside the conductor's call, while the
  new certificates are offered (``certificates.get_pending_rotation``):
  each node gets a server certificate of the new CA, and its dockerd is
  restarted in its container (its swarm state stays), one node at a time;
  the status sync records UPDATE_COMPLETE once every node serves the
  cluster's (by then stored) certificates and is Ready;
- ``resume_operation`` finishes what a conductor that died left: the
  state is read back from the containers' labels (and, for a CA
  rotation, from the marks left in the nodes), and every step is
  idempotent.
"""

import concurrent.futures
import contextlib
import copy
import ipaddress
import os
import shutil
import socket
import threading
import time

import docker.errors
from oslo_log import log as logging

from magnum import conf
from magnum import objects
from magnum.common import cluster_status
from magnum.common import conditions
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.drivers.common import driver
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import monitor as monitor_module
from magnum.drivers.local import nodes
from magnum.drivers.local import swarm
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# magnum.common.certificates and magnum.common.x509.operations (with the
# cryptography bindings, about 10 MiB) are imported where they are used:
# magnum-api loads this driver to validate templates and clusters, which
# needs neither.

STATUS = fields.ClusterStatus

COE = 'swarm-mode'
SERVER_TYPE = 'container'
OS_DISTRO = 'debian'

COMPLETE = {STATUS.CREATE_IN_PROGRESS: STATUS.CREATE_COMPLETE,
            STATUS.UPDATE_IN_PROGRESS: STATUS.UPDATE_COMPLETE,
            STATUS.ROLLBACK_IN_PROGRESS: STATUS.ROLLBACK_COMPLETE}
FAILED = {STATUS.CREATE_IN_PROGRESS: STATUS.CREATE_FAILED,
          STATUS.UPDATE_IN_PROGRESS: STATUS.UPDATE_FAILED,
          STATUS.DELETE_IN_PROGRESS: STATUS.DELETE_FAILED,
          STATUS.ROLLBACK_IN_PROGRESS: STATUS.ROLLBACK_FAILED}

# How many node containers are made at once.
START_PARALLELISM = 4

# Operations resume_operation finishes by building to the recorded sizes.
CONVERGING = ('create', 'update', 'resize', 'create nodegroup',
              'update nodegroup', 'delete nodegroup')
# The operation the conductor's certificate handler locks a cluster for.
ROTATE_OPERATION = 'rotate_ca'

# An upgrade goes on one batch per status sync; the batch size asked for,
# by cluster (a conductor that did not receive the call uses 1).
_upgrade_batches = {}
_upgrade_lock = threading.Lock()


class LocalDriverError(exception.MagnumException):
    message = _('%(reason)s')


def _admin():
    return magnum_context.get_admin_context()


def api_host():
    """The host part of every cluster's api_address."""
    if CONF.local_driver.api_host:
        return CONF.local_driver.api_host
    address = CONF.local_driver.publish_address
    if address not in ('0.0.0.0', '::'):
        return address
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return '127.0.0.1'


def api_url(port):
    """tcp://<api host>:<port>, what DOCKER_HOST is set to."""
    host = api_host()
    if ':' in host:
        host = '[%s]' % host
    return 'tcp://%s:%d' % (host, port)


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _label_port(labels):
    """The api_port label as an int, or None; InvalidParameterValue when
    it is not a port."""
    value = (labels or {}).get('api_port')
    if value in (None, ''):
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        raise exception.InvalidParameterValue(
            err=_('label api_port must be a port number (1-65535), not '
                  '%r') % (value,))
    return port


def fingerprint(ca_pem):
    """The SHA-256 fingerprint of a certificate, hex."""
    from cryptography.hazmat.primitives import hashes

    from magnum.common.x509 import operations
    return operations.load_certificate(ca_pem).fingerprint(
        hashes.SHA256()).hex()


class _Authority:
    """A CA whose server certificates nodes are given, with Magnum's
    client certificate of it (as files, for the docker SDK): the
    cluster's current CA, or the one a CA rotation brings in."""

    def __init__(self, context, cluster, ca, client, label):
        self.context = context
        self.cluster = cluster
        self.ca_pem, self._ca_key_pem = ca
        self._client = client
        self.label = label
        self.fingerprint = fingerprint(self.ca_pem)
        self._credentials = None

    @classmethod
    def current(cls, context, cluster):
        from magnum.common import certificates
        return cls(context, cluster,
                   certificates.get_ca_key_pair(context, cluster),
                   certificates.get_cluster_magnum_cert(context, cluster),
                   _('current'))

    @classmethod
    def pending(cls, context, cluster, new_set):
        return cls(context, cluster,
                   (new_set.ca.certificate, new_set.ca.private_key),
                   (new_set.magnum.certificate, new_set.magnum.private_key),
                   _('new'))

    @property
    def credentials(self):
        if self._credentials is None:
            self._credentials = swarm.Credentials(
                self.context, self.cluster,
                pems=(self.ca_pem,) + tuple(self._client))
        return self._credentials

    def issue(self, common_name, dns_names, ip_addresses):
        """A server certificate and key (PEM) signed by this CA."""
        from magnum.common.x509 import operations
        certificate, key = operations.generate_server_certificate(
            operations.load_certificate(self.ca_pem),
            operations.load_private_key(self._ca_key_pem),
            common_name[:operations.MAX_COMMON_NAME_LENGTH], dns_names,
            ip_addresses)
        LOG.info('Cluster %s: issued a server certificate for %s (%s) with '
                 'its %s CA', self.cluster.uuid, common_name,
                 ', '.join(list(dns_names) + list(ip_addresses)),
                 self.label)
        return (operations.certificate_to_pem(certificate),
                operations.private_key_to_pem(key))

    def close(self):
        if self._credentials is not None:
            self._credentials.close()
            self._credentials = None


def _failure_reason(error, step):
    """What a status reason says of ``error`` raised at ``step``: the
    driver's own errors already name what failed; anything else is
    prefixed with the step it broke."""
    if isinstance(error, (engine_module.EngineError, LocalDriverError,
                          swarm.SwarmError)):
        return str(error)
    return _('%(step)s: %(error)s') % {
        'step': step[:1].upper() + step[1:],
        'error': str(error) or type(error).__name__}


class _Work:
    """One operation on one cluster: its engine, credentials, progress
    and the steps every operation is made of."""

    def __init__(self, driver_name, context, cluster, engine):
        self.driver_name = driver_name
        self.context = context
        self.cluster = cluster
        self.engine = engine
        self.network = nodes.network_name(cluster.uuid)
        self.step = _('starting')
        self.touched = False
        self._credentials = None
        self._nodegroups = None

    # -- bookkeeping --------------------------------------------------------

    def at(self, step):
        self.step = step

    def say(self, text):
        """Record progress in the cluster's status reason."""
        if text != self.cluster.status_reason:
            self.cluster.status_reason = text
            self.cluster.save()
            LOG.info('Cluster %s: %s', self.cluster.uuid, text)

    def close(self):
        if self._credentials is not None:
            self._credentials.close()
            self._credentials = None
        self.engine.close()

    @property
    def credentials(self):
        if self._credentials is None:
            self._credentials = swarm.Credentials(self.context, self.cluster)
        return self._credentials

    @property
    def template(self):
        return self.cluster.cluster_template

    def nodegroups(self, refresh=False, override=None):
        """The cluster's nodegroups as stored, ``override`` (a NodeGroup
        the caller holds) in place of its stored copy."""
        if self._nodegroups is None or refresh:
            self._nodegroups = objects.NodeGroup.list(_admin(),
                                                      self.cluster.uuid)
        if override is not None:
            self._nodegroups = [override if ng.uuid == override.uuid else ng
                                for ng in self._nodegroups]
        return self._nodegroups

    def wanted(self, nodegroup):
        """How many nodes a nodegroup should have."""
        if nodegroup.status in (STATUS.DELETE_IN_PROGRESS,
                                STATUS.DELETE_COMPLETE):
            return 0
        return nodegroup.node_count or 0

    def image_of(self, nodegroup):
        return nodegroup.image_id or self.template.image_id

    def needs_lb(self):
        masters = sum(self.wanted(ng) for ng in self.nodegroups()
                      if ng.is_master)
        return bool(self.cluster.master_lb_enabled) or masters > 1

    def observe(self):
        """Every container of the cluster, as nodes.Node."""
        return [nodes.describe(container, self.network) for container in
                self.engine.containers(nodes.cluster_labels(
                    self.cluster.uuid))]

    # -- engine resources ---------------------------------------------------

    def ensure_network(self):
        if self.engine.networks({nodes.LABEL_CLUSTER: self.cluster.uuid}):
            return
        self.at(_('creating network %s') % self.network)
        self.engine.create_network(self.network,
                                   nodes.cluster_labels(self.cluster.uuid))

    def _port_choices(self, preferred):
        """Ports to try for the cluster API, best first."""
        used = self.engine.used_ports()
        address = CONF.local_driver.publish_address
        explicit = _label_port(self.cluster.labels)
        own = {n.published_port for n in self.observe() if n.published_port}
        if explicit in own:
            # A manager replaced without a load balancer (upgrade) cannot
            # take the port over while the old one runs: it gets another.
            LOG.info('Cluster %s: port %d (label api_port) is its old '
                     'manager\'s; the new one gets another', self.cluster.uuid,
                     explicit)
            explicit = None
        if explicit:
            if explicit in used or not self.engine.host_port_free(address,
                                                                  explicit):
                raise engine_module.PortInUse(reason=_(
                    'Port %(port)d on %(address)s, asked for by the '
                    'api_port label, is already in use; choose another '
                    'port or remove the label.') % {'port': explicit,
                                                    'address': address})
            return [explicit], True
        choices = []
        if preferred and preferred not in used:
            choices.append(preferred)
        first, last = nodes.parse_port_range(
            CONF.local_driver.api_port_range)
        for port in nodes.port_candidates(first, last, used):
            if port not in choices and self.engine.host_port_free(address,
                                                                  port):
                choices.append(port)
            if len(choices) >= 10:
                break
        if not choices:
            raise engine_module.PortInUse(reason=_(
                'No free port on %(address)s in [local_driver] '
                'api_port_range %(range)s; widen the range or delete '
                'clusters.') % {'address': address,
                                'range': CONF.local_driver.api_port_range})
        return choices, False

    def run_published(self, run):
        """``run(ports)`` with the cluster API published on a free host
        port; the port used."""
        choices, explicit = self._port_choices(
            nodes.port_of(self.cluster.api_address))
        address = CONF.local_driver.publish_address
        last = None
        for port in choices:
            try:
                run({'%d/tcp' % nodes.DOCKER_PORT: (address, port)})
                return port
            except engine_module.PortInUse as error:
                LOG.info('Cluster %s: port %d is taken (%s); trying '
                         'another', self.cluster.uuid, port, error)
                last = error
        if explicit:
            raise engine_module.PortInUse(reason=_(
                'Port %(port)d on %(address)s, asked for by the api_port '
                'label, is already in use: %(error)s') % {
                    'port': choices[0], 'address': address, 'error': last})
        raise engine_module.PortInUse(reason=_(
            'Could not publish the cluster API on %(address)s: ports '
            '%(ports)s are all taken (%(error)s)') % {
                'address': address,
                'ports': ', '.join(str(p) for p in choices), 'error': last})

    def start_container(self, nodegroup, index, image, publish):
        """Run a node container (dockerd waits for its certificates)."""
        name = nodes.node_name(self.cluster.uuid, nodegroup, index)
        role = nodes.ROLE_MASTER if nodegroup.is_master else \
            nodes.ROLE_WORKER
        self.at(_('starting node %s') % name)
        cpus, memory = nodes.flavor_limits(nodegroup.flavor_id,
                                           self.engine.cpu_count())
        options = copy.deepcopy(nodes.NODE_RUN_OPTIONS)
        options.update(nodes.resource_options(cpus, memory))
        options.update(
            hostname=name, network=self.network,
            labels=nodes.labels_for(self.cluster, role, nodegroup, index,
                                    image, self.driver_name),
            environment=nodes.node_environment(self.template))
        servers = nodes.dns_servers(self.template)
        if servers:
            options['dns'] = servers
        command = nodes.node_command(self.template.insecure_registry)
        made = []

        def run(ports=None):
            extra = {'ports': ports} if ports else {}
            made.append(self.engine.run(image, command, name, **options,
                                        **extra))

        if publish:
            self.run_published(run)
        else:
            run()
        return nodes.describe(made[-1], self.network)

    def node_names(self, node):
        """(DNS names, IP addresses) of the node's server certificate:
        a manager's names the cluster API's addresses too."""
        names, addresses = [], []
        if node.is_master:
            host = api_host()
            names = [nodes.lb_name(self.cluster.uuid)]
            if _is_ip(host):
                addresses.append(host)
            else:
                names.append(host)
            published = CONF.local_driver.publish_address
            if published not in ('0.0.0.0', '::'):
                addresses.append(published)
        return nodes.node_sans(node, names, addresses)

    def install_tls(self, node, ca_pem, restart=False):
        """Give a node its server certificate; its dockerd then starts
        (is restarted, with ``restart``)."""
        from magnum.common import certificates
        self.at(_('installing the certificates of node %s') % node.name)
        dns_names, ip_addresses = self.node_names(node)
        cert, key = certificates.issue_server_certificate(
            self.context, self.cluster, node.name, dns_names, ip_addresses)
        if restart:
            self.engine.put_archive(
                node.container, '/',
                nodes.certificates_archive(ca_pem, cert, key))
            self.engine.signal(node.container, nodes.RESTART_SIGNAL)
            return
        self.engine.put_archive(node.container, '/',
                                nodes.tls_archive(ca_pem, cert, key))

    def read_file(self, node, path):
        """The text of a file of the node (stripped), or None."""
        code, output = self.engine.exec(node.container, ['cat', path])
        if code != 0:
            return None
        return output.decode(errors='replace').strip()

    def has_other_ca(self, node, ca_pem):
        """Whether the node's dockerd was given another CA than the
        cluster's (a CA rotation that failed midway)."""
        current = self.read_file(node, '%s/ca.pem' % nodes.TLS_DIR)
        return current is not None and current != ca_pem.strip()

    def has_tls(self, node):
        code, _output = self.engine.exec(
            node.container, ['test', '-e', '%s/ready' % nodes.TLS_DIR])
        return code == 0

    # -- bringing nodes up --------------------------------------------------

    def start_nodes(self, specs, total):
        """Start containers for ``specs`` ((nodegroup, index, image,
        publish) tuples), a few at a time, each with its certificates
        (its dockerd then starts while the next ones are made); the new
        nodes. When one cannot start, the others still are (their labels
        find them again) and the first error is raised."""
        from magnum.common import certificates
        ca_pem = certificates.get_ca_certificate(self.context, self.cluster)
        self.engine.cpu_count()

        def start(spec):
            node = self.start_container(*spec)
            self.install_tls(node, ca_pem)
            return node

        started, errors = [], []
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=START_PARALLELISM) as pool:
            futures = [pool.submit(start, spec) for spec in specs]
            for future in concurrent.futures.as_completed(futures):
                try:
                    started.append(future.result())
                except Exception as error:
                    errors.append(error)
                    continue
                self.say(_('Started %(done)d of %(total)d nodes') % {
                    'done': total - len(specs) + len(started),
                    'total': total})
        if errors:
            raise errors[0]
        return sorted(started, key=lambda n: (not n.is_master, n.name))

    def connect_all(self, running, deadline, installed=()):
        """{name: client} of every running node, installing certificates
        where a half-finished operation left none (``installed`` names
        the nodes just given theirs)."""
        from magnum.common import certificates
        clients = {}
        waiting = []
        for node in running:
            if node.name in installed:
                waiting.append(node)
                continue
            try:
                clients[node.name] = swarm.connect(node, self.credentials,
                                                   timeout=5)
            except swarm.UNREACHABLE:
                waiting.append(node)
        ca_pem = None
        for node in waiting:
            if node.name in installed:
                continue
            if ca_pem is None:
                ca_pem = certificates.get_ca_certificate(self.context,
                                                         self.cluster)
            if not self.has_tls(node):
                self.install_tls(node, ca_pem)
            elif nodes.restartable(node) and self.has_other_ca(node, ca_pem):
                LOG.warning('Cluster %s: node %s has certificates of '
                            'another CA; it gets the cluster\'s again',
                            self.cluster.uuid, node.name)
                self.install_tls(node, ca_pem, restart=True)
        if waiting:
            self.at(_('waiting for dockerd of %s') % ', '.join(
                node.name for node in waiting))
            clients.update(swarm.wait_for_dockerd(
                waiting, self.credentials, deadline, exited=self.exited))
        return clients

    def connect_leaving(self, leaving, clients):
        """Add clients of the nodes about to be removed that answer; those
        that do not (a hung dockerd) are removed without draining. The
        nodes that answered."""
        answered = []
        for node in leaving:
            try:
                clients[node.name] = swarm.connect(node, self.credentials,
                                                   timeout=5)
                answered.append(node)
            except swarm.UNREACHABLE as error:
                LOG.warning('Cluster %s: node %s does not answer (%s); it '
                            'is removed without draining',
                            self.cluster.uuid, node.name, error)
        return answered

    def exited(self, node):
        """Why a node container stopped (its log's end), or None while it
        runs."""
        try:
            with self.engine.calling(_('inspecting %s') % node.name):
                node.container.reload()
        except engine_module.EngineError as error:
            return str(error)
        state = node.container.attrs.get('State') or {}
        if state.get('Status') in ('running', 'created', 'restarting'):
            return None
        lines = [line for line in self.engine.logs(
            node.container, 40).splitlines() if line.strip()]
        errors = [line for line in lines if 'level=info' not in line]
        return _('its container is %(status)s (exit code %(code)s): '
                 '%(log)s') % {
                     'status': state.get('Status'),
                     'code': state.get('ExitCode'),
                     'log': (errors or lines or [_('no log')])[-1].strip()}

    # -- the swarm ----------------------------------------------------------

    def form_swarm(self, running, clients, leaving=()):
        """Make every running node a member of one swarm (managers as
        managers); stale members (nodes whose container is gone) are
        removed first, the nodes ``leaving`` are left as they are. The
        client of a manager."""
        self.at(_('forming the swarm'))
        masters = sorted((n for n in running if n.is_master),
                         key=lambda n: n.index)
        if not masters:
            raise LocalDriverError(reason=_(
                'The cluster has no running manager container to form the '
                'swarm with.'))
        states = {node.name: swarm.local_state(clients[node.name])
                  for node in list(running) + list(leaving)}
        candidates = masters + sorted(
            (n for n in leaving if n.is_master), key=lambda n: n.index)
        leader = next((m for m in candidates
                       if states[m.name][0] == 'active' and
                       states[m.name][2]), None)
        if leader is None:
            leader = masters[0]
            if states[leader.name][0] != 'inactive':
                swarm.leave(clients[leader.name])
            self.at(_('initialising the swarm on %s') % leader.name)
            swarm.init(clients[leader.name], leader)
            states[leader.name] = swarm.local_state(clients[leader.name])
        manager = clients[leader.name]
        try:
            members = {n['id']: n for n in swarm.list_nodes(manager)}
        except docker.errors.APIError as error:
            if 'leader' not in str(error):
                raise
            # The other managers are gone for good (their state was in
            # their containers): this one carries on alone.
            LOG.warning('Cluster %s: the swarm lost its quorum (%s); '
                        'starting it again from %s', self.cluster.uuid,
                        error, leader.name)
            self.at(_('recovering the swarm on %s') % leader.name)
            swarm.init(manager, leader, force_new_cluster=True)
            members = {n['id']: n for n in swarm.list_nodes(manager)}
        ours = {states[n.name][1] for n in list(running) + list(leaving)
                if states[n.name][0] == 'active'}
        for node_id, member in members.items():
            if node_id not in ours:
                self.at(_('removing stale swarm node %s') %
                        member['hostname'])
                swarm.remove_node(manager, member)
        joined = {n.name for n in running
                  if states[n.name][0] == 'active' and
                  states[n.name][1] in members}
        tokens = swarm.join_tokens(manager)
        managers = [m.address for m in candidates if m.name in joined or
                    (m in leaving and states[m.name][1] in members)]
        for master in masters:
            if master.name in joined:
                continue
            self.at(_('joining manager %s to the swarm') % master.name)
            if states[master.name][0] != 'inactive':
                swarm.leave(clients[master.name])
            swarm.join(clients[master.name], master, managers,
                       tokens['manager'])
            managers.append(master.address)
        workers = [n for n in running
                   if not n.is_master and n.name not in joined]

        def join_worker(node):
            if states[node.name][0] != 'inactive':
                swarm.leave(clients[node.name])
            swarm.join(clients[node.name], node, managers, tokens['worker'])

        if workers:
            self.at(_('joining %s to the swarm') % ', '.join(
                n.name for n in workers))
            with concurrent.futures.ThreadPoolExecutor(
                    max_workers=min(8, len(workers))) as pool:
                for future in [pool.submit(join_worker, n) for n in workers]:
                    future.result()
        return manager

    def apply_labels(self, manager, running):
        """Nodegroup labels (and node_labels) as swarm node labels, with
        the node's nodegroup and role."""
        groups = {ng.uuid: ng for ng in self.nodegroups()}
        members = swarm.by_hostname(swarm.list_nodes(manager))
        for node in running:
            nodegroup = groups.get(node.nodegroup)
            member = members.get(node.name)
            if nodegroup is None or member is None:
                continue
            wanted = dict(nodegroup.labels or {})
            wanted.update(nodegroup.node_labels or {})
            wanted[nodes.LABEL_NODEGROUP_NAME] = nodegroup.name
            wanted[nodes.LABEL_ROLE] = node.role
            if member['labels'] != wanted:
                swarm.update_node(manager, member['id'], Labels=wanted)

    def remove_nodes(self, manager, doomed):
        """Take nodes out: managers demoted while they run, every node
        drained, then its container removed and its swarm entry
        forgotten."""
        if not doomed:
            return
        self.at(_('removing %s') % ', '.join(n.name for n in doomed))
        members = {}
        if manager is not None:
            members = swarm.by_hostname(swarm.list_nodes(manager))
        for node in doomed:
            member = members.get(node.name)
            if member is None:
                continue
            if member['role'] == 'manager':
                swarm.remove_node(manager, member)
                members.pop(node.name)
            elif member['state'] == 'ready':
                swarm.drain(manager, member['id'],
                            CONF.local_driver.drain_timeout)
        for node in doomed:
            self.engine.remove_container(node.container)
        for node in doomed:
            member = members.get(node.name)
            if member is not None:
                swarm.remove_node(manager, member)

    def ensure_lb(self, masters, lb):
        """The load balancer in front of ``masters``: started, or told
        the current managers. The LB's Node."""
        managers = [(m.name, m.address) for m in sorted(
            masters, key=lambda n: n.index)]
        if lb is not None and not lb.running:
            self.engine.remove_container(lb.container)
            lb = None
        if lb is not None:
            code, current = self.engine.exec(
                lb.container,
                ['cat', '%s/haproxy.cfg' % nodes.LB_DIR])
            if code == 0 and current.decode(errors='replace') == \
                    nodes.haproxy_config(managers):
                return lb
            self.at(_('telling the load balancer the managers'))
            self.engine.put_archive(lb.container, '/',
                                    nodes.lb_archive(managers))
            self.engine.signal(lb.container, 'SIGUSR2')
            return lb
        name = nodes.lb_name(self.cluster.uuid)
        self.at(_('starting the load balancer %s') % name)
        made = []
        options = dict(
            hostname=name, network=self.network,
            labels=nodes.labels_for(self.cluster, nodes.ROLE_LB,
                                    image=self.template.image_id,
                                    driver_name=self.driver_name),
            **nodes.resource_options(min(0.5, self.engine.cpu_count()),
                                     CONF.local_driver.lb_memory_mib))

        def run(ports):
            made.append(self.engine.run(self.template.image_id,
                                        nodes.lb_command(), name,
                                        ports=ports, **options))

        self.run_published(run)
        self.engine.put_archive(made[-1], '/', nodes.lb_archive(managers))
        return nodes.describe(made[-1], self.network)

    def wait_ready(self, manager, names, deadline, label=None):
        """Wait until the swarm says every node of ``names`` is Ready."""
        names = sorted(names)
        known = {}
        while True:
            known = swarm.by_hostname(swarm.list_nodes(manager))
            late = [name for name in names if name not in known or
                    not swarm.is_ready(known[name])]
            self.say(_('%(ready)d of %(total)d nodes Ready in the '
                       'swarm%(label)s') % {
                           'ready': len(names) - len(late),
                           'total': len(names),
                           'label': label or ''})
            if not late:
                return known
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        details = []
        for name in late:
            member = known.get(name)
            details.append('%s (%s)' % (name, member['state'] if member
                                        else _('not in the swarm')))
        raise LocalDriverError(reason=_(
            'Nodes not Ready in the swarm after %(timeout)d s: %(nodes)s. '
            'See "docker logs <node>" on the engine at %(url)s.') % {
                'timeout': CONF.local_driver.node_ready_timeout,
                'nodes': ', '.join(details), 'url': self.engine.url})

    def wait_api(self, deadline):
        """Wait until the cluster API answers at api_address."""
        last = None
        while True:
            try:
                swarm.client(self.cluster.api_address, self.credentials,
                             timeout=5).close()
                return
            except swarm.UNREACHABLE as error:
                last = error
            if time.monotonic() > deadline:
                raise LocalDriverError(reason=_(
                    'The cluster API at %(address)s does not answer: '
                    '%(error)s') % {'address': self.cluster.api_address,
                                    'error': last})
            time.sleep(0.3)

    # -- CA rotation ----------------------------------------------------------

    def rotation_nodes(self):
        """The cluster's nodes (not its load balancer), every one running
        and able to restart its dockerd in place; LocalDriverError naming
        the one that is not."""
        self.at(_('reading the cluster\'s containers'))
        found = sorted((n for n in self.observe() if n.role != nodes.ROLE_LB),
                       key=lambda n: n.name)
        for node in found:
            if not node.running:
                raise LocalDriverError(reason=_(
                    'Node %(node)s is %(state)s: the CA certificate is '
                    'rotated on running nodes only. Resize the cluster to '
                    'its current size to replace the node, then rotate '
                    'again.') % {'node': node.name, 'state': node.state})
            if not nodes.restartable(node):
                raise LocalDriverError(reason=_(
                    'Node %(node)s runs dockerd as its first process (it '
                    'was made by an older version of the %(driver)s '
                    'driver): its dockerd cannot be restarted with new '
                    'certificates without losing its swarm state. Replace '
                    'the cluster\'s nodes (upgrade it to another node image '
                    'tag) before rotating its CA.') % {
                        'node': node.name, 'driver': self.driver_name})
        if not any(n.is_master for n in found):
            raise LocalDriverError(reason=_(
                'The cluster has no manager node to rotate the CA '
                'certificate of.'))
        return found

    def connect_any(self, node, authorities):
        """(client, authority) of the first authority whose credentials
        the node answers to, or (None, None)."""
        for authority in authorities:
            client = swarm.try_connect(node, authority.credentials)
            if client is not None:
                return client, authority
        return None, None

    def manager_client(self, masters, authorities, avoid=None):
        """A client of a manager that answers swarm questions (another
        than ``avoid`` when there is one), with whichever credentials it
        accepts; None when no manager does."""
        ordered = sorted(masters, key=lambda n: (n is avoid, n.index))
        for master in ordered:
            client, _authority = self.connect_any(master, authorities)
            if client is None:
                continue
            try:
                swarm.list_nodes(client)
                return client
            except swarm.UNREACHABLE as error:
                LOG.info('Cluster %s: manager %s does not answer for the '
                         'swarm (%s)', self.cluster.uuid, master.name, error)
                client.close()
        return None

    def _members(self, masters, authorities):
        """{hostname: swarm node} as a manager sees them, or {}."""
        manager = self.manager_client(masters, authorities)
        if manager is None:
            return {}
        try:
            return swarm.by_hostname(swarm.list_nodes(manager))
        finally:
            manager.close()

    def rotation_order(self, node_list, authorities):
        """Workers first, then managers, the swarm's leader last."""
        masters = [n for n in node_list if n.is_master]
        members = self._members(masters, authorities)
        workers = [n for n in node_list if not n.is_master]
        managers = sorted(masters, key=lambda n: (
            (members.get(n.name) or {}).get('leader', False), n.index))
        return workers + managers

    def drain_for_restart(self, node, masters, authorities):
        """Drain the node before its dockerd restarts, when other active
        nodes can take its tasks; its availability is kept in the node to
        be set again afterwards (by a resumed rotation too)."""
        manager = self.manager_client(masters, authorities, avoid=node)
        if manager is None:
            LOG.warning('Cluster %s: no manager answers; %s is restarted '
                        'without draining', self.cluster.uuid, node.name)
            return
        try:
            members = swarm.by_hostname(swarm.list_nodes(manager))
            member = members.get(node.name)
            if member is None or member['availability'] != 'active':
                return
            others = [m for name, m in members.items()
                      if name != node.name and m['availability'] == 'active'
                      and swarm.is_ready(m)]
            if not others:
                return
            self.at(_('draining %s') % node.name)
            self.engine.put_archive(node.container, '/',
                                    nodes.availability_archive('active'))
            swarm.drain(manager, member['id'],
                        CONF.local_driver.drain_timeout)
        finally:
            manager.close()

    def restore_availability(self, node, masters, authorities):
        """Make a node drained for its restart available again."""
        wanted = self.read_file(node, nodes.AVAILABILITY_FILE)
        if not wanted:
            return
        self.at(_('making %s active again') % node.name)
        manager = self.manager_client(masters, authorities)
        if manager is None:
            raise LocalDriverError(reason=_(
                'No manager answers to make %s active again in the '
                'swarm.') % node.name)
        try:
            member = swarm.by_hostname(swarm.list_nodes(manager)).get(
                node.name)
            if member is not None and member['availability'] != wanted:
                swarm.update_node(manager, member['id'],
                                  Availability=wanted)
        finally:
            manager.close()
        self.engine.exec(node.container, ['rm', '-f',
                                          nodes.AVAILABILITY_FILE])

    def wait_rejoined(self, node, client, deadline):
        """Wait until the restarted node is back in the swarm (a manager
        with the control plane: the raft has a leader and the node is in
        it)."""
        state = None
        while True:
            info = client.info().get('Swarm') or {}
            state = info.get('LocalNodeState')
            if state == 'active' and (info.get('ControlAvailable') or
                                      not node.is_master):
                return
            if time.monotonic() > deadline:
                raise LocalDriverError(reason=_(
                    'Node %(node)s did not rejoin the swarm within %(timeout)d'
                    ' s of the restart of its dockerd (its swarm state: '
                    '%(state)s). See "docker logs %(node)s" on the engine at '
                    '%(url)s.') % {
                        'node': node.name, 'state': state,
                        'timeout': CONF.local_driver.node_ready_timeout,
                        'url': self.engine.url})
            time.sleep(0.3)

    def wait_member_ready(self, node, masters, authorities, deadline):
        """Wait until a manager sees the node Ready (when one answers)."""
        manager = self.manager_client(masters, authorities)
        if manager is None:
            return
        try:
            self.wait_ready(manager, [node.name], deadline,
                            label=_(' after the restart of %s') % node.name)
        finally:
            manager.close()

    def rotate_node(self, node, target, authorities, masters, deadline):
        """Give the node a server certificate of ``target``'s CA with that
        CA and restart its dockerd; back when it answers with
        ``target``'s credentials and is Ready. A node that already answers
        so is left as it is. True when the node was restarted."""
        client = swarm.try_connect(node, target.credentials)
        if client is not None:
            client.close()
            self.restore_availability(node, masters, authorities)
            return False
        self.drain_for_restart(node, masters, authorities)
        self.at(_('installing the certificates of the %(which)s CA in '
                  '%(node)s') % {'which': target.label, 'node': node.name})
        dns_names, ip_addresses = self.node_names(node)
        cert, key = target.issue(node.name, dns_names, ip_addresses)
        self.touched = True
        self.engine.put_archive(
            node.container, '/',
            nodes.certificates_archive(target.ca_pem, cert, key))
        self.at(_('restarting dockerd of %s') % node.name)
        self.engine.signal(node.container, nodes.RESTART_SIGNAL)
        self.at(_('waiting for dockerd of %s to answer with its new '
                  'certificate') % node.name)
        clients = swarm.wait_for_dockerd([node], target.credentials,
                                         deadline, exited=self.exited)
        with swarm.closing_all(clients):
            self.at(_('waiting for %s to rejoin the swarm') % node.name)
            self.wait_rejoined(node, clients[node.name], deadline)
        self.wait_member_ready(node, masters, authorities, deadline)
        self.restore_availability(node, masters, authorities)
        return True

    def rotate_to(self, target, others=(), mark=True):
        """Move every node to ``target``'s CA: each gets a server
        certificate of it and the CA, and its dockerd is restarted, one
        node at a time (workers, then managers, the leader last) so that
        the swarm keeps its quorum. (The leader's restart costs the swarm
        an election: with several managers, about 10 s in which it has no
        leader. Demoting it first would hand the leadership over at once,
        but promoting it again can make dockerd 20.10 panic, "tocommit is
        out of range", and lose the node.) ``others`` are the authorities nodes
        not moved yet answer to. With ``mark`` the nodes first record
        which CA they are being moved to (for a resumed rotation). Ends
        when every node answers with ``target``'s credentials, each
        having been Ready after its restart."""
        authorities = [target] + list(others)
        node_list = self.rotation_nodes()
        masters = [n for n in node_list if n.is_master]
        if mark:
            self.at(_('marking the nodes for the CA rotation'))
            for node in node_list:
                self.engine.put_archive(
                    node.container, '/',
                    nodes.rotation_archive(target.fingerprint))
        self.at(_('finding the swarm\'s leader'))
        order = self.rotation_order(node_list, authorities)
        for done, node in enumerate(order):
            self.say(_('Rotating the CA certificate: restarting dockerd of '
                       '%(node)s with a certificate of the %(which)s CA '
                       '(%(done)d of %(total)d nodes done)') % {
                           'node': node.name, 'which': target.label,
                           'done': done, 'total': len(order)})
            deadline = time.monotonic() + \
                CONF.local_driver.node_ready_timeout
            self.rotate_node(node, target, authorities, masters, deadline)
        # Workers reconnect to a restarted manager on their own (in a few
        # seconds): the status sync sees them Ready again.
        self.say(_('Rotating the CA certificate: all %(total)d nodes serve '
                   'certificates of the %(which)s CA') % {
                       'total': len(node_list), 'which': target.label})

    def rotation_marks(self, node_list):
        """The CA fingerprints the nodes were being moved to."""
        return {mark for mark in (self.read_file(n, nodes.ROTATION_MARKER)
                                  for n in node_list) if mark}

    def clear_rotation_marks(self, node_list):
        for node in node_list:
            with contextlib.suppress(engine_module.EngineError):
                self.engine.exec(node.container,
                                 ['rm', '-f', nodes.ROTATION_MARKER])

    def rotate_ca(self, target, current):
        """Move the nodes to ``target``'s CA; when that fails, move those
        that were moved back to ``current``, and raise a LocalDriverError
        saying what failed and how the nodes were left."""
        self.touched = False
        try:
            self.rotate_to(target, [current])
        except Exception as error:
            reason = _failure_reason(error, self.step)
            if self.touched:
                reason = '%s %s' % (reason, self.move_back(current, target,
                                                           reason))
            raise LocalDriverError(reason=reason) from error

    def move_back(self, current, target, reason):
        """Give nodes moved to ``target``'s CA the certificates of
        ``current`` again; what became of them, to be said."""
        LOG.warning('Cluster %s: CA rotation failed (%s); giving the nodes '
                    'their current certificates back', self.cluster.uuid,
                    reason)
        try:
            self.say(_('CA rotation failed: %s; giving the nodes their '
                       'current certificates back') % reason)
            self.rotate_to(current, [target], mark=False)
            self.clear_rotation_marks(self.rotation_nodes())
        except Exception as error:
            LOG.exception('Cluster %s: the nodes could not be given their '
                          'current certificates back', self.cluster.uuid)
            return _('Some nodes could not be given their current '
                     'certificates back (%s); resize the cluster to its '
                     'current size to repair them.') % error
        return _('The nodes serve their current certificates again.')

    # -- recording ----------------------------------------------------------

    def record(self, running, lb, manager=None):
        """Addresses, API address and versions, from what runs."""
        for nodegroup in self.nodegroups():
            addresses = [n.address for n in sorted(
                running, key=lambda n: n.index)
                if n.nodegroup == nodegroup.uuid and n.address]
            if (nodegroup.node_addresses or []) != addresses:
                nodegroup.node_addresses = addresses
                nodegroup.save()
        port = None
        if lb is not None:
            port = lb.published_port
        else:
            current = nodes.port_of(self.cluster.api_address)
            ports = [n.published_port for n in sorted(
                running, key=lambda n: n.index)
                if n.is_master and n.published_port]
            if current in ports:
                port = current
            elif ports:
                port = ports[-1]
        if port:
            self.cluster.api_address = api_url(port)
        if not self.cluster.stack_id:
            self.cluster.stack_id = nodes.cluster_prefix(self.cluster.uuid)
        if manager is not None:
            version = manager.version()
            self.cluster.coe_version = version.get('Version')
            self.cluster.container_version = version.get('Version')
        self.cluster.save()

    # -- the whole -----------------------------------------------------------

    def converge(self, removing=()):
        """Make the containers and the swarm match the nodegroups: remove
        ``removing`` (Nodes) and broken containers, add what is missing,
        remove what is extra, all in one swarm with every node Ready."""
        deadline = time.monotonic() + CONF.local_driver.node_ready_timeout
        self.at(_('checking the node image'))
        groups = self.nodegroups()
        for nodegroup in groups:
            if self.wanted(nodegroup):
                self.engine.image(self.image_of(nodegroup))
        self.ensure_network()
        self.at(_('reading the cluster\'s containers'))
        found = self.observe()
        lb = next((n for n in found if n.role == nodes.ROLE_LB), None)
        node_list = [n for n in found if n.role != nodes.ROLE_LB]
        # A container that stopped lost its node's state (tmpfs): it is
        # made again.
        broken = [n for n in node_list if not n.running]
        if broken:
            self.at(_('removing stopped nodes %s') % ', '.join(
                n.name for n in broken))
            for node in broken:
                self.engine.remove_container(node.container)
        running = [n for n in node_list if n.running]
        removing_names = {n.name for n in removing}
        doomed = [n for n in running if n.name in removing_names]
        running = [n for n in running if n.name not in removing_names]

        specs = []
        publish_masters = not self.needs_lb()
        by_group = {ng.uuid: ng for ng in groups}
        for nodegroup in sorted(groups, key=lambda g: not g.is_master):
            have = sorted((n for n in running
                           if n.nodegroup == nodegroup.uuid),
                          key=lambda n: (n.image == self.image_of(nodegroup),
                                         -n.index))
            want = self.wanted(nodegroup)
            if len(have) > want:
                extra = have[:len(have) - want]
                doomed.extend(extra)
                running = [n for n in running if n not in extra]
            # Nodes being removed keep their names until they are gone.
            used = {n.index for n in node_list
                    if n.nodegroup == nodegroup.uuid and n not in broken}
            for index in nodes.free_indexes(used, max(0, want - len(have))):
                specs.append((nodegroup, index, self.image_of(nodegroup),
                              nodegroup.is_master and publish_masters))
        orphans = [n for n in running if n.nodegroup not in by_group]
        doomed.extend(orphans)
        running = [n for n in running if n not in orphans]

        total = len(running) + len(specs)
        fresh = self.start_nodes(specs, total) if specs else []
        running.extend(fresh)
        if not running:
            raise LocalDriverError(reason=_('The cluster has no nodes.'))
        clients = {}
        try:
            clients = self.connect_all(running, deadline,
                                       installed={n.name for n in fresh})
            leaving = self.connect_leaving(doomed, clients)
            self.say(_('Started %(total)d of %(total)d nodes; forming the '
                       'swarm') % {'total': total})
            manager = self.form_swarm(running, clients, leaving=leaving)
            self.remove_nodes(manager, doomed)
            masters = [n for n in running if n.is_master]
            if self.needs_lb():
                lb = self.ensure_lb(masters, lb)
            elif lb is not None:
                self.engine.remove_container(lb.container)
                lb = None
            self.at(_('labelling the swarm nodes'))
            self.apply_labels(manager, running)
            self.at(_('waiting for the nodes to be Ready'))
            self.wait_ready(manager, [n.name for n in running], deadline)
            self.record(running, lb, manager)
            self.at(_('waiting for the cluster API'))
            self.wait_api(deadline)
            self.say(_('All %d nodes are Ready in the swarm') % len(running))
        finally:
            for each in clients.values():
                with contextlib.suppress(Exception):
                    each.close()

    def delete_everything(self):
        """Remove every container, network and volume of the cluster;
        how many of each were there."""
        labels = nodes.cluster_labels(self.cluster.uuid)
        self.at(_('removing the containers'))
        containers = self.engine.containers(labels)
        if containers:
            with concurrent.futures.ThreadPoolExecutor(
                    max_workers=START_PARALLELISM) as pool:
                for future in [pool.submit(self.engine.remove_container, c)
                               for c in containers]:
                    future.result()
        self.at(_('removing the network'))
        networks = self.engine.networks(labels)
        for network in networks:
            with self.engine.calling(_('disconnecting network %s') %
                                     network.name):
                network.reload()
                for container_id in (network.attrs.get('Containers') or {}):
                    with contextlib.suppress(Exception):
                        network.disconnect(container_id, force=True)
            self.engine.remove_network(network)
        self.at(_('removing the volumes'))
        volumes = self.engine.volumes(labels)
        for volume in volumes:
            self.engine.remove_volume(volume)
        return len(containers), len(networks), len(volumes)


# How long a successful image look-up stands (design: the API's look-ups
# are "cached briefly"). Every POST of a template or a cluster checks its
# image, and asking the engine costs a client, two round trips and about
# as much CPU as the rest of the request. A missing image is never
# remembered, so one just built or loaded is usable at once; one deleted
# is noticed within this many seconds (and a create on it fails with the
# engine's words meanwhile).
IMAGE_FOUND_SECONDS = 10.0


class _FoundImages:
    """Images recently found, by engine URL and name, until they expire."""

    LIMIT = 256  # names are few; stay bounded whatever callers send

    def __init__(self, seconds):
        self.seconds = seconds
        self._until = {}
        self._lock = threading.Lock()

    def fresh(self, url, image):
        until = self._until.get((url, image))
        return until is not None and time.monotonic() < until

    def remember(self, url, image):
        with self._lock:
            if len(self._until) >= self.LIMIT:
                now = time.monotonic()
                self._until = {key: until for key, until in
                               self._until.items() if until > now}
                if len(self._until) >= self.LIMIT:
                    self._until.clear()
            self._until[(url, image)] = time.monotonic() + self.seconds

    def clear(self):
        with self._lock:
            self._until.clear()


found_images = _FoundImages(IMAGE_FOUND_SECONDS)


class LocalSwarmDriver(driver.Driver):
    """Swarm-mode clusters of Docker-in-Docker containers on one local
    Docker engine."""

    def __init__(self, engine_factory=None):
        self._engine_factory = engine_factory or engine_module.Engine

    @property
    def provides(self):
        return [{'server_type': SERVER_TYPE, 'os': OS_DISTRO, 'coe': COE}]

    @property
    def _name(self):
        return self.name or 'local_swarm'

    # -- validation ---------------------------------------------------------

    def _check_image(self, image):
        if not image:
            raise exception.InvalidParameterValue(
                err=_('image_id must name a node image in the local Docker '
                      'engine, such as magnum/swarm-node:bookworm-1'))
        engine = self._engine_factory()
        url = getattr(engine, 'url', None)
        if found_images.fresh(url, image):
            engine.close()
            return
        try:
            engine.image(image)
            found_images.remember(url, image)
        except engine_module.ImageMissing as missing:
            # The engine's own words say where to look and how to build it.
            raise exception.ImageNotFound(str(missing),
                                          image_id=image) from None
        except engine_module.EngineError as error:
            raise exception.ServiceUnavailable(
                service=_('The Docker engine'), reason=str(error)) from None
        finally:
            engine.close()

    def validate_cluster_template(self, context, template):
        if template.get('coe') != COE:
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver builds %(coe)s clusters, not '
                      '%(asked)s') % {'driver': self._name, 'coe': COE,
                                      'asked': template.get('coe')})
        if template.get('server_type') not in (None, SERVER_TYPE):
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver builds clusters of containers: '
                      'server_type must be %(type)s') % {
                          'driver': self._name, 'type': SERVER_TYPE})
        distro = template.get('cluster_distro')
        if distro not in (None, '', OS_DISTRO):
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver\'s nodes run %(os)s, not '
                      '%(asked)s') % {'driver': self._name, 'os': OS_DISTRO,
                                      'asked': distro})
        if template.get('tls_disabled'):
            raise exception.InvalidParameterValue(
                err=_('the %s driver always secures the cluster API with '
                      'TLS: tls_disabled cannot be set') % self._name)
        _label_port(template.get('labels'))
        self._check_image(template.get('image_id'))
        template['cluster_distro'] = OS_DISTRO

    def validate_cluster(self, context, cluster, template):
        _label_port(cluster.get('labels'))
        self._check_image(template.image_id)

    # -- running operations -------------------------------------------------

    @contextlib.contextmanager
    def _work(self, context, cluster, mark=None):
        """A _Work; failures become LocalDriverErrors naming the step,
        and the nodegroups ``mark`` selects are marked failed."""
        work = _Work(self._name, context, cluster, self._engine_factory())
        try:
            yield work
        except Exception as error:
            reason = _failure_reason(error, work.step)
            LOG.warning('Cluster %s: %s (while %s)', cluster.uuid, reason,
                        work.step)
            if mark is not None:
                self._mark_nodegroups(work, mark, reason)
            if isinstance(error, (exception.Invalid, exception.NotSupported)):
                raise
            raise LocalDriverError(reason=reason) from error
        finally:
            work.close()

    @staticmethod
    def _mark_nodegroups(work, which, reason):
        with contextlib.suppress(Exception):
            for nodegroup in work.nodegroups():
                if nodegroup.status in FAILED and which(nodegroup):
                    nodegroup.status = FAILED[nodegroup.status]
                    nodegroup.status_reason = reason
                    nodegroup.save()

    @staticmethod
    def _ensure_certificates(context, cluster):
        from magnum.common import certificates
        if not (cluster.ca_cert_ref and cluster.magnum_cert_ref):
            certificates.generate_certificates_to_cluster(context, cluster)
            cluster.save()

    def create_cluster(self, context, cluster, cluster_create_timeout):
        self._ensure_certificates(context, cluster)
        with self._work(context, cluster, mark=lambda ng: True) as work:
            cluster.stack_id = nodes.cluster_prefix(cluster.uuid)
            work.say(_('Creating %(masters)d manager(s) and %(workers)d '
                       'worker(s)') % {'masters': cluster.master_count,
                                       'workers': cluster.node_count})
            work.converge()

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        with self._work(context, cluster,
                        mark=lambda ng: not ng.is_master) as work:
            work.converge()

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        nodegroup = nodegroup or cluster.default_ng_worker
        with self._work(context, cluster,
                        mark=lambda ng: ng.uuid == nodegroup.uuid) as work:
            work.nodegroups(refresh=True, override=nodegroup)
            removing = self._resolve_nodes(work, nodegroup,
                                           nodes_to_remove or [])
            work.converge(removing)

    @staticmethod
    def _swarm_ids(work, members):
        """{swarm node id: Node} of the running ``members`` that answer."""
        found = {}
        for node in members:
            if not node.running:
                continue
            try:
                client = swarm.connect(node, work.credentials, timeout=5)
            except swarm.UNREACHABLE:
                continue
            try:
                found[swarm.local_state(client)[1]] = node
            except swarm.UNREACHABLE:
                pass
            finally:
                client.close()
        return found

    def _resolve_nodes(self, work, nodegroup, idents):
        """The Nodes of ``nodegroup`` that ``idents`` name: container
        names (= hostnames), container ids (12 characters or more),
        addresses or swarm node ids. InvalidParameterValue for one that
        names none of them."""
        if not idents:
            return []
        members = [n for n in work.observe()
                   if n.nodegroup == nodegroup.uuid]
        swarm_ids = None
        found = []
        for ident in idents:
            match = next((n for n in members if ident in (
                n.name, n.address) or (len(ident) >= 12 and
                                       n.container.id.startswith(ident))),
                None)
            if match is None:
                if swarm_ids is None:
                    swarm_ids = self._swarm_ids(work, members)
                match = swarm_ids.get(ident)
            if match is None:
                raise exception.InvalidParameterValue(
                    err=_('nodes_to_remove: %(ident)s is not a node of '
                          'nodegroup %(nodegroup)s (its nodes: %(nodes)s)') %
                    {'ident': ident, 'nodegroup': nodegroup.name,
                     'nodes': ', '.join(n.name for n in members) or '-'})
            if match not in found:
                found.append(match)
        return found

    def create_nodegroup(self, context, cluster, nodegroup):
        with self._work(context, cluster,
                        mark=lambda ng: ng.uuid == nodegroup.uuid) as work:
            work.nodegroups(refresh=True, override=nodegroup)
            work.converge()

    def update_nodegroup(self, context, cluster, nodegroup):
        # Labels and node_labels become swarm node labels; sizes converge.
        self.create_nodegroup(context, cluster, nodegroup)

    def delete_nodegroup(self, context, cluster, nodegroup):
        with self._work(context, cluster,
                        mark=lambda ng: ng.uuid == nodegroup.uuid) as work:
            work.nodegroups(refresh=True, override=nodegroup)
            work.converge()

    # -- CA rotation ----------------------------------------------------------

    def rotate_ca_certificate(self, context, cluster):
        """Move every node to the new CA the conductor is rotating in: a
        new server certificate and the new CA in each node, and its
        dockerd restarted with them one node at a time (workers, then
        managers, the leader last). Magnum talks to each node with the
        client certificate it accepts: the current one before its
        restart, the new one after. When a node cannot be moved, those
        moved are given their current certificates back and the error
        says so; the conductor then keeps the current certificates."""
        from magnum.common import certificates
        new_set = certificates.get_pending_rotation(cluster)
        if new_set is None:
            raise LocalDriverError(reason=_(
                'No new certificates are being rotated in for cluster %s: '
                'the CA is rotated through the conductor.') % cluster.uuid)
        with self._work(context, cluster) as work:
            current = _Authority.current(context, cluster)
            target = _Authority.pending(context, cluster, new_set)
            try:
                work.rotate_ca(target, current)
            finally:
                target.close()
                current.close()

    def _resume_rotation(self, context, cluster):
        """Finish a CA rotation whose conductor died. Its new
        certificates were stored when the nodes carry the mark of the
        cluster's current CA: the nodes not moved yet are moved to it.
        Otherwise the new CA was lost with the conductor: the rotation is
        done again with another one (nodes moved to the lost CA are
        restarted through the engine, as Magnum can no longer talk to
        them)."""
        from magnum.common import certificates
        with self._work(context, cluster) as work:
            work.at(_('reading what the interrupted CA rotation left'))
            marks = work.rotation_marks(work.rotation_nodes())
            current = _Authority.current(context, cluster)
            try:
                if marks == {current.fingerprint}:
                    work.say(_('Finishing the interrupted CA rotation (its '
                               'new certificates were stored)'))
                    work.rotate_to(current, mark=False)
                    return
            finally:
                current.close()
        LOG.info('Cluster %s: the new certificates of the interrupted CA '
                 'rotation were lost; rotating the CA again', cluster.uuid)
        new_set = certificates.prepare_ca_rotation(context, cluster)
        with certificates.pending_rotation(cluster, new_set):
            self.rotate_ca_certificate(context, cluster)
        try:
            certificates.commit_ca_rotation(context, cluster, new_set)
        except Exception as error:
            LOG.exception('Cluster %s: the new certificates could not be '
                          'stored', cluster.uuid)
            with self._work(context, cluster) as work:
                current = _Authority.current(context, cluster)
                target = _Authority.pending(context, cluster, new_set)
                try:
                    outcome = work.move_back(current, target, str(error))
                finally:
                    target.close()
                    current.close()
            raise LocalDriverError(reason=_(
                'The new certificates could not be stored: %(error)s. '
                '%(outcome)s') % {'error': error, 'outcome': outcome}
            ) from error

    def delete_cluster(self, context, cluster):
        with self._work(context, cluster) as work:
            work.say(_('Removing the cluster\'s containers and network'))
            counts = work.delete_everything()
            work.say(_('Removed %(containers)d containers, %(networks)d '
                       'networks and %(volumes)d volumes') % dict(zip(
                           ('containers', 'networks', 'volumes'), counts)))
        with _upgrade_lock:
            _upgrade_batches.pop(cluster.uuid, None)
        cache = CONF.cluster.temp_cache_dir
        if cache and os.path.isdir(os.path.join(cache, cluster.uuid)):
            shutil.rmtree(os.path.join(cache, cluster.uuid),
                          ignore_errors=True)

    # -- upgrade ------------------------------------------------------------

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        if (cluster_template.coe, cluster_template.server_type) != (
                COE, SERVER_TYPE):
            raise exception.InvalidClusterTemplateForUpgrade(reason=_(
                'the %(driver)s driver upgrades to %(type)s/%(coe)s '
                'templates only') % {'driver': self._name,
                                     'type': SERVER_TYPE, 'coe': COE})
        if cluster_template.driver and self.name and \
                cluster_template.driver != self.name:
            raise exception.InvalidClusterTemplateForUpgrade(reason=_(
                'template %(template)s uses driver %(other)s') % {
                    'template': cluster_template.name or
                    cluster_template.uuid,
                    'other': cluster_template.driver})
        image = cluster_template.image_id
        engine = self._engine_factory()
        try:
            engine.image(image)
        except engine_module.ImageMissing as error:
            raise exception.InvalidClusterTemplateForUpgrade(
                reason=str(error)) from None
        finally:
            engine.close()
        nodegroup.image_id = image
        nodegroup.save()
        if nodegroup.is_default:
            cluster.cluster_template_id = cluster_template.uuid
        with _upgrade_lock:
            _upgrade_batches[cluster.uuid] = max(1, max_batch_size or 1)
        cluster.status_reason = _(
            'Upgrading nodegroup %(nodegroup)s to image %(image)s, '
            '%(batch)d node(s) at a time') % {
                'nodegroup': nodegroup.name, 'image': image,
                'batch': max(1, max_batch_size or 1)}

    def _upgrade_batch(self, work, found):
        """Replace one batch of nodes whose image is not their
        nodegroup's; True when there was one."""
        with _upgrade_lock:
            size = _upgrade_batches.get(work.cluster.uuid, 1)
        node_list = [n for n in found
                     if n.role in (nodes.ROLE_MASTER, nodes.ROLE_WORKER)]
        running = [n for n in node_list if n.running]
        for nodegroup in sorted(work.nodegroups(),
                                key=lambda g: not g.is_master):
            image = work.image_of(nodegroup)
            members = [n for n in node_list
                       if n.nodegroup == nodegroup.uuid]
            # Running nodes first: a stopped one is replaced last.
            outdated = sorted((n for n in members if n.image != image),
                              key=lambda n: (not n.running, n.index))
            if not outdated:
                continue
            batch = outdated[:1 if nodegroup.is_master else size]
            done = len(members) - len(outdated)
            work.say(_('Upgrading nodegroup %(nodegroup)s to image '
                       '%(image)s: replacing %(nodes)s (%(done)d of '
                       '%(total)d replaced)') % {
                           'nodegroup': nodegroup.name, 'image': image,
                           'nodes': ', '.join(n.name for n in batch),
                           'done': done, 'total': len(members)})
            deadline = time.monotonic() + \
                CONF.local_driver.node_ready_timeout
            used = {n.index for n in found if n.nodegroup == nodegroup.uuid}
            publish = nodegroup.is_master and not work.needs_lb()
            specs = [(nodegroup, index, image, publish)
                     for index in nodes.free_indexes(used, len(batch))]
            fresh = work.start_nodes(specs, len(members) + len(specs))
            keep = [n for n in running if n not in batch] + fresh
            clients = {}
            try:
                clients = work.connect_all(
                    keep, deadline, installed={n.name for n in fresh})
                leaving = work.connect_leaving(batch, clients)
                manager = work.form_swarm(keep, clients, leaving=leaving)
                work.apply_labels(manager, fresh)
                work.wait_ready(manager, [n.name for n in fresh], deadline,
                                label=_(' among the new ones'))
                if nodegroup.is_master:
                    # A manager still in the swarm is the one to ask now.
                    manager = clients[fresh[0].name]
                work.remove_nodes(manager, batch)
                lb = next((n for n in found if n.role == nodes.ROLE_LB),
                          None)
                if work.needs_lb():
                    lb = work.ensure_lb([n for n in keep if n.is_master], lb)
                work.record(keep, lb, manager)
            finally:
                for each in clients.values():
                    with contextlib.suppress(Exception):
                        each.close()
            return True
        return False

    # -- observation --------------------------------------------------------

    def update_cluster_status(self, context, cluster):
        status = cluster.status
        if status not in FAILED:
            return
        if status == STATUS.DELETE_IN_PROGRESS:
            self._observe_delete(context, cluster)
            return
        upgrading = False
        try:
            with self._work(context, cluster) as work:
                found = work.observe()
                if status == STATUS.UPDATE_IN_PROGRESS:
                    # Only an upgrade gives a nodegroup another image: nodes
                    # with an older one are replaced, a batch per pass.
                    upgrading = True
                    if self._upgrade_batch(work, found):
                        return
                    if self._upgrading(cluster):
                        # Make good what broke meanwhile (a node that
                        # stopped) before observing.
                        work.converge()
                        found = work.observe()
                    upgrading = False
                self._observe(work, found)
        except (LocalDriverError, exception.MagnumException) as error:
            if upgrading:
                # Say so rather than retry for ever.
                self._fail(context, cluster,
                           _('Upgrade failed: %s') % error)
                return
            LOG.warning('Cluster %s: cannot observe it: %s', cluster.uuid,
                        error)
            with contextlib.suppress(Exception):
                cluster.status_reason = _('Cannot observe the cluster: '
                                          '%s') % error
                cluster.save()

    @staticmethod
    def _upgrading(cluster):
        """Whether this conductor was asked to upgrade the cluster (after
        a restart an upgrade goes on with batches of one node)."""
        with _upgrade_lock:
            return cluster.uuid in _upgrade_batches

    @staticmethod
    def _fail(context, cluster, reason):
        cluster_status.fail(context, cluster, reason)
        with _upgrade_lock:
            _upgrade_batches.pop(cluster.uuid, None)

    def _observe_delete(self, context, cluster):
        engine = self._engine_factory()
        labels = nodes.cluster_labels(cluster.uuid)
        try:
            left = (len(engine.containers(labels)),
                    len(engine.networks(labels)),
                    len(engine.volumes(labels)))
        except engine_module.EngineError as error:
            cluster.status_reason = str(error)
            cluster.save()
            return
        finally:
            engine.close()
        if not any(left):
            cluster.status = STATUS.DELETE_COMPLETE
            cluster.status_reason = _('Every container, network and volume '
                                      'of the cluster is gone')
        else:
            cluster.status_reason = _(
                'Deleting: %(containers)d containers, %(networks)d '
                'networks and %(volumes)d volumes remain') % dict(zip(
                    ('containers', 'networks', 'volumes'), left))
        cluster.save()

    def _observe(self, work, found):
        """Record what the swarm says; *_COMPLETE when it is what the
        nodegroups ask for."""
        cluster = work.cluster
        groups = work.nodegroups()
        for nodegroup in groups:
            if nodegroup.status == STATUS.DELETE_IN_PROGRESS and not any(
                    n.nodegroup == nodegroup.uuid for n in found):
                LOG.info('Cluster %s: nodegroup %s is gone', cluster.uuid,
                         nodegroup.name)
                with contextlib.suppress(exception.NodeGroupNotFound):
                    nodegroup.destroy()
        groups = work.nodegroups(refresh=True)
        lb = next((n for n in found if n.role == nodes.ROLE_LB), None)
        node_list = [n for n in found if n.role != nodes.ROLE_LB]
        running = [n for n in node_list if n.running]
        if not node_list and cluster.status == STATUS.CREATE_IN_PROGRESS:
            return  # not started yet
        problems = []
        known = {}
        manager = None
        if cluster.api_address and any(n.is_master for n in running):
            try:
                manager = swarm.client(cluster.api_address,
                                       work.credentials, timeout=10)
                known = swarm.by_hostname(swarm.list_nodes(manager))
            except swarm.UNREACHABLE as error:
                problems.append(_('the cluster API at %(address)s does not '
                                  'answer (%(error)s)') % {
                                      'address': cluster.api_address,
                                      'error': error})
        elif not cluster.api_address:
            problems.append(_('the cluster has no API address yet'))
        ready = [n for n in running if n.name in known and
                 swarm.is_ready(known[n.name])]
        wanted = sum(work.wanted(ng) for ng in groups)
        for nodegroup in groups:
            have = [n for n in running if n.nodegroup == nodegroup.uuid]
            if len(have) != work.wanted(nodegroup):
                problems.append(_('nodegroup %(nodegroup)s has %(have)d of '
                                  '%(want)d nodes') % {
                                      'nodegroup': nodegroup.name,
                                      'have': len(have),
                                      'want': work.wanted(nodegroup)})
        late = sorted(n.name for n in node_list if n not in ready)
        if late and not problems:
            problems.append(_('not Ready: %s') % ', '.join(late))
        if cluster.status == STATUS.UPDATE_IN_PROGRESS and not problems:
            # After a CA rotation every node must serve a certificate of
            # the cluster's CA and accept Magnum's client certificate.
            stale = [n.name for n in running
                     if not self._answers(n, work.credentials)]
            if stale:
                problems.append(_('not serving certificates of the '
                                  'cluster\'s CA yet: %s') % ', '.join(stale))
        if work.needs_lb() and (lb is None or not lb.running):
            problems.append(_('the load balancer is not running'))
        try:
            work.record(running, lb if lb is not None and lb.running
                        else None, manager)
        finally:
            if manager is not None:
                manager.close()
        conditions.set_condition(
            cluster, conditions.NODES_READY,
            conditions.TRUE if len(ready) == wanted and not late
            else conditions.FALSE,
            'NodesReady' if not late else 'NodesNotReady',
            _('%(ready)d of %(wanted)d nodes Ready') % {
                'ready': len(ready), 'wanted': wanted})
        masters_ready = [n for n in ready if n.is_master]
        conditions.set_condition(
            cluster, conditions.CONTROL_PLANE_READY,
            conditions.TRUE if manager is not None and masters_ready
            else conditions.FALSE,
            'ManagersReady' if masters_ready else 'ManagersNotReady',
            _('%d manager(s) Ready') % len(masters_ready))
        if problems:
            cluster.status_reason = '; '.join(problems)
            cluster.save()
            return
        if cluster.status == STATUS.UPDATE_IN_PROGRESS:
            work.clear_rotation_marks(running)
        cluster_status.complete(
            work.context, cluster,
            _('All %d nodes are Ready in the swarm') % len(ready))
        with _upgrade_lock:
            _upgrade_batches.pop(cluster.uuid, None)

    @staticmethod
    def _answers(node, credentials):
        client = swarm.try_connect(node, credentials)
        if client is None:
            return False
        client.close()
        return True

    def resume_operation(self, context, cluster, operation):
        LOG.info('Cluster %s: resuming the interrupted %s', cluster.uuid,
                 operation)
        try:
            if operation == 'delete':
                with self._work(context, cluster) as work:
                    work.delete_everything()
            elif operation in CONVERGING:
                if operation == 'create':
                    self._ensure_certificates(context, cluster)
                with self._work(context, cluster) as work:
                    work.converge()
            elif operation == ROTATE_OPERATION:
                self._resume_rotation(context, cluster)
            elif operation != 'upgrade':
                return False
        except Exception as error:
            if cluster.status in FAILED:
                name = _('The CA rotation') if \
                    operation == ROTATE_OPERATION else operation.capitalize()
                self._fail(context, cluster, _(
                    '%(operation)s was interrupted and could not be '
                    'finished: %(error)s') % {
                        'operation': name, 'error': error})
        return True

    def get_monitor(self, context, cluster):
        return monitor_module.LocalSwarmMonitor(
            context, cluster, self._engine_factory())
