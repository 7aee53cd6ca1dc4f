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

"""The API reference (api-ref/source) and /v1/openapi.json agree.

The reference is written by hand; the OpenAPI document is built from the
controllers. These tests read the reference's ``rest_method`` and
``rest_parameters`` directives and fail when an operation, a path or
query parameter, or a body field is in one and not the other, and when an
example response does not match the schema the document gives it.
"""

import json
import os
import re

import pytest
import yaml

from magnum.api import openapi
from magnum.tests import openapi_validator

SOURCE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                      'api-ref', 'source')
# The version documents are not resources and are not in the document.
UNDOCUMENTED = {('GET', '/'), ('GET', '/v1')}
# Headers are the same for every operation; the document names only the
# token (as a security scheme).
HEADERS = {'X-Auth-Token', 'OpenStack-API-Version'}

_METHOD = re.compile(r'^\.\. rest_method:: (\w+) (\S+)\s*$')
_PARAMS = re.compile(r'^\.\. rest_parameters:: (\S+)\s*$')
_ITEM = re.compile(r'^\s+- ([\w-]+): (\w+)\s*$')
_SAMPLE = re.compile(r'^\.\. literalinclude:: samples/(\S+)\s*$')
_SECTION = re.compile(r'^(Request|Response)(?: Example)?\s*$')


def _parameters():
    with open(os.path.join(SOURCE, 'parameters.yaml')) as f:
        return yaml.safe_load(f)


def _reference():
    """{(METHOD, path): {'request': [(name, key)], 'response': [...],
    'samples': {'request': file, 'response': file}}} from the .inc files."""
    operations = {}
    for name in sorted(os.listdir(SOURCE)):
        if not name.endswith('.inc'):
            continue
        current, section = None, None
        with open(os.path.join(SOURCE, name)) as f:
            lines = f.read().splitlines()
        for line in lines:
            match = _METHOD.match(line)
            if match:
                current = (match.group(1), match.group(2))
                assert current not in operations, (
                    '%s is in the reference twice' % (current,))
                operations[current] = {'request': [], 'response': [],
                                       'samples': {}, 'file': name}
                section = None
                continue
            match = _SECTION.match(line)
            if match and current:
                section = match.group(1).lower()
                continue
            match = _ITEM.match(line)
            if match and current and section:
                operations[current][section].append(match.groups())
                continue
            match = _SAMPLE.match(line)
            if match and current and section:
                operations[current]['samples'][section] = match.group(1)
    return operations


def _operations():
    document = openapi.document()
    return {(method.upper(), path): operation
            for path, methods in document['paths'].items()
            for method, operation in methods.items()}, document


def _resolve(schema, components):
    while '$ref' in schema:
        schema = components[schema['$ref'].split('/')[-1]]
    return schema


def _body_names(schema, components, writable_only=False, depth=0):
    """Field names a body with this schema may carry, nested ones too
    (a collection's items, an array's items)."""
    schema = _resolve(schema, components)
    if 'items' in schema:  # an array (perhaps nullable)
        return _body_names(schema['items'], components, writable_only,
                           depth)
    names = set()
    for name, sub in schema.get('properties', {}).items():
        if writable_only and sub.get('readOnly'):
            continue
        names.add(name)
        if depth < 1 and not writable_only:
            names |= _body_names(sub, components, depth=depth + 1)
    return names


REFERENCE = _reference()
OPERATIONS, DOCUMENT = _operations()
COMPONENTS = DOCUMENT['components']['schemas']
PARAMETERS = _parameters()


def _request_schema(operation):
    body = operation.get('requestBody')
    return body['content']['application/json']['schema'] if body else None


def _response(operation):
    status = next(code for code in operation['responses']
                  if code != 'default')
    content = operation['responses'][status].get('content')
    return status, (content['application/json']['schema'] if content
                    else None)


def test_every_operation_is_in_both():
    documented = set(OPERATIONS)
    referenced = set(REFERENCE) - UNDOCUMENTED
    assert referenced - documented == set(), (
        'in api-ref but not in /v1/openapi.json')
    assert documented - referenced == set(), (
        'in /v1/openapi.json but not in api-ref')


def test_every_parameter_key_exists_and_is_placed_right():
    for (method, path), ref in REFERENCE.items():
        for section in ('request', 'response'):
            for name, key in ref[section]:
                assert key in PARAMETERS, (
                    '%s %s names %s, not in parameters.yaml' % (
                        method, path, key))
                where = PARAMETERS[key]['in']
                if section == 'response':
                    assert where in ('header', 'body'), (method, path, name)
                if where == 'header':
                    assert name in HEADERS, (method, path, name)


@pytest.mark.parametrize('method,path', sorted(OPERATIONS))
def test_path_and_query_parameters_match(method, path):
    operation = OPERATIONS[(method, path)]
    documented = {(p['name'], p['in']) for p in operation['parameters']}
    referenced = {(name, PARAMETERS[key]['in'])
                  for name, key in REFERENCE[(method, path)]['request']
                  if PARAMETERS[key]['in'] in ('path', 'query')}
    assert referenced == documented


@pytest.mark.parametrize('method,path', sorted(OPERATIONS))
def test_body_fields_match(method, path):
    operation = OPERATIONS[(method, path)]
    ref = REFERENCE[(method, path)]
    request_schema = _request_schema(operation)
    referenced = {name for name, key in ref['request']
                  if PARAMETERS[key]['in'] == 'body'}
    writable = (_body_names(request_schema, COMPONENTS, writable_only=True)
                if request_schema else set())
    # Every field a client may send is described, and nothing else.
    assert referenced == writable

    _, response_schema = _response(operation)
    referenced = {name for name, key in ref['response']
                  if PARAMETERS[key]['in'] == 'body'}
    returned = (_body_names(response_schema, COMPONENTS)
                if response_schema else set())
    assert referenced <= returned, 'described but never returned'
    if response_schema is None:
        return
    schema = _resolve(response_schema, COMPONENTS)
    top = set(schema.get('properties', {}))
    if response_schema.get('$ref', '').endswith('Collection'):
        # A collection's own created_at/updated_at are never filled in;
        # the fields of its items are described with it.
        top -= {'created_at', 'updated_at'}
        for sub in schema['properties'].values():
            if 'items' in sub:
                top |= set(_resolve(sub['items'], COMPONENTS)['properties'])
    assert top <= referenced, 'returned but not described'


@pytest.mark.parametrize('method,path', sorted(OPERATIONS))
def test_examples_match_the_schemas(method, path):
    operation = OPERATIONS[(method, path)]
    samples = REFERENCE[(method, path)]['samples']
    status, response_schema = _response(operation)
    for section, schema in (('request', _request_schema(operation)),
                            ('response', response_schema)):
        if section not in samples:
            continue
        with open(os.path.join(SOURCE, 'samples', samples[section])) as f:
            body = json.load(f)
        if section == 'response' and 'errors' in body:
            schema = {'$ref': '#/components/schemas/Error'}
        assert schema is not None, (method, path, section)
        openapi_validator._validate(schema, body, '%s %s %s example' % (
            method, path, section))


def test_every_microversion_is_listed():
    from magnum.api import microversion
    with open(os.path.join(SOURCE, 'index.rst')) as f:
        listed = re.findall(r'^(\d+\.\d+) {2,}', f.read(), re.M)
    assert listed == [microversion.version_string(v)
                      for v in sorted(microversion.HISTORY)]


def test_every_sample_is_shown():
    shown = {sample for ref in REFERENCE.values()
             for sample in ref['samples'].values()}
    with open(os.path.join(SOURCE, 'index.rst')) as f:
        shown |= set(re.findall(r'samples/(\S+)', f.read()))
    files = set(os.listdir(os.path.join(SOURCE, 'samples')))
    assert files - shown == set(), 'examples no page shows'
