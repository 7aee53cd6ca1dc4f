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

"""Sphinx configuration of the Magnum documentation (doc/source).

Built with ``tox -e docs``, warnings are errors. The configuration and
policy references are generated from the code at build time by the
oslo.config and oslo.policy extensions, so they cannot fall behind.
"""

extensions = [
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_policy.sphinxext',
]

project = 'Magnum'
copyright = 'OpenStack Foundation and contributors'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['_build']
pygments_style = 'native'

html_theme = 'openstackdocs'
html_static_path = []
html_last_updated_fmt = '%Y-%m-%d'
openstackdocs_repo_name = 'openstack/magnum'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = 'magnum'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False

