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
storing context and are read within that scope (contract 4.4, 7.4).

Private keys are encrypted at rest with AES-256-GCM under a key that is
not in the database, so that a dump of the database alone yields no
usable private key:

- the key is ``[certificates] encryption_key`` (32 bytes, base64), else
  the one in ``[certificates] encryption_key_file``, which the first
  conductor to need it creates (mode 0600) when it does not exist; with
  neither, storing a key is refused;
- a stored key is ``magnum-aes256gcm-v1:<key id>:<base64(nonce |
  ciphertext)>``; the key id (a hash of the key, not the key) tells which
  key is needed when the configured one is not it, and the row's uuid is
  authenticated along with the ciphertext, so an encrypted key moved to
  another row does not decrypt;
- ``private_key_passphrase`` stays empty. Rows written by upstream Magnum
  (a PEM key encrypted with a passphrase kept in the same row) are still
  read.
"""

import base64
import binascii
import hashlib
import os
import stat
import threading

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives.ciphers import aead
from oslo_log import log as logging
from oslo_utils import uuidutils

from magnum import conf
from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common.cert_manager import base
from magnum.common.x509 import operations
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

ENVELOPE_PREFIX = 'magnum-aes256gcm-v1'
KEY_LENGTH = 32
NONCE_LENGTH = 12

_key_file_lock = threading.Lock()


class EncryptionKeyError(base.CertificateStorageError):
    """No usable encryption key is configured."""
    message = _('No usable certificate encryption key: %(reason)s')


# -- the encryption key -------------------------------------------------------

def decode_key(text, source):
    """The 32 key bytes of base64 ``text`` (standard or URL-safe)."""
    text = (text or '').strip().replace('-', '+').replace('_', '/')
    try:
        key = base64.b64decode(text + '=' * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b''
    if len(key) != KEY_LENGTH:
        raise EncryptionKeyError(reason=_(
            '%(source)s must be %(length)d random bytes in base64 (e.g. '
            'the output of "openssl rand -base64 32").') % {
                'source': source, 'length': KEY_LENGTH})
    return key


def key_id(key):
    """A short name of ``key`` that reveals nothing of it."""
    return hashlib.sha256(b'magnum certificate encryption key id\0' +
                          key).hexdigest()[:16]


def _read_key_file(path):
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise EncryptionKeyError(reason=_(
                '%s is not a regular file.') % path)
        if status.st_mode & stat.S_IRWXO:
            raise EncryptionKeyError(reason=_(
                'the key file %(path)s is accessible to every user (mode '
                '%(mode)04o); make it private with "chmod 600 %(path)s".')
                % {'path': path, 'mode': stat.S_IMODE(status.st_mode)})
        if status.st_mode & stat.S_IRWXG:
            LOG.warning('The certificate encryption key file %s is '
                        'accessible to its group (mode %04o); mode 0600 '
                        'is enough', path, stat.S_IMODE(status.st_mode))
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    return decode_key(data.decode('ascii', 'replace'),
                      _('The key file %s') % path)


def _create_key_file(path):
    """Write a new random key to ``path`` unless someone else did first.

    The key is written to a private temporary file which is then linked
    into place, so that nobody ever reads a half-written key and of two
    conductors creating it at once, one wins and both use its key.
    """
    directory = os.path.dirname(path) or '.'
    os.makedirs(directory, mode=0o700, exist_ok=True)
    temporary = '%s.%s.tmp' % (path, uuidutils.generate_uuid())
    fd = os.open(temporary,
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                 getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0),
                 0o600)
    try:
        try:
            os.write(fd, base64.b64encode(os.urandom(KEY_LENGTH)) + b'\n')
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    LOG.warning('Created a new certificate encryption key in %s. Back it '
                'up: without it the private keys Magnum stores cannot be '
                'read. Conductors on other hosts need the same key '
                '([certificates] encryption_key or this file).', path)
    return True


def encryption_key():
    """The configured encryption key (bytes); see the module's doc."""
    configured = CONF.certificates.encryption_key
    if configured:
        return decode_key(configured, '[certificates] encryption_key')
    path = CONF.certificates.encryption_key_file
    if not path:
        raise EncryptionKeyError(reason=_(
            'set [certificates] encryption_key (e.g. to the output of '
            '"openssl rand -base64 32") so that Magnum can store private '
            'keys encrypted.'))
    with _key_file_lock:
        try:
            return _read_key_file(path)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise EncryptionKeyError(reason=_(
                'the key file %(path)s cannot be read (%(error)s).') % {
                    'path': path, 'error': error.strerror or error})
        try:
            _create_key_file(path)
            return _read_key_file(path)
        except OSError as error:
            raise EncryptionKeyError(reason=_(
                'the key file %(path)s does not exist and cannot be '
                'created (%(error)s); create it or set [certificates] '
                'encryption_key.') % {'path': path,
                                      'error': error.strerror or error})


# -- encryption of one private key --------------------------------------------

def _associated_data(ref):
    return ('x509keypair/%s/private_key' % ref).encode('ascii')


def encrypt_private_key(key, ref, private_key_pem):
    nonce = os.urandom(NONCE_LENGTH)
    sealed = aead.AESGCM(key).encrypt(
        nonce, private_key_pem.encode('ascii'), _associated_data(ref))
    return '%s:%s:%s' % (ENVELOPE_PREFIX, key_id(key),
                         base64.b64encode(nonce + sealed).decode('ascii'))


def decrypt_private_key(key, ref, stored):
    try:
        prefix, stored_key_id, payload = stored.split(':', 2)
    except ValueError:
        prefix = None
    if prefix != ENVELOPE_PREFIX:
        raise base.CertificateStorageError(reason=_(
            'the private key of certificate %s is stored in an unknown '
            'format.') % ref)
    if stored_key_id != key_id(key):
        raise EncryptionKeyError(reason=_(
            'the private key of certificate %(ref)s was encrypted with the '
            'key of id %(stored)s, but the configured key has id '
            '%(configured)s; configure the key it was stored with.') % {
                'ref': ref, 'stored': stored_key_id,
                'configured': key_id(key)})
    try:
        blob = base64.b64decode(payload, validate=True)
        plain = aead.AESGCM(key).decrypt(blob[:NONCE_LENGTH],
                                         blob[NONCE_LENGTH:],
                                         _associated_data(ref))
    except (binascii.Error, ValueError, crypto_exceptions.InvalidTag):
        raise base.CertificateStorageError(reason=_(
            'the private key of certificate %s cannot be decrypted: it was '
            'altered or belongs to another certificate.') % ref) from None
    return plain.decode('ascii')


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
