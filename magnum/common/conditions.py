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

"""Conditions: what is true about a cluster or nodegroup right now.

A condition is ``{type, status, reason, message, last_transition_time}``
with status ``True``, ``False`` or ``Unknown`` (Cluster API's convention).
``last_transition_time`` moves only when the status changes, so a
condition that stays False for an hour says so.
"""

from oslo_utils import timeutils

TRUE = 'True'
FALSE = 'False'
UNKNOWN = 'Unknown'

NODES_READY = 'NodesReady'
CONTROL_PLANE_READY = 'ControlPlaneReady'
CERTIFICATES_VALID = 'CertificatesValid'
CREDENTIALS_VALID = 'CredentialsValid'


def get(obj, condition_type):
    for condition in obj.conditions or []:
        if condition.get('type') == condition_type:
            return condition
    return None


def set_condition(obj, condition_type, status, reason='', message=''):
    """Record a condition on ``obj`` (not saved); True if it changed."""
    conditions = [dict(c) for c in (obj.conditions or [])]
    now = timeutils.utcnow().replace(microsecond=0).isoformat() + '+00:00'
    for condition in conditions:
        if condition.get('type') != condition_type:
            continue
        changed = (condition.get('status'), condition.get('reason'),
                   condition.get('message')) != (status, reason, message)
        if condition.get('status') != status:
            condition['last_transition_time'] = now
        condition.update(status=status, reason=reason, message=message)
        if changed:
            obj.conditions = conditions
        return changed
    conditions.append({'type': condition_type, 'status': status,
                       'reason': reason, 'message': message,
                       'last_transition_time': now})
    obj.conditions = conditions
    return True
