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

"""Keystone's WSGI application for gunicorn (tools/cloud-in-a-box.sh).

Keystone parses sys.argv with oslo.config when the application is built,
and gunicorn's own arguments would be taken for Keystone's: put the config
files there first. MAGNUM_CLOUD_KEYSTONE_CONF names them (separated by
os.pathsep; a later one overrides an earlier one, as tests do to get
short-lived tokens).
"""

import os
import sys

sys.argv = ['keystone']
for config_file in os.environ['MAGNUM_CLOUD_KEYSTONE_CONF'].split(os.pathsep):
    sys.argv += ['--config-file', config_file]

from keystone.wsgi.api import application  # noqa: E402,F401
