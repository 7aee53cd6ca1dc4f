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

"""Microversion negotiation and the error format
(doc/source/contributor/compatibility.rst, "Microversions" and
"Errors")."""

import pytest

from magnum.tests.unit.api.conftest import error_of


def test_absent_header_means_1_1(api):
    response = api.get('/v1', status=200)
    assert response.headers['OpenStack-API-Version'] == \
        'container-infrastructure-management 1.1'
    assert response.headers['OpenStack-API-Minimum-Version'] == \
        'container-infrastructure-management 1.1'
    assert response.headers['OpenStack-API-Maximum-Version'] == \
        'container-infrastructure-management 1.16'
    assert response.headers['Vary'] == 'OpenStack-API-Version'


@pytest.mark.parametrize('service', [
    'container-infrastructure-management', 'container-infrastructure',
    'container-infra', 'CONTAINER-INFRA'])
@pytest.mark.parametrize('version,expected', [('1.9', '1.9'),
                                              ('latest', '1.16'),
                                              ('LATEST', '1.16')])
def test_aliases_and_latest(api, service, version, expected):
    response = api.get('/v1', headers={
        'OpenStack-API-Version': '%s %s' % (service, version)}, status=200)
    assert response.headers['OpenStack-API-Version'].endswith(expected)


@pytest.mark.parametrize('value', ['container-infra', 'compute 1.2',
                                   'container-infra 1.x', 'a b c'])
def test_unreadable_header_is_406_with_a_reason(api, value):
    response = api.get('/v1', headers={'OpenStack-API-Version': value},
                       status=406)
    error = error_of(response)
    assert error['status'] == 406
    assert error['title'] and error['detail']
    assert 'OpenStack-API-Version' in error['detail']


@pytest.mark.parametrize('version', ['2.0', '1.0', '1.17', '0.9'])
def test_out_of_range_version_has_the_microversion_body(api, version):
    response = api.get('/v1', headers={
        'OpenStack-API-Version': 'container-infra %s' % version},
        status=406)
    error = error_of(response)
    assert error['code'] == 'magnum.microversion-unsupported'
    assert (error['min_version'], error['max_version']) == ('1.1', '1.16')
    assert version in error['detail']
    assert response.headers['OpenStack-API-Maximum-Version'].endswith('1.16')


def test_root_document_is_not_negotiated(api):
    response = api.get('/', headers={
        'OpenStack-API-Version': 'container-infra 9.9'}, status=200)
    assert 'OpenStack-API-Version' not in response.headers


def test_unknown_path_is_404_in_error_format(api):
    error = error_of(api.get('/v1/no-such-resource', status=404))
    assert error['status'] == 404
    assert error['code'] == 'client'
