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


"""Base rules: the building blocks every resource rule refers to.

Resource rules name one of these as ``rule:<name>`` so an operator can change
what "project reader" means for the whole service in one place.

The reader/member defaults replaced the owner-only defaults in 2023.2. With
``[oslo_policy] enforce_new_defaults = False`` the old check string of each
rule below that carries a ``deprecated_rule`` is OR'ed back in, which lets a
deployment without the reader and member roles keep working while it
migrates.

The ``*_deny_cluster_user`` and ``*_or_cluster_user`` names date from the
trustee "cluster users" that were removed in 2026-05; their defaults no
longer mention them, but the names stay so existing overrides still apply.
"""

from oslo_policy import policy

CONTEXT_IS_ADMIN = 'context_is_admin'
ADMIN_OR_OWNER = 'admin_or_owner'
ADMIN_OR_USER = 'admin_or_user'
IS_USER = 'is_user'
PROJECT_MEMBER = 'project_member'
PROJECT_READER = 'project_reader'
ADMIN_OR_PROJECT_READER = 'admin_or_project_reader'
ADMIN_OR_PROJECT_MEMBER = 'admin_or_project_member'
ADMIN_OR_PROJECT_MEMBER_USER = 'admin_or_project_member_user'
ADMIN_OR_PROJECT_MEMBER_USER_OR_CLUSTER_USER = (
    'admin_or_project_member_user_or_cluster_user')
PROJECT_MEMBER_DENY_CLUSTER_USER = 'project_member_deny_cluster_user'
ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER = (
    'admin_or_project_member_deny_cluster_user')
PROJECT_READER_DENY_CLUSTER_USER = 'project_reader_deny_cluster_user'
ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER = (
    'admin_or_project_reader_deny_cluster_user')
ADMIN_OR_PROJECT_READER_USER = 'admin_or_project_reader_user'

# Scope of every rule a project user may pass; admin-only rules carry none.
PROJECT_SCOPE = ['project']


def rule(name):
    """The check string that defers to the base rule ``name``."""
    return f'rule:{name}'


_ADMIN = rule(CONTEXT_IS_ADMIN)

DEPRECATED_REASON = (
    'Magnum now understands project-scoped tokens and the default "reader" '
    'and "member" roles, so the owner-only defaults are replaced by '
    'defaults that tell readers from members.')
DEPRECATED_SINCE = '2023.2'

# The two pre-2023.2 defaults that new rules fall back to.
_DEPRECATED_ADMIN_OR_OWNER = policy.DeprecatedRule(
    name=ADMIN_OR_OWNER,
    check_str='is_admin:True or project_id:%(project_id)s',
    deprecated_reason=DEPRECATED_REASON,
    deprecated_since=DEPRECATED_SINCE,
)
_DEPRECATED_ADMIN_OR_USER = policy.DeprecatedRule(
    name=ADMIN_OR_USER,
    check_str=f'(({_ADMIN}) or ({rule(IS_USER)}))',
    deprecated_reason=DEPRECATED_REASON,
    deprecated_since=DEPRECATED_SINCE,
)

_ADMIN_OR_MEMBER_USER = (
    f'({_ADMIN}) or (({rule(PROJECT_MEMBER)}) and ({rule(IS_USER)}))')
_ADMIN_OR_MEMBER = f'({_ADMIN}) or ({rule(PROJECT_MEMBER)})'
_ADMIN_OR_READER = f'({_ADMIN}) or ({rule(PROJECT_READER)})'

rules = [
    policy.RuleDefault(
        name=CONTEXT_IS_ADMIN,
        check_str='role:admin',
        description='Decides who is an administrator of Magnum.',
    ),
    policy.RuleDefault(
        name=ADMIN_OR_OWNER,
        check_str='is_admin:True or project_id:%(project_id)s',
        description='An administrator or anyone in the owning project.',
    ),
    policy.RuleDefault(
        name=ADMIN_OR_USER,
        check_str='is_admin:True or user_id:%(user_id)s',
        description='An administrator or the owning user.',
    ),
    policy.RuleDefault(
        name=IS_USER,
        check_str='user_id:%(user_id)s',
        description='The user who owns the target.',
    ),
    policy.RuleDefault(
        name=PROJECT_MEMBER,
        check_str='role:member and project_id:%(project_id)s',
        description='A member of the owning project.',
    ),
    policy.RuleDefault(
        name=PROJECT_READER,
        check_str='role:reader and project_id:%(project_id)s',
        description='A reader of the owning project.',
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_READER,
        check_str=_ADMIN_OR_READER,
        description='An administrator or a reader of the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_OWNER,
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_MEMBER,
        check_str=_ADMIN_OR_MEMBER,
        description='An administrator or a member of the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_OWNER,
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_MEMBER_USER,
        check_str=_ADMIN_OR_MEMBER_USER,
        description='An administrator, or the owning user while a member of '
                    'the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_USER,
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_MEMBER_USER_OR_CLUSTER_USER,
        check_str=_ADMIN_OR_MEMBER_USER,
        description='An administrator, or the owning user while a member of '
                    'the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_USER,
    ),
    policy.RuleDefault(
        name=PROJECT_MEMBER_DENY_CLUSTER_USER,
        check_str=f'({rule(PROJECT_MEMBER)})',
        description='A member of the owning project; no administrator '
                    'bypass.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_OWNER,
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
        check_str=_ADMIN_OR_MEMBER,
        description='An administrator or a member of the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_OWNER,
    ),
    policy.RuleDefault(
        name=PROJECT_READER_DENY_CLUSTER_USER,
        check_str=f'({rule(PROJECT_READER)})',
        description='A reader of the owning project; no administrator '
                    'bypass.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_OWNER,
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER,
        check_str=_ADMIN_OR_READER,
        description='An administrator or a reader of the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_OWNER,
    ),
    policy.RuleDefault(
        name=ADMIN_OR_PROJECT_READER_USER,
        check_str=(f'({_ADMIN}) or (({rule(PROJECT_READER)}) and '
                   f'({rule(IS_USER)}))'),
        description='An administrator, or the owning user while a reader of '
                    'the owning project.',
        deprecated_rule=_DEPRECATED_ADMIN_OR_USER,
    ),
]


def list_rules():
    return rules
