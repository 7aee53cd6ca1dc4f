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

"""WSGI entry point for uwsgi, mod_wsgi or gunicorn.

    uwsgi --http :9511 --module magnum.wsgi.api:application

Configuration comes from the usual places (/etc/magnum/magnum.conf), or
from ``MAGNUM_CONFIG_FILE`` (several files separated by commas).
"""

import os

from magnum.api import unused_imports

unused_imports.refuse_unused()

from magnum.api import app  # noqa: E402
from magnum.common import service  # noqa: E402


def init_application():
    config_files = os.environ.get('MAGNUM_CONFIG_FILE')
    default_files = config_files.split(',') if config_files else None
    service.prepare_service(['magnum-api-wsgi'],
                            default_config_files=default_files,
                            messaging_opts=False)
    return app.load_app()


application = init_application()
