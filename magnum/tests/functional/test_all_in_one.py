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

"""magnum-all-in-one, the quickstart's process: the API and an in-process
conductor answer, on SQLite with no message broker."""

import json
import socket
import subprocess
import sys
import urllib.request

from magnum.tests.functional import processes


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_all_in_one_serves_api_and_runs_a_conductor(tmp_path):
    port = _free_port()
    config = processes.write_config(tmp_path / 'magnum.conf', {
        'DEFAULT': {'auth_strategy': 'noauth', 'state_path': str(tmp_path),
                    'report_interval': 1,
                    'log_file': str(tmp_path / 'magnum.log')},
        'api': {'host': '127.0.0.1', 'port': port},
        'database': {'connection': 'sqlite:///%s' %
                     (tmp_path / 'magnum.sqlite')},
    })
    process = processes.ServiceProcess('magnum.cmd.all_in_one', config,
                                       tmp_path / 'console.log').start()
    try:
        url = 'http://127.0.0.1:%d' % port

        def get(path):
            try:
                return json.load(urllib.request.urlopen(url + path,
                                                        timeout=5))
            except OSError:
                return None

        root = processes.wait_for(lambda: get('/'), 60,
                                  message='the API to answer')
        assert root['versions'][0]['max_version'] == '1.16'
        assert get('/v1')['id'] == 'v1'

        def status():
            result = subprocess.run(
                [sys.executable, '-m', 'magnum.cmd.status', '--config-file',
                 config, 'upgrade', 'check'],
                capture_output=True, text=True, timeout=60)
            return result if result.returncode == 0 else None

        result = processes.wait_for(status, 30,
                                    message='magnum-status to pass')
        assert 'magnum-conductor is up' in result.stdout
        assert process.running(), process.log()
    finally:
        assert process.stop() == 0, process.log()


def test_status_check_fails_on_an_empty_database(tmp_path):
    config = processes.write_config(tmp_path / 'magnum.conf', {
        'database': {'connection': 'sqlite:///%s' %
                     (tmp_path / 'magnum.sqlite')},
    })
    result = subprocess.run(
        [sys.executable, '-m', 'magnum.cmd.status', '--config-file', config,
         'upgrade', 'check'], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'has no Magnum schema' in result.stdout
    assert 'magnum-db-manage' in result.stdout
