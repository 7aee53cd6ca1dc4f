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

"""What the drivers read of a cluster's Kubernetes API: whether it
answers and how many nodes are Ready, with Magnum's client certificate
(CN=admin, O=system:masters) and the cluster CA."""

import contextlib

import requests

from magnum.common import certificates
from magnum.common import secret_files

UNREACHABLE = (requests.RequestException, OSError)


@contextlib.contextmanager
def cluster_tls(context, cluster):
    """(CA file, (cert file, key file)) of Magnum's client certificate, in
    a private directory (magnum.common.secret_files) removed afterwards."""
    ca = certificates.get_ca_certificate(context, cluster)
    cert, key = certificates.get_cluster_magnum_cert(context, cluster)
    with secret_files.PrivateFiles(
            {'ca.crt': ca, 'client.crt': cert, 'client.key': key},
            prefix='k8s-%s-' % cluster.uuid[:8]) as files:
        yield files.path('ca.crt'), (files.path('client.crt'),
                                     files.path('client.key'))


def is_ready(node):
    for condition in node.get('status', {}).get('conditions', []):
        if condition.get('type') == 'Ready':
            return condition.get('status') == 'True'
    return False


def ready_nodes(api_address, tls, timeout):
    """(healthz answer, [names of Ready nodes]) of the API at
    ``api_address`` (https://host:port)."""
    ca, client = tls
    with requests.Session() as session:
        session.verify = ca
        session.cert = client
        health = session.get(api_address + '/readyz', timeout=timeout)
        health.raise_for_status()
        nodes = session.get(api_address + '/api/v1/nodes', timeout=timeout)
        nodes.raise_for_status()
    return health.text.strip(), [
        node['metadata']['name'] for node in nodes.json().get('items', [])
        if is_ready(node)]
