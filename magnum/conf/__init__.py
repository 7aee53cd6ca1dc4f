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

"""Magnum's configuration options.

Every option group is declared once, in its own module of this package.
Importing the package registers all of them on ``CONF``; nothing else
happens at import time. Services call :func:`set_defaults` once at start-up
to apply Magnum's defaults for the libraries it uses.
"""

from oslo_config import cfg

from magnum.conf import api
from magnum.conf import certificates
from magnum.conf import cinder
from magnum.conf import cloud_validation
from magnum.conf import cluster
from magnum.conf import cluster_credentials
from magnum.conf import cluster_template
from magnum.conf import conductor
from magnum.conf import database
from magnum.conf import default
from magnum.conf import drivers
from magnum.conf import glance_client
from magnum.conf import heat
from magnum.conf import heat_client
from magnum.conf import keystone_auth
from magnum.conf import keystone_authtoken
from magnum.conf import kubernetes
from magnum.conf import local_driver
from magnum.conf import neutron_client
from magnum.conf import nova_client
from magnum.conf import paths
from magnum.conf import quotas
from magnum.conf import services
from magnum.conf import x509

CONF = cfg.CONF

# Every option module, each with register_opts(conf) and list_opts().
# magnum.conf.opts lists the options for the sample from this same tuple.
# paths comes first: other defaults refer to $pybasedir and $state_path.
MODULES = (
    paths,
    default,
    services,
    api,
    conductor,
    database,
    keystone_auth,
    keystone_authtoken,
    certificates,
    cluster_credentials,
    x509,
    drivers,
    cluster,
    cluster_template,
    cloud_validation,
    quotas,
    kubernetes,
    cinder,
    glance_client,
    heat_client,
    heat,
    neutron_client,
    nova_client,
    local_driver,
)


def register_opts(conf):
    """Register every Magnum option group on ``conf``."""
    for module in MODULES:
        module.register_opts(conf)
    # oslo.log's options (debug, log_file, ...) are read by Magnum's own
    # code too; they are listed in the sample under oslo.log's namespace.
    from oslo_log import log
    log.register_options(conf)


def set_defaults(conf=CONF):
    """Apply Magnum's defaults to the libraries' options (CORS, policy,
    database, messaging). Safe to call more than once."""
    # Imported here: magnum.conf.opts itself imports this package.
    from magnum.conf import opts

    opts.set_lib_defaults(conf)


register_opts(CONF)
