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

"""Certificates in Magnum's database (table ``x509keypair``).

The reference is the row's uuid; rows carry the project and user of the
storing context and are read within that scope (compatibility.rst,
"Policy and visibility").

Private keys are encrypted at rest with AES-256-GCM under a key that is
not in the database, so that a dump of the database alone yields no
usable private key (``magnum.common.cert_manager.encryption``):

- the key is ``[certificates] encryption_key``, else the one in
  ``[certificates] encryption_key_file``; with neither, storing a key is
  refused;
- a stored key is ``magnum-aes256gcm-v1:<key id>:<base64(nonce |
  ciphertext)>``, and the row's uuid is authenticated along with the
  ciphertext, so an encrypted key moved to another row does not decrypt;
- ``private_key_passphrase`` stays empty. Rows written by upstream Magnum
  (a PEM key encrypted with a passphrase kept in the same row) are still
  read.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from magnum import conf
from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common.cert_manager import base
from magnum.common.cert_manager import encryption
from magnum.common.x509 import operations
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# The key machinery is shared with other secrets Magnum stores; these
# names stay here for the callers that know them from this module.
EncryptionKeyError = encryption.EncryptionKeyError
ENVELOPE_PREFIX = encryption.ENVELOPE_PREFIX
decode_key = encryption.decode_key
key_id = encryption.key_id
encryption_key = encryption.encryption_key


# -- encryption of one private key --------------------------------------------

def _associated_data(ref):
    return 'x509keypair/%s/private_key' % ref


def _what(ref):
    return _('the private key of certificate %s') % ref


def encrypt_private_key(key, ref, private_key_pem):
    return encryption.seal(key, private_key_pem, _associated_data(ref))


def decrypt_private_key(key, ref, stored):
    return encryption.unseal(key, stored, _associated_data(ref), _what(ref))


def _is_pem(text):
    return text.lstrip().startswith('-----BEGIN ')


# -- the manager --------------------------------------------------------------

class X509KeyPairCertManager(base.CertManager):
    """See the module's doc."""

    def store_cert(self, certificate, private_key, intermediates=None,
                   private_key_passphrase=None, name=None, context=None,
                   **kwargs):
        context = context or magnum_context.get_admin_context()
        try:
            operations.load_certificate(certificate)
        except (ValueError, TypeError):
            raise exception.InvalidParameterValue(
                err=_('The certificate to store is not a PEM '
                      'certificate.')) from None
        try:
            key_pem = operations.decrypted_private_key_pem(
                private_key, private_key_passphrase)
        except (ValueError, TypeError):
            raise exception.InvalidParameterValue(
                err=_('The private key to store is not a readable PEM '
                      'private key, or its passphrase is wrong.')) from None
        key = encryption_key()
        ref = uuidutils.generate_uuid()
        keypair = objects.X509KeyPair(
            context, uuid=ref, certificate=certificate,
            private_key=encrypt_private_key(key, ref, key_pem),
            private_key_passphrase=None, intermediates=intermediates,
            project_id=context.project_id, user_id=context.user_id)
        keypair.create()
        LOG.debug('Stored certificate %s (%s) in the database', ref,
                  name or _('unnamed'))
        return ref

    def _get_row(self, ref, context):
        context = context or magnum_context.get_admin_context()
        if not uuidutils.is_uuid_like(ref):
            raise base.CertificateNotFound(ref=ref)
        try:
            return objects.X509KeyPair.get_by_uuid(context, ref)
        except exception.X509KeyPairNotFound:
            raise base.CertificateNotFound(ref=ref) from None

    def get_cert(self, ref, context=None, **kwargs):
        row = self._get_row(ref, context)
        stored_key = row.private_key
        passphrase = row.private_key_passphrase

        def private_key():
            if not stored_key:
                return None
            if _is_pem(stored_key):
                # Written by upstream Magnum: the passphrase is beside it.
                try:
                    return operations.decrypted_private_key_pem(
                        stored_key, passphrase)
                except ValueError:
                    raise base.CertificateStorageError(reason=_(
                        'the private key of certificate %s cannot be '
                        'read.') % ref) from None
            return decrypt_private_key(encryption_key(), ref, stored_key)

        return base.Cert(row.certificate, private_key, row.intermediates)

    def delete_cert(self, ref, context=None, **kwargs):
        row = self._get_row(ref, context)
        try:
            row.destroy()
        except exception.X509KeyPairNotFound:
            raise base.CertificateNotFound(ref=ref) from None
