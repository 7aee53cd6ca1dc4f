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


"""/v1/stats: how many clusters and nodes a project has
(api-ref/source/stats.inc)."""

import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _

STATS_TYPES = ('cluster',)


class Stats(wtypes.Base):
    """Totals over the selected clusters."""

    clusters = wtypes.wsattr(int, readonly=True)
    """Number of clusters"""

    nodes = wtypes.wsattr(int, readonly=True)
    """Nodes of all nodegroups of those clusters, masters included"""

    @classmethod
    def convert(cls, stats):
        return cls(clusters=stats.clusters, nodes=stats.nodes)


class StatsController(rest.RestController):
    """GET /v1/stats[?project_id=<p>][&type=cluster]."""

    @wsme_pecan.wsexpose(Stats, wtypes.text, wtypes.text)
    def get_all(self, project_id=None, type='cluster'):
        """Clusters and nodes of a project: the caller's own by default;
        administrators may name any project, or none for all of them."""
        context = pecan.request.context
        policy.authorize(context, 'stats:get_all')
        if type is None or type.lower() not in STATS_TYPES:
            raise exception.InvalidParameterValue(
                err=_('Invalid stats type %(type)s; valid types are: '
                      '%(valid)s.') % {'type': type,
                                       'valid': ', '.join(STATS_TYPES)})
        project_id = project_id or None
        if not context.is_admin:
            # Non-administrators see their own project only (and, with a
            # token of no project, nothing: None would mean every
            # project).
            if context.project_id is None:
                raise exception.NotAuthorized(
                    _('Stats need a project-scoped token.'))
            if project_id is None:
                project_id = context.project_id
            elif project_id != context.project_id:
                raise exception.NotAuthorized(
                    _('Only administrators may see the stats of another '
                      'project.'))
        return Stats.convert(
            objects.Stats.get_cluster_stats(context, project_id))
