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

"""A CA the nodes are given server certificates of, during a CA rotation:
the cluster's current one or the one being rotated in.

magnum.common.certificates and magnum.common.x509.operations (with the
cryptography bindings) are imported where they are used: magnum-api
loads this driver, and never rotates a CA.
"""

from oslo_log import log as logging

from magnum.drivers.local import swarm
from magnum.i18n import _

LOG = logging.getLogger(__name__)


def fingerprint(ca_pem):
    """The SHA-256 fingerprint of a certificate, hex."""
    from cryptography.hazmat.primitives import hashes

    from magnum.common.x509 import operations
    return operations.load_certificate(ca_pem).fingerprint(
        hashes.SHA256()).hex()


class Authority:
    """A CA whose server certificates nodes are given, with Magnum's
    client certificate of it (as files, for the docker SDK)."""

    def __init__(self, context, cluster, ca, client, label):
        self.context = context
        self.cluster = cluster
        self.ca_pem, self._ca_key_pem = ca
        self._client = client
        #: What status reasons call it ('current', 'new').
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
