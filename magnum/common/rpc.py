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

"""oslo.messaging plumbing shared by the API and the conductor."""

import threading

import oslo_messaging as messaging

from magnum import conf
from magnum.common import context as magnum_context

CONF = conf.CONF

_TRANSPORT = None
_LOCK = threading.Lock()

# The only module whose exceptions a conductor's reply may rebuild in the
# caller: every error the conductor raises for the API on purpose lives
# there; anything else arrives as a RemoteError, which
# magnum.conductor.rpcapi turns into one 500 naming the request.
ALLOWED_REMOTE_MODULES = ['magnum.common.exception']


def register_opts(conf):
    """Register oslo.messaging's [DEFAULT] options (transport_url,
    control_exchange, ...) so they can be read before any transport exists.
    """
    from oslo_messaging import opts as messaging_opts
    for group, options in messaging_opts.list_opts():
        if group in (None, 'DEFAULT'):
            conf.register_opts(options)


class RequestContextSerializer(messaging.Serializer):
    """Carries the request context and versioned objects across RPC."""

    def __init__(self, base=None):
        self._base = base

    def serialize_entity(self, context, entity):
        if self._base is None:
            return entity
        return self._base.serialize_entity(context, entity)

    def deserialize_entity(self, context, entity):
        if self._base is None:
            return entity
        return self._base.deserialize_entity(context, entity)

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return magnum_context.RequestContext.from_dict(context)


def get_transport():
    """The process's RPC transport, made from ``transport_url`` once."""
    global _TRANSPORT
    with _LOCK:
        if _TRANSPORT is None:
            _TRANSPORT = messaging.get_rpc_transport(
                CONF, allowed_remote_exmods=ALLOWED_REMOTE_MODULES)
    return _TRANSPORT


def set_transport(transport):
    """Use ``transport`` from now on (tests, the all-in-one process)."""
    global _TRANSPORT
    with _LOCK:
        previous, _TRANSPORT = _TRANSPORT, transport
    return previous


def cleanup():
    global _TRANSPORT
    with _LOCK:
        if _TRANSPORT is not None:
            _TRANSPORT.cleanup()
        _TRANSPORT = None


def _serializer():
    from magnum.objects import base as objects_base
    return RequestContextSerializer(objects_base.MagnumObjectSerializer())


def get_client(target, version_cap=None, timeout=None):
    return messaging.get_rpc_client(
        get_transport(), target, version_cap=version_cap,
        serializer=_serializer(), timeout=timeout)


def get_server(target, endpoints):
    # Native threads: Magnum runs on oslo.service's threading backend.
    return messaging.get_rpc_server(
        get_transport(), target, endpoints, executor='threading',
        serializer=_serializer())
