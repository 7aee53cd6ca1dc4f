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

"""The conductor service: RPC server, heartbeat and periodic work."""

import socket
import threading

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_service import service

from magnum import conf
from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import rpc
from magnum.conductor import reconcile
from magnum.conductor import rpcapi
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers import conductor_listener
from magnum.conductor.handlers import credential_conductor
from magnum.conductor.handlers import federation_conductor
from magnum.conductor.handlers import nodegroup_conductor

CONF = conf.CONF
LOG = logging.getLogger(__name__)

BINARY = 'magnum-conductor'


def host_name():
    """This conductor's name in magnum_service: ``[DEFAULT] host``, else
    the machine's host name."""
    return CONF.host or socket.gethostname()


def endpoints(host):
    """Every RPC endpoint of the conductor (contract 2.12)."""
    from magnum.conductor.handlers import ca_conductor
    return [
        conductor_listener.ConductorEndpoint(),
        cluster_conductor.ClusterHandler(host),
        nodegroup_conductor.NodeGroupHandler(host),
        ca_conductor.CertificateHandler(host),
        credential_conductor.CredentialHandler(host),
        federation_conductor.FederationHandler(host),
    ]


class Heartbeat:
    """Reports this service up in magnum_service every report_interval."""

    def __init__(self, host, binary=BINARY):
        self.host = host
        self.binary = binary
        self._stop = threading.Event()
        self._thread = None

    def beat(self):
        context = magnum_context.get_admin_context()
        record = objects.MagnumService.get_by_host_and_binary(
            context, self.host, self.binary)
        if record is None:
            record = objects.MagnumService(context, host=self.host,
                                           binary=self.binary)
            record.create()
        record.report_state_up()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:
                # A database hiccup must not kill the heartbeat; the next
                # beat tries again and the service shows down meanwhile.
                LOG.exception('Could not report %s on %s as up',
                              self.binary, self.host)
            self._stop.wait(CONF.report_interval)

    def start(self):
        self._thread = threading.Thread(target=self._run,
                                        name='magnum-heartbeat', daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class ConductorService(service.Service):
    """One conductor process: serves RPC and reports itself alive."""

    def __init__(self, host=None, topic=None):
        super().__init__()
        self.host = host or host_name()
        self.topic = topic or CONF.conductor.topic
        self.rpc_server = None
        self.heartbeat = Heartbeat(self.host)
        self.periodic = reconcile.PeriodicRunner(self.host)

    def start(self):
        super().start()
        target = messaging.Target(topic=self.topic, server=self.host,
                                  version=rpcapi.RPC_API_VERSION)
        self.rpc_server = rpc.get_server(target, endpoints(self.host))
        self.rpc_server.start()
        self.heartbeat.start()
        if CONF.periodic_enable:
            self.periodic.start()
        LOG.info('magnum-conductor on %s serving topic %s', self.host,
                 self.topic)

    def stop(self, graceful=True):
        self.periodic.stop()
        self.heartbeat.stop()
        if self.rpc_server is not None:
            self.rpc_server.stop()
            self.rpc_server.wait()
        super().stop(graceful)
