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

"""A cluster's status from its stack, observed once per sync period.

=====================  ==================  ==================================
cluster                stack               then
=====================  ==================  ==================================
CREATE_IN_PROGRESS     CREATE_IN_PROGRESS  conditions: the stack is building
                       CREATE_FAILED       CREATE_FAILED, reason names the
                                           deepest failed resource
                       CREATE_COMPLETE     outputs recorded; COMPLETE once
                                           the driver sees the cluster ready
UPDATE_IN_PROGRESS     UPDATE_*            the same, for UPDATE
DELETE_IN_PROGRESS     DELETE_COMPLETE,    DELETE_COMPLETE (the conductor
                       or no such stack    then forgets the cluster)
                       DELETE_FAILED       DELETE_FAILED with the reason
=====================  ==================  ==================================

A stack whose action is not yet the cluster's (an update Heat has not
started) is looked at again next period.
"""

from oslo_log import log as logging

from magnum import objects
from magnum.drivers.heat import stacks
from magnum.drivers.heat import template_definition as definition
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus

#: The stack action each cluster operation waits for. A create may end
#: with an UPDATE: the Kubernetes drivers create the stack with the
#: cluster's addresses first, then add its servers by an update
#: (magnum/drivers/heat/kubernetes/phases.py).
ACTION = {
    STATUS.CREATE_IN_PROGRESS: ('CREATE', 'UPDATE'),
    STATUS.UPDATE_IN_PROGRESS: ('UPDATE',),
    STATUS.ROLLBACK_IN_PROGRESS: ('UPDATE', 'ROLLBACK'),
    STATUS.DELETE_IN_PROGRESS: ('DELETE',),
}

#: The condition that says whether the stack has been built.
STACK_READY = 'StackReady'


def failure_reason(heat, stack_id, stack_reason):
    """'<resource path> (<type>): <Heat's message>' of the deepest failed
    resource, else Heat's reason of the stack."""
    try:
        failed = stacks.failed_resources(heat, stack_id)
    except stacks.HeatFailure as error:
        LOG.info('Cannot list the failed resources of stack %s: %s',
                 stack_id, error)
        failed = []
    if not failed:
        return _('Stack %(stack)s failed: %(reason)s') % {
            'stack': stack_id, 'reason': stack_reason or _('no reason')}
    path, kind, status, reason = failed[0]
    return _('Resource %(path)s (%(type)s) %(status)s: %(reason)s') % {
        'path': path, 'type': kind, 'status': status, 'reason': reason}


def not_in_stack(nodegroups, outputs):
    """What the stack's outputs do not show yet of the nodegroups as
    stored: a nodegroup missing or with another number of nodes, or one
    being deleted still there (names, for the log); [] when they agree.
    """
    pending = []
    for nodegroup in nodegroups:
        key = definition.nodegroup_key(nodegroup)
        names = outputs.get('%s_names' % key)
        if nodegroup.status == STATUS.DELETE_IN_PROGRESS:
            if names is not None:
                pending.append(nodegroup.name)
        elif names is None or len(names) != (nodegroup.node_count or 0):
            pending.append(nodegroup.name)
    return pending


def observe(driver, context, cluster, summary=None):
    """Read the cluster's stack (``summary`` from the period's list when
    there is one) and record the cluster's status."""
    expected = ACTION.get(cluster.status)
    if expected is None:
        return
    if not cluster.stack_id:
        if cluster.status == STATUS.DELETE_IN_PROGRESS:
            driver.complete(context, cluster)
        return
    heat = stacks.client_for(cluster, context)
    try:
        if summary is None or summary.stack_status.endswith(
                stacks.COMPLETE):
            # Outputs are only in a full read.
            stack = stacks.get(heat, cluster.stack_id)
        else:
            stack = summary
    except stacks.StackGone:
        if cluster.status == STATUS.DELETE_IN_PROGRESS:
            driver.complete(context, cluster, _('Heat has no stack %s '
                                                'any more') %
                            cluster.stack_id)
        else:
            driver.fail(context, cluster, _(
                'Heat has lost the cluster\'s stack %s; delete the '
                'cluster') % cluster.stack_id)
        return
    action, _sep, state = stack.stack_status.partition('_')
    if action not in expected:
        LOG.debug('Cluster %s is %s; its stack is still %s',
                  cluster.uuid, cluster.status, stack.stack_status)
        return
    if state == stacks.IN_PROGRESS:
        changed = driver.set_condition(
            cluster, STACK_READY, False, 'StackInProgress',
            _('Heat is building the stack (%s)') % stack.stack_status)
        if changed:
            cluster.save()
        return
    if state == stacks.FAILED:
        driver.fail(context, cluster, failure_reason(
            heat, cluster.stack_id, stack.stack_status_reason))
        return
    if action == 'DELETE':
        driver.complete(context, cluster)
        return
    nodegroups = objects.NodeGroup.list(context, cluster.uuid)
    outputs = stacks.outputs_of(stack)
    pending = not_in_stack(nodegroups, outputs)
    if pending:
        # The stack completed an earlier change: the one asked for now
        # has not reached Heat yet (its request is still on its way).
        LOG.debug('Cluster %s: stack %s does not have %s yet',
                  cluster.uuid, stack.stack_status, pending)
        return
    driver.set_condition(cluster, STACK_READY, True, 'StackComplete',
                         _('The stack is %s') % stack.stack_status)
    driver.record_outputs(context, cluster, stack)
    for nodegroup in nodegroups:
        if nodegroup.status == STATUS.DELETE_IN_PROGRESS:
            # Its resource left the stack with this update.
            nodegroup.destroy()
    ready, why = driver.observe_ready(context, cluster)
    if not ready:
        cluster.status_reason = why
        cluster.save()
        return
    cluster.save()
    driver.complete(context, cluster)

