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

cluster_group = cfg.OptGroup(
    'cluster',
    title='Clusters',
    help='Settings that apply to every cluster Magnum builds.',
)

cluster_opts = [
    cfg.StrOpt(
        'etcd_discovery_service_endpoint_format',
        default='https://discovery.etcd.io/new?size=%(size)d',
        help=(
            'URL of the etcd discovery service asked for a new '
            'discovery token; %(size)d is replaced by the number of '
            'masters. Point it at a private discovery service when '
            'nodes cannot reach discovery.etcd.io.'
        ),
    ),
    cfg.StrOpt(
        'nodes_affinity_policy',
        default='soft-anti-affinity',
        help=(
            'Nova server group policy for a cluster\'s nodes. '
            '"soft-anti-affinity" spreads them over hypervisors when it '
            'can; "anti-affinity" insists, and fails when there are too '
            'few hypervisors.'
        ),
    ),
    cfg.StrOpt(
        'temp_cache_dir',
        default='/var/lib/magnum/certificate-cache',
        help=(
            'Directory where client certificates for talking to '
            'clusters are cached. Must be writable and private to the '
            'Magnum services.'
        ),
    ),
    cfg.IntOpt(
        'pre_delete_lb_timeout',
        default=60,
        min=0,
        help=(
            'Seconds to wait for a cluster\'s load balancers to be '
            'deleted before the cluster itself is deleted. Raise it '
            'when Octavia is slow to delete load balancers.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(cluster_group)
    conf.register_opts(cluster_opts, group=cluster_group)


def list_opts():
    return {cluster_group: cluster_opts}
