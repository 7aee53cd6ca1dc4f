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

"""Policies for /v1/clusters/{cluster_ident}/nodes (microversion 1.16)."""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'node:%s'
COLLECTION = '/v1/clusters/{cluster_ident}/nodes'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER),
        scope_types=base.PROJECT_SCOPE,
        description='List the nodes (machines) of a cluster.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='List the nodes of a cluster of any project.',
        operations=[{'path': COLLECTION, 'method': 'GET'}],
    ),
]


def list_rules():
    return rules
