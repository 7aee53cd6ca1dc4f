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

"""The one place where a request body the API cannot take is refused with
a 4xx, before pecan or WSME look at it.

The v1 API takes JSON bodies only. Left alone, pecan parses form bodies
itself while routing (for its ``_method`` override): a multipart body with
a bad boundary, or none, escaped as a 500, and a form field could turn a
POST into another method. So:

- a form body (``multipart/*``, ``application/x-www-form-urlencoded``) is
  a 415 saying to send JSON; a form content type on a request without a
  body (some HTTP libraries add one to every request) is dropped instead;
- a JSON body that is not UTF-8, not JSON, or not an object or array is
  a 400 saying where it broke, whatever the operation;
- any other body is left to the operation, which refuses what it does not
  take (WSME answers 415 for unknown media types).

Size is limited before this by oslo.middleware's sizelimit filter (see
etc/magnum/api-paste.ini), so nothing unbounded is read here.
"""

import io
import json

from magnum.api.middleware import parsable_error

FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/')
JSON_TYPES = ('application/json', 'application/json-patch+json',
              'text/json')


def _media_type(environ):
    return environ.get('CONTENT_TYPE', '').split(';', 1)[0].strip().lower()


def _has_body(environ):
    if environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
        return True
    try:
        return int(environ.get('CONTENT_LENGTH') or 0) > 0
    except ValueError:
        return True  # webob refuses it later; not ours to guess


def _read_body(environ):
    """The body, read once and put back for the application."""
    stream = environ['wsgi.input']
    length = environ.get('CONTENT_LENGTH')
    if length:
        body = stream.read(int(length))
    else:
        body = stream.read()
    environ['wsgi.input'] = io.BytesIO(body)
    environ['CONTENT_LENGTH'] = str(len(body))
    environ.pop('HTTP_TRANSFER_ENCODING', None)
    return body


def json_problem(body):
    """Why ``body`` (bytes) is not a JSON document, or None."""
    try:
        text = body.decode('utf-8')
    except UnicodeDecodeError as error:
        return 'the request body is not UTF-8 (byte %d)' % error.start
    try:
        document = json.loads(text)
    except RecursionError:
        return 'the request body is nested too deeply'
    except ValueError as error:
        return 'the request body is not valid JSON: %s' % error
    if not isinstance(document, (dict, list)):
        # Every operation takes an object (a JSON-Patch: an array); a bare
        # null would otherwise reach a controller as "no body at all".
        return ('the request body must be a JSON object (or, for PATCH, '
                'an array of JSON-Patch operations), not %s' %
                ('null' if document is None else type(document).__name__))
    return None


class RequestBodyFilter:
    """WSGI middleware; see the module docstring."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        media_type = _media_type(environ)
        if media_type.startswith(FORM_TYPES):
            if not _has_body(environ):
                environ['CONTENT_TYPE'] = ''
            else:
                return self._refuse(
                    environ, start_response, 415,
                    'The API takes JSON request bodies only: send the body '
                    'as JSON with "Content-Type: application/json" (not %s)'
                    % media_type)
        elif media_type in JSON_TYPES and _has_body(environ):
            problem = json_problem(_read_body(environ))
            if problem:
                return self._refuse(environ, start_response, 400,
                                    problem[0].upper() + problem[1:])
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(environ, start_response, status, detail):
        element = parsable_error.error_element(
            status, {'title': parsable_error.default_title(status),
                     'description': detail})
        element['request_id'] = environ.get('openstack.request_id', '')
        body = json.dumps({'errors': [element]}).encode('utf-8')
        start_response('%d %s' % (status, element['title']),
                       [('Content-Type', 'application/json'),
                        ('Content-Length', str(len(body)))])
        return [body]


def filter_factory(global_conf, **local_conf):
    return RequestBodyFilter
