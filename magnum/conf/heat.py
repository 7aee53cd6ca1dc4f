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

heat_driver_group = cfg.OptGroup(
    'heat_driver',
    title='Heat drivers',
    help='How the Heat drivers (k8s_vm, k8s_bm, swarm_vm) build and '
         'observe the stacks of clusters.')

heat_driver_opts = [
    cfg.BoolOpt(
        'global_stack_list',
        default=False,
        help=(
            'Read the stacks of every cluster in progress with one stack '
            'list per status-sync period, made by Magnum\'s service user '
            'across projects (global_tenant). Heat\'s default policy '
            'refuses that call ("stacks:global_index" is denied to '
            'everybody), so it is off by default and the sync makes one '
            'stack list per project instead, with the application '
            'credential of one of its clusters. Turn it on only when '
            'Heat\'s policy lets Magnum\'s service user list all '
            'stacks.'
        ),
    ),
    cfg.IntOpt(
        'node_address_offset',
        default=10,
        min=2,
        help=(
            'Nodes of a cluster get fixed addresses in its subnet, from '
            'this host number on (10: 10.0.0.10 in 10.0.0.0/24); Neutron '
            'allocates the lower ones (router, DHCP) itself. Each node\'s '
            'server certificate names its address, so the address must '
            'be known before the node boots.'
        ),
    ),
    cfg.IntOpt(
        'docker_api_timeout',
        default=10,
        min=1,
        help=(
            'Seconds the swarm-mode driver waits for an answer from a '
            'cluster\'s Docker API when it checks the swarm\'s nodes.'
        ),
    ),
    cfg.IntOpt(
        'docker_volume_wait',
        default=300,
        min=1,
        help=(
            'Seconds the boot script of a swarm-mode node (swarm_vm '
            'driver) waits for its Cinder volume (docker_volume_size) to '
            'appear as a block device before it gives up and the node '
            'fails to boot with a message naming the volume. Heat '
            'attaches the volume once Nova says the server is ACTIVE, '
            'while the node boots.'
        ),
    ),
    cfg.IntOpt(
        'drain_timeout',
        default=600,
        min=10,
        help=(
            'Seconds a Kubernetes upgrade (k8s_vm, k8s_bm drivers) gives '
            'a cordoned batch of nodes to be emptied through the Eviction '
            'API before its servers are rebuilt. Past it, pods already '
            'evicted and still terminating do not hold the upgrade up; '
            'an eviction a PodDisruptionBudget still refuses ends the '
            'upgrade UPDATE_FAILED naming the node and the pod, the '
            'batch uncordoned. Keep it below ready_timeout, which also '
            'bounds the time between two batches.'
        ),
    ),
    cfg.IntOpt(
        'ready_timeout',
        default=1800,
        min=60,
        help=(
            'Seconds a cluster\'s create or update waits, once Heat has '
            'completed its stack, for the driver to see the cluster '
            'ready (Kubernetes: the API answering and every node Ready; '
            'swarm-mode: every server a Ready swarm node). Past it the '
            'operation ends CREATE_FAILED or UPDATE_FAILED with what was '
            'still missing. The nodes boot after Heat sees their servers '
            'ACTIVE, so this covers their whole boot (downloads of '
            'Kubernetes and its images included). A create also ends at '
            'its create_timeout, whichever comes first.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(heat_driver_group)
    conf.register_opts(heat_driver_opts, group=heat_driver_group)


def list_opts():
    return {heat_driver_group: heat_driver_opts}
