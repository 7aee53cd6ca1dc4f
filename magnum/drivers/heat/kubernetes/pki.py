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

"""The certificates a Kubernetes node boots with.

Magnum signs every certificate a node needs before the stack is built,
with the cluster's CAs, in the conductor; nodes never receive a CA's
private key. So nothing on a node can sign: the control plane's serving
certificates name every address the masters will have (they are planned,
see ``addresses``), and the kubelets of one nodegroup share one client
certificate (their node names are not known before Nova names them),
authorised through RBAC by the group ``magnum:nodes`` rather than by
Kubernetes' per-node Node authorizer.
"""

import dataclasses
import ipaddress

from cryptography.hazmat.primitives import serialization

from magnum.common import certificates
from magnum.common.x509 import operations

PKI = '/etc/kubernetes/pki'
NODES_GROUP = 'magnum:nodes'
SERVICE_DNS_NAMES = ('kubernetes', 'kubernetes.default',
                     'kubernetes.default.svc',
                     'kubernetes.default.svc.cluster.local', 'localhost')


@dataclasses.dataclass(frozen=True)
class Addresses:
    """Where the masters, the API load balancer and the cluster's
    services live: planned from the labels before anything exists."""

    masters: tuple
    lb_vip: str
    kubernetes_service: str
    dns_service: str

    @classmethod
    def plan(cls, fixed_subnet_cidr, service_cluster_ip_range,
             master_count):
        """Masters take .10, .11, ... of the nodes' subnet, the load
        balancer .9; the API service is the service range's first
        address and cluster DNS its tenth."""
        subnet = ipaddress.ip_network(fixed_subnet_cidr)
        services = ipaddress.ip_network(service_cluster_ip_range)
        masters = tuple(str(subnet.network_address + 10 + i)
                        for i in range(master_count))
        if ipaddress.ip_address(masters[-1]) >= subnet.broadcast_address:
            raise ValueError('subnet %s has no room for %d masters' % (
                subnet, master_count))
        return cls(masters=masters, lb_vip=str(subnet.network_address + 9),
                   kubernetes_service=str(services.network_address + 1),
                   dns_service=str(services.network_address + 10))


class Issuer:
    """Signs node certificates with a cluster's three CAs.

    ``cas`` maps a CA kind of ``magnum.common.certificates``
    (kubernetes, etcd, front_proxy) to (certificate PEM, key PEM).
    """

    def __init__(self, cas):
        self._cas = {kind: (operations.load_certificate(cert),
                            operations.load_private_key(key))
                     for kind, (cert, key) in cas.items()}
        self._pems = {kind: cert for kind, (cert, _key) in cas.items()}

    @classmethod
    def for_cluster(cls, context, cluster):
        return cls({kind: certificates.get_ca_key_pair(context, cluster,
                                                       kind)
                    for kind in certificates.CA_REF_FIELDS})

    def ca_pem(self, kind=certificates.CA_KUBERNETES):
        return self._pems[kind]

    def client(self, common_name, organization=None,
               kind=certificates.CA_KUBERNETES):
        ca_cert, ca_key = self._cas[kind]
        cert, key = operations.generate_client_certificate(
            ca_cert, ca_key, common_name, organization)
        return _pems(cert, key)

    def server(self, common_name, dns_names=(), ip_addresses=(),
               kind=certificates.CA_KUBERNETES):
        ca_cert, ca_key = self._cas[kind]
        cert, key = operations.generate_server_certificate(
            ca_cert, ca_key, common_name, dns_names, ip_addresses)
        return _pems(cert, key)


def _pems(cert, key):
    return (operations.certificate_to_pem(cert),
            operations.private_key_to_pem(key))


def _pair(files, name, issued):
    files['%s/%s.crt' % (PKI, name)] = issued[0]
    files['%s/%s.key' % (PKI, name)] = issued[1]


def _ca_files(issuer):
    return {
        '%s/ca.crt' % PKI: issuer.ca_pem(certificates.CA_KUBERNETES),
        '%s/etcd/ca.crt' % PKI: issuer.ca_pem(certificates.CA_ETCD),
        '%s/front-proxy-ca.crt' % PKI: issuer.ca_pem(
            certificates.CA_FRONT_PROXY),
    }


def kubelet_identity(nodegroup_name):
    """The common name the kubelets of a nodegroup share."""
    return ('magnum-nodegroup:%s' % nodegroup_name)[
        :operations.MAX_COMMON_NAME_LENGTH]


def master_files(issuer, addresses, nodegroup_name, extra_ips=()):
    """{path: PEM} for a master: CA certificates (no CA key), the API
    server's, etcd's and the front proxy's certificates, client
    certificates of the control plane's components and the kubelet,
    and the service-account signing key pair."""
    files = _ca_files(issuer)
    api_ips = ['127.0.0.1', addresses.kubernetes_service, addresses.lb_vip]
    api_ips += list(addresses.masters) + list(extra_ips)
    _pair(files, 'apiserver', issuer.server(
        'kube-apiserver', SERVICE_DNS_NAMES, api_ips))
    _pair(files, 'apiserver-kubelet-client', issuer.client(
        'kube-apiserver-kubelet-client', 'system:masters'))
    _pair(files, 'apiserver-etcd-client', issuer.client(
        'kube-apiserver-etcd-client', kind=certificates.CA_ETCD))
    _pair(files, 'front-proxy-client', issuer.client(
        'front-proxy-client', kind=certificates.CA_FRONT_PROXY))
    etcd_ips = ['127.0.0.1'] + list(addresses.masters)
    _pair(files, 'etcd/server', issuer.server(
        'etcd', ('localhost',), etcd_ips, kind=certificates.CA_ETCD))
    _pair(files, 'controller-manager', issuer.client(
        'system:kube-controller-manager'))
    _pair(files, 'scheduler', issuer.client('system:kube-scheduler'))
    # The masters apply the cluster's add-ons (network, RBAC bindings).
    _pair(files, 'addons', issuer.client('magnum-addons',
                                         'system:masters'))
    _pair(files, 'kubelet-client', issuer.client(
        kubelet_identity(nodegroup_name), NODES_GROUP))
    key = operations.generate_private_key()
    files['%s/sa.key' % PKI] = operations.private_key_to_pem(key)
    files['%s/sa.pub' % PKI] = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return files


def worker_files(issuer, nodegroup_name):
    """{path: PEM} for a worker: the cluster CA and its kubelet's client
    certificate."""
    files = {'%s/ca.crt' % PKI: issuer.ca_pem(certificates.CA_KUBERNETES)}
    _pair(files, 'kubelet-client', issuer.client(
        kubelet_identity(nodegroup_name), NODES_GROUP))
    return files


def private_paths(files):
    """The paths of ``files`` that hold private keys (mode 0600)."""
    return sorted(path for path in files if path.endswith('.key'))
