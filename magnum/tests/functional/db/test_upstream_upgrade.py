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

"""A database upstream Magnum 23 left, upgraded in place, on MariaDB and
PostgreSQL.

Each test builds upstream's schema in a database of its own (on MariaDB
the mysqldump of upstream_magnum_23_schema.sql; on PostgreSQL the same
tables translated by ``postgresql_schema``), fills it through SQL as
upstream writes its rows (certificates made like upstream makes them,
private keys PKCS#8-encrypted with a 12-character passphrase beside
them), runs the real ``magnum-status upgrade check`` and
``magnum-db-manage`` commands, then starts magnum-api and
magnum-conductor on it and reads everything back with
python-magnumclient (`openstack coe`); federations, which the client has
no command for, through the REST API.
"""

import base64
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID
from magnumclient import client as magnum_client
from oslo_db.sqlalchemy import test_migrations
import pytest
import sqlalchemy as sa

from magnum.db import migration
from magnum.db.sqlalchemy import models
from magnum.tests import db_backends
from magnum.tests.functional import client_stage
from magnum.tests.functional import processes
from magnum.tests.functional import services

SCHEMA_FILE = os.path.join(os.path.dirname(__file__),
                           'upstream_magnum_23_schema.sql')
UPSTREAM_REVISION = 'b3e1cf4a2d5e'
PROJECT = 'admin'          # the project of the noauth API's requests
USER = 'upstream-user'
ENCRYPTION_KEY = base64.b64encode(b'k' * 32).decode()
CREATED = datetime.datetime(2025, 3, 4, 5, 6, 7)


@pytest.fixture(params=['mysql', 'postgresql'])
def upstream_db(request, tmp_path):
    with db_backends.provisioned_database(request.param, tmp_path) as url:
        yield request.param, url


# -- upstream's schema --------------------------------------------------------

def mysql_statements():
    """The CREATE TABLE statements of the mysqldump, comments dropped."""
    with open(SCHEMA_FILE) as handle:
        lines = [line for line in handle
                 if not line.lstrip().startswith(('--', '/*'))]
    return [s.strip() for s in ''.join(lines).split(';') if s.strip()]


_PG_TYPES = (
    (r'int\(11\) NOT NULL AUTO_INCREMENT', 'SERIAL NOT NULL'),
    (r'int\(11\)', 'INTEGER'),
    (r'tinyint\(1\)', 'BOOLEAN'),
    (r'\bdatetime\b', 'TIMESTAMP WITHOUT TIME ZONE'),
    (r'\btext\b', 'TEXT'),
    (r'UNIQUE KEY `(\w+)`', r'CONSTRAINT `\1` UNIQUE'),
    (r'\) ENGINE=.*$', ')'),
    # mysqldump spells out MariaDB's implicit default; upstream's
    # migrations give PostgreSQL none.
    (r' DEFAULT NULL', ''),
)


def postgresql_statements():
    """The same tables as PostgreSQL holds them when upstream's migrations
    ran there: serial ids, booleans, timestamps, the same names."""
    statements = []
    for statement in mysql_statements():
        for pattern, replacement in _PG_TYPES:
            statement = re.sub(pattern, replacement, statement,
                               flags=re.MULTILINE)
        statements.append(statement.replace('`', '"'))
    return statements


def build_upstream_schema(backend, connection):
    statements = mysql_statements() if backend == 'mysql' else \
        postgresql_statements()
    assert len(statements) == 8, statements
    for statement in statements:
        connection.exec_driver_sql(statement)
    connection.execute(sa.text(
        'INSERT INTO alembic_version (version_num) VALUES (:v)'),
        {'v': UPSTREAM_REVISION})


# -- certificates as upstream makes them ------------------------------------

def passphrase():
    """12 random lowercase base32 characters."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()[:12]


def _encrypted(key, secret):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret.encode())).decode()


def _builder(subject, issuer, public_key):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer)
            .public_key(public_key)
            .serial_number(uuid.uuid4().int)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1825))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                public_key), critical=False))


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(name):
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (_builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_client(ca_cert, ca_key):
    key = _key()
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, 'admin'),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'system:masters')])
    cert = (_builder(subject, ca_cert.subject, key.public_key())
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def keypair_row(row_id, cert, key):
    secret = passphrase()
    return {'id': row_id, 'uuid': str(uuid.uuid4()),
            'certificate': cert.public_bytes(
                serialization.Encoding.PEM).decode(),
            'private_key': _encrypted(key, secret),
            'private_key_passphrase': secret, 'intermediates': None,
            'project_id': PROJECT, 'user_id': USER,
            'created_at': CREATED, 'updated_at': None}


def cluster_certificates(name, first_id):
    """x509keypair rows of a cluster's three CAs and client certificate,
    and its reference columns."""
    ca_cert, ca_key = make_ca(name)
    pairs = [(ca_cert, ca_key), make_ca(name), make_ca(name),
             make_client(ca_cert, ca_key)]
    rows = [keypair_row(first_id + i, *pair) for i, pair in enumerate(pairs)]
    refs = dict(zip(('ca_cert_ref', 'etcd_ca_cert_ref',
                     'front_proxy_ca_cert_ref', 'magnum_cert_ref'),
                    (row['uuid'] for row in rows)))
    return rows, refs


# -- rows as upstream writes them ---------------------------------------------

def template(row_id, name, **values):
    row = {
        'id': row_id, 'uuid': str(uuid.uuid4()), 'name': name,
        'created_at': CREATED, 'updated_at': CREATED, 'flavor_id': 'm1.small',
        'keypair_id': 'ops-key', 'image_id': 'fedora-coreos-40',
        'external_network_id': 'public', 'dns_nameserver': '8.8.8.8',
        'apiserver_port': None, 'project_id': PROJECT, 'user_id': USER,
        'docker_volume_size': 10, 'fixed_network': None,
        'master_flavor_id': 'm1.medium', 'cluster_distro': 'fedora-coreos',
        'coe': 'kubernetes', 'http_proxy': None, 'https_proxy': None,
        'no_proxy': None, 'registry_enabled': False,
        'network_driver': 'calico',
        'labels': json.dumps({'kube_tag': 'v1.28.9', 'boot_volume_size':
                              '20'}),
        'tls_disabled': False, 'public': False, 'server_type': 'vm',
        'volume_driver': 'cinder', 'insecure_registry': None,
        'docker_storage_driver': 'overlay2', 'master_lb_enabled': True,
        'fixed_subnet': None, 'floating_ip_enabled': False,
        'hidden': False, 'tags': 'prod,k8s', 'driver': None}
    row.update(values)
    return row


def cluster(row_id, name, tmpl, refs, status, reason):
    row = {
        'id': row_id, 'uuid': str(uuid.uuid4()), 'name': name,
        'created_at': CREATED, 'updated_at': CREATED,
        'cluster_template_id': tmpl['uuid'],
        'api_address': 'https://10.0.0.%d:6443' % row_id,
        'stack_id': str(uuid.uuid4()), 'project_id': PROJECT,
        'user_id': USER, 'status': status, 'discovery_url': None,
        'status_reason': reason, 'create_timeout': 60,
        'coe_version': 'v1.28.9', 'container_version': '1.12.6',
        'keypair': 'ops-key', 'docker_volume_size': 10,
        'labels': json.dumps({'kube_tag': 'v1.28.9'}),
        'master_flavor_id': 'm1.medium', 'flavor_id': 'm1.small',
        'health_status': 'HEALTHY',
        'health_status_reason': json.dumps({'api': 'ok'}),
        'fixed_network': None, 'fixed_subnet': None,
        'floating_ip_enabled': False, 'master_lb_enabled': True}
    row.update(refs)
    return row


def nodegroup(row_id, name, owner, role, count, is_default, **values):
    row = {
        'id': row_id, 'uuid': str(uuid.uuid4()), 'name': name,
        'created_at': CREATED, 'updated_at': None,
        'cluster_id': owner['uuid'], 'project_id': PROJECT,
        'docker_volume_size': 10, 'labels': json.dumps({}),
        'flavor_id': 'm1.small', 'image_id': 'fedora-coreos-40',
        'node_addresses': json.dumps(['10.0.0.%d' % row_id]),
        'node_count': count, 'max_node_count': None, 'min_node_count': 0,
        'role': role, 'is_default': is_default,
        'stack_id': owner['stack_id'], 'status': owner['status'],
        'status_reason': None, 'version': None,
        'node_labels': json.dumps({}), 'node_taints': json.dumps([])}
    row.update(values)
    return row


def upstream_rows():
    """{table: [row]}: templates for a removed Heat driver, a Cluster API
    driver and the local driver (installed here), a cluster of each with
    its nodegroups and certificates, quotas, a federation, a service."""
    fcos = template(101, 'k8s-fcos')
    capi = template(102, 'k8s-capi', driver='k8s_capi_helm_v1',
                    cluster_distro='ubuntu', image_id='ubuntu-2204-kube')
    local = template(113, 'swarm-local', server_type='container',
                     cluster_distro='debian', coe='swarm-mode',
                     network_driver='docker', volume_driver=None,
                     labels=json.dumps({}), public=True)
    keypairs, clusters = [], []
    for row_id, name, tmpl, status, reason in (
            (21, 'fcos-prod', fcos, 'CREATE_COMPLETE',
             'Stack CREATE completed successfully'),
            (22, 'capi-dev', capi, 'UPDATE_FAILED',
             'default-worker failed: Quota exceeded for cores'),
            (23, 'local-one', local, 'CREATE_COMPLETE', None)):
        rows, refs = cluster_certificates(name, 60 + 4 * len(clusters))
        keypairs += rows
        clusters.append(cluster(row_id, name, tmpl, refs, status, reason))
    fcos_cluster, capi_cluster, local_cluster = clusters
    # A key upstream leaked (its etcd CA outlived a cluster): kept too.
    orphan_cert, orphan_key = make_ca('gone')
    keypairs.append(keypair_row(92, orphan_cert, orphan_key))
    nodegroups = []
    for index, owner in enumerate(clusters):
        nodegroups.append(nodegroup(30 + 3 * index, 'default-master', owner,
                                    'master', 1, True))
        nodegroups.append(nodegroup(31 + 3 * index, 'default-worker', owner,
                                    'worker', 2, True,
                                    max_node_count=5))
    nodegroups.append(nodegroup(46, 'gpu-pool', fcos_cluster, 'gpu', 1,
                                False, status='UPDATE_FAILED',
                                status_reason='No valid host was found',
                                node_labels=json.dumps({'gpu': 'a100'}),
                                node_taints=json.dumps([
                                    {'key': 'gpu', 'value': 'true',
                                     'effect': 'NoSchedule'}])))
    return {
        'cluster_template': [fcos, capi, local],
        'cluster': clusters,
        'nodegroup': nodegroups,
        'x509keypair': keypairs,
        'quotas': [
            {'id': 1, 'created_at': CREATED, 'updated_at': None,
             'project_id': PROJECT, 'resource': 'Cluster', 'hard_limit': 12},
            {'id': 3, 'created_at': CREATED, 'updated_at': CREATED,
             'project_id': 'other-project', 'resource': 'Cluster',
             'hard_limit': 3}],
        'federation': [
            {'id': 5, 'created_at': CREATED, 'updated_at': None,
             'project_id': PROJECT, 'uuid': str(uuid.uuid4()),
             'name': 'fed-one', 'hostcluster_id': fcos_cluster['uuid'],
             'member_ids': json.dumps([capi_cluster['uuid'],
                                       local_cluster['uuid']]),
             'status': 'CREATE_COMPLETE', 'status_reason': None,
             'properties': json.dumps({'dns-zone': 'example.com.'})}],
        'magnum_service': [
            {'id': 1, 'created_at': CREATED, 'updated_at': CREATED,
             'report_count': 4711, 'host': 'upstream-controller',
             'binary': 'magnum-conductor', 'disabled': False,
             'disabled_reason': None, 'last_seen_up': CREATED,
             'forced_down': False}],
    }


def fill(backend, connection, rows):
    for table, table_rows in rows.items():
        columns = list(table_rows[0])
        statement = sa.text('INSERT INTO %s (%s) VALUES (%s)' % (
            table, ', '.join('"%s"' % c if backend == 'postgresql' else
                             '`%s`' % c for c in columns),
            ', '.join(':%s' % c for c in columns)))
        for row in table_rows:
            connection.execute(statement, row)
        if backend == 'postgresql':
            # What upstream's inserts leave: the sequence past the ids.
            connection.execute(sa.text(
                "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
                "(SELECT MAX(id) FROM %s))" % (table, table)))


# -- the commands -------------------------------------------------------------

def run_command(module, config, *args):
    return subprocess.run(
        [sys.executable, '-m', module, '--config-file', str(config), *args],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))


def write_config(path, url):
    processes.write_config(str(path), {
        'DEFAULT': {'state_path': str(path.parent)},
        'database': {'connection': url},
        'certificates': {'encryption_key': ENCRYPTION_KEY}})
    return path


def select(url, query, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in
                    connection.execute(sa.text(query), params).mappings()]
    finally:
        engine.dispose()


def execute(url, query, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(query), params)
    finally:
        engine.dispose()


class _SchemaComparison(test_migrations.ModelsMigrationsSync):
    """oslo.db's comparison of a database's schema with the models."""

    def __init__(self, engine):
        self.engine = engine

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.Base.metadata

    def db_sync(self, engine):
        pass    # the database under test is already upgraded

    def include_object(self, object_, name, type_, reflected, compare_to):
        return not (type_ == 'table' and name == 'alembic_version')

    def addCleanup(self, function, *args, **kwargs):  # noqa: N802
        pass

    def fail(self, msg):
        pytest.fail(msg, pytrace=False)


def csr_pem():
    key = _key()
    return x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, 'admin'),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'system:masters'),
    ])).sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode()


# -- the test -----------------------------------------------------------------

@pytest.fixture(scope='module')
def rows():
    """The rows, made once: each database gets the same (13 RSA keys
    take a while)."""
    return upstream_rows()


def test_upgrade_an_upstream_database_in_place(upstream_db, rows, tmp_path):
    backend, url = upstream_db
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        build_upstream_schema(backend, connection)
        fill(backend, connection, rows)
    engine.dispose()
    config = write_config(tmp_path / 'magnum.conf', url)
    fcos, capi, local = rows['cluster']
    keypairs = {row['uuid']: row for row in rows['x509keypair']}
    orphan = rows['x509keypair'][-1]

    # Before: both histories named, the clusters without driver listed.
    shown = run_command('magnum.cmd.db_manage', config, 'version')
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(
        'upstream Magnum 23 (b3e1cf4a2d5e), not yet upgraded'), shown.stdout
    assert migration.head() in shown.stdout
    check = run_command('magnum.cmd.status', config, 'upgrade', 'check',
                        '--json')
    assert check.returncode == 1, check.stdout + check.stderr   # warnings
    report = {c['check']: c['details']
              for c in json.loads(check.stdout)['checks']}
    assert "upstream Magnum 23's (revision b3e1cf4a2d5e), not yet " \
        'upgraded' in report['Database schema'], report
    drivers = report['Cluster drivers']
    assert drivers.startswith('2 cluster(s) need a driver'), drivers
    assert '%s (fcos-prod, project admin, CREATE_COMPLETE): needs ' \
           'k8s_fedora_coreos_v1' % fcos['uuid'] in drivers
    assert '%s (capi-dev, project admin, UPDATE_FAILED): needs ' \
           'k8s_capi_helm_v1' % capi['uuid'] in drivers
    assert local['uuid'] not in drivers
    assert report['Cluster certificates'] == \
        "Every cluster's certificates are in the database."

    # A key that cannot be decrypted stops the upgrade with the row named,
    # before anything changed; fixed, the upgrade runs to its end.
    execute(url, 'UPDATE x509keypair SET private_key_passphrase = :p '
            'WHERE id = 92', p='wrongpassphr')
    failed = run_command('magnum.cmd.db_manage', config, 'upgrade')
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert 'The private key of x509keypair %s cannot be decrypted' % \
        orphan['uuid'] in failed.stderr
    assert 'Traceback' not in failed.stderr
    assert select(url, 'SELECT version_num FROM alembic_version') == [
        {'version_num': UPSTREAM_REVISION}]
    assert select(url, 'SELECT COUNT(*) AS n FROM x509keypair WHERE '
                  'private_key_passphrase IS NULL') == [{'n': 0}]
    execute(url, 'UPDATE x509keypair SET private_key_passphrase = :p '
            'WHERE id = 92', p=orphan['private_key_passphrase'])

    upgraded = run_command('magnum.cmd.db_manage', config, 'upgrade')
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert 'Private keys re-encrypted: 13 of 13' in upgraded.stdout
    assert 'Database upgraded to %s.' % migration.head() in upgraded.stdout
    # Once more changes nothing (in this process: a command takes seconds).
    migration.upgrade(url=url)
    assert migration.describe_version(url=url) == migration.head()

    # The schema is this Magnum's, exactly.
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        _SchemaComparison(engine).test_models_sync()
    finally:
        engine.dispose()

    # Every row kept with its id and uuid; keys sealed, passphrases gone.
    for table in ('cluster_template', 'cluster', 'nodegroup', 'x509keypair',
                  'quotas', 'federation', 'magnum_service'):
        key = next(k for k in ('uuid', 'project_id', 'host')
                   if k in rows[table][0])
        stored = select(url, 'SELECT id, %s FROM %s ORDER BY id' % (
            key, table))
        assert stored == [{'id': r['id'], key: r[key]}
                          for r in rows[table]], table
    statuses = {row['uuid']: (row['status'], row['status_reason'])
                for row in rows['cluster']}
    stored = {row['uuid']: (row['status'], row['status_reason']) for row in
              select(url, 'SELECT uuid, status, status_reason FROM cluster')}
    assert stored[local['uuid']] == statuses[local['uuid']]
    for row in (fcos, capi):
        assert stored[row['uuid']][0] == row['status']
        assert stored[row['uuid']][1].endswith(
            'Status reason before the upgrade: %s' % row['status_reason'])
    for row in select(url, 'SELECT uuid, private_key, '
                      'private_key_passphrase FROM x509keypair'):
        assert row['private_key'].startswith('magnum-aes256gcm-v1:')
        assert row['private_key_passphrase'] is None
        assert keypairs[row['uuid']]['private_key'] not in \
            row['private_key']

    # Read back through the API with the real client.
    magnum = services.Deployment(
        tmp_path / 'magnum', url, processes.require_rabbitmq(),
        config={'certificates': {'encryption_key': ENCRYPTION_KEY}},
        api_workers=1)
    os.makedirs(magnum.directory, exist_ok=True)
    magnum.start_or_explain()
    try:
        stage = client_stage.ClientStage(magnum, None, tmp_path)
        deleted_refs = check_through_the_api(stage, rows)
    finally:
        magnum.stop()
    left = {row['uuid'] for row in select(url, 'SELECT uuid FROM x509keypair')}
    assert left == set(keypairs) - set(deleted_refs)


def _json(stage, *args):
    return json.loads(stage.coe(*args, '-f', 'json'))


def check_through_the_api(stage, rows):
    """Reads with python-magnumclient's library in this process (quick),
    the user's commands (`openstack coe`) for the CA and the delete."""
    fcos, capi, local = rows['cluster']
    keypairs = {row['uuid']: row for row in rows['x509keypair']}
    client = magnum_client.Client(
        '1', endpoint_override=stage.deployment.url + '/v1',
        auth_token='noauth', api_version='latest')

    templates = {t.uuid: t for t in client.cluster_templates.list(
        detail=True)}
    assert set(templates) == {t['uuid'] for t in rows['cluster_template']}
    for row in rows['cluster_template']:
        shown = client.cluster_templates.get(row['uuid'])
        assert (shown.name, shown.coe, shown.server_type,
                shown.cluster_distro, shown.image_id, shown.public,
                shown.master_lb_enabled, shown.docker_storage_driver,
                shown.tags) == (
            row['name'], row['coe'], row['server_type'],
            row['cluster_distro'], row['image_id'], row['public'],
            row['master_lb_enabled'], row['docker_storage_driver'],
            row['tags'])
        assert shown.labels == json.loads(row['labels'])
    # Templates upstream resolved by their values now name the driver that
    # made their clusters, so that no other driver takes those over.
    assert [client.cluster_templates.get(t['uuid']).driver
            for t in rows['cluster_template']] == [
        'k8s_fedora_coreos_v1', 'k8s_capi_helm_v1', None]

    listed = {c['uuid']: c for c in _json(stage, 'cluster', 'list')}
    assert set(listed) == {c['uuid'] for c in rows['cluster']}
    reasons = {}
    for row in rows['cluster']:
        shown = client.clusters.get(row['uuid'])
        assert (shown.name, shown.api_address, shown.cluster_template_id,
                shown.keypair, shown.labels, shown.master_lb_enabled) == (
            row['name'], row['api_address'], row['cluster_template_id'],
            row['keypair'], json.loads(row['labels']),
            row['master_lb_enabled'])
        if row is not local:
            # Nothing here acts on these; the local driver's cluster is
            # watched by its conductor at once (its health, its status).
            assert (shown.status, shown.health_status,
                    listed[row['uuid']]['status']) == (
                row['status'], row['health_status'], row['status'])
        reasons[row['uuid']] = shown.status_reason
        nodegroups = {n.uuid: client.nodegroups.get(row['uuid'], n.uuid)
                      for n in client.nodegroups.list(row['uuid'])}
        expected = [n for n in rows['nodegroup']
                    if n['cluster_id'] == row['uuid']]
        assert set(nodegroups) == {n['uuid'] for n in expected}
        for ng in expected:
            got = nodegroups[ng['uuid']]
            assert (got.name, got.node_count, got.role, got.is_default,
                    got.max_node_count) == (
                ng['name'], ng['node_count'], ng['role'], ng['is_default'],
                ng['max_node_count'])
    assert reasons[fcos['uuid']].startswith(
        'Cluster driver k8s_fedora_coreos_v1 is not installed')
    assert reasons[fcos['uuid']].endswith(
        'Status reason before the upgrade: Stack CREATE completed '
        'successfully')
    assert reasons[capi['uuid']].startswith(
        'Cluster driver k8s_capi_helm_v1 is not installed')
    assert reasons[capi['uuid']].endswith(
        'default-worker failed: Quota exceeded for cores')
    gpu = client.nodegroups.get(fcos['uuid'], 'gpu-pool')
    assert (gpu.status, gpu.status_reason, gpu.node_labels,
            gpu.node_taints) == (
        'UPDATE_FAILED', 'No valid host was found', {'gpu': 'a100'},
        [{'key': 'gpu', 'value': 'true', 'effect': 'NoSchedule'}])

    for quota in rows['quotas']:
        got = client.quotas.get(quota['project_id'], quota['resource'])
        assert got.hard_limit == quota['hard_limit']

    # The client has no federation commands: the REST API.
    federation = rows['federation'][0]
    status, shown = stage.rest('GET', '/federations/%s' % federation['uuid'])
    assert status == 200, shown
    assert (shown['name'], shown['hostcluster_id'], shown['member_ids'],
            shown['properties']) == (
        federation['name'], federation['hostcluster_id'],
        json.loads(federation['member_ids']),
        json.loads(federation['properties']))

    # Each cluster's CA is the one it had and signs a new CSR (the keys
    # were re-encrypted, not replaced), with or without its driver here.
    csr_path = os.path.join(stage.workdir, 'user.csr')
    with open(csr_path, 'w') as handle:
        handle.write(csr_pem())
    original = x509.load_pem_x509_certificate(
        keypairs[fcos['ca_cert_ref']]['certificate'].encode())
    shown = stage.coe('ca', 'show', fcos['uuid'])
    assert x509.load_pem_x509_certificate(shown.encode()) == original
    signed = x509.load_pem_x509_certificate(
        stage.coe('ca', 'sign', fcos['uuid'], csr_path).encode())
    signed.verify_directly_issued_by(original)
    assert signed.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)[0].value == 'admin'
    signed = client.certificates.create(cluster_uuid=local['uuid'],
                                        csr=csr_pem())
    x509.load_pem_x509_certificate(signed.pem.encode()).\
        verify_directly_issued_by(x509.load_pem_x509_certificate(
            keypairs[local['ca_cert_ref']]['certificate'].encode()))
    # The client cannot choose the CA: the etcd and front-proxy CAs
    # through the REST API.
    for ca_type, field in (('etcd', 'etcd_ca_cert_ref'),
                           ('front_proxy', 'front_proxy_ca_cert_ref')):
        status, signed = stage.rest('POST', '/certificates', {
            'cluster_uuid': fcos['uuid'], 'csr': csr_pem(),
            'ca_cert_type': ca_type})
        assert status == 201, signed
        x509.load_pem_x509_certificate(signed['pem'].encode()).\
            verify_directly_issued_by(x509.load_pem_x509_certificate(
                keypairs[fcos[field]]['certificate'].encode()))

    # A cluster without its driver is deleted from the database, with
    # its certificates.
    stage.coe('cluster', 'delete', capi['uuid'])
    processes.wait_for(
        lambda: capi['uuid'] not in {c.uuid for c in client.clusters.list()},
        60, interval=0.5, message='cluster %s deleted' % capi['uuid'])
    status, _ = stage.rest('GET', '/clusters/%s' % capi['uuid'])
    assert status == 404
    assert {c.uuid for c in client.clusters.list()} == {
        fcos['uuid'], local['uuid']}
    return [capi[field] for field in ('ca_cert_ref', 'magnum_cert_ref',
                                      'etcd_ca_cert_ref',
                                      'front_proxy_ca_cert_ref')]
