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

"""What a Kubernetes node boots with, independent of its OS.

``build`` gathers a node's files (certificates, kubeconfigs, the kubelet's
configuration, the control plane's static pods, add-on manifests, the
set-up script and its environment) and systemd units into a
:class:`NodeConfig`; ``ignition`` and ``cloudconfig`` render it for Fedora
CoreOS and Ubuntu. One configuration serves every node of a nodegroup
(a Heat resource group gives all its members the same user data).

Two placeholders are left for the HOT templates to fill per node with
``str_replace``: ``__MAGNUM_RUNTIME_VOLUME_ID__`` and
``__MAGNUM_ETCD_VOLUME_ID__``, the ids of the node's Cinder volumes
(empty when it has none).
"""

import dataclasses
import os
import shlex

import yaml

from magnum.common import exception
from magnum.drivers.heat.kubernetes import node_labels
from magnum.drivers.heat.kubernetes import pki
from magnum.i18n import _

SCRIPT_SOURCE = os.path.join(os.path.dirname(__file__), 'scripts',
                             'configure-kubernetes.sh')
SCRIPT_PATH = '/usr/local/bin/magnum-configure-kubernetes'
ENV_PATH = '/etc/magnum/kubernetes.env'
KUBELET_ENV = '/etc/kubernetes/kubelet.env'
KUBELET_CONFIG = '/etc/kubernetes/kubelet-config.yaml'
#: The proxies (``proxy.Proxy``), for the set-up script and containerd.
PROXY_ENV = '/etc/magnum/proxy.env'
CONTAINERD_PROXY = ('/etc/systemd/system/containerd.service.d/'
                    '10-magnum-proxy.conf')
SETUP_UNIT = 'magnum-configure-kubernetes.service'
# Only unreserved URL characters, so that they survive the percent-encoding
# of Ignition's data URLs.
RUNTIME_VOLUME = '__MAGNUM_RUNTIME_VOLUME_ID__'
ETCD_VOLUME = '__MAGNUM_ETCD_VOLUME_ID__'
PLACEHOLDERS = (RUNTIME_VOLUME, ETCD_VOLUME)

KUBE_RELEASE_URL = 'https://dl.k8s.io/release'
CNI_PLUGINS_URL = ('https://github.com/containernetworking/plugins/releases/'
                   'download/v1.5.1/cni-plugins-linux-@ARCH@-v1.5.1.tgz')
REGISTRY = 'registry.k8s.io'
CLUSTER_DOMAIN = 'cluster.local'
MASTER_TAINT = {'key': 'node-role.kubernetes.io/control-plane',
                'value': '', 'effect': 'NoSchedule'}

MASTER = 'master'
WORKER = 'worker'
#: The Kubernetes API's port on masters and load balancer.
API_PORT = 6443


@dataclasses.dataclass(frozen=True)
class File:
    path: str
    content: str
    mode: int = 0o644


@dataclasses.dataclass(frozen=True)
class Unit:
    name: str
    content: str
    enabled: bool = True


@dataclasses.dataclass
class NodeConfig:
    """Files and systemd units of a node, and the command that sets it up
    at first boot (the same on every OS)."""

    files: list
    units: list
    command: str = SCRIPT_PATH

    def file(self, path):
        for entry in self.files:
            if entry.path == path:
                return entry
        raise KeyError(path)

    def scripts(self):
        """{path: content} of every shell script among the files."""
        return {f.path: f.content for f in self.files
                if f.content.startswith('#!/bin/')}


@dataclasses.dataclass(frozen=True)
class ClusterFacts:
    """What the boot configuration needs to know of the cluster."""

    name: str
    labels: dict            # labels.resolve() of the nodegroup's labels
    master_count: int
    network_driver: str = 'flannel'
    cloud_config: str = ''  # OpenStack cloud-config for in-cluster add-ons
    insecure_registry: str = ''
    proxy: object = None    # proxy.Proxy, or None when there is none


def _env_file(values, reader=SCRIPT_PATH):
    lines = ['# Written by Magnum; read by %s.' % reader,
             '# shellcheck disable=SC2034  # used by the script sourcing it']
    for key in sorted(values):
        lines.append('%s=%s' % (key, shlex.quote(str(values[key]))))
    return '\n'.join(lines) + '\n'


def _proxy_files(proxy):
    """The proxy environment (shell and systemd read the same file) and
    containerd's drop-in that gives it to every image pull."""
    if proxy is None:
        return []
    dropin = '\n'.join([
        '# Written by Magnum: image pulls go through the template\'s '
        'proxies.',
        '[Service]',
        'EnvironmentFile=%s' % PROXY_ENV,
        ''])
    # Root's only: a proxy URL may carry a user and password.
    return [File(PROXY_ENV, _env_file(
        proxy.environment(), '%s and containerd' % SCRIPT_PATH), 0o600),
        File(CONTAINERD_PROXY, dropin)]


def _kubeconfig(server, user, cert, key):
    document = {
        'apiVersion': 'v1', 'kind': 'Config',
        'clusters': [{'name': 'kubernetes', 'cluster': {
            'server': server,
            'certificate-authority': '%s/ca.crt' % pki.PKI}}],
        'users': [{'name': user, 'user': {
            'client-certificate': cert, 'client-key': key}}],
        'contexts': [{'name': 'default', 'context': {
            'cluster': 'kubernetes', 'user': user}}],
        'current-context': 'default',
    }
    return yaml.safe_dump(document, default_flow_style=False)


def _kubelet_config(addresses):
    document = {
        'apiVersion': 'kubelet.config.k8s.io/v1beta1',
        'kind': 'KubeletConfiguration',
        'authentication': {
            'anonymous': {'enabled': False},
            'webhook': {'enabled': True},
            'x509': {'clientCAFile': '%s/ca.crt' % pki.PKI}},
        'authorization': {'mode': 'Webhook'},
        'cgroupDriver': 'systemd',
        'clusterDNS': [addresses.dns_service],
        'clusterDomain': CLUSTER_DOMAIN,
        'containerRuntimeEndpoint':
            'unix:///run/containerd/containerd.sock',
        'staticPodPath': '/etc/kubernetes/manifests',
        'rotateCertificates': False,
        'serverTLSBootstrap': False,
    }
    return yaml.safe_dump(document, default_flow_style=False)


def _kubelet_args(role, nodegroup, taints, member):
    args = ['--config=%s' % KUBELET_CONFIG,
            '--kubeconfig=/etc/kubernetes/kubelet.conf',
            '--hostname-override=%s' % member.name,
            '--node-ip=%s' % member.address,
            # The nodegroup's own role (gpu, batch...): what a
            # nodeSelector picks a nodegroup's nodes by.
            '--node-labels=%s' % node_labels.kubelet_node_labels(
                nodegroup.get('node_labels'), nodegroup['name'],
                nodegroup.get('role') or role)]
    rendered = node_labels.kubelet_taints(taints)
    if rendered:
        args.append('--register-with-taints=%s' % rendered)
    return ' '.join(args)


def _static_pod(name, image, command, volumes, extra=None):
    mounts = [{'name': 'v%d' % i, 'mountPath': path, 'readOnly': ro}
              for i, (path, ro) in enumerate(volumes)]
    host_paths = [{'name': 'v%d' % i,
                   'hostPath': {'path': path, 'type': 'DirectoryOrCreate'}}
                  for i, (path, _ro) in enumerate(volumes)]
    container = {'name': name, 'image': image, 'command': command,
                 'volumeMounts': mounts}
    container.update(extra or {})
    document = {
        'apiVersion': 'v1', 'kind': 'Pod',
        'metadata': {'name': name, 'namespace': 'kube-system',
                     'labels': {'component': name, 'tier': 'control-plane'}},
        'spec': {'hostNetwork': True,
                 'priorityClassName': 'system-node-critical',
                 'containers': [container], 'volumes': host_paths},
    }
    return yaml.safe_dump(document, default_flow_style=False)


def _etcd_name(address):
    return 'etcd-%s' % address.replace('.', '-')


def _kube_proxy(facts, member):
    """kube-proxy as a static pod on every node: services' addresses
    (the API's and cluster DNS' included) work from the first boot."""
    return _static_pod(
        'kube-proxy', '%s/kube-proxy:%s' % (REGISTRY,
                                            facts.labels['kube_tag']), [
            'kube-proxy', '--kubeconfig=/etc/kubernetes/kube-proxy.conf',
            '--cluster-cidr=%s' % facts.labels['pods_network_cidr'],
            '--hostname-override=%s' % member.name],
        [('/etc/kubernetes', True), ('/lib/modules', True),
         ('/run/xtables.lock', False)],
        extra={'securityContext': {'privileged': True}})


def _coredns(facts, addresses):
    """Cluster DNS (CoreDNS) at the service address the kubelets give
    pods."""
    name = 'coredns'
    labels = {'k8s-app': 'kube-dns'}
    corefile = '\n'.join([
        '.:53 {', '    errors', '    health', '    ready',
        '    kubernetes %s in-addr.arpa ip6.arpa {' % CLUSTER_DOMAIN,
        '        pods insecure', '        fallthrough in-addr.arpa ip6.arpa',
        '    }', '    forward . /etc/resolv.conf', '    cache 30',
        '    loop', '    reload', '}', ''])
    documents = [
        {'apiVersion': 'v1', 'kind': 'ServiceAccount',
         'metadata': {'name': name, 'namespace': 'kube-system'}},
        {'apiVersion': 'rbac.authorization.k8s.io/v1', 'kind': 'ClusterRole',
         'metadata': {'name': 'system:coredns'},
         'rules': [
             {'apiGroups': [''], 'resources': ['endpoints', 'services',
                                               'pods', 'namespaces'],
              'verbs': ['list', 'watch']},
             {'apiGroups': ['discovery.k8s.io'],
              'resources': ['endpointslices'], 'verbs': ['list', 'watch']}]},
        {'apiVersion': 'rbac.authorization.k8s.io/v1',
         'kind': 'ClusterRoleBinding', 'metadata': {'name': 'system:coredns'},
         'roleRef': {'apiGroup': 'rbac.authorization.k8s.io',
                     'kind': 'ClusterRole', 'name': 'system:coredns'},
         'subjects': [{'kind': 'ServiceAccount', 'name': name,
                       'namespace': 'kube-system'}]},
        {'apiVersion': 'v1', 'kind': 'ConfigMap',
         'metadata': {'name': name, 'namespace': 'kube-system'},
         'data': {'Corefile': corefile}},
        {'apiVersion': 'apps/v1', 'kind': 'Deployment',
         'metadata': {'name': name, 'namespace': 'kube-system',
                      'labels': labels},
         'spec': {'replicas': 2, 'selector': {'matchLabels': labels},
                  'template': {'metadata': {'labels': labels}, 'spec': {
                      'serviceAccountName': name,
                      'priorityClassName': 'system-cluster-critical',
                      'tolerations': [{'key': MASTER_TAINT['key'],
                                       'effect': 'NoSchedule'}],
                      'containers': [{
                          'name': name,
                          'image': '%s/coredns/coredns:%s' % (
                              REGISTRY, facts.labels['coredns_tag']),
                          'args': ['-conf', '/etc/coredns/Corefile'],
                          'ports': [{'containerPort': 53, 'protocol': p,
                                     'name': 'dns-%s' % p.lower()}
                                    for p in ('UDP', 'TCP')],
                          'volumeMounts': [{'name': 'config',
                                            'mountPath': '/etc/coredns'}]}],
                      'volumes': [{'name': 'config', 'configMap': {
                          'name': name}}]}}}},
        {'apiVersion': 'v1', 'kind': 'Service',
         'metadata': {'name': 'kube-dns', 'namespace': 'kube-system',
                      'labels': labels},
         'spec': {'selector': labels, 'clusterIP': addresses.dns_service,
                  'ports': [{'name': 'dns-%s' % p.lower(), 'port': 53,
                             'protocol': p} for p in ('UDP', 'TCP')]}},
    ]
    return yaml.safe_dump_all(documents, default_flow_style=False)


def _manifests(facts, addresses, member):
    labels = facts.labels
    tag = labels['kube_tag']
    p = pki.PKI
    ip = member.address
    etcd_members = ','.join('%s=https://%s:2380' % (_etcd_name(address),
                                                   address)
                            for address in addresses.masters)
    etcd_endpoints = ','.join('https://%s:2379' % address
                              for address in addresses.masters)
    etcd = _static_pod('etcd', '%s/etcd:%s' % (REGISTRY, labels['etcd_tag']), [
        'etcd', '--name=%s' % _etcd_name(ip), '--data-dir=/var/lib/etcd',
        '--listen-client-urls=https://127.0.0.1:2379,https://%s:2379' % ip,
        '--advertise-client-urls=https://%s:2379' % ip,
        '--listen-peer-urls=https://%s:2380' % ip,
        '--initial-advertise-peer-urls=https://%s:2380' % ip,
        '--initial-cluster=%s' % etcd_members,
        '--initial-cluster-state=new',
        '--cert-file=%s/etcd/server.crt' % p,
        '--key-file=%s/etcd/server.key' % p,
        '--trusted-ca-file=%s/etcd/ca.crt' % p, '--client-cert-auth=true',
        '--peer-cert-file=%s/etcd/server.crt' % p,
        '--peer-key-file=%s/etcd/server.key' % p,
        '--peer-trusted-ca-file=%s/etcd/ca.crt' % p,
        '--peer-client-cert-auth=true'],
        [('/var/lib/etcd', False), ('%s/etcd' % p, True)])
    apiserver = _static_pod(
        'kube-apiserver', '%s/kube-apiserver:%s' % (REGISTRY, tag), [
            'kube-apiserver', '--advertise-address=%s' % ip,
            '--secure-port=%d' % API_PORT,
            '--authorization-mode=Node,RBAC',
            '--enable-admission-plugins=NodeRestriction',
            '--client-ca-file=%s/ca.crt' % p,
            '--tls-cert-file=%s/apiserver.crt' % p,
            '--tls-private-key-file=%s/apiserver.key' % p,
            '--kubelet-client-certificate=%s/apiserver-kubelet-client.crt'
            % p,
            '--kubelet-client-key=%s/apiserver-kubelet-client.key' % p,
            '--etcd-servers=%s' % etcd_endpoints,
            '--etcd-cafile=%s/etcd/ca.crt' % p,
            '--etcd-certfile=%s/apiserver-etcd-client.crt' % p,
            '--etcd-keyfile=%s/apiserver-etcd-client.key' % p,
            '--service-cluster-ip-range=%s' %
            labels['service_cluster_ip_range'],
            '--service-account-key-file=%s/sa.pub' % p,
            '--service-account-signing-key-file=%s/sa.key' % p,
            '--service-account-issuer=https://kubernetes.default.svc.%s'
            % CLUSTER_DOMAIN,
            '--requestheader-client-ca-file=%s/front-proxy-ca.crt' % p,
            '--proxy-client-cert-file=%s/front-proxy-client.crt' % p,
            '--proxy-client-key-file=%s/front-proxy-client.key' % p,
            '--requestheader-allowed-names=front-proxy-client',
            '--requestheader-username-headers=X-Remote-User',
            '--requestheader-group-headers=X-Remote-Group',
            '--requestheader-extra-headers-prefix=X-Remote-Extra-'],
        [(p, True)])
    controller = _static_pod(
        'kube-controller-manager',
        '%s/kube-controller-manager:%s' % (REGISTRY, tag), [
            'kube-controller-manager',
            '--kubeconfig=/etc/kubernetes/controller-manager.conf',
            '--authentication-kubeconfig='
            '/etc/kubernetes/controller-manager.conf',
            '--authorization-kubeconfig='
            '/etc/kubernetes/controller-manager.conf',
            '--root-ca-file=%s/ca.crt' % p,
            '--service-account-private-key-file=%s/sa.key' % p,
            '--use-service-account-credentials=true',
            '--allocate-node-cidrs=true',
            '--cluster-cidr=%s' % labels['pods_network_cidr'],
            '--service-cluster-ip-range=%s' %
            labels['service_cluster_ip_range'],
            # No CA key on the nodes: nothing here signs certificates.
            '--controllers=*,-csrsigning',
            '--leader-elect=true'],
        [('/etc/kubernetes', True)])
    scheduler = _static_pod(
        'kube-scheduler', '%s/kube-scheduler:%s' % (REGISTRY, tag), [
            'kube-scheduler', '--kubeconfig=/etc/kubernetes/scheduler.conf',
            '--leader-elect=true'],
        [('/etc/kubernetes', True)])
    return {'etcd.yaml': etcd, 'kube-apiserver.yaml': apiserver,
            'kube-controller-manager.yaml': controller,
            'kube-scheduler.yaml': scheduler}


def _cloud_secret(facts):
    return {'apiVersion': 'v1', 'kind': 'Secret',
            'metadata': {'name': 'magnum-cloud-config',
                         'namespace': 'kube-system'},
            'stringData': {'cloud.conf': facts.cloud_config}}


def _deployment(name, image, args, service_account):
    return {
        'apiVersion': 'apps/v1', 'kind': 'Deployment',
        'metadata': {'name': name, 'namespace': 'kube-system'},
        'spec': {'replicas': 1,
                 'selector': {'matchLabels': {'app': name}},
                 'template': {
                     'metadata': {'labels': {'app': name}},
                     'spec': {
                         'serviceAccountName': service_account,
                         'nodeSelector': {
                             'magnum.openstack.org/role': MASTER},
                         'tolerations': [{'key': MASTER_TAINT['key'],
                                          'effect': 'NoSchedule'}],
                         'containers': [{
                             'name': name, 'image': image, 'args': args,
                             'volumeMounts': [{
                                 'name': 'cloud-config',
                                 'mountPath': '/etc/magnum-cloud',
                                 'readOnly': True}]}],
                         'volumes': [{'name': 'cloud-config', 'secret': {
                             'secretName': 'magnum-cloud-config'}}]}}}}


def _admin_service_account(name):
    return [
        {'apiVersion': 'v1', 'kind': 'ServiceAccount',
         'metadata': {'name': name, 'namespace': 'kube-system'}},
        {'apiVersion': 'rbac.authorization.k8s.io/v1',
         'kind': 'ClusterRoleBinding', 'metadata': {'name': name},
         'roleRef': {'apiGroup': 'rbac.authorization.k8s.io',
                     'kind': 'ClusterRole', 'name': 'cluster-admin'},
         'subjects': [{'kind': 'ServiceAccount', 'name': name,
                       'namespace': 'kube-system'}]}]


def _cloud_addons(facts, cluster_uuid):
    """Manifests of the add-ons that talk to OpenStack, by label."""
    labels = facts.labels
    wanted = [name for name in ('cloud_provider_enabled',
                                'auto_healing_enabled',
                                'auto_scaling_enabled') if labels[name]]
    if not wanted:
        return {}
    if not facts.cloud_config:
        raise exception.InvalidParameterValue(
            err=_('labels %s need the cluster\'s OpenStack credentials, '
                  'which this cluster has none of') % ', '.join(wanted))
    minor = '.'.join(labels['kube_tag'].lstrip('v').split('.')[:2])
    documents = [_cloud_secret(facts)]
    if labels['cloud_provider_enabled']:
        documents += _admin_service_account('cloud-controller-manager')
        documents.append(_deployment(
            'openstack-cloud-controller-manager',
            '%s/provider-os/openstack-cloud-controller-manager:v%s.0' % (
                REGISTRY, minor),
            ['/bin/openstack-cloud-controller-manager',
             '--cloud-config=/etc/magnum-cloud/cloud.conf',
             '--cloud-provider=openstack', '--use-service-account-'
             'credentials=false', '--bind-address=127.0.0.1'],
            'cloud-controller-manager'))
    if labels['auto_healing_enabled']:
        documents += _admin_service_account('magnum-auto-healer')
        documents.append(_deployment(
            'magnum-auto-healer',
            '%s/provider-os/magnum-auto-healer:v%s.0' % (REGISTRY, minor),
            ['--cloud-config=/etc/magnum-cloud/cloud.conf',
             '--cluster-name=%s' % cluster_uuid, '--leader-elect=true'],
            'magnum-auto-healer'))
    if labels['auto_scaling_enabled']:
        documents += _admin_service_account('cluster-autoscaler')
        documents.append(_deployment(
            'cluster-autoscaler',
            '%s/autoscaling/cluster-autoscaler:v%s.0' % (REGISTRY, minor),
            ['--cloud-provider=magnum',
             '--cloud-config=/etc/magnum-cloud/cloud.conf',
             '--cluster-name=%s' % cluster_uuid,
             '--nodes=%d:%d:default-worker' % (
                 labels['min_node_count'] or 0, labels['max_node_count'])],
            'cluster-autoscaler'))
    return {'/etc/magnum/addons/20-openstack.yaml': yaml.safe_dump_all(
        documents, default_flow_style=False)}


def _addon_urls(facts):
    labels = facts.labels
    urls = []
    if facts.network_driver == 'calico':
        urls.append('https://raw.githubusercontent.com/projectcalico/calico/'
                    '%s/manifests/calico.yaml' % labels['calico_tag'])
    else:
        urls.append('https://github.com/flannel-io/flannel/releases/'
                    'download/%s/kube-flannel.yml' % labels['flannel_tag'])
    if labels['kube_dashboard_enabled']:
        urls.append('https://raw.githubusercontent.com/kubernetes/dashboard/'
                    '%s/aio/deploy/recommended.yaml' %
                    labels['kube_dashboard_version'])
    return urls


def _units(role):
    setup = '\n'.join([
        '[Unit]',
        'Description=Magnum: set up this Kubernetes %s' % role,
        'Wants=network-online.target',
        'After=network-online.target',
        'ConditionPathExists=!/var/lib/magnum/configured',
        '',
        '[Service]',
        'Type=oneshot',
        'RemainAfterExit=yes',
        'ExecStart=%s' % SCRIPT_PATH,
        'ExecStartPost=/usr/bin/touch /var/lib/magnum/configured',
        'StateDirectory=magnum',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        ''])
    kubelet = '\n'.join([
        '[Unit]',
        'Description=Kubernetes kubelet',
        'After=containerd.service',
        'Requires=containerd.service',
        '',
        '[Service]',
        'EnvironmentFile=%s' % KUBELET_ENV,
        'ExecStart=/usr/local/bin/kubelet $KUBELET_ARGS',
        'Restart=always',
        'RestartSec=5',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        ''])
    return [Unit(SETUP_UNIT, setup), Unit('kubelet.service', kubelet,
                                          enabled=False)]


@dataclasses.dataclass(frozen=True)
class Member:
    """One node: its Kubernetes (and server) name and fixed address, and
    whether it is the master that applies the cluster's add-ons."""

    name: str
    address: str
    first_master: bool = False


def build(role, facts, nodegroup, member, issuer, addresses, api_host,
          cluster_uuid, service_account=None):
    """The :class:`NodeConfig` of one node of ``nodegroup`` (a dict with
    name, node_labels, node_taints and its role, the node's
    ``magnum.openstack.org/role`` label), role master or worker.

    ``api_host`` is where workers' kubelets reach the API (the load
    balancer's VIP, else the first master); ``service_account`` the
    masters' shared key pair (``pki.service_account_files``).
    """
    labels = facts.labels
    api_port = API_PORT
    files = []
    if role == MASTER:
        pems = pki.master_files(issuer, member.name, member.address,
                                addresses)
        pems.update(service_account or pki.service_account_files())
        taints = [MASTER_TAINT]
    else:
        pems = pki.worker_files(issuer, member.name)
        taints = list(nodegroup.get('node_taints') or [])
    private = set(pki.private_paths(pems))
    for path in sorted(pems):
        files.append(File(path, pems[path],
                          0o600 if path in private else 0o644))
    server = 'https://%s:%d' % (api_host, api_port)
    local = 'https://127.0.0.1:%d' % api_port
    files.append(File('/etc/kubernetes/kubelet.conf', _kubeconfig(
        local if role == MASTER else server, 'kubelet',
        '%s/kubelet-client.crt' % pki.PKI,
        '%s/kubelet-client.key' % pki.PKI), 0o600))
    files.append(File(KUBELET_CONFIG, _kubelet_config(addresses)))
    files.append(File('/etc/kubernetes/kube-proxy.conf', _kubeconfig(
        local if role == MASTER else server, 'kube-proxy',
        '%s/kube-proxy.crt' % pki.PKI, '%s/kube-proxy.key' % pki.PKI),
        0o600))
    files.append(File('/etc/kubernetes/manifests/kube-proxy.yaml',
                      _kube_proxy(facts, member), 0o600))
    files.append(File(KUBELET_ENV, _env_file({
        'KUBELET_ARGS': _kubelet_args(role, nodegroup, taints, member)})))
    files.extend(_proxy_files(facts.proxy))
    if role == MASTER:
        for name in ('controller-manager', 'scheduler', 'addons'):
            files.append(File('/etc/kubernetes/%s.conf' % name, _kubeconfig(
                local, name, '%s/%s.crt' % (pki.PKI, name),
                '%s/%s.key' % (pki.PKI, name)), 0o600))
        for name, manifest in sorted(_manifests(facts, addresses,
                                                member).items()):
            files.append(File('/etc/kubernetes/manifests/%s' % name,
                              manifest, 0o600))
        if member.first_master:
            files.append(File('/etc/magnum/addons/10-coredns.yaml',
                              _coredns(facts, addresses)))
            for path, content in sorted(_cloud_addons(
                    facts, cluster_uuid).items()):
                files.append(File(path, content, 0o600))
    env = {
        'ROLE': role,
        'NODE_NAME': member.name,
        'NODE_IP': member.address,
        'FIRST_MASTER': 'true' if member.first_master else 'false',
        'CLUSTER_NAME': facts.name,
        'NODEGROUP': nodegroup['name'],
        'KUBE_TAG': labels['kube_tag'],
        'KUBE_RELEASE_URL': KUBE_RELEASE_URL,
        'CNI_PLUGINS_URL': CNI_PLUGINS_URL,
        'CONTAINER_RUNTIME': labels['container_runtime'],
        'API_PORT': api_port,
        'RUNTIME_VOLUME': RUNTIME_VOLUME,
        'ETCD_VOLUME': ETCD_VOLUME if role == MASTER else '',
        'PROXY_ENV': PROXY_ENV if facts.proxy is not None else '',
        'ADDON_URLS': ','.join(_addon_urls(facts))
        if member.first_master else '',
    }
    files.append(File(ENV_PATH, _env_file(env)))
    with open(SCRIPT_SOURCE) as handle:
        files.append(File(SCRIPT_PATH, handle.read(), 0o755))
    return NodeConfig(files=files, units=_units(role))
