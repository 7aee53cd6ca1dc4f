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

import functools
import socket
import threading

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_service import service

from magnum import conf
from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import rpc
from magnum.conductor import background as background_threads
from magnum.conductor import reconcile
from magnum.conductor import rpcapi
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers import conductor_listener
from magnum.conductor.handlers import container_conductor
from magnum.conductor.handlers import credential_conductor
from magnum.conductor.handlers import federation_conductor
from magnum.conductor.handlers import nodegroup_conductor
from magnum.db.sqlalchemy import outage_errors

CONF = conf.CONF
LOG = logging.getLogger(__name__)

BINARY = 'magnum-conductor'


def host_name():
    """This conductor's name in magnum_service: ``[DEFAULT] host``, else
    the machine's host name."""
    return CONF.host or socket.gethostname()


# The RPC methods after which the cluster's status is synced at once, and
# the argument naming the cluster (an object, or a UUID for delete).
FOLLOWED_OPERATIONS = {
    'cluster_create': 'cluster', 'cluster_update': 'cluster',
    'cluster_resize': 'cluster', 'cluster_upgrade': 'cluster',
    'cluster_delete': 'uuid', 'nodegroup_create': 'cluster',
    'nodegroup_update': 'cluster', 'nodegroup_delete': 'cluster',
    'rotate_ca_certificate': 'cluster',
}


class StatusFollowUp:
    """Syncs a cluster's status right after an operation on it returns.

    A driver often knows at the end of its call that the cluster is
    ready (or gone), but only the status sync turns that into
    CREATE_COMPLETE, UPDATE_COMPLETE or a removed row; waiting for the
    next periodic pass would leave users looking at *_IN_PROGRESS for
    up to ``sync_interval`` more seconds. The follow-up runs in its own
    thread, so that an RPC call's answer is not delayed, and takes the
    cluster's lock like every sync: it never races an operation."""

    def __init__(self, reconciler):
        self.reconciler = reconciler
        self._threads = background_threads.Threads('magnum-follow-up')

    def wrap(self, handler):
        """Give ``handler`` a follow-up after each operation it has."""
        for method, argument in FOLLOWED_OPERATIONS.items():
            original = getattr(handler, method, None)
            if original is not None:
                setattr(handler, method, self._followed(original, argument))
        return handler

    def _followed(self, original, argument):
        @functools.wraps(original)
        def run(context, **kwargs):
            try:
                return original(context, **kwargs)
            finally:
                target = kwargs.get(argument)
                uuid = getattr(target, 'uuid', target)
                if uuid:
                    self.start(uuid)
        return run

    def start(self, uuid):
        self._threads.start(lambda: self._sync(uuid))

    def _sync(self, uuid):
        try:
            context = magnum_context.get_admin_context()
            try:
                cluster = objects.Cluster.get_by_uuid(context, uuid)
            except exception.ClusterNotFound:
                return  # deleted: nothing left to sync
            self.reconciler.sync_cluster(context, cluster)
        except Exception:
            # The periodic sync looks again; this was only a shortcut.
            LOG.exception('Status sync of cluster %s after its operation '
                          'failed', uuid)

    def wait(self, timeout=None):
        """Wait for the follow-ups under way (service stop, tests)."""
        self._threads.wait(timeout)


def endpoints(host, follow_up=None):
    """Every RPC endpoint of the conductor (contract 2.12); with
    ``follow_up``, operations on clusters are followed by a status sync."""
    from magnum.conductor.handlers import ca_conductor
    handlers = [
        conductor_listener.ConductorEndpoint(),
        cluster_conductor.ClusterHandler(host),
        nodegroup_conductor.NodeGroupHandler(host),
        ca_conductor.CertificateHandler(host),
        credential_conductor.CredentialHandler(host),
        container_conductor.ContainerHandler(host),
        federation_conductor.FederationHandler(host),
    ]
    if follow_up is not None:
        handlers = [follow_up.wrap(handler) for handler in handlers]
    # Checks change nothing: nothing to follow up.
    from magnum.conductor.handlers import validation_conductor
    return handlers + [validation_conductor.ValidationHandler()]


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
        self.follow_up = StatusFollowUp(self.periodic.reconciler)

    def start(self):
        super().start()
        # What reaches a status reason says "the database could not be
        # reached", not the DB-API driver's words.
        outage_errors.install()
        target = messaging.Target(topic=self.topic, server=self.host,
                                  version=rpcapi.RPC_API_VERSION)
        self.rpc_server = rpc.get_server(
            target, endpoints(self.host, self.follow_up))
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
        self.follow_up.wait(timeout=10)
        super().stop(graceful)
