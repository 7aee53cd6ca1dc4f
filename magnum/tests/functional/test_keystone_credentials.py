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

"""Per-cluster application credentials against a real Keystone (the
cloud-in-a-box), a real Magnum (API and conductor on RabbitMQ and MariaDB,
auth_strategy = keystone) and a real cluster of the swarm_vm Heat driver
on the cloud-in-a-box's Heat (a driver that uses the cloud: the local
driver's clusters get no credential, test_keystone_local_driver.py).

The tests run in file order on one cluster of project A:

- a-member creates it; Keystone then holds an application credential of
  a-member with only the member role and the configured expiry, and the
  secret Magnum stored (decrypted here with Magnum's own code from the
  test's database) authenticates; no API answer shows any of it;
- a-member rotates it: the old credential is gone from Keystone and no
  longer authenticates, the new one does;
- a-admin, another user of the project, deletes the cluster: the
  credential goes with it (deleted by Magnum's service user);
- a cluster asked for with an application-credential token (which
  Keystone does not let create further credentials) ends CREATE_FAILED
  with Keystone's answer in its status reason.

Needs the cloud-in-a-box (``cloud`` fixture), RabbitMQ, and the private
Docker engine with the node image (root); without them the tests skip,
under CI=true they fail.
"""

import datetime
import random
import time
import types
import uuid

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from oslo_db.sqlalchemy import engines
import pytest
import sqlalchemy as sa

from magnum.common import keystone
from magnum.conductor import cluster_credentials
from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services

LATEST = 'container-infra latest'
LIFETIME_DAYS = 40
WARNING_DAYS = 10
# The test run's key: every conductor on the shared database holds it.
ENCRYPTION_KEY = processes.SESSION_ENCRYPTION_KEY
CLUSTER_TIMEOUT = 240


# -- fixtures -----------------------------------------------------------------


@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, docker_host, tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    config = {section: dict(options)
              for section, options in cloud.magnum_settings().items()}
    for section, options in {
            # No Glance, Nova or Neutron to look names up in here.
            'cloud_validation': {'enabled': 'false'},
            'certificates': {'encryption_key': ENCRYPTION_KEY},
            'cluster_credentials': {'lifetime_days': LIFETIME_DAYS,
                                    'expiry_warning_days': WARNING_DAYS,
                                    'roles': 'member'}}.items():
        config.setdefault(section, {}).update(options)
    magnum = services.Deployment(
        tmp_path_factory.mktemp('magnum-keystone-credentials'),
        migrated_db_url, rabbit, config=config)
    magnum.start_or_explain()
    try:
        yield magnum
    finally:
        magnum.stop()


@pytest.fixture(scope='module')
def project(cloud):
    return cloud.projects['a']


@pytest.fixture(scope='module')
def admin(cloud):
    """Keystone's administrator: sees every user's credentials."""
    return cloud.session(cloud.admin)


@pytest.fixture(scope='module')
def state(cloud, deployment, project, admin):
    """What the tests made; whatever is left of it at the end is removed
    (clusters through the API, so their containers and credentials go
    too), and any credential of the module's clusters still in Keystone is
    a failure."""
    made = {'clusters': []}
    yield made
    magnum = as_user(cloud, deployment, project, 'admin')
    problems = []
    for cluster_uuid in made['clusters']:
        if magnum.call('GET', '/clusters/%s' % cluster_uuid) \
                .status_code == 404:
            continue
        magnum.call('DELETE', '/clusters/%s' % cluster_uuid)
        status, _response = wait_for(magnum, cluster_uuid,
                                     ('GONE', 'DELETE_FAILED'))
        if status != 'GONE':
            problems.append('cluster %s: %s' % (cluster_uuid, status))
    if made.get('template'):
        magnum.call('DELETE', '/clustertemplates/%s' % made['template'])
    member_id = project['users']['member']['user_id']
    for credential in credentials_in_keystone(admin, cloud, member_id):
        if any(credential['name'].startswith('magnum-cluster-%s-' % c)
               for c in made['clusters']):
            problems.append('credential %s left' % credential['name'])
            admin.delete('%s/users/%s/application_credentials/%s' % (
                keystone.identity_root(cloud.auth_url) + '/v3', member_id,
                credential['id']), raise_exc=False)
    assert not problems, '%s\n%s' % (problems, deployment.logs())


@pytest.fixture(scope='module')
def database(migrated_db_url):
    engine = engines.create_engine(
        sqlalchemy_api.database_url(migrated_db_url))
    yield engine
    engine.dispose()


class Magnum:
    """The Magnum API of the deployment, as one Keystone user."""

    def __init__(self, deployment, session):
        self.url = deployment.url + '/v1'
        self.session = session

    def call(self, method, path, body=None, status=None):
        kwargs = {'json': body} if body is not None else {}
        # connect_retries: gunicorn closes idle keep-alive connections,
        # and a request sent on one just as it closes never arrived.
        response = self.session.request(
            self.url + path, method, raise_exc=False, connect_retries=2,
            headers={'OpenStack-API-Version': LATEST,
                     'Content-Type': 'application/json'}, **kwargs)
        if status is not None:
            assert response.status_code == status, (
                method, path, response.status_code, response.text)
        return response


def as_user(cloud, deployment, project, role):
    return Magnum(deployment, cloud.session(project['users'][role]))


def wait_for(magnum, uuid_, statuses, timeout=CLUSTER_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        response = magnum.call('GET', '/clusters/%s' % uuid_)
        if response.status_code == 404 and 'GONE' in statuses:
            return 'GONE', response
        if response.status_code == 200 and \
                response.json()['status'] in statuses:
            return response.json()['status'], response
        if time.monotonic() > deadline:
            raise AssertionError('cluster %s did not reach %s: %s' % (
                uuid_, statuses, response.text))
        time.sleep(2)


def stored_credential(database, cluster_uuid):
    with database.connect() as connection:
        row = connection.execute(sa.text(
            'SELECT uuid, application_credential_id, '
            'application_credential_secret, application_credential_user_id,'
            ' application_credential_expires_at FROM cluster WHERE uuid = '
            ':uuid'), {'uuid': cluster_uuid}).one()
    return types.SimpleNamespace(**row._mapping)


def decrypted_secret(magnum_config, row):
    """The secret as Magnum's conductors read it."""
    magnum_config.config(group='certificates',
                         encryption_key=ENCRYPTION_KEY)
    return cluster_credentials.secret_of(row)


def credentials_in_keystone(admin, cloud, user_id):
    response = admin.get('%s/users/%s/application_credentials' % (
        keystone.identity_root(cloud.auth_url) + '/v3', user_id))
    return response.json()['application_credentials']


def authenticates(cloud, credential_id, secret):
    session = ks_session.Session(auth=v3.ApplicationCredential(
        auth_url=keystone.identity_root(cloud.auth_url) + '/v3',
        application_credential_id=credential_id,
        application_credential_secret=secret))
    try:
        return session.auth.get_access(session)
    except (ks_exceptions.Unauthorized, ks_exceptions.NotFound):
        # Keystone answers 404 for a credential it no longer has.
        return None


def shows_nothing_of(text, row, secret):
    return (row.application_credential_id not in text and
            secret not in text and
            row.application_credential_secret not in text and
            'application_credential' not in text)


# -- the tests ----------------------------------------------------------------

def test_create_gives_the_cluster_a_restricted_expiring_credential(
        cloud, deployment, project, admin, database, state, magnum_config):
    member = as_user(cloud, deployment, project, 'member')
    template = member.call('POST', '/clustertemplates', {
        'name': 'ks-ct', 'coe': 'swarm-mode', 'server_type': 'vm',
        'cluster_distro': 'debian', 'image_id': docker_engine.IMAGE,
        'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small',
        'master_lb_enabled': False, 'floating_ip_enabled': False,
        'labels': {'fixed_subnet_cidr': '10.%d.%d.0/24' % (
            random.randint(160, 250), random.randint(0, 255))}},
        status=201).json()
    state['template'] = template['uuid']
    created = member.call('POST', '/clusters', {
        'name': 'ks-cluster', 'cluster_template_id': template['uuid'],
        'master_count': 1, 'node_count': 1}, status=202).json()
    state['cluster'] = cluster_uuid = created['uuid']
    state['clusters'].append(cluster_uuid)
    status, response = wait_for(member, cluster_uuid,
                                ('CREATE_COMPLETE', 'CREATE_FAILED'))
    assert status == 'CREATE_COMPLETE', response.text

    member_id = project['users']['member']['user_id']
    row = stored_credential(database, cluster_uuid)
    assert row.application_credential_user_id == member_id
    [credential] = [c for c in credentials_in_keystone(admin, cloud,
                                                       member_id)
                    if c['name'].startswith('magnum-cluster-%s-' %
                                            cluster_uuid)]
    assert credential['id'] == row.application_credential_id
    assert credential['project_id'] == project['id']
    # Only member, and the roles Keystone says it implies: no admin.
    roles = sorted(role['name'] for role in credential['roles'])
    assert roles == ['member', 'reader']
    assert credential['unrestricted'] is False
    expires_at = keystone.parse_expiry(credential['expires_at'])
    lifetime = expires_at - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=LIFETIME_DAYS - 1) < lifetime <= \
        datetime.timedelta(days=LIFETIME_DAYS)

    # What Magnum stored is sealed, and opens to a working secret.
    assert row.application_credential_secret.startswith(
        'magnum-aes256gcm-v1:')
    secret = decrypted_secret(magnum_config, row)
    access = authenticates(cloud, row.application_credential_id, secret)
    assert access is not None
    assert (access.user_id, access.project_id,
            sorted(access.role_names)) == (member_id, project['id'], roles)
    state['first'] = (row.application_credential_id, secret)

    # No answer of the API shows any of it.
    for path in ('/clusters', '/clusters/detail',
                 '/clusters/%s' % cluster_uuid):
        text = member.call('GET', path, status=200).text
        assert cluster_uuid in text
        assert shows_nothing_of(text, row, secret), path
    condition = {c['type']: c for c in response.json()['conditions']}[
        'CredentialsValid']
    assert condition['status'] == 'True'
    assert expires_at.strftime('%Y-%m-%d') in condition['message']
    logged = deployment.logs(tail=None)
    assert row.application_credential_id in logged  # the id may be logged
    assert secret not in logged


def test_rotation_replaces_the_credential(cloud, deployment, project, admin,
                                          database, state, magnum_config):
    cluster_uuid = state['cluster']
    old_id, old_secret = state['first']
    member = as_user(cloud, deployment, project, 'member')
    response = member.call('PATCH', '/credentials/%s' % cluster_uuid,
                           status=202)
    assert response.json() == {'uuid': cluster_uuid}

    row = stored_credential(database, cluster_uuid)
    assert row.application_credential_id != old_id
    secret = decrypted_secret(magnum_config, row)
    assert authenticates(cloud, row.application_credential_id, secret)
    assert authenticates(cloud, old_id, old_secret) is None
    member_id = project['users']['member']['user_id']
    ids = [c['id'] for c in credentials_in_keystone(admin, cloud, member_id)
           if c['name'].startswith('magnum-cluster-%s-' % cluster_uuid)]
    assert ids == [row.application_credential_id]
    text = member.call('GET', '/clusters/%s' % cluster_uuid,
                       status=200).text
    assert shows_nothing_of(text, row, secret)
    assert secret not in deployment.logs(tail=None)
    state['second'] = (row.application_credential_id, secret)


def test_a_reader_cannot_rotate(cloud, deployment, project, database,
                                state):
    reader = as_user(cloud, deployment, project, 'reader')
    reader.call('PATCH', '/credentials/%s' % state['cluster'], status=403)
    assert stored_credential(database, state['cluster']) \
        .application_credential_id == state['second'][0]


def test_another_user_deleting_the_cluster_deletes_the_credential(
        cloud, deployment, project, admin, state):
    cluster_uuid = state['cluster']
    credential_id, secret = state['second']
    other = as_user(cloud, deployment, project, 'admin')
    other.call('DELETE', '/clusters/%s' % cluster_uuid, status=204)
    status, response = wait_for(other, cluster_uuid,
                                ('GONE', 'DELETE_FAILED'))
    assert status == 'GONE', response.text
    member_id = project['users']['member']['user_id']
    assert [c for c in credentials_in_keystone(admin, cloud, member_id)
            if c['name'].startswith('magnum-cluster-%s-' % cluster_uuid)] \
        == []
    assert authenticates(cloud, credential_id, secret) is None


def test_keystone_refusing_fails_the_create_with_its_answer(
        cloud, deployment, project, admin, database, state):
    """A token of an application credential may not create others: the
    conductor's request is refused, and the cluster says why."""
    member_user = project['users']['member']
    member_session = cloud.session(member_user)
    identity = keystone.identity_root(cloud.auth_url) + '/v3'
    made = keystone.create_application_credential(
        member_session, identity, member_user['user_id'],
        'ks-test-%s' % uuid.uuid4().hex[:8], 'a test login',
        roles=['member'])
    try:
        login = ks_session.Session(auth=v3.ApplicationCredential(
            auth_url=identity, application_credential_id=made['id'],
            application_credential_secret=made['secret']))
        magnum = Magnum(deployment, login)
        created = magnum.call('POST', '/clusters', {
            'name': 'ks-refused', 'cluster_template_id': state['template'],
            'master_count': 1, 'node_count': 1}, status=202).json()
        state['clusters'].append(created['uuid'])
        status, response = wait_for(magnum, created['uuid'],
                                    ('CREATE_FAILED', 'CREATE_COMPLETE'),
                                    timeout=60)
        reason = response.json()['status_reason']
        assert status == 'CREATE_FAILED', reason
        assert reason.startswith(
            "Create failed while creating the cluster's application "
            "credential in Keystone: Keystone could not create application "
            "credential magnum-cluster-%s-" % created['uuid']), reason
        # Keystone's own words.
        assert "Using method 'application_credential' is not allowed for " \
            "managing additional application credentials." in reason
        assert '(HTTP 403)' in reason
        assert stored_credential(database, created['uuid']) \
            .application_credential_id is None
        magnum.call('DELETE', '/clusters/%s' % created['uuid'], status=204)
        status, response = wait_for(magnum, created['uuid'],
                                    ('GONE', 'DELETE_FAILED'), timeout=120)
        assert status == 'GONE', response.text
    finally:
        keystone.delete_application_credential(
            member_session, identity, member_user['user_id'], made['id'])
    member = as_user(cloud, deployment, project, 'member')
    member.call('DELETE', '/clustertemplates/%s' % state['template'],
                status=204)
    state['template'] = None
