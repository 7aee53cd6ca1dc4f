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

"""The federation handler records only what a driver did: a host cluster
whose driver does not take part in federations gives *_FAILED with a reason
that says so, never a COMPLETE that nothing stands behind."""

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor.handlers import federation_conductor
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.db import utils as db_utils


@pytest.fixture(autouse=True)
def drivers(fake_drivers):
    return fake_drivers


@pytest.fixture
def handler():
    return federation_conductor.FederationHandler('conductor-1')


@pytest.fixture
def host(dbapi, template):
    return make_cluster(dbapi, template, status='CREATE_COMPLETE')


def _federation(dbapi, host, status='CREATE_IN_PROGRESS'):
    row = db_utils.create_test_federation(
        dbapi, hostcluster_id=host.uuid, status=status, status_reason=None)
    return objects.Federation.get_by_uuid(
        magnum_context.get_admin_context(), row.uuid)


def _reload(federation):
    return objects.Federation.get_by_uuid(
        magnum_context.get_admin_context(), federation.uuid)


def test_create_fails_when_no_driver_supports_federations(
        dbapi, handler, host, context):
    federation = _federation(dbapi, host)
    handler.federation_create(context, federation, 60)
    stored = _reload(federation)
    assert stored.status == 'CREATE_FAILED'
    assert 'No installed cluster driver supports federations' in \
        stored.status_reason
    assert 'fake driver' in stored.status_reason
    assert host.uuid in stored.status_reason


def test_update_fails_the_same_way(dbapi, handler, host, context):
    federation = _federation(dbapi, host, status='UPDATE_IN_PROGRESS')
    handler.federation_update(context, federation)
    stored = _reload(federation)
    assert stored.status == 'UPDATE_FAILED'
    assert 'supports federations' in stored.status_reason


def test_create_completes_when_the_host_driver_builds_it(
        dbapi, handler, host, context, monkeypatch):
    built = []
    monkeypatch.setattr(fake_driver.FakeDriver, 'create_federation',
                        lambda self, ctx, fed: built.append(fed.uuid),
                        raising=False)
    federation = _federation(dbapi, host)
    handler.federation_create(context, federation, 60)
    stored = _reload(federation)
    assert built == [federation.uuid]
    assert (stored.status, stored.status_reason) == ('CREATE_COMPLETE',
                                                     None)


def test_a_driver_error_is_recorded_with_its_message(
        dbapi, handler, host, context, monkeypatch):
    def broken(self, ctx, fed):
        raise RuntimeError('the cloud said no')
    monkeypatch.setattr(fake_driver.FakeDriver, 'create_federation', broken,
                        raising=False)
    federation = _federation(dbapi, host)
    handler.federation_create(context, federation, 60)
    stored = _reload(federation)
    assert stored.status == 'CREATE_FAILED'
    assert 'the cloud said no' in stored.status_reason


def test_create_fails_when_the_host_cluster_is_gone(
        dbapi, handler, host, context):
    federation = _federation(dbapi, host)
    dbapi.destroy_cluster(host.uuid)
    handler.federation_create(context, federation, 60)
    stored = _reload(federation)
    assert stored.status == 'CREATE_FAILED'
    assert 'no longer exists' in stored.status_reason


def test_delete_of_a_never_built_federation_asks_no_driver(
        dbapi, handler, host, context, monkeypatch):
    asked = []
    monkeypatch.setattr(fake_driver.FakeDriver, 'delete_federation',
                        lambda self, ctx, fed: asked.append(fed.uuid),
                        raising=False)
    federation = _federation(dbapi, host, status='CREATE_FAILED')
    handler.federation_delete(context, federation.uuid)
    assert asked == []
    with pytest.raises(exception.FederationNotFound):
        _reload(federation)


def test_delete_of_a_built_federation_asks_the_driver_first(
        dbapi, handler, host, context, monkeypatch):
    asked = []
    monkeypatch.setattr(fake_driver.FakeDriver, 'delete_federation',
                        lambda self, ctx, fed: asked.append(fed.uuid),
                        raising=False)
    federation = _federation(dbapi, host, status='CREATE_COMPLETE')
    handler.federation_delete(context, federation.uuid)
    assert asked == [federation.uuid]
    with pytest.raises(exception.FederationNotFound):
        _reload(federation)


def test_a_failed_driver_delete_keeps_the_row_with_the_reason(
        dbapi, handler, host, context, monkeypatch):
    def broken(self, ctx, fed):
        raise RuntimeError('stack delete refused')
    monkeypatch.setattr(fake_driver.FakeDriver, 'delete_federation', broken,
                        raising=False)
    federation = _federation(dbapi, host, status='UPDATE_COMPLETE')
    handler.federation_delete(context, federation.uuid)
    stored = _reload(federation)
    assert stored.status == 'DELETE_FAILED'
    assert 'stack delete refused' in stored.status_reason
