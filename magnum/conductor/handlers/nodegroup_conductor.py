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

"""Nodegroup create, update and delete on the conductor."""

from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import conf
from magnum import objects
from magnum.common import exception
from magnum.conductor.handlers import cluster_conductor
from magnum.i18n import _
from magnum.objects import cluster_request
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus


class NodeGroupHandler(cluster_conductor.OperationRunner):
    """The nodegroup row already exists (the API wrote it); the driver
    makes it real, and a failure marks both the nodegroup and the
    cluster."""

    # 1.2: every operation takes the ``request`` the API recorded.
    target = messaging.Target(version='1.2')

    def _run(self, context, cluster, nodegroup, action, in_progress,
             failed, call, request=None):
        cluster = cluster_conductor.reload_cluster(cluster.uuid)
        try:
            target = objects.NodeGroup.get(
                cluster_conductor.admin_context(), cluster.uuid,
                nodegroup.uuid)
        except exception.NodeGroupNotFound:
            LOG.info('Nodegroup %s of cluster %s is gone', nodegroup.uuid,
                     cluster.uuid)
            if request is not None:
                # Nothing left to act on: not to be replayed either.
                objects.ClusterRequest.claim(
                    cluster_conductor.admin_context(), request)
            return

        def restore(stored):
            target.status = failed
            target.status_reason = _('See the cluster status reason.')
            target.save()

        with self._operation(context, cluster, action, STATUS.UPDATE_FAILED,
                             'update', restore,
                             request=request) as operation:
            operation.at(_('choosing the driver'))
            driver = cluster_conductor.driver_for(cluster)
            target.status = in_progress
            target.status_reason = None
            target.save()
            cluster.status = STATUS.UPDATE_IN_PROGRESS
            cluster.status_reason = None
            cluster_conductor.save_unless_deleted(cluster)
            operation.at(_('asking the %(driver)s driver to %(action)s '
                           'nodegroup %(name)s') % {
                               'driver': driver.name,
                               'action': action.split()[0],
                               'name': target.name})
            operation.claim_request()
            call(driver, cluster, target)

    def nodegroup_create(self, context, cluster, nodegroup, request=None):
        self._run(context, cluster, nodegroup,
                  cluster_request.CREATE_NODEGROUP,
                  STATUS.CREATE_IN_PROGRESS, STATUS.CREATE_FAILED,
                  lambda driver, c, ng: driver.create_nodegroup(
                      context, c, ng), request)

    def nodegroup_update(self, context, cluster, nodegroup, request=None):
        # The API saved the changed limits/labels/taints; the driver
        # applies them.
        self._run(context, cluster, nodegroup,
                  cluster_request.UPDATE_NODEGROUP,
                  STATUS.UPDATE_IN_PROGRESS, STATUS.UPDATE_FAILED,
                  lambda driver, c, ng: driver.update_nodegroup(
                      context, c, ng), request)

    def nodegroup_delete(self, context, cluster, nodegroup, request=None):
        self._run(context, cluster, nodegroup,
                  cluster_request.DELETE_NODEGROUP,
                  STATUS.DELETE_IN_PROGRESS, STATUS.DELETE_FAILED,
                  lambda driver, c, ng: driver.delete_nodegroup(
                      context, c, ng), request)
