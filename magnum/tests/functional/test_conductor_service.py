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

"""magnum-conductor as a real process on RabbitMQ and MariaDB: it answers
RPC calls, reports itself in magnum_service, and stops cleanly."""

import json
import signal
import socket
import subprocess
import sys
import uuid

import oslo_messaging as messaging
import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import rpc
from magnum.conductor import rpcapi
from magnum.tests.functional import processes


@pytest.fixture
def messaging_setup(magnum_config):
    """A private exchange and topic on the machine's RabbitMQ."""
    url = processes.require_rabbitmq()
    suffix = uuid.uuid4().hex[:8]
    settings = {'transport_url': url,
                'control_exchange': 'magnum-test-%s' % suffix,
                'topic': 'magnum-conductor-%s' % suffix}
    # Making a transport registers oslo.messaging's options.
    messaging.get_rpc_transport(magnum_config.conf, url=url).cleanup()
    magnum_config.config(transport_url=url,
                         control_exchange=settings['control_exchange'])
    magnum_config.config(group='conductor', topic=settings['topic'],
                         rpc_call_timeout=5)
    rpc.set_transport(messaging.get_rpc_transport(magnum_config.conf))
    yield settings
    rpc.cleanup()


@pytest.fixture
def conductor(messaging_setup, dbapi, migrated_db_url, tmp_path):
    host = 'conductor-%s' % uuid.uuid4().hex[:6]
    config = processes.write_config(tmp_path / 'magnum.conf', {
        'DEFAULT': {'transport_url': messaging_setup['transport_url'],
                    'control_exchange': messaging_setup['control_exchange'],
                    'host': host, 'report_interval': 1,
                    'log_file': str(tmp_path / 'conductor.log')},
        'conductor': {'topic': messaging_setup['topic'], 'workers': 1},
        'database': {'connection': migrated_db_url},
    })
    process = processes.ServiceProcess('magnum.cmd.conductor', config,
                                       tmp_path / 'conductor.out').start()
    process.host = host
    yield process
    process.stop()


def _service(host):
    return objects.MagnumService.get_by_host_and_binary(
        magnum_context.get_admin_context(), host, 'magnum-conductor')


def test_conductor_answers_ping_and_reports_up(conductor):
    context = magnum_context.make_context(project_id='p', user_id='u')
    api = rpcapi.ConductorAPI()
    assert processes.wait_for(
        lambda: _ping(api, context), 60, message='the conductor to answer')
    first = processes.wait_for(lambda: _service(conductor.host), 30,
                               message='the heartbeat row')
    later = processes.wait_for(
        lambda: (lambda s: s if s.report_count > first.report_count
                 else None)(_service(conductor.host)),
        30, message='a second heartbeat')
    assert later.last_seen_up is not None
    assert conductor.running(), conductor.log()


def _ping(api, context):
    try:
        return api.ping_conductor(context)
    except exception.ConductorUnavailable:
        return False


def test_no_conductor_means_503_within_the_timeout(messaging_setup,
                                                   magnum_config):
    magnum_config.config(group='conductor', rpc_call_timeout=2)
    context = magnum_context.make_context(project_id='p', user_id='u')
    with pytest.raises(exception.ConductorUnavailable) as err:
        rpcapi.ConductorAPI().ping_conductor(context)
    assert err.value.code == 503
    assert 'magnum-conductor' in str(err.value)


def test_conductor_stops_cleanly_on_sigterm(conductor):
    processes.wait_for(lambda: _service(conductor.host), 60,
                       message='the conductor to start')
    assert conductor.stop(signal.SIGTERM, timeout=30) == 0, conductor.log()


FIRST_CALL_SCRIPT = '''
import json, sys, time
from magnum import conf
from magnum.common import context, exception, rpc
from magnum.conductor import rpcapi
rpc.register_opts(conf.CONF)
conf.CONF([], project='magnum', default_config_files=[])
conf.CONF.set_override('transport_url', sys.argv[1])
conf.CONF.set_override('rpc_call_timeout', 3, group='conductor')
started = time.monotonic()
try:
    rpcapi.ConductorAPI().ping_conductor(context.get_admin_context())
    outcome = {'error': None}
except exception.MagnumException as error:
    outcome = {'error': type(error).__name__, 'code': error.code,
               'message': str(error)}
outcome['took'] = time.monotonic() - started
print(json.dumps(outcome))
'''


def test_a_first_call_with_the_broker_down_is_503_not_a_hang():
    """oslo.messaging declares the reply queue at a process's first call
    on a connection that retries for ever; Magnum checks the broker first
    so that the request ends in a 503 instead of hanging. A fresh process
    (no reply queue yet) against a port where no broker listens."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    # The socket is closed: nothing listens on the port now.
    result = subprocess.run(
        [sys.executable, '-c', FIRST_CALL_SCRIPT,
         'rabbit://guest:guest@127.0.0.1:%d/' % port],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome['error'] == 'ServiceUnavailable', outcome
    assert outcome['code'] == 503
    assert 'message broker is unavailable' in outcome['message'], outcome
    assert outcome['took'] < 20, outcome
