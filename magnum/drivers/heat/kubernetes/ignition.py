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

"""A node's boot configuration as an Ignition 3 config (Fedora CoreOS).

Files are carried as percent-encoded ``data:`` URLs (not base64), so that
the placeholders the HOT templates replace per node stay visible in the
user data. The set-up script runs from a systemd unit Ignition enables.
"""

import json
import urllib.parse

IGNITION_VERSION = '3.3.0'


def _source(content):
    return 'data:,' + urllib.parse.quote(content, safe='')


def _parents(paths):
    """Directories to create for ``paths`` (Ignition makes parents, but
    with mode 0755 owned by root; declared here for the private ones)."""
    return sorted({'/'.join(path.split('/')[:-1]) for path in paths} -
                  {'', '/etc', '/usr/local/bin'})


def render(config):
    """The Ignition config of a bootconfig.NodeConfig, as JSON text."""
    files = [{'path': f.path, 'mode': f.mode, 'overwrite': True,
              'contents': {'source': _source(f.content)}}
             for f in config.files]
    directories = [{'path': path, 'mode': 0o755}
                   for path in _parents([f.path for f in config.files])]
    units = [{'name': u.name, 'enabled': u.enabled, 'contents': u.content}
             for u in config.units]
    document = {
        'ignition': {'version': IGNITION_VERSION},
        'storage': {'directories': directories, 'files': files},
        'systemd': {'units': units},
    }
    return json.dumps(document, sort_keys=True, separators=(',', ':'))


def files_of(text):
    """{path: content} of an Ignition config's files (for tests and for
    reading back what a node was given)."""
    document = json.loads(text)
    found = {}
    for entry in document.get('storage', {}).get('files', []):
        source = entry['contents']['source']
        prefix = 'data:,'
        if not source.startswith(prefix):
            raise ValueError('%s is not an inline data URL' % entry['path'])
        found[entry['path']] = urllib.parse.unquote(source[len(prefix):])
    return found
