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

"""pecan hooks: request context, microversion, RPC client, error tidying."""

import threading

from oslo_log import log as logging
import pecan
from pecan import hooks

from magnum import conf
from magnum.api import microversion
from magnum.common import context as magnum_context
from magnum.common import policy

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Used when authentication is off and the caller names no project: rows
# still need an owner.
NOAUTH_PROJECT = 'admin'
NOAUTH_USER = 'admin'


def _header_roles(headers):
    roles = headers.get('X-Roles')
    return [role.strip() for role in roles.split(',')] if roles else []


class ContextHook(hooks.PecanHook):
    """Builds ``request.context`` from Keystone's headers (or, with
    ``auth_strategy = noauth``, an admin context)."""

    def before(self, state):
        headers = state.request.headers
        environ = state.request.environ
        values = {
            'auth_token': headers.get('X-Auth-Token'),
            'user_id': headers.get('X-User-Id'),
            'user_name': headers.get('X-User-Name'),
            'project_id': headers.get('X-Project-Id'),
            'project_name': headers.get('X-Project-Name'),
            'user_domain_id': headers.get('X-User-Domain-Id'),
            'user_domain_name': headers.get('X-User-Domain-Name'),
            'domain_id': headers.get('X-Domain-Id'),
            'domain_name': headers.get('X-Domain-Name'),
            'roles': _header_roles(headers),
            'auth_token_info': environ.get('keystone.token_info'),
            'auth_url': CONF.keystone_authtoken.www_authenticate_uri
            if CONF.auth_strategy == 'keystone' else None,
            'request_id': environ.get('openstack.request_id'),
        }
        if CONF.auth_strategy == 'noauth':
            values['project_id'] = values['project_id'] or NOAUTH_PROJECT
            values['user_id'] = values['user_id'] or NOAUTH_USER
            if 'admin' not in values['roles']:
                values['roles'] = values['roles'] + ['admin', 'member',
                                                     'reader']
        context = magnum_context.make_context(**values)
        context.is_admin = policy.check_is_admin(context)
        state.request.context = context


class MicroversionHook(hooks.PecanHook):
    """Negotiates the version of every request under /v1 and answers
    with the version headers (doc/source/contributor/compatibility.rst,
    "Microversions")."""

    def on_route(self, state):
        request = state.request
        request.version = None
        if not _under_v1(request.path_info):
            return
        try:
            request.version = microversion.from_headers(request.headers)
        except microversion.UnsupportedVersion as error:
            # Already in the error format; the error middleware passes
            # bodies with min_version through untouched.
            pecan.abort(406, headers=microversion.response_headers(
                microversion.MIN_VERSION),
                json_body=microversion.unsupported_body(error))
        except microversion.InvalidVersionHeader as error:
            pecan.abort(406, headers=microversion.response_headers(
                microversion.MIN_VERSION),
                json_body={'title': 'Invalid API version header',
                           'description': str(error)})

    def after(self, state):
        version = getattr(state.request, 'version', None)
        if version is not None:
            state.response.headers.update(
                microversion.response_headers(version))


def _under_v1(path):
    first = path.lstrip('/').split('/', 1)[0]
    return first != ''


class ConductorClient:
    """The conductor's RPC client (magnum.conductor.rpcapi.ConductorAPI),
    made once, when a request first uses it.

    Most requests never talk to the conductor; until one does, the
    process neither imports oslo.messaging's drivers (kombu, amqp) nor
    sets up a transport. A failure to make the client (a bad
    ``transport_url``) fails the requests that need it, and the next one
    tries again.
    """

    def __init__(self):
        self._api = None
        self._lock = threading.Lock()

    def _client(self):
        if self._api is None:
            with self._lock:
                if self._api is None:
                    from magnum.conductor import rpcapi
                    self._api = rpcapi.ConductorAPI()
        return self._api

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)
        return getattr(self._client(), name)


class RPCHook(hooks.PecanHook):
    """Gives controllers ``request.rpcapi``, one ConductorClient per
    process."""

    def __init__(self):
        self._rpcapi = ConductorClient()

    def before(self, state):
        state.request.rpcapi = self._rpcapi


class NoExceptionTracebackHook(hooks.PecanHook):
    """Errors from the conductor carry its traceback; callers get only the
    message (the traceback is in the conductor's log)."""

    MARKER = 'Traceback (most recent call last):'

    def after(self, state):
        response = state.response
        if response.status_int < 400 or not response.body:
            return
        try:
            body = response.json
        except ValueError:
            return
        fault = body.get('faultstring') if isinstance(body, dict) else None
        if not fault or self.MARKER not in fault:
            return
        if CONF.debug and body.get('faultcode') == 'Server':
            return
        body['faultstring'] = fault.split(self.MARKER, 1)[0].rstrip()
        response.json = body
