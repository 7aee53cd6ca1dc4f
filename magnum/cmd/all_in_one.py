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

"""magnum-all-in-one: API and conductor in one process, for one machine.

It uses the in-process message transport unless ``transport_url`` is set,
upgrades the database schema itself, and serves the API with a threaded
server. It exists for the quickstart and for development; production runs
magnum-api and magnum-conductor separately.
"""

import signal
import socketserver
import sys
import threading
from wsgiref import simple_server

from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import conf
from magnum.api import app
from magnum.common import heap
from magnum.common import rpc
from magnum.common import service
from magnum.conductor import service as conductor_service
from magnum.db import migration

CONF = conf.CONF
LOG = logging.getLogger(__name__)

IN_PROCESS_TRANSPORT = 'fake:///'


class _ThreadingWSGIServer(socketserver.ThreadingMixIn,
                           simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):
        LOG.info('%s - %s', self.address_string(), format % args)


def main(argv=None):
    heap.fix_mmap_threshold()  # see magnum.common.heap
    service.prepare_service(sys.argv if argv is None else argv)
    if not CONF.transport_url:
        rpc.set_transport(messaging.get_rpc_transport(
            CONF, url=IN_PROCESS_TRANSPORT,
            allowed_remote_exmods=['magnum.common.exception']))
    migration.upgrade()
    service.check_encryption_key('magnum-all-in-one')
    service.check_private_files_directory('magnum-all-in-one')

    conductor = conductor_service.ConductorService()
    conductor.start()
    server = simple_server.make_server(
        CONF.api.host, CONF.api.port, app.load_app(),
        server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    stopped = threading.Event()

    def _stop(signum, frame):
        if not stopped.is_set():
            stopped.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info('Magnum all-in-one serving the API on http://%s:%d/',
             CONF.api.host, CONF.api.port)
    try:
        server.serve_forever()
    finally:
        conductor.stop()
        server.server_close()
        rpc.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
