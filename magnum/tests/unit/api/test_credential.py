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

"""PATCH /v1/credentials/{cluster_ident} (api-ref/source/credentials.inc):
the API side."""

import pytest
import webtest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import policy
from magnum.objects import fields
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

VERSION = '1.12'


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, project_id=PROJECT_A, user_id='user-a', coe='kubernetes')


@pytest.fixture
def cluster(dbapi, template):
    return db_utils.create_test_cluster(
        dbapi, project_id=PROJECT_A, user_id='user-a', name='k8s',
        cluster_template_id=template['uuid'], status='CREATE_COMPLETE')


@pytest.fixture
def contexts(rpc):
    """The contexts the conductor was called with."""
    seen = []
    rpc.results['credential_rotate'] = lambda context, cluster: \
        seen.append(context)
    return seen


@pytest.fixture
def policy_file(magnum_config, tmp_path):
    def write(rules):
        path = tmp_path / 'policy.yaml'
        path.write_text(''.join('"%s": "%s"\n' % item
                                for item in rules.items()))
        magnum_config.config(group='oslo_policy', policy_file=str(path))
        policy.reset()
    yield write
    policy.reset()


def _rotate(api, ident, status=202, as_='member', version=VERSION,
            **kwargs):
    kwargs.setdefault('headers', {})
    kwargs['headers'].setdefault('Content-Type', 'application/json')
    return api.patch('/credentials/%s' % ident, as_=as_, version=version,
                     status=status, **kwargs)


class TestRotate:

    def test_rotate(self, api, rpc, cluster, contexts):
        response = _rotate(api, cluster['uuid'])
        assert response.json == {'uuid': cluster['uuid']}
        args, _ = rpc.last('credential_rotate')
        assert isinstance(args[0], objects.Cluster)
        assert args[0].uuid == cluster['uuid']
        assert rpc.methods() == ['credential_rotate']
        assert contexts[-1].project_id == PROJECT_A
        assert contexts[-1].all_tenants is False

    def test_by_name(self, api, rpc, cluster, contexts):
        assert _rotate(api, 'k8s').json == {'uuid': cluster['uuid']}

    def test_client_request_shape(self, api, rpc, cluster, contexts):
        """python-magnumclient: PATCH, no body, application/json."""
        request = webtest.TestRequest.blank(
            '/v1/credentials/%s' % cluster['uuid'], method='PATCH')
        request.headers.update({
            'X-Project-Id': PROJECT_A, 'X-User-Id': 'user-a',
            'X-Roles': 'member,reader',
            'Content-Type': 'application/json',
            'Accept': 'application/json',
            'Content-Length': '0',
            'User-Agent': 'python-magnumclient',
            'OpenStack-API-Version': 'container-infra latest'})
        response = api.app.do_request(request, status=202)
        assert response.json == {'uuid': cluster['uuid']}
        assert response.headers['OpenStack-API-Version'].endswith('1.16')
        assert rpc.methods() == ['credential_rotate']

    @pytest.mark.parametrize('content_type', [
        'application/json', 'application/octet-stream', None])
    def test_empty_body_with_any_content_type(self, api, cluster, contexts,
                                              content_type):
        headers = {'Content-Type': content_type} if content_type else {}
        api.patch('/credentials/k8s', headers=headers, version=VERSION,
                  status=202)

    def test_empty_json_object_is_no_body(self, api, cluster, contexts):
        api.patch('/credentials/k8s', {}, version=VERSION, status=202)

    def test_conductor_answer_is_not_returned(self, api, rpc, cluster):
        rpc.results['credential_rotate'] = {'other': 'thing'}
        assert _rotate(api, 'k8s').json == {'uuid': cluster['uuid']}

    @pytest.mark.parametrize('ident', [
        'no-such-cluster', '6d8a7f4e-8b0a-4a52-9b5e-7dc2e6fd2f4c'])
    def test_missing_cluster_is_404(self, api, rpc, cluster, ident):
        error = error_of(_rotate(api, ident, status=404))
        assert ident in error['detail']
        assert rpc.methods() == []

    def test_deleted_cluster_is_404(self, api, rpc, cluster, contexts):
        objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                    cluster['uuid']).destroy()
        _rotate(api, cluster['uuid'], status=404)
        assert rpc.methods() == []

    def test_duplicate_name_is_409(self, api, dbapi, rpc, cluster,
                                   template):
        db_utils.create_test_cluster(
            dbapi, project_id=PROJECT_A, user_id='user-a', name='k8s',
            cluster_template_id=template['uuid'])
        _rotate(api, 'k8s', status=409)
        assert rpc.methods() == []

    @pytest.mark.parametrize('status', fields.ClusterStatus.ALL)
    def test_cluster_status(self, api, dbapi, rpc, cluster, contexts,
                            status):
        dbapi.update_cluster(cluster['uuid'], {'status': status})
        allowed = fields.ClusterStatus.STATUS_STABLE + (
            'UPDATE_IN_PROGRESS', 'UPDATE_FAILED')
        if status in allowed:
            _rotate(api, 'k8s', status=202)
            assert rpc.methods() == ['credential_rotate']
        else:
            error = error_of(_rotate(api, 'k8s', status=400))
            assert status in error['detail']
            assert rpc.methods() == []


class TestMicroversion:

    @pytest.mark.parametrize('version', [None, '1.1', '1.9', '1.10',
                                         '1.11'])
    def test_below_1_12_is_406(self, api, rpc, cluster, contexts, version):
        error = error_of(_rotate(api, 'k8s', version=version, status=406))
        assert error['status'] == 406
        assert '1.12' in error['detail']
        assert (version or '1.1') in error['detail']
        assert rpc.methods() == []

    def test_406_comes_before_the_lookup(self, api, rpc, cluster):
        _rotate(api, 'no-such-cluster', version='1.11', status=406)
        _rotate(api, 'k8s', version='1.11', as_='reader', status=406)

    @pytest.mark.parametrize('version', ['1.12', '1.13', '1.14', 'latest'])
    def test_from_1_12(self, api, rpc, cluster, contexts, version):
        _rotate(api, 'k8s', version=version, status=202)
        assert rpc.methods() == ['credential_rotate']

    def test_out_of_range_version(self, api, rpc, cluster):
        error = error_of(_rotate(api, 'k8s', version='1.17', status=406))
        assert error['max_version'] == '1.16'
        assert rpc.methods() == []


class TestPolicy:
    """credential:rotate = a member of the cluster's project; no
    administrator bypass."""

    @pytest.mark.parametrize('as_', ['member', 'member2'])
    def test_members_of_the_project(self, api, rpc, cluster, contexts,
                                    as_):
        # Not creator-only.
        _rotate(api, 'k8s', as_=as_, status=202)

    @pytest.mark.parametrize('as_', ['reader', 'noroles'])
    def test_readers_and_roleless_are_403(self, api, rpc, cluster, as_):
        error = error_of(_rotate(api, 'k8s', as_=as_, status=403))
        assert 'credential:rotate' in error['detail']
        assert rpc.methods() == []

    def test_another_project_does_not_see_the_cluster(self, api, rpc,
                                                       cluster):
        _rotate(api, cluster['uuid'], as_='other', status=404)
        _rotate(api, 'k8s', as_='other', status=404)
        assert rpc.methods() == []

    def test_own_project(self, api, dbapi, rpc, template, contexts):
        theirs = db_utils.create_test_cluster(
            dbapi, project_id=PROJECT_B, user_id='user-b', name='theirs',
            cluster_template_id=template['uuid'], status='UPDATE_COMPLETE')
        _rotate(api, 'theirs', as_='other', status=202)
        assert rpc.last('credential_rotate')[0][0].uuid == theirs['uuid']
        _rotate(api, 'theirs', as_='member', status=404)

    def test_admin_of_another_project_is_403(self, api, rpc, cluster):
        error = error_of(_rotate(api, cluster['uuid'], as_='admin',
                                 status=403))
        assert 'credential:rotate' in error['detail']
        _rotate(api, 'k8s', as_='admin', status=403)
        assert rpc.methods() == []

    def test_admin_without_member_role_is_403(self, api, rpc, cluster):
        _rotate(api, cluster['uuid'], as_='admin',
                headers={'X-Roles': 'admin'}, status=403)
        assert rpc.methods() == []

    def test_admin_who_is_a_member_of_the_project(self, api, rpc, cluster,
                                                  contexts):
        _rotate(api, 'k8s', as_='admin',
                headers={'X-Project-Id': PROJECT_A}, status=202)

    def test_operator_may_grant_admins(self, api, rpc, cluster, contexts,
                                       policy_file):
        policy_file({'credential:rotate':
                     'rule:context_is_admin or rule:project_member'})
        _rotate(api, cluster['uuid'], as_='admin', status=202)
        assert contexts[-1].all_tenants is True
        _rotate(api, 'k8s', as_='other', status=404)

    def test_operator_may_deny_everyone(self, api, rpc, cluster,
                                        policy_file):
        policy_file({'credential:rotate': '!'})
        _rotate(api, 'k8s', as_='member', status=403)
        assert rpc.methods() == []


class TestMalformed:

    def test_a_body_is_refused(self, api, rpc, cluster):
        # Also what stops a body from naming another cluster.
        _rotate(api, 'k8s', params=b'{"cluster_ident": "other"}',
                status=400)
        _rotate(api, 'k8s', params=b'{"uuid": "x"}', status=400)
        _rotate(api, 'k8s', params=b'[]', status=400)
        assert rpc.methods() == []

    def test_malformed_json_is_400(self, api, rpc, cluster):
        error = error_of(_rotate(api, 'k8s', params=b'{', status=400))
        assert 'JSON' in error['detail']
        assert rpc.methods() == []

    def test_non_json_body_is_415(self, api, rpc, cluster):
        _rotate(api, 'k8s', params=b'rotate',
                headers={'Content-Type': 'text/plain'}, status=415)
        assert rpc.methods() == []

    def test_query_parameters_are_refused(self, api, rpc, cluster):
        _rotate(api, 'k8s?cluster_ident=other', status=400)
        _rotate(api, 'k8s?foo=1', status=400)
        assert rpc.methods() == []

    def test_without_a_cluster_is_4xx(self, api, rpc, cluster):
        response = _rotate(api, '', status=None)
        assert 400 <= response.status_int < 500
        assert rpc.methods() == []


class TestOtherMethods:

    @pytest.mark.parametrize('method,path', [
        ('get', '/credentials'),
        ('get', '/credentials/k8s'),
        ('post', '/credentials'),
        ('post', '/credentials/k8s'),
        ('delete', '/credentials/k8s'),
        ('put', '/credentials/k8s'),
    ])
    def test_are_405_in_the_error_format(self, api, rpc, cluster, method,
                                         path):
        response = api.request(method, path, version=VERSION)
        assert response.status_int == 405
        error = error_of(response)
        assert error['status'] == 405 and error['code'] == 'client'
        assert rpc.methods() == []


class TestConductorErrors:

    @pytest.mark.parametrize('error,status', [
        (exception.NotSupported(
            'Credential rotation is not supported by driver.'), 400),
        (exception.OperationInProgress(cluster_name='k8s'), 400),
        (exception.AuthorizationFailure(client='keystone', message='no'),
         403),
        (exception.ClusterNotFound(cluster='k8s'), 404),
        (exception.ConductorUnavailable(timeout=60), 503),
    ])
    def test_errors_keep_their_status(self, api, rpc, cluster, error,
                                      status):
        rpc.results['credential_rotate'] = error
        body = error_of(_rotate(api, 'k8s', status=status))
        assert body['status'] == status
        assert body['detail'] == str(error)
