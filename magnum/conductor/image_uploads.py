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

"""Image tarballs on their way into a cluster's nodes (the load_image
action), staged on a conductor's disk so that no API worker, RPC message
or conductor ever holds a whole image in memory.

magnum-api reads the request body in chunks and sends each to one
conductor host (RPC calls addressed to that host, in order, each
carrying its offset); the host appends them to a file of the upload and
finally loads that file into every node. A host's conductor processes
share the files (one directory per service user), so any of them may
take the next chunk.

Files live in the service's private directory (``[DEFAULT] tempdir``,
see magnum.common.secret_files), one subdirectory (0700) per upload. An
upload whose API worker died half-way is removed by the next upload that
begins on the host, once it has not grown for STALE_AFTER seconds.
"""

import os
import re
import shutil
import tempfile
import time

from oslo_log import log as logging

from magnum.common import exception
from magnum.common import secret_files
from magnum.i18n import _

LOG = logging.getLogger(__name__)

PREFIX = 'image-upload-'
FILE_NAME = 'image.tar'
# An upload that has not grown for this long was abandoned (its API
# worker or client went away); the slowest real chunk takes seconds.
STALE_AFTER = 3600
# Free space kept on the staging file system beyond the image itself.
RESERVE = 64 * 1024 * 1024
_UPLOAD_ID = re.compile(r'^%s[A-Za-z0-9_]+$' % re.escape(PREFIX))
_MIB = 1024 * 1024


def _root():
    return secret_files.check_directory()


def _path(upload):
    """The staged file of an upload id; Conflict (409) when there is none
    (it was finished, aborted, or removed as stale)."""
    if not isinstance(upload, str) or not _UPLOAD_ID.match(upload):
        raise exception.InvalidParameterValue(
            err=_('%r is not an image upload id') % (upload,))
    path = os.path.join(_root(), upload, FILE_NAME)
    if not os.path.isfile(path):
        raise exception.Conflict(message=_(
            'The image upload %s is not staged on this conductor any more '
            '(finished, aborted or abandoned); upload the image again') %
            upload)
    return path


def remove_stale(now=None):
    """Remove uploads that have not grown for STALE_AFTER seconds; how
    many went."""
    now = time.time() if now is None else now
    root = _root()
    removed = 0
    for name in os.listdir(root):
        if not _UPLOAD_ID.match(name):
            continue
        directory = os.path.join(root, name)
        try:
            changed = max(os.stat(os.path.join(directory, entry)).st_mtime
                          for entry in os.listdir(directory) + ['.'])
        except OSError:
            continue  # removed meanwhile by its own finish or abort
        if now - changed > STALE_AFTER:
            LOG.warning('Removing the image upload %s, abandoned %d s ago',
                        name, now - changed)
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    return removed


def begin(size, host):
    """A new upload (its id) for an image of ``size`` bytes (None: not
    known in advance). ServiceUnavailable (503) when the staging file
    system has not that much free space."""
    remove_stale()
    root = _root()
    if size is not None:
        free = shutil.disk_usage(root).free
        if free < size + RESERVE:
            LOG.warning('Refusing an image upload of %d bytes: %s has %d '
                        'bytes free', size, root, free)
            raise exception.ServiceUnavailable(
                service=_('magnum-conductor %s') % host,
                reason=_('its temporary directory ([DEFAULT] tempdir) has '
                         '%(free)d MiB free, not enough for an image of '
                         '%(size)d MiB') % {'free': free // _MIB,
                                            'size': -(-size // _MIB)})
    directory = tempfile.mkdtemp(prefix=PREFIX, dir=root)
    descriptor = os.open(os.path.join(directory, FILE_NAME),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                         getattr(os, 'O_NOFOLLOW', 0), 0o600)
    os.close(descriptor)
    return os.path.basename(directory)


def append(upload, offset, data):
    """Append ``data`` (bytes) at ``offset``; the size after. Conflict
    (409) when the file is not ``offset`` bytes long (a chunk lost or
    sent twice: the upload cannot go on)."""
    path = _path(upload)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND |
                         getattr(os, 'O_NOFOLLOW', 0))
    with os.fdopen(descriptor, 'ab') as handle:
        size = os.fstat(handle.fileno()).st_size
        if size != offset:
            raise exception.Conflict(message=_(
                'The image upload %(upload)s has %(size)d bytes, not the '
                '%(offset)d this chunk follows; upload the image again') % {
                    'upload': upload, 'size': size, 'offset': offset})
        handle.write(data)
        return size + len(data)


def staged(upload, size):
    """The path of the complete staged file; Conflict (409) when it does
    not hold ``size`` bytes."""
    path = _path(upload)
    found = os.path.getsize(path)
    if found != size:
        raise exception.Conflict(message=_(
            'The image upload %(upload)s has %(found)d bytes, not the '
            '%(size)d sent; upload the image again') % {
                'upload': upload, 'found': found, 'size': size})
    return path


def remove(upload):
    """Forget an upload (finished or aborted); nothing if it is gone."""
    if isinstance(upload, str) and _UPLOAD_ID.match(upload):
        shutil.rmtree(os.path.join(_root(), upload), ignore_errors=True)
