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

"""The local driver keeps the base driver's promises where no engine is
needed to see it: ``EmptyEngine`` below is a stand-in for the Docker
engine (it has no containers, and the images it is given), not a Docker
engine; what the driver does against a real one is proven in
magnum/tests/functional/test_local_driver.py.

Promises checked: the end of an operation is recorded by compare-and-swap
(a delete asked for meanwhile wins) with one notification; an upgrade is
recorded in the database and refused before anything changes; the
status sync and a resume raise nothing.
"""

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import notifications
from magnum.drivers.local import driver as local_driver
from magnum.drivers.local import engine as engine_module
from magnum.tests.unit.conductor.conftest import RecordingNotifier
from magnum.tests.unit.db import utils as db_utils

IMAGE = 'magnum/swarm-node:bookworm-1'
NEW_IMAGE = 'magnum/swarm-node:bookworm-2'


class EmptyEngine:
    """Stand-in for the Docker engine: no containers, networks or
    volumes; ``images`` are the images it has."""

    images = {IMAGE, NEW_IMAGE}
    url = 'unix:///stand-in.sock'

    def image(self, name):
        if name not in self.images:
            raise engine_module.ImageMissing(reason=_missing(name))
        return name

    def containers(self, labels):
        return []

    def networks(self, labels):
        return []

    def volumes(self, labels):
        return []

    def close(self):
        pass


def _missing(name):
    return 'Node image %s is not in the Docker engine' % name


@pytest.fixture
def notifier():
    recording = RecordingNotifier()
    previous = notifications.set_notifier(recording)
    yield recording
    notifications.set_notifier(previous)


@pytest.fixture
def driver():
    EmptyEngine.images = {IMAGE, NEW_IMAGE}
    made = local_driver.LocalSwarmDriver(engine_factory=EmptyEngine)
    made.name = 'local_swarm'
    return made


@pytest.fixture
def admin():
    return magnum_context.get_admin_context()


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, coe='swarm-mode', server_type='container',
        cluster_distro='debian', image_id=IMAGE, driver=None)


def _cluster(dbapi, template, status, nodegroup_status=None):
    row = db_utils.create_test_cluster(
        dbapi, cluster_template_id=template.uuid, status=status,
        master_count=1, node_count=2)
    context = magnum_context.get_admin_context()
    for nodegroup in objects.NodeGroup.list(context, row.uuid):
        nodegroup.status = nodegroup_status or status
        nodegroup.image_id = IMAGE
        nodegroup.save()
    return objects.Cluster.get_by_uuid(context, row.uuid)


def _upgrading(dbapi, template, admin):
    cluster = _cluster(dbapi, template, 'UPDATE_IN_PROGRESS')
    worker = cluster.default_ng_worker
    worker.upgrade_batch_size = 2
    worker.save()
    # The nodegroup's new image is gone from the engine.
    EmptyEngine.images = {IMAGE}
    worker.image_id = NEW_IMAGE
    worker.save()
    return objects.Cluster.get_by_uuid(admin, cluster.uuid)


class TestEndsAreRecordedByCompareAndSwap:

    def test_delete_complete_once_nothing_is_left(self, driver, dbapi,
                                                  template, admin,
                                                  notifier):
        cluster = _cluster(dbapi, template, 'DELETE_IN_PROGRESS')
        driver.update_cluster_status(admin, cluster)
        stored = objects.Cluster.get_by_uuid(admin, cluster.uuid)
        assert stored.status == 'DELETE_COMPLETE'
        # The conductor's removal of the cluster announces the end.
        assert notifier.events() == []

    def test_a_failed_upgrade_is_recorded_once_with_its_nodegroups(
            self, driver, dbapi, template, admin, notifier):
        cluster = _upgrading(dbapi, template, admin)
        driver.update_cluster_status(admin, cluster)
        stored = objects.Cluster.get_by_uuid(admin, cluster.uuid)
        assert stored.status == 'UPDATE_FAILED'
        assert stored.status_reason.startswith('Upgrade failed: ')
        assert NEW_IMAGE in stored.status_reason
        groups = objects.NodeGroup.list(admin, cluster.uuid)
        assert {ng.status for ng in groups} == {'UPDATE_FAILED'}
        # The upgrade is over: nothing of it is left to carry on.
        assert {ng.upgrade_batch_size for ng in groups} == {None}
        assert notifier.events() == ['magnum.cluster.update.error']

    def test_a_delete_asked_for_meanwhile_wins(self, driver, dbapi,
                                               template, admin, notifier):
        cluster = _upgrading(dbapi, template, admin)
        dbapi.update_cluster(cluster.uuid, {'status': 'DELETE_IN_PROGRESS'})
        driver.update_cluster_status(admin, cluster)
        stored = objects.Cluster.get_by_uuid(admin, cluster.uuid)
        assert stored.status == 'DELETE_IN_PROGRESS'
        assert notifier.events() == []

    def test_a_resume_that_cannot_finish_fails_once_and_raises_nothing(
            self, driver, dbapi, template, admin, notifier):
        cluster = _cluster(dbapi, template, 'UPDATE_IN_PROGRESS')
        EmptyEngine.images = set()
        assert driver.resume_operation(admin, cluster, 'update') is True
        stored = objects.Cluster.get_by_uuid(admin, cluster.uuid)
        assert stored.status == 'UPDATE_FAILED'
        assert stored.status_reason.startswith(
            'Update was interrupted and could not be finished: ')
        assert notifier.events() == ['magnum.cluster.update.error']


class TestUpgradeCall:

    def test_recorded_in_the_database_and_returns_at_once(
            self, driver, dbapi, template, admin):
        cluster = _cluster(dbapi, template, 'CREATE_COMPLETE')
        new = db_utils.create_test_cluster_template(
            dbapi, coe='swarm-mode', server_type='container',
            cluster_distro='debian', image_id=NEW_IMAGE, driver=None,
            name='new')
        worker = cluster.default_ng_worker
        driver.upgrade_cluster(admin, cluster,
                               objects.ClusterTemplate.get_by_uuid(
                                   admin, new.uuid), 3, worker)
        stored = objects.NodeGroup.get(admin, cluster.uuid, worker.uuid)
        assert (stored.image_id, stored.upgrade_batch_size) == (NEW_IMAGE,
                                                                3)
        assert cluster.cluster_template_id == new.uuid
        assert '3 node(s) at a time' in cluster.status_reason

    @pytest.mark.parametrize('values,message', [
        ({'coe': 'kubernetes', 'server_type': 'vm'},
         'upgrades to container/swarm-mode templates only'),
        ({'image_id': 'magnum/swarm-node:gone'}, 'is not in the Docker'),
        ({'driver': 'other_driver'}, 'uses driver other_driver'),
    ])
    def test_refused_before_anything_changes(self, driver, dbapi, template,
                                             admin, values, message):
        cluster = _cluster(dbapi, template, 'CREATE_COMPLETE')
        fields = dict(coe='swarm-mode', server_type='container',
                      cluster_distro='debian', image_id=NEW_IMAGE,
                      driver=None, name='other')
        fields.update(values)
        other = db_utils.create_test_cluster_template(dbapi, **fields)
        worker = cluster.default_ng_worker
        with pytest.raises(exception.InvalidClusterTemplateForUpgrade,
                           match=message):
            driver.upgrade_cluster(admin, cluster,
                                   objects.ClusterTemplate.get_by_uuid(
                                       admin, other.uuid), 3, worker)
        stored = objects.NodeGroup.get(admin, cluster.uuid, worker.uuid)
        assert (stored.image_id, stored.upgrade_batch_size) == (IMAGE, None)
