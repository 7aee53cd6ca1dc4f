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

cluster_template_group = cfg.OptGroup(
    'cluster_template',
    title='Cluster templates',
    help='What cluster templates may choose.',
)

cluster_template_opts = [
    cfg.ListOpt(
        'kubernetes_allowed_network_drivers',
        default=['flannel', 'calico'],
        help=(
            'Network drivers a Kubernetes cluster template may name. '
            '"all" allows any; narrow it to the drivers the cloud '
            'supports.'
        ),
    ),
    cfg.StrOpt(
        'kubernetes_default_network_driver',
        default='flannel',
        help=(
            'Network driver of Kubernetes cluster templates that name '
            'none. Should be one of kubernetes_allowed_network_drivers.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(cluster_template_group)
    conf.register_opts(cluster_template_opts, group=cluster_template_group)


def list_opts():
    return {cluster_template_group: cluster_template_opts}
