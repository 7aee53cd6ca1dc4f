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

"""Keystone, for Magnum's own calls (keystoneauth1).

Three kinds of session:

- :func:`user_session`: the caller's own token (from the request context
  the API validated), for what only the caller may do, such as creating
  an application credential of theirs;
- :func:`service_session`: Magnum's service user from ``[keystone_auth]``
  (legacy fallback: ``[keystone_authtoken] admin_user``), for admin and
  periodic work;
- :func:`application_credential_session`: a cluster's application
  credential, with which drivers reach the cloud on the cluster's behalf.

Every Keystone failure becomes :class:`KeystoneFailure`, whose message
names Keystone's answer (its status and message). Secrets are never
logged: the one request whose answer carries one is made with logging
off.
"""

import contextlib
import datetime
import threading
from urllib import parse

from keystoneauth1 import access
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from keystoneauth1.identity import access as access_plugin
from keystoneauth1.identity import v3
from oslo_log import log as logging

from magnum import conf
from magnum.common import exception
from magnum.conf import keystone_auth
from magnum.conf import keystone_authtoken
from magnum.i18n import _

CONF = conf.CONF
keystone_auth.register_keystoneauth_opts(CONF)
# [keystone_authtoken] www_authenticate_uri and the TLS options are read
# here; keystonemiddleware declares them.
keystone_authtoken.register_middleware_opts(CONF)
LOG = logging.getLogger(__name__)

GROUP = 'keystone_auth'
# keystoneauth waits forever by default; a conductor must not.
DEFAULT_TIMEOUT = 30

KeystoneFailure = exception.KeystoneFailure

_service_lock = threading.Lock()
_service_session = None


def identity_root(url):
    """Keystone's root URL: ``url`` without a version suffix."""
    root = (url or '').rstrip('/')
    for suffix in ('/v3', '/v2.0'):
        if root.endswith(suffix):
            root = root[:-len(suffix)]
    return root


# -- Keystone's answers -----------------------------------------------------

def _code_for(status):
    if status in (401, 403):
        return 403
    if status is None or status >= 500:
        return 503
    return 400


@contextlib.contextmanager
def answering(action):
    """Turn keystoneauth's errors inside into KeystoneFailure(action)."""
    try:
        yield
    except KeystoneFailure:
        raise
    except ks_exceptions.HttpError as error:
        raise KeystoneFailure(action=action, answer=str(error),
                              status=error.http_status,
                              code=_code_for(error.http_status)) from None
    except ks_exceptions.ClientException as error:
        # Unreachable, timed out, or not configured to be reached.
        answer = str(error) or type(error).__name__
        raise KeystoneFailure(action=action, answer=answer, status=None,
                              code=503) from None


def status_of(failure):
    """Keystone's HTTP status behind ``failure`` (None: no answer)."""
    return failure.kwargs.get('status')


# -- sessions -----------------------------------------------------------------

def _session(auth):
    session = ks_loading.load_session_from_conf_options(CONF, GROUP,
                                                        auth=auth)
    if session.timeout is None:
        session.timeout = float(DEFAULT_TIMEOUT)
    return session


def identity_url(context=None):
    """Keystone's v3 URL: the one the caller's token came from, else
    ``[keystone_authtoken] www_authenticate_uri``, else the service
    user's ``[keystone_auth] auth_url``."""
    url = getattr(context, 'auth_url', None) or \
        CONF.keystone_authtoken.www_authenticate_uri
    if not url:
        try:
            url = getattr(_service_auth(), 'auth_url', None)
        except KeystoneFailure:
            url = None
    if not url:
        raise KeystoneFailure(
            action=_('be found'), status=None, code=503,
            answer=_('neither [keystone_authtoken] www_authenticate_uri '
                     'nor [keystone_auth] auth_url is set'))
    return identity_root(url) + '/v3'


def has_user_token(context):
    return bool(context is not None and context.auth_token)


def user_session(context):
    """A session acting with the caller's token, scoped to the context's
    project. The token data keystonemiddleware validated is used when the
    context carries it (no extra round trip)."""
    if not has_user_token(context):
        raise KeystoneFailure(
            action=_('act for the caller'), status=None, code=400,
            answer=_('the request carried no Keystone token'))
    url = identity_url(context)
    if context.auth_token_info:
        info = access.create(body=context.auth_token_info,
                             auth_token=context.auth_token)
        auth = access_plugin.AccessInfoPlugin(info, auth_url=url)
    else:
        auth = v3.Token(auth_url=url, token=context.auth_token,
                        project_id=context.project_id)
    return _session(auth)


def _service_auth():
    problem = _('[keystone_auth] auth_type is not set')
    try:
        auth = ks_loading.load_auth_from_conf_options(CONF, GROUP)
    except ks_exceptions.MissingRequiredOptions as missing:
        auth, problem = None, str(missing)
    except ks_exceptions.ClientException as error:
        raise KeystoneFailure(
            action=_("load Magnum's service credentials"), status=None,
            code=503, answer=str(error)) from None
    if auth is not None:
        return auth
    legacy = CONF.keystone_authtoken
    if legacy.admin_user and legacy.admin_password and \
            legacy.www_authenticate_uri:
        return v3.Password(
            auth_url=identity_root(legacy.www_authenticate_uri) + '/v3',
            username=legacy.admin_user, password=legacy.admin_password,
            project_name=legacy.admin_tenant_name,
            user_domain_id='default', project_domain_id='default')
    raise KeystoneFailure(
        action=_("authenticate Magnum's service user"), status=None,
        code=503, answer=_('%s; configure [keystone_auth] (auth_type, '
                           'auth_url, username, password, project_name, '
                           'user_domain_name, project_domain_name)') %
        problem)


def service_session():
    """Magnum's service user (``[keystone_auth]``), made once per process
    (its token is reused until it expires)."""
    global _service_session
    with _service_lock:
        if _service_session is None:
            _service_session = _session(_service_auth())
        return _service_session


def reset_service_session():
    """Forget the service session (configuration changed; tests)."""
    global _service_session
    with _service_lock:
        _service_session = None


def application_credential_session(url, credential_id, secret):
    """A session authenticating with an application credential."""
    return _session(v3.ApplicationCredential(
        auth_url=url, application_credential_id=credential_id,
        application_credential_secret=secret))


def authenticate(session, action):
    """Authenticate now (not at the first request); the token's data."""
    with answering(action):
        return session.auth.get_access(session)


# -- application credentials -------------------------------------------------

def _credentials_url(url, user_id, credential_id=None):
    path = '%s/users/%s/application_credentials' % (
        url, parse.quote(user_id, safe=''))
    if credential_id:
        path += '/' + parse.quote(credential_id, safe='')
    return path


def _isotime(moment):
    moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def create_application_credential(session, url, user_id, name,
                                  description, roles=None, expires_at=None,
                                  access_rules=None):
    """Create an application credential of ``user_id`` in the session's
    project: Keystone's answer (with the ``secret``, shown this once).

    ``roles``: role names, a subset of the session's roles (None: all of
    them); ``expires_at``: an aware datetime (None: never expires);
    ``access_rules``: Keystone access rules (None: not restricted).
    """
    body = {'name': name, 'description': description,
            'unrestricted': False}
    if roles:
        body['roles'] = [{'name': role} for role in roles]
    if expires_at is not None:
        body['expires_at'] = _isotime(expires_at)
    if access_rules is not None:
        body['access_rules'] = access_rules
    with answering(_('create application credential %s') % name):
        # log=False: the answer holds the secret.
        response = session.post(_credentials_url(url, user_id),
                                json={'application_credential': body},
                                log=False)
    created = response.json()['application_credential']
    LOG.info('Created application credential %(id)s (%(name)s) of user '
             '%(user)s', {'id': created['id'], 'name': name,
                          'user': user_id})
    return created


def delete_application_credential(session, url, user_id, credential_id):
    """Delete it; False when it was already gone."""
    try:
        with answering(_('delete application credential %s') %
                       credential_id):
            session.delete(_credentials_url(url, user_id, credential_id))
    except KeystoneFailure as failure:
        if status_of(failure) == 404:
            return False
        raise
    LOG.info('Deleted application credential %(id)s of user %(user)s',
             {'id': credential_id, 'user': user_id})
    return True


def get_application_credential(session, url, user_id, credential_id):
    """Keystone's record of it (never the secret)."""
    with answering(_('read application credential %s') % credential_id):
        response = session.get(_credentials_url(url, user_id,
                                                credential_id))
    return response.json()['application_credential']


def list_application_credentials(session, url, user_id):
    """The user's application credentials (never their secrets)."""
    with answering(_('list the application credentials of user %s') %
                   user_id):
        response = session.get(_credentials_url(url, user_id))
    return response.json()['application_credentials']


def parse_expiry(value):
    """Keystone's ``expires_at`` as an aware UTC datetime (or None)."""
    if not value:
        return None
    moment = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)
