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

"""One operation on one cluster: what every step of the local driver is
given (``Work``), its errors and how a failure is worded.

The step modules (``network``, ``provision``, ``membership``,
``converge``, ``rotation``, ``upgrade``, ``status``) are functions of a
``Work``; the driver class builds one per call with ``operation()``.
"""

import contextlib

from oslo_log import log as logging

from magnum import objects
from magnum.common import cluster_status
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import nodes
from magnum.drivers.local import swarm
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus

#: A status in progress and its failed status.
FAILED = cluster_status.FAILED


class LocalDriverError(exception.MagnumException):
    """A step of the local driver failed; the message says which and
    what a person can do about it."""
    message = _('%(reason)s')


def admin():
    return magnum_context.get_admin_context()


def failure_reason(error, step):
    """What a status reason says of ``error`` raised at ``step``: the
    driver's own errors already name what failed; anything else is
    prefixed with the step it broke."""
    if isinstance(error, (engine_module.EngineError, LocalDriverError,
                          swarm.SwarmError)):
        return str(error)
    return _('%(step)s: %(error)s') % {
        'step': step[:1].upper() + step[1:],
        'error': str(error) or type(error).__name__}


def wanted(nodegroup):
    """How many nodes a nodegroup should have (none while it is being
    deleted)."""
    if nodegroup.status in (STATUS.DELETE_IN_PROGRESS,
                            STATUS.DELETE_COMPLETE):
        return 0
    return nodegroup.node_count or 0


class Work:
    """One operation on one cluster: its engine, credentials, nodegroups
    and the step it is at (what a failure names)."""

    def __init__(self, driver_name, context, cluster, engine):
        self.driver_name = driver_name
        self.context = context
        self.cluster = cluster
        self.engine = engine
        self.network = nodes.network_name(cluster.uuid)
        self.step = _('starting')
        #: Whether a CA rotation changed a node yet (what to undo).
        self.touched = False
        self._credentials = None
        self._nodegroups = None

    def at(self, step):
        self.step = step

    def say(self, text):
        """Record progress in the cluster's status reason (saved: the
        only field a step saves besides what it records at its end)."""
        if text != self.cluster.status_reason:
            self.cluster.status_reason = text
            self.cluster.save()
            LOG.info('Cluster %s: %s', self.cluster.uuid, text)

    def close(self):
        if self._credentials is not None:
            self._credentials.close()
            self._credentials = None
        self.engine.close()

    @property
    def credentials(self):
        """Magnum's client credentials of the cluster (its current CA)."""
        if self._credentials is None:
            self._credentials = swarm.Credentials(self.context, self.cluster)
        return self._credentials

    @property
    def template(self):
        return self.cluster.cluster_template

    def nodegroups(self, refresh=False, override=None):
        """The cluster's nodegroups as stored, ``override`` (a NodeGroup
        the caller holds) in place of its stored copy."""
        if self._nodegroups is None or refresh:
            self._nodegroups = objects.NodeGroup.list(admin(),
                                                      self.cluster.uuid)
        if override is not None:
            self._nodegroups = [override if ng.uuid == override.uuid else ng
                                for ng in self._nodegroups]
        return self._nodegroups

    def image_of(self, nodegroup):
        return nodegroup.image_id or self.template.image_id

    def needs_lb(self):
        """Several managers (or master_lb_enabled) are reached through a
        load balancer."""
        masters = sum(wanted(ng) for ng in self.nodegroups()
                      if ng.is_master)
        return bool(self.cluster.master_lb_enabled) or masters > 1

    def observe(self):
        """Every container of the cluster, as nodes.Node."""
        return [nodes.describe(container, self.network) for container in
                self.engine.containers(nodes.cluster_labels(
                    self.cluster.uuid))]

    def read_file(self, node, path):
        """The text of a file of the node (stripped), or None."""
        code, output = self.engine.exec(node.container, ['cat', path])
        if code != 0:
            return None
        return output.decode(errors='replace').strip()

    def exited(self, node):
        """Why a node container stopped (its log's end), or None while it
        runs."""
        try:
            with self.engine.calling(_('inspecting %s') % node.name):
                node.container.reload()
        except engine_module.EngineError as error:
            return str(error)
        state = node.container.attrs.get('State') or {}
        if state.get('Status') in ('running', 'created', 'restarting'):
            return None
        lines = [line for line in self.engine.logs(
            node.container, 40).splitlines() if line.strip()]
        errors = [line for line in lines if 'level=info' not in line]
        return _('its container is %(status)s (exit code %(code)s): '
                 '%(log)s') % {
                     'status': state.get('Status'),
                     'code': state.get('ExitCode'),
                     'log': (errors or lines or [_('no log')])[-1].strip()}


@contextlib.contextmanager
def operation(driver_name, context, cluster, engine, mark=None):
    """A ``Work`` on ``cluster``, closed afterwards. A failure becomes a
    LocalDriverError naming the step (4xx errors, Invalid and
    NotSupported, go through as they are), and the nodegroups in
    progress that ``mark`` selects are marked failed with its reason."""
    work = Work(driver_name, context, cluster, engine)
    try:
        yield work
    except Exception as error:
        reason = failure_reason(error, work.step)
        LOG.warning('Cluster %s: %s (while %s)', cluster.uuid, reason,
                    work.step)
        if mark is not None:
            mark_nodegroups(work, mark, reason)
        if isinstance(error, (exception.Invalid, exception.NotSupported)):
            raise
        raise LocalDriverError(reason=reason) from error
    finally:
        work.close()


def mark_nodegroups(work, which, reason):
    """The nodegroups in progress that ``which`` selects end failed (the
    cluster's own status is the conductor's to record)."""
    with contextlib.suppress(Exception):
        for nodegroup in work.nodegroups():
            if nodegroup.status in FAILED and which(nodegroup):
                nodegroup.status = FAILED[nodegroup.status]
                nodegroup.status_reason = reason
                nodegroup.save()
