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

"""magnum.wsgi.api reads the configuration files the environment names
(MAGNUM_CONFIG_FILE, MAGNUM_CONFIG_DIR), never the WSGI server's command
line, and exposes the API as ``application``. (Under a real uWSGI:
magnum/tests/functional/test_wsgi_uwsgi.py.)"""

import json
import os
import subprocess
import sys

# Imported in a process of its own: importing the module builds the
# application from the configuration, which is what a WSGI host does.
PROBE = '''
import json
import sys
sys.argv = ['uwsgi', '--http', ':9', '--processes', '4']
import webob
from magnum import conf
from magnum.wsgi import api
response = webob.Request.blank('/').get_response(api.application)
print(json.dumps({
    'status': response.status_int,
    'versions': [v['id'] for v in response.json_body['versions']],
    'state_path': conf.CONF.state_path,
    'max_limit': conf.CONF.api.max_limit,
    'config_files': conf.CONF.config_file,
}))
'''


def _run(environ):
    result = subprocess.run(
        [sys.executable, '-c', PROBE], capture_output=True, text=True,
        timeout=120, env=dict(os.environ, **environ))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_the_files_the_environment_names_are_read_in_order(tmp_path):
    first = _write(tmp_path / 'magnum.conf',
                   '[DEFAULT]\nauth_strategy = noauth\n'
                   'state_path = %s\n[database]\nconnection = sqlite://\n'
                   '[api]\nmax_limit = 50\n' % tmp_path)
    second = _write(tmp_path / 'override.conf', '[api]\nmax_limit = 7\n')
    answer = _run({'MAGNUM_CONFIG_FILE': ' %s,%s ' % (first, second)})
    assert answer['status'] == 200
    assert answer['versions'] == ['v1']
    assert answer['state_path'] == str(tmp_path)
    assert answer['max_limit'] == 7  # the later file wins
    assert answer['config_files'] == [first, second]


def test_a_configuration_directory_is_read_after_the_files(tmp_path):
    first = _write(tmp_path / 'magnum.conf',
                   '[DEFAULT]\nauth_strategy = noauth\n'
                   'state_path = %s\n[database]\nconnection = sqlite://\n'
                   % tmp_path)
    directory = tmp_path / 'magnum.conf.d'
    directory.mkdir()
    _write(directory / '10-api.conf', '[api]\nmax_limit = 25\n')
    answer = _run({'MAGNUM_CONFIG_FILE': first,
                   'MAGNUM_CONFIG_DIR': str(directory)})
    assert answer['status'] == 200
    assert answer['max_limit'] == 25
