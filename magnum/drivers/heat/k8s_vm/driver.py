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

"""Kubernetes on Nova virtual machines through Heat (driver ``k8s_vm``)."""

from magnum.drivers.heat.kubernetes import driver


class KubernetesVMDriver(driver.KubernetesHeatDriver):
    """Kubernetes clusters of Nova VMs (Fedora CoreOS or Ubuntu), with
    optional Cinder boot, container-runtime and etcd volumes."""

    server_type = 'vm'
    node_template = 'node_vm.yaml'

    def node_properties(self, work, nodegroup, state):
        properties = super().node_properties(work, nodegroup, state)
        labels = self._labels(work, nodegroup)
        master = nodegroup.role == 'master'
        properties.update(
            boot_volume_size=labels['boot_volume_size'],
            boot_volume_type=labels['boot_volume_type'],
            runtime_volume_size=nodegroup.docker_volume_size or
            work.cluster.docker_volume_size or 0,
            runtime_volume_type=labels['docker_volume_type'],
            etcd_volume_size=labels['etcd_volume_size'] if master else 0,
            etcd_volume_type=labels['etcd_volume_type'])
        return properties
