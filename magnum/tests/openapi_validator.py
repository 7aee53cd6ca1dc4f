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

"""Checks real API responses against the OpenAPI document the API serves.

The API unit tests run every response through ``validate_response``, so
the document and the code cannot drift apart unnoticed.
"""

import functools
import re
from urllib import parse

import jsonschema


@functools.lru_cache(maxsize=1)
def _document():
    from magnum.api import openapi
    return openapi.document()


@functools.lru_cache(maxsize=1)
def _templates():
    """(regex, template) for every documented path, literal paths first."""
    compiled = []
    for template in _document()['paths']:
        pattern = re.sub(r'\{[^}]+\}', '[^/]+', template)
        compiled.append((template.count('{'), re.compile('^%s$' % pattern),
                         template))
    return [(regex, template) for _, regex, template in sorted(
        compiled, key=lambda item: (item[0], item[2]))]


def find_operation(method, path):
    path = parse.urlsplit(path).path.rstrip('/') or '/'
    for regex, template in _templates():
        if regex.match(path):
            return template, _document()['paths'][template].get(
                method.lower())
    return None, None


def _validate(schema, body, where):
    root = dict(schema, components=_document()['components'])
    validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(body), key=str)
    if errors:
        raise AssertionError('%s does not match the OpenAPI document: %s' % (
            where, '; '.join('%s at %s' % (e.message, list(e.absolute_path))
                             for e in errors[:5])))


def validate_response(method, path, response):
    """Fail when ``response`` is not what the document says."""
    where = '%s %s -> %s' % (method.upper(), path, response.status_int)
    template, operation = find_operation(method, path)
    status = str(response.status_int)
    body = response.json if response.content_type == 'application/json' \
        and response.body else None
    if response.status_int >= 400:
        _validate(_document()['components']['schemas']['Error'], body,
                  where)
        return
    if operation is None:
        if template is None and path.rstrip('/') in ('', '/v1'):
            return  # the version documents are not resources
        if path.rstrip('/').endswith('openapi.json'):
            return
        raise AssertionError('%s is not in the OpenAPI document' % where)
    documented = operation['responses'].get(status)
    if documented is None:
        raise AssertionError('%s: status %s is not documented (%s)' % (
            where, status, sorted(operation['responses'])))
    content = documented.get('content')
    if content is None:
        assert not response.body, '%s: documented without a body' % where
        return
    _validate(content['application/json']['schema'], body, where)
