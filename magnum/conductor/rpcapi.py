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

"""Client side of the conductor's RPC API.

The version is in the target; bump the minor version for every method or
argument added, and note it here:

    1.0 - ping_conductor
"""

import oslo_messaging as messaging

from magnum import conf
from magnum.common import exception
from magnum.common import rpc

CONF = conf.CONF

RPC_API_VERSION = '1.0'


class ConductorAPI:
    """Calls and casts from the API (or a conductor) to any conductor."""

    def __init__(self, topic=None, timeout=None):
        target = messaging.Target(topic=topic or CONF.conductor.topic,
                                  version=RPC_API_VERSION)
        self._timeout = timeout or CONF.conductor.rpc_call_timeout
        self._client = rpc.get_client(target, version_cap=RPC_API_VERSION,
                                      timeout=self._timeout)

    def _call(self, context, method, **kwargs):
        try:
            return self._client.prepare().call(context, method, **kwargs)
        except messaging.MessagingTimeout:
            raise exception.ConductorUnavailable(timeout=self._timeout)

    def ping_conductor(self, context):
        """True once any conductor answered; 503 when none did in time."""
        return self._call(context, 'ping_conductor')
