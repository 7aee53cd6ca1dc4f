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

"""[DEFAULT] options that do not belong to the paths or service modules."""

from oslo_config import cfg

default_opts = [
    cfg.StrOpt(
        'auth_strategy',
        default='keystone',
        choices=[
            ('keystone', 'Validate every request\'s Keystone token.'),
            (
                'noauth',
                'Do not authenticate: every request gets an admin '
                'context.',
            ),
        ],
        help=(
            'How the API authenticates requests. "noauth" gives every '
            'request an admin context without checking anything; it '
            'exists only for the local quickstart and for tests and must '
            'never be used on a reachable API.'
        ),
    ),
    cfg.StrOpt(
        'tempdir',
        help=(
            'Directory for temporary files. Unset, the system default '
            'is used; set it when that location is too small or not '
            'private enough.'
        ),
    ),
]


def register_opts(conf):
    conf.register_opts(default_opts)


def list_opts():
    return {'DEFAULT': default_opts}
