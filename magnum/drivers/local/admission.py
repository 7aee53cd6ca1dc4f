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

"""Who may have local clusters: the boundary between tenants and the host.

A local cluster's nodes are containers of the conductor host's Docker
engine with SYS_ADMIN and NET_ADMIN (confinement.py), and its users get a
client certificate that is root on them: whoever has one can reach the
host. Under Keystone, only the projects an operator lists in
``[local_driver] allowed_projects`` may create (or grow) such clusters,
and holders of the admin role: they already run the cloud, the host
included, so listing them would add nothing. Under noauth there are no
tenants to keep apart (a quickstart, the tests).
"""

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF


def check_project(context, driver_name):
    """Return when the caller's project may have clusters of this
    driver; DriverNotAllowed (403) saying why and what an operator sets
    otherwise."""
    if CONF.auth_strategy != 'keystone':
        return
    if context is None or getattr(context, 'is_admin', False):
        return
    allowed = {entry.strip() for entry in
               CONF.local_driver.allowed_projects if entry.strip()}
    # IDs only: a name is unique within its domain only, and the
    # conductor, which runs this check, gets the caller's project ID only.
    project_id = getattr(context, 'project_id', None)
    if project_id and project_id in allowed:
        return
    raise exception.DriverNotAllowed(reason=_(
        'Project %(project)s may not create or grow clusters of the '
        '%(driver)s driver: their nodes run on the host of '
        'magnum-conductor with rights that give a cluster\'s users root '
        'on that host. An operator who trusts the project lists it in '
        '[local_driver] allowed_projects.') % {
            'project': project_id or _('(none)'),
            'driver': driver_name})
