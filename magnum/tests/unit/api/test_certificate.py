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

"""/v1/certificates (api-ref/source/certificates.inc): the API side; the
conductor is the recording stand-in of the conftest."""

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
import pytest
import webtest

from magnum import objects
from magnum.api.controllers.v1 import certificate as certificate_api
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import policy
from magnum.objects import fields
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

CA_PEM = ('-----BEGIN CERTIFICATE-----\nMIIBcafake\n'
          '-----END CERTIFICATE-----')
SIGNED_PEM = ('-----BEGIN CERTIFICATE-----\nMIIBsignedfake\n'
              '-----END CERTIFICATE-----')


@pytest.fixture(scope='module')
def csr():
    """A real CSR as clients make them (RSA 2048, CN=admin,
    O=system:masters)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'admin'),
                   x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                      'system:masters')])).sign(
        key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, project_id=PROJECT_A, user_id='user-a', coe='kubernetes',
        tls_disabled=False)


@pytest.fixture
def cluster(dbapi, template):
    """A cluster created by user-a (the "member" identity) in project-a."""
    return db_utils.create_test_cluster(
        dbapi, project_id=PROJECT_A, user_id='user-a', name='k8s',
        cluster_template_id=template['uuid'], status='CREATE_COMPLETE')


@pytest.fixture
def answering(rpc):
    """The conductor answers get_ca with CA_PEM and signs with SIGNED_PEM,
    as Certificate objects, remembering the context it was called with."""
    contexts = []

    def get_ca(context, cluster, ca_cert_type=None):
        contexts.append(context)
        return objects.Certificate(cluster_uuid=cluster.uuid, pem=CA_PEM)

    def sign(context, cluster, certificate):
        contexts.append(context)
        certificate.pem = SIGNED_PEM
        return certificate

    rpc.results['get_ca_certificate'] = get_ca
    rpc.results['sign_certificate'] = sign
    rpc.results['rotate_ca_certificate'] = None
    return contexts


@pytest.fixture
def policy_file(magnum_config, tmp_path):
    """Write operator policy overrides: ``policy_file({rule: check})``."""
    def write(rules):
        path = tmp_path / 'policy.yaml'
        path.write_text(''.join('"%s": "%s"\n' % item
                                for item in rules.items()))
        magnum_config.config(group='oslo_policy', policy_file=str(path))
        policy.reset()
    yield write
    policy.reset()


def _links(uuid):
    return [{'href': 'http://localhost/v1/certificates/%s' % uuid,
             'rel': 'self'},
            {'href': 'http://localhost/certificates/%s' % uuid,
             'rel': 'bookmark'}]


def _sign(api, cluster_ident, csr, status=201, as_='member', **extra):
    body = dict({'cluster_uuid': cluster_ident, 'csr': csr}, **extra)
    return api.post('/certificates', body, as_=as_, status=status)


def _other_cluster(dbapi, template, **kw):
    values = dict(project_id=PROJECT_B, user_id='user-b', name='theirs',
                  cluster_template_id=template['uuid'],
                  status='CREATE_COMPLETE')
    values.update(kw)
    return db_utils.create_test_cluster(dbapi, **values)


# -- GET /v1/certificates/{cluster_ident} ------------------------------------

class TestGetCA:

    def test_by_uuid(self, api, rpc, cluster, answering):
        response = api.get('/certificates/%s' % cluster['uuid'], status=200)
        assert response.json == {'cluster_uuid': cluster['uuid'],
                                 'pem': CA_PEM,
                                 'links': _links(cluster['uuid'])}
        args, kwargs = rpc.last('get_ca_certificate')
        assert args[0].uuid == cluster['uuid']
        assert isinstance(args[0], objects.Cluster)
        assert args[1] is None
        assert rpc.methods() == ['get_ca_certificate']

    def test_by_name_answers_with_the_uuid(self, api, rpc, cluster,
                                           answering):
        body = api.get('/certificates/k8s', status=200).json
        assert body['cluster_uuid'] == cluster['uuid']
        assert body['links'] == _links(cluster['uuid'])

    @pytest.mark.parametrize('ca_cert_type', ['etcd', 'front_proxy',
                                              'front-proxy', 'kubernetes',
                                              'anything'])
    def test_ca_cert_type_is_passed_through(self, api, rpc, cluster,
                                            answering, ca_cert_type):
        body = api.get('/certificates/%s?ca_cert_type=%s' % (
            cluster['uuid'], ca_cert_type), status=200).json
        assert set(body) == {'cluster_uuid', 'pem', 'links'}
        assert rpc.last('get_ca_certificate')[0][1] == ca_cert_type

    def test_at_every_microversion(self, api, cluster, answering):
        for version in (None, '1.1', '1.5', '1.14', 'latest'):
            api.get('/certificates/k8s', version=version, status=200)

    def test_a_plain_string_answer_is_the_pem(self, api, rpc, cluster):
        rpc.results['get_ca_certificate'] = CA_PEM
        assert api.get('/certificates/k8s', status=200).json['pem'] == \
            CA_PEM

    def test_bookmark_link_resolves(self, api, cluster, answering):
        bookmark = api.get('/certificates/k8s',
                           status=200).json['links'][1]['href']
        path = bookmark.replace('http://localhost', '')
        assert not path.startswith('/v1')
        response = api.app.get(path, headers={
            'X-Project-Id': PROJECT_A, 'X-User-Id': 'user-a',
            'X-Roles': 'member,reader'})
        assert response.json['pem'] == CA_PEM

    @pytest.mark.parametrize('ident', [
        'no-such-cluster', '6d8a7f4e-8b0a-4a52-9b5e-7dc2e6fd2f4c'])
    def test_missing_cluster_is_404(self, api, rpc, cluster, ident):
        error = error_of(api.get('/certificates/%s' % ident, status=404))
        assert error['status'] == 404
        assert ident in error['detail']
        assert rpc.methods() == []

    def test_cluster_id_is_not_an_identifier(self, api, rpc, cluster):
        # uuid or name only; a row id is neither.
        api.get('/certificates/%s' % cluster['id'], status=404)
        assert rpc.methods() == []

    def test_deleted_cluster_is_404(self, api, rpc, cluster, answering):
        api.get('/certificates/%s' % cluster['uuid'], status=200)
        objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                    cluster['uuid']).destroy()
        api.get('/certificates/%s' % cluster['uuid'], status=404)
        api.get('/certificates/k8s', status=404)
        assert rpc.methods() == ['get_ca_certificate']

    def test_duplicate_name_is_409(self, api, dbapi, rpc, cluster,
                                   template):
        db_utils.create_test_cluster(
            dbapi, project_id=PROJECT_A, user_id='user-a', name='k8s',
            cluster_template_id=template['uuid'])
        error = error_of(api.get('/certificates/k8s', status=409))
        assert error['status'] == 409
        assert rpc.methods() == []

    def test_unknown_query_parameter_is_400(self, api, rpc, cluster):
        api.get('/certificates/k8s?foo=bar', status=400)
        assert rpc.methods() == []

    def test_list_is_not_a_method(self, api, cluster):
        error = error_of(api.get('/certificates', status=405))
        assert error['status'] == 405
        api.get('/certificates/', status=405)

    def test_delete_is_not_a_method(self, api, rpc, cluster):
        error = error_of(api.delete('/certificates/k8s', status=405))
        assert error['status'] == 405
        assert rpc.methods() == []


class TestGetCAPolicy:
    """certificate:get = admin, or a reader of the cluster's project who
    created the cluster."""

    def test_creator_member(self, api, cluster, answering):
        api.get('/certificates/k8s', as_='member', status=200)

    def test_creator_with_only_the_reader_role(self, api, cluster,
                                               answering):
        api.get('/certificates/k8s', as_='reader',
                headers={'X-User-Id': 'user-a'}, status=200)

    @pytest.mark.parametrize('as_', ['member2', 'reader'])
    def test_other_users_of_the_project_are_403(self, api, rpc, cluster,
                                                 as_):
        error = error_of(api.get('/certificates/k8s', as_=as_, status=403))
        assert error['status'] == 403
        assert 'certificate:get' in error['detail']
        assert rpc.methods() == []

    def test_creator_without_roles_is_403(self, api, rpc, cluster):
        api.get('/certificates/k8s', as_='noroles', status=403)
        assert rpc.methods() == []

    def test_another_project_does_not_see_the_cluster(self, api, rpc,
                                                       cluster):
        api.get('/certificates/k8s', as_='other', status=404)
        api.get('/certificates/%s' % cluster['uuid'], as_='other',
                status=404)
        assert rpc.methods() == []

    def test_admin_of_another_project(self, api, rpc, cluster, answering):
        body = api.get('/certificates/%s' % cluster['uuid'], as_='admin',
                       status=200).json
        assert body['cluster_uuid'] == cluster['uuid']
        assert answering[-1].all_tenants is True
        api.get('/certificates/k8s', as_='admin', status=200)

    def test_non_admin_lookups_stay_in_the_project(self, api, cluster,
                                                   answering):
        api.get('/certificates/k8s', status=200)
        assert answering[-1].all_tenants is False

    def test_operator_may_deny_everyone(self, api, rpc, cluster,
                                        policy_file):
        policy_file({'certificate:get': '!'})
        api.get('/certificates/k8s', as_='member', status=403)
        api.get('/certificates/k8s', as_='admin', status=403)
        assert rpc.methods() == []

    def test_operator_may_drop_the_creator_check(self, api, cluster,
                                                 answering, policy_file):
        policy_file({'certificate:get': 'rule:project_reader'})
        api.get('/certificates/k8s', as_='member2', status=200)
        api.get('/certificates/k8s', as_='reader', status=200)
        api.get('/certificates/k8s', as_='other', status=404)


class TestGetCAConductorErrors:

    def test_no_conductor_is_503(self, api, rpc, cluster):
        rpc.results['get_ca_certificate'] = exception.ConductorUnavailable(
            timeout=60)
        error = error_of(api.get('/certificates/k8s', status=503))
        assert error['status'] == 503
        assert 'magnum-conductor' in error['detail']

    @pytest.mark.parametrize('error,status', [
        (exception.X509KeyPairNotFound(x509keypair='ref'), 404),
        (exception.NotSupported(operation='That CA'), 400),
        (exception.AuthorizationFailure(client='barbican', message='no'),
         403),
    ])
    def test_conductor_errors_keep_their_status(self, api, rpc, cluster,
                                                error, status):
        rpc.results['get_ca_certificate'] = error
        body = error_of(api.get('/certificates/k8s', status=status))
        assert body['status'] == status
        assert body['detail'] == str(error)


# -- POST /v1/certificates ---------------------------------------------------

class TestSign:

    def test_sign(self, api, rpc, cluster, answering, csr):
        response = _sign(api, cluster['uuid'], csr)
        assert response.status_int == 201
        assert 'Location' not in response.headers
        assert response.json == {'cluster_uuid': cluster['uuid'],
                                 'csr': csr, 'pem': SIGNED_PEM,
                                 'links': _links(cluster['uuid'])}
        args, _ = rpc.last('sign_certificate')
        sent_cluster, sent = args
        assert sent_cluster.uuid == cluster['uuid']
        assert isinstance(sent, objects.Certificate)
        assert (sent.project_id, sent.user_id, sent.cluster_uuid, sent.csr,
                sent.ca_cert_type) == (PROJECT_A, 'user-a', cluster['uuid'],
                                       csr, None)
        assert rpc.methods() == ['sign_certificate']

    def test_by_name(self, api, rpc, cluster, answering, csr):
        body = _sign(api, 'k8s', csr).json
        assert body['cluster_uuid'] == cluster['uuid']
        assert rpc.last('sign_certificate')[0][1].cluster_uuid == \
            cluster['uuid']

    @pytest.mark.parametrize('ca_cert_type', ['etcd', 'front_proxy',
                                              'front-proxy', 'kubernetes'])
    def test_ca_cert_type(self, api, rpc, cluster, answering, csr,
                          ca_cert_type):
        body = _sign(api, 'k8s', csr, ca_cert_type=ca_cert_type).json
        assert body['ca_cert_type'] == ca_cert_type
        assert rpc.last('sign_certificate')[0][1].ca_cert_type == \
            ca_cert_type

    def test_null_ca_cert_type_is_absent(self, api, rpc, cluster, answering,
                                         csr):
        body = _sign(api, 'k8s', csr, ca_cert_type=None).json
        assert 'ca_cert_type' not in body
        assert rpc.last('sign_certificate')[0][1].ca_cert_type is None

    def test_new_certificate_request_header_is_accepted(self, api, rpc,
                                                        cluster, answering,
                                                        csr):
        legacy = csr.replace('CERTIFICATE REQUEST',
                             'NEW CERTIFICATE REQUEST')
        _sign(api, 'k8s', legacy)
        assert rpc.last('sign_certificate')[0][1].csr == legacy

    def test_pem_given_on_input_is_ignored(self, api, cluster, answering,
                                           csr):
        body = _sign(api, 'k8s', csr, pem='mine').json
        assert body['pem'] == SIGNED_PEM

    def test_legacy_bay_uuid(self, api, rpc, cluster, answering, csr):
        body = api.post('/certificates', {'bay_uuid': 'k8s', 'csr': csr},
                        status=201).json
        assert body['cluster_uuid'] == body['bay_uuid'] == cluster['uuid']
        _sign(api, cluster['uuid'], csr, bay_uuid=cluster['uuid'])

    def test_bay_uuid_naming_another_cluster_is_400(self, api, rpc,
                                                    cluster, csr):
        _sign(api, cluster['uuid'], csr, bay_uuid='k9s', status=400)
        assert rpc.methods() == []

    def test_at_every_microversion(self, api, cluster, answering, csr):
        for version in (None, '1.1', '1.14', 'latest'):
            api.post('/certificates', {'cluster_uuid': 'k8s', 'csr': csr},
                     version=version, status=201)

    @pytest.mark.parametrize('ident', [
        'no-such-cluster', '6d8a7f4e-8b0a-4a52-9b5e-7dc2e6fd2f4c'])
    def test_missing_cluster_is_400(self, api, rpc, cluster, csr, ident):
        error = error_of(_sign(api, ident, csr, status=400))
        assert ident in error['detail']
        assert rpc.methods() == []

    def test_deleted_cluster_is_400(self, api, rpc, cluster, csr):
        objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                    cluster['uuid']).destroy()
        _sign(api, cluster['uuid'], csr, status=400)
        assert rpc.methods() == []


class TestSignValidation:

    @pytest.mark.parametrize('body', [
        {},
        {'csr': 'CSR'},
        {'cluster_uuid': None, 'csr': 'CSR'},
        {'cluster_uuid': 'k8s'},
        {'cluster_uuid': 'k8s', 'csr': None},
        {'cluster_uuid': 'k8s', 'csr': ''},
        {'cluster_uuid': 'k8s', 'csr': 5},
        {'cluster_uuid': 'k8s', 'csr': ['CSR']},
        {'cluster_uuid': ['k8s'], 'csr': 'CSR'},
        {'cluster_uuid': '', 'csr': 'CSR'},
        {'cluster_uuid': 'k8s', 'csr': 'CSR', 'ca_cert_type': {}},
        {'cluster_uuid': 'k8s', 'csr': 'CSR', 'ca_cert_type': 'x' * 256},
        {'cluster_uuid': 'k8s', 'csr': 'CSR', 'unknown': 1},
        {'cluster_uuid': 'k8s', 'csr': 'CSR', 'links': []},
        {'cluster_uuid': 'k8s', 'csr': 'CSR',
         'created_at': '2020-01-01T00:00:00'},
    ])
    def test_bad_bodies_are_400(self, api, rpc, cluster, answering, csr,
                                body):
        body = {key: (csr if value == 'CSR' else value)
                for key, value in body.items()}
        error = error_of(api.post('/certificates', body, status=400))
        assert error['status'] == 400 and error['code'] == 'client'
        assert rpc.methods() == []

    @pytest.mark.parametrize('body', [[], 'csr', 5, True])
    def test_body_must_be_an_object(self, api, rpc, cluster, body):
        api.post('/certificates', body, status=400)
        assert rpc.methods() == []

    def test_no_body_is_400(self, api, rpc, cluster):
        api.request('post', '/certificates', params=b'',
                    headers={'Content-Type': 'application/json'},
                    status=400)
        assert rpc.methods() == []

    def test_malformed_json_is_400(self, api, rpc, cluster):
        error = error_of(api.request(
            'post', '/certificates', params=b'{"cluster_uuid": "k8s",',
            headers={'Content-Type': 'application/json'}, status=400))
        assert 'JSON' in error['detail']
        assert rpc.methods() == []

    def test_wrong_content_type_is_415(self, api, rpc, cluster, csr):
        api.request('post', '/certificates',
                    params=b'{"cluster_uuid": "k8s", "csr": "x"}',
                    headers={'Content-Type': 'text/plain'}, status=415)
        assert rpc.methods() == []

    def test_oversized_csr_is_400_without_echo(self, api, rpc, cluster,
                                               csr):
        big = csr + 'A' * (certificate_api.MAX_CSR_LENGTH + 1 - len(csr))
        response = _sign(api, 'k8s', big, status=400)
        error = error_of(response)
        assert str(certificate_api.MAX_CSR_LENGTH) in error['detail']
        assert len(response.text) < 1000
        assert rpc.methods() == []

    def test_csr_at_the_size_limit_is_accepted(self, api, rpc, cluster,
                                               answering, csr):
        padded = csr + '\n' * (certificate_api.MAX_CSR_LENGTH - len(csr))
        assert len(padded) == certificate_api.MAX_CSR_LENGTH
        _sign(api, 'k8s', padded, status=201)

    @pytest.mark.parametrize('garbage', [
        'not a csr',
        '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n',
        '-----BEGIN CERTIFICATE REQUEST-----\n<script>\n'
        '-----END CERTIFICATE REQUEST-----\n',
        '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n'
        '-----END RSA PRIVATE KEY-----\n',
    ])
    def test_what_is_not_a_pem_csr_never_reaches_the_conductor(
            self, api, rpc, cluster, garbage):
        error = error_of(_sign(api, 'k8s', garbage, status=400))
        assert error['title'].startswith('Received invalid csr')
        assert rpc.methods() == []

    def test_invalid_csr_error_does_not_echo_a_long_csr(self, api, cluster):
        error = error_of(_sign(api, 'k8s', 'Z' * 5000, status=400))
        assert len(error['detail']) < 200


class TestSignPolicy:
    """certificate:create = admin, or a member of the cluster's project
    who created the cluster."""

    def test_creator_member(self, api, cluster, answering, csr):
        _sign(api, 'k8s', csr, as_='member', status=201)

    @pytest.mark.parametrize('as_', ['member2', 'noroles'])
    def test_other_members_and_roleless_creator_are_403(
            self, api, rpc, cluster, csr, as_):
        error = error_of(_sign(api, 'k8s', csr, as_=as_, status=403))
        assert 'certificate:create' in error['detail']
        assert rpc.methods() == []

    def test_reader_creator_is_403(self, api, rpc, cluster, csr):
        api.post('/certificates', {'cluster_uuid': 'k8s', 'csr': csr},
                 as_='reader', headers={'X-User-Id': 'user-a'}, status=403)
        assert rpc.methods() == []

    def test_another_project_gets_400(self, api, rpc, cluster, csr):
        # Its cluster is invisible, so the body names no cluster.
        _sign(api, cluster['uuid'], csr, as_='other', status=400)
        assert rpc.methods() == []

    def test_admin_of_another_project(self, api, rpc, cluster, answering,
                                      csr):
        body = _sign(api, cluster['uuid'], csr, as_='admin').json
        assert body['pem'] == SIGNED_PEM
        sent = rpc.last('sign_certificate')[0][1]
        # The certificate is the caller's, not the cluster owner's.
        assert (sent.project_id, sent.user_id) == ('admin-project',
                                                   'admin-user')
        assert answering[-1].all_tenants is True

    def test_operator_may_deny_admins(self, api, rpc, cluster, csr,
                                      policy_file):
        policy_file({'certificate:create':
                     'rule:project_member and rule:is_user'})
        _sign(api, 'k8s', csr, as_='admin', status=403)
        assert rpc.methods() == []

    def test_denied_before_the_csr_is_looked_at(self, api, rpc, cluster):
        _sign(api, 'k8s', 'garbage', as_='member2', status=403)
        assert rpc.methods() == []


class TestSignConductorErrors:

    @pytest.mark.parametrize('error,status', [
        (exception.InvalidCsr(csr='the csr'), 400),
        (exception.CertificateValidationError(extension='nameConstraints'),
         400),
        (exception.X509KeyPairNotFound(x509keypair='ref'), 404),
        (exception.ConductorUnavailable(timeout=60), 503),
        (exception.ServiceUnavailable(service='barbican', reason='down'),
         503),
    ])
    def test_errors_keep_their_status(self, api, rpc, cluster, csr, error,
                                      status):
        rpc.results['sign_certificate'] = error
        body = error_of(_sign(api, 'k8s', csr, status=status))
        assert body['status'] == status
        assert body['detail'] == str(error)


# -- PATCH /v1/certificates/{cluster_ident} ----------------------------------

class TestRotateCA:

    def _rotate(self, api, ident, status=202, as_='member', **kwargs):
        kwargs.setdefault('headers', {})
        kwargs['headers'].setdefault('Content-Type',
                                     'application/octet-stream')
        return api.patch('/certificates/%s' % ident, as_=as_,
                         status=status, **kwargs)

    def test_client_request_shape(self, api, rpc, cluster, answering):
        """python-magnumclient: PATCH, no body, octet-stream, as the
        session client sends it."""
        for length in ('0', None):
            request = webtest.TestRequest.blank(
                '/v1/certificates/%s' % cluster['uuid'], method='PATCH')
            request.headers.update({
                'X-Project-Id': PROJECT_A, 'X-User-Id': 'user-a',
                'X-Roles': 'member,reader',
                'Content-Type': 'application/octet-stream',
                'User-Agent': 'python-magnumclient',
                'OpenStack-API-Version': 'container-infra latest'})
            if length is None:
                request.environ.pop('CONTENT_LENGTH', None)
            else:
                request.headers['Content-Length'] = length
            response = api.app.do_request(request, status=202)
            assert response.json == {'uuid': cluster['uuid']}
            assert response.content_type == 'application/json'
        args, _ = rpc.last('rotate_ca_certificate')
        assert args[0].uuid == cluster['uuid']
        assert rpc.methods() == ['rotate_ca_certificate'] * 2

    @pytest.mark.parametrize('content_type', [
        'application/octet-stream', 'application/json', None])
    def test_empty_body_with_any_content_type(self, api, rpc, cluster,
                                              answering, content_type):
        headers = {'Content-Type': content_type} if content_type else {}
        response = api.patch('/certificates/k8s', headers=headers,
                             status=202)
        assert response.json == {'uuid': cluster['uuid']}

    def test_empty_json_object_is_no_body(self, api, cluster, answering):
        api.patch('/certificates/k8s', {}, status=202)

    def test_at_every_microversion(self, api, cluster, answering):
        for version in (None, '1.1', '1.4', '1.5', '1.14'):
            self._rotate(api, 'k8s', version=version)

    def test_conductor_answer_is_not_returned(self, api, rpc, cluster):
        rpc.results['rotate_ca_certificate'] = {'something': 'else'}
        assert self._rotate(api, 'k8s').json == {'uuid': cluster['uuid']}

    @pytest.mark.parametrize('ident', [
        'no-such-cluster', '6d8a7f4e-8b0a-4a52-9b5e-7dc2e6fd2f4c'])
    def test_missing_cluster_is_404(self, api, rpc, cluster, ident):
        self._rotate(api, ident, status=404)
        assert rpc.methods() == []

    def test_tls_disabled_cluster_is_400(self, api, dbapi, rpc, cluster,
                                         template):
        dbapi.update_cluster_template(template['uuid'],
                                      {'tls_disabled': True})
        error = error_of(self._rotate(api, 'k8s', status=400))
        assert 'not supported on a non-TLS cluster' in error['detail']
        assert rpc.methods() == []

    @pytest.mark.parametrize('status', fields.ClusterStatus.ALL)
    def test_only_stable_clusters(self, api, dbapi, rpc, cluster, answering,
                                  status):
        dbapi.update_cluster(cluster['uuid'], {'status': status})
        if status in fields.ClusterStatus.STATUS_STABLE:
            self._rotate(api, 'k8s', status=202)
            assert rpc.methods() == ['rotate_ca_certificate']
        else:
            error = error_of(self._rotate(api, 'k8s', status=400))
            assert status in error['detail']
            assert rpc.methods() == []

    def test_a_body_is_refused(self, api, rpc, cluster):
        # Also what stops a body from naming another cluster.
        api.patch('/certificates/k8s', {'cluster_ident': 'other'},
                  status=400)
        api.patch('/certificates/k8s', [{'op': 'replace', 'path': '/x',
                                         'value': 1}], status=400)
        self._rotate(api, 'k8s', params=b'garbage', status=415)
        assert rpc.methods() == []

    def test_malformed_json_body_is_400(self, api, rpc, cluster):
        api.patch('/certificates/k8s', params=b'{',
                  headers={'Content-Type': 'application/json'}, status=400)
        assert rpc.methods() == []

    def test_query_parameters_are_refused(self, api, rpc, cluster):
        self._rotate(api, 'k8s?cluster_ident=other', status=400)
        self._rotate(api, 'k8s?foo=1', status=400)
        assert rpc.methods() == []

    def test_without_a_cluster_is_4xx(self, api, rpc, cluster):
        response = api.patch('/certificates', headers={
            'Content-Type': 'application/octet-stream'})
        assert 400 <= response.status_int < 500
        assert rpc.methods() == []


class TestRotateCAPolicy:
    """certificate:rotate_ca = admin or a member of the cluster's
    project (not creator-only)."""

    @pytest.mark.parametrize('as_', ['member', 'member2'])
    def test_members(self, api, cluster, answering, as_):
        api.patch('/certificates/k8s', as_=as_, status=202)

    @pytest.mark.parametrize('as_', ['reader', 'noroles'])
    def test_readers_and_roleless_are_403(self, api, rpc, cluster, as_):
        error = error_of(api.patch('/certificates/k8s', as_=as_,
                                   status=403))
        assert 'certificate:rotate_ca' in error['detail']
        assert rpc.methods() == []

    def test_another_project_is_404(self, api, rpc, cluster):
        api.patch('/certificates/%s' % cluster['uuid'], as_='other',
                  status=404)
        assert rpc.methods() == []

    def test_own_project_only(self, api, dbapi, rpc, cluster, template,
                              answering):
        theirs = _other_cluster(dbapi, template)
        api.patch('/certificates/%s' % theirs['uuid'], as_='member',
                  status=404)
        api.patch('/certificates/theirs', as_='other', status=202)
        assert rpc.last('rotate_ca_certificate')[0][0].uuid == \
            theirs['uuid']

    def test_admin_of_another_project(self, api, rpc, cluster, answering):
        api.patch('/certificates/%s' % cluster['uuid'], as_='admin',
                  status=202)
        assert rpc.last('rotate_ca_certificate')[0][0].uuid == \
            cluster['uuid']

    def test_operator_may_deny(self, api, rpc, cluster, policy_file):
        policy_file({'certificate:rotate_ca': '!'})
        api.patch('/certificates/k8s', as_='member', status=403)
        api.patch('/certificates/k8s', as_='admin', status=403)
        assert rpc.methods() == []


class TestRotateCAConductorErrors:

    @pytest.mark.parametrize('error,status', [
        (exception.NotSupported(operation='Rotating the CA certificate'),
         400),
        (exception.OperationInProgress(cluster_name='k8s'), 400),
        (exception.ConcurrentUpdate(resource='Cluster', id='k8s'), 409),
        (exception.ConductorUnavailable(timeout=60), 503),
    ])
    def test_errors_keep_their_status(self, api, rpc, cluster, error,
                                      status):
        rpc.results['rotate_ca_certificate'] = error
        body = error_of(api.patch('/certificates/k8s', status=status))
        assert body['status'] == status
        assert body['detail'] == str(error)
