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

"""Magnum's legacy additions to the [keystone_authtoken] group.

keystonemiddleware declares the token-validation options of this group
(namespace ``keystonemiddleware.auth_token``). Magnum adds the old
admin_* credentials, still read as a fallback for its service account
when [keystone_auth] is not configured.
"""

from oslo_config import cfg

keystone_authtoken_group = cfg.OptGroup(
    'keystone_authtoken',
    title='Keystone token validation',
    help=(
        'How the API validates Keystone tokens (keystonemiddleware '
        'auth_token), plus Magnum\'s legacy admin_* service '
        'credentials.'
    ),
)

legacy_opts = [
    cfg.StrOpt(
        'admin_user',
        help=(
            'Legacy service user name, used only when [keystone_auth] '
            'has no credentials. Configure [keystone_auth] instead.'
        ),
    ),
    cfg.StrOpt(
        'admin_password',
        secret=True,
        help=(
            'Password of admin_user, used only when [keystone_auth] has '
            'no credentials. Configure [keystone_auth] instead.'
        ),
    ),
    cfg.StrOpt(
        'admin_tenant_name',
        help=(
            'Project of admin_user, used only when [keystone_auth] has '
            'no credentials. Configure [keystone_auth] instead.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(keystone_authtoken_group)
    conf.register_opts(legacy_opts, group=keystone_authtoken_group)


def register_middleware_opts(conf):
    """Register keystonemiddleware's own options of this group, so that
    Magnum can read them (www_authenticate_uri, cafile, ...) before or
    without the middleware. They are listed in the sample under
    keystonemiddleware's namespace. Registering them again changes
    nothing.

    Importing keystonemiddleware costs a process about 13 MiB, so only
    the code that reads these options calls this: magnum.common.keystone
    when it is imported, and the API when ``[DEFAULT] auth_strategy =
    keystone`` puts the middleware in its pipeline. An API under noauth
    never imports it.
    """
    from keystonemiddleware import auth_token
    for group, options in auth_token.list_opts():
        conf.register_opts(options, group=group)


def list_opts():
    return {keystone_authtoken_group: legacy_opts}
