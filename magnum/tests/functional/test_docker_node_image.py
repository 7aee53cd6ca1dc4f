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

"""Docker-in-Docker swarm nodes from the node image, with TLS.

What the local driver relies on: two containers of
``magnum/swarm-node`` on a user-defined bridge network run dockerd with
mutual TLS, the test process reaches them over TCP at their addresses, and
they form a swarm. A client without a certificate of the cluster's CA is
refused.

Needs root and the private engine of ``tools/docker-engine.sh`` (started
here, with the image built by ``tools/build-node-image.sh`` when missing);
without them the test skips, under ``CI=true`` it fails. Run it alone with::

    python -m pytest -q magnum/tests/functional/test_docker_node_image.py
"""

import datetime
import io
import ipaddress
import os
import re
import tarfile
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID
import docker
import docker.errors
import docker.tls
import pytest
import requests.exceptions

from magnum.tests.functional import docker_engine

IMAGE = docker_engine.IMAGE
NODE_LABEL = 'org.openstack.magnum.node-image'

# What a Docker-in-Docker node needs on these machines (see
# doc/source/contributor/local-docker.rst): --privileged is refused because
# the capability bounding set lacks CAP_SYS_RESOURCE.
NODE_RUN_OPTIONS = dict(
    cap_add=['ALL'],
    cap_drop=['SYS_RESOURCE'],
    security_opt=['seccomp=unconfined', 'apparmor=unconfined'],
    volumes={'/sys/fs/cgroup': {'bind': '/sys/fs/cgroup', 'mode': 'rw'}},
    tmpfs={'/var/lib/docker': 'exec'},
)
TLS_DIR = '/etc/docker/tls'
DOCKERD = (f'dockerd --tlsverify --tlscacert {TLS_DIR}/ca.pem '
           f'--tlscert {TLS_DIR}/server-cert.pem '
           f'--tlskey {TLS_DIR}/server-key.pem '
           '-H tcp://0.0.0.0:2376 -H unix:///var/run/docker.sock')
# The node's address is known only once it runs, and its server certificate
# names that address: dockerd starts when the certificates are in place.
NODE_COMMAND = ['sh', '-c', 'while [ ! -e %s/ready ]; do sleep 0.1; done; '
                'exec %s' % (TLS_DIR, DOCKERD)]

# The alert dockerd sends (TLS 1.2: bad certificate; 1.3: certificate
# required) when a client shows no certificate of the cluster's CA.
REFUSED = r'alert (bad certificate|certificate required)'

NODE_TIMEOUT = 30
SWARM_TIMEOUT = 30


# Certificates -------------------------------------------------------------

def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _issue(subject, issuer_name, issuer_key, extensions, public_key):
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([
                   x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(_now() - datetime.timedelta(minutes=5))
               .not_valid_after(_now() + datetime.timedelta(hours=2)))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


class CertificateAuthority:
    """A throw-away CA that signs server and client certificates."""

    def __init__(self, name):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = _issue(name, self.name, self.key, [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                           crl_sign=True, content_commitment=False,
                           key_encipherment=False, data_encipherment=False,
                           key_agreement=False, encipher_only=False,
                           decipher_only=False), True),
        ], self.key.public_key())
        self.pem = _pem_cert(self.cert)

    def sign(self, subject, usage, names=(), addresses=()):
        """(cert PEM, key PEM) for usage ``server`` or ``client``."""
        key = ec.generate_private_key(ec.SECP256R1())
        extensions = [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.ExtendedKeyUsage([
                ExtendedKeyUsageOID.SERVER_AUTH if usage == 'server'
                else ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        ]
        sans = [x509.DNSName(n) for n in names] + [
            x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
        if sans:
            extensions.append((x509.SubjectAlternativeName(sans), False))
        cert = _issue(subject, self.name, self.key, extensions,
                      key.public_key())
        return _pem_cert(cert), _pem_key(key)


def _write(directory, files):
    paths = {}
    for name, data in files.items():
        path = os.path.join(directory, name)
        with open(path, 'wb') as handle:
            handle.write(data)
        os.chmod(path, 0o600)
        paths[name] = path
    return paths


def _tar(directory, files):
    """A tar of directory (relative) and its files (name -> bytes), in
    order: the last file (``ready``) appears last."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        parts = directory.split('/')
        for depth in range(1, len(parts) + 1):
            info = tarfile.TarInfo('/'.join(parts[:depth]))
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = int(time.time())
            archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo('%s/%s' % (directory, name))
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _tls_client(address, ca_path, cert=None):
    tls = docker.tls.TLSConfig(ca_cert=ca_path, verify=True,
                               client_cert=cert)
    # A fixed API version: "auto" would ask the server while connecting.
    client = docker.DockerClient(base_url='tcp://%s:2376' % address,
                                 tls=tls, version='1.41', timeout=20)
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set on these
    # machines) replace the session's CA, and HTTPS_PROXY divert the
    # connection: the cluster's CA and a direct route are wanted.
    client.api.trust_env = False
    return client


def _wait(what, check, timeout, containers=()):
    """check()'s first true result; on timeout a failure that shows the
    last error and the end of the containers' logs."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (docker.errors.DockerException,
                requests.exceptions.RequestException) as error:
            last = error
        time.sleep(0.2)
    logs = ''.join('\n--- %s:\n%s' % (c.name, c.logs(tail=20).decode(
        errors='replace')) for c in containers)
    pytest.fail('no %s within %d s (last error: %s)%s'
                % (what, timeout, last, logs))


# The swarm ----------------------------------------------------------------

@pytest.fixture
def swarm_nodes(engine, tmp_path):
    """Two running node containers on a new bridge network, each with a
    server certificate for its name and address; removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    made = {'containers': [], 'network': None}
    ca = CertificateAuthority('magnum-test-ca-%s' % suffix)
    try:
        network = engine.networks.create('magnum-test-%s' % suffix,
                                         driver='bridge',
                                         labels={'magnum-test': suffix})
        made['network'] = network
        nodes = []
        for index in (1, 2):
            name = 'magnum-test-%s-node%d' % (suffix, index)
            container = engine.containers.run(
                IMAGE, NODE_COMMAND, name=name, hostname=name,
                network=network.name, detach=True,
                labels={'magnum-test': suffix}, **NODE_RUN_OPTIONS)
            made['containers'].append(container)
            container.reload()
            address = (container.attrs['NetworkSettings']['Networks']
                       [network.name]['IPAddress'])
            assert address, 'node %s has no address on %s' % (
                name, network.name)
            cert, key = ca.sign(name, 'server', names=[name, 'localhost'],
                                addresses=[address, '127.0.0.1'])
            container.put_archive('/', _tar(TLS_DIR.lstrip('/'), {
                'ca.pem': ca.pem, 'server-cert.pem': cert,
                'server-key.pem': key, 'ready': b''}))
            nodes.append({'name': name, 'address': address,
                          'container': container})
        client_cert, client_key = ca.sign('magnum-test-client', 'client')
        paths = _write(str(tmp_path), {'ca.pem': ca.pem,
                                       'cert.pem': client_cert,
                                       'key.pem': client_key})
        yield {'nodes': nodes, 'ca': paths['ca.pem'],
               'cert': (paths['cert.pem'], paths['key.pem']),
               'network': network}
    finally:
        errors = []
        for container in made['containers']:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.DockerException as error:
                errors.append('container %s: %s' % (container.name, error))
        if made['network'] is not None:
            try:
                made['network'].remove()
            except docker.errors.NotFound:
                pass
            except docker.errors.DockerException as error:
                errors.append('network %s: %s' % (made['network'].name,
                                                  error))
        assert not errors, 'cleanup failed: %s' % '; '.join(errors)


def test_node_image_is_labelled(engine):
    image = engine.images.get(IMAGE)
    labels = image.labels
    assert labels.get(NODE_LABEL) == 'swarm'
    assert re.match(r'^\d+\.\d+\.\d+$',
                    labels.get('org.openstack.magnum.docker-version', ''))


def test_two_node_swarm_over_tls(swarm_nodes, tmp_path):
    started = time.monotonic()
    node1, node2 = swarm_nodes['nodes']
    ca, cert = swarm_nodes['ca'], swarm_nodes['cert']
    client1 = _tls_client(node1['address'], ca, cert)
    client2 = _tls_client(node2['address'], ca, cert)

    containers = [node1['container'], node2['container']]
    for node, client in ((node1, client1), (node2, client2)):
        _wait('dockerd of %s answering over TLS at %s:2376' % (
            node['name'], node['address']), client.ping, NODE_TIMEOUT,
            containers)
    dockerd_ready = time.monotonic() - started

    # The image's label tells the docker version its nodes really run.
    labelled = node1['container'].image.labels[
        'org.openstack.magnum.docker-version']
    assert re.match(re.escape(labelled) + r'($|\+)',
                    client1.version()['Version'])

    client1.swarm.init(advertise_addr=node1['address'],
                       listen_addr='0.0.0.0:2377')
    client1.swarm.reload()
    worker_token = client1.swarm.attrs['JoinTokens']['Worker']
    assert client2.swarm.join(remote_addrs=['%s:2377' % node1['address']],
                              join_token=worker_token,
                              advertise_addr=node2['address'],
                              listen_addr='0.0.0.0:2377')

    def all_ready():
        nodes = client1.nodes.list()
        states = {n.attrs['Description']['Hostname']:
                  (n.attrs['Status']['State'], n.attrs['Spec']['Role'])
                  for n in nodes}
        if len(states) == 2 and all(s == 'ready' for s, _ in states.values()):
            return states
        return None

    states = _wait('two Ready nodes in the swarm', all_ready, SWARM_TIMEOUT,
                   containers)
    formed = time.monotonic() - started
    assert states == {node1['name']: ('ready', 'manager'),
                      node2['name']: ('ready', 'worker')}
    assert client2.info()['Swarm']['LocalNodeState'] == 'active'
    print('dockerd over TLS after %.1f s, two-node swarm after %.1f s'
          % (dockerd_ready, formed))

    # Without a client certificate, and with one from another CA: the
    # server refuses the handshake with a TLS alert.
    anonymous = _tls_client(node1['address'], ca)
    with pytest.raises(requests.exceptions.SSLError, match=REFUSED):
        anonymous.ping()
    stranger_cert, stranger_key = CertificateAuthority(
        'someone-else').sign('stranger', 'client')
    stranger = _write(str(tmp_path), {'stranger-cert.pem': stranger_cert,
                                      'stranger-key.pem': stranger_key})
    impostor = _tls_client(node1['address'], ca,
                           (stranger['stranger-cert.pem'],
                            stranger['stranger-key.pem']))
    with pytest.raises(requests.exceptions.SSLError, match=REFUSED):
        impostor.nodes.list()
    for client in (client1, client2, anonymous, impostor):
        client.close()
