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

nova_client_group = _clients.client_group('nova_client', 'Nova')

nova_client_opts = _clients.endpoint_opts('Nova')


def register_opts(conf):
    conf.register_group(nova_client_group)
    conf.register_opts(nova_client_opts, group=nova_client_group)


def list_opts():
    return {nova_client_group: nova_client_opts}
