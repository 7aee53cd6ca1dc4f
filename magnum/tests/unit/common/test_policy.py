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


"""Who may do what under the default policy, through policy.authorize."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_policy import opts as policy_opts
from oslo_policy import policy as oslo_policy
import pytest

from magnum.common import context
from magnum.common import exception
from magnum.common import policy

PROJECT_A = 'project-a'
PROJECT_B = 'project-b'
OWNER = 'owner-user'


@pytest.fixture(autouse=True)
def conf(tmp_path):
    """Fresh configuration and enforcer; no policy file of the host."""
    fixture = config_fixture.Config(cfg.CONF)
    fixture.setUp()
    cfg.CONF([], default_config_files=[], default_config_dirs=[])
    policy_opts.set_defaults(cfg.CONF)
    fixture.config(group='oslo_policy',
                   policy_file=str(tmp_path / 'missing-policy.yaml'),
                   policy_dirs=[])
    policy.reset()
    yield fixture
    policy.reset()
    fixture.cleanUp()


def make_context(roles, project_id=PROJECT_A, user_id=OWNER, **kwargs):
    ctx = context.RequestContext(user_id=user_id, project_id=project_id,
                                 roles=roles, **kwargs)
    # What the API does for every request.
    ctx.is_admin = policy.check_is_admin(ctx)
    return ctx


@pytest.fixture
def admin():
    return make_context(['admin', 'member', 'reader'], project_id=PROJECT_B,
                        user_id='admin-user')


@pytest.fixture
def member():
    return make_context(['member', 'reader'])


@pytest.fixture
def reader():
    return make_context(['reader'], user_id='reader-user')


@pytest.fixture
def other_member():
    return make_context(['member', 'reader'], project_id=PROJECT_B,
                        user_id='other-user')


@pytest.fixture
def no_roles():
    return make_context([])


def cluster_of_a(user_id=OWNER):
    return {'project_id': PROJECT_A, 'user_id': user_id}


def allowed(ctx, action, target=None):
    return policy.authorize(ctx, action, target, do_raise=False)


def test_check_is_admin_follows_the_admin_role(admin, member, no_roles):
    assert admin.is_admin is True
    assert member.is_admin is False
    assert no_roles.is_admin is False


def test_reader_reads_own_project_but_cannot_create(reader):
    assert policy.authorize(reader, 'cluster:get', cluster_of_a()) is True

    with pytest.raises(exception.PolicyNotAuthorized) as raised:
        policy.authorize(reader, 'cluster:create')
    assert raised.value.code == 403
    assert str(raised.value) == (
        "Policy doesn't allow cluster:create to be performed.")


def test_member_creates_and_changes_in_own_project(member):
    assert allowed(member, 'cluster:create')
    assert allowed(member, 'cluster:update', cluster_of_a())
    assert allowed(member, 'cluster:delete', cluster_of_a())
    assert allowed(member, 'clustertemplate:delete', cluster_of_a())
    assert allowed(member, 'nodegroup:create')


def test_member_of_another_project_cannot_touch_the_cluster(other_member):
    for action in ('cluster:get', 'cluster:update', 'cluster:delete',
                   'cluster:resize', 'certificate:rotate_ca'):
        assert allowed(other_member, action, cluster_of_a()) is False
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize(other_member, 'cluster:get', cluster_of_a())


def test_user_without_roles_is_denied_even_in_own_project(no_roles):
    assert allowed(no_roles, 'cluster:get', cluster_of_a()) is False
    assert allowed(no_roles, 'cluster:get_all') is False
    assert allowed(no_roles, 'stats:get_all') is False


def test_admin_of_another_project_may_act_on_the_cluster(admin):
    assert allowed(admin, 'cluster:get', cluster_of_a())
    assert allowed(admin, 'cluster:delete', cluster_of_a())
    assert allowed(admin, 'nodegroup:update', cluster_of_a())


def test_certificate_signing_is_for_the_cluster_creator(member, admin):
    colleague = make_context(['member', 'reader'], user_id='colleague')

    assert allowed(member, 'certificate:create', cluster_of_a())
    assert allowed(member, 'certificate:get', cluster_of_a())
    assert allowed(colleague, 'certificate:create', cluster_of_a()) is False
    assert allowed(colleague, 'certificate:get', cluster_of_a()) is False
    assert allowed(admin, 'certificate:create', cluster_of_a())
    assert allowed(admin, 'certificate:get', cluster_of_a())


def test_certificate_signing_needs_member_role_too(reader):
    own_cluster = {'project_id': PROJECT_A, 'user_id': reader.user_id}

    assert allowed(reader, 'certificate:get', own_cluster)
    assert allowed(reader, 'certificate:create', own_cluster) is False


def test_credential_rotation_has_no_admin_bypass(admin, member):
    assert allowed(member, 'credential:rotate', cluster_of_a())
    assert allowed(admin, 'credential:rotate', cluster_of_a()) is False
    admin_only = make_context(['admin'], project_id=PROJECT_A)
    assert allowed(admin_only, 'credential:rotate') is False


@pytest.mark.parametrize('action', [
    'cluster:get_all_all_projects',
    'cluster:get_one_all_projects',
    'cluster:detail_all_projects',
    'cluster:update_all_projects',
    'cluster:delete_all_projects',
    'cluster:upgrade_all_projects',
    'clustertemplate:get_all_all_projects',
    'clustertemplate:delete_all_projects',
    'nodegroup:get_all_all_projects',
    'nodegroup:get_one_all_projects',
    'magnum-service:get_all',
    'quota:create',
    'quota:get_all',
])
def test_admin_only_rules(action, admin, member, reader):
    assert allowed(admin, action)
    assert allowed(member, action) is False
    assert allowed(reader, action) is False


def test_publish_denial_raises_the_given_exception(member, admin):
    assert allowed(admin, 'clustertemplate:publish')
    with pytest.raises(exception.ClusterTemplatePublishDenied):
        policy.authorize(member, 'clustertemplate:publish',
                         exc=exception.ClusterTemplatePublishDenied)


def test_default_target_is_the_callers_project_and_user(member):
    assert allowed(member, 'certificate:create')
    assert allowed(member, 'quota:get')


def test_token_of_the_wrong_scope_is_forbidden():
    system_admin = make_context(['admin', 'member', 'reader'],
                                project_id=None, system_scope='all')

    with pytest.raises(exception.PolicyNotAuthorized) as raised:
        policy.authorize(system_admin, 'cluster:get', cluster_of_a())
    assert raised.value.code == 403
    assert allowed(system_admin, 'cluster:get', cluster_of_a()) is False
    # Rules without scope types accept any token.
    assert allowed(system_admin, 'quota:create')


def test_unknown_rule_is_a_programming_error(admin):
    with pytest.raises(oslo_policy.PolicyNotRegistered):
        policy.authorize(admin, 'cluster:fly')


def test_operator_policy_file_overrides_a_default(tmp_path, member, admin):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"cluster:get": "!"\n')
    policy.reset()
    policy.init(policy_file=str(policy_file))

    assert allowed(member, 'cluster:get', cluster_of_a()) is False
    assert allowed(admin, 'cluster:get', cluster_of_a()) is False
    assert allowed(member, 'cluster:get_all')


def test_configured_policy_file_is_read(conf, tmp_path, member):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"cluster:get_all": "role:auditor"\n')
    conf.config(group='oslo_policy', policy_file=str(policy_file))
    policy.reset()

    assert allowed(member, 'cluster:get_all') is False
    auditor = make_context(['auditor'])
    assert allowed(auditor, 'cluster:get_all')


def test_init_rules_override_defaults(member):
    policy.reset()
    policy.init(rules={'cluster:get_all': '!'})

    assert allowed(member, 'cluster:get_all') is False
    assert allowed(member, 'cluster:get', cluster_of_a())


def test_reset_forgets_earlier_rules(member):
    policy.init(rules={'cluster:get_all': '!'})
    policy.reset()

    assert allowed(member, 'cluster:get_all')


def test_deprecated_defaults_apply_when_new_defaults_are_not_enforced(
        conf, no_roles, other_member):
    assert allowed(no_roles, 'cluster:get', cluster_of_a()) is False

    conf.config(group='oslo_policy', enforce_new_defaults=False)
    policy.reset()
    policy.init().suppress_default_change_warnings = True

    # admin_or_owner: any user of the owning project.
    assert allowed(no_roles, 'cluster:get', cluster_of_a())
    assert allowed(no_roles, 'cluster:create')
    assert allowed(other_member, 'cluster:get', cluster_of_a()) is False
    # The admin_or_user fallback of certificate:create: the owning user.
    assert allowed(no_roles, 'certificate:create', cluster_of_a())
    assert allowed(no_roles, 'certificate:create',
                   cluster_of_a(user_id='someone-else')) is False


def test_get_enforcer_returns_the_enforcer_with_the_rules():
    enforcer = policy.get_enforcer()

    assert enforcer is policy.init()
    assert 'cluster:get' in enforcer.registered_rules
