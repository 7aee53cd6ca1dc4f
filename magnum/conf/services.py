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

"""How a Magnum service identifies itself and reports it is alive
([DEFAULT])."""

from oslo_config import cfg

service_opts = [
    cfg.StrOpt(
        'host',
        help=(
            'Name of this node, recorded as the host of its Magnum '
            'services (as shown by "openstack coe service list"). Set '
            'it to a stable, unique name when the machine\'s hostname '
            'may change or several services share one machine. When '
            'unset the service is recorded without a host and '
            'notifications fall back to the fully qualified domain '
            'name.'
        ),
    ),
    cfg.BoolOpt(
        'periodic_enable',
        default=True,
        help=(
            'Run the conductor\'s periodic jobs (cluster status sync, '
            'health checks, service heartbeat). Disable it on extra '
            'conductors when another conductor already runs them.'
        ),
    ),
    cfg.IntOpt(
        'report_interval',
        default=10,
        min=1,
        help=(
            'Seconds between two heartbeats a conductor writes to the '
            'database. Keep it well below service_down_time, or live '
            'services will be reported down.'
        ),
    ),
    cfg.IntOpt(
        'service_down_time',
        default=180,
        min=1,
        help=(
            'Seconds since its last heartbeat after which a Magnum '
            'service is reported as down. Raise it if busy services '
            'are wrongly reported down.'
        ),
    ),
]


def register_opts(conf):
    conf.register_opts(service_opts)


def list_opts():
    return {'DEFAULT': service_opts}
