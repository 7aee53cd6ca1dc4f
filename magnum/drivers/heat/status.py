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
                                           failed resource that caused it
                                           and Heat's message of it
                       CREATE_COMPLETE     outputs recorded; COMPLETE once
                                           the driver sees the cluster
                                           ready, FAILED when it does not
                                           within [heat_driver]
                                           ready_timeout
UPDATE_IN_PROGRESS     UPDATE_*            the same, for UPDATE
DELETE_IN_PROGRESS     DELETE_COMPLETE,    DELETE_COMPLETE (the conductor
                       or no such stack    then forgets the cluster)
                       DELETE_FAILED       DELETE_FAILED with the reason
=====================  ==================  ==================================

A stack whose action is not yet the cluster's (an update Heat has not
started) is looked at again next period.
"""

from oslo_log import log as logging
from oslo_utils import timeutils

from magnum import conf
from magnum import objects
from magnum.common import conditions
from magnum.drivers.heat import failures
from magnum.drivers.heat import stacks
from magnum.drivers.heat import template_definition as definition
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
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


#: The resource group inside the nodegroup fragment (nodegroup.yaml):
#: left out of the paths reasons show, which go nodegroup, member, node
#: resource.
NODEGROUP_GROUP = 'nodes'
#: Bounds of a failure reason: Heat's message of the cause (longer ones
#: keep their start and end, where a script's output ends), and how many
#: of the other failed resources are named.
MAX_MESSAGE = 1000
MAX_OTHERS = 3


def display_path(path, nodegroup_names):
    """'ng_<nodegroup name>/<member>/<resource>' of a resource path of
    the stack (``nodegroup_names``: {nodegroup resource key: name})."""
    parts = list(path)
    if parts and parts[0] in nodegroup_names:
        parts[0] = 'ng_%s' % nodegroup_names[parts[0]]
        if len(parts) > 2 and parts[1] == NODEGROUP_GROUP:
            del parts[1]
    return '/'.join(parts)


def _bounded(message):
    if len(message) <= MAX_MESSAGE:
        return message
    head = MAX_MESSAGE * 3 // 5
    tail = MAX_MESSAGE - head
    return '%s [...] %s' % (message[:head].rstrip(),
                            message[-tail:].lstrip())


def failure_reason(heat, stack_id, stack_reason, nodegroup_names=None):
    """'Resource <path> (<type>) <status>: <Heat's message>' of the
    resource whose failure made the stack fail, found through its nested
    stacks (one Heat call); the others that failed with it are counted
    and the first few named. Heat's reason of the stack when no resource
    failed (a template Heat refused) or they cannot be listed."""
    names = nodegroup_names or {}
    try:
        failed = stacks.failed_resources(heat, stack_id, stack_reason)
    except stacks.HeatFailure as error:
        LOG.info('Cannot list the failed resources of stack %s: %s',
                 stack_id, error)
        failed = []
    if not failed:
        return _('Stack %(stack)s failed: %(reason)s') % {
            'stack': stack_id,
            'reason': _bounded(stack_reason or _('no reason'))}
    cause = failed[0]
    path = display_path(cause.path, names)
    if not cause.rooted:
        path = '.../%s' % path
    message = _bounded(cause.message or _('no reason given'))
    reason = _('Resource %(path)s (%(type)s) %(status)s: %(message)s') % {
        'path': path, 'type': cause.type, 'status': cause.status,
        'message': message}
    stack_own = (stack_reason or '').strip()
    if stack_own and not failures.quotes_a_resource(stack_own) and \
            stack_own not in message:
        # Not a quote of a resource's failure: the stack's own (e.g.
        # "Timed out" when its timeout cut the resources short).
        reason += _(' (stack: %s)') % _bounded(stack_own)
    others = failed[1:]
    if others:
        shown = ', '.join(display_path(f.path, names)
                          for f in others[:MAX_OTHERS])
        if len(others) > MAX_OTHERS:
            shown += ', ...'
        reason += _('; %(count)d more failed: %(names)s') % {
            'count': len(others), 'names': shown}
    return reason


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
        names = {definition.nodegroup_key(ng): ng.name
                 for ng in objects.NodeGroup.list(context, cluster.uuid)}
        driver.fail(context, cluster, failure_reason(
            heat, cluster.stack_id, stack.stack_status_reason, names))
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
    completed_at = _stack_completed(driver, cluster, stack)
    driver.record_outputs(context, cluster, stack)
    for nodegroup in nodegroups:
        if nodegroup.status == STATUS.DELETE_IN_PROGRESS:
            # Its resource left the stack with this update.
            nodegroup.destroy()
    ready, why = driver.observe_ready(context, cluster)
    if not ready:
        waited = _seconds_since(completed_at)
        limit = CONF.heat_driver.ready_timeout
        if waited is not None and waited >= limit:
            driver.fail(context, cluster, _(
                'Not ready %(minutes)d minutes after its stack completed '
                '([heat_driver] ready_timeout is %(limit)d s): %(why)s. '
                'The nodes\' console logs say how far they booted.') % {
                    'minutes': waited // 60, 'limit': limit, 'why':
                    (why or _('no reason given')).rstrip('.')})
            return
        cluster.status_reason = why
        cluster.save()
        return
    cluster.save()
    driver.complete(context, cluster)


def _stack_completed(driver, cluster, stack):
    """Record StackReady True; when Heat completed the stack for this
    operation (the condition's last transition, an ISO time).

    The message names the operation Heat completed (its action and start
    time), so a later operation that went from start to end between two
    periods, never seen in progress, still counts as a new completion:
    its wait for the nodes starts now, not at the earlier one's end.
    """
    action = stack.stack_status.partition('_')[0].lower()
    message = _('The stack is %(status)s (its %(action)s began at '
                '%(time)s)') % {
                    'status': stack.stack_status, 'action': action,
                    'time': getattr(stack, 'updated_time', None) or
                    getattr(stack, 'creation_time', None) or _('?')}
    current = conditions.get(cluster, STACK_READY)
    if current and current.get('status') == conditions.TRUE and \
            current.get('message') != message:
        cluster.conditions = [c for c in cluster.conditions
                              if c.get('type') != STACK_READY]
    driver.set_condition(cluster, STACK_READY, True, 'StackComplete',
                         message)
    current = conditions.get(cluster, STACK_READY)
    return current.get('last_transition_time') if current else None


def _seconds_since(moment):
    if not moment:
        return None
    try:
        then = timeutils.parse_isotime(moment)
    except ValueError:
        return None
    return int((timeutils.utcnow(with_timezone=True) -
                then).total_seconds())
