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

"""How a cluster is reached: its private network, the host port its API
is published on, the names its managers' certificates carry and the load
balancer in front of several managers."""

import ipaddress
import socket

from oslo_log import log as logging

from magnum import conf
from magnum.common import exception
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import nodes
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)


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


def is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def label_port(labels):
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


def ensure_network(work):
    """The cluster's bridge network, made when missing (idempotent)."""
    if work.engine.networks({nodes.LABEL_CLUSTER: work.cluster.uuid}):
        return
    work.at(_('creating network %s') % work.network)
    work.engine.create_network(work.network,
                               nodes.cluster_labels(work.cluster.uuid))


def certificate_names(work, node):
    """(DNS names, IP addresses) of the node's server certificate: a
    manager's names the load balancer and the cluster API's addresses
    too."""
    names, addresses = [], []
    if node.is_master:
        host = api_host()
        names = [nodes.lb_name(work.cluster.uuid)]
        if is_ip(host):
            addresses.append(host)
        else:
            names.append(host)
        published = CONF.local_driver.publish_address
        if published not in ('0.0.0.0', '::'):
            addresses.append(published)
    return nodes.node_sans(node, names, addresses)


def _port_choices(work, preferred):
    """Ports to try for the cluster API, best first; whether the port was
    asked for (label api_port)."""
    used = work.engine.used_ports()
    address = CONF.local_driver.publish_address
    explicit = label_port(work.cluster.labels)
    own = {n.published_port for n in work.observe() if n.published_port}
    if explicit in own:
        # A manager replaced without a load balancer (upgrade) cannot
        # take the port over while the old one runs: it gets another.
        LOG.info('Cluster %s: port %d (label api_port) is its old '
                 'manager\'s; the new one gets another', work.cluster.uuid,
                 explicit)
        explicit = None
    if explicit:
        if explicit in used or not work.engine.host_port_free(address,
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
    first, last = nodes.parse_port_range(CONF.local_driver.api_port_range)
    for port in nodes.port_candidates(first, last, used):
        if port not in choices and work.engine.host_port_free(address,
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


def run_published(work, run):
    """``run(ports)`` with the cluster API published on a free host port;
    the port used."""
    choices, explicit = _port_choices(
        work, nodes.port_of(work.cluster.api_address))
    address = CONF.local_driver.publish_address
    last = None
    for port in choices:
        try:
            run({'%d/tcp' % nodes.DOCKER_PORT: (address, port)})
            return port
        except engine_module.PortInUse as error:
            LOG.info('Cluster %s: port %d is taken (%s); trying another',
                     work.cluster.uuid, port, error)
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


def ensure_lb(work, masters, lb):
    """The load balancer in front of ``masters``: started, or told the
    current managers (idempotent). The LB's Node."""
    managers = [(m.name, m.address) for m in sorted(
        masters, key=lambda n: n.index)]
    if lb is not None and not lb.running:
        work.engine.remove_container(lb.container)
        lb = None
    if lb is not None:
        code, current = work.engine.exec(
            lb.container, ['cat', '%s/haproxy.cfg' % nodes.LB_DIR])
        if code == 0 and current.decode(errors='replace') == \
                nodes.haproxy_config(managers):
            return lb
        work.at(_('telling the load balancer the managers'))
        work.engine.put_archive(lb.container, '/',
                                nodes.lb_archive(managers))
        work.engine.signal(lb.container, 'SIGUSR2')
        return lb
    name = nodes.lb_name(work.cluster.uuid)
    work.at(_('starting the load balancer %s') % name)
    made = []
    options = dict(
        hostname=name, network=work.network,
        labels=nodes.labels_for(work.cluster, nodes.ROLE_LB,
                                image=work.template.image_id,
                                driver_name=work.driver_name),
        **nodes.resource_options(min(0.5, work.engine.cpu_count()),
                                 CONF.local_driver.lb_memory_mib))

    def run(ports):
        made.append(work.engine.run(work.template.image_id,
                                    nodes.lb_command(), name,
                                    ports=ports, **options))

    run_published(work, run)
    work.engine.put_archive(made[-1], '/', nodes.lb_archive(managers))
    return nodes.describe(made[-1], work.network)
