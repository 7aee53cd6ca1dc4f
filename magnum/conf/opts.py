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

"""Option listing and library defaults for oslo-config-generator.

``list_opts`` is the ``oslo.config.opts`` entry point named ``magnum``;
``set_lib_defaults`` is its ``oslo.config.opts.defaults`` hook, which the
generator calls before it lists any namespace, so the sample shows the
defaults Magnum really runs with.
"""

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_middleware import cors
from oslo_policy import opts as policy_opts

import magnum.conf
from magnum.conf import database

# CORS defaults of the API: clients read and send the request id and
# the microversion headers.
CORS_ALLOW_HEADERS = [
    'X-Auth-Token',
    'X-Identity-Status',
    'X-Roles',
    'X-Service-Catalog',
    'X-User-Id',
    'X-Tenant-Id',
    'X-OpenStack-Request-ID',
    'X-Server-Management-Url',
]
CORS_EXPOSE_HEADERS = [
    'X-Auth-Token',
    'X-Subject-Token',
    'X-Service-Token',
    'X-OpenStack-Request-ID',
    'X-Server-Management-Url',
]
CORS_ALLOW_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH']

POLICY_FILE = 'policy.yaml'
CONTROL_EXCHANGE = 'magnum'


def _group_name(group):
    return group.name if isinstance(group, cfg.OptGroup) else group


def list_opts():
    """All Magnum options as a sorted list of (group, [opts]).

    A group spread over several modules (DEFAULT) is merged into one entry;
    the OptGroup object is kept when a module provides one, so the sample
    shows the group's help.
    """
    groups = {}
    merged = {}
    for module in magnum.conf.MODULES:
        for group, opts in module.list_opts().items():
            name = _group_name(group)
            if isinstance(group, cfg.OptGroup) or name not in groups:
                groups[name] = group
            merged.setdefault(name, []).extend(opts)
    return [(groups[name], merged[name]) for name in sorted(merged)]


def set_lib_defaults(conf=None):
    """Set Magnum's defaults for options owned by libraries.

    Idempotent: every call sets the same values. The library helpers used
    here (except oslo.db's) change the option objects themselves, which is
    what makes the generated sample show Magnum's values.
    """
    # Imported here: oslo.messaging is heavy and only this hook needs it.
    import oslo_messaging

    conf = cfg.CONF if conf is None else conf

    cors.set_defaults(
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        allow_methods=CORS_ALLOW_METHODS,
    )
    policy_opts.set_defaults(conf, policy_file=POLICY_FILE)
    oslo_messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)

    # oslo.db's set_defaults only changes the default registered on conf;
    # the option objects listed for the sample need it too.
    cfg.set_defaults(
        db_options.database_opts, connection=database.DEFAULT_CONNECTION
    )
    db_options.set_defaults(conf, connection=database.DEFAULT_CONNECTION)
