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
"""

import re

from keystonemiddleware import auth_token


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

    @classmethod
    def factory(cls, global_config, **local_conf):
        routes = [route.strip() for route in
                  local_conf.get('acl_public_routes', '').split(',')]

        def _factory(app):
            # No oslo_config_project: the middleware reads the already
            # parsed global configuration ([keystone_authtoken]).
            return cls(app, {}, public_api_routes=routes)
        return _factory
