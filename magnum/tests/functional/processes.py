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

"""Real Magnum processes for functional tests."""

import base64
import configparser
import ctypes
import os
import signal
import subprocess
import sys
import time

import pytest

from magnum.tests import db_backends

# One certificate encryption key for every Magnum service a test run
# starts, as every host of one deployment shares its key: the first
# conductor records the key's id in the database, and a conductor with
# another key refuses to start (the test run's services share databases).
SESSION_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()


def write_config(path, sections):
    """Write {section: {option: value}} as an ini file and return path.

    A Magnum configuration (one with [database]) that names no encryption
    key gets the test run's (SESSION_ENCRYPTION_KEY)."""
    if 'database' in sections:
        certificates = dict(sections.get('certificates') or {})
        if not certificates.get('encryption_key') and \
                not certificates.get('encryption_key_file'):
            certificates['encryption_key'] = SESSION_ENCRYPTION_KEY
            sections = dict(sections, certificates=certificates)
    parser = configparser.ConfigParser(interpolation=None)
    for section, options in sections.items():
        parser[section] = {k: str(v) for k, v in options.items()}
    with open(path, 'w') as handle:
        parser.write(handle)
    return str(path)


_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: the child gets SIGTERM when the test process dies.

    A pytest killed by a timeout (or ^C twice) runs no fixture teardown;
    without this, the services it started would keep running, holding
    ports and CPU for the next run on the same machine. Linux only;
    elsewhere nothing happens."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class ServiceProcess:
    """A console script of ours, started with a config file, logging to a
    file that a failing test shows."""

    def __init__(self, module, config_file, log_path):
        self.module = module
        self.config_file = config_file
        self.log_path = str(log_path)
        self.process = None

    def start(self):
        self._log = open(self.log_path, 'ab')
        self.process = subprocess.Popen(
            [sys.executable, '-m', self.module, '--config-file',
             self.config_file],
            stdout=self._log, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONWARNINGS='ignore'),
            start_new_session=True, preexec_fn=die_with_parent)
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal the process group; return the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()
        return self.process.returncode

    def log(self):
        with open(self.log_path, errors='replace') as handle:
            return handle.read()


def wait_for(predicate, timeout, interval=0.2, message='condition'):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail('Timed out after %ss waiting for %s' % (timeout,
                                                                message))
        time.sleep(interval)


RABBIT_URL = os.environ.get('MAGNUM_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')


def require_rabbitmq():
    import socket
    try:
        with socket.create_connection(('127.0.0.1', 5672), timeout=3):
            pass
    except OSError as error:
        message = 'RabbitMQ at 127.0.0.1:5672 is not reachable: %s' % error
        if db_backends.in_ci():
            pytest.fail(message + ' (CI=true)', pytrace=False)
        pytest.skip(message)
    return RABBIT_URL
