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

"""The Keystone application credential each cluster gets
([cluster_credentials])."""

from oslo_config import cfg

cluster_credentials_group = cfg.OptGroup(
    'cluster_credentials',
    title='Per-cluster Keystone application credentials',
    help=(
        'When a cluster is created with a Keystone token (auth_strategy '
        '= keystone), the conductor creates a Keystone application '
        'credential for it with that token: the cluster\'s drivers '
        'reach the cloud with it, instead of with a trust. Its secret is '
        'stored encrypted with [certificates] encryption_key. It is '
        'rotated with PATCH /v1/credentials/{cluster} and deleted with '
        'the cluster.'
    ),
)

cluster_credentials_opts = [
    cfg.BoolOpt(
        'enabled',
        default=True,
        help=(
            'Create an application credential for every cluster created '
            'with a Keystone token. When False, clusters get none and '
            'drivers that need one to reach the cloud cannot build '
            'clusters. Without Keystone (auth_strategy = noauth) there '
            'is no token to create one with, and clusters never get one.'
        ),
    ),
    cfg.ListOpt(
        'roles',
        default=['member'],
        help=(
            'Roles (names) the credential carries in the cluster\'s '
            'project, for drivers that do not declare their own. The '
            'user creating the cluster must hold each of them there, or '
            'Keystone refuses and the cluster ends CREATE_FAILED with '
            'Keystone\'s answer. Must not be empty: Keystone would give '
            'an empty list every role of the creating user (an '
            'administrator\'s cluster would hold admin), so the services '
            'refuse to start with it.'
        ),
    ),
    cfg.IntOpt(
        'lifetime_days',
        default=365,
        min=0,
        help=(
            'Days an application credential is valid from its creation '
            'or rotation; Keystone refuses it afterwards. 0: it never '
            'expires.'
        ),
    ),
    cfg.IntOpt(
        'expiry_warning_days',
        default=30,
        min=0,
        help=(
            'Days before a cluster\'s application credential expires '
            'from which the cluster\'s CredentialsValid condition turns '
            'False, naming the expiry date, so that it is rotated in '
            'time (PATCH /v1/credentials/{cluster}).'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(cluster_credentials_group)
    conf.register_opts(cluster_credentials_opts,
                       group=cluster_credentials_group)


def list_opts():
    return {cluster_credentials_group: cluster_credentials_opts}
