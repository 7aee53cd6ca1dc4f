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

"""Settings the services refuse to start with."""

import pytest

from magnum.common import exception
from magnum.common import service
from magnum.conductor import cluster_credentials


def _write(tmp_path, text):
    path = tmp_path / 'magnum.conf'
    path.write_text(text)
    return str(path)


def test_empty_credential_roles_stop_a_service_with_what_to_change(
        magnum_config, tmp_path):
    config = _write(tmp_path, '[cluster_credentials]\nroles =\n')
    with pytest.raises(SystemExit) as stopped:
        service.prepare_service(['magnum-conductor', '--config-file',
                                 config])
    message = str(stopped.value.code)
    assert '[cluster_credentials] roles is empty' in message
    assert 'every role of the user' in message


def test_the_default_roles_start(magnum_config):
    service.check_config()  # raises nothing


def test_empty_roles_are_fine_when_clusters_get_no_credential(
        magnum_config):
    magnum_config.config(group='cluster_credentials', enabled=False,
                         roles=[])
    service.check_config()


def test_a_list_of_blank_names_counts_as_empty(magnum_config):
    magnum_config.config(group='cluster_credentials', roles=['', ''])
    with pytest.raises(exception.ConfigInvalid):
        service.check_config()


class _Driver:
    name = 'greedy'
    cloud_credential_roles = []


def test_a_driver_asking_for_no_roles_gets_no_credential(magnum_config):
    with pytest.raises(exception.ConfigInvalid) as raised:
        cluster_credentials.roles_for(_Driver())
    assert 'greedy driver' in str(raised.value)


def test_roles_come_from_the_driver_or_the_option(magnum_config):
    magnum_config.config(group='cluster_credentials',
                         roles=['member', 'load-balancer_member'])
    driver = _Driver()
    driver.cloud_credential_roles = None
    assert cluster_credentials.roles_for(driver) == [
        'member', 'load-balancer_member']
    driver.cloud_credential_roles = ['reader']
    assert cluster_credentials.roles_for(driver) == ['reader']
