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

"""keystonemiddleware's auth_token, except for the public routes.

The version documents (``/`` and ``/v1``) answer without a token; every
other path needs one. A route matches with or without a trailing slash or
a ``.json`` suffix.

When Keystone cannot be asked about a token (down, unreachable, failing),
keystonemiddleware answers 503 with a body of webob's making (HTML or
plain text); callers get it in the OpenStack error format instead.
"""

import json
import re

from keystonemiddleware import auth_token
import webob
import webob.exc

from magnum.api.middleware import parsable_error


class AuthTokenMiddleware(auth_token.AuthProtocol):

    def __init__(self, app, conf, public_api_routes=()):
        self.public_api_routes = [
            re.compile(r'^%s(\.json)?$' % re.escape(route.rstrip('/')))
            for route in public_api_routes if route]
        super().__init__(app, conf)

    def __call__(self, env, start_response):
        path = env.get('PATH_INFO') or '/'
        path = path.rstrip('/') or '/'
        public = path == '/' or any(
            route.match(path) for route in self.public_api_routes)
        env['is_public_api'] = public
        if public:
            return self._app(env, start_response)
        return super().__call__(env, start_response)

    def process_request(self, request):
        try:
            return super().process_request(request)
        except webob.exc.HTTPServiceUnavailable as error:
            body = {'errors': [parsable_error.error_element(503, {
                'title': 'The Keystone service is temporarily unavailable',
                'description': '%s Try again later.' % (
                    error.detail or 'The Keystone service is temporarily '
                    'unavailable.')})]}
            return webob.Response(
                status=503, body=json.dumps(body).encode(),
                content_type='application/json')

    @classmethod
    def factory(cls, global_config, **local_conf):
        routes = [route.strip() for route in
                  local_conf.get('acl_public_routes', '').split(',')]

        def _factory(app):
            # No oslo_config_project: the middleware reads the already
            # parsed global configuration ([keystone_authtoken]).
            return cls(app, {}, public_api_routes=routes)
        return _factory
