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

"""Federations (contract 2.11, decision Q9): the API stores the row and
its members; the conductor records the outcome, asking the host
cluster's driver when it takes part in federations."""

from oslo_log import log as logging

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.FederationStatus


class FederationHandler:

    def __init__(self, host):
        self.host = host

    @staticmethod
    def _reload(uuid):
        return objects.Federation.get_by_uuid(
            magnum_context.get_admin_context(), uuid)

    def _complete(self, federation, status_ok, status_failed):
        try:
            federation = self._reload(federation.uuid)
        except exception.FederationNotFound:
            return
        try:
            objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                        federation.hostcluster_id)
        except exception.ClusterNotFound:
            federation.status = status_failed
            federation.status_reason = _(
                'The host cluster %s no longer exists') % (
                    federation.hostcluster_id)
        else:
            federation.status = status_ok
            federation.status_reason = None
        federation.save()

    def federation_create(self, context, federation, create_timeout):
        self._complete(federation, STATUS.CREATE_COMPLETE,
                       STATUS.CREATE_FAILED)

    def federation_update(self, context, federation, rollback=False):
        self._complete(federation, STATUS.UPDATE_COMPLETE,
                       STATUS.UPDATE_FAILED)

    def federation_delete(self, context, uuid):
        try:
            self._reload(uuid).destroy()
        except exception.FederationNotFound:
            LOG.info('Federation %s is already gone', uuid)
