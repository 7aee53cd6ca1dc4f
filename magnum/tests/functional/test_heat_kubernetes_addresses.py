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

"""A Kubernetes cluster with floating IPs behind a load balancer, through
a real Magnum (API, conductor, status sync) and the cloud-in-a-box's real
Heat: the API server's certificate names the address ``api_address``
reports.

Floating IPs and the load balancer's address are the cloud's choice
(here the Neutron and Octavia stand-ins' provider templates, which make
addresses in 203.0.113.0/24 and 198.51.100.0/24), so the k8s_vm driver
builds the stack in two phases (magnum/drivers/heat/kubernetes/phases.py):
the addresses, then the servers with certificates that name them. This
checks that the phases happened (the new stack is UPDATE_COMPLETE), that
every master was given an API certificate, signed by the cluster's CA,
whose subjectAltNames hold the load balancer's floating IP (the
cluster's ``api_address``), its VIP and every master's floating IP, and
that a TLS client verifying the server as that address (as kubectl does)
accepts it. The servers are containers of the Nova stand-in holding the
Ignition config Heat gave them; Kubernetes does not run here (see
test_heat_kubernetes.py), so the handshake is with the certificate and
key the master was given, served on this machine.
"""

import ipaddress
import random
import socket
import ssl
import threading
import time
import urllib.parse
import uuid

from cryptography import x509
from heatclient import client as heat_client
import pytest

from magnum.common import conditions
from magnum.drivers.heat import status as stack_status
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import ignition
from magnum.drivers.heat.kubernetes import pki
from magnum.tests.functional import docker_engine
from magnum.tests.functional import test_heat_swarm as heat_swarm
from magnum.tests.functional.test_heat_swarm import deployment  # noqa: F401

# Heat builds the two phases in about a minute on an idle machine; a
# busy CI machine gets the Heat drivers' tests' own allowance.
TIMEOUT = heat_swarm.CLUSTER_TIMEOUT
# How the cloud-in-a-box's Nova stand-in labels a server's container, and
# where it writes the Ignition config a server was given.
SERVER_LABEL = 'org.openstack.magnum.standin.server'
IGNITION_PATH = '/etc/magnum-ignition.json'
FLOATING_RANGE = ipaddress.ip_network('203.0.113.0/24')


def _cidr():
    # Nodes have fixed addresses: a subnet of its own, outside the
    # default pod (10.100.0.0/16) and service (10.254.0.0/16) ranges and
    # the other Heat tests' subnets.
    return '10.%d.%d.0/24' % (random.randint(20, 31),
                              random.randint(0, 255))


@pytest.fixture(scope='module')
def stage(cloud, deployment, engine,  # noqa: F811
          tmp_path_factory):
    made = heat_swarm.Stage(cloud, deployment, engine,
                            tmp_path_factory.mktemp('heat-k8s-addresses'))
    yield made
    made.clean_up()


@pytest.fixture(scope='module')
def heat(cloud):
    user = cloud.projects['a']['users']['member']
    return heat_client.Client('1', session=cloud.session(user),
                              service_type='orchestration',
                              interface='public', region_name=cloud.region,
                              connect_retries=3)


def _stack_ready(cluster):
    return any(c['type'] == stack_status.STACK_READY and
               c['status'] == conditions.TRUE
               for c in cluster.get('conditions') or [])


def _servers_built(stage, heat, cluster_id):
    """The cluster once Magnum has seen its stack complete with its
    servers (it then waits for a Kubernetes API that never comes up
    here), and that stack."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        cluster = stage.show(cluster_id)
        if _stack_ready(cluster):
            # The stack's id (cluster_id from API 1.13 on).
            return cluster, heat.stacks.get(cluster['cluster_id'])
        assert cluster['status'] == 'CREATE_IN_PROGRESS', (
            cluster, stage.deployment.logs())
        assert time.monotonic() < deadline, (cluster,
                                             stage.deployment.logs())
        time.sleep(1)


def _server_files(heat, engine, stack_id):
    """[{path: content}] of the Ignition config of each server of the
    stack, read from the stand-in's container of that server."""
    found = []
    for resource in heat.resources.list(stack_id, nested_depth=5):
        if resource.resource_type != 'OS::Nova::Server':
            continue
        [container] = engine.containers.list(all=True, filters={
            'label': '%s=%s' % (SERVER_LABEL,
                                resource.physical_resource_id)})
        result = container.exec_run(['cat', IGNITION_PATH])
        assert result.exit_code == 0, result.output
        found.append(ignition.files_of(result.output.decode()))
    return found


def _sans(pem):
    names = x509.load_pem_x509_certificate(pem.encode()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}


def _handshake_as(address, cert_pem, key_pem, ca_pem, tmp_path):
    """Serve ``cert_pem`` on this machine and connect as a client that
    trusts only ``ca_pem`` and checks the server is ``address``; the
    client's error, or None when it accepted the server."""
    (tmp_path / 'server.crt').write_text(cert_pem)
    (tmp_path / 'server.key').write_text(key_pem)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(str(tmp_path / 'server.crt'),
                                   str(tmp_path / 'server.key'))
    client_context = ssl.create_default_context(cadata=ca_pem)
    listener = socket.create_server(('127.0.0.1', 0))
    port = listener.getsockname()[1]

    def serve():
        connection, _peer = listener.accept()
        try:
            with server_context.wrap_socket(connection, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass  # the client refused it: its side says why

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=10) as raw:
            with client_context.wrap_socket(raw, server_hostname=address):
                return None
    except ssl.SSLCertVerificationError as error:
        return error
    finally:
        thread.join(10)
        listener.close()


def test_masters_certificates_name_the_addresses_the_cloud_chose(
        stage, heat, engine, tmp_path):
    template = stage.call('POST', '/clustertemplates', {
        'name': 'heat-k8s-fip-%s' % uuid.uuid4().hex[:6],
        'coe': 'kubernetes', 'server_type': 'vm',
        'cluster_distro': 'fedora-coreos', 'image_id': docker_engine.IMAGE,
        'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small',
        'external_network_id': 'public', 'master_lb_enabled': True,
        'floating_ip_enabled': True,
        'labels': {'fixed_subnet_cidr': _cidr()}},
        status=201).json()
    stage.templates.append(template['uuid'])
    # One master and no worker: the fewest servers that show it.
    cluster_id = stage.cluster(template, masters=1, workers=0)
    cluster, stack = _servers_built(stage, heat, cluster_id)
    # Created with the addresses, then updated with the servers.
    assert stack.stack_status == 'UPDATE_COMPLETE', stack.stack_status_reason

    api = urllib.parse.urlsplit(cluster['api_address']).hostname
    # The load balancer's floating IP.
    assert ipaddress.ip_address(api) in FLOATING_RANGE, cluster
    outputs = {o['output_key']: o['output_value'] for o in stack.outputs}
    vip = outputs['api_vip_address']
    # The master reports its floating IP.
    for address in cluster['master_addresses']:
        assert ipaddress.ip_address(address) in FLOATING_RANGE, cluster
    ca = stage.call('GET', '/certificates/%s' % cluster_id,
                    status=200).json()['pem']

    masters = 0
    for files in _server_files(heat, engine, stack.id):
        if 'ROLE=master' not in files[bootconfig.ENV_PATH]:
            continue
        masters += 1
        cert = files['%s/apiserver.crt' % pki.PKI]
        key = files['%s/apiserver.key' % pki.PKI]
        assert {api, vip} | set(cluster['master_addresses']) <= _sans(cert)
        x509.load_pem_x509_certificate(cert.encode()).verify_directly_issued_by(
            x509.load_pem_x509_certificate(ca.encode()))
        assert _handshake_as(api, cert, key, ca, tmp_path) is None
        # The check can fail: an address the certificate does not name.
        assert _handshake_as('192.0.2.1', cert, key, ca, tmp_path)
    assert masters == 1

    stage.call('DELETE', '/clusters/%s' % cluster_id, status=204)
    stage.wait(cluster_id, 'GONE')
