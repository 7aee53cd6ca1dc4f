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

"""What magnum-api's own code imports, and when: keystonemiddleware (and
keystoneauth1, oslo.cache, the cryptography bindings, the messaging
drivers) only when the configuration or a request needs them. No package
is ever made unimportable: the entry points leave every installed
library importable, in their process and in a WSGI host's."""

import json
import socket
import subprocess
import sys

import pytest

# Packages magnum-api does not need, which earlier versions refused to
# import; any code in the API process (a WSGI host's, a library's) must
# still be able to import each of them.
INSTALLED = ('eventlet', 'greenlet', 'pygments', 'charset_normalizer',
             'keystonemiddleware')

IMPORTABLE = """
import importlib
import sys
import magnum.cmd.api
import magnum.api.app
# The application built, with every speed-up it applies in place.
magnum.api.app.setup_app()
for name in sys.argv[1:]:
    importlib.import_module(name)
    assert sys.modules[name] is not None, name
print('ok')
"""


def test_the_api_entry_point_leaves_every_package_importable():
    # A process of its own: the test process may have imported them all.
    result = subprocess.run(
        [sys.executable, '-c', IMPORTABLE] + list(INSTALLED),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


# The API process as magnum-api's workers run it: the entry point, the
# configuration parsed from a file, the paste pipeline loaded, a request.
SERVE = '''
import json
import sys
import magnum.cmd.api
import webob
from magnum import conf
from magnum.api import app
from magnum.common import service
service.prepare_service(['magnum-api', '--config-file', sys.argv[1]],
                        messaging_opts=False)
application = app.load_app()
request = webob.Request.blank(sys.argv[2])
if len(sys.argv) > 3:
    request.headers['X-Auth-Token'] = sys.argv[3]
response = request.get_response(application)
loaded = sorted(name for name in ('keystonemiddleware', 'keystoneclient',
                                  'keystoneauth1', 'oslo_cache', 'kombu')
                if sys.modules.get(name) is not None)
json_body = response.json_body \
    if response.content_type == 'application/json' else None
print(json.dumps({'status': response.status_int, 'loaded': loaded,
                  'body': json_body,
                  'uri': getattr(conf.CONF.keystone_authtoken,
                                 'www_authenticate_uri', 'unregistered')}))
'''


def _serve(tmp_path, strategy, path, *token):
    # A Keystone that refuses connections: a port held, bound but not
    # listening, for the whole request, so that no other test's server
    # can take it meanwhile.
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        keystone = 'http://127.0.0.1:%d' % sock.getsockname()[1]
        return keystone, _run(tmp_path, strategy, keystone, path, token)


def _run(tmp_path, strategy, keystone, path, token):
    config_file = tmp_path / 'magnum.conf'
    config_file.write_text(
        '[DEFAULT]\nauth_strategy = %(strategy)s\nstate_path = %(tmp)s\n'
        '[database]\nconnection = sqlite://\n'
        '[keystone_authtoken]\nwww_authenticate_uri = %(url)s\n'
        'auth_url = %(url)s\nauth_type = password\nusername = magnum\n'
        'password = secret\nproject_name = service\n'
        'user_domain_name = Default\nproject_domain_name = Default\n'
        'http_request_max_retries = 0\nhttp_connect_timeout = 2\n' % {
            'strategy': strategy, 'tmp': tmp_path, 'url': keystone})
    result = subprocess.run(
        [sys.executable, '-c', SERVE, str(config_file), path] + list(token),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize('path', ['/', '/healthcheck'])
def test_noauth_api_never_imports_keystonemiddleware(tmp_path, path):
    _, answer = _serve(tmp_path, 'noauth', path)
    assert answer['status'] == 200
    # Nor keystoneauth1 (Magnum acts as nobody in Keystone under noauth),
    # nor oslo.messaging's drivers (no request needed the conductor yet).
    assert answer['loaded'] == []
    # Nobody can read keystonemiddleware's options by mistake either.
    assert answer['uri'] == 'unregistered'


@pytest.mark.parametrize('token, status', [((), 401), (('a-token',), 503)])
def test_keystone_api_imports_keystonemiddleware(tmp_path, token, status):
    keystone, answer = _serve(tmp_path, 'keystone', '/v1/clusters', *token)
    assert answer['loaded'] == ['keystoneauth1', 'keystoneclient',
                                'keystonemiddleware', 'oslo_cache']
    # Its options are registered and read from the file.
    assert answer['uri'] == keystone
    assert answer['status'] == status
    if status == 503:
        # Keystone unreachable: Magnum's error format, not webob's.
        error, = answer['body']['errors']
        assert error['title'] == \
            'The Keystone service is temporarily unavailable'
