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


"""A cluster's certificates end to end, through real processes.

magnum-api and magnum-conductor on RabbitMQ and MariaDB build a swarm-mode
cluster (1 manager, 1 worker) with the local Docker driver, driven by the
real `openstack coe` client. Then:

- `cluster config --output-certs` writes a directory with which the real
  `docker --tlsverify` CLI and the docker SDK reach the cluster over
  verified TLS (and without a client certificate they are refused), and
  a replicated service runs on the swarm through the SDK with them;
- `cluster config` of a Kubernetes cluster (made in the database: no
  Kubernetes can run here) writes a kubeconfig of the shape kubectl
  expects, which the Kubernetes client uses over verified mutual TLS;
- `ca show` prints the CA that `openssl verify` checks the client
  certificate against; `ca sign` signs a CSR made by `openssl req`, and
  the certificate it returns verifies and opens the cluster;
- hostile CSRs sent to the REST API (CA:TRUE, a bad signature, a huge key,
  garbage) get a 400 and nothing is signed;
- `ca rotate` moves the cluster to a new CA: UPDATE_COMPLETE, the old
  configuration directory is refused with a certificate error, a new one
  works;
- `cluster delete` leaves nothing labelled with the cluster in the engine.

The tests run in file order, each going on from where the previous one
left the cluster. Needs root and the private engine of
``tools/docker-engine.sh`` (started here, with the node image built when
missing); without them the tests skip, under ``CI=true`` they fail. Run
them alone with::

    python -m pytest -q -s magnum/tests/functional/test_cluster_certificates.py
"""

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
import docker
import docker.errors
import docker.tls
import docker.types
import kubernetes.client
import kubernetes.config
import pytest
import requests.exceptions
import sqlalchemy
import yaml

from magnum.tests.functional import client_stage
from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

IMAGE = docker_engine.IMAGE
CLUSTER_TIMEOUT = client_stage.CLUSTER_TIMEOUT
CLUSTER = 'certs'
TEMPLATE = 'certs-template'

# What the docker CLI and Python's ssl say when a certificate is not
# trusted or a client certificate is refused.
CERTIFICATE_ERROR = re.compile(
    r'x509|certificate|tls:|SSL', re.IGNORECASE)


@pytest.fixture(scope='module', autouse=True)
def command_line_tools():
    if not shutil.which('docker') or not shutil.which('openssl'):
        docker_engine.unavailable('the docker CLI and openssl are needed')


@pytest.fixture(scope='module')
def stage(migrated_db_url, docker_host, engine, tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    prefix = 'cc%s' % uuid.uuid4().hex[:6]
    deployment = services.Deployment(
        tmp_path_factory.mktemp('magnum-certificates'), migrated_db_url,
        rabbit, config={
            'local_driver': {'docker_host': docker_host,
                             'name_prefix': prefix,
                             'node_ready_timeout': 90,
                             'drain_timeout': 10},
            # The CA rotation is a call that lasts while the driver
            # restarts the nodes' dockerd one after the other.
            'conductor': {'rpc_call_timeout': 60}})
    started = time.monotonic()
    deployment.start_or_explain()
    stage = Stage(deployment, engine, tmp_path_factory.mktemp('client'))
    stage.timings['deployment start'] = time.monotonic() - started
    try:
        yield stage
    finally:
        try:
            problems = stage.clean_up()
        finally:
            logs = deployment.logs()
            deployment.stop()
        print('\ntimings: %s' % ', '.join(
            '%s %.1f s' % item for item in stage.timings.items()))
    assert not problems, 'clean-up: %s\n%s' % ('\n'.join(problems), logs)


class Stage(client_stage.ClientStage):
    """The deployment of this module, with its one cluster."""

    def __init__(self, deployment, engine, workdir):
        super().__init__(deployment, engine, workdir)
        self.timings = {}

    def show(self):
        return json.loads(self.coe('cluster', 'show', CLUSTER, '-f', 'json'))

    def wait_cluster(self, status):
        return self.wait_for_status('cluster %s' % CLUSTER, self.show,
                                    status)

    def config(self, name):
        """`cluster config --output-certs` into a new directory: (its
        path, the variables it printed)."""
        directory = os.path.join(self.workdir, name)
        os.makedirs(directory)
        out = self.coe('cluster', 'config', CLUSTER, '--dir', directory,
                       '--output-certs')
        exports = dict((key, value.strip('\'"')) for key, value in
                       re.findall(r'^export (\w+)=(.*)$', out, re.M))
        assert set(exports) == {'DOCKER_HOST', 'DOCKER_CERT_PATH',
                                'DOCKER_TLS_VERIFY'}, out
        assert exports['DOCKER_CERT_PATH'] == directory, out
        for file_name in ('ca.pem', 'cert.pem', 'key.pem'):
            assert os.path.isfile(os.path.join(directory, file_name)), \
                os.listdir(directory)
        return directory, exports

    def conductor_log(self):
        path = os.path.join(self.deployment.directory,
                            'magnum-conductor-conductor-1.log')
        with open(path, errors='replace') as handle:
            return handle.read()

    def clean_up(self):
        """Delete the cluster and template if a test left them, and
        anything of the cluster in the engine; what could not be."""
        problems = []
        cluster_uuid = self.state.get('cluster')
        if self.run('cluster', 'show', CLUSTER).returncode == 0:
            self.run('cluster', 'delete', CLUSTER)
            deadline = time.monotonic() + CLUSTER_TIMEOUT
            while self.run('cluster', 'show', CLUSTER).returncode == 0:
                if time.monotonic() > deadline:
                    problems.append('cluster %s was not deleted' % CLUSTER)
                    break
                time.sleep(1)
        self.run('cluster', 'template', 'delete', TEMPLATE)
        if cluster_uuid:
            for thing in self.leftovers(cluster_uuid):
                problems.append('left in the engine: %s' % thing)
                try:
                    if hasattr(thing, 'remove'):
                        try:
                            thing.remove(force=True)
                        except TypeError:
                            thing.remove()
                except docker.errors.DockerException as error:
                    problems.append('could not remove %s: %s' % (thing,
                                                                 error))
        return problems


# Clients of the cluster ------------------------------------------------------

def docker_cli(exports, *args):
    """The real docker CLI with the variables `cluster config` printed
    (and nothing of this machine's docker or proxy settings)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('DOCKER_') and
           key.lower() not in ('http_proxy', 'https_proxy', 'all_proxy',
                               'no_proxy')}
    env.update(exports)
    env['DOCKER_CONFIG'] = os.path.join(exports['DOCKER_CERT_PATH'],
                                        '.docker-cli')
    return subprocess.run(['docker', '--tlsverify'] + list(args),
                          capture_output=True, text=True, timeout=60,
                          env=env)


def sdk_client(base_url, ca, cert=None, key=None):
    """A docker SDK client of base_url verifying the server against ca
    (paths), with a client certificate when given, speaking the server's
    API version; proxies and REQUESTS_CA_BUNDLE of this machine are
    ignored."""
    tls = docker.tls.TLSConfig(ca_cert=ca, verify=True,
                               client_cert=(cert, key) if cert else None)

    def make(version):
        client = docker.DockerClient(base_url=base_url, tls=tls,
                                     version=version, timeout=30)
        client.api.trust_env = False
        return client

    probe = make('1.24')
    try:
        version = probe.api.version(api_version=False)['ApiVersion']
    finally:
        probe.close()
    return make(version)


def config_client(exports):
    path = exports['DOCKER_CERT_PATH']
    return sdk_client(exports['DOCKER_HOST'], os.path.join(path, 'ca.pem'),
                      os.path.join(path, 'cert.pem'),
                      os.path.join(path, 'key.pem'))


def run_service(client, exports, shown):
    """A replicated service, one task per node, runs on the swarm and is
    removed again, all with the certificates of `cluster config`.

    The nodes cannot pull (no registry), so the service's tiny image is
    first imported into each node's engine (port 2376, the same CA and
    client certificate)."""
    path = exports['DOCKER_CERT_PATH']
    paths = [os.path.join(path, name) for name in
             ('ca.pem', 'cert.pem', 'key.pem')]
    image = docker_engine.sleep_image()
    for address in shown['master_addresses'] + shown['node_addresses']:
        node = sdk_client('tcp://%s:2376' % address, *paths)
        try:
            node.api.import_image_from_data(image, repository='local/sleep',
                                            tag='1')
        finally:
            node.close()
    service = client.services.create(
        'local/sleep:1', command=['/bin/sleep', '3600'], name='sleeper',
        mode=docker.types.ServiceMode('replicated', 2))
    try:
        deadline = time.monotonic() + 60
        while True:
            tasks = service.tasks(filters={'desired-state': 'running'})
            states = sorted(t['Status']['State'] for t in tasks)
            if states == ['running', 'running']:
                break
            assert time.monotonic() < deadline, tasks
            time.sleep(0.5)
        # One task on each node (spread by the scheduler).
        assert len({t['NodeID'] for t in tasks}) == 2, tasks
    finally:
        service.remove()


def swarm_nodes(client):
    """sorted (role, state) of the swarm's nodes."""
    return sorted((n.attrs['Spec']['Role'], n.attrs['Status']['State'])
                  for n in client.nodes.list())


def openssl_verify(ca, cert):
    return subprocess.run(['openssl', 'verify', '-CAfile', ca, cert],
                          capture_output=True, text=True, timeout=30)


# CSRs ------------------------------------------------------------------------

def openssl_csr(directory, name, *extra):
    """(key path, CSR path) of a new RSA 2048 key and a CSR for it made by
    `openssl req`."""
    key = os.path.join(directory, '%s.key' % name)
    csr = os.path.join(directory, '%s.csr' % name)
    subprocess.run(['openssl', 'req', '-new', '-newkey', 'rsa:2048',
                    '-nodes', '-keyout', key, '-out', csr,
                    '-subj', '/O=testers/CN=%s' % name] + list(extra),
                   check=True, capture_output=True, timeout=60)
    return key, csr


def _csr_der(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER))


def _pem(der):
    return x509.load_der_x509_csr(der).public_bytes(
        serialization.Encoding.PEM).decode()


def _der_items(content):
    """The encoded elements of a DER SEQUENCE's content."""
    items, index = [], 0
    while index < len(content):
        start = index
        length = content[index + 1]
        index += 2
        if length & 0x80:
            size = length & 0x7f
            length = int.from_bytes(content[index:index + size], 'big')
            index += size
        index += length
        items.append(content[start:index])
    return items


def _der_sequence(items):
    content = b''.join(items)
    if len(content) < 0x80:
        return bytes([0x30, len(content)]) + content
    size = len(content).to_bytes((len(content).bit_length() + 7) // 8,
                                 'big')
    return bytes([0x30, 0x80 | len(size)]) + size + content


def _content(tlv):
    """The content of one encoded element."""
    return tlv[2 + (tlv[1] & 0x7f if tlv[1] & 0x80 else 0):]


def _parts(der):
    """(request info's elements, signature algorithm, signature)."""
    info, algorithm, signature = _der_items(_content(der))
    return _der_items(_content(info)), algorithm, signature


def _assemble(info_items, algorithm, signature):
    return _der_sequence([_der_sequence(info_items), algorithm, signature])


def bad_signature_csr():
    info, algorithm, signature = _parts(_csr_der('hostile-bad-signature'))
    # Another subject than the one signed.
    info[1] = x509.Name([x509.NameAttribute(
        NameOID.COMMON_NAME, 'hostile-forged')]).public_bytes()
    return _pem(_assemble(info, algorithm, signature))


def huge_key_csr():
    """A CSR whose public key is a 16384-bit RSA key (no private key is
    needed: Magnum must refuse it before anything else)."""
    modulus = secrets.randbits(16384) | (1 << 16383) | 1
    public = rsa.RSAPublicNumbers(65537, modulus).public_key()
    info, algorithm, signature = _parts(_csr_der('hostile-huge-key'))
    info[2] = public.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return _pem(_assemble(info, algorithm, signature))


# The tests -------------------------------------------------------------------

def test_cluster_create(stage):
    started = time.monotonic()
    stage.coe('cluster', 'template', 'create', TEMPLATE, '--coe',
              'swarm-mode', '--server-type', 'container', '--image', IMAGE,
              '--external-network', 'host', '--flavor', 'm1.small',
              '--master-flavor', 'm1.small')
    stage.coe('cluster', 'create', CLUSTER, '--cluster-template', TEMPLATE,
              '--master-count', 1, '--node-count', 1)
    shown = stage.wait_cluster('CREATE_COMPLETE')
    stage.timings['create 1+1'] = time.monotonic() - started
    assert re.match(r'^tcp://127\.0\.0\.1:\d+$', shown['api_address'])
    stage.state['cluster'] = shown['uuid']
    stage.state['api_address'] = shown['api_address']


def test_cluster_config_reaches_docker_over_tls(stage):
    api_address, = stage.need('api_address')
    started = time.monotonic()
    directory, exports = stage.config('config-before')
    assert exports['DOCKER_HOST'] == api_address
    assert exports['DOCKER_TLS_VERIFY'].lower() in ('1', 'true')

    info = docker_cli(exports, 'info', '--format',
                      '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} '
                      '{{.Swarm.Nodes}}')
    assert info.returncode == 0, info.stderr
    assert info.stdout.split() == ['active', 'true', '2'], info.stdout

    client = config_client(exports)
    try:
        assert swarm_nodes(client) == [('manager', 'ready'),
                                       ('worker', 'ready')]
        run_service(client, exports, stage.show())
    finally:
        client.close()
    # A client certificate is required.
    with pytest.raises((requests.exceptions.SSLError,
                        requests.exceptions.ConnectionError,
                        docker.errors.DockerException)) as refused:
        sdk_client(exports['DOCKER_HOST'], os.path.join(directory, 'ca.pem'))
    assert CERTIFICATE_ERROR.search(str(refused.value)), refused.value
    stage.timings['config and docker'] = time.monotonic() - started
    stage.state['before'] = (directory, exports)


def _copy_rows(connection, table, where, changes):
    """Insert copies of a table's rows matching ``where`` with ``changes``
    (a dict, or a function of the row giving one); the new rows' ids."""
    table = sqlalchemy.Table(table, sqlalchemy.MetaData(),
                             autoload_with=connection)
    ids = []
    for row in connection.execute(table.select().where(
            *[table.c[k] == v for k, v in where.items()])).mappings():
        values = dict(row)
        values.pop('id')
        values.update(changes(row) if callable(changes) else changes)
        ids.append(connection.execute(
            table.insert().values(**values)).inserted_primary_key[0])
    return ids


def _delete_rows(connection, table, where):
    table = sqlalchemy.Table(table, sqlalchemy.MetaData(),
                             autoload_with=connection)
    connection.execute(table.delete().where(
        *[table.c[k] == v for k, v in where.items()]))


def test_cluster_config_writes_a_working_kubeconfig(stage, migrated_db_url):
    """`cluster config` of a Kubernetes cluster writes a kubeconfig that
    the Kubernetes client loads and uses over verified mutual TLS.

    No Kubernetes driver can run here (no kube-apiserver on this
    machine's registries), so the Kubernetes cluster is made in the
    database: a template with coe kubernetes and a copy of the swarm
    cluster that shares its CA, whose api_address is the swarm manager's
    TLS endpoint. dockerd answers ``GET /version`` there, which is all
    the Kubernetes client needs to show that the server certificate, the
    CA and the client certificate Magnum signed for the kubeconfig fit
    together."""
    cluster_uuid, api_address = stage.need('cluster', 'api_address')
    started = time.monotonic()
    name = 'certs-k8s'
    k8s_uuid, template_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    server = 'https://' + api_address.split('://', 1)[1]
    engine = sqlalchemy.create_engine(migrated_db_url)
    template_id = stage.rest('GET', '/clusters/%s' % cluster_uuid)[1][
        'cluster_template_id']
    try:
        with engine.begin() as connection:
            _copy_rows(connection, 'cluster_template',
                       {'uuid': template_id},
                       {'uuid': template_uuid, 'name': 'certs-k8s-template',
                        'coe': 'kubernetes', 'server_type': 'vm',
                        'cluster_distro': 'fedora-coreos', 'driver': None,
                        'tls_disabled': False})
            _copy_rows(connection, 'cluster', {'uuid': cluster_uuid},
                       {'uuid': k8s_uuid, 'name': name,
                        'cluster_template_id': template_uuid,
                        'api_address': server})
            _copy_rows(connection, 'nodegroup',
                       {'cluster_id': cluster_uuid},
                       lambda row: {'uuid': str(uuid.uuid4()),
                                    'cluster_id': k8s_uuid})
        directory = os.path.join(stage.workdir, 'kubeconfig')
        os.makedirs(directory)
        out = stage.coe('cluster', 'config', name, '--dir', directory)
        path = os.path.join(directory, 'config')
        assert 'export KUBECONFIG=%s' % path in out, out
        with open(path) as handle:
            config = yaml.safe_load(handle)

        # The shape kubectl expects: one cluster, one user, one context.
        assert (config['apiVersion'], config['kind']) == ('v1', 'Config')
        [cluster_entry] = config['clusters']
        [user_entry] = config['users']
        [context_entry] = config['contexts']
        assert cluster_entry['name'] == name
        assert cluster_entry['cluster']['server'] == server
        assert context_entry['context'] == {'cluster': name,
                                            'user': user_entry['name']}
        assert config['current-context'] == context_entry['name']
        ca_pem = base64.b64decode(
            cluster_entry['cluster']['certificate-authority-data'])
        assert ca_pem.decode().strip() == stage.coe(
            'ca', 'show', name).strip()
        cert_pem = base64.b64decode(
            user_entry['user']['client-certificate-data'])
        key_pem = base64.b64decode(user_entry['user']['client-key-data'])
        for file_name, content in (('ca.pem', ca_pem), ('cert.pem', cert_pem)):
            with open(os.path.join(directory, file_name), 'wb') as handle:
                handle.write(content)
        verified = openssl_verify(os.path.join(directory, 'ca.pem'),
                                  os.path.join(directory, 'cert.pem'))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        certificate = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        assert certificate.public_key().public_numbers() == \
            key.public_key().public_numbers()

        # The Kubernetes client itself, from the file, over mutual TLS.
        api = kubernetes.config.new_client_from_config(config_file=path)
        try:
            request = api.param_serialize('GET', '/version',
                                          header_params={
                                              'Accept': 'application/json'})
            reply = api.call_api(*request, _request_timeout=30)
            reply.read()
        finally:
            api.close()
        assert reply.status == 200, reply.data
        assert json.loads(reply.data)['ApiVersion'], reply.data
    finally:
        with engine.begin() as connection:
            _delete_rows(connection, 'nodegroup', {'cluster_id': k8s_uuid})
            _delete_rows(connection, 'cluster', {'uuid': k8s_uuid})
            _delete_rows(connection, 'cluster_template',
                         {'uuid': template_uuid})
        engine.dispose()
    stage.timings['kubeconfig'] = time.monotonic() - started

def test_ca_show_and_sign(stage):
    stage.need('cluster')
    directory, exports = stage.need('before')[0]
    started = time.monotonic()
    ca_path = os.path.join(directory, 'ca.pem')
    with open(ca_path) as handle:
        ca_pem = handle.read()
    shown = stage.coe('ca', 'show', CLUSTER)
    assert shown.strip() == ca_pem.strip()
    assert shown.startswith('-----BEGIN CERTIFICATE-----')
    ca = x509.load_pem_x509_certificate(shown.encode())
    assert ca.extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    verified = openssl_verify(ca_path, os.path.join(directory, 'cert.pem'))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    key, csr = openssl_csr(stage.workdir, 'openssl-user')
    signed = stage.coe('ca', 'sign', CLUSTER, csr)
    signed_path = os.path.join(stage.workdir, 'openssl-user.pem')
    with open(signed_path, 'w') as handle:
        handle.write(signed)
    verified = openssl_verify(ca_path, signed_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.strip() == '%s: OK' % signed_path
    certificate = x509.load_pem_x509_certificate(signed.encode())
    assert certificate.subject.rfc4514_string() == \
        'CN=openssl-user,O=testers'
    assert not certificate.extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    # The signed certificate opens the cluster.
    client = sdk_client(exports['DOCKER_HOST'], ca_path, signed_path, key)
    try:
        assert client.ping()
    finally:
        client.close()
    stage.timings['ca show and sign'] = time.monotonic() - started


def test_hostile_csrs_are_refused(stage):
    cluster_uuid, = stage.need('cluster')
    _key, ca_true = openssl_csr(
        stage.workdir, 'hostile-ca', '-addext',
        'basicConstraints=critical,CA:TRUE', '-addext',
        'keyUsage=critical,keyCertSign,cRLSign')
    with open(ca_true) as handle:
        ca_true = handle.read()
    hostile = {
        'CA:TRUE': ca_true,
        'bad signature': bad_signature_csr(),
        'huge key': huge_key_csr(),
        'garbage PEM': ('-----BEGIN CERTIFICATE REQUEST-----\n'
                        'bm90IGEgQ1NSIGF0IGFsbA==\n'
                        '-----END CERTIFICATE REQUEST-----\n'),
        'not PEM': 'hostile-garbage \x00\x01 ' * 10,
    }
    answers = {}
    for name, csr in hostile.items():
        status, body = stage.rest('POST', '/certificates', {
            'cluster_uuid': cluster_uuid, 'csr': csr})
        answers[name] = (status, body)
    for name, (status, body) in answers.items():
        assert status == 400, (name, status, body)
        assert 'pem' not in json.dumps(body), (name, body)
    reasons = {name: json.dumps(body) for name, (status, body)
               in answers.items()}
    assert 'CA:TRUE' in reasons['CA:TRUE'], reasons
    assert 'signature' in reasons['bad signature'], reasons
    assert '16384 bits' in reasons['huge key'], reasons
    assert 'not a PEM' in reasons['garbage PEM'], reasons
    assert re.search('not a PEM|invalid csr', reasons['not PEM'],
                     re.IGNORECASE), reasons

    # The same request with a good CSR is signed: the 400s were the CSRs'.
    good = _pem(_csr_der('rest-user'))
    status, body = stage.rest('POST', '/certificates', {
        'cluster_uuid': cluster_uuid, 'csr': good})
    assert status == 201, body
    assert body['pem'].startswith('-----BEGIN CERTIFICATE-----')
    signed = [line for line in stage.conductor_log().splitlines()
              if 'signed a certificate for' in line]
    assert any('CN=rest-user' in line for line in signed), signed
    assert not [line for line in signed if 'hostile' in line], signed


def test_ca_rotation(stage):
    cluster_uuid, api_address = stage.need('cluster', 'api_address')
    (old_directory, old_exports), = stage.need('before')
    old_ca = x509.load_pem_x509_certificate(
        stage.coe('ca', 'show', CLUSTER).encode())
    started = time.monotonic()
    rotated = stage.coe('ca', 'rotate', CLUSTER)
    assert rotated == ('Request to rotate the CA certificate for cluster '
                       '%s has been accepted.\n' % cluster_uuid), rotated
    stage.timings['ca rotate call'] = time.monotonic() - started
    shown = stage.wait_cluster('UPDATE_COMPLETE')
    stage.timings['ca rotation to UPDATE_COMPLETE'] = \
        time.monotonic() - started
    assert shown['api_address'] == api_address

    # The old configuration is refused, by the CLI and the SDK.
    refused = docker_cli(old_exports, 'info', '--format',
                         '{{.Swarm.LocalNodeState}}')
    assert refused.returncode != 0, refused.stdout
    assert CERTIFICATE_ERROR.search(refused.stderr), refused.stderr
    with pytest.raises(requests.exceptions.SSLError):
        config_client(old_exports)

    # A new one works.
    directory, exports = stage.config('config-after')
    info = docker_cli(exports, 'info', '--format',
                      '{{.Swarm.LocalNodeState}} {{.Swarm.Nodes}}')
    assert info.returncode == 0, info.stderr
    assert info.stdout.split() == ['active', '2'], info.stdout
    client = config_client(exports)
    try:
        assert swarm_nodes(client) == [('manager', 'ready'),
                                       ('worker', 'ready')]
        run_service(client, exports, stage.show())
    finally:
        client.close()

    new_ca_pem = stage.coe('ca', 'show', CLUSTER)
    with open(os.path.join(directory, 'ca.pem')) as handle:
        assert handle.read().strip() == new_ca_pem.strip()
    new_ca = x509.load_pem_x509_certificate(new_ca_pem.encode())
    assert new_ca.fingerprint(hashes.SHA256()) != \
        old_ca.fingerprint(hashes.SHA256())
    new_path = os.path.join(directory, 'ca.pem')
    assert openssl_verify(new_path, os.path.join(
        directory, 'cert.pem')).returncode == 0
    assert openssl_verify(new_path, os.path.join(
        old_directory, 'cert.pem')).returncode != 0


def test_cluster_delete_leaves_nothing(stage):
    cluster_uuid, = stage.need('cluster')
    started = time.monotonic()
    stage.coe('cluster', 'delete', CLUSTER)
    deadline = time.monotonic() + CLUSTER_TIMEOUT
    while True:
        result = stage.run('cluster', 'show', CLUSTER)
        if result.returncode != 0:
            assert 'could not be found' in result.stderr, result.stderr
            break
        assert time.monotonic() < deadline, stage.explain(
            'cluster %s is still there' % CLUSTER, result)
        time.sleep(0.5)
    stage.timings['delete'] = time.monotonic() - started
    assert stage.leftovers(cluster_uuid) == []
    status, _body = stage.rest('GET', '/certificates/%s' % cluster_uuid)
    assert status == 404
