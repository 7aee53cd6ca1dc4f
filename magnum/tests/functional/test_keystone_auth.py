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

"""auth_strategy = keystone against the real Keystone of the
cloud-in-a-box: keystonemiddleware validates real tokens; revoked and
expired tokens are refused and new ones work; python-magnumclient (the
``openstack coe`` CLI and its Python client) and openstacksdk find Magnum
through the catalog; Keystone being down gives 503, never 500.

The deployment validates tokens with a Keystone process of this module
(on the cloud's database and keys, so it knows the cloud's users and
tokens) that the outage test stops and starts again: the cloud's own
Keystone, which other test runs may be using, is never stopped.
"""

import json
import os
import subprocess
import sys
import time

from magnumclient import client as magnum_client
from magnumclient import exceptions as magnum_exceptions
import openstack
import pytest
import requests

from magnum.tests.functional import keystone_helpers as kh
from magnum.tests.functional import services

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
# keystonemiddleware's cache of validated tokens in each API process: a
# revoked token keeps working until its entry ends.
TOKEN_CACHE_TIME = 3
SHORT_TOKEN_LIFETIME = 10


@pytest.fixture(scope='module')
def keystone(cloud, tmp_path_factory):
    process = cloud.keystone_process(tmp_path_factory.mktemp('keystone'),
                                     services.free_port())
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope='module')
def keystone_region(cloud, keystone):
    """keystonemiddleware validates tokens at the identity endpoint the
    catalog gives for its region_name: a region of this module's whose
    identity endpoints are the module's Keystone."""
    with cloud.region_of_own({'identity': keystone.url + '/v3'}) as name:
        yield name


@pytest.fixture(scope='module')
def deployment(cloud, keystone, keystone_region, migrated_db_url,
               tmp_path_factory):
    docker_host = kh.engine_with_no_node_image()
    magnum = kh.start_deployment(
        cloud, migrated_db_url, tmp_path_factory.mktemp('magnum'),
        docker_host, config={'keystone_authtoken': {
            'www_authenticate_uri': keystone.url,
            'auth_url': keystone.url,
            'region_name': keystone_region,
            'token_cache_time': TOKEN_CACHE_TIME}})
    yield magnum
    magnum.stop()


@pytest.fixture
def member(cloud, deployment):
    return kh.Caller(cloud, deployment, cloud.projects['a']['users']['member'])


def _bare(deployment, path, headers=None):
    """A request with no Keystone session at all."""
    return requests.get(deployment.url + path, headers=headers or {},
                        timeout=30)


@pytest.mark.parametrize('path', ['/', '/v1', '/v1/'])
def test_public_routes_need_no_token(deployment, path):
    reply = _bare(deployment, path)
    kh.expect(reply, 200)
    assert 'versions' in reply.json() or 'clusters' in reply.json()


@pytest.mark.parametrize('path', ['/v1/clusters', '/v1/clustertemplates',
                                  '/v1/mservices', '/v1/stats',
                                  '/v1/quotas', '/v1/federations'])
def test_no_token_is_401(deployment, keystone, path):
    reply = _bare(deployment, path, {'Accept': 'application/json'})
    kh.expect(reply, 401)
    assert reply.json()['error']['code'] == 401
    assert kh.error_title(reply) == 'Unauthorized'
    assert reply.headers['WWW-Authenticate'] == \
        'Keystone uri="%s"' % keystone.url


def test_bad_token_is_401(member):
    good = member.token()
    for token in ('not-a-token', good[:-4] + 'AAAA', good[::-1]):
        reply = member.get('/v1/clustertemplates', token=token)
        kh.expect(reply, 401, token)
        assert kh.error_title(reply) == 'Unauthorized'
    kh.expect(member.get('/v1/clustertemplates', token=good), 200)


def test_the_token_says_who_calls(cloud, member):
    reply = kh.expect(member.post('/v1/clustertemplates', kh.template_body(
        kh.unique('who'))), 201)
    template = reply.json()
    try:
        assert template['project_id'] == cloud.projects['a']['id']
        assert template['user_id'] == member.user['user_id']
    finally:
        kh.expect(member.delete('/v1/clustertemplates/%s' %
                                template['uuid']), 204)


def test_revoked_token_is_refused_then_a_new_one_works(cloud, keystone,
                                                        member):
    token = member.token()
    kh.expect(member.get('/v1/clustertemplates', token=token), 200)
    # Revoked at the Keystone the API asks, so that no cache of Keystone's
    # own still holds the token as valid.
    admin = cloud.session(cloud.admin, keystone.url + '/v3')
    admin.delete(keystone.url + '/v3/auth/tokens',
                 headers={'X-Subject-Token': token})
    revoked = time.monotonic()
    while True:
        reply = member.get('/v1/clustertemplates', token=token)
        if reply.status_code == 401:
            break
        kh.expect(reply, 200)
        # Accepted from keystonemiddleware's cache at most that long.
        assert time.monotonic() - revoked < TOKEN_CACHE_TIME + 3, \
            'the revoked token is still accepted'
        time.sleep(0.5)
    assert kh.error_title(reply) == 'Unauthorized'
    member.session.invalidate()
    assert member.token() != token
    kh.expect(member.get('/v1/clustertemplates'), 200)


def test_expired_token_is_refused_then_a_new_one_works(
        cloud, deployment, tmp_path):
    # A Keystone that issues short-lived tokens; the API still validates
    # with the module's Keystone (same keys, same database).
    short = cloud.keystone_process(
        tmp_path, services.free_port(),
        config={'token': {'expiration': SHORT_TOKEN_LIFETIME}})
    short.start()
    try:
        user = cloud.projects['b']['users']['reader']
        caller = kh.Caller(cloud, deployment, user)
        caller.session = cloud.session(user, short.url + '/v3')
        token = caller.token()
        issued = time.monotonic()
        kh.expect(caller.get('/v1/clusters', token=token), 200)
        while time.monotonic() - issued < SHORT_TOKEN_LIFETIME + 2:
            time.sleep(1)
        reply = caller.get('/v1/clusters', token=token)
        kh.expect(reply, 401)
        assert kh.error_title(reply) == 'Unauthorized'
        caller.session.invalidate()
        kh.expect(caller.get('/v1/clusters', token=caller.token()), 200)
    finally:
        short.stop()


@pytest.fixture(scope='module')
def region(cloud, deployment):
    with cloud.magnum_region(deployment.url) as name:
        yield name


def test_magnumclient_through_the_catalog(cloud, region):
    member = cloud.projects['a']['users']['member']
    reader = cloud.projects['a']['users']['reader']
    client = magnum_client.Client('1', session=cloud.session(member),
                                  region_name=region)
    name = kh.unique('mc')
    made = client.cluster_templates.create(**kh.template_body(name))
    try:
        assert made.project_id == cloud.projects['a']['id']
        assert name in [t.name for t in client.cluster_templates.list()]
        assert client.cluster_templates.get(name).uuid == made.uuid
        reading = magnum_client.Client('1', session=cloud.session(reader),
                                       region_name=region)
        assert reading.cluster_templates.get(made.uuid).name == name
        with pytest.raises(magnum_exceptions.Forbidden,
                           match="Policy doesn't allow "
                                 "clustertemplate:delete"):
            reading.cluster_templates.delete(made.uuid)
        other = magnum_client.Client(
            '1', session=cloud.session(cloud.projects['b']['users'][
                'member']), region_name=region)
        with pytest.raises(magnum_exceptions.NotFound):
            other.cluster_templates.get(made.uuid)
    finally:
        client.cluster_templates.delete(made.uuid)


def test_openstacksdk_through_the_catalog(cloud, region):
    member = cloud.projects['b']['users']['member']
    auth = {key: member[key] for key in (
        'auth_url', 'username', 'password', 'project_name',
        'user_domain_name', 'project_domain_name')}
    conn = openstack.connect(auth=auth, region_name=region,
                             load_yaml_config=False, load_envvars=False)
    proxy = conn.container_infrastructure_management
    name = kh.unique('sdk')
    made = proxy.create_cluster_template(**kh.template_body(name))
    try:
        assert proxy.get_cluster_template(made.id).name == name
        assert name in [t.name for t in proxy.cluster_templates()]
    finally:
        proxy.delete_cluster_template(made.id)
    with pytest.raises(openstack.exceptions.NotFoundException):
        proxy.get_cluster_template(made.id)


def _coe(cloud, user, region, *args):
    return subprocess.run([OPENSTACK, 'coe'] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=120,
                          env=cloud.client_env(user, region))


def test_openstack_coe_cli_with_password_auth(cloud, region):
    """A handful of CLI calls (each costs seconds of start-up)."""
    member = cloud.projects['a']['users']['member']
    reader = cloud.projects['a']['users']['reader']
    name = kh.unique('cli')
    made = _coe(cloud, member, region, 'cluster', 'template', 'create',
                name, '--coe', 'swarm-mode', '--server-type', 'container',
                '--image', kh.NO_NODE_IMAGE, '--driver', 'local_swarm',
                '--external-network', 'host', '--network-driver', 'docker')
    assert made.returncode == 0, made.stderr
    try:
        shown = _coe(cloud, reader, region, 'cluster', 'template', 'show',
                     name, '-f', 'json')
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)['project_id'] == \
            cloud.projects['a']['id']
        refused = _coe(cloud, reader, region, 'cluster', 'template',
                       'delete', name)
        assert "Policy doesn't allow clustertemplate:delete" in \
            refused.stdout + refused.stderr
    finally:
        deleted = _coe(cloud, member, region, 'cluster', 'template',
                       'delete', name)
        assert deleted.returncode == 0, deleted.stderr
        assert 'Request to delete cluster template %s has been accepted' \
            % name in deleted.stdout + deleted.stderr


def test_keystone_down_is_503_then_calls_work_again(cloud, keystone,
                                                    deployment):
    admin = kh.Caller(cloud, deployment, cloud.projects['a']['users'][
        'admin'])
    reader = kh.Caller(cloud, deployment, cloud.projects['b']['users'][
        'reader'])
    # A token the API validated a moment ago (still in its cache) gets
    # past the middleware; asking Keystone about a project then fails.
    cached = admin.token()
    kh.expect(admin.get('/v1/clusters', token=cached), 200)
    keystone.stop()
    try:
        # A token the API has not seen must be validated: it cannot be.
        fresh = reader.token()
        reply = reader.get('/v1/clusters', token=fresh)
        kh.expect(reply, 503)
        assert 'Keystone' in json.dumps(reply.json())
        reply = admin.post('/v1/quotas', {
            'project_id': cloud.projects['b']['id'], 'resource': 'Cluster',
            'hard_limit': 3}, token=cached)
        kh.expect(reply, 503)
        error = reply.json()['errors'][0]
        assert error['status'] == 503 and error['code'] == 'server'
        assert 'Keystone' in error['title']
    finally:
        keystone.start()
    kh.expect(reader.get('/v1/clusters', token=fresh), 200)
    reply = admin.post('/v1/quotas', {
        'project_id': cloud.projects['b']['id'], 'resource': 'Cluster',
        'hard_limit': 3})
    kh.expect(reply, 201)
    kh.expect(admin.delete('/v1/quotas/%s/Cluster' %
                           cloud.projects['b']['id']), 204)
