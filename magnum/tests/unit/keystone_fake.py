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

"""Keystone's answers for unit tests, through requests-mock (no network).

Only the calls Magnum makes: token issue (password, token, application
credential), and application credentials (create, read, list, delete),
with Keystone's rules that matter to Magnum: a user manages only their own
credentials unless they are an administrator, a credential carries only
roles its creator holds in the project, an expired or unknown credential
does not authenticate, and errors come in Keystone's error format. The
real Keystone is exercised by magnum/tests/functional.
"""

import datetime
import re
import uuid

from keystoneauth1 import loading
from oslo_utils import timeutils

from magnum.common import keystone

URL = 'http://keystone.test:5000'
V3 = URL + '/v3'
SERVICE_USER = 'magnum'
SERVICE_PASSWORD = 'service-password'


def configure_service_user(magnum_config):
    """[keystone_auth] for the fake's service user; undo with
    :func:`forget_service_user`."""
    magnum_config.config(group='keystone_auth', auth_type='password')
    magnum_config.register_opts(
        loading.get_auth_plugin_conf_options('password'),
        group='keystone_auth')
    magnum_config.config(group='keystone_auth', auth_url=V3,
                         username=SERVICE_USER, password=SERVICE_PASSWORD,
                         project_name='service', user_domain_id='default',
                         project_domain_id='default')


def forget_service_user(conf):
    """keystoneauth registers its plugin's options on the global CONF when
    it loads the plugin; they include required ones, which would fail the
    next test's configuration."""
    keystone.reset_service_session()
    conf.reset()  # options cannot be unregistered while parsed
    for opt in loading.get_auth_plugin_conf_options('password'):
        if opt.dest in conf.keystone_auth:
            conf.unregister_opt(opt, group='keystone_auth')


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _error(context, status, title, message):
    context.status_code = status
    context.headers['Content-Type'] = 'application/json'
    return {'error': {'code': status, 'title': title, 'message': message}}


class FakeKeystone:

    def __init__(self, mocker):
        self.users = {}         # user id -> {'name', 'password', 'roles'}
        self.tokens = {}        # token -> {'user_id', 'project_id', ...}
        self.credentials = {}   # id -> record with the secret
        self.history = []       # every credential ever created
        self.calls = []         # (method, path, user id of the token)
        # method -> (status, title, message): Keystone refuses that call.
        self.refusals = {}
        self.add_user(SERVICE_USER, 'service', ['admin', 'member',
                                                 'reader'],
                      password=SERVICE_PASSWORD)
        mocker.get(V3, json=self._version)
        mocker.get(V3 + '/', json=self._version)
        mocker.post(V3 + '/auth/tokens', json=self._issue_token)
        credentials = re.compile(
            re.escape(V3) + r'/users/([^/]+)/application_credentials$')
        one = re.compile(
            re.escape(V3) +
            r'/users/([^/]+)/application_credentials/([^/?]+)$')
        mocker.post(credentials, json=self._create)
        mocker.get(credentials, json=self._list)
        mocker.get(one, json=self._get)
        mocker.delete(one, json=self._delete)

    # -- people -------------------------------------------------------------

    def add_user(self, user_id, project_id, roles, password=None):
        self.users[user_id] = {'name': user_id, 'password': password,
                               'project_id': project_id,
                               'roles': list(roles)}

    def issue(self, user_id, project_id=None, roles=None, via=None,
              expires_in=3600):
        """A token of ``user_id`` and its data (as keystonemiddleware
        hands it to Magnum)."""
        user = self.users[user_id]
        project_id = project_id or user['project_id']
        roles = list(user['roles'] if roles is None else roles)
        token = 'tok-' + uuid.uuid4().hex
        now = timeutils.utcnow()
        self.tokens[token] = {'user_id': user_id, 'project_id': project_id,
                              'roles': roles, 'via': via}
        body = {'token': {
            'methods': ['application_credential' if via else 'password'],
            'user': {'id': user_id, 'name': user['name'],
                     'domain': {'id': 'default', 'name': 'Default'}},
            'project': {'id': project_id, 'name': project_id,
                        'domain': {'id': 'default', 'name': 'Default'}},
            'roles': [{'id': 'id-' + role, 'name': role} for role in roles],
            'issued_at': _iso(now),
            'expires_at': _iso(now + datetime.timedelta(
                seconds=expires_in)),
            'catalog': [],
        }}
        if via:
            body['token']['application_credential'] = {'id': via}
        return token, body

    # -- helpers ------------------------------------------------------------

    def _caller(self, request):
        return self.tokens.get(request.headers.get('X-Auth-Token'))

    def _refused(self, request, context, what):
        if what in self.refusals:
            return _error(context, *self.refusals[what])
        return None

    def _record(self, request, caller):
        self.calls.append((request.method, request.path,
                           caller['user_id'] if caller else None))

    def _may_manage(self, caller, user_id):
        return caller and (caller['user_id'] == user_id or
                           'admin' in caller['roles'])

    # -- handlers -----------------------------------------------------------

    @staticmethod
    def _version(request, context):
        # The generic password plugin ([keystone_auth] auth_type =
        # password) discovers the API version first.
        context.headers['Content-Type'] = 'application/json'
        return {'version': {
            'id': 'v3.14', 'status': 'stable',
            'updated': '2020-04-07T00:00:00Z',
            'links': [{'rel': 'self', 'href': V3 + '/'}],
            'media-types': [{'base': 'application/json',
                             'type': 'application/vnd.openstack.identity-'
                                     'v3+json'}]}}

    def _issue_token(self, request, context):
        self._record(request, None)
        refused = self._refused(request, context, 'auth')
        if refused:
            return refused
        identity = request.json()['auth']['identity']
        method = identity['methods'][0]
        unauthorized = (401, 'Unauthorized', 'The request you have made '
                        'requires authentication.')
        if method == 'password':
            given = identity['password']['user']
            user_id = next((uid for uid, user in self.users.items()
                            if user['name'] == given.get('name') or
                            uid == given.get('id')), None)
            if user_id is None or \
                    self.users[user_id]['password'] != given['password']:
                return _error(context, *unauthorized)
            token, body = self.issue(user_id)
        elif method == 'token':
            known = self.tokens.get(identity['token']['id'])
            if known is None:
                return _error(context, *unauthorized)
            token, body = self.issue(known['user_id'], known['project_id'],
                                     known['roles'])
        elif method == 'application_credential':
            given = identity['application_credential']
            credential = self.credentials.get(given.get('id'))
            if credential is None or \
                    credential['secret'] != given.get('secret') or (
                        credential['expires_at'] and
                        credential['expires_at'] <= timeutils.utcnow()):
                return _error(context, *unauthorized)
            token, body = self.issue(
                credential['user_id'], credential['project_id'],
                credential['roles'], via=credential['id'])
        else:
            return _error(context, *unauthorized)
        context.status_code = 201
        context.headers['X-Subject-Token'] = token
        return body

    def _public(self, credential):
        shown = {key: value for key, value in credential.items()
                 if key != 'secret'}
        shown['roles'] = [{'id': 'id-' + role, 'name': role}
                          for role in credential['roles']]
        shown['expires_at'] = _iso(credential['expires_at']) \
            if credential['expires_at'] else None
        return shown

    def _create(self, request, context):
        caller = self._caller(request)
        self._record(request, caller)
        user_id = request.path.split('/')[3]
        refused = self._refused(request, context, 'create')
        if refused:
            return refused
        if caller is None:
            return _error(context, 401, 'Unauthorized',
                          'The request you have made requires '
                          'authentication.')
        if caller['user_id'] != user_id or caller['via']:
            return _error(context, 403, 'Forbidden',
                          'You are not authorized to perform the requested '
                          'action: identity:create_application_credential.')
        body = request.json()['application_credential']
        roles = [role['name'] for role in body.get('roles') or []] or \
            list(caller['roles'])
        for role in roles:
            if role not in caller['roles']:
                return _error(
                    context, 404, 'Not Found',
                    'Could not find role assignment with role: %s, user or '
                    'group: %s, project, domain, or system: %s.' % (
                        role, user_id, caller['project_id']))
        if any(c['name'] == body['name'] and c['user_id'] == user_id
               for c in self.credentials.values()):
            return _error(context, 409, 'Conflict',
                          'Duplicate entry found with name %s.' %
                          body['name'])
        expires_at = None
        if body.get('expires_at'):
            expires_at = timeutils.normalize_time(
                timeutils.parse_isotime(body['expires_at']))
        credential = {
            'id': uuid.uuid4().hex, 'name': body['name'],
            'description': body.get('description'), 'user_id': user_id,
            'project_id': caller['project_id'], 'roles': roles,
            'expires_at': expires_at,
            'unrestricted': body.get('unrestricted', False),
            'access_rules': body.get('access_rules') or [],
            'secret': 'secret-' + uuid.uuid4().hex,
        }
        self.credentials[credential['id']] = credential
        self.history.append(credential)
        context.status_code = 201
        shown = self._public(credential)
        shown['secret'] = credential['secret']
        return {'application_credential': shown}

    def _find(self, request, context, what):
        caller = self._caller(request)
        self._record(request, caller)
        parts = request.path.split('/')
        user_id, credential_id = parts[3], parts[5]
        refused = self._refused(request, context, what)
        if refused:
            return None, refused
        if not self._may_manage(caller, user_id):
            return None, _error(
                context, 403, 'Forbidden',
                'You are not authorized to perform the requested action: '
                'identity:%s_application_credential.' % what)
        credential = self.credentials.get(credential_id)
        if credential is None or credential['user_id'] != user_id:
            return None, _error(
                context, 404, 'Not Found',
                'Could not find Application Credential: %s.' %
                credential_id)
        return credential, None

    def _get(self, request, context):
        credential, error = self._find(request, context, 'get')
        if error:
            return error
        return {'application_credential': self._public(credential)}

    def _delete(self, request, context):
        credential, error = self._find(request, context, 'delete')
        if error:
            return error
        del self.credentials[credential['id']]
        context.status_code = 204
        return None

    def _list(self, request, context):
        caller = self._caller(request)
        self._record(request, caller)
        user_id = request.path.split('/')[3]
        if not self._may_manage(caller, user_id):
            return _error(context, 403, 'Forbidden',
                          'You are not authorized to perform the requested '
                          'action: identity:list_application_credentials.')
        return {'application_credentials': [
            self._public(c) for c in self.credentials.values()
            if c['user_id'] == user_id]}

    # -- what tests look at -------------------------------------------------

    def credentials_of(self, user_id):
        return [c for c in self.credentials.values()
                if c['user_id'] == user_id]
