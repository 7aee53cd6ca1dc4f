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


"""/v1/mservices: the Magnum services and whether they are up
(api-ref/source/mservices.inc)."""

import datetime

from oslo_utils import timeutils
import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import conf
from magnum import objects
from magnum.api.controllers import base
from magnum.api.controllers.v1 import collection
from magnum.common import policy
from magnum.objects import fields

CONF = conf.CONF


def _naive_utc(value):
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def service_state(service, now=None):
    """``down`` when the service is forced down or has not been seen for
    more than ``[DEFAULT] service_down_time`` seconds, else ``up``.

    When it was last seen is its last heartbeat, else its last update,
    else its creation.
    """
    if service.forced_down:
        return fields.MagnumServiceState.DOWN
    seen = service.last_seen_up or service.updated_at or service.created_at
    if seen is None:
        return fields.MagnumServiceState.DOWN
    now = _naive_utc(now or timeutils.utcnow())
    elapsed = abs((now - _naive_utc(seen)).total_seconds())
    if elapsed <= CONF.service_down_time:
        return fields.MagnumServiceState.UP
    return fields.MagnumServiceState.DOWN


class MagnumService(base.APIBase):
    """One Magnum process (host and binary) as the API shows it."""

    id = wtypes.wsattr(int, readonly=True)
    host = wtypes.wsattr(wtypes.text, readonly=True)
    binary = wtypes.wsattr(wtypes.text, readonly=True)
    state = wtypes.wsattr(
        wtypes.Enum(wtypes.text, *fields.MagnumServiceState.ALL),
        readonly=True)
    disabled = wtypes.wsattr(bool, readonly=True)
    disabled_reason = wtypes.wsattr(wtypes.text, readonly=True)
    report_count = wtypes.wsattr(int, readonly=True)

    @classmethod
    def convert(cls, service, now=None):
        api_service = cls(id=service.id, host=service.host,
                          binary=service.binary,
                          state=service_state(service, now),
                          disabled=service.disabled,
                          disabled_reason=service.disabled_reason,
                          report_count=service.report_count)
        api_service.set_timestamps(service)
        return api_service


class MagnumServiceCollection(collection.Collection):
    """Every Magnum service; never paged."""

    mservices = [MagnumService]

    _type = 'mservices'

    @classmethod
    def convert(cls, services):
        now = timeutils.utcnow()
        result = cls()
        result.mservices = [MagnumService.convert(service, now)
                            for service in services]
        return result


class MagnumServiceController(rest.RestController):
    """GET /v1/mservices (admin only by default)."""

    @wsme_pecan.wsexpose(MagnumServiceCollection)
    def get_all(self):
        """Every Magnum service, by id, with whether it is up."""
        context = pecan.request.context
        policy.authorize(context, 'magnum-service:get_all')
        services = objects.MagnumService.list(context, sort_key='id',
                                              sort_dir='asc')
        return MagnumServiceCollection.convert(services)
