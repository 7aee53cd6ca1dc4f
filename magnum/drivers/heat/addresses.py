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

"""Which ResourceGroup members a nodegroup has, and their fixed addresses.

A node's server certificate is issued by Magnum before the node boots
and names the node's address, so addresses are chosen here rather than
by Neutron. They come from the cluster's subnet, from host number
``[heat_driver] node_address_offset`` on; the range below is left to
Neutron (router, DHCP).

Heat names the members of a ResourceGroup 0, 1, 2, ... and never reuses
a name listed in its removal policies; ``members`` predicts the names
Heat will use the same way, so the data of each member (address,
certificate) can be given before Heat creates it.
"""

import ipaddress
import itertools

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF


class AddressesExhausted(exception.Invalid):
    message = _('The cluster\'s subnet %(cidr)s has no free address left '
                'for its nodes (from host %(offset)d on).')


def members(count, removed):
    """The member names (str) of a ResourceGroup of ``count`` members
    that never reuses the names in ``removed``."""
    banned = {str(name) for name in removed}
    names = (str(i) for i in itertools.count() if str(i) not in banned)
    return list(itertools.islice(names, count))


def allocation_pools(cidr):
    """What Neutron may allocate itself: the hosts below the offset."""
    network = ipaddress.ip_network(cidr, strict=False)
    offset = CONF.heat_driver.node_address_offset
    first = network.network_address + 2  # .1 is the gateway
    last = network.network_address + offset - 1
    if last < first:
        return []
    return [{'start': str(first), 'end': str(last)}]


def assign(cidr, wanted, taken):
    """Addresses for the members ``wanted`` ([(nodegroup key, member
    name)]) that have none in ``taken`` ({(key, name): address}): a new
    dict of all of them, the taken ones unchanged."""
    network = ipaddress.ip_network(cidr, strict=False)
    offset = CONF.heat_driver.node_address_offset
    used = set(taken.values())
    result = {pair: taken[pair] for pair in wanted if pair in taken}
    free = (str(network.network_address + i)
            for i in range(offset, network.num_addresses - 1)
            if str(network.network_address + i) not in used)
    for pair in wanted:
        if pair in result:
            continue
        try:
            result[pair] = next(free)
        except StopIteration:
            raise AddressesExhausted(cidr=cidr, offset=offset) from None
    return result
