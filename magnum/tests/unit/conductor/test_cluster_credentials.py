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

"""Each cluster's Keystone application credential: made at create, deleted
with the cluster, rotated on request, watched by CredentialsValid; its
secret sealed in the database and never shown, notified or logged.
Keystone answers through requests-mock (tests/unit/keystone_fake.py)."""

import base64
import datetime
import json
import logging

import pytest
import requests_mock
import sqlalchemy as sa

from magnum.common import conditions
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import keystone
from magnum.conductor import cluster_credentials
from magnum.conductor import reconcile
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers import credential_conductor
from magnum.tests import fake_driver
from magnum.tests.unit import keystone_fake
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload
from magnum.tests.unit.db import utils as db_utils

Driver = fake_driver.FakeDriver
PROJECT = db_utils.PROJECT_ID
ENCRYPTION_KEY = base64.b64encode(b'c' * 32).decode()


@pytest.fixture
def fake(magnum_config, dbapi, fake_drivers, notifier, monkeypatch):
    magnum_config.config(auth_strategy='keystone')
    magnum_config.config(group='keystone_authtoken',
                         www_authenticate_uri=keystone_fake.V3)
    magnum_config.config(group='certificates',
                         encryption_key=ENCRYPTION_KEY)
    keystone_fake.configure_service_user(magnum_config)
    # Certificates have their own tests; here they are not the point.
    monkeypatch.setattr(cluster_conductor.ClusterHandler,
                        'create_certificates',
                        lambda self, context, cluster: None)
    pushed = []
    monkeypatch.setattr(Driver, 'update_cloud_credential',
                        lambda self, context, cluster: pushed.append(
                            cluster.application_credential_id),
                        raising=False)
    with requests_mock.Mocker() as mocker:
        keystone_service = keystone_fake.FakeKeystone(mocker)
        keystone_service.pushed = pushed
        keystone_service.add_user('alice', PROJECT, ['member', 'reader'])
        keystone_service.add_user('bob', PROJECT, ['member', 'reader'])
        keystone_service.add_user('rita', PROJECT, ['reader'])
        yield keystone_service
    keystone_fake.forget_service_user(magnum_config.conf)


def context_of(fake, user_id, with_token_info=True):
    token, body = fake.issue(user_id)
    return magnum_context.make_context(
        auth_token=token, user_id=user_id, project_id=PROJECT,
        roles=fake.users[user_id]['roles'], auth_url=keystone_fake.URL,
        auth_token_info=body if with_token_info else None)


@pytest.fixture
def handler():
    return cluster_conductor.ClusterHandler('conductor-1')


def create(fake, dbapi, template, handler, user='alice'):
    cluster = make_cluster(dbapi, template, user_id=user)
    handler.cluster_create(context_of(fake, user), cluster, 60)
    return reload(cluster)


def dump_cluster_rows(dbapi):
    with dbapi.get_engine().connect() as connection:
        return [dict(row._mapping) for row in connection.execute(
            sa.text('SELECT * FROM cluster'))]


def soon(days):
    return datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=days)


# -- create -------------------------------------------------------------------

class TestCreate:

    def test_the_cluster_gets_a_restricted_expiring_credential(
            self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        assert cluster.status == 'CREATE_IN_PROGRESS'
        [credential] = fake.credentials_of('alice')
        assert credential['name'].startswith(
            'magnum-cluster-%s-' % cluster.uuid)
        assert cluster.uuid in credential['description']
        assert credential['project_id'] == PROJECT
        assert credential['roles'] == ['member']
        assert credential['unrestricted'] is False
        lifetime = credential['expires_at'] - datetime.datetime.utcnow()
        assert datetime.timedelta(days=364) < lifetime <= \
            datetime.timedelta(days=365)
        assert cluster.application_credential_id == credential['id']
        assert cluster.application_credential_user_id == 'alice'
        assert cluster.application_credential_expires_at.replace(
            tzinfo=None) - credential['expires_at'] < \
            datetime.timedelta(seconds=1)
        assert cluster_credentials.secret_of(cluster) == \
            credential['secret']
        # Made before the driver was asked to build anything.
        assert ('create_cluster', cluster.uuid) in Driver.calls
        condition = conditions.get(cluster, conditions.CREDENTIALS_VALID)
        assert condition['status'] == 'True'
        assert credential['expires_at'].strftime('%Y-%m-%d %H:%M:%S') in \
            condition['message']
        assert credential['id'] not in condition['message']

    def test_it_was_proven_to_authenticate(self, fake, dbapi, template,
                                           handler):
        cluster = create(fake, dbapi, template, handler)
        auths = [call for call in fake.calls
                 if call[1] == '/v3/auth/tokens']
        assert len(auths) == 1
        access = keystone.authenticate(
            cluster_credentials.session_for(cluster), 'auth')
        assert (access.user_id, access.project_id, access.role_names) == (
            'alice', PROJECT, ['member'])

    def test_the_driver_chooses_the_roles(self, fake, dbapi, template,
                                          handler, monkeypatch):
        monkeypatch.setattr(Driver, 'cloud_credential_roles', ['reader'])
        monkeypatch.setattr(Driver, 'cloud_credential_access_rules', [
            {'service': 'orchestration', 'method': 'GET',
             'path': '/v1/*/stacks'}])
        create(fake, dbapi, template, handler)
        [credential] = fake.credentials_of('alice')
        assert credential['roles'] == ['reader']
        assert credential['access_rules'][0]['service'] == 'orchestration'

    def test_configured_lifetime_and_roles(self, fake, dbapi, template,
                                           handler, magnum_config):
        magnum_config.config(group='cluster_credentials', lifetime_days=0,
                             roles=['reader'])
        cluster = create(fake, dbapi, template, handler)
        [credential] = fake.credentials_of('alice')
        assert credential['expires_at'] is None
        assert credential['roles'] == ['reader']
        assert cluster.application_credential_expires_at is None
        assert 'does not expire' in conditions.get(
            cluster, conditions.CREDENTIALS_VALID)['message']

    def test_keystones_refusal_fails_the_create_with_its_answer(
            self, fake, dbapi, template, handler, notifier):
        # rita is only a reader: Keystone will not give her credential
        # the member role.
        cluster = make_cluster(dbapi, template, user_id='rita')
        with pytest.raises(exception.KeystoneFailure):
            handler.cluster_create(context_of(fake, 'rita'), cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert stored.status_reason.startswith(
            "Create failed while creating the cluster's application "
            "credential in Keystone: Keystone could not create application "
            "credential magnum-cluster-%s-" % cluster.uuid)
        assert 'Could not find role assignment with role: member, user ' \
            'or group: rita' in stored.status_reason
        assert '(HTTP 404)' in stored.status_reason
        assert ('create_cluster', cluster.uuid) not in Driver.calls
        assert fake.credentials == {}
        assert stored.application_credential_id is None
        assert notifier.events()[-1] == 'magnum.cluster.create.error'

    def test_a_credential_that_does_not_authenticate_is_removed(
            self, fake, dbapi, template, handler):
        fake.refusals['auth'] = (401, 'Unauthorized',
                                 'Application credentials are disabled.')
        cluster = make_cluster(dbapi, template, user_id='alice')
        with pytest.raises(exception.KeystoneFailure):
            handler.cluster_create(context_of(fake, 'alice'), cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'Keystone could not authenticate with the new application ' \
            'credential' in stored.status_reason
        assert 'Application credentials are disabled.' in \
            stored.status_reason
        assert fake.credentials == {}

    def test_unreachable_keystone_fails_the_create_naming_it(
            self, dbapi, template, handler, magnum_config, fake_drivers,
            notifier, monkeypatch):
        magnum_config.config(auth_strategy='keystone')
        magnum_config.config(group='certificates',
                             encryption_key=ENCRYPTION_KEY)
        monkeypatch.setattr(cluster_conductor.ClusterHandler,
                            'create_certificates',
                            lambda self, context, cluster: None)
        cluster = make_cluster(dbapi, template, user_id='alice')
        context = magnum_context.make_context(
            auth_token='t', user_id='alice', project_id=PROJECT,
            auth_url='http://127.0.0.1:9')
        with pytest.raises(exception.KeystoneFailure):
            handler.cluster_create(context, cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'Unable to establish connection to ' \
            'http://127.0.0.1:9' in stored.status_reason

    def test_no_encryption_key_refuses_before_keystone(
            self, fake, dbapi, template, handler, magnum_config):
        magnum_config.config(group='certificates', encryption_key=None,
                             encryption_key_file='')
        cluster = make_cluster(dbapi, template, user_id='alice')
        with pytest.raises(exception.MagnumException):
            handler.cluster_create(context_of(fake, 'alice'), cluster, 60)
        stored = reload(cluster)
        assert stored.status == 'CREATE_FAILED'
        assert 'encryption_key' in stored.status_reason
        assert fake.calls == []

    def test_a_resumed_create_keeps_its_credential(self, fake, dbapi,
                                                   template, handler):
        cluster = create(fake, dbapi, template, handler)
        first = cluster.application_credential_id
        cluster_credentials.create_for_cluster(
            context_of(fake, 'alice'), cluster, Driver())
        assert reload(cluster).application_credential_id == first
        assert len(fake.credentials) == 1

    @pytest.mark.parametrize('setting', [
        {'auth_strategy': 'noauth'},
        {'group': 'cluster_credentials', 'enabled': False}])
    def test_none_without_keystone_or_when_disabled(
            self, fake, dbapi, template, handler, magnum_config, setting):
        magnum_config.config(**setting)
        cluster = create(fake, dbapi, template, handler)
        assert cluster.status == 'CREATE_IN_PROGRESS'
        assert cluster.application_credential_id is None
        assert fake.calls == []
        assert conditions.get(cluster, conditions.CREDENTIALS_VALID) is None

    def test_none_for_a_driver_that_does_not_use_the_cloud(
            self, fake, dbapi, template, handler, monkeypatch):
        monkeypatch.setattr(Driver, 'uses_cloud_credential', False)
        cluster = create(fake, dbapi, template, handler)
        assert cluster.status == 'CREATE_IN_PROGRESS'
        assert ('create_cluster', cluster.uuid) in Driver.calls
        assert cluster.application_credential_id is None
        assert fake.credentials_of('alice') == []
        assert fake.calls == []

    def test_the_drivers_say_whether_they_use_the_cloud(self):
        from magnum.drivers.common import driver as driver_base
        from magnum.drivers.local import driver as local_driver
        assert driver_base.Driver.uses_cloud_credential is True
        assert local_driver.LocalSwarmDriver.uses_cloud_credential is False

    def test_no_token_no_credential(self, fake, dbapi, template, handler):
        cluster = make_cluster(dbapi, template, user_id='alice')
        handler.cluster_create(magnum_context.make_context(
            user_id='alice', project_id=PROJECT), cluster, 60)
        assert reload(cluster).application_credential_id is None
        assert fake.calls == []


# -- the secret stays secret --------------------------------------------------

class TestSecrecy:

    def test_the_database_holds_it_sealed(self, fake, dbapi, template,
                                          handler):
        cluster = create(fake, dbapi, template, handler)
        secret = fake.credentials[cluster.application_credential_id][
            'secret']
        [row] = dump_cluster_rows(dbapi)
        assert row['application_credential_secret'].startswith(
            'magnum-aes256gcm-v1:')
        assert all(secret not in str(value) for value in row.values())

    def test_a_sealed_secret_moved_to_another_cluster_does_not_open(
            self, fake, dbapi, template, handler):
        first = create(fake, dbapi, template, handler)
        second = create(fake, dbapi, template, handler, user='bob')
        second.application_credential_secret = \
            first.application_credential_secret
        with pytest.raises(exception.MagnumException):
            cluster_credentials.secret_of(second)

    def test_not_in_notifications_nor_logs(self, fake, dbapi, template,
                                           handler, notifier, caplog):
        caplog.set_level(logging.DEBUG)
        cluster = rotate(fake, create(fake, dbapi, template, handler))
        cluster.status = 'DELETE_COMPLETE'
        cluster.save()
        cluster_conductor.remove_cluster(
            magnum_context.get_admin_context(), cluster)
        secrets = [c['secret'] for c in fake.history]
        assert len(secrets) == 2
        assert notifier.sent
        sent = json.dumps([payload for _, _, payload in notifier.sent])
        for secret in secrets:
            assert secret not in sent
            assert secret not in caplog.text
        assert 'application_credential' not in sent
        assert 'magnum-aes256gcm' not in sent


    def test_older_peers_are_not_sent_it(self, fake, dbapi, template,
                                         handler):
        cluster = create(fake, dbapi, template, handler)
        current = cluster.obj_to_primitive()['magnum_object.data']
        assert current['application_credential_id']
        older = cluster.obj_to_primitive(target_version='1.2')[
            'magnum_object.data']
        assert not [key for key in older if 'credential' in key]
        assert 'conditions' in older


# -- delete -------------------------------------------------------------------

def deleted(cluster):
    cluster = reload(cluster)
    cluster.status = 'DELETE_COMPLETE'
    cluster.save()
    return cluster


def gone(cluster):
    try:
        reload(cluster)
    except exception.ClusterNotFound:
        return True
    return False


class TestDelete:

    def test_the_owner_deletes_it_with_their_token(self, fake, dbapi,
                                                   template, handler):
        cluster = create(fake, dbapi, template, handler)
        credential_id = cluster.application_credential_id
        fake.calls.clear()
        cluster_conductor.remove_cluster(context_of(fake, 'alice'),
                                         deleted(cluster))
        assert gone(cluster)
        assert fake.credentials == {}
        assert ('DELETE', '/v3/users/alice/application_credentials/%s' %
                credential_id, 'alice') in fake.calls

    @pytest.mark.parametrize('who', ['bob', None])
    def test_another_member_or_the_sync_uses_the_service_user(
            self, fake, dbapi, template, handler, who):
        cluster = create(fake, dbapi, template, handler)
        credential_id = cluster.application_credential_id
        fake.calls.clear()
        context = context_of(fake, who) if who else \
            magnum_context.get_admin_context()
        cluster_conductor.remove_cluster(context, deleted(cluster))
        assert gone(cluster)
        assert fake.credentials == {}
        assert ('DELETE', '/v3/users/alice/application_credentials/%s' %
                credential_id, keystone_fake.SERVICE_USER) in fake.calls
        assert not any(call[2] == 'bob' for call in fake.calls)

    def test_an_expired_owner_token_falls_back_to_the_service_user(
            self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        context = context_of(fake, 'alice', with_token_info=False)
        fake.tokens.pop(context.auth_token)  # revoked
        cluster_conductor.remove_cluster(context, deleted(cluster))
        assert gone(cluster) and fake.credentials == {}

    def test_already_gone_is_fine(self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        fake.credentials.clear()
        cluster_conductor.remove_cluster(magnum_context.get_admin_context(),
                                         deleted(cluster))
        assert gone(cluster)

    def test_leftovers_of_interrupted_work_go_too(self, fake, dbapi,
                                                  template, handler):
        cluster = create(fake, dbapi, template, handler)
        # As if a conductor died after Keystone made a credential and
        # before it was stored.
        keystone.create_application_credential(
            keystone.user_session(context_of(fake, 'alice')),
            keystone_fake.V3, 'alice',
            cluster_credentials.name_prefix(cluster.uuid) + 'lost', 'd')
        keystone.create_application_credential(
            keystone.user_session(context_of(fake, 'alice')),
            keystone_fake.V3, 'alice', 'someone-elses', 'd')
        cluster_conductor.remove_cluster(magnum_context.get_admin_context(),
                                         deleted(cluster))
        assert [c['name'] for c in fake.credentials.values()] == [
            'someone-elses']

    def test_keystone_failing_leaves_delete_failed_and_retryable(
            self, fake, dbapi, template, handler, notifier):
        cluster = create(fake, dbapi, template, handler)
        fake.refusals['delete'] = (503, 'Service Unavailable',
                                   'The database is down.')
        cluster_conductor.remove_cluster(magnum_context.get_admin_context(),
                                         deleted(cluster))
        stored = reload(cluster)
        assert stored.status == 'DELETE_FAILED'
        assert stored.status_reason.startswith(
            "Delete failed while deleting the cluster's application "
            "credential %s in Keystone: Keystone could not delete "
            "application credential" % cluster.application_credential_id)
        assert 'The database is down. (HTTP 503)' in stored.status_reason
        assert stored.status_reason.endswith(
            'Delete the cluster again to retry.')
        assert notifier.events()[-1] == 'magnum.cluster.delete.error'
        assert len(fake.credentials) == 1
        # Retried when Keystone is back.
        del fake.refusals['delete']
        cluster_conductor.remove_cluster(magnum_context.get_admin_context(),
                                         deleted(stored))
        assert gone(cluster) and fake.credentials == {}

    def test_the_status_sync_removes_it_with_the_cluster(
            self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        cluster.status = 'DELETE_IN_PROGRESS'
        cluster.save()
        Driver.observed[cluster.uuid] = 'DELETE_COMPLETE'
        reconcile.Reconciler('conductor-1').sync_once()
        assert gone(cluster) and fake.credentials == {}

    def test_a_cluster_without_one_is_simply_removed(
            self, fake, dbapi, template):
        cluster = make_cluster(dbapi, template, status='DELETE_COMPLETE')
        cluster_conductor.remove_cluster(magnum_context.get_admin_context(),
                                         cluster)
        assert gone(cluster) and fake.calls == []


# -- rotate -------------------------------------------------------------------

def rotate(fake, cluster, user='alice'):
    if cluster.status == 'CREATE_IN_PROGRESS':
        cluster.status = 'CREATE_COMPLETE'  # the driver finished
        cluster.save()
    credential_conductor.CredentialHandler('conductor-1').credential_rotate(
        context_of(fake, user), cluster)
    return reload(cluster)


class TestRotate:

    def test_none_made_for_a_driver_that_does_not_use_the_cloud(
            self, fake, dbapi, template, handler, monkeypatch):
        monkeypatch.setattr(Driver, 'uses_cloud_credential', False)
        cluster = create(fake, dbapi, template, handler)
        # The driver's own rotation is asked (the fake has none: 400).
        with pytest.raises(exception.NotSupported):
            rotate(fake, cluster)
        assert reload(cluster).application_credential_id is None
        assert fake.credentials_of('alice') == []

    def test_new_one_in_place_then_old_one_gone(self, fake, dbapi, template,
                                               handler):
        cluster = create(fake, dbapi, template, handler)
        old = cluster.application_credential_id
        rotated = rotate(fake, cluster)
        new = rotated.application_credential_id
        assert new != old
        assert list(fake.credentials) == [new]
        assert fake.pushed == [new]
        assert cluster_credentials.secret_of(rotated) == \
            fake.credentials[new]['secret']
        assert keystone.authenticate(
            cluster_credentials.session_for(rotated), 'auth').user_id == \
            'alice'

    def test_another_member_rotates_with_their_own_credential(
            self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        rotated = rotate(fake, cluster, 'bob')
        assert rotated.application_credential_user_id == 'bob'
        assert [c['user_id'] for c in fake.credentials.values()] == ['bob']

    def test_keystone_refusing_keeps_the_old_one(self, fake, dbapi,
                                                 template, handler):
        cluster = create(fake, dbapi, template, handler)
        old = cluster.application_credential_id
        with pytest.raises(exception.KeystoneFailure) as error:
            rotate(fake, cluster, 'rita')
        assert 'Could not find role assignment with role: member' in \
            str(error.value)
        assert error.value.code == 400
        stored = reload(cluster)
        assert stored.application_credential_id == old
        assert list(fake.credentials) == [old]
        assert cluster_credentials.secret_of(stored) == \
            fake.credentials[old]['secret']

    def test_the_driver_failing_keeps_the_old_one(
            self, fake, dbapi, template, handler, monkeypatch):
        cluster = create(fake, dbapi, template, handler)
        old = cluster.application_credential_id

        def refuse(self, context, cluster):
            raise RuntimeError('the cluster did not take it')

        monkeypatch.setattr(Driver, 'update_cloud_credential', refuse)
        with pytest.raises(RuntimeError):
            rotate(fake, cluster)
        stored = reload(cluster)
        assert stored.application_credential_id == old
        assert list(fake.credentials) == [old]
        assert cluster_credentials.secret_of(stored) == \
            fake.credentials[old]['secret']

    def test_old_one_not_deletable_is_said_with_the_new_in_place(
            self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        old = cluster.application_credential_id
        fake.refusals['delete'] = (500, 'Internal Server Error', 'Boom.')
        with pytest.raises(exception.KeystoneFailure) as error:
            rotate(fake, cluster)
        new = reload(cluster).application_credential_id
        assert new != old
        message = str(error.value)
        assert 'Keystone could not delete the replaced application ' \
            'credential %s (the new one, %s, is in place' % (old, new) in \
            message
        assert 'Boom. (HTTP 500)' in message
        assert error.value.code == 503

    def test_a_cluster_without_one_gets_its_first(self, fake, dbapi,
                                                  template):
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE',
                               user_id='alice')
        rotated = rotate(fake, cluster)
        assert rotated.application_credential_id in fake.credentials

    def test_without_keystone_the_driver_rotates_its_own(
            self, fake, dbapi, template, magnum_config):
        magnum_config.config(auth_strategy='noauth')
        cluster = make_cluster(dbapi, template, status='CREATE_COMPLETE')
        with pytest.raises(exception.NotSupported) as error:
            credential_conductor.CredentialHandler('conductor-1') \
                .credential_rotate(magnum_context.make_context(
                    user_id='admin', project_id=PROJECT), cluster)
        assert str(error.value) == ('Credential rotation by the fake '
                                    'driver is not supported.')
        assert fake.calls == []


# -- CredentialsValid ---------------------------------------------------------

class TestCredentialsValid:

    def status(self, cluster, expires_at):
        cluster.application_credential_id = 'c1'
        cluster.application_credential_expires_at = expires_at
        return cluster_credentials.credential_status(cluster)

    def test_by_expiry(self, fake, dbapi, template):
        cluster = make_cluster(dbapi, template)
        assert self.status(cluster, soon(100))[:2] == ('True',
                                                       'CredentialsValid')
        status, reason, message = self.status(cluster, soon(10))
        assert (status, reason) == ('False', 'CredentialExpiring')
        assert soon(10).strftime('%Y-%m-%d') in message
        assert self.status(cluster, soon(-1))[:2] == ('False',
                                                      'CredentialExpired')
        assert self.status(cluster, None)[:2] == ('True',
                                                  'CredentialsValid')

    def test_missing(self, fake, dbapi, template):
        cluster = make_cluster(dbapi, template)
        status, reason, message = cluster_credentials.credential_status(
            cluster)
        assert (status, reason) == ('False', 'CredentialMissing')
        assert '/v1/credentials/%s' % cluster.uuid in message

    def test_health_pass_records_it_without_asking_keystone(
            self, fake, dbapi, template, handler):
        cluster = create(fake, dbapi, template, handler)
        cluster.status = 'CREATE_COMPLETE'
        cluster.application_credential_expires_at = soon(3)
        cluster.save()
        fake.calls.clear()
        reconcile.Reconciler('conductor-1').health_once()
        condition = conditions.get(reload(cluster),
                                   conditions.CREDENTIALS_VALID)
        assert (condition['status'], condition['reason']) == (
            'False', 'CredentialExpiring')
        assert fake.calls == []

    def test_not_recorded_without_keystone(self, dbapi, template,
                                           magnum_config):
        magnum_config.config(auth_strategy='noauth')
        cluster = make_cluster(dbapi, template)
        assert cluster_credentials.credential_status(cluster) is None
        assert cluster_credentials.record_condition(cluster) is False
