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

"""A real Magnum deployment for functional tests: magnum-api (gunicorn)
and one or more magnum-conductor processes on RabbitMQ and a database of
the test run."""

import json
import os
import socket
import urllib.error
import urllib.request
import uuid

from magnum.tests.functional import processes


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Deployment:
    """``start()`` brings the API and conductors up; ``stop()`` ends them.

    ``config`` holds extra {section: {option: value}} for magnum.conf.
    """

    def __init__(self, directory, db_url, rabbit_url, config=None,
                 api_workers=2, conductors=1):
        self.directory = str(directory)
        self.db_url = db_url
        suffix = uuid.uuid4().hex[:8]
        self.exchange = 'magnum-test-%s' % suffix
        self.topic = 'magnum-conductor-%s' % suffix
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.settings = {
            'DEFAULT': {'auth_strategy': 'noauth',
                        'transport_url': rabbit_url,
                        'control_exchange': self.exchange,
                        'state_path': self.directory,
                        'report_interval': 2,
                        'service_down_time': 20,
                        'debug': 'true'},
            'api': {'host': '127.0.0.1', 'port': self.port,
                    'workers': api_workers},
            'conductor': {'topic': self.topic, 'workers': 1,
                          'sync_interval': 2, 'rpc_call_timeout': 20,
                          'lock_timeout': 15},
            'kubernetes': {'health_polling_interval': 5},
            'database': {'connection': db_url},
            'oslo_messaging_notifications': {'driver': 'noop'},
        }
        for section, options in (config or {}).items():
            self.settings.setdefault(section, {}).update(options)
        self.conductor_count = conductors
        self.api = None
        self.conductors = {}

    def _config(self, name, extra=None):
        settings = {section: dict(options)
                    for section, options in self.settings.items()}
        for section, options in (extra or {}).items():
            settings.setdefault(section, {}).update(options)
        return processes.write_config(
            os.path.join(self.directory, name), settings)

    def start(self):
        self.config_file = self._config('magnum.conf', {
            'DEFAULT': {'log_file': os.path.join(self.directory,
                                                 'magnum-api.log')}})
        self.api = processes.ServiceProcess(
            'magnum.cmd.api', self.config_file,
            os.path.join(self.directory, 'magnum-api.out')).start()
        for index in range(self.conductor_count):
            self.start_conductor('conductor-%d' % (index + 1))
        processes.wait_for(self.answers, 60, message='magnum-api at %s' %
                           self.url)
        return self

    def start_or_explain(self):
        """start(); when it fails, print what the processes logged and stop
        whatever did start, then raise."""
        try:
            return self.start()
        except BaseException:
            print(self.logs())
            self.stop()
            raise

    def start_conductor(self, host):
        config = self._config('conductor-%s.conf' % host, {
            'DEFAULT': {'host': host, 'log_file': os.path.join(
                self.directory, 'magnum-conductor-%s.log' % host)}})
        process = processes.ServiceProcess(
            'magnum.cmd.conductor', config,
            os.path.join(self.directory, 'magnum-conductor-%s.out' % host))
        self.conductors[host] = process.start()
        return process

    def answers(self):
        try:
            with urllib.request.urlopen(self.url + '/', timeout=2) as reply:
                return json.load(reply)
        except (OSError, urllib.error.URLError):
            return None

    def stop(self):
        for process in list(self.conductors.values()) + [self.api]:
            if process is not None:
                process.stop()

    def logs(self, tail=4000):
        """The last ``tail`` characters of every service log (None: all
        of them), for failure messages and searches."""
        text = []
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(('.log', '.out')):
                with open(os.path.join(self.directory, name),
                          errors='replace') as handle:
                    content = handle.read()
                if tail is not None:
                    content = content[-tail:]
                text.append('==> %s <==\n%s' % (name, content))
        return '\n'.join(text)

    def client_env(self):
        """Environment for `openstack coe ...` against this deployment."""
        env = dict(os.environ)
        for key in list(env):
            if key.startswith('OS_'):
                del env[key]
        env.update({'OS_AUTH_TYPE': 'none', 'OS_ENDPOINT': self.url,
                    'PYTHONWARNINGS': 'ignore'})
        return env
