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

"""The conductor's certificate endpoint (handlers/ca_conductor.py): the
RPC calls behind /v1/certificates, with the real cluster lock."""

import base64

import pytest

from magnum import objects
from magnum.common import certificates
from magnum.common import exception
from magnum.conductor.handlers import ca_conductor
from magnum.tests import fake_driver
from magnum.tests.unit.common import test_x509
from magnum.tests.unit.common.test_x509 import assert_verifies
from magnum.tests.unit.common.test_x509 import magnumclient_csr
from magnum.tests.unit.conductor.conftest import held_lock
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.conductor.conftest import take_lock
from magnum.tests.unit.db import utils as db_utils

openssl = test_x509.openssl

HOST = 'conductor-1'
REF_FIELDS = certificates.REF_FIELDS


@pytest.fixture(autouse=True)
def pki_config(magnum_config):
    magnum_config.config(group='certificates',
                         encryption_key=base64.b64encode(b'c' * 32).decode())
    magnum_config.config(group='x509', key_type='ecdsa')


@pytest.fixture
def handler(dbapi, fake_drivers, notifier):
    # An accepted rotation is carried out at once, before the call
    # returns (in a conductor: in a thread, after the answer).
    return ca_conductor.CertificateHandler(HOST,
                                           background=lambda work: work())


@pytest.fixture
def cluster(dbapi, template):
    cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE',
                           name='k8s')
    certificates.generate_certificates_to_cluster(None, cluster)
    cluster.save()
    return cluster


def refs(cluster):
    return {field: getattr(cluster, field) for field in REF_FIELDS}


def rows(dbapi):
    return {row.uuid for row in dbapi.get_x509keypair_list(None)}


def ca_pem(cluster, ca_cert_type=None):
    return certificates.get_ca_certificate(None, cluster, ca_cert_type)


class TestSign:

    def test_signs_with_the_chosen_ca(self, handler, cluster, context,
                                      openssl):
        request = objects.Certificate(context=context,
                                      cluster_uuid=cluster.uuid,
                                      csr=magnumclient_csr(),
                                      ca_cert_type='etcd')
        answer = handler.sign_certificate(context, cluster, request)
        assert answer.cluster_uuid == cluster.uuid
        assert answer.pem.startswith('-----BEGIN CERTIFICATE-----')
        assert_verifies(openssl.verify(ca_pem(cluster, 'etcd'), answer.pem))

    def test_main_ca_when_no_type_is_given(self, handler, cluster, context,
                                           openssl):
        request = objects.Certificate(cluster_uuid=cluster.uuid,
                                      csr=magnumclient_csr())
        answer = handler.sign_certificate(context, cluster, request)
        assert_verifies(openssl.verify(ca_pem(cluster), answer.pem,
                                       '-purpose', 'sslclient'))

    def test_the_stored_cluster_counts_not_the_callers_copy(
            self, handler, cluster, context, openssl):
        stale = objects.Cluster(uuid=cluster.uuid)
        request = objects.Certificate(csr=magnumclient_csr())
        answer = handler.sign_certificate(context, stale, request)
        assert_verifies(openssl.verify(ca_pem(cluster), answer.pem))

    def test_refused_csr_is_a_400(self, handler, cluster, context):
        request = objects.Certificate(
            csr='-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n'
                '-----END CERTIFICATE REQUEST-----')
        with pytest.raises(exception.InvalidCsr) as error:
            handler.sign_certificate(context, cluster, request)
        assert error.value.code == 400


class TestRotateAnswersWhenAccepted:
    """The call returns once the rotation is accepted; the work goes on
    in the conductor, under the cluster's lock (a real thread here)."""

    def test_the_answer_comes_before_the_driver_finishes(
            self, dbapi, fake_drivers, notifier, cluster, context,
            monkeypatch):
        import threading
        release = threading.Event()
        started = threading.Event()

        def rotate(driver, ctx, target):
            started.set()
            assert release.wait(10)

        monkeypatch.setattr(fake_driver.FakeDriver, 'rotate_ca_certificate',
                            rotate, raising=False)
        handler = ca_conductor.CertificateHandler(HOST)
        old = refs(cluster)
        assert handler.rotate_ca_certificate(context, cluster) is None
        assert started.wait(10)
        # Accepted: recorded, locked, not finished.
        stored = reload(cluster)
        assert stored.status == 'UPDATE_IN_PROGRESS'
        assert refs(stored) == old
        assert held_lock(dbapi, cluster.uuid).operation == 'rotate_ca'
        with pytest.raises(exception.NotSupported):
            handler.rotate_ca_certificate(context, cluster)  # not stable
        release.set()
        handler.wait(10)
        assert refs(reload(cluster)) != old
        assert held_lock(dbapi, cluster.uuid) is None


class TestReadersAndARotation:
    """A reader that loaded the cluster before a CA rotation committed
    (which deletes the old certificates) reads the new ones."""

    @staticmethod
    def rotate_before_the_first_read(monkeypatch, function):
        real = getattr(certificates, function)
        calls = []

        def racing(context, cluster, *args):
            if not calls:
                stored = objects.Cluster.get_by_uuid(context, cluster.uuid)
                certificates.commit_ca_rotation(
                    context, stored,
                    certificates.prepare_ca_rotation(context, stored))
            calls.append(getattr(cluster, 'ca_cert_ref'))
            return real(context, cluster, *args)

        monkeypatch.setattr(certificates, function, racing)
        return calls

    def test_sign_right_after_a_rotation_signs_with_the_new_ca(
            self, handler, cluster, context, monkeypatch, openssl):
        old = refs(cluster)
        calls = self.rotate_before_the_first_read(monkeypatch,
                                                  'sign_certificate')
        request = objects.Certificate(csr=magnumclient_csr())
        answer = handler.sign_certificate(context, cluster, request)
        new = reload(cluster)
        assert new.ca_cert_ref != old['ca_cert_ref']
        assert calls == [old['ca_cert_ref'], new.ca_cert_ref]
        assert_verifies(openssl.verify(ca_pem(new), answer.pem))

    def test_get_right_after_a_rotation_answers_the_new_ca(
            self, handler, cluster, context, monkeypatch):
        self.rotate_before_the_first_read(monkeypatch, 'get_ca_certificate')
        answer = handler.get_ca_certificate(context, cluster)
        assert answer.pem == ca_pem(reload(cluster))

    def test_a_cluster_being_deleted_is_not_found(self, handler, dbapi,
                                                  cluster, context):
        certificates.delete_certificates(context, reload(cluster))
        dbapi.update_cluster(cluster.uuid,
                             {'status': 'DELETE_IN_PROGRESS'})
        request = objects.Certificate(csr=magnumclient_csr())
        with pytest.raises(exception.ClusterNotFound) as error:
            handler.sign_certificate(context, cluster, request)
        assert error.value.code == 404

    def test_a_certificate_lost_for_good_is_a_409_without_its_ref(
            self, handler, dbapi, cluster, context):
        ref = cluster.ca_cert_ref
        dbapi.destroy_x509keypair(ref)
        with pytest.raises(exception.CertificateNotAvailable) as error:
            handler.get_ca_certificate(context, cluster)
        assert error.value.code == 409
        assert ref not in str(error.value)


class TestGetCA:

    @pytest.mark.parametrize('ca_cert_type', [None, 'etcd', 'front-proxy'])
    def test_answers_a_certificate(self, handler, cluster, context,
                                   ca_cert_type):
        answer = handler.get_ca_certificate(context, cluster, ca_cert_type)
        assert isinstance(answer, objects.Certificate)
        assert answer.cluster_uuid == cluster.uuid
        assert answer.project_id == cluster.project_id
        assert answer.ca_cert_type == ca_cert_type
        assert answer.pem == ca_pem(cluster, ca_cert_type)
        assert 'PRIVATE KEY' not in answer.pem

    def test_cluster_without_certificates(self, handler, dbapi, template,
                                          context):
        cluster = make_cluster(dbapi, template)
        with pytest.raises(certificates.CertificateNotAvailable):
            handler.get_ca_certificate(context, cluster)

    def test_deleted_cluster(self, handler, dbapi, cluster, context):
        dbapi.destroy_cluster(cluster.uuid)
        with pytest.raises(exception.ClusterNotFound):
            handler.get_ca_certificate(context, cluster)


class TestRotate:

    def test_new_certificates_reach_the_driver_then_are_kept(
            self, handler, dbapi, cluster, context, notifier, monkeypatch,
            openssl):
        old = refs(cluster)
        old_ca = ca_pem(cluster)
        seen = {}

        def rotate(driver, ctx, target):
            new_set = certificates.get_pending_rotation(target)
            seen['new_set'] = new_set
            seen['stored_ca'] = ca_pem(target)
            seen['status'] = reload(target).status
            seen['lock'] = dbapi.get_cluster_lock(target.uuid)

        monkeypatch.setattr(fake_driver.FakeDriver, 'rotate_ca_certificate',
                            rotate, raising=False)
        handler.rotate_ca_certificate(context, cluster)

        new_set = seen['new_set']
        assert new_set is not None
        assert seen['stored_ca'] == old_ca  # not replaced before the driver
        assert seen['status'] == 'UPDATE_IN_PROGRESS'
        assert seen['lock'].holder == HOST
        assert seen['lock'].operation == 'rotate_ca'
        stored = reload(cluster)
        assert stored.status == 'UPDATE_IN_PROGRESS'
        assert set(refs(stored).values()).isdisjoint(old.values())
        assert rows(dbapi) == set(refs(stored).values())
        assert ca_pem(stored) == new_set.ca.certificate
        assert ca_pem(stored, 'etcd') == new_set.etcd_ca.certificate
        magnum_pem, _ = certificates.get_cluster_magnum_cert(None, stored)
        assert_verifies(openssl.verify(new_set.ca.certificate, magnum_pem))
        assert held_lock(dbapi, cluster.uuid) is None
        assert certificates.get_pending_rotation(cluster) is None
        assert notifier.events() == ['magnum.cluster.update.start']

    def test_driver_without_rotation_is_refused_with_nothing_changed(
            self, handler, dbapi, cluster, context, notifier):
        # The fake driver has no CA rotation: refused before the status
        # changes, so the cluster is not left UPDATE_FAILED.
        dbapi.update_cluster(cluster.uuid, {'status_reason': 'all good'})
        old = refs(cluster)
        with pytest.raises(exception.NotSupported) as error:
            handler.rotate_ca_certificate(context, cluster)
        assert error.value.code == 400
        assert str(error.value) == ('CA certificate rotation by the fake '
                                    'driver is not supported.')
        stored = reload(cluster)
        assert (stored.status, stored.status_reason) == ('CREATE_COMPLETE',
                                                         'all good')
        assert refs(stored) == old
        assert rows(dbapi) == set(old.values())  # nothing new persisted
        assert notifier.events() == []
        assert held_lock(dbapi, cluster.uuid) is None

    def test_driver_refusing_this_cluster_after_the_answer_fails_it(
            self, handler, dbapi, cluster, context, notifier, monkeypatch):
        # A driver with CA rotation may still refuse one cluster, once the
        # caller has had its answer: the status says so.
        def rotate(driver, ctx, target):
            raise exception.NotSupported(operation='Rotation of this COE')

        monkeypatch.setattr(fake_driver.FakeDriver, 'rotate_ca_certificate',
                            rotate, raising=False)
        old = refs(cluster)
        handler.rotate_ca_certificate(context, cluster)
        stored = reload(cluster)
        assert stored.status == 'UPDATE_FAILED'
        assert 'Rotation of this COE is not supported' in \
            stored.status_reason
        assert refs(stored) == old
        assert rows(dbapi) == set(old.values())
        assert notifier.events() == ['magnum.cluster.update.start',
                                     'magnum.cluster.update.error']

    def test_failure_after_a_delete_was_asked_for_keeps_the_delete(
            self, handler, dbapi, cluster, context, monkeypatch):
        def rotate(driver, ctx, target):
            # The API marks the cluster for deletion while this runs.
            dbapi.update_cluster(target.uuid,
                                 {'status': 'DELETE_IN_PROGRESS'})
            raise RuntimeError('node unreachable')

        monkeypatch.setattr(fake_driver.FakeDriver, 'rotate_ca_certificate',
                            rotate, raising=False)
        handler.rotate_ca_certificate(context, cluster)
        assert reload(cluster).status == 'DELETE_IN_PROGRESS'

    def test_driver_error_is_the_status_reason(self, handler, dbapi,
                                               cluster, context,
                                               monkeypatch):
        def rotate(driver, ctx, target):
            raise exception.AuthorizationFailure(client='kubernetes',
                                                 message='token expired')

        monkeypatch.setattr(fake_driver.FakeDriver, 'rotate_ca_certificate',
                            rotate, raising=False)
        handler.rotate_ca_certificate(context, cluster)
        assert reload(cluster).status == 'UPDATE_FAILED'
        assert 'token expired' in reload(cluster).status_reason

    def test_storage_failure_names_the_step(self, handler, dbapi, cluster,
                                            context, monkeypatch):
        monkeypatch.setattr(fake_driver.FakeDriver, 'rotate_ca_certificate',
                            lambda driver, ctx, target: None, raising=False)

        def commit(ctx, target, new_set):
            raise RuntimeError('database went away')

        monkeypatch.setattr(certificates, 'commit_ca_rotation', commit)
        handler.rotate_ca_certificate(context, cluster)
        stored = reload(cluster)
        assert stored.status == 'UPDATE_FAILED'
        assert stored.status_reason == (
            'CA rotation failed while storing the new certificates: '
            'database went away')

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'UPDATE_FAILED', 'DELETE_FAILED'])
    def test_only_a_stable_cluster(self, handler, dbapi, template, context,
                                   status):
        cluster = make_cluster(dbapi, template, status=status)
        with pytest.raises(exception.NotSupported) as error:
            handler.rotate_ca_certificate(context, cluster)
        assert status in str(error.value)
        assert reload(cluster).status == status
        assert fake_driver.FakeDriver.calls == []

    def test_not_on_a_non_tls_cluster(self, handler, dbapi, context):
        template = objects.ClusterTemplate.get_by_uuid(
            context, db_utils.create_test_cluster_template(
                dbapi, coe='kubernetes', server_type='vm',
                cluster_distro='fedora-coreos', tls_disabled=True).uuid)
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        with pytest.raises(exception.NotSupported) as error:
            handler.rotate_ca_certificate(context, cluster)
        assert 'non-TLS' in str(error.value)

    def test_busy_cluster(self, handler, dbapi, cluster, context):
        old = refs(cluster)
        take_lock(dbapi, cluster.uuid, 'conductor-2', 'update')
        with pytest.raises(exception.OperationInProgress) as error:
            handler.rotate_ca_certificate(context, cluster)
        assert error.value.code == 400
        stored = reload(cluster)
        assert stored.status == 'CREATE_COMPLETE'
        assert refs(stored) == old
        assert held_lock(dbapi, cluster.uuid).holder == 'conductor-2'
