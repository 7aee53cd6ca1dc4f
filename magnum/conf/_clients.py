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

"""Builders for the options every ``[<service>_client]`` group shares.

Each client group lives in its own module; the options they have in common
are built here so that their names, defaults and help stay identical.
Every call returns new option objects because each group needs help text
naming its own service.
"""

from oslo_config import cfg


def client_group(name, service):
    """The OptGroup for the client of ``service`` named ``name``."""
    return cfg.OptGroup(
        name,
        title=f'{service} client',
        help=f'How Magnum finds and talks to the {service} service.',
    )


def endpoint_opts(service):
    """``region_name`` and ``endpoint_type`` for the client of ``service``."""
    return [
        cfg.StrOpt(
            'region_name',
            help=(
                f'Region of the {service} endpoint to take from the '
                'Keystone service catalog. Set it when the catalog lists '
                f'{service} in more than one region; unset, the client '
                'takes whichever endpoint the catalog offers.'
            ),
        ),
        cfg.StrOpt(
            'endpoint_type',
            default='publicURL',
            help=(
                f'Type of {service} endpoint to take from the Keystone '
                'service catalog (publicURL, internalURL or adminURL). '
                'Use internalURL when the Magnum services should reach '
                f'{service} over the internal network.'
            ),
        ),
    ]

