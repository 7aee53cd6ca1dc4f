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

CONF = conf.CONF
LOG = logging.getLogger(__name__)

PECAN_CONFIG = {
    'app': {
        'root': 'magnum.api.controllers.root.RootController',
        'modules': ['magnum.api'],
        'debug': False,
    },
}


def setup_app(config=None):
    """The bare pecan application (no middleware)."""
    config = config or PECAN_CONFIG
    app_conf = dict(config['app'])
    return pecan.make_app(
        app_conf.pop('root'),
        logging=getattr(config, 'logging', {}),
        force_canonical=False,
        guess_content_type_from_ext=False,
        **app_conf)


def app_factory(global_config, **local_conf):
    """Paste factory for the pecan application."""
    return setup_app()


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


def load_app():
    """The application with its middleware, as the paste file assembles
    it."""
    path = paste_config_path()
    LOG.info('Loading the API application from %s', path)
    return deploy.loadapp('config:%s' % path, name='main')
