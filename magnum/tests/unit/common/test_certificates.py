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

"""A cluster's PKI as the conductor handles it (common/certificates.py;
compatibility.rst, "Certificates"): generation, reading, signing with the
real ``openssl`` as the judge, deletion, CA rotation and the
CertificatesValid status."""

import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import ExtensionOID
from cryptography.x509.oid import NameOID
import pytest

from magnum.common import cert_manager
from magnum.common import certificates
from magnum.common import conditions
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common.cert_manager import base as cert_manager_base
from magnum.common.x509 import operations
from magnum.tests.unit.common import test_x509
from magnum.tests.unit.common.test_x509 import HOSTILE
from magnum.tests.unit.common.test_x509 import assert_verifies
from magnum.tests.unit.common.test_x509 import magnumclient_csr
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.db import utils as db_utils

# Fixtures of the x509 tests: openssl, its key and the hostile CSRs.
openssl = test_x509.openssl
rsa_key_file = test_x509.rsa_key_file
hostile_csrs = test_x509.hostile_csrs
REF_FIELDS = certificates.REF_FIELDS
CA_FIELDS = ('ca_cert_ref', 'etcd_ca_cert_ref', 'front_proxy_ca_cert_ref')


@pytest.fixture(autouse=True)
def pki_config(magnum_config):
    """A configured encryption key, and ECDSA keys to keep tests quick
    (tests about RSA say so)."""
    magnum_config.config(group='certificates',
                         encryption_key=base64.b64encode(b'e' * 32).decode())
    magnum_config.config(group='x509', key_type='ecdsa')
    return magnum_config


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, coe='kubernetes', server_type='vm',
        cluster_distro='fedora-coreos', image_id='fedora-coreos',
        driver=None)


@pytest.fixture
def cluster(dbapi, template):
    """A cluster with its certificates, saved."""
    cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE',
                           name='k8s-prod')
    certificates.generate_certificates_to_cluster(None, cluster)
    cluster.save()
    return cluster


def rows(dbapi):
    return {row.uuid for row in dbapi.get_x509keypair_list(None)}


def stored_certificate(cluster, field):
    cert = cert_manager.get_backend().get_cert(getattr(cluster, field))
    return operations.load_certificate(cert.get_certificate())


def pem_of(cluster, field):
    return cert_manager.get_backend().get_cert(
        getattr(cluster, field)).get_certificate()


@pytest.fixture
def issued(monkeypatch):
    calls = []
    original = operations._issue

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(operations, '_issue', spy)
    return calls


# -- create -------------------------------------------------------------------

class TestGenerate:

    def test_three_cas_and_the_magnum_client_certificate(
            self, dbapi, template, openssl, pki_config):
        pki_config.config(group='x509', key_type='rsa')
        cluster = make_cluster(dbapi, template, name='k8s-prod')
        certificates.generate_certificates_to_cluster(None, cluster)
        assert all(getattr(cluster, field) for field in REF_FIELDS)
        assert len(set(getattr(cluster, f) for f in REF_FIELDS)) == 4
        # The caller saves.
        assert all(getattr(reload(cluster), f) is None for f in REF_FIELDS)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                             'k8s-prod')])
        identifiers = set()
        for field in CA_FIELDS:
            ca = stored_certificate(cluster, field)
            assert ca.subject == ca.issuer == name
            assert ca.extensions.get_extension_for_class(
                x509.BasicConstraints).value.ca
            assert isinstance(ca.public_key(), rsa.RSAPublicKey)
            assert ca.public_key().key_size == 2048
            identifiers.add(ca.extensions.get_extension_for_class(
                x509.SubjectKeyIdentifier).value.digest)
        assert len(identifiers) == 3
        client = stored_certificate(cluster, 'magnum_cert_ref')
        assert client.subject.rfc4514_string() == 'O=system:masters,CN=admin'
        assert list(client.extensions.get_extension_for_oid(
            ExtensionOID.EXTENDED_KEY_USAGE).value) == [
            ExtendedKeyUsageOID.CLIENT_AUTH]
        client_pem = pem_of(cluster, 'magnum_cert_ref')
        assert_verifies(openssl.verify(pem_of(cluster, 'ca_cert_ref'),
                                       client_pem, '-purpose', 'sslclient'))
        assert openssl.verify(pem_of(cluster, 'etcd_ca_cert_ref'),
                              client_pem).returncode != 0

    def test_rows_belong_to_the_cluster_project(self, dbapi, cluster):
        for row in dbapi.get_x509keypair_list(None):
            assert (row.project_id, row.user_id) == (cluster.project_id,
                                                     cluster.user_id)

    def test_ecdsa_keys_when_configured(self, cluster):
        for field in REF_FIELDS:
            assert isinstance(stored_certificate(cluster, field).public_key(),
                              ec.EllipticCurvePublicKey)

    @pytest.mark.parametrize('name', ['n' * 65, None])
    def test_uuid_names_the_ca_when_the_name_cannot(self, dbapi, template,
                                                    name):
        cluster = make_cluster(dbapi, template, name='placeholder')
        cluster.name = name
        certificates.generate_certificates_to_cluster(None, cluster)
        ca = stored_certificate(cluster, 'ca_cert_ref')
        assert ca.subject.get_attributes_for_oid(
            NameOID.COMMON_NAME)[0].value == cluster.uuid

    def test_a_repeated_create_keeps_the_certificates(self, dbapi, cluster):
        before = {field: getattr(cluster, field) for field in REF_FIELDS}
        certificates.generate_certificates_to_cluster(None, cluster)
        assert {f: getattr(cluster, f) for f in REF_FIELDS} == before
        assert rows(dbapi) == set(before.values())

    def test_only_what_is_missing_is_made(self, dbapi, cluster):
        before = {field: getattr(cluster, field) for field in REF_FIELDS}
        cluster.etcd_ca_cert_ref = None
        certificates.generate_certificates_to_cluster(None, cluster)
        assert cluster.etcd_ca_cert_ref not in (None,
                                                before['etcd_ca_cert_ref'])
        for field in ('ca_cert_ref', 'front_proxy_ca_cert_ref',
                      'magnum_cert_ref'):
            assert getattr(cluster, field) == before[field]

    def test_a_new_main_ca_brings_a_new_client_certificate(
            self, dbapi, cluster, openssl):
        old_client = cluster.magnum_cert_ref
        cluster.ca_cert_ref = None
        certificates.generate_certificates_to_cluster(None, cluster)
        assert cluster.magnum_cert_ref != old_client
        assert old_client not in rows(dbapi)
        assert_verifies(openssl.verify(pem_of(cluster, 'ca_cert_ref'),
                                       pem_of(cluster, 'magnum_cert_ref')))

    def test_failure_leaves_nothing_stored(self, dbapi, template,
                                           monkeypatch):
        manager_class = cert_manager.get_backend_class()
        original = manager_class.store_cert
        stored = []

        def store_twice(self, *args, **kwargs):
            if len(stored) == 2:
                raise RuntimeError('database went away')
            ref = original(self, *args, **kwargs)
            stored.append(ref)
            return ref

        monkeypatch.setattr(manager_class, 'store_cert', store_twice)
        cluster = make_cluster(dbapi, template)
        with pytest.raises(exception.CertificatesToClusterFailed) as error:
            certificates.generate_certificates_to_cluster(None, cluster)
        assert 'database went away' in str(error.value)
        assert cluster.uuid in str(error.value)
        assert len(stored) == 2 and rows(dbapi) == set()
        assert all(getattr(cluster, f) is None for f in REF_FIELDS)

    def test_no_encryption_key_fails_the_create_clearly(
            self, dbapi, template, pki_config):
        pki_config.config(group='certificates', encryption_key=None,
                          encryption_key_file='')
        cluster = make_cluster(dbapi, template)
        with pytest.raises(exception.CertificatesToClusterFailed) as error:
            certificates.generate_certificates_to_cluster(None, cluster)
        assert 'encryption_key' in str(error.value)
        assert rows(dbapi) == set()

    def test_with_the_file_manager(self, dbapi, template, pki_config,
                                   tmp_path, openssl):
        pki_config.config(group='certificates', cert_manager_type='local',
                          storage_path=str(tmp_path / 'certs'))
        cluster = make_cluster(dbapi, template)
        certificates.generate_certificates_to_cluster(None, cluster)
        assert len(list((tmp_path / 'certs').iterdir())) == 8
        signed = certificates.sign_certificate(None, cluster,
                                               magnumclient_csr())
        assert_verifies(openssl.verify(
            certificates.get_ca_certificate(None, cluster), signed))


# -- reading ------------------------------------------------------------------

class TestRead:

    @pytest.mark.parametrize('ca_cert_type, field', [
        (None, 'ca_cert_ref'),
        ('kubernetes', 'ca_cert_ref'),
        ('something-else', 'ca_cert_ref'),
        ('etcd', 'etcd_ca_cert_ref'),
        ('front_proxy', 'front_proxy_ca_cert_ref'),
        ('front-proxy', 'front_proxy_ca_cert_ref'),
    ])
    def test_ca_by_type(self, cluster, ca_cert_type, field):
        assert certificates.get_ca_certificate(
            None, cluster, ca_cert_type) == pem_of(cluster, field)

    def test_whoever_asks(self, cluster):
        stranger = magnum_context.make_context(
            project_id='admin-project', user_id='admin', is_admin=True,
            overwrite=False)
        assert certificates.get_ca_certificate(stranger, cluster) == \
            pem_of(cluster, 'ca_cert_ref')

    def test_missing_reference(self, cluster):
        cluster.etcd_ca_cert_ref = None
        with pytest.raises(certificates.CertificateNotAvailable) as error:
            certificates.get_ca_certificate(None, cluster, 'etcd')
        assert error.value.code == 409
        assert 'etcd CA certificate' in str(error.value)

    def test_magnum_client_certificate_and_key(self, cluster):
        cert_pem, key_pem = certificates.get_cluster_magnum_cert(None,
                                                                 cluster)
        assert operations.load_certificate(cert_pem).public_key() == \
            operations.load_private_key(key_pem).public_key()
        assert 'ENCRYPTED' not in key_pem

    def test_ca_key_pair_for_drivers(self, cluster):
        cert_pem, key_pem = certificates.get_ca_key_pair(None, cluster,
                                                         'front-proxy')
        assert cert_pem == pem_of(cluster, 'front_proxy_ca_cert_ref')
        assert operations.load_certificate(cert_pem).public_key() == \
            operations.load_private_key(key_pem).public_key()


# -- signing ------------------------------------------------------------------

class TestSign:

    @pytest.mark.parametrize('ca_cert_type, field', [
        (None, 'ca_cert_ref'),
        ('etcd', 'etcd_ca_cert_ref'),
        ('front_proxy', 'front_proxy_ca_cert_ref'),
        ('front-proxy', 'front_proxy_ca_cert_ref'),
    ])
    def test_openssl_csr_signed_by_the_chosen_ca(
            self, cluster, openssl, rsa_key_file, ca_cert_type, field):
        csr_pem = openssl.csr(rsa_key_file, '/O=system:nodes/CN=node-1',
                              ['extendedKeyUsage=clientAuth'])
        signed = certificates.sign_certificate(None, cluster, csr_pem,
                                               ca_cert_type)
        assert_verifies(openssl.verify(pem_of(cluster, field), signed,
                                       '-purpose', 'sslclient'))
        for other in set(CA_FIELDS) - {field}:
            assert openssl.verify(pem_of(cluster, other),
                                  signed).returncode != 0
        certificate = operations.load_certificate(signed)
        assert certificate.subject.rfc4514_string() == \
            'CN=node-1,O=system:nodes'

    def test_magnumclient_csr(self, cluster, openssl):
        signed = certificates.sign_certificate(None, cluster,
                                               magnumclient_csr())
        assert signed.startswith('-----BEGIN CERTIFICATE-----')
        assert signed.endswith('-----END CERTIFICATE-----')
        assert_verifies(openssl.verify(pem_of(cluster, 'ca_cert_ref'),
                                       signed, '-purpose', 'sslclient'))

    @pytest.mark.parametrize('name', HOSTILE)
    def test_hostile_csr_gets_400_and_nothing_is_signed(
            self, cluster, hostile_csrs, issued, name):
        csr_pem, error = hostile_csrs[name]
        with pytest.raises(error) as raised:
            certificates.sign_certificate(None, cluster, csr_pem)
        assert raised.value.code == 400
        assert issued == []

    def test_a_bad_csr_never_reads_the_ca_key(self, cluster, hostile_csrs,
                                              monkeypatch):
        def forbidden(*args, **kwargs):
            raise AssertionError('the CA key was read')

        monkeypatch.setattr(cert_manager_base.Cert, 'get_private_key',
                            forbidden)
        for name in ('garbage', 'bad_signature', 'huge_rsa_key'):
            with pytest.raises(exception.Invalid):
                certificates.sign_certificate(None, cluster,
                                              hostile_csrs[name][0])


class TestServerCertificates:

    def test_names_the_node_and_verifies(self, dbapi, cluster, openssl):
        before = rows(dbapi)
        cert_pem, key_pem = certificates.issue_server_certificate(
            None, cluster, 'k8s-prod-master-0',
            ['k8s-prod-master-0', 'kubernetes.default.svc'],
            ['10.0.0.5', '172.24.4.10'])
        ca_pem = pem_of(cluster, 'ca_cert_ref')
        for check in (['-verify_ip', '10.0.0.5'],
                      ['-verify_ip', '172.24.4.10'],
                      ['-verify_hostname', 'kubernetes.default.svc']):
            assert_verifies(openssl.verify(ca_pem, cert_pem, '-purpose',
                                           'sslserver', *check))
        assert operations.load_certificate(cert_pem).public_key() == \
            operations.load_private_key(key_pem).public_key()
        assert rows(dbapi) == before  # not stored

    def test_long_node_names_fit(self, cluster, openssl):
        name = 'magnum-0123abcd-' + 'n' * 70 + '-0'
        cert_pem, _ = certificates.issue_server_certificate(
            None, cluster, name, [name], [])
        certificate = operations.load_certificate(cert_pem)
        assert certificate.subject.get_attributes_for_oid(
            NameOID.COMMON_NAME)[0].value == name[:64]
        assert_verifies(openssl.verify(pem_of(cluster, 'ca_cert_ref'),
                                       cert_pem, '-verify_hostname', name))

    def test_by_the_etcd_ca(self, cluster, openssl):
        cert_pem, _ = certificates.issue_server_certificate(
            None, cluster, 'etcd-0', ['etcd-0'], ['10.0.0.7'],
            ca_cert_type='etcd')
        assert_verifies(openssl.verify(pem_of(cluster, 'etcd_ca_cert_ref'),
                                       cert_pem, '-verify_ip', '10.0.0.7'))


# -- delete -------------------------------------------------------------------

class TestDelete:

    def test_all_four_are_deleted(self, dbapi, cluster):
        certificates.delete_certificates(None, cluster)
        assert rows(dbapi) == set()
        assert all(getattr(cluster, f) is None for f in REF_FIELDS)

    def test_already_gone_is_fine(self, dbapi, cluster):
        dbapi.destroy_x509keypair(cluster.etcd_ca_cert_ref)
        certificates.delete_certificates(None, cluster)
        assert rows(dbapi) == set()
        assert all(getattr(cluster, f) is None for f in REF_FIELDS)

    def test_nothing_to_delete(self, dbapi, template):
        cluster = make_cluster(dbapi, template)
        certificates.delete_certificates(None, cluster)

    def test_other_failures_are_raised_after_deleting_the_rest(
            self, dbapi, cluster, monkeypatch):
        manager_class = cert_manager.get_backend_class()
        original = manager_class.delete_cert
        broken = cluster.etcd_ca_cert_ref

        def delete(self, ref, **kwargs):
            if ref == broken:
                raise RuntimeError('backend down')
            return original(self, ref, **kwargs)

        monkeypatch.setattr(manager_class, 'delete_cert', delete)
        with pytest.raises(RuntimeError):
            certificates.delete_certificates(None, cluster)
        assert rows(dbapi) == {broken}
        assert cluster.etcd_ca_cert_ref == broken  # still to be deleted


# -- CA rotation --------------------------------------------------------------

class TestRotation:

    def test_prepare_stores_nothing(self, dbapi, cluster):
        before = rows(dbapi)
        new_set = certificates.prepare_ca_rotation(None, cluster)
        assert rows(dbapi) == before
        assert new_set.ca.certificate != pem_of(cluster, 'ca_cert_ref')
        assert len({new_set.ca.certificate, new_set.etcd_ca.certificate,
                    new_set.front_proxy_ca.certificate,
                    new_set.magnum.certificate}) == 4
        assert new_set.ca_certificate('etcd') == new_set.etcd_ca.certificate
        text = repr(new_set)
        for issued_certificate in new_set.by_field().values():
            assert issued_certificate.private_key not in text
        assert 'PRIVATE KEY' not in text

    def test_commit_saves_the_new_and_deletes_the_old(self, dbapi, cluster,
                                                      openssl):
        old = {field: getattr(cluster, field) for field in REF_FIELDS}
        new_set = certificates.prepare_ca_rotation(None, cluster)
        certificates.commit_ca_rotation(None, cluster, new_set)
        stored = reload(cluster)
        new = {field: getattr(stored, field) for field in REF_FIELDS}
        assert set(new.values()).isdisjoint(old.values())
        assert rows(dbapi) == set(new.values())
        assert certificates.get_ca_certificate(None, stored) == \
            new_set.ca.certificate
        assert_verifies(openssl.verify(new_set.ca.certificate,
                                       pem_of(stored, 'magnum_cert_ref')))

    def test_failed_save_keeps_the_old_certificates(self, dbapi, cluster,
                                                    monkeypatch):
        old = {field: getattr(cluster, field) for field in REF_FIELDS}
        new_set = certificates.prepare_ca_rotation(None, cluster)

        def save(expected=None):
            raise RuntimeError('database went away')

        monkeypatch.setattr(cluster, 'save', save)
        with pytest.raises(RuntimeError):
            certificates.commit_ca_rotation(None, cluster, new_set)
        assert {f: getattr(cluster, f) for f in REF_FIELDS} == old
        assert rows(dbapi) == set(old.values())
        assert {f: getattr(reload(cluster), f) for f in REF_FIELDS} == old

    def test_pending_rotation_is_offered_only_meanwhile(self, cluster):
        new_set = certificates.prepare_ca_rotation(None, cluster)
        assert certificates.get_pending_rotation(cluster) is None
        with certificates.pending_rotation(cluster, new_set):
            assert certificates.get_pending_rotation(cluster) is new_set
            # Reading still gives the current certificates.
            assert certificates.get_ca_certificate(None, cluster) == \
                pem_of(cluster, 'ca_cert_ref')
        assert certificates.get_pending_rotation(cluster) is None


# -- CertificatesValid --------------------------------------------------------

def earliest_expiry(cluster):
    return min(stored_certificate(cluster, field).not_valid_after_utc
               for field in REF_FIELDS)


class TestStatus:

    def test_valid(self, cluster):
        status, reason, message = certificates.certificate_status(None,
                                                                  cluster)
        assert (status, reason) == (conditions.TRUE, 'CertificatesValid')
        assert earliest_expiry(cluster).strftime('%Y-%m-%dT%H:%M:%SZ') in \
            message

    def test_expiring_soon_names_the_date(self, cluster):
        expiry = earliest_expiry(cluster)
        status, reason, message = certificates.certificate_status(
            None, cluster, now=expiry - datetime.timedelta(days=10))
        assert (status, reason) == (conditions.FALSE, 'CertificateExpiring')
        assert expiry.strftime('%Y-%m-%dT%H:%M:%SZ') in message
        assert 'rotate' in message

    def test_warning_days_are_configurable(self, cluster, pki_config):
        pki_config.config(group='x509', expiry_warning_days=5)
        status, _, _ = certificates.certificate_status(
            None, cluster,
            now=earliest_expiry(cluster) - datetime.timedelta(days=10))
        assert status == conditions.TRUE

    def test_expired(self, cluster):
        expiry = earliest_expiry(cluster)
        status, reason, message = certificates.certificate_status(
            None, cluster, now=expiry + datetime.timedelta(seconds=1))
        assert (status, reason) == (conditions.FALSE, 'CertificateExpired')
        assert expiry.strftime('%Y-%m-%dT%H:%M:%SZ') in message

    def test_the_earliest_certificate_counts(self, dbapi, cluster,
                                             pki_config):
        pki_config.config(group='x509', term_of_validity=20)
        cluster.magnum_cert_ref = None
        certificates.generate_certificates_to_cluster(None, cluster)
        status, reason, message = certificates.certificate_status(None,
                                                                  cluster)
        assert (status, reason) == (conditions.FALSE, 'CertificateExpiring')
        assert 'Magnum client certificate' in message

    def test_missing_certificate(self, dbapi, cluster):
        dbapi.destroy_x509keypair(cluster.front_proxy_ca_cert_ref)
        status, reason, message = certificates.certificate_status(None,
                                                                  cluster)
        assert (status, reason) == (conditions.FALSE, 'CertificateMissing')
        assert 'front-proxy CA certificate' in message

    def test_no_certificates_yet(self, dbapi, template):
        cluster = make_cluster(dbapi, template)
        status, reason, _ = certificates.certificate_status(None, cluster)
        assert (status, reason) == (conditions.UNKNOWN,
                                    'CertificatesNotGenerated')

    def test_unreadable_storage(self, cluster, monkeypatch):
        manager_class = cert_manager.get_backend_class()

        def broken(self, ref, **kwargs):
            raise RuntimeError('backend down')

        monkeypatch.setattr(manager_class, 'get_cert', broken)
        status, reason, message = certificates.certificate_status(None,
                                                                  cluster)
        assert (status, reason) == (conditions.UNKNOWN,
                                    'CertificateUnreadable')
        assert 'backend down' in message

    def test_needs_no_private_key(self, cluster, pki_config):
        pki_config.config(group='certificates',
                          encryption_key=base64.b64encode(b'x' * 32).decode())
        status, _, _ = certificates.certificate_status(None, cluster)
        assert status == conditions.TRUE
