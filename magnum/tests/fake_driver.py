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

"""A cluster driver for unit tests only: it builds nothing, and records
what it was asked to do."""

from magnum.common import exception
from magnum.drivers.common import driver


class FakeMonitor:
    def __init__(self, result):
        self.result = result

    def poll_health_status(self):
        if isinstance(self.result, Exception):
            raise self.result
        if callable(self.result):
            return self.result()
        return self.result


class FakeDriver(driver.Driver):
    """Provides the kinds of cluster the unit tests create.

    Tests steer it through class attributes: ``errors`` (method name ->
    exception to raise), ``observed`` (cluster uuid -> status the next
    status sync reports), ``resumable`` (whether an interrupted operation
    goes on) and ``health`` (cluster uuid -> (status, reason), an
    exception, or a function returning (status, reason)).
    """

    calls = []
    errors = {}
    observed = {}
    resumable = False
    health = {}
    # Images the fake "cloud" has: name -> os_distro.
    images = {'fedora-coreos': 'fedora-coreos', 'debian-node': 'debian',
              'no-distro': None}

    @property
    def provides(self):
        return [
            {'server_type': 'vm', 'os': 'fedora-coreos', 'coe': 'kubernetes'},
            {'server_type': 'bm', 'os': 'fedora-coreos', 'coe': 'kubernetes'},
            {'server_type': 'container', 'os': 'debian',
             'coe': 'swarm-mode'},
        ]

    def validate_cluster_template(self, context, template):
        image = template.get('image_id')
        if image not in self.images:
            raise exception.ImageNotFound(image_id=image)
        if self.images[image] is None:
            raise exception.OSDistroFieldNotFound(image_id=image)
        template['cluster_distro'] = self.images[image]

    def _record(self, method, *args):
        self.calls.append((method,) + args)
        if method in self.errors:
            raise self.errors[method]

    def create_cluster(self, context, cluster, cluster_create_timeout):
        self._record('create_cluster', cluster.uuid)
        cluster.stack_id = 'fake-stack-%s' % cluster.uuid

    def delete_cluster(self, context, cluster):
        self._record('delete_cluster', cluster.uuid)

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        self._record('update_cluster', cluster.uuid, rollback)

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        self._record('resize_cluster', cluster.uuid, node_count,
                     list(nodes_to_remove), nodegroup.name)

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        self._record('upgrade_cluster', cluster.uuid, cluster_template.uuid,
                     max_batch_size, nodegroup.name)

    def create_nodegroup(self, context, cluster, nodegroup):
        self._record('create_nodegroup', cluster.uuid, nodegroup.name)

    def update_nodegroup(self, context, cluster, nodegroup):
        self._record('update_nodegroup', cluster.uuid, nodegroup.name)

    def delete_nodegroup(self, context, cluster, nodegroup):
        self._record('delete_nodegroup', cluster.uuid, nodegroup.name)

    def update_cluster_status(self, context, cluster):
        self._record('update_cluster_status', cluster.uuid)
        status = self.observed.get(cluster.uuid)
        if status is not None:
            cluster.status = status
            cluster.status_reason = 'observed %s' % status
            cluster.save()

    def resume_operation(self, context, cluster, operation):
        self._record('resume_operation', cluster.uuid, operation)
        return self.resumable

    def get_monitor(self, context, cluster):
        if cluster.uuid not in self.health:
            return None
        return FakeMonitor(self.health[cluster.uuid])


class OtherFakeDriver(FakeDriver):
    """A second driver, chosen only by name."""

    @property
    def provides(self):
        return [{'server_type': 'vm', 'os': 'ubuntu', 'coe': 'kubernetes'}]
