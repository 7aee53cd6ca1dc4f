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

"""Kubernetes on Ironic bare metal through Heat (driver ``k8s_bm``)."""

from magnum.common import exception
from magnum.drivers.heat.kubernetes import driver
from magnum.i18n import _

#: Labels that ask for Cinder volumes, which bare-metal nodes do not get.
VOLUME_LABELS = ('etcd_volume_size', 'boot_volume_size')


class KubernetesBMDriver(driver.KubernetesHeatDriver):
    """Kubernetes clusters of Ironic servers deployed through Nova with
    the Ironic flavor and a whole-disk image; etcd and the container
    runtime live on the machines' own disks."""

    server_type = 'bm'
    node_template = 'node_bm.yaml'

    def _check_labels(self, values):
        labels = super()._check_labels(values)
        asked = [name for name in VOLUME_LABELS if labels[name]]
        if asked:
            raise exception.InvalidParameterValue(
                err=_('the k8s_bm driver gives bare-metal nodes no Cinder '
                      'volumes: labels %s must be 0 or unset') %
                ', '.join(asked))
        return labels

    def _check_volume(self, values):
        if values.get('docker_volume_size'):
            raise exception.InvalidParameterValue(
                err=_('the k8s_bm driver gives bare-metal nodes no Cinder '
                      'volumes: docker_volume_size must be unset (the '
                      'container runtime uses the machine\'s disk)'))

    def validate_cluster_template(self, context, template):
        self._check_volume(template)
        super().validate_cluster_template(context, template)

    def validate_cluster(self, context, cluster, template):
        self._check_volume(cluster)
        super().validate_cluster(context, cluster, template)

    def validate_nodegroup(self, context, cluster, nodegroup):
        self._check_volume(nodegroup)
        super().validate_nodegroup(context, cluster, nodegroup)
