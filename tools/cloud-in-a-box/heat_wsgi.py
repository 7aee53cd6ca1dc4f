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

"""Heat's orchestration API for gunicorn (tools/cloud-in-a-box.sh).

Heat 27 ships no heat-api server, only the WSGI application, which parses
sys.argv with oslo.config: gunicorn's own arguments would be taken for
Heat's, so the config file (from the environment) is put there first.
"""

import os
import sys

sys.argv = ['heat-api', '--config-file', os.environ['MAGNUM_CLOUD_HEAT_CONF']]

from heat.wsgi.api import application  # noqa: E402,F401
