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

"""POST /v1/clusters/{cluster_ident}/actions/load_image (1.16): an
operator imports an image tarball into every Ready node of a swarm
cluster (no registry is reachable here, nor in air-gapped clouds).

The tarball comes as the request body itself (Content-Type
application/x-tar or application/octet-stream, up to ``[api]
max_image_upload_size``), or base64 in a JSON body (small images only:
JSON bodies stay under ``[oslo_middleware] max_request_body_size``).
Either way the API never holds it whole: it reads CHUNK_SIZE bytes at a
time and sends each to one conductor host, which stages them on disk
and then loads the file into the nodes (magnum.conductor.image_uploads).
The request ends when every node has the image.
"""

import base64
import binascii
import collections
import contextlib
import functools
import io

import pecan
from wsme import types as wtypes

from magnum import conf
from magnum.api import utils
from magnum.api.controllers.v1 import container as container_api
from magnum.api.controllers.v1 import node as node_api
from magnum.api.middleware import body_size
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _

CONF = conf.CONF

# Bytes per RPC message (5.3 MiB once base64): far under the broker's
# message limit (RabbitMQ: 128 MiB, 16 MiB from 4.0), and what an API
# worker holds of an image at a time.
CHUNK_SIZE = 4 * 1024 * 1024
# How long the API waits for the nodes to load an image, beyond
# [conductor] rpc_call_timeout: a second per MiB (the nodes load it at
# once, each at tens of MiB/s when measured, doc/source/user/
# containers.rst).
SECONDS_PER_MIB = 1.0
_MIB = 1024 * 1024

UPLOAD_KEY = 'magnum.image_upload'
Upload = collections.namedtuple('Upload', 'stream length')


class LoadImageRequest(wtypes.Base):
    """The JSON body of POST /v1/clusters/{cluster_ident}/actions/
    load_image (or send the tarball itself, Content-Type
    application/x-tar)."""

    image_tarball = wtypes.wsattr(wtypes.text, mandatory=True)
    """base64 of an image tarball as ``docker save`` writes it (JSON
    bodies are limited by [oslo_middleware] max_request_body_size)."""


class LoadImageResult(wtypes.Base):
    nodes = wtypes.DictType(wtypes.text, [wtypes.text])
    """{node name: [image names it now has from the tarball]}"""


def streamed(method):
    """For the load_image action's controller method, over its
    wsexpose: WSME reads a request body whole before the method runs, so
    a tarball body is taken from the request first (WSME then sees none)
    and left for load_image to read in chunks."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        environ = pecan.request.environ
        if body_size.media_type(environ) in body_size.TARBALL_TYPES:
            try:
                length = int(environ.get('CONTENT_LENGTH') or '')
            except ValueError:
                length = None  # chunked: the limit is the reader's
            environ[UPLOAD_KEY] = Upload(environ['wsgi.input'], length)
            environ['wsgi.input'] = io.BytesIO()
            environ['CONTENT_LENGTH'] = '0'
        return method(self, *args, **kwargs)

    # What the OpenAPI document shows beside the JSON body.
    wrapper.raw_body_types = body_size.TARBALL_TYPES
    return wrapper


def load_image(cluster_ident, body):
    """Import an image tarball into every Ready node of a swarm cluster
    (admins only by default); {node: [image names]}."""
    node_api.available(_('load_image'))
    context = pecan.request.context
    utils.scope_admin(context, 'container:load_image')
    policy.authorize(context, 'container:load_image')
    upload = pecan.request.environ.get(UPLOAD_KEY)
    if upload is None:
        upload = _decoded(body)
    if upload.length == 0:
        raise _invalid(_('The image tarball is empty'))
    cluster = container_api.runnable_cluster(context, cluster_ident)
    return LoadImageResult(nodes=send(context, cluster, upload))


def _invalid(text):
    return exception.InvalidParameterValue(err=text)


def _decoded(body):
    if body is None or body.image_tarball is None:
        raise _invalid(_('Send the image tarball as the request body '
                         '(Content-Type %(types)s) or as {"image_tarball": '
                         '<base64>} (application/json)') % {
                             'types': _(' or ').join(
                                 body_size.TARBALL_TYPES)})
    try:
        data = base64.b64decode(body.image_tarball, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(_('image_tarball must be base64')) from None
    return Upload(io.BytesIO(data), len(data))


def _read(stream, size):
    """Up to size bytes (fewer only at the end of the body)."""
    parts, wanted = [], size
    while wanted > 0:
        try:
            data = stream.read(wanted)
        except OSError as error:  # the client went away mid-body
            raise _invalid(_('The request body could not be read to its '
                             'end: %s') % (error or type(error).__name__)
                           ) from None
        if not data:
            break
        parts.append(data)
        wanted -= len(data)
    return b''.join(parts)


def finish_timeout(size):
    """Seconds the API waits for the conductor to load size bytes."""
    return int(CONF.conductor.rpc_call_timeout + SECONDS_PER_MIB * (
        -(-size // _MIB)))


def send(context, cluster, upload):
    """Pass the tarball on to a conductor in chunks, then have it loaded
    into the nodes; {node: [image names]}."""
    rpc = pecan.request.rpcapi
    begun = rpc.image_upload_begin(context, cluster=cluster,
                                   size=upload.length)
    host, upload_id = begun['host'], begun['upload']
    sent = 0
    try:
        while upload.length is None or sent < upload.length:
            wanted = CHUNK_SIZE if upload.length is None else min(
                CHUNK_SIZE, upload.length - sent)
            data = _read(upload.stream, wanted)
            if not data:
                break
            rpc.image_upload_chunk(context, host, upload_id, sent, data)
            sent += len(data)
        if upload.length is not None and sent != upload.length:
            raise _invalid(_('The request body ended after %(sent)d of its '
                             '%(length)d bytes') % {
                                 'sent': sent, 'length': upload.length})
        if not sent:
            raise _invalid(_('The image tarball is empty'))
    except BaseException:
        with contextlib.suppress(Exception):
            rpc.image_upload_abort(context, host, upload_id)
        raise
    return rpc.image_upload_finish(context, host, cluster, upload_id, sent,
                                   timeout=finish_timeout(sent))
