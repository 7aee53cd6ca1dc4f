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

from oslo_config import cfg

drivers_group = cfg.OptGroup(
    'drivers',
    title='Cluster drivers',
    help='Which cluster drivers Magnum loads and what they are told.',
)

drivers_opts = [
    cfg.ListOpt(
        'disabled_drivers',
        default=[],
        help=(
            'Names of installed cluster drivers (magnum.drivers entry '
            'points) to ignore. Use it to keep a driver out of service '
            'without uninstalling it.'
        ),
    ),
    cfg.ListOpt(
        'enabled_beta_drivers',
        default=[],
        help=(
            'Names of drivers marked beta that may be used. Beta '
            'drivers are refused unless listed here.'
        ),
    ),
    cfg.StrOpt(
        'default_driver',
        help=(
            'Driver given to cluster templates that name none. Must be '
            'an installed, enabled driver; unset, the driver is chosen '
            'from the template\'s server type, distro and COE.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(drivers_group)
    conf.register_opts(drivers_opts, group=drivers_group)


def list_opts():
    return {drivers_group: drivers_opts}
