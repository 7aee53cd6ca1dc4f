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

"""The parts of the upstream import that need no MariaDB or PostgreSQL:
naming the histories, which clusters lack their driver, the status
reason they get, and re-sealing upstream's private keys so that the
x509keypair manager reads them. The whole import runs on both servers in
magnum/tests/functional/db/test_upstream_upgrade.py."""

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from oslo_upgradecheck import upgradecheck
import pytest
import sqlalchemy as sa

from magnum import objects
from magnum.cmd import db_manage
from magnum.cmd import status
from magnum.common import context as magnum_context
from magnum.common.cert_manager import x509keypair_cert_manager
from magnum.common.x509 import operations
from magnum.db import migration
from magnum.db.sqlalchemy import upstream

ENCRYPTION_KEY = base64.b64encode(b'u' * 32).decode()
HEAD = 'cafe00000001'
OURS = {'b614c07dd7dc', HEAD}


# -- the histories ------------------------------------------------------------

@pytest.mark.parametrize('revision, expected', [
    (None, 'None (empty database; run magnum-db-manage upgrade)'),
    ('b3e1cf4a2d5e',
     'upstream Magnum 23 (b3e1cf4a2d5e), not yet upgraded; '
     '"magnum-db-manage upgrade" imports it into this Magnum\'s schema '
     '(cafe00000001)'),
    (HEAD, HEAD),
    ('b614c07dd7dc',
     'b614c07dd7dc (this Magnum\'s schema, older than the newest '
     'cafe00000001; run magnum-db-manage upgrade)'),
])
def test_describe_names_the_history(revision, expected):
    assert upstream.describe(revision, OURS, HEAD) == expected


def test_describe_an_unknown_revision_says_what_to_do():
    text = upstream.describe('0123abcd', OURS, HEAD)
    assert text.startswith('0123abcd (revision 0123abcd is neither')
    assert 'upgrade it to Magnum 23' in text


def _stamped(url, revision):
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT '
            'NULL PRIMARY KEY)'))
        connection.execute(sa.text(
            'INSERT INTO alembic_version VALUES (:v)'), {'v': revision})
    engine.dispose()


def test_upgrade_refuses_an_upstream_database_without_an_importer(
        empty_db_url):
    _stamped(empty_db_url, upstream.UPSTREAM_REVISION)
    with pytest.raises(upstream.UpstreamImportError) as error:
        migration.upgrade(url=empty_db_url)
    assert 'left by upstream Magnum 23 (revision b3e1cf4a2d5e)' in \
        str(error.value)
    assert migration.version(url=empty_db_url) == upstream.UPSTREAM_REVISION
    assert migration.describe_version(url=empty_db_url).startswith(
        'upstream Magnum 23 (b3e1cf4a2d5e), not yet upgraded')


def test_upgrade_refuses_an_unknown_revision_and_changes_nothing(
        empty_db_url):
    _stamped(empty_db_url, '0123abcd')
    with pytest.raises(upstream.UpstreamImportError) as error:
        migration.upgrade(url=empty_db_url)
    assert 'unknown revision 0123abcd is neither' in str(error.value)
    engine = sa.create_engine(empty_db_url)
    assert sa.inspect(engine).get_table_names() == ['alembic_version']
    engine.dispose()


def test_import_checks_upstream_tables_before_changing_anything(
        empty_db_url):
    _stamped(empty_db_url, upstream.UPSTREAM_REVISION)
    engine = sa.create_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(sa.text('CREATE TABLE cluster (id INTEGER)'))
    importer = upstream.Importer(lambda *a: True, lambda ref, pem: pem)
    with pytest.raises(upstream.UpstreamImportError) as error:
        importer.run(engine)
    message = str(error.value)
    assert 'table cluster lacks' in message and 'uuid' in message
    assert 'table cluster_template is missing' in message
    assert 'nothing was changed' in message
    engine.dispose()


# -- clusters and drivers -----------------------------------------------------

@pytest.mark.parametrize('template, expected', [
    ({'driver': 'k8s_capi_helm_v1', 'server_type': 'vm',
      'cluster_distro': 'ubuntu', 'coe': 'kubernetes'}, 'k8s_capi_helm_v1'),
    ({'driver': None, 'server_type': 'vm',
      'cluster_distro': 'fedora-coreos', 'coe': 'kubernetes'},
     'k8s_fedora_coreos_v1'),
    ({'driver': '', 'server_type': 'bm', 'cluster_distro': 'fedora',
      'coe': 'kubernetes'}, 'k8s_fedora_ironic_v1'),
    ({'driver': None, 'server_type': 'vm', 'cluster_distro': 'plan9',
      'coe': 'kubernetes'},
     'for server type vm, OS plan9 and COE kubernetes'),
    (None, 'unknown (its cluster template no longer exists)'),
])
def test_needed_driver(template, expected):
    assert upstream.needed_driver(template) == expected


def test_missing_driver_reason_keeps_the_previous_one():
    reason = upstream.missing_driver_reason('k8s_fedora_coreos_v1',
                                            'Stack CREATE completed')
    assert reason.startswith('Cluster driver k8s_fedora_coreos_v1 is not '
                             'installed in this Magnum')
    assert 'read and deleted' in reason
    assert reason.endswith('Status reason before the upgrade: Stack CREATE '
                           'completed')
    assert 'before the upgrade' not in upstream.missing_driver_reason(
        'x', None)


@pytest.fixture
def shared_tables():
    """The columns of cluster and cluster_template both schemas have that
    clusters_without_driver reads, on SQLite."""
    engine = sa.create_engine('sqlite://')
    with engine.begin() as connection:
        connection.execute(sa.text(
            'CREATE TABLE cluster_template (id INTEGER PRIMARY KEY, uuid '
            'TEXT, driver TEXT, server_type TEXT, cluster_distro TEXT, '
            'coe TEXT)'))
        connection.execute(sa.text(
            'CREATE TABLE cluster (id INTEGER PRIMARY KEY, uuid TEXT, name '
            'TEXT, project_id TEXT, status TEXT, status_reason TEXT, '
            'cluster_template_id TEXT)'))
        for values in (
                ('t-fcos', None, 'vm', 'fedora-coreos', 'kubernetes'),
                ('t-capi', 'k8s_capi_helm_v1', 'vm', 'ubuntu', 'kubernetes'),
                ('t-ours', None, 'container', 'debian', 'swarm-mode'),
                ('t-named', 'fake', 'vm', 'fedora-coreos', 'kubernetes')):
            connection.execute(sa.text(
                'INSERT INTO cluster_template (uuid, driver, server_type, '
                'cluster_distro, coe) VALUES (:u, :d, :s, :o, :c)'),
                dict(zip('udsoc', values)))
        for index, (uuid, template) in enumerate((
                ('c-fcos', 't-fcos'), ('c-capi', 't-capi'),
                ('c-ours', 't-ours'), ('c-named', 't-named'),
                ('c-orphan', 't-gone'))):
            connection.execute(sa.text(
                'INSERT INTO cluster (id, uuid, name, project_id, status, '
                'status_reason, cluster_template_id) VALUES (:i, :u, :u, '
                "'p', 'CREATE_COMPLETE', NULL, :t)"),
                {'i': 10 - index, 'u': uuid, 't': template})
    yield engine
    engine.dispose()


def test_clusters_without_driver_with_the_installed_drivers(
        shared_tables, fake_drivers):
    # The fake driver provides vm/fedora-coreos/kubernetes, yet an
    # upstream cluster of those values is k8s_fedora_coreos_v1's.
    with shared_tables.connect() as connection:
        found = upstream.clusters_without_driver(
            connection, db_manage.driver_installed)
    assert [(c.uuid, c.driver) for c in found] == [
        ('c-orphan', 'unknown (its cluster template no longer exists)'),
        ('c-capi', 'k8s_capi_helm_v1'),
        ('c-fcos', 'k8s_fedora_coreos_v1'),
    ]
    assert found[-1].describe() == (
        'c-fcos (c-fcos, project p, CREATE_COMPLETE): needs '
        'k8s_fedora_coreos_v1')


def test_importer_marks_clusters_once_and_pins_upstream_drivers(
        shared_tables, fake_drivers):
    importer = upstream.Importer(db_manage.driver_installed,
                                 lambda ref, pem: pem)
    for _ in range(2):
        with shared_tables.begin() as connection:
            importer._mark_clusters_without_driver(connection)
            importer._pin_template_drivers(connection)
    assert importer.counts['clusters without driver'] == 3
    assert importer.counts['templates given their driver'] == 1
    with shared_tables.connect() as connection:
        reasons = dict(connection.execute(sa.text(
            'SELECT uuid, status_reason FROM cluster')).all())
        drivers = dict(connection.execute(sa.text(
            'SELECT uuid, driver FROM cluster_template')).all())
    assert reasons['c-ours'] is None and reasons['c-named'] is None
    assert reasons['c-fcos'].count('Cluster driver ') == 1
    assert drivers == {'t-fcos': 'k8s_fedora_coreos_v1',
                       't-capi': 'k8s_capi_helm_v1', 't-ours': None,
                       't-named': 'fake'}


# -- private keys -------------------------------------------------------------

@pytest.fixture(scope='module')
def upstream_pair():
    """(certificate PEM, unencrypted key PEM, key as upstream stores it,
    its passphrase)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate, _ = operations.generate_ca_certificate(
        'upstream-ca', key=key, term_of_validity=30)
    passphrase = 'abcdefghijkl'
    stored = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode())).decode()
    return (operations.certificate_to_pem(certificate),
            operations.private_key_to_pem(key), stored, passphrase)


def test_resealed_key_is_read_by_the_x509keypair_manager(
        dbapi, magnum_config, upstream_pair):
    magnum_config.config(group='certificates', encryption_key=ENCRYPTION_KEY)
    certificate, plain, stored, passphrase = upstream_pair
    ref = '0b0e6b8e-8a8e-4a45-9a51-6f4f0f4b2b11'
    assert upstream.is_upstream_private_key(stored)
    seal = db_manage.upstream_importer().seal_private_key
    sealed = upstream.resealed_private_key(ref, stored, passphrase, seal)
    assert not upstream.is_upstream_private_key(sealed)
    assert sealed.startswith('magnum-aes256gcm-v1:')
    context = magnum_context.make_context(project_id='p', user_id='u',
                                          overwrite=False)
    objects.X509KeyPair(context, uuid=ref, certificate=certificate,
                        private_key=sealed, private_key_passphrase=None,
                        project_id='p', user_id='u').create()
    cert = x509keypair_cert_manager.X509KeyPairCertManager().get_cert(
        ref, context=context)
    assert cert.get_private_key() == plain
    assert cert.get_certificate() == certificate


def test_a_key_sealed_for_one_row_does_not_open_in_another(
        magnum_config, upstream_pair):
    magnum_config.config(group='certificates', encryption_key=ENCRYPTION_KEY)
    _, plain, stored, passphrase = upstream_pair
    seal = db_manage.upstream_importer().seal_private_key
    sealed = upstream.resealed_private_key('row-a', stored, passphrase, seal)
    key = x509keypair_cert_manager.encryption_key()
    assert x509keypair_cert_manager.decrypt_private_key(
        key, 'row-a', sealed) == plain
    with pytest.raises(Exception, match='belongs somewhere else'):
        x509keypair_cert_manager.decrypt_private_key(key, 'row-b', sealed)


def test_a_wrong_passphrase_names_the_row_not_the_secret(upstream_pair):
    _, _, stored, _ = upstream_pair
    with pytest.raises(upstream.UpstreamImportError) as error:
        upstream.resealed_private_key('row-a', stored, 'wrongpassphr',
                                      lambda ref, pem: pem)
    message = str(error.value)
    assert 'x509keypair row-a cannot be decrypted' in message
    assert 'wrongpassphr' not in message and 'PRIVATE KEY' not in message


@pytest.mark.parametrize('passphrase', [None, '', 'abcdefghijkl'])
def test_unencrypted_upstream_keys_are_resealed_too(upstream_pair,
                                                    passphrase):
    _, plain, _, _ = upstream_pair
    assert upstream.resealed_private_key(
        'row-a', plain, passphrase,
        lambda ref, pem: json.dumps([ref, pem])) == json.dumps(
            ['row-a', plain])


# -- magnum-status upgrade check ----------------------------------------------

@pytest.fixture
def status_db(empty_db_url, magnum_config, fake_drivers):
    """A database at this Magnum's schema with a cluster of an upstream
    driver (certificates in Barbican) and one of the fake driver's."""
    migration.upgrade(url=empty_db_url)
    magnum_config.config(group='database', connection=empty_db_url)
    engine = sa.create_engine(empty_db_url)
    with engine.begin() as connection:
        for uuid, distro in (('t-fcos', 'fedora-coreos'),
                             ('t-fake', 'debian')):
            connection.execute(sa.text(
                'INSERT INTO cluster_template (uuid, server_type, '
                "cluster_distro, coe) VALUES (:u, :s, :d, :c)"),
                {'u': uuid, 'd': distro,
                 's': 'vm' if uuid == 't-fcos' else 'container',
                 'c': 'kubernetes' if uuid == 't-fcos' else 'swarm-mode'})
        connection.execute(sa.text(
            "INSERT INTO x509keypair (uuid) VALUES ('kp-1')"))
        for uuid, template, ref in (
                ('c-fcos', 't-fcos',
                 'https://barbican:9311/v1/containers/abc'),
                ('c-fake', 't-fake', 'kp-1')):
            connection.execute(sa.text(
                'INSERT INTO cluster (uuid, name, project_id, status, '
                "cluster_template_id, ca_cert_ref) VALUES (:u, :u, 'p', "
                "'CREATE_COMPLETE', :t, :r)"),
                {'u': uuid, 't': template, 'r': ref})
    yield empty_db_url, engine
    engine.dispose()


def test_status_lists_clusters_without_driver_and_foreign_certificates(
        status_db):
    checks = status.Checks()
    drivers = checks._check_cluster_drivers()
    assert drivers.code == upgradecheck.Code.WARNING
    assert drivers.details.startswith('1 cluster(s) need a driver')
    assert 'c-fcos (c-fcos, project p, CREATE_COMPLETE): needs ' \
        'k8s_fedora_coreos_v1' in drivers.details
    assert 'c-fake' not in drivers.details
    certificates = checks._check_cluster_certificates()
    assert certificates.code == upgradecheck.Code.WARNING
    assert 'c-fcos (c-fcos): https://barbican:9311/v1/containers/abc' in \
        certificates.details
    assert 'c-fake' not in certificates.details
    assert checks._check_database_schema().code == \
        upgradecheck.Code.SUCCESS


def test_status_on_an_upstream_database(status_db):
    url, engine = status_db
    with engine.begin() as connection:
        connection.execute(sa.text(
            'UPDATE alembic_version SET version_num = :v'),
            {'v': upstream.UPSTREAM_REVISION})
    checks = status.Checks()
    schema = checks._check_database_schema()
    assert schema.code == upgradecheck.Code.WARNING
    assert "upstream Magnum 23's (revision b3e1cf4a2d5e), not yet " \
        'upgraded' in schema.details
    assert 'stop its magnum-api and magnum-conductor' in \
        checks._check_conductors().details
    assert 'k8s_fedora_coreos_v1' in checks._check_cluster_drivers().details
