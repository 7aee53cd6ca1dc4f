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

from magnum.conf import _clients

glance_client_group = _clients.client_group('glance_client', 'Glance')

glance_client_opts = _clients.endpoint_opts('Glance')


def register_opts(conf):
    conf.register_group(glance_client_group)
    conf.register_opts(glance_client_opts, group=glance_client_group)


def list_opts():
    return {glance_client_group: glance_client_opts}
