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

cinder_group = cfg.OptGroup(
    'cinder',
    title='Cinder volumes',
    help='Volumes drivers create for cluster nodes.',
)

cinder_opts = [
    cfg.IntOpt(
        'default_boot_volume_size',
        default=0,
        min=0,
        help=(
            'Size in GB of the boot volume given to nodes. 0 boots '
            'from the flavor\'s root disk, so flavors without one are '
            'refused; set a size to boot from volumes instead.'
        ),
    ),
    cfg.StrOpt(
        'default_docker_volume_type',
        default='',
        help=(
            'Cinder volume type for container storage volumes when the '
            'cluster template names none. Empty uses Cinder\'s default.'
        ),
    ),
    cfg.StrOpt(
        'default_etcd_volume_type',
        default='',
        help=(
            'Cinder volume type for etcd volumes when the cluster '
            'template names none. Empty uses Cinder\'s default.'
        ),
    ),
    cfg.StrOpt(
        'default_boot_volume_type',
        default='',
        help=(
            'Cinder volume type for boot volumes when the cluster '
            'template names none. Empty uses Cinder\'s default.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(cinder_group)
    conf.register_opts(cinder_opts, group=cinder_group)


def list_opts():
    return {cinder_group: cinder_opts}
