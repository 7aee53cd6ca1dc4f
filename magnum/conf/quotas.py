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

quotas_group = cfg.OptGroup(
    'quotas',
    title='Quotas',
    help='Default limits for projects without an explicit quota.',
)

quotas_opts = [
    cfg.IntOpt(
        'max_clusters_per_project',
        default=20,
        min=0,
        help=(
            'Clusters a project may own when no quota has been set for '
            'it. Change it to set the cloud-wide default; set per '
            'project quotas through the API.'
        ),
    ),
    cfg.IntOpt(
        'max_containers_per_project',
        default=100,
        min=0,
        help=(
            'Containers (API microversion 1.16) a project may run on its '
            'swarm clusters when no Container quota has been set for it.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(quotas_group)
    conf.register_opts(quotas_opts, group=quotas_group)


def list_opts():
    return {quotas_group: quotas_opts}
