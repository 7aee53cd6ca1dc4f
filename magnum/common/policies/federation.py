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


"""Policies for /v1/federations."""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'federation:%s'
COLLECTION = '/v1/federations'
RESOURCE = '/v1/federations/{federation_ident}'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Create a federation.',
        operations=[{'path': COLLECTION, 'method': 'POST'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Delete a federation.',
        operations=[{'path': RESOURCE, 'method': 'DELETE'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'detail',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='List federations with detail.',
        operations=[{'path': COLLECTION + '/detail', 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Show a federation.',
        operations=[{'path': RESOURCE, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='List federations.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'update',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Update a federation.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
]


def list_rules():
    return rules
