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

"""Certificates in files under ``[certificates] storage_path`` (testing).

A certificate with reference ``<uuid>`` is ``<uuid>.crt``, its private key
(unencrypted PEM) ``<uuid>.key`` and its intermediates ``<uuid>.int``.
Only the conductor's host sees them; use it for tests and single-host
trials.

Every file is created with mode 0600 in the same system call that
creates it (``O_CREAT | O_EXCL``), so there is no moment at which another
user could open it (the race of CVE-2024-28718), and an existing file or
link in its place is never written through. The directory is kept at mode
0700. References are checked to be uuids before they become file names.
"""

import contextlib
import os
import stat

from oslo_log import log as logging
from oslo_utils import uuidutils

from magnum import conf
from magnum.common import exception
from magnum.common.cert_manager import base
from magnum.common.x509 import operations
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600

CERTIFICATE = '.crt'
PRIVATE_KEY = '.key'
INTERMEDIATES = '.int'
# Written by earlier versions; removed with the rest.
PASSPHRASE = '.pass'
SUFFIXES = (CERTIFICATE, PRIVATE_KEY, INTERMEDIATES, PASSPHRASE)

_CREATE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                 getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0))
_READ_FLAGS = (os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) |
               getattr(os, 'O_CLOEXEC', 0))

_warned = False


def _warn_once():
    global _warned
    if not _warned:
        _warned = True
        LOG.warning('Cluster certificates and their private keys are kept '
                    'in files under %s ([certificates] cert_manager_type = '
                    'local); use it for testing only',
                    CONF.certificates.storage_path)


class LocalCertManager(base.CertManager):
    """See the module's doc."""

    def __init__(self, storage_path=None):
        self._storage_path = storage_path

    @property
    def storage_path(self):
        return self._storage_path or CONF.certificates.storage_path

    def _directory(self):
        """The storage directory, created or tightened to mode 0700."""
        path = self.storage_path
        os.makedirs(path, mode=DIRECTORY_MODE, exist_ok=True)
        status = os.stat(path)
        if stat.S_IMODE(status.st_mode) != DIRECTORY_MODE:
            LOG.warning('Certificate directory %s had mode %04o; setting '
                        'it to %04o', path, stat.S_IMODE(status.st_mode),
                        DIRECTORY_MODE)
            os.chmod(path, DIRECTORY_MODE)
        return path

    def _paths(self, ref):
        if not uuidutils.is_uuid_like(ref):
            # Never a path: a reference comes from the database.
            raise base.CertificateNotFound(ref=ref)
        directory = self.storage_path
        return {suffix: os.path.join(directory, ref + suffix)
                for suffix in SUFFIXES}

    @staticmethod
    def _write(path, text):
        fd = os.open(path, _CREATE_FLAGS, FILE_MODE)
        with os.fdopen(fd, 'w', encoding='utf-8') as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())

    @staticmethod
    def _read(path):
        try:
            fd = os.open(path, _READ_FLAGS)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, 'r', encoding='utf-8') as stream:
            return stream.read()

    def store_cert(self, certificate, private_key, intermediates=None,
                   private_key_passphrase=None, name=None, context=None,
                   **kwargs):
        _warn_once()
        try:
            key_pem = operations.decrypted_private_key_pem(
                private_key, private_key_passphrase)
        except (ValueError, TypeError):
            raise exception.InvalidParameterValue(
                err=_('The private key to store is not a readable PEM '
                      'private key, or its passphrase is wrong.')) from None
        self._directory()
        ref = uuidutils.generate_uuid()
        paths = self._paths(ref)
        contents = [(CERTIFICATE, certificate), (PRIVATE_KEY, key_pem)]
        if intermediates:
            contents.append((INTERMEDIATES, intermediates))
        written = []
        try:
            for suffix, text in contents:
                self._write(paths[suffix], text)
                written.append(paths[suffix])
        except OSError as error:
            for path in written:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            raise base.CertificateStorageError(reason=_(
                'cannot write %(path)s: %(error)s') % {
                    'path': error.filename or self.storage_path,
                    'error': error.strerror or error}) from None
        LOG.debug('Stored certificate %s (%s) in %s', ref,
                  name or _('unnamed'), self.storage_path)
        return ref

    def get_cert(self, ref, context=None, **kwargs):
        _warn_once()
        paths = self._paths(ref)
        certificate = self._read(paths[CERTIFICATE])
        if certificate is None:
            raise base.CertificateNotFound(ref=ref)

        def private_key():
            key_pem = self._read(paths[PRIVATE_KEY])
            passphrase = self._read(paths[PASSPHRASE])
            if key_pem is None or passphrase is None:
                return key_pem
            try:
                return operations.decrypted_private_key_pem(key_pem,
                                                            passphrase)
            except ValueError:
                raise base.CertificateStorageError(reason=_(
                    'the private key of certificate %s cannot be read.') %
                    ref) from None

        return base.Cert(certificate, private_key,
                         self._read(paths[INTERMEDIATES]))

    def delete_cert(self, ref, context=None, **kwargs):
        found = False
        for path in self._paths(ref).values():
            try:
                os.unlink(path)
                found = True
            except FileNotFoundError:
                pass
        if not found:
            raise base.CertificateNotFound(ref=ref)
