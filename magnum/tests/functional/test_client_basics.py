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

"""python-magnumclient (`openstack coe ...`) and openstacksdk against a
real magnum-api and magnum-conductor on RabbitMQ and MariaDB.

These tests need no cluster driver; the cluster, template, nodegroup,
certificate and credential commands are in test_client_clusters.py, with
the local Docker driver.
"""

import json
import os
import subprocess
import sys

import openstack
import pytest

from magnum.tests.functional import processes
from magnum.tests.functional import services

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


@pytest.fixture(scope='module')
def deployment(migrated_db_url, tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    magnum = services.Deployment(tmp_path_factory.mktemp('magnum'),
                                 migrated_db_url, rabbit)
    magnum.start_or_explain()
    yield magnum
    magnum.stop()


def coe(deployment, *args, expect_failure=False):
    """Run `openstack coe ARGS`; JSON output is parsed."""
    command = [OPENSTACK, 'coe'] + [str(a) for a in args]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=120, env=deployment.client_env())
    if expect_failure:
        # Some commands exit 0 and print the failure (read what they say).
        assert result.returncode != 0 or 'ERROR' in result.stderr or \
            '(HTTP 4' in result.stdout, (command, result.stdout,
                                         result.stderr)
        return result
    assert result.returncode == 0, '%s failed:\n%s\n%s\n%s' % (
        ' '.join(command), result.stdout, result.stderr,
        deployment.logs())
    if '-f' in args and 'json' in args:
        return json.loads(result.stdout)
    return result.stdout


def test_service_list_shows_the_conductor(deployment):
    def conductor_up():
        rows = coe(deployment, 'service', 'list', '-f', 'json')
        return [r for r in rows if r['binary'] == 'magnum-conductor' and
                r['state'] == 'up']

    rows = processes.wait_for(conductor_up, 60, interval=2,
                              message='the conductor in service list')
    assert rows[0]['host'] == 'conductor-1'
    assert rows[0]['id'] >= 1


def _printed(text):
    """The Property/Value table the quota and stats commands print."""
    values = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if line.startswith('|') and len(cells) == 2 and \
                cells[0] != 'Property':
            values[cells[0]] = int(cells[1]) if cells[1].isdigit() \
                else cells[1]
    return values


def test_quotas_lifecycle(deployment):
    created = _printed(coe(deployment, 'quotas', 'create', '--project-id',
                           'proj-q', '--resource', 'Cluster',
                           '--hard-limit', 5))
    assert (created['project_id'], created['resource'],
            created['hard_limit']) == ('proj-q', 'Cluster', 5)
    shown = _printed(coe(deployment, 'quotas', 'show', '--project-id',
                         'proj-q', '--resource', 'Cluster'))
    assert shown['hard_limit'] == 5
    coe(deployment, 'quotas', 'update', '--project-id', 'proj-q',
        '--resource', 'Cluster', '--hard-limit', 7)
    listed = coe(deployment, 'quotas', 'list', '--all-tenants')
    row = [line for line in listed.splitlines() if 'proj-q' in line]
    assert len(row) == 1 and '| Cluster' in row[0] and '| 7 ' in row[0]
    duplicate = coe(deployment, 'quotas', 'create', '--project-id',
                    'proj-q', '--resource', 'Cluster', '--hard-limit', 1,
                    expect_failure=True)
    assert 'already exists' in duplicate.stderr + duplicate.stdout
    coe(deployment, 'quotas', 'delete', '--project-id', 'proj-q',
        '--resource', 'Cluster')
    default = _printed(coe(deployment, 'quotas', 'show', '--project-id',
                           'proj-q', '--resource', 'Cluster'))
    assert default['hard_limit'] == 20


def test_stats(deployment):
    assert _printed(coe(deployment, 'stats', 'list', 'admin')) == {
        'clusters': 0, 'nodes': 0}


def test_template_list_is_empty_and_unknown_template_is_an_error(
        deployment):
    assert coe(deployment, 'cluster', 'template', 'list', '-f',
               'json') == []
    result = coe(deployment, 'cluster', 'template', 'show', 'missing',
                 expect_failure=True)
    assert 'could not be found' in result.stderr


def test_openstacksdk(deployment):
    conn = openstack.connect(
        auth_type='none', endpoint=deployment.url,
        container_infrastructure_management_endpoint_override=(
            deployment.url + '/v1'),
        load_yaml_config=False, load_envvars=False)
    proxy = conn.container_infrastructure_management
    assert list(proxy.cluster_templates()) == []
    services_ = list(proxy.services())
    assert any(s.binary == 'magnum-conductor' for s in services_)
    with pytest.raises(openstack.exceptions.NotFoundException):
        proxy.get_cluster_template('00000000-0000-0000-0000-000000000000')
