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


"""GET /v1/mservices (api-ref/source/mservices.inc)."""

import datetime

from oslo_utils import timeutils
import pytest

from magnum.api.controllers.v1 import magnum_service
from magnum.common import context
from magnum.common import policy
from magnum.objects import MagnumService
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0)
FIELDS = {'id', 'host', 'binary', 'state', 'disabled', 'disabled_reason',
          'report_count', 'created_at', 'updated_at'}


@pytest.fixture(autouse=True)
def frozen_time(monkeypatch):
    def utcnow(with_timezone=False):
        return NOW.replace(tzinfo=datetime.timezone.utc) if with_timezone \
            else NOW
    monkeypatch.setattr(timeutils, 'utcnow', utcnow)
    return NOW


@pytest.fixture
def set_policy():
    def apply(rules):
        policy.reset()
        policy.init(rules=rules)
    yield apply
    policy.reset()


def _service(dbapi, host='ctl-1', seconds_ago=10, **kw):
    values = {'host': host, 'created_at': NOW - datetime.timedelta(days=1),
              'report_count': 5}
    if seconds_ago is not None:
        values['last_seen_up'] = NOW - datetime.timedelta(
            seconds=seconds_ago)
    values.update(kw)
    return db_utils.create_test_magnum_service(dbapi, **values)


def _list(api, **kwargs):
    kwargs.setdefault('as_', 'admin')
    kwargs.setdefault('status', 200)
    return api.get('/mservices', **kwargs).json


class TestList:

    def test_no_services(self, api):
        assert _list(api) == {'mservices': []}

    def test_service_fields(self, api, dbapi):
        row = _service(dbapi, disabled=True, disabled_reason='maintenance',
                       report_count=2179,
                       updated_at=NOW - datetime.timedelta(seconds=5))
        body = _list(api)
        assert body == {'mservices': [{
            'id': row.id, 'host': 'ctl-1', 'binary': 'magnum-conductor',
            'state': 'up', 'disabled': True,
            'disabled_reason': 'maintenance', 'report_count': 2179,
            'created_at': '2026-02-28T12:00:00+00:00',
            'updated_at': '2026-03-01T11:59:55+00:00'}]}

    def test_nulls_are_rendered(self, api, dbapi):
        _service(dbapi, host=None)
        service = _list(api)['mservices'][0]
        assert set(service) == FIELDS
        assert service['host'] is None
        assert service['disabled_reason'] is None
        assert service['updated_at'] is None

    def test_sorted_by_id_and_never_paged(self, api, dbapi,
                                          magnum_config):
        magnum_config.config(group='api', max_limit=2)
        ids = [_service(dbapi, host='ctl-%d' % n).id for n in (3, 1, 2)]
        body = _list(api)
        assert [s['id'] for s in body['mservices']] == sorted(ids)
        assert [s['host'] for s in body['mservices']] == \
            ['ctl-3', 'ctl-1', 'ctl-2']
        assert 'next' not in body

    def test_a_heartbeat_through_the_object_shows_up(self, api, dbapi):
        row = _service(dbapi, seconds_ago=None,
                       created_at=NOW - datetime.timedelta(days=2))
        assert _list(api)['mservices'][0]['state'] == 'down'
        service = MagnumService.get_by_host_and_binary(
            context.get_admin_context(), row.host, row.binary)
        service.report_state_up()
        service = _list(api)['mservices'][0]
        assert service['state'] == 'up'
        assert service['report_count'] == 6

    @pytest.mark.parametrize('version', [None, '1.1', '1.14', 'latest'])
    def test_every_version(self, api, dbapi, version):
        _service(dbapi)
        assert len(_list(api, version=version)['mservices']) == 1

    def test_bookmark_path(self, api, dbapi):
        _service(dbapi)
        response = api.get('/mservices', as_='admin', status=200)
        assert api.app.get('/mservices', headers={
            'X-Roles': 'admin', 'X-Project-Id': 'p',
            'X-User-Id': 'u'}).json == response.json


class TestState:

    @pytest.mark.parametrize('seconds_ago,state', [
        (0, 'up'), (179, 'up'), (180, 'up'), (181, 'down'),
        (-180, 'up'), (-181, 'down'), (86400, 'down')])
    def test_last_seen_up_against_service_down_time(
            self, api, dbapi, seconds_ago, state):
        _service(dbapi, seconds_ago=seconds_ago)
        assert _list(api)['mservices'][0]['state'] == state

    def test_service_down_time_is_configurable(self, api, dbapi,
                                               magnum_config):
        _service(dbapi, seconds_ago=100)
        assert _list(api)['mservices'][0]['state'] == 'up'
        magnum_config.config(service_down_time=60)
        assert _list(api)['mservices'][0]['state'] == 'down'

    def test_forced_down_is_down_even_when_seen(self, api, dbapi):
        _service(dbapi, seconds_ago=0, forced_down=True)
        assert _list(api)['mservices'][0]['state'] == 'down'

    def test_without_heartbeat_updated_at_counts(self, api, dbapi):
        _service(dbapi, seconds_ago=None,
                 updated_at=NOW - datetime.timedelta(seconds=30))
        assert _list(api)['mservices'][0]['state'] == 'up'

    def test_last_seen_up_wins_over_updated_at(self, api, dbapi):
        _service(dbapi, seconds_ago=3600,
                 updated_at=NOW - datetime.timedelta(seconds=30))
        assert _list(api)['mservices'][0]['state'] == 'down'

    def test_without_heartbeat_or_update_created_at_counts(
            self, api, dbapi):
        _service(dbapi, seconds_ago=None,
                 created_at=NOW - datetime.timedelta(seconds=30))
        assert _list(api)['mservices'][0]['state'] == 'up'
        _service(dbapi, host='ctl-2', seconds_ago=None,
                 created_at=NOW - datetime.timedelta(hours=1))
        assert _list(api)['mservices'][1]['state'] == 'down'

    def test_disabled_does_not_change_state(self, api, dbapi):
        _service(dbapi, disabled=True)
        assert _list(api)['mservices'][0]['state'] == 'up'


class TestServiceStateFunction:

    def _service(self, **kw):
        values = {'forced_down': False, 'last_seen_up': None,
                  'updated_at': None, 'created_at': None}
        values.update(kw)
        return MagnumService(**values)

    def test_nothing_known_is_down(self):
        assert magnum_service.service_state(self._service()) == 'down'

    def test_aware_and_naive_times_compare(self):
        seen = (NOW - datetime.timedelta(seconds=10)).replace(
            tzinfo=datetime.timezone.utc)
        service = self._service(last_seen_up=seen)
        assert magnum_service.service_state(service, NOW) == 'up'
        aware_now = NOW.replace(tzinfo=datetime.timezone(
            datetime.timedelta(hours=2))) + datetime.timedelta(hours=2)
        assert magnum_service.service_state(service, aware_now) == 'up'


class TestPolicy:

    @pytest.mark.parametrize('caller', ['member', 'member2', 'reader',
                                        'other', 'noroles'])
    def test_only_admins_by_default(self, api, dbapi, caller):
        _service(dbapi)
        error = error_of(api.get('/mservices', as_=caller, status=403))
        assert error['detail'] == \
            "Policy doesn't allow magnum-service:get_all to be performed."

    def test_policy_can_open_it(self, api, dbapi, set_policy):
        _service(dbapi)
        set_policy({'magnum-service:get_all': 'role:reader'})
        assert len(_list(api, as_='reader')['mservices']) == 1
        api.get('/mservices', as_='noroles', status=403)

    def test_policy_can_close_it_to_admins(self, api, set_policy):
        set_policy({'magnum-service:get_all': '!'})
        api.get('/mservices', as_='admin', status=403)


class TestMalformed:

    def test_unknown_query_parameter(self, api):
        error = error_of(api.get('/mservices?limit=1', as_='admin',
                                 status=400))
        assert 'limit' in error['detail']

    def test_no_single_service_route(self, api, dbapi):
        row = _service(dbapi)
        response = api.get('/mservices/%s' % row.id, as_='admin')
        assert response.status_int in (404, 405)
        assert error_of(response)['status'] == response.status_int

    @pytest.mark.parametrize('method', ['post', 'patch', 'delete'])
    def test_read_only(self, api, method):
        response = getattr(api, method)('/mservices', as_='admin')
        assert response.status_int == 405
