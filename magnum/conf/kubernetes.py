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

kubernetes_group = cfg.OptGroup(
    'kubernetes',
    title='Kubernetes clusters',
    help='Settings for Kubernetes clusters and the drivers that build them.',
)

kubernetes_opts = [
    cfg.IntOpt(
        'health_polling_interval',
        default=60,
        min=1,
        help=(
            'Seconds between two health checks of each Kubernetes '
            'cluster. Lower it to notice failures sooner, raise it to '
            'reduce the load on the clusters\' API servers.'
        ),
    ),
    cfg.IntOpt(
        'api_timeout',
        default=10,
        min=1,
        help=(
            'Seconds Magnum gives a cluster\'s Kubernetes API, in all, '
            'each time it reads it (/readyz and the nodes: the health '
            'check, the wait after the stack of a create or update, the '
            'nodes endpoint). A cluster whose API does not answer in '
            'that time is UNKNOWN with the reason, and the health check '
            'goes on to the next cluster.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(kubernetes_group)
    conf.register_opts(kubernetes_opts, group=kubernetes_group)


def list_opts():
    return {kubernetes_group: kubernetes_opts}
