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

"""Magnum's nodes and containers (API 1.16) with openstacksdk.

openstacksdk has no resource classes for them: its
``container_infrastructure_management`` proxy is a keystoneauth adapter
of Magnum's endpoint (found in the catalog), whose ``get``, ``post`` and
``delete`` take a path under ``/v1`` and a ``microversion``, sent as
``OpenStack-API-Version: container-infrastructure-management 1.16``.
``openstack.exceptions.raise_from_response`` turns an error answer into
the SDK's exceptions (``NotFoundException`` for a 404, ...).

magnum/tests/functional/test_containers.py runs every function here
against a live Magnum.
"""

from openstack import exceptions

MICROVERSION = '1.16'


def _answer(response):
    exceptions.raise_from_response(response)
    return response.json() if response.content else None


def list_nodes(conn, cluster):
    """The machines of a cluster (uuid or name)."""
    magnum = conn.container_infrastructure_management
    return _answer(magnum.get('/clusters/%s/nodes' % cluster,
                              microversion=MICROVERSION))['nodes']


def load_image(conn, cluster, path):
    """Import the image tarball at path (``docker save -o path``) into
    every node of the cluster (admins); the file is streamed."""
    magnum = conn.container_infrastructure_management
    with open(path, 'rb') as tarball:
        return _answer(magnum.post(
            '/clusters/%s/actions/load_image' % cluster, data=tarball,
            headers={'Content-Type': 'application/x-tar'},
            microversion=MICROVERSION))['nodes']


def create_container(conn, cluster, image, **fields):
    """Run a container (name, command, memory, cpu, environment, labels,
    ports, restart_policy in fields) on a node of the cluster."""
    magnum = conn.container_infrastructure_management
    body = dict(fields, cluster=cluster, image=image)
    return _answer(magnum.post('/containers', json=body,
                               microversion=MICROVERSION))


def list_containers(conn, cluster=None):
    magnum = conn.container_infrastructure_management
    path = '/containers' + ('?cluster=%s' % cluster if cluster else '')
    return _answer(magnum.get(path,
                              microversion=MICROVERSION))['containers']


def get_container(conn, container):
    """The container (uuid or name) as its node shows it now."""
    magnum = conn.container_infrastructure_management
    return _answer(magnum.get('/containers/%s' % container,
                              microversion=MICROVERSION))


def container_action(conn, container, action):
    """start, stop, restart, pause or unpause; the container after."""
    magnum = conn.container_infrastructure_management
    return _answer(magnum.post('/containers/%s/%s' % (container, action),
                               microversion=MICROVERSION))


def container_logs(conn, container, tail=100):
    magnum = conn.container_infrastructure_management
    return _answer(magnum.get('/containers/%s/logs?tail=%d' % (
        container, tail), microversion=MICROVERSION))['output']


def execute(conn, container, command):
    """Run command (a list, or a string split as a shell would) in the
    container: {"exit_code": ..., "output": ...}."""
    magnum = conn.container_infrastructure_management
    return _answer(magnum.post('/containers/%s/execute' % container,
                               json={'command': command},
                               microversion=MICROVERSION))


def delete_container(conn, container, force=False):
    magnum = conn.container_infrastructure_management
    _answer(magnum.delete('/containers/%s%s' % (
        container, '?force=true' if force else ''),
        microversion=MICROVERSION))
