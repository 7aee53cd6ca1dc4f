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

"""Policies for the historical /v1/baymodels and /v1/bays.

Bays and baymodels are the 2014-2021 names of clusters and cluster
templates, kept so that old scripts keep working (compatibility.rst,
"Legacy resources"). Their
defaults match today's cluster and cluster template rules, since the
historical "deny_cluster_user" rule they used no longer exists.
"""

from oslo_policy import policy

from magnum.common.policies import base


def _rules(prefix, collection, resource, noun, defaults):
    operations = {
        'create': (collection, 'POST', 'Create a %s.'),
        'delete': (resource, 'DELETE', 'Delete a %s.'),
        'detail': (collection + '/detail', 'GET', 'List %ss with detail.'),
        'get': (resource, 'GET', 'Show a %s.'),
        'get_all': (collection, 'GET', 'List %ss.'),
        'update': (resource, 'PATCH', 'Update a %s.'),
    }
    return [
        policy.DocumentedRuleDefault(
            name='%s:%s' % (prefix, action),
            check_str=base.rule(defaults[action]),
            scope_types=base.PROJECT_SCOPE,
            description=text % noun,
            operations=[{'path': path, 'method': method}])
        for action, (path, method, text) in operations.items()
    ]


MEMBER = base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER
READER = base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER

rules = _rules(
    'baymodel', '/v1/baymodels', '/v1/baymodels/{baymodel_ident}',
    'baymodel (cluster template)',
    {'create': MEMBER, 'delete': base.ADMIN_OR_PROJECT_MEMBER,
     'detail': READER, 'get': READER, 'get_all': READER,
     'update': base.ADMIN_OR_PROJECT_MEMBER}) + [
    policy.DocumentedRuleDefault(
        name='baymodel:publish',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Make a baymodel public.',
        operations=[{'path': '/v1/baymodels', 'method': 'POST'},
                    {'path': '/v1/baymodels/{baymodel_ident}',
                     'method': 'PATCH'}]),
] + _rules(
    'bay', '/v1/bays', '/v1/bays/{bay_ident}', 'bay (cluster)',
    {'create': MEMBER, 'delete': MEMBER, 'detail': READER, 'get': READER,
     'get_all': READER, 'update': MEMBER})


def list_rules():
    return rules
