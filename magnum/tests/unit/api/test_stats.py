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


"""GET /v1/stats (api-ref/source/stats.inc)."""

import pytest

from magnum.common import policy
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

# Project A: 2 clusters, 1 + 2 and 3 + 0 nodes in the default
# nodegroups, plus an extra nodegroup of 4 nodes: 10 nodes.
# Project B: 1 cluster of 1 + 1 nodes.
A_STATS = {'clusters': 2, 'nodes': 10}
B_STATS = {'clusters': 1, 'nodes': 2}
ALL_STATS = {'clusters': 3, 'nodes': 12}
EMPTY = {'clusters': 0, 'nodes': 0}


@pytest.fixture
def clusters(dbapi):
    first = db_utils.create_test_cluster(dbapi, master_count=1,
                                         node_count=2, name='a1',
                                         project_id=PROJECT_A)
    db_utils.create_test_cluster(dbapi, master_count=3, node_count=0,
                                 name='a2', project_id=PROJECT_A)
    db_utils.create_test_nodegroup(dbapi, cluster_id=first.uuid,
                                   project_id=PROJECT_A, name='extra',
                                   node_count=4)
    db_utils.create_test_cluster(dbapi, master_count=1, node_count=1,
                                 name='b1', project_id=PROJECT_B)


@pytest.fixture
def set_policy():
    def apply(rules):
        policy.reset()
        policy.init(rules=rules)
    yield apply
    policy.reset()


def _stats(api, query='', as_='member', status=200, **kwargs):
    return api.get('/stats' + query, as_=as_, status=status, **kwargs)


class TestProjects:

    def test_no_clusters(self, api):
        assert _stats(api).json == EMPTY

    def test_member_gets_own_project_by_default(self, api, clusters):
        assert _stats(api).json == A_STATS
        assert _stats(api, as_='other').json == B_STATS

    def test_masters_and_every_nodegroup_count(self, api, dbapi, clusters):
        cluster = db_utils.create_test_cluster(
            dbapi, master_count=5, node_count=7, name='a3',
            project_id=PROJECT_A)
        db_utils.create_test_nodegroup(dbapi, cluster_id=cluster.uuid,
                                       project_id=PROJECT_A, name='ng',
                                       node_count=0)
        assert _stats(api).json == {'clusters': 3, 'nodes': 22}

    def test_member_may_name_own_project(self, api, clusters):
        assert _stats(api, '?project_id=%s' % PROJECT_A).json == A_STATS

    def test_empty_project_id_means_own(self, api, clusters):
        assert _stats(api, '?project_id=').json == A_STATS

    @pytest.mark.parametrize('caller', ['member', 'reader'])
    def test_non_admin_may_not_see_another_project(self, api, clusters,
                                                   caller):
        error = error_of(_stats(api, '?project_id=%s' % PROJECT_B,
                                as_=caller, status=403))
        assert error['status'] == 403
        assert 'another project' in error['detail']

    def test_admin_without_project_gets_all(self, api, clusters):
        assert _stats(api, as_='admin').json == ALL_STATS
        assert _stats(api, '?project_id=', as_='admin').json == ALL_STATS

    def test_admin_may_name_any_project(self, api, clusters):
        assert _stats(api, '?project_id=%s' % PROJECT_B,
                      as_='admin').json == B_STATS
        assert _stats(api, '?project_id=%s' % PROJECT_A,
                      as_='admin').json == A_STATS
        assert _stats(api, '?project_id=nobody', as_='admin').json == EMPTY

    def test_token_without_project_is_refused(self, api, clusters):
        response = api.get('/stats', as_=None, headers={
            'X-User-Id': 'u', 'X-Roles': 'reader'}, status=403)
        assert 'project' in error_of(response)['detail']


class TestType:

    @pytest.mark.parametrize('value', ['cluster', 'CLUSTER', 'Cluster'])
    def test_cluster_in_any_case(self, api, clusters, value):
        assert _stats(api, '?type=%s' % value).json == A_STATS

    @pytest.mark.parametrize('value', ['node', 'clusters', '', 'nodegroup'])
    def test_other_types_are_400(self, api, clusters, value):
        error = error_of(_stats(api, '?type=%s' % value, status=400))
        assert 'Invalid stats type' in error['detail']

    def test_type_and_project_together(self, api, clusters):
        assert _stats(api, '?project_id=%s&type=cluster' % PROJECT_B,
                      as_='admin').json == B_STATS


class TestPolicy:

    @pytest.mark.parametrize('caller', ['member', 'member2', 'reader',
                                        'other', 'admin'])
    def test_readers_and_admins_allowed(self, api, caller):
        _stats(api, as_=caller, status=200)

    def test_no_roles_denied(self, api, clusters):
        error = error_of(_stats(api, as_='noroles', status=403))
        assert error['detail'] == \
            "Policy doesn't allow stats:get_all to be performed."

    def test_policy_override(self, api, clusters, set_policy):
        set_policy({'stats:get_all': 'role:auditor'})
        _stats(api, as_='member', status=403)
        _stats(api, as_='admin', status=403)
        response = api.get('/stats', as_=None, headers={
            'X-Project-Id': PROJECT_A, 'X-User-Id': 'aud',
            'X-Roles': 'auditor'}, status=200)
        assert response.json == A_STATS

    def test_policy_is_checked_before_the_type(self, api, set_policy):
        set_policy({'stats:get_all': '!'})
        _stats(api, '?type=bogus', status=403)


class TestVersionsAndMalformed:

    @pytest.mark.parametrize('version', [None, '1.1', '1.3', '1.4',
                                         '1.14'])
    def test_not_gated(self, api, clusters, version):
        assert _stats(api, version=version).json == A_STATS

    def test_unknown_query_parameter(self, api):
        error = error_of(_stats(api, '?projectid=x', status=400))
        assert 'projectid' in error['detail']

    @pytest.mark.parametrize('method', ['post', 'patch', 'delete'])
    def test_read_only(self, api, method):
        assert getattr(api, method)('/stats').status_int == 405
