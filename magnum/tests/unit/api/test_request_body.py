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

"""Request bodies the API cannot take get a 4xx in the OpenStack error
format, whatever the operation: the paste pipeline's size limit and body
filter, WSME's conversion of wrong JSON types, and the catch-all of the
error middleware. Each case is one the fuzzer of
magnum/tests/functional/test_api_fuzz.py once got a 500 for."""

import pytest
import webtest

from magnum.api import app
from magnum.api.middleware import parsable_error
from magnum.tests.unit.api.conftest import error_of

# Every kind of operation that takes or may carry a body.
OPERATIONS = [
    ('POST', '/v1/clustertemplates'), ('POST', '/v1/clusters'),
    ('POST', '/v1/certificates'), ('POST', '/v1/quotas'),
    ('POST', '/v1/federations'), ('PATCH', '/v1/clusters/x'),
    ('PATCH', '/v1/certificates/x'), ('PATCH', '/v1/credentials/x'),
    ('DELETE', '/v1/clusters/x'), ('DELETE', '/v1/quotas/p/Cluster'),
]


@pytest.fixture
def pipeline(magnum_config, dbapi):
    magnum_config.config(auth_strategy='noauth')
    return webtest.TestApp(app.load_app())


def _send(client, method, path, body, content_type):
    return client.request(path, method=method, body=body,
                          headers={'Content-Type': content_type},
                          expect_errors=True)


@pytest.mark.parametrize('method,path', OPERATIONS)
@pytest.mark.parametrize('content_type', [
    'multipart/form-data', 'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded'])
def test_a_form_body_is_refused_with_415_saying_to_send_json(
        pipeline, method, path, content_type):
    response = _send(pipeline, method, path, b'_method=DELETE&a=1',
                     content_type)
    assert response.status_int == 415
    error = error_of(response)
    assert error['status'] == 415
    assert 'application/json' in error['detail']
    assert error['request_id'].startswith('req-')


@pytest.mark.parametrize('method,path', OPERATIONS)
def test_a_form_content_type_without_a_body_is_ignored(
        pipeline, method, path):
    # What the fuzzer sent: DELETE with Content-Type multipart/form-data
    # and no body at all (no boundary to parse); the operation answers.
    response = _send(pipeline, method, path, b'', 'multipart/form-data')
    assert response.status_int < 500, response.text


@pytest.mark.parametrize('body,detail', [
    (b'\xa4\x01', 'not UTF-8'),
    (b'{"name": ', 'not valid JSON'),
    (b'null', 'not null'),
    (b'"text"', 'not str'),
    (b'42', 'not int'),
    (b'[' * 50000 + b']' * 50000, 'nested too deeply'),
])
@pytest.mark.parametrize('method,path', OPERATIONS[:7])
def test_a_json_body_that_does_not_parse_is_a_400(pipeline, method, path,
                                                  body, detail):
    response = _send(pipeline, method, path, body, 'application/json')
    assert response.status_int == 400, response.text
    assert detail in error_of(response)['detail']


def test_a_body_over_the_size_limit_is_a_413(magnum_config):
    magnum_config.config(auth_strategy='noauth')
    magnum_config.config(group='oslo_middleware',
                         max_request_body_size=1024)
    client = webtest.TestApp(app.load_app())
    response = _send(client, 'POST', '/v1/clusters',
                     b'{"name": "%s"}' % (b'x' * 2048), 'application/json')
    assert response.status_int == 413
    assert error_of(response)['status'] == 413


def test_requests_without_a_body_pass(pipeline):
    assert pipeline.get('/v1').status_int == 200


# -- wrong JSON types inside a body (WSME's converters) ----------------------

@pytest.mark.parametrize('path,body,field', [
    ('/clusters', {'name': 'c', 'cluster_template_id': 't',
                   'create_timeout': {}}, 'create_timeout'),
    ('/clusters', {'name': 'c', 'cluster_template_id': 't',
                   'node_count': [1]}, 'node_count'),
    ('/clustertemplates', {'name': 't', 'coe': 'kubernetes',
                           'image_id': 'fedora-coreos',
                           'updated_at': {}}, 'updated_at'),
    ('/quotas', {'project_id': 'p', 'resource': 'Cluster', 'hard_limit': 1,
                 'updated_at': {}}, 'updated_at'),
    ('/federations', {'name': 'f', 'hostcluster_id': 'c',
                      'properties': {'dns-zone': 'example.com.'},
                      'updated_at': {}}, 'updated_at'),
    ('/certificates', {'cluster_uuid': 'c', 'csr': None}, 'csr'),
])
def test_a_field_of_the_wrong_json_type_is_a_400_naming_it(api, path, body,
                                                           field):
    error = error_of(api.post(path, body, status=400))
    assert field in error['detail'] or field in error['title']


@pytest.mark.parametrize('path', ['/clustertemplates/x', '/clusters/x',
                                  '/federations/x', '/bays/x',
                                  '/baymodels/x'])
@pytest.mark.parametrize('operation', [
    {'path': None, 'op': 'add', 'value': None},
    {'path': '/name', 'op': None, 'value': 'x'},
    {'path': 5, 'op': 'add', 'value': 'x'},
    {'op': 'replace', 'value': 'x'},
])
def test_a_json_patch_with_a_null_or_wrong_field_is_a_400(api, path,
                                                          operation):
    response = api.patch(path, [operation])
    assert response.status_int == 400, response.text


@pytest.mark.parametrize('path', ['/clustertemplates/x', '/clusters/x',
                                  '/federations/x', '/bays/x',
                                  '/baymodels/x'])
def test_a_null_json_patch_operation_is_a_400(api, path):
    response = api.patch(path, [None])
    assert response.status_int == 400, response.text


# -- whatever escapes the application --------------------------------------

def test_an_exception_escaping_the_application_is_a_json_500():
    def broken(environ, start_response):
        raise ValueError('/etc/secret/path leaked')
    client = webtest.TestApp(parsable_error.ParsableErrorMiddleware(broken))
    response = client.get('/v1/anything', expect_errors=True,
                          extra_environ={'openstack.request_id': 'req-1'})
    assert response.status_int == 500
    assert response.content_type == 'application/json'
    error = error_of(response)
    assert error['request_id'] == 'req-1'
    assert '/etc/secret' not in response.text
