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

"""The labels the Heat Kubernetes drivers read, with their defaults.

Labels are strings (the API stores them so); ``resolve`` turns the ones
this module knows into typed values and refuses a bad one with a 400
naming it. Labels it does not know are kept on the cluster and ignored
(other tools, e.g. an external auto-healer, read labels of their own).
Every label here is documented in doc/source/admin/heat-kubernetes.rst;
``tests/unit/drivers/heat_k8s`` checks that the doc names each of them.
"""

import dataclasses
import ipaddress
import re

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF

_TRUE = ('true', '1', 'yes', 'on', 'y', 't')
_FALSE = ('false', '0', 'no', 'off', 'n', 'f', '')

KUBE_TAG_PATTERN = re.compile(r'^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$')
# An image tag (docker reference grammar) or release tag.
TAG_PATTERN = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')
NETWORK_DRIVERS = ('flannel', 'calico')
CONTAINER_RUNTIMES = ('containerd',)


def _bad(name, value, expected):
    return exception.InvalidParameterValue(
        err=_('label %(name)s=%(value)r is not valid: %(expected)s') % {
            'name': name, 'value': value, 'expected': expected})


def _boolean(name, value):
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _bad(name, value, _('expected true or false'))


def _size(name, value):
    try:
        size = int(str(value).strip() or 0)
    except ValueError:
        raise _bad(name, value, _('expected a size in GB (0 or more)')
                   ) from None
    if size < 0:
        raise _bad(name, value, _('expected a size in GB (0 or more)'))
    return size


def _count(name, value):
    if str(value).strip() == '':
        return None
    try:
        count = int(value)
    except ValueError:
        raise _bad(name, value, _('expected a node count')) from None
    if count < 0:
        raise _bad(name, value, _('expected a node count (0 or more)'))
    return count


def _text(name, value):
    return str(value).strip()


def _kube_tag(name, value):
    value = str(value).strip()
    if not KUBE_TAG_PATTERN.match(value):
        raise _bad(name, value, _('expected a Kubernetes release such as '
                                  'v1.30.5'))
    return value


def _tag(name, value):
    value = str(value).strip()
    if not TAG_PATTERN.match(value):
        raise _bad(name, value, _('expected an image or release tag'))
    return value


def _one_of(choices):
    def parse(name, value):
        value = str(value).strip()
        if value not in choices:
            raise _bad(name, value, _('expected one of %s') %
                       ', '.join(choices))
        return value
    return parse


def _cidr(name, value):
    try:
        network = ipaddress.ip_network(str(value).strip())
    except ValueError:
        raise _bad(name, value, _('expected an IPv4 network such as '
                                  '10.0.0.0/24')) from None
    if network.version != 4 or network.prefixlen > 28:
        raise _bad(name, value, _('expected an IPv4 network of 16 '
                                  'addresses or more'))
    return str(network)


@dataclasses.dataclass(frozen=True)
class Label:
    name: str
    parse: object
    default: object
    help: str


def _conf_default(group, option):
    return lambda: getattr(getattr(CONF, group), option)


LABELS = [
    Label('kube_tag', _kube_tag, 'v1.30.5',
          'Kubernetes release of every component.'),
    Label('container_runtime', _one_of(CONTAINER_RUNTIMES), 'containerd',
          'Container runtime of the nodes.'),
    Label('etcd_tag', _tag, '3.5.15-0', 'Tag of the etcd image the masters '
          'run.'),
    Label('coredns_tag', _tag, 'v1.11.3', 'Release of CoreDNS, the '
          'cluster\'s DNS.'),
    Label('flannel_tag', _tag, 'v0.25.6', 'flannel release (network_driver '
          'flannel).'),
    Label('calico_tag', _tag, 'v3.28.1', 'Calico release (network_driver '
          'calico).'),
    Label('pods_network_cidr', _cidr, '10.100.0.0/16',
          'Addresses of the pods.'),
    Label('service_cluster_ip_range', _cidr, '10.254.0.0/16',
          'Addresses of the services.'),
    Label('fixed_subnet_cidr', _cidr, '10.0.0.0/24',
          'Subnet of the nodes; masters and the load balancer take fixed '
          'addresses in it.'),
    Label('etcd_volume_size', _size, 0,
          'Size in GB of a Cinder volume for etcd on each master (VMs '
          'only); 0 keeps etcd on the boot disk.'),
    Label('etcd_volume_type', _text,
          _conf_default('cinder', 'default_etcd_volume_type'),
          'Cinder volume type of the etcd volumes.'),
    Label('docker_volume_type', _text,
          _conf_default('cinder', 'default_docker_volume_type'),
          'Cinder volume type of the container runtime volumes '
          '(docker_volume_size).'),
    Label('boot_volume_size', _size,
          _conf_default('cinder', 'default_boot_volume_size'),
          'Size in GB of a Cinder boot volume (VMs only); 0 boots from '
          'the flavor\'s disk.'),
    Label('boot_volume_type', _text,
          _conf_default('cinder', 'default_boot_volume_type'),
          'Cinder volume type of the boot volumes.'),
    Label('availability_zone', _text, '',
          'Nova availability zone of the nodes (and of their volumes).'),
    Label('master_lb_floating_ip_enabled', _boolean, None,
          'A floating IP on the API load balancer; default: the '
          'cluster\'s floating_ip_enabled.'),
    Label('cloud_provider_enabled', _boolean, False,
          'Run the OpenStack cloud controller manager (needs the cluster\'s '
          'application credential).'),
    Label('auto_healing_enabled', _boolean, False,
          'Run magnum-auto-healer, which replaces nodes that stay '
          'NotReady.'),
    Label('auto_healing_controller', _one_of(('magnum-auto-healer',)),
          'magnum-auto-healer', 'Which auto-healer runs.'),
    Label('auto_scaling_enabled', _boolean, False,
          'Run the cluster autoscaler between min_node_count and '
          'max_node_count.'),
    Label('min_node_count', _count, None,
          'Fewest workers the autoscaler keeps (default 0).'),
    Label('max_node_count', _count, None,
          'Most workers the autoscaler makes; required with '
          'auto_scaling_enabled.'),
    Label('kube_dashboard_enabled', _boolean, False,
          'Install the Kubernetes dashboard.'),
    Label('kube_dashboard_version', _tag, 'v2.7.0',
          'Release of the dashboard.'),
]

BY_NAME = {label.name: label for label in LABELS}


def resolve(labels):
    """The known labels of ``labels`` (a dict of strings) as typed values,
    with defaults for the missing ones; 400 naming a bad label."""
    labels = labels or {}
    values = {}
    for label in LABELS:
        if label.name in labels and labels[label.name] is not None:
            values[label.name] = label.parse(label.name,
                                             labels[label.name])
        else:
            default = label.default
            values[label.name] = default() if callable(default) else default
    _check_together(values)
    return values


def _check_together(values):
    if values['auto_scaling_enabled'] and values['max_node_count'] is None:
        raise exception.InvalidParameterValue(
            err=_('label auto_scaling_enabled needs max_node_count: the '
                  'autoscaler must know how far it may grow the cluster'))
    low, high = values['min_node_count'], values['max_node_count']
    if low is not None and high is not None and low > high:
        raise exception.InvalidParameterValue(
            err=_('label min_node_count=%(low)d is more than '
                  'max_node_count=%(high)d') % {'low': low, 'high': high})
    networks = {name: ipaddress.ip_network(values[name]) for name in (
        'pods_network_cidr', 'service_cluster_ip_range',
        'fixed_subnet_cidr')}
    names = sorted(networks)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if networks[first].overlaps(networks[second]):
                raise exception.InvalidParameterValue(
                    err=_('labels %(a)s=%(va)s and %(b)s=%(vb)s overlap: '
                          'nodes, pods and services need separate '
                          'addresses') % {
                              'a': first, 'va': values[first],
                              'b': second, 'vb': values[second]})
