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

"""magnum.common.keystone: sessions, application credentials, and
Keystone's answers in Magnum's errors (Keystone through requests-mock)."""

import datetime
import logging

from keystoneauth1 import exceptions as ks_exceptions
import pytest
import requests_mock

from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import keystone
from magnum.tests.unit import keystone_fake


@pytest.fixture
def fake(magnum_config):
    magnum_config.config(group='keystone_authtoken',
                         www_authenticate_uri=keystone_fake.V3)
    keystone.reset_service_session()
    with requests_mock.Mocker() as mocker:
        yield keystone_fake.FakeKeystone(mocker)
    keystone_fake.forget_service_user(magnum_config.conf)


@pytest.fixture
def service_config(magnum_config):
    keystone_fake.configure_service_user(magnum_config)


def user_context(fake, user_id='alice', project_id='proj', roles=('member',
                                                                 'reader'),
                 with_token_info=True):
    if user_id not in fake.users:
        fake.add_user(user_id, project_id, roles)
    token, body = fake.issue(user_id, project_id)
    return magnum_context.make_context(
        auth_token=token, user_id=user_id, project_id=project_id,
        roles=list(roles), auth_url=keystone_fake.URL,
        auth_token_info=body if with_token_info else None)


def expiry(days=10):
    return datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=days)


class TestIdentityUrl:

    @pytest.mark.parametrize('url', ['http://k:5000', 'http://k:5000/',
                                     'http://k:5000/v3', 'http://k:5000/v3/',
                                     'http://k:5000/v2.0'])
    def test_any_form_gives_the_v3_root(self, url):
        context = magnum_context.make_context(auth_url=url)
        assert keystone.identity_url(context) == 'http://k:5000/v3'

    def test_configuration_when_the_context_has_none(self, magnum_config):
        magnum_config.config(group='keystone_authtoken',
                             www_authenticate_uri='http://conf:5000/v3')
        assert keystone.identity_url() == 'http://conf:5000/v3'

    def test_nowhere_to_go_is_a_clear_503(self, magnum_config):
        magnum_config.config(group='keystone_auth', auth_type=None)
        with pytest.raises(exception.KeystoneFailure) as error:
            keystone.identity_url()
        assert error.value.code == 503
        assert 'www_authenticate_uri' in str(error.value)


class TestApplicationCredentials:

    def test_create_with_the_callers_token(self, fake):
        context = user_context(fake)
        session = keystone.user_session(context)
        created = keystone.create_application_credential(
            session, keystone_fake.V3, 'alice', 'magnum-cluster-x',
            'for a test', roles=['member'], expires_at=expiry())
        assert created['secret']
        stored = fake.credentials[created['id']]
        assert (stored['user_id'], stored['project_id'], stored['roles'],
                stored['unrestricted']) == ('alice', 'proj', ['member'],
                                            False)
        assert abs(stored['expires_at'] - expiry().replace(tzinfo=None)) < \
            datetime.timedelta(seconds=60)
        # The token data keystonemiddleware validated was used as is.
        assert [c[0] for c in fake.calls] == ['POST']

    def test_without_token_data_the_token_is_scoped_again(self, fake):
        context = user_context(fake, with_token_info=False)
        session = keystone.user_session(context)
        keystone.create_application_credential(
            session, keystone_fake.V3, 'alice', 'n', 'd')
        assert [c[1] for c in fake.calls] == [
            '/v3/auth/tokens', '/v3/users/alice/application_credentials']

    def test_keystones_refusal_is_named(self, fake):
        context = user_context(fake, roles=('reader',))
        with pytest.raises(exception.KeystoneFailure) as error:
            keystone.create_application_credential(
                keystone.user_session(context), keystone_fake.V3, 'alice',
                'magnum-cluster-x', 'd', roles=['member'])
        message = str(error.value)
        assert message.startswith('Keystone could not create application '
                                  'credential magnum-cluster-x: ')
        assert 'Could not find role assignment with role: member' in message
        assert '404' in message
        assert keystone.status_of(error.value) == 404
        assert error.value.code == 400

    @pytest.mark.parametrize('status,code', [(401, 403), (403, 403),
                                             (409, 400), (500, 503),
                                             (503, 503)])
    def test_status_follows_keystones(self, fake, status, code):
        fake.refusals['create'] = (status, 'Title', 'Keystone says no')
        with pytest.raises(exception.KeystoneFailure) as error:
            keystone.create_application_credential(
                keystone.user_session(user_context(fake)), keystone_fake.V3,
                'alice', 'n', 'd')
        assert error.value.code == code
        assert 'Keystone says no' in str(error.value)

    def test_unreachable_keystone_is_a_503_naming_the_connection(self):
        with requests_mock.Mocker() as mocker:
            mocker.post(requests_mock.ANY,
                        exc=ks_exceptions.ConnectFailure(
                            'Unable to establish connection to '
                            'http://keystone.test:5000'))
            context = magnum_context.make_context(
                auth_token='t', user_id='u', project_id='p',
                auth_url=keystone_fake.URL)
            with pytest.raises(exception.KeystoneFailure) as error:
                keystone.create_application_credential(
                    keystone.user_session(context), keystone_fake.V3, 'u',
                    'n', 'd')
        assert error.value.code == 503
        assert 'Unable to establish connection' in str(error.value)

    def test_the_failure_survives_rebuilding_from_its_arguments(self):
        failure = exception.KeystoneFailure(action='x', answer='y',
                                            status=403, code=403)
        rebuilt = exception.KeystoneFailure(**failure.kwargs)
        assert (rebuilt.code, str(rebuilt)) == (403, str(failure))

    def test_delete_read_list(self, fake):
        context = user_context(fake)
        session = keystone.user_session(context)
        created = keystone.create_application_credential(
            session, keystone_fake.V3, 'alice', 'n', 'd')
        read = keystone.get_application_credential(
            session, keystone_fake.V3, 'alice', created['id'])
        assert read['name'] == 'n' and 'secret' not in read
        assert [c['id'] for c in keystone.list_application_credentials(
            session, keystone_fake.V3, 'alice')] == [created['id']]
        assert keystone.delete_application_credential(
            session, keystone_fake.V3, 'alice', created['id']) is True
        assert fake.credentials == {}
        # Already gone is not an error.
        assert keystone.delete_application_credential(
            session, keystone_fake.V3, 'alice', created['id']) is False

    def test_another_users_credential_is_refused(self, fake):
        owner = keystone.user_session(user_context(fake))
        created = keystone.create_application_credential(
            owner, keystone_fake.V3, 'alice', 'n', 'd')
        other = keystone.user_session(user_context(fake, 'bob'))
        with pytest.raises(exception.KeystoneFailure) as error:
            keystone.delete_application_credential(
                other, keystone_fake.V3, 'alice', created['id'])
        assert keystone.status_of(error.value) == 403

    def test_a_credential_authenticates_until_it_expires(self, fake):
        created = keystone.create_application_credential(
            keystone.user_session(user_context(fake)), keystone_fake.V3,
            'alice', 'n', 'd', roles=['member'], expires_at=expiry())
        session = keystone.application_credential_session(
            keystone_fake.V3, created['id'], created['secret'])
        access = keystone.authenticate(session, 'authenticate')
        assert access.user_id == 'alice' and access.role_names == ['member']
        fake.credentials[created['id']]['expires_at'] = \
            datetime.datetime(2000, 1, 1)
        with pytest.raises(exception.KeystoneFailure) as error:
            keystone.authenticate(keystone.application_credential_session(
                keystone_fake.V3, created['id'], created['secret']),
                'authenticate with it')
        assert 'requires authentication' in str(error.value)

    def test_secret_is_not_logged(self, fake, caplog):
        caplog.set_level(logging.DEBUG)
        created = keystone.create_application_credential(
            keystone.user_session(user_context(fake)), keystone_fake.V3,
            'alice', 'n', 'd')
        keystone.authenticate(keystone.application_credential_session(
            keystone_fake.V3, created['id'], created['secret']), 'auth')
        assert created['id'] in caplog.text
        assert created['secret'] not in caplog.text


class TestServiceUser:

    def test_from_keystone_auth(self, fake, service_config):
        session = keystone.service_session()
        access = keystone.authenticate(session, 'auth')
        assert access.user_id == keystone_fake.SERVICE_USER
        assert keystone.service_session() is session

    def test_legacy_admin_user(self, fake, magnum_config):
        magnum_config.config(group='keystone_auth', auth_type=None)
        magnum_config.config(group='keystone_authtoken',
                             admin_user=keystone_fake.SERVICE_USER,
                             admin_password=keystone_fake.SERVICE_PASSWORD,
                             admin_tenant_name='service')
        access = keystone.authenticate(keystone.service_session(), 'auth')
        assert access.user_id == keystone_fake.SERVICE_USER

    def test_incomplete_configuration_says_what_to_set(self, fake,
                                                       magnum_config):
        magnum_config.config(group='keystone_auth', auth_type='password')
        with pytest.raises(exception.KeystoneFailure) as error:
            keystone.service_session()
        assert '[keystone_auth]' in str(error.value)
        assert error.value.code == 503

    def test_deletes_another_users_credential(self, fake, service_config):
        created = keystone.create_application_credential(
            keystone.user_session(user_context(fake)), keystone_fake.V3,
            'alice', 'n', 'd')
        assert keystone.delete_application_credential(
            keystone.service_session(), keystone_fake.V3, 'alice',
            created['id'])
        assert fake.credentials == {}
