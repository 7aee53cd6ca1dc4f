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

"""An operator's policy file written for upstream Magnum keeps working,
through the API: the rule names it overrides are the ones enforced, and
the base rules it refers to (old ones it defines itself included) mean
what they meant (doc/source/contributor/compatibility.rst, "Policy and
visibility")."""

import json

import pytest

from magnum.common import policy
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import api  # noqa: F401 (fixture)
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.api.conftest import rpc  # noqa: F401 (fixture)
from magnum.tests.unit.db import utils as db_utils

VERSION = '1.10'

# As operators of upstream Magnum write it: cluster creation for
# administrators only, the lists opened to a custom "auditor" role, and
# rules of the 2017-2023 defaults (admin_api, deny_cluster_user) defined
# in the file and referred to.
OPERATOR_RULES = {
    'admin_api': 'rule:context_is_admin',
    'deny_cluster_user': 'not domain_id:%(trustee_domain_id)s',
    'cluster:create': 'rule:admin_api',
    'cluster:get_all': ('role:auditor or '
                        'rule:admin_or_project_reader_deny_cluster_user'),
    'cluster:detail': ('role:auditor or '
                       'rule:admin_or_project_reader_deny_cluster_user'),
    'clustertemplate:get_all': 'rule:deny_cluster_user',
}

AUDITOR = {'X-Project-Id': PROJECT_A, 'X-User-Id': 'auditor-a',
           'X-Roles': 'auditor'}

YAML = '''# Magnum policy overrides (kept from the upstream deployment)
"admin_api": "rule:context_is_admin"
"deny_cluster_user": "not domain_id:%(trustee_domain_id)s"

# Only administrators create clusters.
"cluster:create": "rule:admin_api"

# Auditors see every cluster of their project.
"cluster:get_all": "role:auditor or rule:admin_or_project_reader_deny_cluster_user"
"cluster:detail": "role:auditor or rule:admin_or_project_reader_deny_cluster_user"
"clustertemplate:get_all": "rule:deny_cluster_user"
'''  # noqa: E501


@pytest.fixture(autouse=True)
def authtoken_options():
    """keystonemiddleware's options, which the API's context hook reads
    under auth_strategy = keystone (registered when the pipeline loads
    it; these tests call the pecan app without the pipeline)."""
    import keystonemiddleware.auth_token  # noqa: F401


@pytest.fixture(params=['policy.yaml', 'policy.json'])
def operator_policy(request, magnum_config, tmp_path):
    """The operator's file, as YAML (today's format) or JSON (the
    policy.json of older releases), named by [oslo_policy] policy_file."""
    path = tmp_path / request.param
    if request.param.endswith('.yaml'):
        path.write_text(YAML)
    else:
        path.write_text(json.dumps(OPERATOR_RULES, indent=2))
    magnum_config.config(group='oslo_policy', policy_file=str(path))
    policy.reset()
    yield path
    policy.reset()


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, image_id='fedora-coreos', coe='kubernetes', server_type='vm',
        cluster_distro='fedora-coreos', project_id=PROJECT_A,
        user_id='user-a', name='k8s', public=True)


@pytest.fixture
def cluster(dbapi, template):
    return db_utils.create_test_cluster(
        dbapi, cluster_template_id=template.uuid, project_id=PROJECT_A,
        user_id='user-a', status='CREATE_COMPLETE', name='c1',
        master_count=1, node_count=1)


def _create(api, template, **kwargs):  # noqa: F811
    return api.post('/clusters', {'cluster_template_id': template.uuid,
                                  'name': 'new'}, version=VERSION, **kwargs)


def test_the_yaml_and_json_texts_say_the_same():
    import yaml
    assert yaml.safe_load(YAML) == OPERATOR_RULES


def test_without_the_file_members_create_and_auditors_see_nothing(
        api, template, cluster, fake_drivers):  # noqa: F811
    _create(api, template, status=202)
    response = api.get('/clusters', as_=None, headers=AUDITOR,
                       version=VERSION, status=403)
    assert 'cluster:get_all' in error_of(response)['detail']


def test_cluster_create_is_for_admins_only(
        api, template, operator_policy, fake_drivers):  # noqa: F811
    response = _create(api, template, as_='member', status=403)
    assert 'cluster:create' in error_of(response)['detail']
    _create(api, template, as_='admin', status=202)


def test_auditors_list_the_clusters_of_their_project(
        api, cluster, operator_policy):  # noqa: F811
    listed = api.get('/clusters', as_=None, headers=AUDITOR,
                     version=VERSION, status=200).json['clusters']
    assert [c['uuid'] for c in listed] == [cluster.uuid]
    detailed = api.get('/clusters/detail', as_=None, headers=AUDITOR,
                       version=VERSION, status=200).json['clusters']
    assert [c['uuid'] for c in detailed] == [cluster.uuid]
    # Rules the file leaves alone keep their defaults: one cluster is
    # still for readers of the project, which an auditor is not.
    api.get('/clusters/%s' % cluster.uuid, as_=None, headers=AUDITOR,
            version=VERSION, status=403)
    # And readers still list, through the base rule the file refers to.
    api.get('/clusters', as_='reader', version=VERSION, status=200)


def test_rules_of_the_older_defaults_defined_in_the_file_apply(
        api, template, operator_policy):  # noqa: F811
    # deny_cluster_user lets anyone in who is not a trustee (no trustee
    # domain exists any more): a user without roles lists templates.
    listed = api.get('/clustertemplates', as_='noroles', version=VERSION,
                     status=200).json['clustertemplates']
    assert [t['uuid'] for t in listed] == [template.uuid]
    # Without the file, the same user is refused.
    policy.reset()
    with open(operator_policy, 'w') as emptied:
        emptied.write('{}' if operator_policy.suffix == '.json' else '')
    api.get('/clustertemplates', as_='noroles', version=VERSION,
            status=403)
