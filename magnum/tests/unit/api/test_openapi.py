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

"""The OpenAPI document: complete, served, and able to catch a response
that does not match it."""

import importlib
import inspect
import pkgutil

from pecan import rest
import pytest
import webtest

from magnum.api import app
from magnum.api import openapi
from magnum.api.controllers import v1
from magnum.tests import openapi_validator


def _exposed_functions():
    """(module, class, method) of every WSME-exposed controller method."""
    found = set()
    for module_info in pkgutil.iter_modules(v1.__path__):
        module = importlib.import_module('%s.%s' % (v1.__name__,
                                                    module_info.name))
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, rest.RestController) or \
                    cls.__module__ != module.__name__:
                continue
            for name, member in vars(cls).items():
                if hasattr(member, '_wsme_definition'):
                    found.add((cls.__module__, cls.__name__, name))
    return found


def test_every_exposed_method_is_documented():
    missing = _exposed_functions() - openapi.documented_functions()
    assert not missing, 'not reachable in the OpenAPI walk: %s' % sorted(
        missing)


def test_document_shape():
    document = openapi.document()
    assert document['openapi'] == '3.1.0'
    assert document['info']['version'] == '1.16'
    for path, operations in document['paths'].items():
        assert path.startswith('/v1/')
        for method, operation in operations.items():
            assert method in ('get', 'post', 'patch', 'put', 'delete')
            assert 'default' in operation['responses']
            for parameter in operation['parameters']:
                if parameter['in'] == 'path':
                    assert '{%s}' % parameter['name'] in path
    template = document['components']['schemas']['ClusterTemplate']
    assert template['required'] == ['coe', 'image_id']
    assert template['properties']['links']['readOnly'] is True


def test_served_without_a_token(magnum_config):
    magnum_config.config(auth_strategy='keystone')
    # Registered by the API under keystone, and needed before they are set.
    app.register_auth_middleware_opts()
    magnum_config.config(group='keystone_authtoken',
                         www_authenticate_uri='http://keystone.test/v3')
    client = webtest.TestApp(app.load_app())
    response = client.get('/v1/openapi.json')
    assert response.status_int == 200
    assert response.json['servers'] == [{'url': 'http://localhost'}]
    assert '/v1/clustertemplates/{ident}' in response.json['paths']
    assert client.get('/v1/clustertemplates',
                      expect_errors=True).status_int == 401


class _Response:
    def __init__(self, status, body):
        self.status_int = status
        self.json = body
        self.body = b'x'
        self.content_type = 'application/json'


def test_validator_rejects_a_response_that_does_not_match():
    with pytest.raises(AssertionError, match='does not match'):
        openapi_validator.validate_response(
            'get', '/v1/clustertemplates/abc',
            _Response(200, {'uuid': 'abc', 'labels': 'not-a-dict'}))
    with pytest.raises(AssertionError, match='not documented'):
        openapi_validator.validate_response(
            'get', '/v1/clustertemplates/abc', _Response(201, {}))
    with pytest.raises(AssertionError, match='does not match'):
        openapi_validator.validate_response(
            'get', '/v1/clustertemplates/abc', _Response(404, {'x': 1}))
