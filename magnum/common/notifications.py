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

"""Notifications operators' billing and auditing read (oslo.messaging).

Event types ``magnum.cluster.<create|update|delete>.<start|end|error>``;
the payload names the cluster, its project and template, and its node
counts. It never carries certificates, keys or credentials.
"""

import socket

from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)

_NOTIFIER = None

PHASES = ('start', 'end', 'error')
ACTIONS = ('create', 'update', 'delete')


def publisher_id():
    return 'container-infra.%s' % (CONF.host or socket.getfqdn())


def get_notifier():
    global _NOTIFIER
    if _NOTIFIER is None:
        transport = messaging.get_notification_transport(CONF)
        _NOTIFIER = messaging.Notifier(transport,
                                       publisher_id=publisher_id())
    return _NOTIFIER


def set_notifier(notifier):
    """Use another notifier (tests)."""
    global _NOTIFIER
    previous, _NOTIFIER = _NOTIFIER, notifier
    return previous


def cluster_payload(cluster, reason=None):
    """What billing needs of a cluster; no secrets, ever."""
    nodegroups = []
    master_count = node_count = 0
    try:
        for nodegroup in cluster.nodegroups:
            nodegroups.append({'uuid': nodegroup.uuid,
                               'name': nodegroup.name,
                               'role': nodegroup.role,
                               'node_count': nodegroup.node_count,
                               'flavor_id': nodegroup.flavor_id})
            if nodegroup.role == 'master':
                master_count += nodegroup.node_count or 0
            else:
                node_count += nodegroup.node_count or 0
    except Exception:  # a payload must never break the operation
        LOG.exception('Cannot read nodegroups of cluster %s', cluster.uuid)
    payload = {
        'cluster_uuid': cluster.uuid,
        'cluster_name': cluster.name,
        'project_id': cluster.project_id,
        'user_id': cluster.user_id,
        'cluster_template_id': cluster.cluster_template_id,
        'status': cluster.status,
        'status_reason': cluster.status_reason,
        'master_count': master_count,
        'node_count': node_count,
        'nodegroups': nodegroups,
        'master_flavor_id': cluster.master_flavor_id,
        'flavor_id': cluster.flavor_id,
        'created_at': cluster.created_at.isoformat()
        if cluster.created_at else None,
    }
    if reason is not None:
        payload['reason'] = str(reason)
    return payload


def notify_cluster(context, cluster, action, phase, reason=None):
    """Send one cluster notification; a broker problem is logged, never
    raised into the operation."""
    assert action in ACTIONS and phase in PHASES, (action, phase)
    event_type = 'magnum.cluster.%s.%s' % (action, phase)
    try:
        notifier = get_notifier()
        payload = cluster_payload(cluster, reason)
        if phase == 'error':
            notifier.error(context, event_type, payload)
        else:
            notifier.info(context, event_type, payload)
    except Exception:
        LOG.exception('Could not send notification %s for cluster %s',
                      event_type, cluster.uuid)


