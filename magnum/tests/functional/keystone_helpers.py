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

"""Shared by the Keystone-mode functional tests: a Magnum deployment with
auth_strategy = keystone on the cloud-in-a-box, and plain HTTP calls to
it with keystoneauth sessions."""

import uuid

import docker

from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

LATEST = {'OpenStack-API-Version': 'container-infra latest'}


def start_deployment(cloud, db_url, directory, docker_host, config=None):
    """magnum-api and a conductor validating tokens with the cloud."""
    rabbit = processes.require_rabbitmq()
    settings = cloud.magnum_settings()
    # The tests' projects may have local clusters (what a project not
    # listed gets is test_keystone_local_driver.py's).
    settings['local_driver'] = {
        'docker_host': docker_host,
        'allowed_projects': ','.join(
            project['id'] for project in cloud.projects.values())}
    for section, options in (config or {}).items():
        settings.setdefault(section, {}).update(options)
    magnum = services.Deployment(directory, db_url, rabbit, config=settings)
    magnum.start_or_explain()
    return magnum


class Caller:
    """One user calling one deployment over HTTP with a Keystone token."""

    def __init__(self, cloud, deployment, user, name=None):
        self.cloud = cloud
        self.deployment = deployment
        self.user = user
        self.name = name or user['username']
        self.session = cloud.session(user)

    def request(self, method, path, json=None, headers=None, token=None):
        all_headers = dict(LATEST)
        all_headers.update(headers or {})
        kwargs = {'headers': all_headers, 'raise_exc': False,
                  'authenticated': token is None}
        if token is not None:
            all_headers['X-Auth-Token'] = token
        if json is not None:
            kwargs['json'] = json
        return self.session.request(self.deployment.url + path, method,
                                    **kwargs)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, json, **kwargs):
        return self.request('POST', path, json=json, **kwargs)

    def patch(self, path, ops, **kwargs):
        return self.request('PATCH', path, json=ops, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('DELETE', path, **kwargs)

    def token(self):
        return self.session.get_token()


def unique(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


def template_body(name, **fields):
    body = {'name': name, 'coe': 'swarm-mode', 'server_type': 'container',
            'image_id': NO_NODE_IMAGE, 'driver': 'local_swarm',
            'external_network_id': 'host', 'network_driver': 'docker'}
    body.update(fields)
    return body


def expect(reply, status, what=''):
    """Assert reply's status, showing its body when it differs."""
    assert reply.status_code == status, '%s: %s %s -> %d %s' % (
        what, reply.request.method, reply.request.url, reply.status_code,
        reply.text[:800])
    return reply


def error_title(reply):
    """The message of an OpenStack error body of either shape: Magnum's
    {"errors": [...]} or keystonemiddleware's {"error": {...}}."""
    body = reply.json()
    if 'errors' in body:
        return body['errors'][0]['title']
    return body['error']['title']


# A node image that cannot become a node (only the host's sleep in it):
# templates accept it, and clusters made from it fail fast, which is all
# the authorization tests need of them (rows in CREATE_FAILED).
NO_NODE_IMAGE = 'magnum-test/no-node:1'


def engine_with_no_node_image():
    """DOCKER_HOST of the private engine, with NO_NODE_IMAGE imported."""
    url = docker_engine.engine_url(with_node_image=False)
    client = docker.DockerClient(base_url=url, timeout=60)
    try:
        repository, tag = NO_NODE_IMAGE.rsplit(':', 1)
        client.api.import_image_from_data(docker_engine.sleep_image(),
                                          repository=repository, tag=tag)
    finally:
        client.close()
    return url
