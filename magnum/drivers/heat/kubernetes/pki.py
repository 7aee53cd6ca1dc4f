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
private key, so nothing on a node signs (the controller manager's CSR
signer is off). This works because each node's name and fixed address
are chosen by Magnum before Heat creates it (see
``magnum.drivers.heat.template_definition``): every kubelet gets its own
``system:node:<name>`` client certificate (Kubernetes' Node authorizer
and NodeRestriction then confine it), and the control plane's serving
certificates name every master's address. Addresses the cloud chooses
(floating IPs, a VIP Octavia picks) are read from the stack before the
masters' certificates are signed: see
``magnum.drivers.heat.kubernetes.phases``.
"""

import dataclasses
import ipaddress

from cryptography.hazmat.primitives import serialization

from magnum.common import certificates
from magnum.common.x509 import operations

PKI = '/etc/kubernetes/pki'
NODES_GROUP = 'system:nodes'
SERVICE_DNS_NAMES = ('kubernetes', 'kubernetes.default',
                     'kubernetes.default.svc',
                     'kubernetes.default.svc.cluster.local', 'localhost')


@dataclasses.dataclass(frozen=True)
class Addresses:
    """Where the masters, the API load balancer and the cluster's
    services live, and the addresses clients outside the cluster reach
    the API at (``external``: the load balancer's and the masters'
    floating IPs), all known before the masters' certificates are
    signed."""

    masters: tuple
    lb_vip: str
    kubernetes_service: str
    dns_service: str
    external: tuple = ()

    @classmethod
    def of(cls, masters, lb_vip, service_cluster_ip_range, external=()):
        """The API service is the service range's first address, cluster
        DNS its tenth. ``lb_vip`` is '' without a VIP."""
        services = ipaddress.ip_network(service_cluster_ip_range)
        return cls(masters=tuple(masters), lb_vip=lb_vip or '',
                   kubernetes_service=str(services.network_address + 1),
                   dns_service=str(services.network_address + 10),
                   external=tuple(a for a in external if a))


def planned_vip(cidr, node_address_offset):
    """The load balancer's VIP in a subnet Magnum creates: the host just
    below the nodes' fixed addresses (Neutron's own allocations, the
    router's and DHCP's, start from the bottom of that range); '' when
    there is no room below them."""
    network = ipaddress.ip_network(cidr, strict=False)
    if node_address_offset - 1 < 2:
        return ''
    return str(network.network_address + node_address_offset - 1)


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


def node_name(text):
    """A Kubernetes node name (DNS-1123 subdomain) made of ``text``."""
    name = ''.join(c if c.isalnum() or c in '-.' else '-'
                   for c in text.lower())
    return name.strip('-.')[:253] or 'node'


def kubelet_client(issuer, name):
    """The kubelet's identity for the Node authorizer."""
    return issuer.client(('system:node:%s' % name)[
        :operations.MAX_COMMON_NAME_LENGTH], NODES_GROUP)


def kube_proxy_client(issuer):
    """kube-proxy's identity (bound to system:node-proxier by
    Kubernetes' default RBAC)."""
    return issuer.client('system:kube-proxy')


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def api_server_names(name, address, addresses):
    """(DNS names, IP addresses) the API server's certificate of the
    master ``name`` at ``address`` carries: every name and address a
    node, a pod or a client outside the cluster reaches the API at."""
    wanted = ['127.0.0.1', addresses.kubernetes_service, address]
    wanted += list(addresses.masters)
    if addresses.lb_vip:
        wanted.append(addresses.lb_vip)
    wanted += list(addresses.external)
    unique = list(dict.fromkeys(wanted))
    dns = SERVICE_DNS_NAMES + (name,) + tuple(
        a for a in unique if not _is_ip(a))
    return dns, [a for a in unique if _is_ip(a)]


def master_files(issuer, name, address, addresses):
    """{path: PEM} for the master ``name`` at ``address``: CA
    certificates (no CA key), the API server's, etcd's and the front
    proxy's certificates, client certificates of the control plane's
    components and of its kubelet, and the service-account key pair
    (``service_account``, the same on every master)."""
    files = _ca_files(issuer)
    dns_names, api_ips = api_server_names(name, address, addresses)
    _pair(files, 'apiserver', issuer.server(
        'kube-apiserver', dns_names, api_ips))
    _pair(files, 'apiserver-kubelet-client', issuer.client(
        'kube-apiserver-kubelet-client', 'system:masters'))
    _pair(files, 'apiserver-etcd-client', issuer.client(
        'kube-apiserver-etcd-client', kind=certificates.CA_ETCD))
    _pair(files, 'front-proxy-client', issuer.client(
        'front-proxy-client', kind=certificates.CA_FRONT_PROXY))
    _pair(files, 'etcd/server', issuer.server(
        name, ('localhost', name), ['127.0.0.1', address],
        kind=certificates.CA_ETCD))
    _pair(files, 'controller-manager', issuer.client(
        'system:kube-controller-manager'))
    _pair(files, 'scheduler', issuer.client('system:kube-scheduler'))
    # The first master applies the cluster's add-ons.
    _pair(files, 'addons', issuer.client('magnum-addons',
                                         'system:masters'))
    _pair(files, 'kubelet-client', kubelet_client(issuer, name))
    _pair(files, 'kube-proxy', kube_proxy_client(issuer))
    return files


def service_account_files(key=None):
    """The service-account signing key pair every master shares."""
    key = key or operations.generate_private_key()
    return {
        '%s/sa.key' % PKI: operations.private_key_to_pem(key),
        '%s/sa.pub' % PKI: key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    }


def worker_files(issuer, name):
    """{path: PEM} for a worker: the cluster CA and the client
    certificates of its kubelet and kube-proxy."""
    files = {'%s/ca.crt' % PKI: issuer.ca_pem(certificates.CA_KUBERNETES)}
    _pair(files, 'kubelet-client', kubelet_client(issuer, name))
    _pair(files, 'kube-proxy', kube_proxy_client(issuer))
    return files


def private_paths(files):
    """The paths of ``files`` that hold private keys (mode 0600)."""
    return sorted(path for path in files if path.endswith('.key'))
