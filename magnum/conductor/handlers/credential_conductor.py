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

"""Credential rotation (contract 2.7): the driver replaces the
credentials the cluster uses to reach the cloud."""

from magnum.common import exception
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
                driver.rotate_credential(context, cluster)
        except locks.ClusterBusy as busy:
            raise exception.OperationInProgress(
                cluster_name=cluster.name or cluster.uuid) from busy
        except exception.NotSupported:
            raise exception.NotSupported(operation=_(
                'Credential rotation by the %s driver') % driver.name)
