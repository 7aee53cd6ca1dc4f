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

"""Magnum's service credentials ([keystone_auth]).

The options come from keystoneauth1: the session options (TLS, timeout)
and the auth plugin selected by ``auth_type``. Magnum uses them for its
own calls to OpenStack (Keystone, Barbican, periodic jobs).

Importing magnum.conf registers only the group: keystoneauth1's options
are registered by :func:`register_keystoneauth_opts`, which
magnum.common.keystone (the only reader of this group) calls when it is
imported. A process that never acts as Magnum's service user, such as an
API worker under ``auth_strategy = noauth``, so never imports
keystoneauth1 and requests for them (about 3 MiB).
"""

import copy

from oslo_config import cfg

GROUP_NAME = 'keystone_auth'
DEFAULT_AUTH_TYPE = 'password'

keystone_auth_group = cfg.OptGroup(
    GROUP_NAME,
    title='Magnum service credentials',
    help=(
        'Credentials and connection settings Magnum uses when it acts '
        'on its own behalf (admin context): Keystone look-ups, '
        'Barbican, periodic jobs. Choose the auth plugin with auth_type '
        'and fill in that plugin\'s options; the password plugin\'s '
        'options are shown below.'
    ),
)


def register_opts(conf):
    conf.register_group(keystone_auth_group)


def register_keystoneauth_opts(conf):
    """Register keystoneauth1's session and auth options in the group
    (again is harmless)."""
    from keystoneauth1 import loading as ks_loading
    register_opts(conf)
    ks_loading.register_session_conf_options(conf, GROUP_NAME)
    ks_loading.register_auth_conf_options(conf, GROUP_NAME)
    # The plugin's own options are registered by keystoneauth1 when it
    # loads the plugin named by auth_type.
    conf.set_default('auth_type', DEFAULT_AUTH_TYPE, group=GROUP_NAME)


def list_opts():
    from keystoneauth1 import loading as ks_loading
    common = [copy.deepcopy(opt)
              for opt in ks_loading.get_auth_common_conf_options()]
    for opt in common:
        if opt.dest == 'auth_type':
            opt.default = DEFAULT_AUTH_TYPE
    candidates = (
        common
        + ks_loading.get_session_conf_options()
        + ks_loading.get_auth_plugin_conf_options(DEFAULT_AUTH_TYPE)
    )
    opts = []
    seen = set()
    for opt in candidates:
        if opt.dest not in seen:
            seen.add(opt.dest)
            opts.append(opt)
    return {keystone_auth_group: opts}
