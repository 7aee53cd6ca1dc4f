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

"""Secrets Magnum keeps in its database, encrypted at rest (AES-256-GCM).

Used for the private keys of the ``x509keypair`` certificate manager and
for the secrets of the clusters' Keystone application credentials, so
that a dump of the database alone yields neither:

- the key is ``[certificates] encryption_key`` (32 bytes, base64), else
  the one in ``[certificates] encryption_key_file``, which the first
  conductor to need it creates (mode 0600) when it does not exist; with
  neither, storing a secret is refused;
- a sealed secret is ``magnum-aes256gcm-v1:<key id>:<base64(nonce |
  ciphertext)>``; the key id (a hash of the key, not the key) tells which
  key is needed when the configured one is not it;
- the caller names where the secret belongs (e.g. the row and column), and
  that name is authenticated along with the ciphertext, so a secret copied
  to another row or column does not decrypt.
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
from magnum.common.cert_manager import base
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
    # The salt keeps its first user's name: ids already stored must match.
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
                'up: without it the private keys and credential secrets '
                'Magnum stores cannot be read. Conductors on other hosts '
                'need the same key ([certificates] encryption_key or this '
                'file).', path)
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


# -- sealing one secret -------------------------------------------------------

def is_sealed(stored):
    return isinstance(stored, str) and \
        stored.startswith(ENVELOPE_PREFIX + ':')


def seal(key, plaintext, bound_to):
    """``plaintext`` (str) encrypted under ``key``; ``bound_to`` (str)
    names where it is stored and is needed again to open it."""
    nonce = os.urandom(NONCE_LENGTH)
    sealed = aead.AESGCM(key).encrypt(
        nonce, plaintext.encode('utf-8'), bound_to.encode('utf-8'))
    return '%s:%s:%s' % (ENVELOPE_PREFIX, key_id(key),
                         base64.b64encode(nonce + sealed).decode('ascii'))


def unseal(key, stored, bound_to, what):
    """The plaintext of ``stored``, sealed by :func:`seal` with the same
    ``bound_to``. ``what`` names the secret in error messages (never the
    secret itself)."""
    try:
        prefix, stored_key_id, payload = stored.split(':', 2)
    except (AttributeError, ValueError):
        prefix = None
    if prefix != ENVELOPE_PREFIX:
        raise base.CertificateStorageError(reason=_(
            '%s is stored in an unknown format.') % what)
    if stored_key_id != key_id(key):
        raise EncryptionKeyError(reason=_(
            '%(what)s was encrypted with the key of id %(stored)s, but the '
            'configured key has id %(configured)s; configure the key it '
            'was stored with.') % {
                'what': what, 'stored': stored_key_id,
                'configured': key_id(key)})
    try:
        blob = base64.b64decode(payload, validate=True)
        plain = aead.AESGCM(key).decrypt(blob[:NONCE_LENGTH],
                                         blob[NONCE_LENGTH:],
                                         bound_to.encode('utf-8'))
    except (binascii.Error, ValueError, crypto_exceptions.InvalidTag):
        raise base.CertificateStorageError(reason=_(
            '%s cannot be decrypted: it was altered or belongs somewhere '
            'else.') % what) from None
    return plain.decode('utf-8')


# -- one key for every conductor ----------------------------------------------

KEY_PURPOSE = 'secrets'


def check_key_is_the_database_key(dbapi, host):
    """Record this host's key id in the database when none is recorded
    yet, else check it is the one recorded; raises EncryptionKeyError
    saying what to copy when it is not.

    Run by every conductor at start: a conductor with another key would
    seal private keys and credential secrets that the others cannot read,
    and could read none of theirs. With no key configured at all, nothing
    is checked (storing a secret is refused later with its own message).
    """
    try:
        key = encryption_key()
    except EncryptionKeyError as error:
        LOG.warning('No certificate encryption key to check against the '
                    'database: %s', error)
        return None
    mine = key_id(key)
    record = dbapi.record_encryption_key(KEY_PURPOSE, mine, host)
    if record.key_id != mine:
        raise EncryptionKeyError(reason=_(
            'this host\'s encryption key (id %(mine)s, from %(source)s) is '
            'not the key the database\'s secrets are sealed with (id '
            '%(theirs)s, first used by %(host)s). Copy [certificates] '
            'encryption_key or the key file from %(host)s (or another host '
            'that works) to this host, then start it again.') % {
                'mine': mine, 'theirs': record.key_id,
                'host': record.recorded_by or _('another host'),
                'source': _key_source()})
    return mine


def _key_source():
    if CONF.certificates.encryption_key:
        return '[certificates] encryption_key'
    return CONF.certificates.encryption_key_file
