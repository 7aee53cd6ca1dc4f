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

import os

from oslo_config import cfg

conductor_group = cfg.OptGroup(
    'conductor',
    title='Conductor service',
    help=(
        'How magnum-conductor receives work from the API and how long '
        'the API waits for it.'
    ),
)

conductor_opts = [
    cfg.StrOpt(
        'topic',
        default='magnum-conductor',
        help=(
            'RPC topic the conductors listen on and the API sends to. '
            'Change it only to run two separate Magnum deployments on '
            'one message bus; API and conductors must agree on it.'
        ),
    ),
    cfg.IntOpt(
        'workers',
        # What oslo.concurrency's get_worker_count() answers,
        # without importing it (and multiprocessing) into every
        # process that reads its configuration.
        default=os.cpu_count() or 1,
        sample_default='<number of CPUs>',
        min=1,
        help=(
            'Number of magnum-conductor worker processes. Defaults to '
            'the number of CPUs; lower it on machines shared with other '
            'services.'
        ),
    ),
    cfg.IntOpt(
        'rpc_call_timeout',
        default=30,
        min=1,
        help=(
            'Seconds the API waits for a conductor to answer a call '
            '(such as signing a certificate) before answering 503. '
            'Raise it if conductors are busy and answer slowly; lower '
            'it to fail faster when no conductor runs.'
        ),
    ),
    cfg.IntOpt(
        'sync_interval',
        default=10,
        min=1,
        help=(
            'Seconds between two passes of the status sync over the '
            'clusters with an operation in progress. Lower means less '
            'status lag and more calls to the drivers\' back ends.'
        ),
    ),
    cfg.IntOpt(
        'lock_timeout',
        default=60,
        min=5,
        help=(
            'Seconds a cluster lock lasts unless its conductor renews it. '
            'A conductor renews its locks every third of this while it '
            'works; when it dies, its clusters are free again after at '
            'most this long and another conductor repairs them. It is '
            'also how long a request (create, delete, update, resize, '
            'nodegroup create/update/delete) may wait for a conductor '
            'before the cluster\'s owner carries it out itself (the '
            'request was lost), and how long a delete waits for a '
            'running operation to stop.'
        ),
    ),
    cfg.IntOpt(
        'health_check_workers',
        default=8,
        min=1,
        help=(
            'How many clusters one conductor checks the health of at the '
            'same time in each health pass. Each check waits on the '
            'cluster\'s own endpoint (for Kubernetes, up to '
            '[kubernetes] api_timeout), so a pass over N unreachable '
            'clusters lasts about N / health_check_workers times that '
            'timeout. Each check holds one thread and at most one '
            'database connection while it runs.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(conductor_group)
    conf.register_opts(conductor_opts, group=conductor_group)


def list_opts():
    return {conductor_group: conductor_opts}
