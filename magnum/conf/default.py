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
    cfg.IntOpt(
        'max_manifest_size',
        default=524288,
        min=0,
        help=(
            'Largest manifest, in bytes, Magnum will download from a '
            'legacy manifest_url. Raise it only if legitimate manifests '
            'are refused.'
        ),
    ),
    cfg.ListOpt(
        'password_symbols',
        default=[
            '23456789',
            'ABCDEFGHJKLMNPQRSTUVWXYZ',
            'abcdefghijkmnopqrstuvwxyz',
        ],
        help=(
            'Groups of characters that random passwords Magnum generates '
            'are built from. The defaults leave out characters that are '
            'easy to confuse (0/O, 1/I/l); change them only to meet a '
            'local password policy.'
        ),
    ),
    cfg.StrOpt(
        'rootwrap_config',
        default='/etc/magnum/rootwrap.conf',
        help=(
            'Path to the rootwrap configuration file used to run '
            'commands as root. Change it when Magnum\'s configuration '
            'lives outside /etc/magnum.'
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
