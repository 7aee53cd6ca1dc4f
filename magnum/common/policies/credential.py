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


"""Policies for /v1/credentials."""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'credential:%s'
RESOURCE = '/v1/credentials/{cluster_ident}'

rules = [
    policy.DocumentedRuleDefault(
        # No administrator bypass: the new credential belongs to the
        # caller's project, so only a member of that project may ask for it.
        name=PREFIX % 'rotate',
        check_str=base.rule(base.PROJECT_MEMBER_DENY_CLUSTER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Rotate the credential a cluster uses to reach '
                    'OpenStack.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
]


def list_rules():
    return rules
