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

"""Magnum found through the catalog of the cloud-in-a-box's Keystone
under the service type upstream's DevStack registers, ``container-infra``,
as well as the official ``container-infrastructure-management``:
python-magnumclient (library and ``openstack coe``) and openstacksdk's
``container_infrastructure_management`` proxy work with either, or both.

The ``container-infra`` case is DevStack's layout: the API served by
uWSGI as ``magnum.wsgi.api:application`` under the ``/container-infra``
path, the catalog URL ending in ``/container-infra/v1``. Horizon's
magnum-ui looks the service up by the exact type ``container-infra``
(no aliases): the token's catalog is checked to hold that type where it
was registered.

Each layout gets a region of its own in the catalog, removed afterwards,
so runs sharing the cloud do not repoint each other's Magnum.
"""

import json
import os
import signal
import subprocess
import sys

from magnumclient import client as magnum_client
import openstack
import pytest
import requests

from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import keystone_helpers as kh
from magnum.tests.functional import processes
from magnum.tests.functional import services
from magnum.tests.functional.test_wsgi_uwsgi import _uwsgi

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
UPSTREAM_TYPE = 'container-infra'
OFFICIAL_TYPE = cloud_box.MAGNUM_SERVICE_TYPE
PREFIX = '/container-infra'


@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, tmp_path_factory):
    magnum = kh.start_deployment(
        cloud, migrated_db_url, tmp_path_factory.mktemp('magnum'),
        kh.engine_with_no_node_image())
    yield magnum
    magnum.stop()


@pytest.fixture(scope='module')
def under_uwsgi(deployment):
    """The same deployment's API as DevStack serves it: uWSGI mounting
    magnum.wsgi.api:application at /container-infra. Yields its URL
    (with the prefix, without /v1)."""
    uwsgi = _uwsgi()
    config_file = deployment._config('magnum-uwsgi.conf', {
        'DEFAULT': {'log_file': os.path.join(deployment.directory,
                                             'magnum-uwsgi.log')}})
    port = services.free_port()
    url = 'http://127.0.0.1:%d%s' % (port, PREFIX)
    log_path = os.path.join(deployment.directory, 'uwsgi.out')
    with open(log_path, 'ab') as log:
        server = subprocess.Popen(
            [uwsgi, '--master', '--http', '127.0.0.1:%d' % port,
             '--mount', '%s=magnum.wsgi.api:application' % PREFIX,
             '--manage-script-name', '--processes', '1', '--threads', '2',
             '--lazy-apps', '--need-app', '--die-on-term',
             '--home', sys.prefix,
             # Without --http-keepalive the router closes each connection
             # after its answer; saying so keeps clients (requests,
             # keystoneauth) from sending the next request on it.
             '--add-header', 'Connection: close'],
            stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, MAGNUM_CONFIG_FILE=config_file,
                     PYTHONWARNINGS='ignore'),
            start_new_session=True, preexec_fn=processes.die_with_parent)

    def answers():
        try:
            return requests.get(url + '/', timeout=2).status_code == 200
        except requests.RequestException:
            return False
    try:
        processes.wait_for(lambda: server.poll() is not None or answers(),
                           120, message='uWSGI on port %d' % port)
        assert server.poll() is None, open(log_path).read()[-4000:]
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)


# (catalog entries {type: URL}, described); the URL names which server.
LAYOUTS = {
    'devstack-container-infra': {UPSTREAM_TYPE: 'uwsgi-v1'},
    'container-infra-only': {UPSTREAM_TYPE: 'api'},
    'both-types': {UPSTREAM_TYPE: 'api', OFFICIAL_TYPE: 'api'},
}


@pytest.fixture(scope='module', params=sorted(LAYOUTS))
def catalog(request, cloud, deployment):
    """A region whose catalog holds Magnum under the layout's types;
    yields (region, {type: url})."""
    servers = {'api': deployment.url}
    if 'uwsgi-v1' in LAYOUTS[request.param].values():
        servers['uwsgi-v1'] = request.getfixturevalue('under_uwsgi') + '/v1'
    endpoints = {service_type: servers[server]
                 for service_type, server in LAYOUTS[request.param].items()}
    with cloud.region_of_own(endpoints) as region:
        yield region, endpoints


@pytest.fixture(scope='module')
def template(cloud, deployment):
    """A template of project a, made over HTTP, deleted afterwards."""
    member = kh.Caller(cloud, deployment,
                       cloud.projects['a']['users']['member'])
    made = kh.expect(member.post('/v1/clustertemplates', kh.template_body(
        kh.unique('catalog'))), 201).json()
    yield made
    kh.expect(member.delete('/v1/clustertemplates/%s' % made['uuid']), 204)


def test_the_token_catalog_holds_the_types_as_registered(cloud, catalog):
    region, endpoints = catalog
    reader = cloud.projects['a']['users']['reader']
    access = cloud.auth(reader).get_access(cloud.session(reader))
    found = {}
    for entry in access.service_catalog.catalog:
        for endpoint in entry['endpoints']:
            if endpoint.get('region_id') == region and \
                    endpoint['interface'] == 'public':
                found[entry['type']] = endpoint['url']
    # Exactly what was registered: magnum-ui reads "container-infra"
    # by that name.
    assert found == endpoints


def test_magnumclient_library(cloud, catalog, template):
    region, _ = catalog
    reader = cloud.projects['a']['users']['reader']
    client = magnum_client.Client('1', session=cloud.session(reader),
                                  region_name=region)
    assert template['uuid'] in [t.uuid for t in
                                client.cluster_templates.list()]
    assert client.cluster_templates.get(template['uuid']).name == \
        template['name']


def test_openstack_coe_cli(cloud, catalog, template):
    region, _ = catalog
    reader = cloud.projects['a']['users']['reader']
    listed = subprocess.run(
        [OPENSTACK, 'coe', 'cluster', 'template', 'list', '-f', 'json'],
        capture_output=True, text=True, timeout=120,
        env=cloud.client_env(reader, region))
    assert listed.returncode == 0, listed.stderr
    assert template['uuid'] in [t['uuid'] for t in json.loads(listed.stdout)]


def test_openstacksdk_proxy(cloud, catalog, template):
    region, _ = catalog
    reader = cloud.projects['a']['users']['reader']
    auth = {key: reader[key] for key in (
        'auth_url', 'username', 'password', 'project_name',
        'user_domain_name', 'project_domain_name')}
    conn = openstack.connect(auth=auth, region_name=region,
                             load_yaml_config=False, load_envvars=False)
    proxy = conn.container_infrastructure_management
    try:
        assert template['uuid'] in [t.id for t in proxy.cluster_templates()]
        assert proxy.get_cluster_template(template['uuid']).name == \
            template['name']
    finally:
        conn.close()


def test_links_under_the_prefix_name_the_prefix(under_uwsgi):
    """Links a client follows from the version documents stay under
    /container-infra."""
    root = requests.get(under_uwsgi + '/', timeout=30)
    assert root.status_code == 200, root.text
    hrefs = [link['href'] for version in root.json()['versions']
             for link in version['links']]
    assert hrefs and all(h.startswith(under_uwsgi) for h in hrefs), hrefs


def test_register_magnum_registers_both_types(cloud):
    """tools/cloud-in-a-box.sh register-magnum (which tools/dashboard.sh
    uses: magnum-ui needs container-infra) and cloud.register_magnum
    point both types at the URL."""
    region = 'magnum-test-%s' % kh.unique('both').split('-')[-1]
    try:
        done = subprocess.run(
            ['bash', cloud_box.SCRIPT, 'register-magnum',
             'http://127.0.0.1:1', region],
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        session = cloud.session(cloud.projects['a']['users']['reader'])
        for service_type in (UPSTREAM_TYPE, OFFICIAL_TYPE):
            assert session.get_endpoint(
                service_type=service_type, region_name=region,
                interface='public') == 'http://127.0.0.1:1'
        cloud.register_magnum('http://127.0.0.1:2', region=region)
        access = cloud.auth(cloud.projects['a']['users']['reader']) \
            .get_access(cloud.session(cloud.projects['a']['users'][
                'reader']))
        urls = {entry['type']: {e['url'] for e in entry['endpoints']
                                if e.get('region_id') == region}
                for entry in access.service_catalog.catalog}
        assert urls[UPSTREAM_TYPE] == urls[OFFICIAL_TYPE] == \
            {'http://127.0.0.1:2'}
    finally:
        cloud.remove_region(region)
