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

"""Every error the v1 application returns, in the OpenStack error format
(doc/source/contributor/compatibility.rst, "Errors"):

    {"errors": [{"request_id", "code", "status", "title", "detail",
                 "links"}]}
"""

import html
import json
import re

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

TRACEBACK_MARKER = 'Traceback (most recent call last):'
INTERNAL_ERROR_DETAIL = ('The server could not complete the request because '
                         'of an internal error. The request ID in the '
                         'X-OpenStack-Request-Id header finds it in the '
                         'magnum-api log.')


def error_element(status, body):
    """One element of ``errors`` from whatever body an error came with."""
    title = detail = ''
    code = ''
    if isinstance(body, dict):
        if 'title' in body and ('description' in body or 'detail' in body):
            title = body['title']
            detail = body.get('description', body.get('detail')) or ''
        elif body.get('faultstring'):
            detail = body['faultstring']
            # The first sentence; "Version 1.11 was..." is not one.
            title = re.split(r'\.(?:\s|$)', detail, maxsplit=1)[0]
            code = (body.get('faultcode') or '').lower()
        elif isinstance(body.get('error'), dict):  # webob/keystone style
            title = body['error'].get('title', '')
            detail = body['error'].get('message', '')
        elif 'title' in body and isinstance(body.get('message'), str):
            # webob's own JSON error page (its message is HTML).
            title = body['title']
            detail = plain_text(body['message'])
    if not code:
        code = 'client' if status < 500 else 'server'
    if status == 500:
        # Unexpected errors are logged with their details; the caller gets
        # no internals (SQL, file paths) in the response.
        title, detail = 'Internal Server Error', INTERNAL_ERROR_DETAIL
    return {'request_id': '', 'code': code, 'status': status,
            'title': title or default_title(status),
            'detail': detail or default_detail(status) or title or
            default_title(status),
            'links': []}


def default_title(status):
    import webob.exc
    cls = webob.exc.status_map.get(status)
    return cls.title if cls is not None else 'Error'


def default_detail(status):
    """webob's sentence for the status ('The resource could not be
    found.'), for an error that came without words of its own."""
    import webob.exc
    cls = webob.exc.status_map.get(status)
    return getattr(cls, 'explanation', '') if cls is not None else ''


# webob's default error page: its head and heading repeat the status.
_PAGE_PARTS = re.compile(r'<head>.*?</head>|<h1>.*?</h1>',
                         re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r'<[^>]*>')


# webob's plain-text error page starts with the status line.
_STATUS_LINE = re.compile(r'^\d{3} [^\n]*\n')


def plain_text(text):
    """An error page's own words, without its markup or the status line
    it repeats (webob answers an unrouted path with such a page, HTML or
    text by the request's Accept): what a client shows a person."""
    if '<' in text:
        text = html.unescape(_TAG.sub(' ', _PAGE_PARTS.sub(' ', text)))
    else:
        text = _STATUS_LINE.sub('', text)
    return ' '.join(text.split())


def reformat(status, body_bytes):
    try:
        body = json.loads(body_bytes) if body_bytes else {}
    except ValueError:
        text = plain_text(body_bytes.decode('utf-8', 'replace').strip())
        body = {'title': default_title(status), 'description': text}
    if isinstance(body, dict) and isinstance(body.get('errors'), list) and \
            body['errors'] and isinstance(body['errors'][0], dict) and (
                'min_version' in body['errors'][0] or
                body['errors'][0].get('status') == status):
        return body  # already in the error format
    return {'errors': [error_element(status, body)]}


class ParsableErrorMiddleware:
    """Rewrites error bodies of the wrapped application."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        state = {}

        def replacement_start_response(status, headers, exc_info=None):
            try:
                status_code = int(status.split(' ')[0])
            except (ValueError, TypeError):
                raise Exception('ErrorDocumentMiddleware received an '
                                'invalid status %s' % status)
            state['status_code'] = status_code
            if status_code >= 400:
                state['status'] = status
                state['headers'] = [
                    (h, v) for (h, v) in headers
                    if h.lower() not in ('content-type', 'content-length')]
                state['exc_info'] = exc_info
                return lambda data: None  # body comes from the iterable
            return start_response(status, headers, exc_info)

        try:
            app_iter = self.app(environ, replacement_start_response)
        except Exception:
            # Whatever escaped the application (pecan's routing included)
            # is still answered in the error format, never as an HTML page.
            LOG.exception('Unexpected error in %s %s',
                          environ.get('REQUEST_METHOD'),
                          environ.get('PATH_INFO'))
            state = {'status_code': 500,
                     'status': '500 Internal Server Error', 'headers': [],
                     'exc_info': None}
            app_iter = [b'']
        if state.get('status_code', 200) < 400:
            return app_iter
        try:
            body_bytes = b''.join(app_iter)
        finally:
            if hasattr(app_iter, 'close'):
                app_iter.close()
        document = reformat(state['status_code'], body_bytes)
        request_id = environ.get('openstack.request_id')
        for element in document.get('errors', ()):
            if request_id and isinstance(element, dict) and \
                    not element.get('request_id'):
                element['request_id'] = request_id
        body = json.dumps(document).encode('utf-8')
        headers = state['headers'] + [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(body)))]
        start_response(state['status'], headers, state['exc_info'])
        return [body]


def filter_factory(global_conf, **local_conf):
    """The same rewriting for the paste pipeline's own filters (the size
    limit answers in plain text)."""
    return ParsableErrorMiddleware
