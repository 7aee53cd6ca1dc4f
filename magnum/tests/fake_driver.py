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


class FakeDriver(driver.Driver):
    """Provides the kinds of cluster the unit tests create."""

    calls = []
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

    def create_cluster(self, context, cluster, cluster_create_timeout):
        self.calls.append(('create_cluster', cluster.uuid))
        cluster.stack_id = 'fake-stack-%s' % cluster.uuid

    def delete_cluster(self, context, cluster):
        self.calls.append(('delete_cluster', cluster.uuid))


class OtherFakeDriver(FakeDriver):
    """A second driver, chosen only by name."""

    @property
    def provides(self):
        return [{'server_type': 'vm', 'os': 'ubuntu', 'coe': 'kubernetes'}]
