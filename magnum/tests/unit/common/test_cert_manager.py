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

"""Certificate managers (magnum/common/cert_manager): the
loader, the database manager with its encryption at rest, and the file
manager with its file modes."""

import base64
import os
import stat
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from oslo_utils import uuidutils
import pytest
import sqlalchemy as sa

from magnum import objects
from magnum.common import cert_manager
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common.cert_manager import base
from magnum.common.cert_manager import encryption
from magnum.common.cert_manager import local_cert_manager
from magnum.common.cert_manager import x509keypair_cert_manager
from magnum.common.x509 import operations

ENCRYPTION_KEY = base64.b64encode(b'k' * 32).decode()
OTHER_KEY = base64.b64encode(b'o' * 32).decode()


@pytest.fixture(scope='module')
def pair():
    """(certificate PEM, private key PEM) to store."""
    certificate, key = operations.generate_ca_certificate(
        'store-me', key=ec.generate_private_key(ec.SECP256R1()),
        term_of_validity=30)
    return (operations.certificate_to_pem(certificate),
            operations.private_key_to_pem(key))


def same_key(pem_a, pem_b):
    return operations.load_private_key(pem_a).private_numbers() == \
        operations.load_private_key(pem_b).private_numbers()


def encrypted_with(private_key_pem, passphrase):
    return operations.load_private_key(private_key_pem).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode())).decode()


@pytest.fixture
def ctx():
    return magnum_context.make_context(project_id='project-a',
                                       user_id='user-a', overwrite=False)


@pytest.fixture
def other_ctx():
    return magnum_context.make_context(project_id='project-b',
                                       user_id='user-b', overwrite=False)


# -- the loader ---------------------------------------------------------------

class TestGetBackend:

    def test_default_is_the_database(self):
        assert isinstance(cert_manager.get_backend(),
                          x509keypair_cert_manager.X509KeyPairCertManager)

    def test_by_config(self, magnum_config):
        magnum_config.config(group='certificates', cert_manager_type='local')
        assert isinstance(cert_manager.get_backend(),
                          local_cert_manager.LocalCertManager)

    def test_by_name(self):
        assert isinstance(cert_manager.get_backend('local'),
                          local_cert_manager.LocalCertManager)
        assert isinstance(cert_manager.get_backend('x509keypair'),
                          x509keypair_cert_manager.X509KeyPairCertManager)

    def test_unknown_name_says_what_is_available(self):
        with pytest.raises(base.CertificateStorageError) as error:
            cert_manager.get_backend('barbican')
        assert "'barbican'" in str(error.value)
        assert 'local, x509keypair' in str(error.value)


# -- the Cert ----------------------------------------------------------------

def test_cert_decrypts_lazily_and_hides_the_key(pair):
    calls = []

    def key():
        calls.append(1)
        return pair[1]

    cert = base.Cert(pair[0], key, 'CHAIN')
    assert cert.get_certificate() == pair[0]
    assert cert.get_intermediates() == 'CHAIN'
    assert calls == []
    assert pair[1] not in repr(cert)
    assert cert.get_private_key() == pair[1]
    assert cert.get_decrypted_private_key() == pair[1]
    assert cert.get_private_key_passphrase() is None
    assert calls == [1]


# -- the database manager -----------------------------------------------------

@pytest.fixture
def keypair_manager(dbapi, magnum_config):
    magnum_config.config(group='certificates',
                         encryption_key=ENCRYPTION_KEY)
    return x509keypair_cert_manager.X509KeyPairCertManager()


def dump_x509keypair_table(dbapi):
    """Every row of the table as the database has it (a dump)."""
    with dbapi.get_engine().connect() as connection:
        return [dict(row._mapping) for row in connection.execute(
            sa.text('SELECT * FROM x509keypair'))]


def loads_as_private_key(value):
    if not isinstance(value, str):
        return False
    try:
        operations.load_private_key(value)
    except ValueError:
        return False
    return True


class TestX509KeyPairManager:

    def test_round_trip(self, keypair_manager, pair, ctx):
        ref = keypair_manager.store_cert(pair[0], pair[1],
                                         intermediates='CHAIN', context=ctx)
        assert uuidutils.is_uuid_like(ref)
        cert = keypair_manager.get_cert(ref, context=ctx)
        assert cert.get_certificate() == pair[0]
        assert cert.get_intermediates() == 'CHAIN'
        assert same_key(cert.get_private_key(), pair[1])

    def test_rows_belong_to_the_storing_context(self, keypair_manager, pair,
                                                ctx, other_ctx):
        ref = keypair_manager.store_cert(pair[0], pair[1], context=ctx)
        row = objects.X509KeyPair.get_by_uuid(ctx, ref)
        assert (row.project_id, row.user_id) == ('project-a', 'user-a')
        with pytest.raises(base.CertificateNotFound):
            keypair_manager.get_cert(ref, context=other_ctx)
        with pytest.raises(base.CertificateNotFound):
            keypair_manager.delete_cert(ref, context=other_ctx)
        keypair_manager.get_cert(ref)  # the conductor's own view

    def test_database_dump_holds_no_usable_private_key(
            self, keypair_manager, dbapi, pair, ctx):
        keypair_manager.store_cert(pair[0], pair[1], context=ctx)
        keypair_manager.store_cert(
            pair[0], encrypted_with(pair[1], 'sesame'),
            private_key_passphrase='sesame', context=ctx)
        rows = dump_x509keypair_table(dbapi)
        assert len(rows) == 2
        key_body = ''.join(pair[1].splitlines()[1:-1])
        for row in rows:
            assert row['private_key_passphrase'] is None
            assert row['private_key'].startswith('magnum-aes256gcm-v1:')
            for value in row.values():
                assert not loads_as_private_key(value)
                if isinstance(value, str):
                    assert 'PRIVATE KEY' not in value
                    assert key_body[:40] not in value
                    assert 'sesame' not in value

    def test_passphrase_protected_key_comes_back_decrypted(
            self, keypair_manager, pair):
        ref = keypair_manager.store_cert(
            pair[0], encrypted_with(pair[1], 'sesame'),
            private_key_passphrase='sesame')
        cert = keypair_manager.get_cert(ref)
        assert 'ENCRYPTED' not in cert.get_private_key()
        assert same_key(cert.get_private_key(), pair[1])

    def test_wrong_passphrase_or_garbage_is_refused(self, keypair_manager,
                                                    dbapi, pair):
        with pytest.raises(exception.InvalidParameterValue):
            keypair_manager.store_cert(
                pair[0], encrypted_with(pair[1], 'sesame'),
                private_key_passphrase='wrong')
        with pytest.raises(exception.InvalidParameterValue):
            keypair_manager.store_cert('not a certificate', pair[1])
        assert dump_x509keypair_table(dbapi) == []

    def test_no_key_configured_means_nothing_stored(
            self, dbapi, magnum_config, pair):
        magnum_config.config(group='certificates', encryption_key_file='')
        manager = x509keypair_cert_manager.X509KeyPairCertManager()
        with pytest.raises(x509keypair_cert_manager.EncryptionKeyError) as \
                error:
            manager.store_cert(pair[0], pair[1])
        assert 'encryption_key' in str(error.value)
        assert dump_x509keypair_table(dbapi) == []

    @pytest.mark.parametrize('value', ['short', 'a' * 44, '!' * 44])
    def test_malformed_key_is_refused(self, dbapi, magnum_config, pair,
                                      value):
        magnum_config.config(group='certificates', encryption_key=value)
        manager = x509keypair_cert_manager.X509KeyPairCertManager()
        with pytest.raises(x509keypair_cert_manager.EncryptionKeyError) as \
                error:
            manager.store_cert(pair[0], pair[1])
        assert value not in str(error.value)

    def test_url_safe_base64_key_is_the_same_key(self, dbapi, magnum_config,
                                                 pair):
        raw = bytes(range(200, 232))
        magnum_config.config(group='certificates',
                             encryption_key=base64.b64encode(raw).decode())
        manager = x509keypair_cert_manager.X509KeyPairCertManager()
        ref = manager.store_cert(pair[0], pair[1])
        magnum_config.config(
            group='certificates',
            encryption_key=base64.urlsafe_b64encode(raw).decode())
        assert same_key(manager.get_cert(ref).get_private_key(), pair[1])

    def test_wrong_key_cannot_read_keys_but_still_certificates(
            self, keypair_manager, magnum_config, pair):
        ref = keypair_manager.store_cert(pair[0], pair[1])
        magnum_config.config(group='certificates', encryption_key=OTHER_KEY)
        cert = keypair_manager.get_cert(ref)
        assert cert.get_certificate() == pair[0]
        with pytest.raises(x509keypair_cert_manager.EncryptionKeyError) as \
                error:
            cert.get_private_key()
        message = str(error.value)
        assert x509keypair_cert_manager.key_id(b'k' * 32) in message
        assert ENCRYPTION_KEY not in message and OTHER_KEY not in message

    def test_encrypted_key_moved_to_another_row_does_not_decrypt(
            self, keypair_manager, dbapi, pair):
        first = keypair_manager.store_cert(pair[0], pair[1])
        other_pair_key = operations.private_key_to_pem(
            ec.generate_private_key(ec.SECP256R1()))
        second = keypair_manager.store_cert(pair[0], other_pair_key)
        stolen = dbapi.get_x509keypair_by_uuid(None, first).private_key
        dbapi.update_x509keypair(second, {'private_key': stolen})
        with pytest.raises(base.CertificateStorageError):
            keypair_manager.get_cert(second).get_private_key()

    def test_rows_of_upstream_magnum_are_read(self, keypair_manager, dbapi,
                                              pair, ctx):
        row = dbapi.create_x509keypair({
            'certificate': pair[0],
            'private_key': encrypted_with(pair[1], 'abcdefghijkl'),
            'private_key_passphrase': 'abcdefghijkl',
            'project_id': 'project-a', 'user_id': 'user-a'})
        cert = keypair_manager.get_cert(row.uuid, context=ctx)
        assert same_key(cert.get_private_key(), pair[1])

    def test_delete(self, keypair_manager, dbapi, pair):
        ref = keypair_manager.store_cert(pair[0], pair[1])
        keypair_manager.delete_cert(ref)
        assert dump_x509keypair_table(dbapi) == []
        with pytest.raises(base.CertificateNotFound):
            keypair_manager.get_cert(ref)
        with pytest.raises(base.CertificateNotFound):
            keypair_manager.delete_cert(ref)

    def test_references_that_are_not_uuids_are_not_found(
            self, keypair_manager):
        with pytest.raises(base.CertificateNotFound) as error:
            keypair_manager.get_cert('https://barbican/v1/containers/x')
        assert error.value.code == 404


class TestEncryptionKeyFile:

    def key_file(self, tmp_path):
        return tmp_path / 'certificate-encryption.key'

    def test_created_private_on_first_use_under_state_path(
            self, dbapi, tmp_path, pair):
        path = self.key_file(tmp_path)
        assert not path.exists()
        manager = x509keypair_cert_manager.X509KeyPairCertManager()
        ref = manager.store_cert(pair[0], pair[1])
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert len(base64.b64decode(path.read_text())) == 32
        assert [p.name for p in tmp_path.iterdir()
                if p.name.startswith(path.name)] == [path.name]
        # Later uses read the same key.
        again = x509keypair_cert_manager.X509KeyPairCertManager()
        assert same_key(again.get_cert(ref).get_private_key(), pair[1])

    def test_created_private_whatever_the_umask(self, tmp_path):
        previous = os.umask(0)
        try:
            x509keypair_cert_manager.encryption_key()
        finally:
            os.umask(previous)
        assert stat.S_IMODE(os.stat(self.key_file(tmp_path)).st_mode) == \
            0o600

    def test_first_writer_wins(self, tmp_path):
        path = str(self.key_file(tmp_path))
        assert encryption._create_key_file(path) is True
        first = open(path).read()
        assert encryption._create_key_file(path) is False
        assert open(path).read() == first

    def test_concurrent_first_use_agrees_on_one_key(self, tmp_path):
        keys = []
        threads = [threading.Thread(
            target=lambda: keys.append(
                x509keypair_cert_manager.encryption_key()))
            for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 8 and len(set(keys)) == 1

    def test_world_readable_key_file_is_refused(self, tmp_path):
        path = self.key_file(tmp_path)
        path.write_text(ENCRYPTION_KEY)
        os.chmod(path, 0o644)
        with pytest.raises(x509keypair_cert_manager.EncryptionKeyError) as \
                error:
            x509keypair_cert_manager.encryption_key()
        assert 'chmod 600' in str(error.value)

    def test_configured_key_wins_over_the_file(self, tmp_path,
                                               magnum_config):
        magnum_config.config(group='certificates',
                             encryption_key=ENCRYPTION_KEY)
        assert x509keypair_cert_manager.encryption_key() == b'k' * 32
        assert not self.key_file(tmp_path).exists()

    def test_unreadable_key_file_is_explained(self, tmp_path,
                                              magnum_config):
        blocker = tmp_path / 'not-a-directory'
        blocker.write_text('')
        magnum_config.config(group='certificates',
                             encryption_key_file=str(blocker / 'key'))
        with pytest.raises(x509keypair_cert_manager.EncryptionKeyError) as \
                error:
            x509keypair_cert_manager.encryption_key()
        assert 'cannot be read' in str(error.value)

    def test_uncreatable_key_file_is_explained(self, monkeypatch):
        def denied(path):
            raise PermissionError(13, 'Permission denied', path)

        monkeypatch.setattr(encryption, '_create_key_file',
                            denied)
        with pytest.raises(x509keypair_cert_manager.EncryptionKeyError) as \
                error:
            x509keypair_cert_manager.encryption_key()
        assert 'cannot be created (Permission denied)' in str(error.value)
        assert 'encryption_key' in str(error.value)


# -- the file manager ---------------------------------------------------------

@pytest.fixture
def storage(tmp_path, magnum_config):
    path = tmp_path / 'certificates'
    magnum_config.config(group='certificates', storage_path=str(path))
    return path


@pytest.fixture
def local_manager(storage):
    return local_cert_manager.LocalCertManager()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class TestLocalManager:

    def test_round_trip(self, local_manager, pair):
        ref = local_manager.store_cert(pair[0], pair[1],
                                       intermediates='CHAIN')
        cert = local_manager.get_cert(ref)
        assert cert.get_certificate() == pair[0]
        assert cert.get_intermediates() == 'CHAIN'
        assert same_key(cert.get_private_key(), pair[1])

    def test_directory_0700_and_files_0600(self, local_manager, storage,
                                           pair):
        previous = os.umask(0)  # modes must not depend on the umask
        try:
            ref = local_manager.store_cert(pair[0], pair[1],
                                           intermediates='CHAIN')
        finally:
            os.umask(previous)
        assert mode(storage) == 0o700
        names = sorted(os.listdir(storage))
        assert names == sorted(ref + suffix
                               for suffix in ('.crt', '.key', '.int'))
        for name in names:
            assert mode(storage / name) == 0o600

    def test_files_are_private_before_a_byte_is_written(
            self, local_manager, pair, monkeypatch):
        seen = []
        original = os.fdopen

        def checking_fdopen(fd, *args, **kwargs):
            status = os.fstat(fd)
            seen.append((stat.S_IMODE(status.st_mode), status.st_size))
            return original(fd, *args, **kwargs)

        monkeypatch.setattr(local_cert_manager.os, 'fdopen', checking_fdopen)
        previous = os.umask(0)
        try:
            local_manager.store_cert(pair[0], pair[1])
        finally:
            os.umask(previous)
        writes = seen[:2]
        assert writes == [(0o600, 0), (0o600, 0)]

    def test_an_open_directory_is_closed(self, local_manager, storage,
                                         pair):
        storage.mkdir(mode=0o755)
        os.chmod(storage, 0o755)
        local_manager.store_cert(pair[0], pair[1])
        assert mode(storage) == 0o700

    def test_never_writes_through_an_existing_file_or_link(
            self, local_manager, storage, tmp_path):
        storage.mkdir(mode=0o700)
        target = tmp_path / 'victim'
        target.write_text('untouched')
        link = storage / 'planted.key'
        link.symlink_to(target)
        with pytest.raises(FileExistsError):
            local_manager._write(str(link), 'KEY')
        assert target.read_text() == 'untouched'

    def test_failed_store_leaves_nothing(self, local_manager, storage, pair,
                                         monkeypatch):
        original = local_cert_manager.LocalCertManager._write
        written = []

        def failing_write(path, text):
            if written:
                raise OSError(28, 'No space left on device', path)
            written.append(path)
            original(path, text)

        monkeypatch.setattr(local_cert_manager.LocalCertManager, '_write',
                            staticmethod(failing_write))
        with pytest.raises(base.CertificateStorageError) as error:
            local_manager.store_cert(pair[0], pair[1])
        assert 'No space left' in str(error.value)
        assert os.listdir(storage) == []

    def test_references_never_become_paths(self, local_manager, storage,
                                           tmp_path):
        (tmp_path / 'secret.crt').write_text('not yours')
        for ref in ('../secret', '/etc/passwd', ''):
            with pytest.raises(base.CertificateNotFound):
                local_manager.get_cert(ref)
            with pytest.raises(base.CertificateNotFound):
                local_manager.delete_cert(ref)
        assert (tmp_path / 'secret.crt').exists()

    def test_delete(self, local_manager, storage, pair):
        ref = local_manager.store_cert(pair[0], pair[1])
        local_manager.delete_cert(ref)
        assert os.listdir(storage) == []
        with pytest.raises(base.CertificateNotFound):
            local_manager.get_cert(ref)
        with pytest.raises(base.CertificateNotFound):
            local_manager.delete_cert(ref)

    def test_passphrase_files_of_earlier_versions_are_read(
            self, local_manager, storage, pair):
        ref = local_manager.store_cert(pair[0], pair[1])
        key_path = storage / (ref + '.key')
        os.unlink(key_path)
        local_manager._write(str(key_path), encrypted_with(pair[1], 'pw'))
        local_manager._write(str(storage / (ref + '.pass')), 'pw')
        cert = local_manager.get_cert(ref)
        assert same_key(cert.get_private_key(), pair[1])
        local_manager.delete_cert(ref)
        assert os.listdir(storage) == []
