# TEST FIXTURE of the cloud-in-a-box (tools/cloud-in-a-box.sh), not part of
# Magnum: it checks that the test cloud's Heat really uses the stand-ins for
# Nova, Neutron, Octavia and Cinder (a global environment file that fails to
# parse is only logged by heat-engine, which then runs with the real types).
#
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

"""Ask the cloud's Heat API whether the stand-ins are active.

    check_standins.py STATE_FILE [SECONDS]

Exit 0 when ``resource_types/OS::Nova::Server`` shows the container-backed
plugin's schema and every stood-in Neutron, Octavia and Cinder type shows
its provider template's extra ``standin_fail`` parameter; else exit 1 with
what Heat showed instead. Retries for SECONDS (default 60) while the engine
starts.
"""

import json
import os
import sys
import time

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_standins  # noqa: E402

# The properties of the plugin's schema (heat-interface.md); Heat's own
# Server has many more (admin_pass, personality, ...).
PLUGIN_PROPERTIES = {
    'name', 'image', 'flavor', 'key_name', 'availability_zone', 'networks',
    'user_data', 'user_data_format', 'metadata', 'config_drive',
    'block_device_mapping_v2', 'scheduler_hints', 'security_groups',
    'image_update_policy'}


def _problems(session, heat_url):
    problems = []
    shown = session.get('%s/resource_types/OS::Nova::Server' % heat_url,
                        raise_exc=False)
    if shown.status_code != 200:
        return ['OS::Nova::Server: HTTP %d %s' % (shown.status_code,
                                                  shown.text[:300])]
    shown = set(shown.json().get('properties', {}))
    if shown != PLUGIN_PROPERTIES:
        problems.append('OS::Nova::Server is not the stand-in %s: its '
                        'properties are %s' % (
                            make_standins.SERVER_PLUGIN_TYPE,
                            ', '.join(sorted(shown))))
    for type_name in sorted(make_standins.PROVIDERS):
        shown = session.get('%s/resource_types/%s' % (heat_url, type_name),
                            raise_exc=False)
        if shown.status_code != 200:
            problems.append('%s: HTTP %d %s' % (
                type_name, shown.status_code, shown.text[:300]))
        elif 'standin_fail' not in shown.json().get('properties', {}):
            problems.append('%s is Heat\'s own type, not its provider '
                            'template' % type_name)
    return problems


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write('usage: %s STATE_FILE [SECONDS]\n' % argv[0])
        return 2
    with open(argv[1]) as handle:
        state = json.load(handle)
    deadline = time.monotonic() + (float(argv[2]) if len(argv) == 3 else 60)
    admin = state['admin']
    auth = v3.Password(
        auth_url=admin['auth_url'], username=admin['username'],
        password=admin['password'], project_name=admin['project_name'],
        user_domain_name=admin['user_domain_name'],
        project_domain_name=admin['project_domain_name'])
    session = ks_session.Session(auth=auth, timeout=30)
    while True:
        try:
            project = session.get_project_id()
            problems = _problems(session, '%s/v1/%s' % (
                state['heat_url'].rstrip('/'), project))
        except ks_exceptions.ClientException as error:
            problems = ['Heat or Keystone did not answer: %s' % error]
        if not problems:
            print('stand-ins active: OS::Nova::Server is %s; %d provider '
                  'templates' % (make_standins.SERVER_PLUGIN_TYPE,
                                 len(make_standins.PROVIDERS)))
            return 0
        if time.monotonic() > deadline:
            sys.stderr.write('the stand-ins are not active in the test '
                             'cloud\'s Heat:\n  %s\n' % '\n  '.join(problems))
            return 1
        time.sleep(2)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
