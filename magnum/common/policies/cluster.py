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


"""Policies for /v1/clusters and its actions."""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'cluster:%s'
COLLECTION = '/v1/clusters'
RESOURCE = '/v1/clusters/{cluster_ident}'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Create a cluster.',
        operations=[{'path': COLLECTION, 'method': 'POST'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Delete a cluster.',
        operations=[{'path': RESOURCE, 'method': 'DELETE'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Delete a cluster of any project.',
        operations=[{'path': RESOURCE, 'method': 'DELETE'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'detail',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='List clusters with detail.',
        operations=[{'path': COLLECTION + '/detail', 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'detail_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='List clusters of all projects with detail.',
        operations=[{'path': COLLECTION + '/detail', 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Show a cluster.',
        operations=[{'path': RESOURCE, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_one_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Show a cluster of any project.',
        operations=[{'path': RESOURCE, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='List clusters.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='List clusters of all projects.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'update',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Update a cluster.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'update_health_status',
        check_str=base.rule(
            base.ADMIN_OR_PROJECT_MEMBER_USER_OR_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Update the health status of a cluster. Checked on '
                    'every cluster update.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'update_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Update a cluster of any project.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'resize',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Resize a cluster.',
        operations=[{'path': RESOURCE + '/actions/resize',
                     'method': 'POST'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'upgrade',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Upgrade a cluster to another cluster template.',
        operations=[{'path': RESOURCE + '/actions/upgrade',
                     'method': 'POST'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'upgrade_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Upgrade a cluster of any project.',
        operations=[{'path': RESOURCE + '/actions/upgrade',
                     'method': 'POST'}],
    ),
]


def list_rules():
    return rules
