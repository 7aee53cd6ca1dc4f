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

"""magnum-api's entry points keep eventlet, pygments, greenlet and
charset_normalizer out of
the process, and everything the API needs still imports and works without
them; keystonemiddleware loads only when auth_strategy = keystone asks for
it."""

import json
import socket
import subprocess
import sys

import pytest

from magnum.api import unused_imports

PROBE = '''
import sys
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    import magnum.cmd.api
    import requests
    import docker
assert not [w for w in caught if 'character detection' in str(w.message)], \\
    [str(w.message) for w in caught]
# Without a detector, requests reads a response that names no charset as
# UTF-8, as JSON is.
response = requests.Response()
response._content = '{"name": "\\u00e9t\\u00e9"}'.encode('utf-8')
assert response.apparent_encoding == 'utf-8'
assert response.json() == {'name': '\\u00e9t\\u00e9'}
import magnum.api.app
import oslo_messaging
import futurist
import sqlalchemy.orm
from magnum.api import unused_imports
from magnum.common import rpc
assert unused_imports.refused() == ['eventlet', 'pygments', 'greenlet',
                                    'charset_normalizer',
                                    'keystonemiddleware'], \\
    unused_imports.refused()
try:
    import eventlet  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError('eventlet imported')
import mako.exceptions
print('ok')
'''


def test_api_process_runs_without_the_unused_packages():
    # A process of its own: the test process has imported both already.
    result = subprocess.run([sys.executable, '-c', PROBE],
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
                                  'keystoneauth1', 'oslo_cache', 'kombu',
                                  'cryptography')
                if sys.modules.get(name) is not None)
json_body = response.json_body \
    if response.content_type == 'application/json' else None
print(json.dumps({'status': response.status_int, 'loaded': loaded,
                  'body': json_body,
                  'uri': getattr(conf.CONF.keystone_authtoken,
                                 'www_authenticate_uri', 'unregistered')}))
'''


def _serve(tmp_path, strategy, path, *token):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        keystone = 'http://127.0.0.1:%d' % sock.getsockname()[1]
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
    return keystone, json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize('path', ['/', '/healthcheck'])
def test_noauth_api_never_imports_keystonemiddleware(tmp_path, path):
    _, answer = _serve(tmp_path, 'noauth', path)
    assert answer['status'] == 200
    # Nor keystoneauth1 (Magnum acts as nobody in Keystone under noauth),
    # nor oslo.messaging's drivers (no request needed the conductor yet),
    # nor the cryptography bindings.
    assert answer['loaded'] == []
    # Nobody can read keystonemiddleware's options by mistake either.
    assert answer['uri'] == 'unregistered'


@pytest.mark.parametrize('token, status', [((), 401), (('a-token',), 503)])
def test_keystone_api_admits_keystonemiddleware(tmp_path, token, status):
    keystone, answer = _serve(tmp_path, 'keystone', '/v1/clusters', *token)
    assert answer['loaded'] == ['cryptography', 'keystoneauth1',
                                'keystoneclient', 'keystonemiddleware',
                                'oslo_cache']
    # Its options are registered and read from the file.
    assert answer['uri'] == keystone
    assert answer['status'] == status
    if status == 503:
        # Keystone unreachable: Magnum's error format, not webob's.
        error, = answer['body']['errors']
        assert error['title'] == \
            'The Keystone service is temporarily unavailable'


def test_admit_lets_a_refused_package_in_again(monkeypatch):
    monkeypatch.setitem(sys.modules, 'json_magnum_alias', None)
    unused_imports.admit('json_magnum_alias')
    assert 'json_magnum_alias' not in sys.modules
    unused_imports.admit('json')
    assert sys.modules['json'] is not None


def test_already_imported_packages_are_left_alone(monkeypatch):
    monkeypatch.setattr(unused_imports, 'UNUSED', ('json',))
    unused_imports.refuse_unused()
    assert sys.modules['json'] is not None
    assert unused_imports.refused() == []


def test_refused_package_import_fails(monkeypatch):
    monkeypatch.delitem(sys.modules, 'magnum_no_such_package',
                        raising=False)
    monkeypatch.setattr(unused_imports, 'UNUSED',
                        ('magnum_no_such_package',))
    unused_imports.refuse_unused()
    try:
        assert unused_imports.refused() == ['magnum_no_such_package']
        try:
            import magnum_no_such_package  # noqa: F401
        except ImportError:
            pass
        else:
            raise AssertionError('refused package imported')
    finally:
        del sys.modules['magnum_no_such_package']
