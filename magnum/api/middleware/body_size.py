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

"""Request body limits: one for every request, one for image tarballs.

Every request body is limited by ``[oslo_middleware]
max_request_body_size`` (112 KiB by default: the API takes small JSON
documents, and the JSON parsers read a body whole). One operation takes
large bodies: an image tarball streamed to ``POST
/v1/clusters/{cluster}/actions/load_image`` with a tarball content type.
That body is never held whole (the controller reads it in chunks and
passes them on to a conductor), so it has a limit of its own, ``[api]
max_image_upload_size``; raising it raises the limit of no other
request, not even of a JSON body to load_image.

A body over its limit is a 413 in the OpenStack error format that names
the option setting the limit: at once when Content-Length says so;
otherwise (a chunked body) when the reading crosses it.
"""

import json
import re

from oslo_middleware import sizelimit

from magnum import conf
from magnum.api.middleware import parsable_error
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF

#: What a streamed image may be sent as (docker load also takes the
#: gzip, bzip2 and xz compressed forms of its tarballs).
TARBALL_TYPES = ('application/x-tar', 'application/octet-stream')

GLOBAL_OPTION = '[oslo_middleware] max_request_body_size'
TARBALL_OPTION = '[api] max_image_upload_size'

# The action's path within the application; without /v1 it is routed
# there too (api-contract 1.2, the router prefixes v1).
_LOAD_IMAGE = re.compile(r'^(?:/v1)?/clusters/[^/]+/actions/load_image/?$')


def media_type(environ):
    return environ.get('CONTENT_TYPE', '').split(';', 1)[0].strip().lower()


def is_tarball_upload(environ):
    """Whether the request streams an image tarball to load_image."""
    return (environ.get('REQUEST_METHOD') == 'POST' and
            media_type(environ) in TARBALL_TYPES and
            _LOAD_IMAGE.match(environ.get('PATH_INFO', '')) is not None)


def tarball_too_large(limit):
    return exception.RequestBodyTooLarge(
        what=_('The image tarball'), limit=limit, option=TARBALL_OPTION,
        hint=_(' An operator raises it in magnum.conf of every magnum-api '
               'host; the conductors need as much free space in their '
               '[DEFAULT] tempdir.'))


def body_too_large(environ, limit):
    hint = ''
    if _LOAD_IMAGE.match(environ.get('PATH_INFO', '')):
        hint = _(' Send an image as the body itself instead (Content-Type '
                 '%(types)s), which %(option)s limits.') % {
                     'types': _(' or ').join(TARBALL_TYPES),
                     'option': TARBALL_OPTION}
    return exception.RequestBodyTooLarge(
        what=_('The request body'), limit=limit, option=GLOBAL_OPTION,
        hint=hint)


class TarballReader:
    """wsgi.input of a chunked tarball upload: raises RequestBodyTooLarge
    (a 413 through the controller) once more than ``limit`` bytes were
    read."""

    def __init__(self, stream, limit):
        self.stream = stream
        self.limit = limit
        self.read_so_far = 0

    def read(self, size=-1):
        data = self.stream.read(size) if size is not None and size >= 0 \
            else self.stream.read()
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise tarball_too_large(self.limit)
        return data


def _content_length(environ):
    try:
        return int(environ.get('CONTENT_LENGTH') or '')
    except ValueError:
        return None


class BodySizeLimiter:
    """WSGI middleware; see the module docstring."""

    def __init__(self, app, config):
        self.app = app
        # oslo.middleware's limiter (which registers its option) for
        # every body but a tarball's: it also bounds chunked bodies.
        self.limited = sizelimit.RequestBodySizeLimiter(app, config)

    def __call__(self, environ, start_response):
        length = _content_length(environ)
        if is_tarball_upload(environ):
            limit = CONF.api.max_image_upload_size
            if length is not None and length > limit:
                return _refuse(environ, start_response,
                               tarball_too_large(limit))
            if length is None:
                environ['wsgi.input'] = TarballReader(environ['wsgi.input'],
                                                      limit)
            return self.app(environ, start_response)
        limit = CONF.oslo_middleware.max_request_body_size
        if length is not None and length > limit:
            return _refuse(environ, start_response,
                           body_too_large(environ, limit))
        return self.limited(environ, start_response)


def _refuse(environ, start_response, error):
    element = parsable_error.error_element(
        error.code, {'title': parsable_error.default_title(error.code),
                     'description': str(error)})
    element['request_id'] = environ.get('openstack.request_id', '')
    body = json.dumps({'errors': [element]}).encode('utf-8')
    start_response('%d %s' % (error.code, element['title']),
                   [('Content-Type', 'application/json'),
                    ('Content-Length', str(len(body)))])
    return [body]
