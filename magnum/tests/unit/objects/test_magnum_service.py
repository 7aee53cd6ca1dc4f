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


"""MagnumService objects and the conductor heartbeat."""

import datetime

from oslo_utils import timeutils
import pytest

from magnum import objects
from magnum.common import exception
from magnum.db import api as db_api
from magnum.objects import magnum_service
from magnum.tests.unit.db import utils


def _create(ctx, **kw):
    service = objects.MagnumService(ctx, **utils.get_test_magnum_service(
        **kw))
    service.create()
    return service


def test_get_by_host_and_binary(dbapi, ctx):
    assert objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-1', 'magnum-conductor') is None
    service = _create(ctx)
    found = objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-1', 'magnum-conductor')
    assert found.id == service.id
    assert found.report_count == 0
    assert found.disabled is False
    assert objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-2', 'magnum-conductor') is None


def test_create_applies_defaults(dbapi, ctx):
    service = objects.MagnumService(ctx, host='h', binary='magnum-conductor')
    service.create()
    assert (service.report_count, service.disabled, service.forced_down) == (
        0, False, False)
    with pytest.raises(exception.MagnumServiceAlreadyExists):
        objects.MagnumService(ctx, host='h',
                              binary='magnum-conductor').create()


def test_list_by_id_with_paging(dbapi, ctx):
    services = [_create(ctx, host='host-%d' % i) for i in range(3)]
    listed = objects.MagnumService.list(ctx)
    assert [s.host for s in listed] == ['host-0', 'host-1', 'host-2']
    page = objects.MagnumService.list(ctx, limit=1,
                                      marker=services[0].id)
    assert [s.host for s in page] == ['host-1']
    by_host = objects.MagnumService.list(ctx, sort_key='host',
                                         sort_dir='desc')
    assert [s.host for s in by_host] == ['host-2', 'host-1', 'host-0']


def test_report_state_up_counts_and_stamps(dbapi, ctx):
    service = _create(ctx)
    before = timeutils.utcnow(with_timezone=True)
    service.report_state_up()
    service.report_state_up()
    after = timeutils.utcnow(with_timezone=True)
    assert service.report_count == 2
    assert before - datetime.timedelta(seconds=1) <= service.last_seen_up
    assert service.last_seen_up <= after + datetime.timedelta(seconds=1)
    stored = objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-1', 'magnum-conductor')
    assert stored.report_count == 2
    assert stored.last_seen_up.tzinfo is not None
    assert abs(stored.last_seen_up - service.last_seen_up) < \
        datetime.timedelta(seconds=1)


def test_report_state_up_retries_after_a_lost_race(dbapi, ctx):
    service = _create(ctx)
    other = objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-1', 'magnum-conductor')
    other.report_state_up()
    other.report_state_up()
    # service still believes report_count is 0: its first compare-and-set
    # fails, it reloads and counts on top of the stored 2.
    service.report_state_up()
    assert service.report_count == 3
    assert dbapi.get_magnum_service_by_host_and_binary(
        'conductor-1', 'magnum-conductor').report_count == 3


def test_report_state_up_gives_up_after_repeated_races(dbapi, ctx,
                                                       monkeypatch):
    service = _create(ctx)
    calls = []

    def always_races(ident, values, expected=None):
        calls.append(expected)
        raise exception.ConcurrentUpdate(resource='magnum_service',
                                         id=ident, expected=expected)

    monkeypatch.setattr(db_api.get_instance(), 'update_magnum_service',
                        always_races)
    with pytest.raises(exception.ConcurrentUpdate):
        service.report_state_up()
    assert calls == [{'report_count': 0}] * \
        magnum_service.REPORT_STATE_ATTEMPTS


def test_save_refresh_destroy(dbapi, ctx):
    service = _create(ctx)
    stale = objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-1', 'magnum-conductor')
    service.disabled = True
    service.disabled_reason = 'maintenance'
    service.save()
    stale.forced_down = True
    stale.save()
    stored = dbapi.get_magnum_service_by_host_and_binary(
        'conductor-1', 'magnum-conductor')
    assert (stored.disabled, stored.disabled_reason, stored.forced_down) == (
        True, 'maintenance', True)
    service.refresh()
    assert service.forced_down is True
    service.destroy()
    assert objects.MagnumService.get_by_host_and_binary(
        ctx, 'conductor-1', 'magnum-conductor') is None
    with pytest.raises(exception.MagnumServiceNotFound):
        stale.refresh()
