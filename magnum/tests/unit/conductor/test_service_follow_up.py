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

"""The status sync that follows an operation at once (StatusFollowUp)."""

import pytest

from magnum.common import exception
from magnum.conductor import reconcile
from magnum.conductor import service
from magnum.conductor.handlers import cluster_conductor
from magnum.tests import fake_driver
from magnum.tests.unit.conductor.conftest import make_cluster
from magnum.tests.unit.conductor.conftest import reload

Driver = fake_driver.FakeDriver


@pytest.fixture
def follow_up(dbapi, fake_drivers, notifier, monkeypatch):
    from magnum.common import certificates
    monkeypatch.setattr(cluster_conductor.ClusterHandler,
                        'create_certificates',
                        lambda self, context, cluster: None)
    monkeypatch.setattr(certificates, 'delete_certificates',
                        lambda context, cluster: None)
    follow_up = service.StatusFollowUp(reconcile.Reconciler('conductor-1'))
    yield follow_up
    follow_up.wait(timeout=10)


@pytest.fixture
def handlers(follow_up):
    return {type(handler).__name__: handler for handler in
            service.endpoints('conductor-1', follow_up)}


def test_a_finished_create_shows_complete_without_a_periodic_pass(
        handlers, follow_up, dbapi, template, context):
    cluster = make_cluster(dbapi, template)
    Driver.observed[cluster.uuid] = 'CREATE_COMPLETE'
    handlers['ClusterHandler'].cluster_create(context, cluster=cluster,
                                              create_timeout=60)
    follow_up.wait(timeout=10)
    assert reload(cluster).status == 'CREATE_COMPLETE'
    assert Driver.calls.count(('update_cluster_status', cluster.uuid)) == 1


def test_a_finished_delete_removes_the_cluster(
        handlers, follow_up, dbapi, template, context):
    cluster = make_cluster(dbapi, template, status='DELETE_IN_PROGRESS')
    Driver.observed[cluster.uuid] = 'DELETE_COMPLETE'
    handlers['ClusterHandler'].cluster_delete(context, uuid=cluster.uuid)
    follow_up.wait(timeout=10)
    with pytest.raises(exception.ClusterNotFound):
        reload(cluster)


def test_a_failed_operation_is_followed_too_and_still_raises(
        handlers, follow_up, dbapi, template, context):
    cluster = make_cluster(dbapi, template, status='UPDATE_IN_PROGRESS')
    Driver.errors['update_cluster'] = RuntimeError('no capacity')
    with pytest.raises(RuntimeError, match='no capacity'):
        handlers['ClusterHandler'].cluster_update(context, cluster=cluster,
                                                  node_count=3)
    follow_up.wait(timeout=10)
    stored = reload(cluster)
    # The handler recorded the failure; the sync leaves a failed cluster
    # alone.
    assert stored.status == 'UPDATE_FAILED'
    assert 'no capacity' in stored.status_reason
    assert ('update_cluster_status', cluster.uuid) not in Driver.calls


def test_only_operations_on_clusters_are_followed(handlers):
    ping = handlers['ConductorEndpoint'].ping_conductor
    assert not hasattr(ping, '__wrapped__')
    create = handlers['ClusterHandler'].cluster_create
    assert create.__wrapped__.__self__ is handlers['ClusterHandler']


def test_a_follow_up_of_a_vanished_cluster_does_nothing(
        follow_up, dbapi):
    follow_up.start('3ec0a1c9-1111-4e6f-9d43-8f1b6c8f2a10')
    follow_up.wait(timeout=10)
    assert Driver.calls == []
