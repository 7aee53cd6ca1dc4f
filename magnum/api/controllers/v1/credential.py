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

"""/v1/credentials: rotating the credential a cluster uses to reach
OpenStack (api-ref/source/credentials.inc; from microversion 1.12).

Only ``PATCH /v1/credentials/{cluster_ident}`` exists; other methods are
405. ``credential:rotate`` has no administrator bypass by default: the
rule is checked against the cluster's project, so an administrator of
another project is refused (403) unless an operator's policy says
otherwise. Administrators the rule allows at all look the cluster up in
every project, which is what lets such an override work.
"""

import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum.api import microversion
from magnum.api.controllers.v1 import certificate
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import fields

RULE = 'credential:rotate'
MIN_VERSION = (1, 12)

# The statuses a rotation may start from: the stable ones, and a running
# or failed update.
ROTATABLE = fields.ClusterStatus.STATUS_RESIZABLE


class CredentialsController(rest.RestController):

    @wsme_pecan.wsexpose(certificate.ClusterID, wtypes.text,
                         status_code=202)
    def patch(self, cluster_ident):
        """Rotate the credential of a cluster. Clients send no body
        (Content-Type application/json)."""
        # Checked here rather than with microversion.at_least: pecan reads
        # the controller's arguments from the decorated function itself,
        # and at_least's wrapper shows it only (*args, **kwargs).
        version = microversion.requested()
        if version < MIN_VERSION:
            raise microversion.MethodNotAvailable(
                version=str(version), method='PATCH /v1/credentials',
                needed=microversion.version_string(MIN_VERSION))
        certificate.ensure_no_body(_('Rotating the credentials'))
        context = pecan.request.context
        cluster = certificate.find_cluster(context, cluster_ident, RULE)
        policy.authorize(context, RULE, target={
            'project_id': cluster.project_id, 'user_id': cluster.user_id})
        if cluster.status not in ROTATABLE:
            raise exception.NotSupported(
                _('Rotating the credentials of cluster %(uuid)s is not '
                  'supported while its status is %(status)s.') %
                {'uuid': cluster.uuid, 'status': cluster.status})
        pecan.request.rpcapi.credential_rotate(context, cluster)
        return certificate.ClusterID(cluster.uuid)
