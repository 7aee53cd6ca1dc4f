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

"""The WSGI application of magnum-api."""

import os

from oslo_log import log as logging
from paste import deploy
import pecan

from magnum import conf
from magnum.api import db_errors
from magnum.api import hooks
from magnum.api import json_encoding
from magnum.api.middleware import parsable_error
from magnum.conf import keystone_authtoken

CONF = conf.CONF
LOG = logging.getLogger(__name__)

PECAN_CONFIG = {
    'app': {
        'root': 'magnum.api.controllers.root.RootController',
        'modules': ['magnum.api'],
    },
}


def setup_app(config=None):
    """The pecan application with its hooks and the error middleware, but
    without the paste pipeline's middleware (auth, CORS, ...)."""
    config = config or PECAN_CONFIG
    # The API's own JSON encoding, through WSME's public converter
    # registry. Nothing else in the libraries is changed: pecan, WSME,
    # oslo.policy and oslo.middleware run as they ship.
    json_encoding.register()
    # The context hook reads [keystone_authtoken] www_authenticate_uri.
    register_auth_middleware_opts()
    app_conf = dict(config['app'])
    app_hooks = [hooks.ContextHook(), hooks.RPCHook(),
                 hooks.MicroversionHook(), hooks.NoExceptionTracebackHook(),
                 db_errors.DatabaseErrorHook()]
    app = pecan.make_app(
        app_conf.pop('root'),
        hooks=app_hooks,
        force_canonical=False,
        guess_content_type_from_ext=False,
        wrap_app=parsable_error.ParsableErrorMiddleware,
        debug=False,
        **app_conf)
    return app


def app_factory(global_config, **local_conf):
    """Paste factory for the pecan application."""
    return setup_app()


def pipeline_factory(loader, global_conf, **local_conf):
    """Paste composite: the pipeline named by ``[DEFAULT] auth_strategy``."""
    strategy = CONF.auth_strategy
    if strategy not in local_conf:
        raise RuntimeError('api-paste.ini has no pipeline for auth_strategy '
                           '%s' % strategy)
    if strategy == 'noauth':
        LOG.warning('auth_strategy = noauth: the API does not authenticate '
                    'and gives every request an admin context. Use it only '
                    'for the local quickstart and tests.')
    names = local_conf[strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app


def paste_config_path():
    """``[api] api_paste_config``, looked up beside the config files when
    relative; the copy in the source tree is the last resort."""
    path = CONF.api.api_paste_config
    if not os.path.isabs(path):
        found = CONF.find_file(path)
        if found:
            return os.path.abspath(found)
        bundled = os.path.join(os.path.dirname(__file__), os.pardir,
                               os.pardir, 'etc', 'magnum', path)
        if os.path.exists(bundled):
            return os.path.abspath(bundled)
    if not os.path.exists(path):
        raise RuntimeError('Unable to find the API paste configuration %s; '
                           'set [api] api_paste_config.' % path)
    return path


def register_auth_middleware_opts():
    """With ``auth_strategy = keystone``, register keystonemiddleware's
    [keystone_authtoken] options before the pipeline or a request reads
    them. Under noauth the API never imports keystonemiddleware (about
    13 MiB of each worker)."""
    if CONF.auth_strategy == 'keystone':
        keystone_authtoken.register_middleware_opts(CONF)


def warm_up():
    """Ready a new worker for its first request: the database driver,
    the mappings and a pooled connection (about 0.3 s and 9 MiB that the
    first request would otherwise wait for). A database that cannot be
    reached is only logged: requests report it as they come."""
    from magnum.db import api as db_api
    try:
        db_api.get_instance().warm_up()
    except Exception as error:
        LOG.warning('Could not reach the database while starting: %s',
                    error)
        return False
    return True


def load_app():
    """The application with its middleware, as the paste file assembles
    it."""
    register_auth_middleware_opts()
    path = paste_config_path()
    LOG.info('Loading the API application from %s', path)
    return deploy.loadapp('config:%s' % path, name='main')
