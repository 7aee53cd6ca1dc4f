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

"""Decrypted private keys as files, only where a client library needs a
path (the docker SDK's and the Kubernetes client's TLS settings).

Magnum keeps private keys in memory otherwise. When one must be a file:

- it is written under one private directory of the service: ``[DEFAULT]
  tempdir``, else ``magnum-<uid>`` in the system's temporary directory,
  which must be a directory of this user's with mode 0700 (checked when a
  conductor starts, and again before each use: a directory another user
  made first, or one opened to others, is refused, never repaired);
- each use gets its own subdirectory (0700) and files (0600, created
  exclusively, never following a link), removed when the use ends, also
  when it fails.
"""

import os
import shutil
import stat
import tempfile

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


class SecretDirectoryError(exception.ConfigInvalid):
    """The directory for private files is not private."""


def directory():
    """Where private files go (not checked; see check_directory)."""
    if CONF.tempdir:
        return CONF.tempdir
    return os.path.join(tempfile.gettempdir(), 'magnum-%d' % os.geteuid())


def check_directory():
    """The private directory, made (0700) when missing; raises
    SecretDirectoryError when it is a link, not a directory, another
    user's, or open to others."""
    path = directory()
    try:
        os.mkdir(path, DIRECTORY_MODE)
    except FileExistsError:
        pass
    except OSError as error:
        raise SecretDirectoryError(error_msg=_(
            'cannot make the directory for private key files %(path)s '
            '(%(error)s); set [DEFAULT] tempdir to a directory of the '
            'service\'s user with mode 0700') % {
                'path': path, 'error': error.strerror or error})
    status = os.lstat(path)
    problem = None
    if stat.S_ISLNK(status.st_mode) or not stat.S_ISDIR(status.st_mode):
        problem = _('is not a directory')
    elif status.st_uid != os.geteuid():
        problem = _('belongs to another user (uid %d)') % status.st_uid
    elif status.st_mode & 0o077:
        problem = _('is open to other users (mode %04o)') % (
            stat.S_IMODE(status.st_mode))
    if problem:
        raise SecretDirectoryError(error_msg=_(
            'the directory for private key files %(path)s %(problem)s; '
            'make it a directory of the service\'s user with mode 0700 '
            '(or set [DEFAULT] tempdir to one)') % {
                'path': path, 'problem': problem})
    return path


class PrivateFiles:
    """``files`` (name -> text or bytes) written to a private directory of
    their own for as long as this object lives; ``path(name)`` names each.
    Use it as a context manager, or call ``close()``."""

    def __init__(self, files, prefix='files-'):
        self.directory = tempfile.mkdtemp(prefix=prefix,
                                          dir=check_directory())
        self._paths = {}
        try:
            for name, content in files.items():
                self._paths[name] = self._write(name, content)
        except BaseException:
            self.close()
            raise

    def _write(self, name, content):
        if os.path.basename(name) != name or name in ('', '.', '..'):
            raise ValueError('not a file name: %r' % name)
        path = os.path.join(self.directory, name)
        descriptor = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
            getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0),
            FILE_MODE)
        data = content.encode('utf-8') if isinstance(content, str) \
            else content
        with os.fdopen(descriptor, 'wb') as handle:
            handle.write(data)
        return path

    def path(self, name):
        return self._paths[name]

    def close(self):
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
