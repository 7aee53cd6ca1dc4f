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

"""The local driver under Keystone: who may have its clusters.

Against the cloud-in-a-box's real Keystone and a real Magnum (API and
conductor on RabbitMQ and MariaDB, auth_strategy = keystone) with
``[local_driver] allowed_projects`` naming project B only:

- a member of project A may make a local template (it builds nothing)
  but gets a 403 in the OpenStack error format, saying why and what an
  operator sets, when asking for a cluster; nothing is stored;
- a member of project B gets a real local cluster, and the cluster has no
  Keystone application credential (it never calls the cloud).

Needs the cloud-in-a-box, RabbitMQ, and the private Docker engine with
the node image (root); without them the tests skip, under CI=true they
fail.
"""

import uuid

from oslo_db.sqlalchemy import engines
import pytest

from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.tests.functional import docker_engine
from magnum.tests.functional import processes
from magnum.tests.functional import services
from magnum.tests.functional.test_keystone_credentials import ENCRYPTION_KEY
from magnum.tests.functional.test_keystone_credentials import as_user
from magnum.tests.functional.test_keystone_credentials import (
    credentials_in_keystone,
)
from magnum.tests.functional.test_keystone_credentials import stored_credential
from magnum.tests.functional.test_keystone_credentials import wait_for


@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, docker_host, tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    config = {section: dict(options)
              for section, options in cloud.magnum_settings().items()}
    for section, options in {
            'local_driver': {'docker_host': docker_host,
                             'name_prefix': 'mkl%s' % uuid.uuid4().hex[:4],
                             'node_ready_timeout': 90,
                             'allowed_projects': cloud.projects['b']['id']},
            'certificates': {'encryption_key': ENCRYPTION_KEY}}.items():
        config.setdefault(section, {}).update(options)
    magnum = services.Deployment(
        tmp_path_factory.mktemp('magnum-keystone-local'), migrated_db_url,
        rabbit, config=config)
    magnum.start_or_explain()
    try:
        yield magnum
    finally:
        magnum.stop()


@pytest.fixture(scope='module')
def database(migrated_db_url):
    engine = engines.create_engine(
        sqlalchemy_api.database_url(migrated_db_url))
    yield engine
    engine.dispose()


def local_template(magnum):
    return magnum.call('POST', '/clustertemplates', {
        'name': 'local-%s' % uuid.uuid4().hex[:6], 'coe': 'swarm-mode',
        'server_type': 'container', 'image_id': docker_engine.IMAGE,
        'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small'},
        status=201).json()


def test_a_project_not_listed_gets_a_403_saying_why(cloud, deployment):
    member = as_user(cloud, deployment, cloud.projects['a'], 'member')
    template = local_template(member)
    try:
        response = member.call('POST', '/clusters', {
            'name': 'refused', 'cluster_template_id': template['uuid'],
            'master_count': 1, 'node_count': 1}, status=403)
        [error] = response.json()['errors']
        assert error['status'] == 403 and error['code'] == 'client'
        assert cloud.projects['a']['id'] in error['detail']
        assert 'root' in error['detail']
        assert '[local_driver] allowed_projects' in error['detail']
        listed = member.call('GET', '/clusters', status=200).json()
        assert listed['clusters'] == []
    finally:
        member.call('DELETE', '/clustertemplates/%s' % template['uuid'],
                    status=204)


def test_a_listed_project_gets_a_cluster_without_a_credential(
        cloud, deployment, database):
    project = cloud.projects['b']
    member = as_user(cloud, deployment, project, 'member')
    admin = cloud.session(cloud.admin)
    template = local_template(member)
    cluster_uuid = None
    try:
        cluster_uuid = member.call('POST', '/clusters', {
            'name': 'allowed', 'cluster_template_id': template['uuid'],
            'master_count': 1, 'node_count': 1}, status=202).json()['uuid']
        status, response = wait_for(member, cluster_uuid,
                                    ('CREATE_COMPLETE', 'CREATE_FAILED'))
        assert status == 'CREATE_COMPLETE', '%s\n%s' % (
            response.text, deployment.logs())
        assert stored_credential(database, cluster_uuid) \
            .application_credential_id is None
        member_id = project['users']['member']['user_id']
        assert [c for c in credentials_in_keystone(admin, cloud, member_id)
                if cluster_uuid in c['name']] == []
    finally:
        if cluster_uuid:
            member.call('DELETE', '/clusters/%s' % cluster_uuid)
            status, response = wait_for(member, cluster_uuid,
                                        ('GONE', 'DELETE_FAILED'))
            assert status == 'GONE', response.text
        member.call('DELETE', '/clustertemplates/%s' % template['uuid'],
                    status=204)
