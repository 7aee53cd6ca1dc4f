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

"""The stack of a cluster: its template, files, environment and
parameters from the cluster template, the cluster, its nodegroups and
labels; and what its outputs mean.

The top-level template is built here, not written by hand, because a
cluster has any number of nodegroups and each is one resource (the
``nodegroup.yaml`` fragment, an ``OS::Heat::ResourceGroup`` of the
driver's node template). The shared fragments are passed as files.

What a nodegroup's members are (their names, their fixed addresses, the
names removed for good) is kept in the nodegroup resource's metadata in
the stored template, so that the next update reads it back from Heat
rather than from a table of Magnum's. Each member's boot configuration
(which carries its private key) is a hidden parameter given once: stack
updates are PATCH updates that keep the parameters they do not name.

Labels read here (the driver's doc lists them for users):

``fixed_subnet_cidr``
    CIDR of the subnet Magnum creates (default ``10.0.0.0/24``); with the
    template's ``fixed_network``, the part of that subnet Magnum may give
    its nodes (it must be the subnet's CIDR or inside it).
``availability_zone``
    Nova availability zone of the nodes (and of their volumes).
``max_batch_size``
    How many nodes of a nodegroup an upgrade replaces at once (default
    1); the upgrade request's own value wins.
"""

import json
import os

from magnum.common import exception
from magnum.drivers.heat import addresses
from magnum.i18n import _

HERE = os.path.dirname(os.path.abspath(__file__))
FRAGMENTS = os.path.join(HERE, 'templates', 'fragments')
FRAGMENT_FILES = ('network.yaml', 'security_group.yaml', 'nodegroup.yaml',
                  'load_balancer.yaml', 'floating_ip.yaml', 'volume.yaml')

HOT_VERSION = '2021-04-16'
DEFAULT_CIDR = '10.0.0.0/24'


def fragment_name(name):
    return 'fragments/%s' % name


def read_files(directory, names, prefix):
    files = {}
    for name in names:
        with open(os.path.join(directory, name)) as handle:
            files['%s/%s' % (prefix, name)] = handle.read()
    return files


def fragment_files():
    return read_files(FRAGMENTS, FRAGMENT_FILES, 'fragments')


def nodegroup_key(nodegroup):
    """The name of the nodegroup's resource and of its outputs."""
    return 'ng_%s' % nodegroup.uuid.replace('-', '')


def node_parameter(key, member):
    """The hidden parameter holding one member's boot configuration."""
    return '%s_node_%s' % (key, member)


def labels_of(cluster, template=None):
    merged = dict(getattr(template, 'labels', None) or {})
    merged.update(cluster.labels or {})
    return merged


def subnet_cidr(cluster, template=None):
    return labels_of(cluster, template).get('fixed_subnet_cidr') or \
        DEFAULT_CIDR


class NodegroupState:
    """A nodegroup's members as the stack has (or is to have) them."""

    def __init__(self, key, members=(), removed=(), addresses=None):
        self.key = key
        self.members = list(members)
        self.removed = list(removed)
        self.addresses = dict(addresses or {})

    def metadata(self):
        return {'magnum': {'members': self.members,
                           'removed': self.removed,
                           'addresses': self.addresses}}

    @classmethod
    def from_metadata(cls, key, metadata):
        found = (metadata or {}).get('magnum') or {}
        return cls(key, found.get('members', ()), found.get('removed', ()),
                   found.get('addresses'))


def stored_states(stored_template):
    """{key: NodegroupState} read back from a stack's stored template."""
    states = {}
    for name, resource in (stored_template or {}).get('resources',
                                                      {}).items():
        if name.startswith('ng_'):
            states[name] = NodegroupState.from_metadata(
                name, resource.get('metadata'))
    return states


def member_names(wanted, state, refs_map=None, names=None):
    """The member names of the nodes ``wanted`` names: a member name (its
    index), its server's id, or its server's name. Unknown ones are
    an error naming them."""
    members = list(state.members) if state else []
    by_ref = {str(ref): member for member, ref in (refs_map or {}).items()}
    by_name = dict(zip(names or [], members))
    found, unknown = [], []
    for item in wanted:
        item = str(item)
        member = item if item in members else \
            by_ref.get(item) or by_name.get(item)
        if member is None:
            unknown.append(item)
        elif member not in found:
            found.append(member)
    if unknown:
        raise exception.Invalid(_(
            'nodes_to_remove names nodes the nodegroup does not have: '
            '%(unknown)s (give its member indexes %(members)s, server ids '
            'or server names)') % {'unknown': ', '.join(unknown),
                                   'members': ', '.join(members)})
    return found


def server_members(outputs, key):
    """[(server id, name, address)] of a nodegroup from its stack's
    outputs (``<key>_names``, ``_addresses`` and ``_refs_map``), in
    member order: the lists of a resource group follow its members, and
    its refs map is keyed by member index."""
    names = outputs.get('%s_names' % key) or []
    addresses = outputs.get('%s_addresses' % key) or []
    refs = outputs.get('%s_refs_map' % key) or {}
    ids = [refs[k] for k in sorted(refs, key=lambda k: (len(str(k)),
                                                         str(k)))]
    return [(ids[i] if i < len(ids) else None, name,
             addresses[i] if i < len(addresses) else None)
            for i, name in enumerate(names)]


def plan(cluster, template, nodegroups, stored=None, remove=None):
    """{key: NodegroupState} wanted now, and the members that are new.

    ``stored`` is what the stack had (``stored_states``); ``remove``
    {key: [member names]} the members to remove first (resize's
    nodes_to_remove), which are never used again.
    """
    stored = stored or {}
    remove = remove or {}
    wanted, pairs, new = {}, [], []
    for nodegroup in nodegroups:
        key = nodegroup_key(nodegroup)
        before = stored.get(key) or NodegroupState(key)
        removed = list(before.removed)
        for name in remove.get(key, ()):
            if str(name) not in removed:
                removed.append(str(name))
        # Heat removes the listed members first, then the highest names.
        keep = [m for m in before.members if m not in removed]
        count = nodegroup.node_count or 0
        if count < len(keep):
            for name in sorted(keep, key=int)[count:]:
                removed.append(name)
            keep = sorted(keep, key=int)[:count]
        members = addresses.members(count, removed)
        wanted[key] = NodegroupState(key, members, removed)
        for name in members:
            pairs.append((key, name))
            if name not in before.members:
                new.append((key, name))
    taken = {(key, name): address
             for key, state in stored.items()
             for name, address in state.addresses.items()
             if key in wanted and name in wanted[key].members}
    assigned = addresses.assign(subnet_cidr(cluster, template), pairs,
                                taken)
    for (key, name), address in assigned.items():
        wanted[key].addresses[name] = address
    return wanted, new


def dumps(template):
    return json.dumps(template, sort_keys=True)
