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

"""A swarm's Docker API over mutual TLS, as Magnum reads it from outside.

Shared by the drivers whose clusters are Docker swarms (local_swarm,
swarm_vm): Magnum authenticates with the cluster's client certificate
(CN=admin, signed by the cluster CA) and trusts only the cluster CA, the
same credentials ``openstack coe cluster config`` hands to users.
"""

import contextlib

import docker
import docker.errors
import docker.tls
import requests.exceptions

from magnum.common import secret_files
from magnum.i18n import _

# Any version will do to ask the server which one it speaks.
MIN_API_VERSION = '1.24'

# What a client may raise when the API is not (yet) there.
UNREACHABLE = (docker.errors.DockerException,
               requests.exceptions.RequestException, OSError)


class TLSFiles:
    """The cluster CA and Magnum's client certificate as files (the
    docker SDK wants paths), written by magnum.common.secret_files to a
    private directory of their own and removed on close."""

    def __init__(self, ca, cert, key):
        self._files = secret_files.PrivateFiles(
            {'ca.crt': ca, 'client.crt': cert, 'client.key': key},
            prefix='swarm-')
        self.directory = self._files.directory
        self.ca = self._files.path('ca.crt')
        self.cert = self._files.path('client.crt')
        self.key = self._files.path('client.key')

    def tls(self):
        return docker.tls.TLSConfig(ca_cert=self.ca, verify=True,
                                    client_cert=(self.cert, self.key))

    def close(self):
        self._files.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


@contextlib.contextmanager
def cluster_tls(context, cluster):
    """TLSFiles of the cluster's CA and Magnum's client certificate."""
    # Here, not at import: magnum-api loads drivers without the
    # cryptography bindings certificates brings.
    from magnum.common import certificates
    ca = certificates.get_ca_certificate(context, cluster)
    cert, key = certificates.get_cluster_magnum_cert(context, cluster)
    with TLSFiles(ca, cert, key) as files:
        yield files


def _client(base_url, tls, version, timeout):
    made = docker.DockerClient(base_url=base_url, tls=tls.tls(),
                               version=version, timeout=timeout)
    # REQUESTS_CA_BUNDLE would replace the cluster CA and HTTPS_PROXY
    # divert the connection: neither is wanted.
    made.api.trust_env = False
    return made


def client(base_url, tls, timeout):
    """A docker client of ``base_url`` (tcp://host:port) speaking the
    server's API version; connects at once: raises when it cannot."""
    probe = _client(base_url, tls, MIN_API_VERSION, timeout)
    try:
        version = probe.api.version(api_version=False)['ApiVersion']
    except KeyError:
        raise docker.errors.DockerException(
            _('%s answered /version without ApiVersion') % base_url
        ) from None
    finally:
        probe.close()
    return _client(base_url, tls, version, timeout)


def describe_node(swarm_node):
    """The facts of a swarm node drivers use, as a dict."""
    attrs = swarm_node.attrs if hasattr(swarm_node, 'attrs') else swarm_node
    spec = attrs.get('Spec') or {}
    status = attrs.get('Status') or {}
    manager = attrs.get('ManagerStatus') or {}
    return {
        'id': attrs.get('ID'),
        'hostname': (attrs.get('Description') or {}).get('Hostname'),
        'role': spec.get('Role'),
        'availability': spec.get('Availability'),
        'labels': spec.get('Labels') or {},
        'state': status.get('State'),
        'address': status.get('Addr'),
        'reachability': manager.get('Reachability'),
        'leader': bool(manager.get('Leader')),
        'version': (attrs.get('Version') or {}).get('Index'),
        'engine': ((attrs.get('Description') or {}).get('Engine') or
                   {}).get('EngineVersion'),
    }


def list_nodes(manager):
    return [describe_node(n) for n in manager.nodes.list()]


def is_ready(swarm_node):
    if swarm_node['state'] != 'ready':
        return False
    if swarm_node['role'] == 'manager':
        return swarm_node['reachability'] == 'reachable'
    return True
