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


"""/v1/quotas (api-ref/source/quotas.inc), with project verification
against a fake
Keystone served over HTTP on localhost."""

import http.server
import json
import socket
import threading

import pytest

from magnum import objects
from magnum.api.controllers.v1 import quota as quota_api
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import policy
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

ADMIN_TOKEN = 'admin-token'
RESCOPED_TOKEN = 'rescoped-token'
KNOWN_PROJECTS = {PROJECT_A, PROJECT_B, 'admin-project', 'new-project',
                  'p/with slash'}
FIELDS = {'id', 'project_id', 'resource', 'hard_limit', 'created_at',
          'updated_at'}


class FakeKeystone:
    """Just enough of Keystone's v3 API: projects and token scoping."""

    def __init__(self):
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):

            def log_message(self, *args):
                pass

            def _answer(self, status, body=None, headers=None):
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                from urllib import parse
                fake.requests.append(('GET', self.path, dict(self.headers),
                                      None))
                prefix = '/identity/v3/projects/'
                if not self.path.startswith(prefix):
                    return self._answer(404)
                project = parse.unquote(self.path[len(prefix):])
                if project == 'forbidden':
                    return self._answer(403, {'error': {'code': 403}})
                if project == 'broken':
                    return self._answer(500, {'error': {'code': 500}})
                if project in KNOWN_PROJECTS:
                    return self._answer(200, {'project': {'id': project}})
                return self._answer(404, {'error': {'code': 404}})

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = json.loads(self.rfile.read(length) or b'{}')
                fake.requests.append(('POST', self.path,
                                      dict(self.headers), body))
                if self.path != '/identity/v3/auth/tokens':
                    return self._answer(404)
                return self._answer(201, token_body(),
                                    {'X-Subject-Token': RESCOPED_TOKEN})

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.url = 'http://127.0.0.1:%d/identity' % self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def project_lookups(self):
        return [(path, headers.get('X-Auth-Token'))
                for method, path, headers, _ in self.requests
                if method == 'GET']

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def token_body():
    return {'token': {
        'methods': ['token'], 'expires_at': '2099-01-01T00:00:00.000000Z',
        'issued_at': '2026-01-01T00:00:00.000000Z',
        'user': {'id': 'admin-user', 'name': 'admin',
                 'domain': {'id': 'default', 'name': 'Default'}},
        'project': {'id': 'admin-project', 'name': 'admin',
                    'domain': {'id': 'default', 'name': 'Default'}},
        'roles': [{'id': 'r1', 'name': 'admin'}], 'catalog': []}}


@pytest.fixture(scope='module')
def keystone_server():
    fake = FakeKeystone()
    yield fake
    fake.stop()


@pytest.fixture
def keystone(keystone_server, magnum_config):
    """The fake Keystone, as [keystone_authtoken] www_authenticate_uri."""
    keystone_server.requests = []
    magnum_config.config(group='keystone_authtoken',
                         www_authenticate_uri=keystone_server.url + '/v3')
    return keystone_server


@pytest.fixture
def set_policy():
    def apply(rules):
        policy.reset()
        policy.init(rules=rules)
    yield apply
    policy.reset()


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _quota(dbapi, project_id=PROJECT_A, hard_limit=10, **kw):
    return db_utils.create_test_quota(dbapi, project_id=project_id,
                                      hard_limit=hard_limit, **kw)


def _stored(project_id, resource='Cluster'):
    return objects.Quota.get_quota_by_project_id_resource(
        magnum_context.get_admin_context(), project_id, resource)


def _create(api, body, as_='admin', status=201, **kwargs):
    """POST /v1/quotas with the token and the token data keystonemiddleware
    would have passed on."""
    kwargs.setdefault('headers', {'X-Auth-Token': ADMIN_TOKEN})
    kwargs.setdefault('extra_environ',
                      {'keystone.token_info': token_body()})
    return api.post('/quotas', body, as_=as_, status=status, **kwargs)


class TestCreate:

    def test_create(self, api, keystone):
        body = _create(api, {'project_id': 'new-project',
                             'resource': 'Cluster',
                             'hard_limit': 5}).json
        assert set(body) == FIELDS
        assert body['project_id'] == 'new-project'
        assert body['resource'] == 'Cluster'
        assert body['hard_limit'] == 5
        assert body['created_at'].endswith('+00:00')
        assert body['updated_at'] is None
        stored = _stored('new-project')
        assert (stored.id, stored.hard_limit) == (body['id'], 5)
        assert keystone.project_lookups() == [
            ('/identity/v3/projects/new-project', ADMIN_TOKEN)]

    def test_defaults(self, api, keystone):
        body = _create(api, {'project_id': PROJECT_B}).json
        assert (body['resource'], body['hard_limit']) == ('Cluster', 1)
        assert _stored(PROJECT_B).hard_limit == 1

    def test_explicit_nulls_take_defaults(self, api, keystone):
        body = _create(api, {'project_id': PROJECT_B, 'resource': None,
                             'hard_limit': None}).json
        assert (body['resource'], body['hard_limit']) == ('Cluster', 1)

    def test_zero_and_digit_strings(self, api, keystone):
        assert _create(api, {'project_id': PROJECT_A,
                             'hard_limit': 0}).json['hard_limit'] == 0
        assert _create(api, {'project_id': PROJECT_B,
                             'hard_limit': '7'}).json['hard_limit'] == 7

    def test_duplicate_is_409(self, api, dbapi, keystone):
        _quota(dbapi, PROJECT_B, 3)
        error = error_of(_create(api, {'project_id': PROJECT_B},
                                 status=409))
        assert PROJECT_B in error['detail']
        assert _stored(PROJECT_B).hard_limit == 3

    @pytest.mark.parametrize('body', [
        {}, {'project_id': None}, {'project_id': ''},
        {'project_id': 'x' * 256},
        {'project_id': PROJECT_A, 'resource': 'Cores'},
        {'project_id': PROJECT_A, 'resource': 'cluster'},
        {'project_id': PROJECT_A, 'hard_limit': -1},
        {'project_id': PROJECT_A, 'hard_limit': 1.5},
        {'project_id': PROJECT_A, 'hard_limit': True},
        {'project_id': PROJECT_A, 'hard_limit': 'many'},
        {'project_id': PROJECT_A, 'hard_limit': 2 ** 31},
        {'project_id': PROJECT_A, 'hard_limit': [1]},
        {'project_id': PROJECT_A, 'id': 4},
        {'project_id': PROJECT_A, 'created_at': '2026-01-01T00:00:00'},
        {'project_id': PROJECT_A, 'colour': 'blue'},
        {'project_id': 5},
        [{'project_id': PROJECT_A}], 'project-a', 3])
    def test_invalid_body_is_400(self, api, keystone, body):
        error = error_of(_create(api, body, status=400))
        assert error['status'] == 400
        assert error['code'] == 'client'
        assert objects.Quota.list(magnum_context.get_admin_context()) == []

    def test_malformed_json(self, api, keystone):
        response = api.app.post(
            '/v1/quotas', '{"project_id": ', expect_errors=True,
            headers={'X-Roles': 'admin', 'X-Project-Id': 'admin-project',
                     'X-User-Id': 'admin-user',
                     'Content-Type': 'application/json'})
        assert response.status_int == 400
        assert 'JSON' in error_of(response)['detail']

    def test_wrong_content_type(self, api, keystone):
        response = api.app.post(
            '/v1/quotas', '<quota/>', expect_errors=True,
            headers={'X-Roles': 'admin', 'X-Project-Id': 'admin-project',
                     'X-User-Id': 'admin-user',
                     'Content-Type': 'text/csv'})
        assert response.status_int == 415

    def test_no_body(self, api, keystone):
        response = api.post('/quotas', as_='admin', status=400)
        assert 'quota' in error_of(response)['detail']

    @pytest.mark.parametrize('caller', ['member', 'reader', 'other',
                                        'noroles'])
    def test_only_admins(self, api, keystone, caller):
        error = error_of(_create(api, {'project_id': PROJECT_A},
                                 as_=caller, status=403))
        assert error['detail'] == \
            "Policy doesn't allow quota:create to be performed."
        # Policy comes first: Keystone was not asked.
        assert keystone.project_lookups() == []

    def test_policy_override(self, api, keystone, set_policy):
        set_policy({'quota:create': 'role:member'})
        _create(api, {'project_id': PROJECT_A}, as_='member')
        _create(api, {'project_id': PROJECT_B}, as_='noroles', status=403)

    @pytest.mark.parametrize('version', [None, '1.1', '1.5', '1.6',
                                         'latest'])
    def test_not_gated(self, api, keystone, version):
        _create(api, {'project_id': PROJECT_A}, version=version)


class TestProjectVerification:

    def test_unknown_project_is_404(self, api, keystone):
        error = error_of(_create(api, {'project_id': 'ghost'}, status=404))
        assert error['detail'] == 'Project ghost could not be found.'
        assert objects.Quota.list(magnum_context.get_admin_context()) == []

    def test_project_id_is_quoted_in_the_url(self, api, keystone):
        _create(api, {'project_id': 'p/with slash'})
        assert keystone.project_lookups() == [
            ('/identity/v3/projects/p%2Fwith%20slash', ADMIN_TOKEN)]

    def test_keystone_refusal_is_403(self, api, keystone):
        _create(api, {'project_id': 'forbidden'}, status=403)

    def test_keystone_failure_is_503(self, api, keystone):
        error = error_of(_create(api, {'project_id': 'broken'},
                                 status=503))
        assert 'Keystone' in error['detail']

    def test_unreachable_keystone_is_503(self, api, magnum_config):
        magnum_config.config(
            group='keystone_authtoken',
            www_authenticate_uri='http://127.0.0.1:%d/v3' % _closed_port())
        error = error_of(_create(api, {'project_id': PROJECT_A},
                                 status=503))
        assert error['title'].startswith('Keystone is unavailable')
        assert objects.Quota.list(magnum_context.get_admin_context()) == []

    def test_unconfigured_keystone_is_503(self, api):
        error = error_of(_create(api, {'project_id': PROJECT_A},
                                 status=503))
        assert 'www_authenticate_uri' in error['detail']

    @pytest.mark.parametrize('suffix', ['', '/', '/v3', '/v3/', '/v2.0'])
    def test_any_form_of_the_identity_url(self, api, keystone,
                                          magnum_config, suffix):
        magnum_config.config(group='keystone_authtoken',
                             www_authenticate_uri=keystone.url + suffix)
        _create(api, {'project_id': PROJECT_A})
        assert keystone.project_lookups()[0][0] == \
            '/identity/v3/projects/%s' % PROJECT_A

    def test_validated_token_data_is_reused(self, api, keystone):
        _create(api, {'project_id': PROJECT_A})
        # No token request: the caller's token goes straight to Keystone.
        assert [r[0] for r in keystone.requests] == ['GET']
        assert keystone.project_lookups()[0][1] == ADMIN_TOKEN

    def test_without_token_data_the_token_is_scoped_again(self, api,
                                                          keystone):
        _create(api, {'project_id': PROJECT_A}, extra_environ={})
        # The caller's token is scoped again to its project, and the
        # lookup made with the new token.
        assert [r[:2] for r in keystone.requests] == [
            ('POST', '/identity/v3/auth/tokens'),
            ('GET', '/identity/v3/projects/%s' % PROJECT_A)]
        auth = keystone.requests[0][3]['auth']
        assert auth['identity']['token']['id'] == ADMIN_TOKEN
        assert auth['scope'] == {'project': {'id': 'admin-project'}}
        assert keystone.project_lookups()[0][1] == RESCOPED_TOKEN

    def test_noauth_skips_verification(self, api, keystone, magnum_config):
        magnum_config.config(auth_strategy='noauth')
        body = _create(api, {'project_id': 'ghost'}).json
        assert body['project_id'] == 'ghost'
        assert keystone.requests == []

    def test_verify_project_directly(self, keystone):
        context = magnum_context.RequestContext(
            auth_token=ADMIN_TOKEN, auth_url=keystone.url,
            project_id='admin-project', auth_token_info=token_body())
        quota_api._verify_project(context, PROJECT_A)
        with pytest.raises(exception.ProjectNotFound):
            quota_api._verify_project(context, 'ghost')
        with pytest.raises(exception.ServiceUnavailable):
            quota_api._verify_project(context, 'broken')

    def test_verify_project_is_a_no_op_under_noauth(self, magnum_config):
        magnum_config.config(auth_strategy='noauth')
        context = magnum_context.RequestContext(project_id='p')
        quota_api._verify_project(context, 'anything')


class TestList:

    def test_admin_sees_own_project_without_all_tenants(self, api, dbapi):
        _quota(dbapi, PROJECT_A)
        own = _quota(dbapi, 'admin-project')
        body = api.get('/quotas', as_='admin', status=200).json
        assert [q['id'] for q in body['quotas']] == [own.id]
        assert set(body['quotas'][0]) == FIELDS
        assert 'next' not in body

    @pytest.mark.parametrize('value', ['true', 'True', '1', 'yes', 'on'])
    def test_admin_all_tenants(self, api, dbapi, value):
        ids = [_quota(dbapi, p).id for p in (PROJECT_A, PROJECT_B,
                                              'admin-project')]
        body = api.get('/quotas?all_tenants=%s' % value, as_='admin',
                       status=200).json
        assert [q['id'] for q in body['quotas']] == ids

    @pytest.mark.parametrize('value', ['false', '0', 'no'])
    def test_all_tenants_false(self, api, dbapi, value):
        _quota(dbapi, PROJECT_A)
        body = api.get('/quotas?all_tenants=%s' % value, as_='admin',
                       status=200).json
        assert body['quotas'] == []

    def test_non_admin_allowed_by_policy_sees_own_project_only(
            self, api, dbapi, set_policy):
        set_policy({'quota:get_all': 'role:reader'})
        mine = _quota(dbapi, PROJECT_A)
        _quota(dbapi, PROJECT_B)
        for query in ('', '?all_tenants=true'):
            body = api.get('/quotas' + query, as_='reader',
                           status=200).json
            assert [q['id'] for q in body['quotas']] == [mine.id]

    @pytest.mark.parametrize('caller', ['member', 'reader', 'other',
                                        'noroles'])
    def test_only_admins_by_default(self, api, caller):
        error = error_of(api.get('/quotas', as_=caller, status=403))
        assert error['detail'] == \
            "Policy doesn't allow quota:get_all to be performed."

    def test_policy_can_close_it(self, api, set_policy):
        set_policy({'quota:get_all': '!'})
        api.get('/quotas', as_='admin', status=403)

    def test_paging_with_next_links(self, api, dbapi):
        ids = [_quota(dbapi, 'p%d' % n).id for n in range(5)]
        body = api.get('/quotas?limit=2&all_tenants=true', as_='admin',
                       status=200).json
        assert [q['id'] for q in body['quotas']] == ids[:2]
        assert body['next'] == (
            'http://localhost/v1/quotas?sort_key=id&sort_dir=asc&limit=2'
            '&marker=%d&all_tenants=True' % ids[1])
        seen = [q['id'] for q in body['quotas']]
        while 'next' in body:
            path = body['next'].replace('http://localhost', '')
            body = api.get(path, as_='admin', status=200).json
            seen += [q['id'] for q in body['quotas']]
        assert seen == ids

    def test_last_full_page_has_next_then_empty(self, api, dbapi):
        ids = [_quota(dbapi, 'p%d' % n).id for n in range(2)]
        body = api.get('/quotas?limit=2&all_tenants=1', as_='admin',
                       status=200).json
        assert 'next' in body
        body = api.get('/quotas?limit=2&all_tenants=1&marker=%d' % ids[1],
                       as_='admin', status=200).json
        assert body == {'quotas': []}

    def test_limit_is_capped_by_max_limit(self, api, dbapi, magnum_config):
        magnum_config.config(group='api', max_limit=2)
        for n in range(3):
            _quota(dbapi, 'p%d' % n)
        body = api.get('/quotas?limit=50&all_tenants=1', as_='admin',
                       status=200).json
        assert len(body['quotas']) == 2
        assert '&limit=2&' in body['next']

    def test_sorting(self, api, dbapi):
        _quota(dbapi, 'p1', 5)
        _quota(dbapi, 'p2', 1)
        _quota(dbapi, 'p3', 9)
        body = api.get('/quotas?all_tenants=1&sort_key=hard_limit'
                       '&sort_dir=desc&limit=2', as_='admin',
                       status=200).json
        assert [q['hard_limit'] for q in body['quotas']] == [9, 5]
        assert body['next'].startswith(
            'http://localhost/v1/quotas?sort_key=hard_limit&sort_dir=desc')
        path = body['next'].replace('http://localhost', '')
        body = api.get(path, as_='admin', status=200).json
        assert [q['hard_limit'] for q in body['quotas']] == [1]

    @pytest.mark.parametrize('query,status', [
        ('limit=0', 400), ('limit=-1', 400), ('limit=x', 400),
        ('marker=abc', 400), ('marker=999', 404), ('sort_key=colour', 400),
        ('sort_dir=up', 400), ('all_tenants=maybe', 400),
        ('detail=1', 400)])
    def test_bad_query_parameters(self, api, dbapi, query, status):
        _quota(dbapi, 'admin-project')
        response = api.get('/quotas?' + query, as_='admin', status=status)
        assert error_of(response)['status'] == status

    def test_marker_of_another_project_is_404(self, api, dbapi):
        other = _quota(dbapi, PROJECT_A)
        api.get('/quotas?marker=%d' % other.id, as_='admin', status=404)


class TestGetOne:

    def test_existing(self, api, dbapi):
        row = _quota(dbapi, PROJECT_A, 7)
        body = api.get('/quotas/%s/Cluster' % PROJECT_A, as_='admin',
                       status=200).json
        assert set(body) == FIELDS
        assert (body['id'], body['hard_limit']) == (row.id, 7)

    def test_member_of_the_project(self, api, dbapi):
        _quota(dbapi, PROJECT_A, 7)
        for caller in ('member', 'reader'):
            body = api.get('/quotas/%s/Cluster' % PROJECT_A, as_=caller,
                           status=200).json
            assert body['hard_limit'] == 7

    def test_default_when_none_set(self, api, magnum_config):
        magnum_config.config(group='quotas', max_clusters_per_project=13)
        body = api.get('/quotas/%s/Cluster' % PROJECT_B, as_='admin',
                       status=200).json
        assert body == {'project_id': PROJECT_B, 'resource': 'Cluster',
                        'hard_limit': 13}

    def test_non_admin_asking_another_project_is_403(self, api, dbapi):
        _quota(dbapi, PROJECT_B)
        error = error_of(api.get('/quotas/%s/Cluster' % PROJECT_B,
                                 as_='member', status=403))
        assert 'another project' in error['detail']

    def test_no_roles_denied(self, api):
        error = error_of(api.get('/quotas/%s/Cluster' % PROJECT_A,
                                 as_='noroles', status=403))
        assert error['detail'] == \
            "Policy doesn't allow quota:get to be performed."

    def test_policy_override(self, api, set_policy):
        set_policy({'quota:get': '!'})
        api.get('/quotas/%s/Cluster' % PROJECT_A, as_='admin', status=403)

    def test_unknown_resource_is_404(self, api):
        api.get('/quotas/%s/Cores' % PROJECT_A, as_='admin', status=404)

    @pytest.mark.parametrize('path', ['/quotas/%s' % PROJECT_A,
                                      '/quotas/a/Cluster/extra'])
    def test_wrong_shapes(self, api, path):
        response = api.get(path, as_='admin')
        assert response.status_int in (400, 404)


class TestUpdate:

    def test_update(self, api, dbapi):
        row = _quota(dbapi, PROJECT_A, 3)
        body = api.patch('/quotas/%s/Cluster' % PROJECT_A,
                         {'project_id': PROJECT_A, 'resource': 'Cluster',
                          'hard_limit': 9}, as_='admin', status=202).json
        assert (body['id'], body['hard_limit']) == (row.id, 9)
        assert body['updated_at'].endswith('+00:00')
        assert _stored(PROJECT_A).hard_limit == 9

    def test_missing_hard_limit_means_1(self, api, dbapi):
        _quota(dbapi, PROJECT_A, 3)
        body = api.patch('/quotas/%s/Cluster' % PROJECT_A, {},
                         as_='admin', status=202).json
        assert body['hard_limit'] == 1
        assert _stored(PROJECT_A).hard_limit == 1

    def test_url_wins_over_body(self, api, dbapi):
        _quota(dbapi, PROJECT_A, 3)
        other = _quota(dbapi, PROJECT_B, 4)
        body = api.patch('/quotas/%s/Cluster' % PROJECT_A,
                         {'project_id': PROJECT_B, 'hard_limit': 8},
                         as_='admin', status=202).json
        assert body['project_id'] == PROJECT_A
        assert _stored(PROJECT_A).hard_limit == 8
        assert _stored(PROJECT_B).hard_limit == other.hard_limit

    def test_no_quota_is_404(self, api):
        api.patch('/quotas/%s/Cluster' % PROJECT_A, {'hard_limit': 2},
                  as_='admin', status=404)

    def test_unknown_resource_is_404(self, api, dbapi):
        _quota(dbapi, PROJECT_A)
        api.patch('/quotas/%s/Cores' % PROJECT_A, {'hard_limit': 2},
                  as_='admin', status=404)

    @pytest.mark.parametrize('body', [
        {'hard_limit': -2}, {'hard_limit': 'x'}, {'resource': 'Cores'},
        {'id': 3}, {'colour': 1},
        [{'op': 'replace', 'path': '/hard_limit', 'value': 3}]])
    def test_invalid_body_is_400(self, api, dbapi, body):
        _quota(dbapi, PROJECT_A, 3)
        api.patch('/quotas/%s/Cluster' % PROJECT_A, body, as_='admin',
                  status=400)
        assert _stored(PROJECT_A).hard_limit == 3

    def test_missing_body_is_400(self, api, dbapi):
        _quota(dbapi, PROJECT_A, 3)
        api.patch('/quotas/%s/Cluster' % PROJECT_A, as_='admin',
                  status=400)

    @pytest.mark.parametrize('caller', ['member', 'reader', 'noroles'])
    def test_only_admins(self, api, dbapi, caller):
        _quota(dbapi, PROJECT_A, 3)
        error = error_of(api.patch('/quotas/%s/Cluster' % PROJECT_A,
                                   {'hard_limit': 50}, as_=caller,
                                   status=403))
        assert error['detail'] == \
            "Policy doesn't allow quota:update to be performed."
        assert _stored(PROJECT_A).hard_limit == 3

    def test_policy_override(self, api, dbapi, set_policy):
        _quota(dbapi, PROJECT_A, 3)
        set_policy({'quota:update': 'role:member'})
        api.patch('/quotas/%s/Cluster' % PROJECT_A, {'hard_limit': 4},
                  as_='member', status=202)
        api.patch('/quotas/%s/Cluster' % PROJECT_A, {'hard_limit': 5},
                  as_='admin', headers={'X-Roles': 'admin'}, status=403)


class TestDelete:

    def test_delete(self, api, dbapi):
        _quota(dbapi, PROJECT_A)
        kept = _quota(dbapi, PROJECT_B)
        response = api.delete('/quotas/%s/Cluster' % PROJECT_A,
                              as_='admin', status=204)
        assert response.body == b''
        with pytest.raises(exception.QuotaNotFound):
            _stored(PROJECT_A)
        assert _stored(PROJECT_B).id == kept.id
        # Back to the default.
        body = api.get('/quotas/%s/Cluster' % PROJECT_A, as_='admin',
                       status=200).json
        assert body['hard_limit'] == 20

    def test_no_quota_is_404(self, api):
        api.delete('/quotas/%s/Cluster' % PROJECT_A, as_='admin',
                   status=404)

    def test_unknown_resource_is_404(self, api, dbapi):
        _quota(dbapi, PROJECT_A)
        api.delete('/quotas/%s/Cores' % PROJECT_A, as_='admin', status=404)
        assert _stored(PROJECT_A)

    @pytest.mark.parametrize('caller', ['member', 'reader', 'noroles'])
    def test_only_admins(self, api, dbapi, caller):
        _quota(dbapi, PROJECT_A)
        error = error_of(api.delete('/quotas/%s/Cluster' % PROJECT_A,
                                    as_=caller, status=403))
        assert error['detail'] == \
            "Policy doesn't allow quota:delete to be performed."
        assert _stored(PROJECT_A)

    def test_policy_override(self, api, dbapi, set_policy):
        _quota(dbapi, PROJECT_A)
        set_policy({'quota:delete': '!'})
        api.delete('/quotas/%s/Cluster' % PROJECT_A, as_='admin',
                   status=403)
        assert _stored(PROJECT_A)
