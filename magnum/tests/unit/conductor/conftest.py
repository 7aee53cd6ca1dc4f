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

"""Fixtures for conductor unit tests."""

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import notifications
from magnum.tests.unit.db import utils as db_utils


class RecordingNotifier:
    def __init__(self):
        self.sent = []

    def info(self, context, event_type, payload):
        self.sent.append(('INFO', event_type, payload))

    def error(self, context, event_type, payload):
        self.sent.append(('ERROR', event_type, payload))

    def events(self):
        return [event_type for _, event_type, _ in self.sent]


@pytest.fixture
def notifier():
    recording = RecordingNotifier()
    previous = notifications.set_notifier(recording)
    yield recording
    notifications.set_notifier(previous)


@pytest.fixture
def context():
    return magnum_context.make_context(project_id=db_utils.PROJECT_ID,
                                       user_id=db_utils.USER_ID,
                                       roles=['member'])


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, coe='kubernetes', server_type='vm',
        cluster_distro='fedora-coreos', image_id='fedora-coreos',
        driver=None)


def make_cluster(dbapi, template, status='CREATE_IN_PROGRESS', **kw):
    row = db_utils.create_test_cluster(
        dbapi, cluster_template_id=template.uuid, status=status,
        master_count=kw.pop('master_count', 1),
        node_count=kw.pop('node_count', 2), **kw)
    return objects.Cluster.get_by_uuid(
        magnum_context.get_admin_context(), row.uuid)


def reload(cluster):
    return objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                       cluster.uuid)


def held_lock(dbapi, cluster_uuid):
    """The cluster's lock row while someone holds it (released: None)."""
    row = dbapi.get_cluster_lock(cluster_uuid)
    return row if row is not None and row.token is not None else None


def take_lock(dbapi, cluster_uuid, holder, operation, timeout=60):
    """Hold the cluster's lock as another conductor would; its token."""
    token = 'token-of-%s' % holder
    acquired, _previous = dbapi.acquire_cluster_lock(
        cluster_uuid, holder, operation, timeout, token)
    assert acquired
    return token
