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

"""Magnum's wrapper of keystonemiddleware: public routes, and Keystone
being unreachable answered in the OpenStack error format."""

import socket

from oslo_config import cfg
import pytest
import webob
import webob.dec
import webtest

from magnum.api.middleware import auth_token


def _closed_port():
    # A port nothing listens on: bound, then released.
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def app(tmp_path):
    @webob.dec.wsgify
    def reached(request):
        return webob.Response(json_body={'reached': True})

    # A configuration of its own, from a file as in magnum-api: the
    # middleware registers its options (and the auth plugin's) on it and
    # reads their values from the file.
    keystone = 'http://127.0.0.1:%d' % _closed_port()
    config_file = tmp_path / 'magnum.conf'
    config_file.write_text(
        '[keystone_authtoken]\n'
        'www_authenticate_uri = %(url)s\nauth_url = %(url)s\n'
        'auth_type = password\nusername = magnum\npassword = secret\n'
        'project_name = service\nuser_domain_name = Default\n'
        'project_domain_name = Default\nhttp_request_max_retries = 0\n'
        'http_connect_timeout = 2\n' % {'url': keystone})
    own_conf = cfg.ConfigOpts()
    own_conf(['--config-file', str(config_file)], project='magnum')
    return webtest.TestApp(auth_token.AuthTokenMiddleware(
        reached, {'oslo_config_config': own_conf},
        public_api_routes=['/', '/v1']))


def test_public_routes_pass_without_a_token(app):
    for path in ('/', '/v1', '/v1/', '/v1.json'):
        assert app.get(path).json == {'reached': True}


def test_no_token_is_401_in_keystonemiddlewares_format(app):
    reply = app.get('/v1/clusters', status=401)
    assert reply.json['error']['code'] == 401
    assert reply.headers['WWW-Authenticate'].startswith('Keystone uri=')


def test_keystone_unreachable_is_503_in_the_openstack_error_format(app):
    for accept in ('application/json', 'text/html', '*/*'):
        reply = app.get('/v1/clusters', status=503, headers={
            'X-Auth-Token': 'a-token', 'Accept': accept})
        assert reply.content_type == 'application/json'
        error, = reply.json['errors']
        assert error['status'] == 503 and error['code'] == 'server'
        assert error['title'] == \
            'The Keystone service is temporarily unavailable'
        assert 'Try again later' in error['detail']
        assert error['links'] == [] and error['request_id'] == ''
