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

"""Recording the end of an operation on a cluster: ``fail`` and
``complete``.

Whoever ends an operation (the conductor's handlers and status sync, a
driver observing its cluster) records it here, so that every end is
written the same way:

- by compare-and-swap on the status the writer saw: a delete asked for
  meanwhile (or another writer that got there first) is never
  overwritten, and the loser records nothing;
- the cluster's nodegroups still in progress follow it, with the same
  reason;
- the notification operators bill and audit by
  (``magnum.cluster.<action>.<end|error>``) is sent once, by the writer
  that won.

The conductor's status sync sends the notification of a terminal status
that a driver wrote without this module; ``recording()`` is how it knows
which ones were sent here.
"""

import contextlib
import threading

from oslo_log import log as logging

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import notifications
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus

#: An operation in progress and the status that records its failure.
FAILED = {
    STATUS.CREATE_IN_PROGRESS: STATUS.CREATE_FAILED,
    STATUS.UPDATE_IN_PROGRESS: STATUS.UPDATE_FAILED,
    STATUS.DELETE_IN_PROGRESS: STATUS.DELETE_FAILED,
    STATUS.ROLLBACK_IN_PROGRESS: STATUS.ROLLBACK_FAILED,
}
#: An operation in progress and the status that records its success.
COMPLETE = {
    STATUS.CREATE_IN_PROGRESS: STATUS.CREATE_COMPLETE,
    STATUS.UPDATE_IN_PROGRESS: STATUS.UPDATE_COMPLETE,
    STATUS.DELETE_IN_PROGRESS: STATUS.DELETE_COMPLETE,
    STATUS.ROLLBACK_IN_PROGRESS: STATUS.ROLLBACK_COMPLETE,
}
# A nodegroup being deleted completes by going away, not by a status.
_NODEGROUP_COMPLETE = {before: after for before, after in COMPLETE.items()
                       if before != STATUS.DELETE_IN_PROGRESS}
#: The notification action of each kind of operation (a rollback is an
#: update to the operator).
NOTIFY_ACTION = {'CREATE': 'create', 'UPDATE': 'update', 'DELETE': 'delete',
                 'ROLLBACK': 'update'}

_recorded = threading.local()


def fail(context, cluster, reason, expected_status=None, *,
         failed_status=None):
    """Record that the cluster's operation failed; True when recorded.

    The cluster moves from its ``*_IN_PROGRESS`` status (as ``cluster``
    holds it, or ``expected_status``: a status or a list of them that the
    stored one must be) to the matching ``*_FAILED`` (or
    ``failed_status``) with ``status_reason=reason``, by compare-and-swap;
    its nodegroups still in progress follow. The error notification is
    sent and the failure logged.

    False, with nothing recorded or sent and ``cluster`` as it was, when
    the stored status is no longer the expected one (a delete came, or
    another writer recorded the end first) or the cluster is gone.
    """
    before = cluster.status
    status = failed_status or FAILED.get(before, before)
    if not _record(context, cluster, status, reason, before,
                   expected_status, FAILED, reason):
        return False
    LOG.warning('Cluster %s: %s: %s', cluster.uuid, status, reason)
    return True


def complete(context, cluster, reason=None, expected_status=None):
    """Record that the cluster's operation succeeded; True when recorded.

    The same as ``fail`` for the matching ``*_COMPLETE`` status; the
    nodegroups that follow have no status reason left (a nodegroup being
    deleted completes by going away and is left alone). A DELETE_COMPLETE
    cluster is then forgotten by the conductor, whose removal announces
    the end of the delete: no notification is sent here for it.
    """
    before = cluster.status
    status = COMPLETE.get(before, before)
    if not _record(context, cluster, status, reason, before,
                   expected_status, _NODEGROUP_COMPLETE, None):
        return False
    LOG.info('Cluster %s: %s%s', cluster.uuid, status,
             ': %s' % reason if reason else '')
    return True


def notify_terminal(context, cluster):
    """Send the notification of the cluster's terminal status (none for
    a status that ends no operation, nor for DELETE_COMPLETE, which the
    removal of the cluster announces)."""
    action, _sep, outcome = cluster.status.partition('_')
    phase = {'COMPLETE': 'end', 'FAILED': 'error'}.get(outcome)
    if phase is None or action not in NOTIFY_ACTION or \
            cluster.status == STATUS.DELETE_COMPLETE:
        return
    notifications.notify_cluster(context, cluster, NOTIFY_ACTION[action],
                                 phase, cluster.status_reason)


@contextlib.contextmanager
def recording():
    """Collect the (cluster uuid, status) pairs this thread records with
    ``fail`` and ``complete`` in the block: their notifications are
    sent; a caller that notifies terminal statuses written otherwise
    skips these."""
    outer = getattr(_recorded, 'pairs', None)
    pairs = set()
    _recorded.pairs = pairs
    try:
        yield pairs
    finally:
        _recorded.pairs = outer
        if outer is not None:
            outer.update(pairs)


def _record(context, cluster, status, reason, before, expected_status,
            follow, nodegroup_reason):
    previous_reason = cluster.status_reason
    cluster.status = status
    cluster.status_reason = reason
    expected = before if expected_status is None else expected_status
    try:
        cluster.save(expected={'status': expected})
    except (exception.ConcurrentUpdate, exception.ClusterNotFound):
        LOG.info('Cluster %s changed meanwhile; not recording %s: %s',
                 cluster.uuid, status, reason)
        # As it was: a later plain save() must not write the refused end.
        cluster.status = before
        cluster.status_reason = previous_reason
        cluster.obj_reset_changes(['status', 'status_reason'])
        return False
    _nodegroups_follow(cluster, follow, nodegroup_reason)
    pairs = getattr(_recorded, 'pairs', None)
    if pairs is not None:
        pairs.add((cluster.uuid, status))
    notify_terminal(context, cluster)
    return True


def _nodegroups_follow(cluster, follow, reason):
    """Nodegroups still in progress end as the cluster's operation did."""
    try:
        nodegroups = objects.NodeGroup.list(
            magnum_context.get_admin_context(), cluster.uuid)
    except Exception:  # the cluster's end is recorded; say, go on
        LOG.exception('Cluster %s: cannot read its nodegroups',
                      cluster.uuid)
        return
    for nodegroup in nodegroups:
        before = nodegroup.status
        if before not in follow:
            continue
        nodegroup.status = follow[before]
        nodegroup.status_reason = reason
        try:
            nodegroup.save(expected={'status': before})
        except (exception.ConcurrentUpdate, exception.NodeGroupNotFound):
            pass  # changed or gone meanwhile: its writer's word stands
