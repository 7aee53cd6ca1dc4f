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

"""Operations on one cluster: the conductor side of the RPC casts.

Each operation runs under the cluster's lock, names the step it is at, and
turns any failure into ``<OP>_FAILED`` with a status reason naming that
step and the outside system's own message. The API has already written
the ``*_IN_PROGRESS`` status; the outcome comes from the driver, observed
by the status sync (``reconcile``).
"""

import contextlib

from oslo_log import log as logging

from magnum import conf
from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import notifications
from magnum.conductor import cluster_credentials
from magnum.conductor import locks
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus


class Operation:
    """The step an operation is at, for status reasons."""

    def __init__(self, action):
        self.action = action
        self.step = _('starting')

    def at(self, step):
        self.step = step
        return self


def failure_reason(operation, error):
    message = str(error) or type(error).__name__
    return _('%(action)s failed while %(step)s: %(error)s') % {
        'action': operation.action.capitalize(), 'step': operation.step,
        'error': message}


def admin_context():
    return magnum_context.get_admin_context()


def reload_cluster(uuid):
    return objects.Cluster.get_by_uuid(admin_context(), uuid)


def driver_for(cluster):
    return driver_base.registry().for_template(cluster.cluster_template)


class OperationRunner:
    """Runs operations on clusters under their locks."""

    def __init__(self, host):
        self.host = host

    @contextlib.contextmanager
    def _operation(self, context, cluster, action, failed_status,
                   notify_action, restore=None):
        """Lock the cluster, run the body, record a failure."""
        operation = Operation(action)
        try:
            with locks.ClusterLock(cluster.uuid, self.host, action):
                yield operation
        except locks.ClusterBusy as busy:
            reason = _('%(action)s could not start: the cluster is busy '
                       'with %(other)s by conductor %(holder)s; retry when '
                       'it has finished') % {
                           'action': action.capitalize(),
                           'other': busy.operation, 'holder': busy.holder}
            self._fail(context, cluster, failed_status, reason,
                       notify_action, restore)
            raise
        except Exception as error:
            if isinstance(error, exception.NotSupported) and \
                    action == 'upgrade':
                raise  # the caller is told, nothing changed
            LOG.exception('Cluster %s: %s failed at %s', cluster.uuid,
                          action, operation.step)
            self._fail(context, cluster, failed_status,
                       failure_reason(operation, error), notify_action,
                       restore)
            raise

    def _fail(self, context, cluster, failed_status, reason, notify_action,
              restore=None):
        try:
            cluster = reload_cluster(cluster.uuid)
        except exception.ClusterNotFound:
            return
        if restore is not None:
            restore(cluster)
        cluster.status = failed_status
        cluster.status_reason = reason
        cluster.save()
        notifications.notify_cluster(context, cluster, notify_action,
                                     'error', reason)



class ClusterHandler(OperationRunner):
    """Cluster create, update, resize, upgrade and delete."""

    # -- create -------------------------------------------------------------

    def cluster_create(self, context, cluster, create_timeout):
        cluster = reload_cluster(cluster.uuid)
        if cluster.status != STATUS.CREATE_IN_PROGRESS:
            LOG.info('Cluster %s is %s; ignoring a repeated create',
                     cluster.uuid, cluster.status)
            return
        notifications.notify_cluster(context, cluster, 'create', 'start')
        with self._operation(context, cluster, 'create',
                             STATUS.CREATE_FAILED, 'create') as operation:
            operation.at(_('loading the cluster template'))
            template = cluster.cluster_template
            operation.at(_('choosing the driver'))
            driver = driver_base.registry().for_template(template)
            operation.at(_('creating the cluster certificates'))
            self.create_certificates(context, cluster)
            operation.at(_("creating the cluster's application credential "
                           "in Keystone"))
            cluster_credentials.create_for_cluster(context, cluster, driver)
            operation.at(_('asking the %s driver to create the cluster') %
                         driver.name)
            driver.create_cluster(context, cluster, create_timeout)
            cluster.save()
            for nodegroup in cluster.nodegroups:
                if cluster.stack_id and not nodegroup.stack_id:
                    nodegroup.stack_id = cluster.stack_id
                    nodegroup.save()

    def create_certificates(self, context, cluster):
        """The cluster's CAs and Magnum's client certificate, saved at once
        so that a failure later still finds (and deletes) them."""
        from magnum.conductor import certificates
        if cluster.ca_cert_ref and cluster.magnum_cert_ref:
            return  # a resumed create keeps what it made
        certificates.generate_certificates_to_cluster(context, cluster)
        cluster.save()

    # -- update, resize, upgrade --------------------------------------------

    @staticmethod
    def _in_progress(cluster):
        # A status sync that ran between the API's request and this
        # handler may have seen nothing to do and completed the cluster;
        # the operation is only now really starting.
        if cluster.status != STATUS.UPDATE_IN_PROGRESS:
            cluster.status = STATUS.UPDATE_IN_PROGRESS
            cluster.status_reason = None
            cluster.save()

    def cluster_update(self, context, cluster, node_count=None,
                       health_status=None, health_status_reason=None,
                       rollback=False):
        current = reload_cluster(cluster.uuid)
        worker = current.default_ng_worker
        previous = worker.node_count if worker else None

        def restore(stored):
            if worker is not None and previous is not None:
                worker.node_count = previous
                worker.save()

        notifications.notify_cluster(context, current, 'update', 'start')
        with self._operation(context, current, 'update',
                             STATUS.UPDATE_FAILED, 'update',
                             restore) as operation:
            operation.at(_('choosing the driver'))
            driver = driver_for(current)
            self._in_progress(current)
            if worker is not None and node_count is not None:
                worker.node_count = node_count
                worker.status = STATUS.UPDATE_IN_PROGRESS
                worker.save()
            operation.at(_('asking the %s driver to update the cluster') %
                         driver.name)
            driver.update_cluster(context, current, rollback=rollback)
            current.save()

    def cluster_resize(self, context, cluster, node_count, nodes_to_remove,
                       nodegroup):
        current = reload_cluster(cluster.uuid)
        target = objects.NodeGroup.get(admin_context(), current.uuid,
                                       nodegroup.uuid)
        previous = target.node_count

        def restore(stored):
            target.node_count = previous
            target.status = STATUS.UPDATE_FAILED
            target.save()

        notifications.notify_cluster(context, current, 'update', 'start')
        with self._operation(context, current, 'resize',
                             STATUS.UPDATE_FAILED, 'update',
                             restore) as operation:
            operation.at(_('choosing the driver'))
            driver = driver_for(current)
            self._in_progress(current)
            target.node_count = node_count
            target.status = STATUS.UPDATE_IN_PROGRESS
            target.status_reason = None
            target.save()
            operation.at(_('asking the %(driver)s driver to resize '
                           'nodegroup %(nodegroup)s to %(count)d nodes') % {
                               'driver': driver.name,
                               'nodegroup': target.name,
                               'count': node_count})
            driver.resize_cluster(context, current, None, node_count,
                                  nodes_to_remove or [], target)
            current.save()

    def cluster_upgrade(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup):
        current = reload_cluster(cluster.uuid)
        target = objects.NodeGroup.get(admin_context(), current.uuid,
                                       nodegroup.uuid)
        notifications.notify_cluster(context, current, 'update', 'start')
        with self._operation(context, current, 'upgrade',
                             STATUS.UPDATE_FAILED, 'update') as operation:
            operation.at(_('choosing the driver'))
            driver = driver_for(current)
            operation.at(_('asking the %s driver to upgrade the cluster') %
                         driver.name)
            driver.upgrade_cluster(context, current, cluster_template,
                                   max_batch_size, target)
            current.status = STATUS.UPDATE_IN_PROGRESS
            current.status_reason = None
            current.save()
            target.status = STATUS.UPDATE_IN_PROGRESS
            target.save()

    # -- delete -------------------------------------------------------------

    def cluster_delete(self, context, uuid):
        try:
            cluster = reload_cluster(uuid)
        except exception.ClusterNotFound:
            LOG.info('Cluster %s is already gone', uuid)
            return
        notifications.notify_cluster(context, cluster, 'delete', 'start')
        with self._operation(context, cluster, 'delete',
                             STATUS.DELETE_FAILED, 'delete') as operation:
            operation.at(_('choosing the driver'))
            try:
                driver = driver_for(cluster)
            except (exception.ClusterTemplateNotFound,
                    exception.ClusterTypeNotSupported,
                    exception.ClusterDriverNotSupported) as error:
                # Nothing can have been built without a driver; the row is
                # all there is to remove.
                LOG.warning('Cluster %s has no usable driver (%s); '
                            'removing its records', uuid, error)
                remove_cluster(context, cluster)
                return
            operation.at(_('asking the %s driver to delete the cluster') %
                         driver.name)
            driver.delete_cluster(context, cluster)
            cluster.save()


def remove_cluster(context, cluster):
    """Forget a deleted cluster: its application credential, certificates,
    nodegroups and row. When Keystone keeps the credential, the cluster
    stays, DELETE_FAILED with Keystone's answer."""
    from magnum.conductor import certificates
    if not cluster_credentials.delete_before_removal(context, cluster):
        return
    certificates.delete_certificates(context, cluster)
    try:
        cluster.destroy()
    except exception.ClusterNotFound:
        pass
    notifications.notify_cluster(context, cluster, 'delete', 'end')
