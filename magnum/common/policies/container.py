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

"""Policies for /v1/containers (microversion 1.16) and the operator's
image import into a cluster's nodes."""

from oslo_policy import policy

from magnum.common.policies import base

PREFIX = 'container:%s'
COLLECTION = '/v1/containers'
RESOURCE = '/v1/containers/{container_ident}'


def _rule(name, check, description, path, method):
    return policy.DocumentedRuleDefault(
        name=PREFIX % name, check_str=base.rule(check),
        scope_types=base.PROJECT_SCOPE, description=description,
        operations=[{'path': path, 'method': method}])


_READ = base.ADMIN_OR_PROJECT_READER
_WRITE = base.ADMIN_OR_PROJECT_MEMBER

rules = [
    _rule('get_all', _READ, 'List containers.', COLLECTION, 'GET'),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_all_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='List the containers of every project.',
        operations=[{'path': COLLECTION, 'method': 'GET'}]),
    _rule('get', _READ, 'Show a container.', RESOURCE, 'GET'),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get_one_all_projects',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Show a container of any project.',
        operations=[{'path': RESOURCE, 'method': 'GET'}]),
    _rule('create', _WRITE, 'Run a container on a cluster.', COLLECTION,
          'POST'),
    _rule('delete', _WRITE, 'Delete a container.', RESOURCE, 'DELETE'),
    _rule('logs', _READ, 'Read the logs of a container.',
          RESOURCE + '/logs', 'GET'),
    _rule('stats', _READ, 'Read the resource usage of a container.',
          RESOURCE + '/stats', 'GET'),
    _rule('execute', _WRITE, 'Run a command in a container.',
          RESOURCE + '/execute', 'POST'),
] + [
    _rule(action, _WRITE, '%s a container.' % action.capitalize(),
          RESOURCE + '/' + action, 'POST')
    for action in ('start', 'stop', 'restart', 'pause', 'unpause')
] + [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'load_image',
        check_str=base.rule(base.CONTEXT_IS_ADMIN),
        description='Import an image tarball into every node of a '
                    'cluster (operators: no registry needed).',
        operations=[{'path': '/v1/clusters/{cluster_ident}/actions/'
                             'load_image', 'method': 'POST'}]),
]


def list_rules():
    return rules
