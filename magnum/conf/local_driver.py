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

local_driver_group = cfg.OptGroup(
    'local_driver',
    title='Local Docker driver',
    help=(
        'The local_swarm driver builds Docker swarm-mode clusters out of '
        'Docker-in-Docker containers on one Docker engine (see '
        'doc/source/admin/local-driver.rst). These options say which '
        'engine, how containers are named and sized, and where each '
        'cluster\'s API is published.'
    ),
)

# cpus/memory in MiB; sized for an evaluation machine, not for production.
DEFAULT_FLAVORS = {
    'm1.tiny': '1/512',
    'm1.small': '1/1024',
    'm1.medium': '2/2048',
    'm1.large': '2/4096',
    'm1.xlarge': '4/8192',
}

local_driver_opts = [
    cfg.ListOpt(
        'allowed_projects',
        default=[],
        help=(
            'IDs of the projects whose members may create and grow '
            'clusters of the local_swarm driver when auth_strategy is '
            'keystone. Such a cluster gives its users root on the host '
            'running magnum-conductor (its nodes are Docker-in-Docker '
            'containers of that host\'s engine, with SYS_ADMIN and '
            'NET_ADMIN), so by default no project may, and only holders of '
            'the admin role can. Other projects get a 403 saying so. With '
            'auth_strategy = noauth (a quickstart, the tests) everyone may. '
            'IDs, not names: names are unique only within a domain, and '
            'the conductor, which checks, is given the caller\'s project '
            'ID only.'
        ),
    ),
    cfg.StrOpt(
        'docker_host',
        help=(
            'URL of the Docker engine the clusters are built on, such as '
            'unix:///var/tmp/magnum-docker/docker.sock (the private engine '
            'of tools/docker-engine.sh) or unix:///var/run/docker.sock. '
            'When unset, the environment of the conductor decides '
            '(DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else the '
            'standard socket unix:///var/run/docker.sock. The conductor '
            'must run on the engine\'s host: it reaches the nodes at their '
            'addresses on the cluster networks.'
        ),
    ),
    cfg.IntOpt(
        'engine_timeout',
        default=60,
        min=1,
        help=(
            'Seconds to wait for one answer of the Docker engine or of a '
            'node\'s dockerd before giving up.'
        ),
    ),
    cfg.StrOpt(
        'name_prefix',
        default='magnum',
        regex=r'^[a-z0-9][a-z0-9-]{0,19}$',
        help=(
            'First part of the name of every container and network the '
            'driver makes: <prefix>-<first 8 characters of the cluster '
            'uuid>-<nodegroup>-<index>. Lowercase letters, digits and '
            'dashes, at most 20 characters. Change it only while no '
            'cluster exists: containers are found again by their labels, '
            'but the names of new nodes would change.'
        ),
    ),
    cfg.StrOpt(
        'publish_address',
        default='127.0.0.1',
        help=(
            'Host address the cluster API ports are published on. The '
            'default keeps every cluster reachable only from this '
            'machine; 0.0.0.0 publishes them on all addresses of the host '
            '(every cluster still requires a client certificate of its '
            'own CA).'
        ),
    ),
    cfg.StrOpt(
        'api_host',
        help=(
            'Host name or address written into each cluster\'s '
            'api_address (tcp://<api_host>:<port>) and into the managers\' '
            'server certificates. Defaults to publish_address, or to the '
            'address of this host\'s name when publish_address is '
            '0.0.0.0.'
        ),
    ),
    cfg.StrOpt(
        'api_port_range',
        default='23760-23999',
        regex=r'^\d{1,5}-\d{1,5}$',
        help=(
            'Range of host ports (first-last) for the cluster APIs: each '
            'cluster publishes the Docker API (2376) of its manager, or of '
            'its load balancer when it has one, on the lowest port of the '
            'range that no container of the engine and no process of the '
            'host uses. The label api_port asks for a port explicitly.'
        ),
    ),
    cfg.DictOpt(
        'flavors',
        default=DEFAULT_FLAVORS,
        help=(
            'CPU and memory limits of the node containers by flavor '
            'name, as flavor:cpus/memory_mib (memory 0 means no memory '
            'limit). CPUs above what the engine\'s host has are lowered to '
            'that. Flavors not listed get default_flavor.'
        ),
    ),
    cfg.StrOpt(
        'default_flavor',
        default='1/1024',
        regex=r'^\d+(\.\d+)?/\d+$',
        help=(
            'Limits (cpus/memory_mib) of nodes whose flavor is not in '
            'flavors, or that have no flavor.'
        ),
    ),
    cfg.IntOpt(
        'node_ready_timeout',
        default=300,
        min=5,
        help=(
            'Seconds the nodes started together get to run dockerd, join '
            'the swarm and be Ready. A cluster whose nodes are not Ready '
            'by then fails with a status reason naming them.'
        ),
    ),
    cfg.IntOpt(
        'drain_timeout',
        default=60,
        min=0,
        help=(
            'Seconds to wait for the tasks of a drained node to move '
            'elsewhere before the node is removed anyway (resize down, '
            'nodegroup delete, upgrade).'
        ),
    ),
    cfg.IntOpt(
        'lb_memory_mib',
        default=128,
        min=16,
        help='Memory limit (MiB) of the load balancer container.',
    ),
]


def register_opts(conf):
    conf.register_group(local_driver_group)
    conf.register_opts(local_driver_opts, group=local_driver_group)


def list_opts():
    return {local_driver_group: local_driver_opts}
