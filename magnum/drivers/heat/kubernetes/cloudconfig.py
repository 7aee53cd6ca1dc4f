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

"""A node's boot configuration as cloud-config (Ubuntu's cloud-init).

Files and systemd units go to ``write_files``; ``runcmd`` runs the set-up
script once, at first boot, after cloud-init has written them. Contents
are plain text (not base64), so that the placeholders the HOT templates
replace per node stay visible in the user data.
"""

import yaml

HEADER = '#cloud-config\n'


def render(config):
    """The cloud-config of a bootconfig.NodeConfig, as YAML text."""
    write_files = [{'path': f.path, 'content': f.content,
                    'permissions': '0%o' % f.mode, 'owner': 'root:root'}
                   for f in config.files]
    write_files += [{'path': '/etc/systemd/system/%s' % u.name,
                     'content': u.content, 'permissions': '0644',
                     'owner': 'root:root'} for u in config.units]
    document = {'write_files': write_files, 'runcmd': [[config.command]]}
    return HEADER + yaml.safe_dump(document, default_flow_style=False,
                                   sort_keys=False, width=1000)


def files_of(text):
    """{path: content} of a cloud-config's write_files."""
    document = yaml.safe_load(text)
    return {entry['path']: entry['content']
            for entry in document.get('write_files', [])}
