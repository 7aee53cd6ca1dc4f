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

"""A nodegroup's ``node_labels`` and ``node_taints`` (API 1.14) as the
kubelet takes them: ``--node-labels`` and ``--register-with-taints``.

The API checks the shape of both (and the reserved label prefixes); what
only Kubernetes would refuse (a key or value outside its syntax) is
checked here, so that a nodegroup whose kubelet could never register is
refused with a 400 instead of a node that fails minutes after boot.
"""

import re

from magnum.common import exception
from magnum.i18n import _

# Kubernetes' "qualified name": a name part, optionally behind a DNS
# subdomain prefix; label values are name parts or empty.
_NAME = re.compile(r'^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$')
_DNS_SUBDOMAIN = re.compile(
    r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
MAX_NAME = 63
MAX_PREFIX = 253
TAINT_EFFECTS = ('NoSchedule', 'PreferNoSchedule', 'NoExecute')


def _invalid(nodegroup, attr, explanation):
    return exception.InvalidParameterValue(
        err=_('%(attr)s of nodegroup %(nodegroup)s: %(expl)s') % {
            'attr': attr, 'nodegroup': nodegroup, 'expl': explanation})


def key_problem(key):
    """Why ``key`` is not a Kubernetes label or taint key, or None."""
    if not isinstance(key, str) or not key:
        return _('a key must be a non-empty string')
    prefix, _slash, name = key.rpartition('/')
    if _slash and (not prefix or len(prefix) > MAX_PREFIX or
                   not _DNS_SUBDOMAIN.match(prefix)):
        return _('%r: the prefix before "/" must be a DNS subdomain '
                 '(lower case letters, digits, "-" and ".")') % key
    if len(name) > MAX_NAME or not _NAME.match(name):
        return _('%r: the name must be 63 characters or fewer, start and '
                 'end with a letter or digit, with only letters, digits, '
                 '"-", "_" and "." between') % key
    return None


def value_problem(value):
    """Why ``value`` is not a Kubernetes label or taint value, or None."""
    if value is None or value == '':
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME or \
            not _NAME.match(value):
        return _('%r: a value must be empty or 63 characters or fewer, '
                 'start and end with a letter or digit, with only letters, '
                 'digits, "-", "_" and "." between') % (value,)
    return None


def validate(nodegroup_name, node_labels, node_taints):
    """400 naming the first label or taint the kubelet would refuse."""
    for key, value in sorted((node_labels or {}).items()):
        problem = key_problem(key) or value_problem(value)
        if problem:
            raise _invalid(nodegroup_name, 'node_labels', problem)
    for taint in node_taints or []:
        if not isinstance(taint, dict):
            raise _invalid(nodegroup_name, 'node_taints',
                           _('%r is not a taint') % (taint,))
        problem = key_problem(taint.get('key')) or value_problem(
            taint.get('value'))
        if problem:
            raise _invalid(nodegroup_name, 'node_taints', problem)
        if taint.get('effect') not in TAINT_EFFECTS:
            raise _invalid(nodegroup_name, 'node_taints', _(
                'the effect of %(key)s must be one of %(effects)s, not '
                '%(effect)r') % {'key': taint.get('key'),
                                 'effects': ', '.join(TAINT_EFFECTS),
                                 'effect': taint.get('effect')})


def label_value(text):
    """``text`` made a valid label value (nodegroup names are free text):
    other characters become "-", cut to 63 characters."""
    value = re.sub(r'[^A-Za-z0-9_.-]', '-', str(text))[:MAX_NAME]
    return value.strip('-_.') or 'unnamed'


#: The label every node of these drivers registers with: its nodegroup.
NODEGROUP_LABEL = 'magnum.openstack.org/nodegroup'


def kubelet_node_labels(node_labels, nodegroup_name, role):
    """The ``--node-labels`` value: the nodegroup's labels, plus labels
    that say which Magnum nodegroup and role the node belongs to."""
    labels = {NODEGROUP_LABEL: label_value(nodegroup_name),
              'magnum.openstack.org/role': label_value(role)}
    labels.update(node_labels or {})
    return ','.join('%s=%s' % (key, labels[key] or '')
                    for key in sorted(labels))


def kubelet_taints(node_taints):
    """The ``--register-with-taints`` value (``key=value:Effect,...``)."""
    rendered = []
    for taint in node_taints or []:
        value = taint.get('value') or ''
        rendered.append('%s=%s:%s' % (taint['key'], value, taint['effect']))
    return ','.join(rendered)
