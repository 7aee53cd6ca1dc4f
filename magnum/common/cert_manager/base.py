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

"""The interface every certificate manager implements.

A manager stores a certificate with its private key (and optionally
intermediates) and answers with a reference, a string the cluster keeps in
one of its ``*_cert_ref`` columns. Private keys go in as PEM, encrypted
with ``private_key_passphrase`` or not, and always come back decrypted:
the manager protects them at rest in its own way. They never appear in a
log line, an exception message or a ``repr``.
"""

import abc

from magnum.common import exception

# In magnum.common.exception, so that they cross RPC as themselves (the
# conductor raises them to the API); the old names stay.
CertificateNotFound = exception.CertificateNotFound
CertificateStorageError = exception.CertificateStorageError


class Cert:
    """A stored certificate, its private key and intermediates.

    ``private_key`` may be a callable returning the PEM; it is then called
    (e.g. to decrypt) only when the key is asked for, so reading a
    certificate never needs what its key needs.
    """

    def __init__(self, certificate, private_key=None, intermediates=None):
        self._certificate = certificate
        self._private_key = private_key
        self._intermediates = intermediates

    def get_certificate(self):
        """The certificate, PEM."""
        return self._certificate

    def get_intermediates(self):
        """The intermediate certificates, PEM, or None."""
        return self._intermediates

    def get_private_key(self):
        """The private key, unencrypted PKCS#8 PEM, or None."""
        if callable(self._private_key):
            self._private_key = self._private_key()
        return self._private_key

    # Names earlier managers' interface also has (compatibility.rst,
    # "Certificates").
    get_decrypted_private_key = get_private_key

    def get_private_key_passphrase(self):
        """Always None: keys come back decrypted."""
        return None

    def __repr__(self):
        return '<Cert certificate=%s private_key=***>' % (
            'yes' if self._certificate else 'no')


class CertManager(abc.ABC):
    """Stores certificates and their keys; see the module's doc."""

    @abc.abstractmethod
    def store_cert(self, certificate, private_key, intermediates=None,
                   private_key_passphrase=None, name=None, context=None,
                   **kwargs):
        """Store a certificate (PEM) and its private key (PEM, decrypted
        with ``private_key_passphrase`` when given); the reference.

        ``name`` describes the certificate to people (managers that show
        names use it); ``context`` says whose it is. Other keyword
        arguments of earlier managers' interface (``expiration``,
        ``resource_ref``) are accepted and ignored.
        """

    @abc.abstractmethod
    def get_cert(self, ref, context=None, **kwargs):
        """The Cert stored under ``ref``; CertificateNotFound when there
        is none."""

    @abc.abstractmethod
    def delete_cert(self, ref, context=None, **kwargs):
        """Forget ``ref``; CertificateNotFound when there is none."""
