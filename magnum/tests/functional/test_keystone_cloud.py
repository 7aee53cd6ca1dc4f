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

"""The cloud-in-a-box itself: the users, roles, catalog and Heat that the
Keystone-mode tests (and the conductor's application credentials) rely on.
"""

import time
import uuid

from keystoneauth1 import exceptions as ks_exceptions
import pytest

from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import services


def test_every_test_user_gets_a_token_with_its_roles(cloud):
    # Keystone's implied roles: admin implies manager (Keystone 30's
    # domain-manager role), which implies member, which implies reader.
    expected = {'reader': {'reader'}, 'member': {'member', 'reader'},
                'admin': {'admin', 'manager', 'member', 'reader'}}
    for key, role, user in cloud.users():
        access = cloud.auth(user).get_access(cloud.session(user))
        assert access.project_id == cloud.projects[key]['id'], user
        assert access.user_id == user['user_id']
        assert set(access.role_names) == expected[role], (key, role)
    assert cloud.projects['a']['id'] != cloud.projects['b']['id']


def test_service_user_may_delete_another_users_application_credential(
        cloud):
    """What the conductor does when a cluster's creator is not the one
    deleting it: Keystone's default policy lets Magnum's service user
    (admin on the service project) see and delete it."""
    member = cloud.projects['a']['users']['member']
    mine = cloud.session(member)
    created = mine.post(
        '%s/users/%s/application_credentials' % (cloud.auth_url,
                                                 member['user_id']),
        json={'application_credential': {
            'name': 'probe-%s' % uuid.uuid4().hex[:8]}}).json()[
                'application_credential']
    path = '%s/users/%s/application_credentials/%s' % (
        cloud.auth_url, member['user_id'], created['id'])
    service = cloud.session(cloud.service_user)
    assert service.get(path).json()['application_credential'][
        'id'] == created['id']
    service.delete(path)
    with pytest.raises(ks_exceptions.NotFound):
        mine.get(path)


def test_another_projects_member_may_not_delete_it(cloud):
    member_a = cloud.projects['a']['users']['member']
    member_b = cloud.projects['b']['users']['member']
    created = cloud.session(member_a).post(
        '%s/users/%s/application_credentials' % (cloud.auth_url,
                                                 member_a['user_id']),
        json={'application_credential': {
            'name': 'probe-%s' % uuid.uuid4().hex[:8]}}).json()[
                'application_credential']
    path = '%s/users/%s/application_credentials/%s' % (
        cloud.auth_url, member_a['user_id'], created['id'])
    try:
        with pytest.raises((ks_exceptions.Forbidden,
                            ks_exceptions.NotFound)):
            cloud.session(member_b).delete(path)
    finally:
        cloud.session(member_a).delete(path)


def test_register_magnum_points_the_catalog_at_a_url(cloud):
    with cloud.magnum_region('http://127.0.0.1:1/') as region:
        session = cloud.session(cloud.projects['b']['users']['reader'])
        for interface in ('public', 'internal', 'admin'):
            assert session.get_endpoint(
                service_type='container-infrastructure-management',
                interface=interface,
                region_name=region) == 'http://127.0.0.1:1'
        cloud.register_magnum('http://127.0.0.1:2', region=region)
        # A new token brings the new catalog.
        session = cloud.session(cloud.projects['b']['users']['reader'])
        assert session.get_endpoint(
            service_type='container-infrastructure-management',
            region_name=region) == 'http://127.0.0.1:2'
    regions = cloud.admin_session().get(cloud.auth_url + '/regions').json()
    assert region not in [r['id'] for r in regions['regions']]


def test_magnum_settings_are_a_fresh_copy_each_time(cloud):
    settings = cloud.magnum_settings()
    assert settings['DEFAULT']['auth_strategy'] == 'keystone'
    assert settings['keystone_auth']['username'] == \
        cloud.service_user['username']
    assert settings['keystone_authtoken']['www_authenticate_uri'] == \
        cloud.keystone_url
    settings['keystone_auth']['username'] = 'changed'
    assert cloud.magnum_settings()['keystone_auth']['username'] == 'magnum'


def test_heat_creates_and_deletes_a_stack(cloud):
    member = cloud.projects['a']['users']['member']
    session = cloud.session(member)
    heat = session.get_endpoint(service_type='orchestration',
                                interface='public')
    assert heat == '%s/v1/%s' % (cloud.heat_url, member['project_id'])
    name = 'probe-%s' % uuid.uuid4().hex[:8]
    session.post(heat + '/stacks', json={
        'stack_name': name, 'timeout_mins': 2,
        'template': {'heat_template_version': '2021-04-16',
                     'resources': {'secret': {
                         'type': 'OS::Heat::RandomString',
                         'properties': {'length': 12}}},
                     'outputs': {'value': {
                         'value': {'get_attr': ['secret', 'value']}}}}})
    try:
        stack = _wait_stack(session, heat, name, 'CREATE_COMPLETE')
        outputs = {o['output_key']: o['output_value']
                   for o in stack['outputs']}
        assert len(outputs['value']) == 12
    finally:
        session.delete('%s/stacks/%s' % (heat, name),
                       raise_exc=False)
    _wait_stack(session, heat, name, None)


def _wait_stack(session, heat, name, wanted, timeout=90):
    """The stack once its status is wanted (None: once it is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = session.get('%s/stacks/%s' % (heat, name), raise_exc=False)
        if wanted is None and reply.status_code == 404:
            return None
        if reply.status_code == 200:
            stack = reply.json()['stack']
            if stack['stack_status'] == wanted:
                return stack
            assert not stack['stack_status'].endswith('FAILED'), stack
        assert time.monotonic() < deadline, (name, wanted, reply.text)
        time.sleep(0.5)


def test_a_second_keystone_validates_the_clouds_tokens(cloud, tmp_path):
    keystone = cloud.keystone_process(tmp_path, services.free_port())
    keystone.start()
    try:
        user = cloud.projects['a']['users']['reader']
        token = cloud.session(user).get_token()
        admin = cloud.session(cloud.admin, keystone.url + '/v3')
        reply = admin.get(keystone.url + '/v3/auth/tokens',
                          headers={'X-Subject-Token': token})
        assert reply.json()['token']['user']['id'] == user['user_id']
    finally:
        keystone.stop()
    assert not keystone.answers()


def test_bring_up_twice_reuses_the_running_cloud(cloud):
    started = time.monotonic()
    again = cloud_box.bring_up()
    assert time.monotonic() - started < 5
    assert again.projects == cloud.projects
