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

import pytest


@pytest.fixture
def kubernetes_api(magnum_config):
    """Starts the cloud-in-a-box's Kubernetes API stand-in (a test
    fixture: magnum/tests/functional/kubernetes_api_standin.py says what
    it is) in-process on 127.0.0.1, serving the given Node objects with a
    CA of the test's: ``kubernetes_api(nodes)`` gives (the server, a
    client as Magnum connects: the CA, a system:masters client
    certificate, server name ``kubernetes``; the stand-in's module).
    ``user`` (common name, organization) makes the client certificate
    someone else's, a kubelet's say. Everything started is stopped after
    the test."""
    from magnum.common import secret_files
    from magnum.common.x509 import operations as x509
    from magnum.drivers.heat.kubernetes import pki
    from magnum.drivers.heat.kubernetes import probe
    from magnum.tests.functional import kubernetes_api_standin as standin
    pem = x509.certificate_to_pem
    module = standin.shared()
    started = []

    def start(nodes, user=('admin', 'system:masters')):
        ca, ca_key = x509.generate_ca_certificate('cluster-ca')
        server, server_key = x509.generate_server_certificate(
            ca, ca_key, 'kube-apiserver', dns_names=pki.SERVICE_DNS_NAMES)
        client, client_key = x509.generate_client_certificate(
            ca, ca_key, user[0], organization=user[1])
        api = module.APIServer(module.server_context(
            pem(ca), pem(server), x509.private_key_to_pem(server_key)),
            module.NodeStore(nodes, grace=0)).start()
        started.append(api.stop)
        files = secret_files.PrivateFiles({
            'ca.crt': pem(ca), 'client.crt': pem(client),
            'client.key': x509.private_key_to_pem(client_key)})
        started.append(files.close)
        made = probe._client('https://127.0.0.1:%d' % api.port, files)
        started.append(made.close)
        return api, made, module

    yield start
    for stop in reversed(started):
        stop()
