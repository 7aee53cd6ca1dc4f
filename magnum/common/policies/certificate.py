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


"""Policies for /v1/certificates.

Signing and fetching are checked against the cluster, so by default only
the user who created the cluster (or an administrator) may do them.
"""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'certificate:%s'
COLLECTION = '/v1/certificates'
RESOURCE = '/v1/certificates/{cluster_ident}'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Sign a certificate signing request with the CA of a '
                    'cluster.',
        operations=[{'path': COLLECTION, 'method': 'POST'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.rule(base.ADMIN_OR_PROJECT_READER_USER),
        scope_types=base.PROJECT_SCOPE,
        description='Show the CA certificate of a cluster.',
        operations=[{'path': RESOURCE, 'method': 'GET'}],
    ),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'rotate_ca',
        check_str=base.rule(base.ADMIN_OR_PROJECT_MEMBER),
        scope_types=base.PROJECT_SCOPE,
        description='Rotate the CA certificate of a cluster.',
        operations=[{'path': RESOURCE, 'method': 'PATCH'}],
    ),
]


def list_rules():
    return rules
