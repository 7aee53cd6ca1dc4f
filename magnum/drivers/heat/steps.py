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

"""Operations as ordered, revertable steps (Octavia's shape, no taskflow).

A step does one thing in ``execute(work)`` and undoes it in
``revert(work, result)``. ``run`` executes the steps in order; when one
raises, the ones already done are reverted in reverse order (a revert
that fails is logged, the others still run) and the error goes on. The
first step of an operation is ``RecordFailure``: its revert, run last,
records ``*_FAILED`` with the reason the error gives.
"""

from oslo_log import log as logging

from magnum.common import cluster_status
from magnum.i18n import _

LOG = logging.getLogger(__name__)


class Step:
    """One side effect and its undo."""

    def execute(self, work):
        raise NotImplementedError

    def revert(self, work, result):
        """Undo what ``execute`` did (``result`` is what it returned)."""

    def __repr__(self):
        return type(self).__name__


class RecordFailure(Step):
    """Nothing forward; on the way back, the cluster's operation failed."""

    def __init__(self, what):
        self.what = what

    def execute(self, work):
        return None

    def revert(self, work, result):
        error = work.error
        reason = _('%(what)s failed: %(error)s') % {
            'what': self.what, 'error': error}
        cluster_status.fail(work.context, work.cluster, reason)


def run(steps, work):
    """Execute ``steps`` on ``work``; on an error, revert and raise."""
    done = []
    for step in steps:
        try:
            done.append((step, step.execute(work)))
        except Exception as error:
            work.error = error
            LOG.info('Cluster %s: step %r failed: %s; reverting %d steps',
                     work.cluster.uuid, step, error, len(done))
            for finished, result in reversed(done):
                try:
                    finished.revert(work, result)
                except Exception:
                    LOG.exception('Cluster %s: reverting %r failed',
                                  work.cluster.uuid, finished)
            raise
