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

"""The version documents of GET / and GET /v1 (api-ref/source/versions.inc)."""

import pytest
import webtest

from magnum.api import app


@pytest.fixture(params=['pecan', 'paste'])
def client(request):
    wsgi_app = app.setup_app() if request.param == 'pecan' else \
        app.load_app()
    return webtest.TestApp(wsgi_app)


def test_root_document(client):
    response = client.get('/')
    assert response.status_int == 200
    assert response.content_type == 'application/json'
    body = response.json
    assert body['name'] == 'OpenStack Magnum API'
    assert body['versions'] == [{
        'id': 'v1', 'status': 'CURRENT', 'min_version': '1.1',
        'max_version': '1.16',
        'links': [{'href': 'http://localhost/v1/', 'rel': 'self'}]}]


@pytest.mark.parametrize('path', ['/v1', '/v1/'])
def test_v1_document(client, path):
    body = client.get(path).json
    assert body['id'] == 'v1'
    assert body['media_types'] == [{
        'base': 'application/json',
        'type': 'application/vnd.openstack.magnum.v1+json'}]
    assert body['links'][0] == {'href': 'http://localhost/v1/',
                                'rel': 'self'}
    assert body['links'][1]['rel'] == 'describedby'
    collections = ('clustertemplates', 'clusters', 'quotas',
                   'certificates', 'mservices', 'stats', 'federations',
                   'credentials', 'containers')
    for collection in collections:
        assert body[collection] == [
            {'href': 'http://localhost/v1/%s/' % collection, 'rel': 'self'},
            {'href': 'http://localhost/%s/' % collection,
             'rel': 'bookmark'}]
    for resource in ('nodegroups', 'nodes'):
        assert body[resource] == [
            {'href': 'http://localhost/v1/clusters/{cluster_id}/%s' %
             resource, 'rel': 'self'},
            {'href': 'http://localhost/clusters/{cluster_id}/%s' % resource,
             'rel': 'bookmark'}]
    assert set(body) == {'id', 'media_types', 'links', 'nodegroups',
                         'nodes', *collections}


def test_every_link_of_the_v1_document_leads_to_a_resource(api, rpc):
    """Each resource the document lists is routed at the newest
    microversion (a link to nothing is a defect): no 404 (a 405 for
    certificates, which have no list), and for the resources of a
    cluster a 404 naming the cluster that is missing."""
    rpc.results['node_list'] = []
    body = api.get('/v1', as_=None, status=200).json
    for name, links in body.items():
        if name in ('id', 'media_types', 'links'):
            continue
        href = links[0]['href'].replace('{cluster_id}', 'no-such-cluster')
        response = api.get(href[len('http://localhost'):], as_='admin',
                           version='latest')
        if '{cluster_id}' in links[0]['href']:
            assert response.status_int == 404, (name, response.text)
            assert 'no-such-cluster' in response.text, (name, response.text)
        else:
            assert response.status_int in (200, 405), (name, response.text)


def test_links_follow_the_application_url():
    client = webtest.TestApp(app.setup_app())
    body = client.get('/', extra_environ={
        'SCRIPT_NAME': '/container-infra', 'HTTP_HOST': 'cloud:8080'}).json
    assert body['versions'][0]['links'][0]['href'] == \
        'http://cloud:8080/container-infra/v1/'


def test_paste_pipeline_adds_request_id_and_honours_proxy_headers(
        magnum_config):
    magnum_config.config(group='oslo_middleware',
                         enable_proxy_headers_parsing=True)
    client = webtest.TestApp(app.load_app())
    response = client.get('/v1', headers={
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.com'})
    assert response.headers['X-OpenStack-Request-Id'].startswith('req-')
    assert response.json['links'][0]['href'] == \
        'https://api.example.com/v1/'


def test_cors_answers_preflight_for_configured_origin(magnum_config):
    magnum_config.config(group='cors',
                         allowed_origin=['https://dashboard.example.com'])
    client = webtest.TestApp(app.load_app())
    response = client.options('/v1', headers={
        'Origin': 'https://dashboard.example.com',
        'Access-Control-Request-Method': 'GET'})
    assert response.headers['Access-Control-Allow-Origin'] == \
        'https://dashboard.example.com'
    response = client.get('/v1', headers={'Origin': 'https://evil.example'})
    assert 'Access-Control-Allow-Origin' not in response.headers


@pytest.mark.parametrize('method, path', [
    ('GET', '/v1/nosuchthing'), ('GET', '/nosuch'),
    ('POST', '/v1/clusters/some-cluster/containers')])
@pytest.mark.parametrize('accept', [None, '*/*', 'application/json'])
def test_an_unknown_path_is_a_404_in_words_not_an_html_page(method, path,
                                                            accept):
    # webob's 404 page is HTML, text or JSON with HTML in it by the
    # request's Accept; the detail is its sentence either way.
    client = webtest.TestApp(app.setup_app())
    response = client.request(path, method=method, expect_errors=True,
                              headers={'Accept': accept} if accept else {})
    assert response.status_int == 404
    [error] = response.json['errors']
    assert (error['title'], error['detail']) == (
        'Not Found', 'The resource could not be found.')
