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


"""The in-code policy defaults are the rule names and defaults clients and
operators' policy files know (doc/source/contributor/compatibility.rst,
"Policy and visibility")."""

import pathlib

from oslo_config import cfg
from oslo_policy import generator
from oslo_policy import policy as oslo_policy
import pytest

from magnum.common import policies

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
SAMPLE = REPO_ROOT / 'etc' / 'magnum' / 'policy.yaml.sample'

PROJECT = ['project']
ADMIN_ONLY = None  # admin-only rules carry no scope types

OWNER = ('admin_or_owner', 'is_admin:True or project_id:%(project_id)s')
USER = ('admin_or_user', '((rule:context_is_admin) or (rule:is_user))')

# name: (check string, (deprecated name, deprecated check string) or None)
BASE_RULES = {
    'context_is_admin': ('role:admin', None),
    'admin_or_owner': ('is_admin:True or project_id:%(project_id)s', None),
    'admin_or_user': ('is_admin:True or user_id:%(user_id)s', None),
    'is_user': ('user_id:%(user_id)s', None),
    'project_member': ('role:member and project_id:%(project_id)s', None),
    'project_reader': ('role:reader and project_id:%(project_id)s', None),
    'admin_or_project_reader': (
        '(rule:context_is_admin) or (rule:project_reader)', OWNER),
    'admin_or_project_member': (
        '(rule:context_is_admin) or (rule:project_member)', OWNER),
    'admin_or_project_member_user': (
        '(rule:context_is_admin) or ((rule:project_member) and '
        '(rule:is_user))', USER),
    'admin_or_project_member_user_or_cluster_user': (
        '(rule:context_is_admin) or ((rule:project_member) and '
        '(rule:is_user))', USER),
    'project_member_deny_cluster_user': ('(rule:project_member)', OWNER),
    'admin_or_project_member_deny_cluster_user': (
        '(rule:context_is_admin) or (rule:project_member)', OWNER),
    'project_reader_deny_cluster_user': ('(rule:project_reader)', OWNER),
    'admin_or_project_reader_deny_cluster_user': (
        '(rule:context_is_admin) or (rule:project_reader)', OWNER),
    'admin_or_project_reader_user': (
        '(rule:context_is_admin) or ((rule:project_reader) and '
        '(rule:is_user))', USER),
}

# name: (base rule the default refers to, scope types)
RESOURCE_RULES = {
    'clustertemplate:create': (
        'admin_or_project_member_deny_cluster_user', PROJECT),
    'clustertemplate:delete': ('admin_or_project_member', PROJECT),
    'clustertemplate:delete_all_projects': ('context_is_admin', ADMIN_ONLY),
    'clustertemplate:detail': (
        'admin_or_project_reader_deny_cluster_user', PROJECT),
    'clustertemplate:detail_all_projects': ('context_is_admin', ADMIN_ONLY),
    'clustertemplate:get': (
        'admin_or_project_reader_deny_cluster_user', PROJECT),
    'clustertemplate:get_one_all_projects': ('context_is_admin', ADMIN_ONLY),
    'clustertemplate:get_all': (
        'admin_or_project_reader_deny_cluster_user', PROJECT),
    'clustertemplate:get_all_all_projects': ('context_is_admin', ADMIN_ONLY),
    'clustertemplate:update': ('admin_or_project_member', PROJECT),
    'clustertemplate:update_all_projects': ('context_is_admin', ADMIN_ONLY),
    'clustertemplate:publish': ('context_is_admin', ADMIN_ONLY),
    'cluster:create': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'cluster:delete': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'cluster:delete_all_projects': ('context_is_admin', ADMIN_ONLY),
    'cluster:detail': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'cluster:detail_all_projects': ('context_is_admin', ADMIN_ONLY),
    'cluster:get': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'cluster:get_one_all_projects': ('context_is_admin', ADMIN_ONLY),
    'cluster:get_all': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'cluster:get_all_all_projects': ('context_is_admin', ADMIN_ONLY),
    'cluster:update': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'cluster:update_health_status': (
        'admin_or_project_member_user_or_cluster_user', PROJECT),
    'cluster:update_all_projects': ('context_is_admin', ADMIN_ONLY),
    'cluster:resize': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'cluster:upgrade': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'cluster:upgrade_all_projects': ('context_is_admin', ADMIN_ONLY),
    'nodegroup:get': ('admin_or_project_reader', PROJECT),
    'nodegroup:get_all': ('admin_or_project_reader', PROJECT),
    'nodegroup:get_all_all_projects': ('context_is_admin', ADMIN_ONLY),
    'nodegroup:get_one_all_projects': ('context_is_admin', ADMIN_ONLY),
    'nodegroup:create': ('admin_or_project_member', PROJECT),
    'nodegroup:update': ('admin_or_project_member', PROJECT),
    'nodegroup:delete': ('admin_or_project_member', PROJECT),
    'node:get_all': ('admin_or_project_reader', PROJECT),
    'node:get_all_all_projects': ('context_is_admin', ADMIN_ONLY),
    'container:get_all': ('admin_or_project_reader', PROJECT),
    'container:get': ('admin_or_project_reader', PROJECT),
    'container:logs': ('admin_or_project_reader', PROJECT),
    'container:stats': ('admin_or_project_reader', PROJECT),
    'container:create': ('admin_or_project_member', PROJECT),
    'container:delete': ('admin_or_project_member', PROJECT),
    'container:execute': ('admin_or_project_member', PROJECT),
    'container:start': ('admin_or_project_member', PROJECT),
    'container:stop': ('admin_or_project_member', PROJECT),
    'container:restart': ('admin_or_project_member', PROJECT),
    'container:pause': ('admin_or_project_member', PROJECT),
    'container:unpause': ('admin_or_project_member', PROJECT),
    'container:get_all_all_projects': ('context_is_admin', ADMIN_ONLY),
    'container:get_one_all_projects': ('context_is_admin', ADMIN_ONLY),
    'container:load_image': ('context_is_admin', ADMIN_ONLY),
    'certificate:create': ('admin_or_project_member_user', PROJECT),
    'certificate:get': ('admin_or_project_reader_user', PROJECT),
    'certificate:rotate_ca': ('admin_or_project_member', PROJECT),
    'credential:rotate': ('project_member_deny_cluster_user', PROJECT),
    'federation:create': (
        'admin_or_project_member_deny_cluster_user', PROJECT),
    'federation:delete': (
        'admin_or_project_member_deny_cluster_user', PROJECT),
    'federation:detail': (
        'admin_or_project_reader_deny_cluster_user', PROJECT),
    'federation:get': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'federation:get_all': (
        'admin_or_project_reader_deny_cluster_user', PROJECT),
    'federation:update': (
        'admin_or_project_member_deny_cluster_user', PROJECT),
    'magnum-service:get_all': ('context_is_admin', ADMIN_ONLY),
    'quota:create': ('context_is_admin', ADMIN_ONLY),
    'quota:delete': ('context_is_admin', ADMIN_ONLY),
    'quota:get': ('admin_or_project_reader', PROJECT),
    'quota:get_all': ('context_is_admin', ADMIN_ONLY),
    'quota:update': ('context_is_admin', ADMIN_ONLY),
    'stats:get_all': ('admin_or_project_reader', PROJECT),
    # Historical names kept alive (compatibility.rst, "Legacy resources"), same
    # defaults as today's
    # clusters and cluster templates.
    'baymodel:create': (
        'admin_or_project_member_deny_cluster_user', PROJECT),
    'baymodel:delete': ('admin_or_project_member', PROJECT),
    'baymodel:detail': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'baymodel:get': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'baymodel:get_all': (
        'admin_or_project_reader_deny_cluster_user', PROJECT),
    'baymodel:update': ('admin_or_project_member', PROJECT),
    'baymodel:publish': ('context_is_admin', ADMIN_ONLY),
    'bay:create': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'bay:delete': ('admin_or_project_member_deny_cluster_user', PROJECT),
    'bay:detail': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'bay:get': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'bay:get_all': ('admin_or_project_reader_deny_cluster_user', PROJECT),
    'bay:update': ('admin_or_project_member_deny_cluster_user', PROJECT),
}


@pytest.fixture(scope='module')
def defaults():
    return {rule.name: rule for rule in policies.list_rules()}


def test_exactly_these_rules_are_registered(defaults):
    assert sorted(defaults) == sorted(
        list(BASE_RULES) + list(RESOURCE_RULES))


@pytest.mark.parametrize('name', sorted(BASE_RULES))
def test_base_rule_default(defaults, name):
    check_str, deprecated = BASE_RULES[name]
    rule = defaults[name]

    assert not isinstance(rule, oslo_policy.DocumentedRuleDefault)
    assert rule.check_str == check_str
    assert not rule.scope_types
    if deprecated is None:
        assert rule.deprecated_rule is None
    else:
        assert (rule.deprecated_rule.name,
                rule.deprecated_rule.check_str) == deprecated
        assert rule.deprecated_rule.deprecated_since == '2023.2'
        assert rule.deprecated_rule.deprecated_reason


@pytest.mark.parametrize('name', sorted(RESOURCE_RULES))
def test_resource_rule_default(defaults, name):
    base_rule, scope_types = RESOURCE_RULES[name]
    rule = defaults[name]

    assert isinstance(rule, oslo_policy.DocumentedRuleDefault)
    assert rule.check_str == f'rule:{base_rule}'
    assert rule.scope_types == scope_types
    assert rule.description
    for operation in rule.operations:
        assert operation['path'].startswith('/v1/')
        assert operation['method'] in ('GET', 'POST', 'PATCH', 'DELETE')


def test_policy_sample_is_up_to_date(tmp_path):
    fresh = tmp_path / 'policy.yaml.sample'
    generator.generate_sample(
        args=['--namespace', 'magnum', '--output-file', str(fresh)],
        conf=cfg.ConfigOpts())

    assert SAMPLE.read_text() == fresh.read_text(), (
        f'{SAMPLE.relative_to(REPO_ROOT)} is stale; run `tox -e genpolicy` '
        'and commit the result.')
