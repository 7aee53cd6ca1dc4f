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

"""magnum-conductor: runs clusters' work, ``[conductor] workers``
processes."""

import sys

from oslo_log import log as logging
from oslo_service import service as os_service

from magnum import conf
from magnum.common import heap
from magnum.common import service
from magnum.conductor import service as conductor_service

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def main(argv=None):
    # Before any thread allocates: image uploads pass through in pieces
    # of several MiB (magnum.common.heap).
    heap.fix_mmap_threshold()
    service.prepare_service(sys.argv if argv is None else argv)
    service.check_encryption_key('magnum-conductor')
    service.check_private_files_directory('magnum-conductor')
    server = conductor_service.ConductorService()
    launcher = os_service.launch(CONF, server,
                                 workers=CONF.conductor.workers,
                                 restart_method='mutate')
    launcher.wait()


if __name__ == '__main__':
    sys.exit(main())
