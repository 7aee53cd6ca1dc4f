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

"""Functional tests run against MariaDB unless a package says otherwise;
the ``cloud`` fixture is the cloud-in-a-box (tools/cloud-in-a-box.sh)."""

import docker
import pytest

from magnum.tests import db_backends
from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import docker_engine


@pytest.fixture(scope='session')
def db_backend():
    return 'mysql'


@pytest.fixture(scope='module')
def migrated_db_url(db_backend, tmp_path_factory):
    """A database of each test module, at the newest schema: a module's
    deployments never see what another module's left (templates, clusters,
    quotas, the encryption key the first conductor recorded), whatever the
    order the modules run in. About a second each."""
    with db_backends.migrated_database(
            db_backend, tmp_path_factory.mktemp('db')) as url:
        yield url


@pytest.fixture(scope='session')
def cloud():
    """The cloud-in-a-box (real Keystone and Heat), brought up once per
    run by tools/cloud-in-a-box.sh and left running afterwards. Where it
    cannot come up the tests skip and say why; under CI=true they fail."""
    try:
        return cloud_box.bring_up()
    except cloud_box.CloudUnavailable as error:
        message = 'The cloud-in-a-box is not available: %s' % error
        if db_backends.in_ci():
            pytest.fail(message + '\n(CI=true: the Keystone tests must run)',
                        pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope='session')
def docker_host():
    """The private Docker engine's URL, with the swarm node image in it
    (started and built on first use; see docker_engine)."""
    return docker_engine.engine_url()


@pytest.fixture(scope='session')
def engine(docker_host):
    """A docker SDK client of the private engine."""
    client = docker.DockerClient(base_url=docker_host, version='auto',
                                 timeout=60)
    yield client
    client.close()
