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

"""A Kubernetes cluster's stack in two phases: its addresses, then its
servers.

The API server's certificate must name every address clients reach the
API at, and it is signed by the conductor (no CA key ever reaches a
node), so it must be signed once those addresses are known. Magnum
chooses the nodes' fixed addresses and, in a subnet it creates, the load
balancer's VIP; but a floating IP is Neutron's choice, and so is the VIP
in the template's own subnet. A cluster with one of those (``needed``)
is built in two phases:

1. the create makes a stack of what makes the addresses and no server:
   network, security groups, the load balancer with its floating IP, and
   one floating IP per master (its output ``build_phase`` says
   ``addresses``);
2. when Heat completes it, the conductor's status sync reads the
   addresses from its outputs (``read``), signs the masters'
   certificates with them and updates the stack with the nodegroups. The
   cluster stays ``CREATE_IN_PROGRESS`` through both.

Nothing waits in the conductor between the two, and both are in the
stack: a conductor that stops in between leaves nothing the next sync
cannot carry on. The outputs stay in the full stack, so that an upgrade
that renders the masters again signs the same addresses.

Each node's floating IP is a resource of the top-level stack
(``floating_ip_name``), made before its server and given to it by id, so
that a master's exists before its certificate is signed; a worker's,
made with its server, is the same kind of resource for one shape of
stack.
"""

import dataclasses

#: The output that says the stack has its addresses and no server yet.
PHASE_OUTPUT = 'build_phase'
ADDRESSES = 'addresses'
#: The load balancer's VIP (what workers reach the API at).
VIP_OUTPUT = 'api_vip_address'
#: Every address from outside the masters' subnet the API is reached at:
#: the load balancer's floating IP, the masters' floating IPs.
PUBLIC_OUTPUT = 'api_public_addresses'


def needed(cluster, planned_vip, lb_floating_ip):
    """Whether an address the API certificate must name is the cloud's
    choice: a master's floating IP, the load balancer's, or a VIP Magnum
    could not plan."""
    if getattr(cluster, 'floating_ip_enabled', False):
        return True
    return bool(getattr(cluster, 'master_lb_enabled', False) and
                (lb_floating_ip or not planned_vip))


def floating_ip_name(nodegroup_key, member):
    # Not 'ng_...': the stored template's nodegroups are those names.
    return 'fip_%s_%s' % (nodegroup_key, member)


def floating_ip(external_network):
    """A node's floating IP; after the network, so that it is deleted
    before the router it is reached through."""
    return {'type': 'OS::Neutron::FloatingIP', 'depends_on': ['network'],
            'properties': {'floating_network': external_network}}


def address_outputs(load_balancer, master_floating_ips):
    """The outputs the certificates are signed with (``read``)."""
    public = []
    outputs = {}
    if load_balancer:
        outputs[VIP_OUTPUT] = {
            'value': {'get_attr': ['load_balancer', 'vip_address']}}
        # Its floating IP when it has one, else the VIP again.
        public.append({'get_attr': ['load_balancer', 'address']})
    public += [{'get_attr': [name, 'floating_ip_address']}
               for name in master_floating_ips]
    outputs[PUBLIC_OUTPUT] = {'value': public}
    return outputs


def addresses_only(template, nodegroup_keys, api_address):
    """``template`` (a full stack's, as a dict) without its nodegroups:
    their resources, parameters and outputs go (the driver made no
    worker floating IP for it). ``api_address`` is the output value of
    the API's address without the nodegroups."""
    resources = template['resources']
    outputs = template['outputs']
    for key in nodegroup_keys:
        resources.pop(key, None)
        for name in [n for n in outputs if n.startswith(key + '_')]:
            del outputs[name]
    template['parameters'] = {}
    outputs['api_address'] = {'value': api_address}
    outputs[PHASE_OUTPUT] = {'value': ADDRESSES}
    return template


def is_addresses_only(outputs):
    return (outputs or {}).get(PHASE_OUTPUT) == ADDRESSES


@dataclasses.dataclass(frozen=True)
class StackAddresses:
    """The API's addresses as the stack made them ('' and () when the
    stack has none, or there is no stack yet)."""

    vip: str = ''
    public: tuple = ()


def read(outputs):
    """:class:`StackAddresses` of a stack's outputs."""
    outputs = outputs or {}
    public = outputs.get(PUBLIC_OUTPUT) or []
    if isinstance(public, str):
        public = [public]
    return StackAddresses(
        vip=outputs.get(VIP_OUTPUT) or '',
        public=tuple(dict.fromkeys(a for a in public if a)))
