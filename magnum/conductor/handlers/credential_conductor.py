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

"""Credential rotation: the cluster's Keystone application
credential is replaced (``cluster_credentials.rotate``) for every driver,
which is told to push the new one where it keeps it. Without Keystone
(noauth) clusters have no application credential, and the driver rotates
what it keeps itself, if anything."""

from magnum.common import exception
from magnum.conductor import cluster_credentials
from magnum.conductor import locks
from magnum.conductor.handlers import cluster_conductor
from magnum.i18n import _
from magnum.objects import fields

STATUS = fields.ClusterStatus
ALLOWED = tuple(STATUS.STATUS_STABLE) + (STATUS.UPDATE_IN_PROGRESS,
                                         STATUS.UPDATE_FAILED)


class CredentialHandler:

    def __init__(self, host):
        self.host = host

    def credential_rotate(self, context, cluster):
        cluster = cluster_conductor.reload_cluster(cluster.uuid)
        if cluster.status not in ALLOWED:
            raise exception.InvalidParameterValue(
                err=_('Credentials of a cluster in status %s cannot be '
                      'rotated') % cluster.status)
        driver = cluster_conductor.driver_for(cluster)
        try:
            with locks.ClusterLock(cluster.uuid, self.host,
                                   'rotate credentials'):
                # A cluster of a driver that does not use the cloud has
                # no credential to rotate (one made before it said so
                # still rotates).
                uses_cloud = getattr(driver, 'uses_cloud_credential', True)
                if cluster.application_credential_id or (
                        uses_cloud and cluster_credentials.in_use(context)):
                    cluster_credentials.rotate(context, cluster, driver)
                else:
                    self._rotate_by_driver(context, cluster, driver)
        except locks.ClusterBusy as busy:
            raise exception.OperationInProgress(
                cluster_name=cluster.name or cluster.uuid) from busy

    @staticmethod
    def _rotate_by_driver(context, cluster, driver):
        try:
            driver.rotate_credential(context, cluster)
        except exception.NotSupported:
            raise exception.NotSupported(operation=_(
                'Credential rotation by the %s driver') % driver.name)
