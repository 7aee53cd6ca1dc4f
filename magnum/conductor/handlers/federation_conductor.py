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

"""Federations: the API stores the row and its members; the conductor asks
the host cluster's driver to build, change or remove the federation and
records the outcome.

No status is recorded that no driver earned: when the host cluster's
driver does not take part in federations (no installed driver does today),
the federation ends in CREATE_FAILED / UPDATE_FAILED with a reason that
says so, rather than a COMPLETE that nothing stands behind. A federation
that never got built is deleted without asking the driver.
"""

from oslo_log import log as logging

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.FederationStatus

# Statuses in which nothing was built for the federation by any driver.
NEVER_BUILT = (STATUS.CREATE_IN_PROGRESS, STATUS.CREATE_FAILED)


def _admin():
    return magnum_context.get_admin_context()


class FederationHandler:

    def __init__(self, host):
        self.host = host

    @staticmethod
    def _reload(uuid):
        return objects.Federation.get_by_uuid(_admin(), uuid)

    @staticmethod
    def _host_driver(federation):
        """The host cluster's driver; raises ClusterNotFound, or a 4xx
        MagnumException when the cluster's driver is not installed."""
        cluster = objects.Cluster.get_by_uuid(_admin(),
                                              federation.hostcluster_id)
        return driver_base.registry().for_template(cluster.cluster_template)

    def _run(self, context, federation, operation, status_ok,
             status_failed):
        """Ask the host cluster's driver to run ``operation`` and record
        COMPLETE only when it did; every refusal or error is FAILED with a
        reason a person can act on."""
        try:
            federation = self._reload(federation.uuid)
        except exception.FederationNotFound:
            return
        try:
            driver = self._host_driver(federation)
        except exception.ClusterNotFound:
            self._record(federation, status_failed, _(
                'The host cluster %s no longer exists') % (
                    federation.hostcluster_id))
            return
        except exception.MagnumException as error:
            self._record(federation, status_failed, _(
                'The host cluster\'s driver cannot be used: %s') % error)
            return
        try:
            getattr(driver, operation)(context, federation)
        except exception.NotSupported:
            reason = _(
                'No installed cluster driver supports federations: the '
                'host cluster %(cluster)s uses the %(driver)s driver, which '
                'does not. Delete this federation.') % {
                    'cluster': federation.hostcluster_id,
                    'driver': driver.name or type(driver).__name__}
        except Exception as error:  # an outside system failed
            LOG.exception('Federation %s: %s failed', federation.uuid,
                          operation)
            reason = _('%(operation)s failed: %(error)s') % {
                'operation': operation.replace('_', ' ').capitalize(),
                'error': str(error) or type(error).__name__}
        else:
            self._record(federation, status_ok, None)
            return
        self._record(federation, status_failed, reason)

    @staticmethod
    def _record(federation, status, reason):
        federation.status = status
        federation.status_reason = reason
        if reason:
            LOG.warning('Federation %s: %s', federation.uuid, reason)
        federation.save()

    def federation_create(self, context, federation, create_timeout):
        self._run(context, federation, 'create_federation',
                  STATUS.CREATE_COMPLETE, STATUS.CREATE_FAILED)

    def federation_update(self, context, federation, rollback=False):
        self._run(context, federation, 'update_federation',
                  STATUS.UPDATE_COMPLETE, STATUS.UPDATE_FAILED)

    def federation_delete(self, context, uuid):
        try:
            federation = self._reload(uuid)
        except exception.FederationNotFound:
            LOG.info('Federation %s is already gone', uuid)
            return
        if federation.status not in NEVER_BUILT:
            try:
                self._host_driver(federation).delete_federation(
                    context, federation)
            except (exception.ClusterNotFound, exception.NotSupported):
                # Nothing outside Magnum to remove: the host is gone, or
                # its driver never built federations.
                pass
            except Exception as error:
                LOG.exception('Federation %s: delete failed', uuid)
                federation.status = STATUS.DELETE_FAILED
                federation.status_reason = _('Delete failed: %s') % (
                    str(error) or type(error).__name__)
                federation.save()
                return
        try:
            federation.destroy()
        except exception.FederationNotFound:
            LOG.info('Federation %s is already gone', uuid)
