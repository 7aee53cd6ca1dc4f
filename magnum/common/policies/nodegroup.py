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


"""Policies for /v1/clusters/{cluster_ident}/nodegroups."""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'nodegroup:%s'
COLLECTION = '/v1/clusters/{cluster_ident}/nodegroups'
RESOURCE = '/v1/clusters/{cluster_ident}/nodegroups/{nodegroup_ident}'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER),
        scope_types=base.PROJECT_SCOPE,
        description='Show a nodegroup.',
        operations=[{'path': RESOURCE, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER),
        scope_types=base.PROJECT_SCOPE,
        description='List the nodegroups of a cluster.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='List the nodegroups of a cluster of any project.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_one_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Show a nodegroup of a cluster of any project.',
        operations=[{'path': RESOURCE, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER),
        scope_types=base.PROJECT_SCOPE,
        description='Add a nodegroup to a cluster.',
        operations=[{'path': COLLECTION, 'method': 'POST'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'update',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER),
        scope_types=base.PROJECT_SCOPE,
        description='Update a nodegroup.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER),
        scope_types=base.PROJECT_SCOPE,
        description='Delete a nodegroup.',
        operations=[{'path': RESOURCE, 'method': 'DELETE'}],
    ),
]


def list_rules():
    return rules
