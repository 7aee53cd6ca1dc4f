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

"""Where Magnum's installed files and its state live ([DEFAULT])."""

import os

from oslo_config import cfg

# The directory holding the installed ``magnum`` package; the sample shows
# a placeholder because the real value depends on where Magnum is installed.
_INSTALL_DIR = os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))
)

path_opts = [
    cfg.StrOpt(
        'pybasedir',
        default=_INSTALL_DIR,
        sample_default='<Path>',
        help=(
            'Directory where the magnum Python package is installed. '
            'Computed at start-up; set it only when the files Magnum '
            'ships must be looked up somewhere else.'
        ),
    ),
    cfg.StrOpt(
        'bindir',
        default='$pybasedir/bin',
        help=(
            'Directory where Magnum\'s helper executables are installed. '
            'Set it when they are installed outside pybasedir.'
        ),
    ),
    cfg.StrOpt(
        'state_path',
        default='$pybasedir',
        help=(
            'Top-level directory for the state Magnum keeps on disk, '
            'such as the embedded SQLite database. Point it at a '
            'writable directory (e.g. /var/lib/magnum) on a real '
            'deployment.'
        ),
    ),
]


def register_opts(conf):
    conf.register_opts(path_opts)


def list_opts():
    return {'DEFAULT': path_opts}
