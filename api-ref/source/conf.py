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

"""Sphinx configuration of the REST API reference (tox -e api-ref)."""

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

project = 'Container Infrastructure Management API Reference'
copyright = 'OpenStack Foundation and contributors'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['_build']
pygments_style = 'native'

html_theme = 'openstackdocs'
html_theme_options = {'sidebar_mode': 'toc'}
html_last_updated_fmt = '%Y-%m-%d'
openstackdocs_repo_name = 'openstack/magnum'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = 'magnum'
openstackdocs_bug_tag = 'api-ref'
openstackdocs_auto_name = False
