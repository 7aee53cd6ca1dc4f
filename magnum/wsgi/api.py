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

"""The Magnum API as a WSGI application, for a WSGI server Magnum does
not start itself (uWSGI, Apache mod_wsgi, gunicorn run by hand)::

    uwsgi --http 127.0.0.1:9511 --lazy-apps --processes 2 --threads 2 \\
        --module magnum.wsgi.api:application

Configuration files: ``MAGNUM_CONFIG_FILE`` in the environment, one path
or several separated by commas (later files override earlier ones, as
with repeated ``--config-file``); without it, oslo.config's usual places
(``/etc/magnum/magnum.conf``, ``~/.magnum/magnum.conf``, ...).
``MAGNUM_CONFIG_DIR`` adds a directory of ``*.conf`` files read after
them, as ``--config-dir`` does. The server's own command line is never
parsed as Magnum's.

The application is built when this module is imported: a server that
forks its workers after loading the application (uWSGI without
``--lazy-apps``) shares nothing but the configuration with them, since
database connections are made per process (oslo.db opens new ones in a
forked process) and the conductor's RPC client on the first request
that needs it.
"""

import os

from magnum.api import app
from magnum.common import service

CONFIG_FILE_ENV = 'MAGNUM_CONFIG_FILE'
CONFIG_DIR_ENV = 'MAGNUM_CONFIG_DIR'


def command_line(environ=None):
    """The oslo.config arguments the environment asks for."""
    environ = os.environ if environ is None else environ
    argv = ['magnum-api-wsgi']
    for path in environ.get(CONFIG_FILE_ENV, '').split(','):
        if path.strip():
            argv += ['--config-file', path.strip()]
    if environ.get(CONFIG_DIR_ENV, '').strip():
        argv += ['--config-dir', environ[CONFIG_DIR_ENV].strip()]
    return argv


def init_application(environ=None):
    """Read the configuration, set up logging and return the API's WSGI
    application (with the paste pipeline of ``[api] api_paste_config``).
    """
    argv = command_line(environ)
    # Files named in the environment replace the default ones, as a
    # --config-file on a command line does.
    defaults = [] if '--config-file' in argv else None
    service.prepare_service(argv, default_config_files=defaults,
                            messaging_opts=False)
    application = app.load_app()
    app.warm_up()
    return application


application = init_application()
