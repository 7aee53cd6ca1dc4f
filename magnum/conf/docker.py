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

docker_group = cfg.OptGroup(
    'docker',
    title='Docker API',
    help=(
        'How Magnum talks to the Docker API of legacy Docker Swarm '
        'clusters.'
    ),
)

docker_opts = [
    cfg.StrOpt(
        'docker_remote_api_version',
        default='1.21',
        help=(
            'Docker remote API version requested from cluster '
            'endpoints. Raise it only when all clusters run a Docker '
            'that supports the newer version.'
        ),
    ),
    cfg.IntOpt(
        'default_timeout',
        default=60,
        min=1,
        help=(
            'Seconds to wait for an answer from a cluster\'s Docker '
            'API. Raise it for slow or distant clusters.'
        ),
    ),
    cfg.BoolOpt(
        'api_insecure',
        default=False,
        help=(
            'Skip verification of the TLS certificate of cluster '
            'Docker APIs. Only for testing.'
        ),
    ),
    cfg.StrOpt(
        'ca_file',
        help='CA bundle used to verify cluster Docker API certificates.',
    ),
    cfg.StrOpt(
        'cert_file',
        help=(
            'Client certificate presented to cluster Docker APIs that '
            'require TLS client authentication.'
        ),
    ),
    cfg.StrOpt(
        'key_file',
        help='Private key matching cert_file.',
    ),
]


def register_opts(conf):
    conf.register_group(docker_group)
    conf.register_opts(docker_opts, group=docker_group)


def list_opts():
    return {docker_group: docker_opts}
