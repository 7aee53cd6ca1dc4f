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

"""The API deployed as magnum.wsgi.api:application under a real uWSGI
(test-requirements.txt), two processes of two threads, configured through
MAGNUM_CONFIG_FILE, on a MariaDB database: the version document, a list,
one item and errors in the OpenStack format.

uWSGI's --http router is used (its --http-socket drops keep-alive
connections); each request here closes its connection anyway.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.tests import db_backends
from magnum.tests.functional import processes
from magnum.tests.functional import services
from magnum.tests.unit.db import utils as db_utils

HEADERS = {'OpenStack-API-Version': 'container-infra latest',
           'Connection': 'close'}


def _uwsgi():
    found = shutil.which('uwsgi', path=os.path.dirname(sys.executable)) or \
        shutil.which('uwsgi')
    if not found:
        message = 'uWSGI is not installed (pip install -r ' \
            'test-requirements.txt)'
        if db_backends.in_ci():
            pytest.fail(message + ' (CI=true)', pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope='module')
def template(migrated_db_url):
    """A cluster template row, as an earlier API would have stored it."""
    dbapi = sqlalchemy_api.Connection(migrated_db_url)
    row = dbapi.create_cluster_template(db_utils.get_test_cluster_template(
        name='under-uwsgi', project_id='admin', user_id='admin',
        coe='swarm-mode', server_type='container', image_id='an-image',
        cluster_distro='debian', driver='local_swarm',
        network_driver='docker', volume_driver=None))
    yield row
    dbapi.destroy_cluster_template(row.uuid)
    dbapi.dispose()


@pytest.fixture(scope='module')
def served(migrated_db_url, template, tmp_path_factory):
    """uWSGI serving magnum.wsgi.api:application; yields its port."""
    uwsgi = _uwsgi()
    directory = tmp_path_factory.mktemp('uwsgi')
    config_file = processes.write_config(directory / 'magnum.conf', {
        'DEFAULT': {'auth_strategy': 'noauth',
                    'state_path': str(directory),
                    'log_file': str(directory / 'magnum-api.log')},
        'database': {'connection': migrated_db_url},
    })
    port = services.free_port()
    log_path = directory / 'uwsgi.log'
    with open(log_path, 'ab') as log:
        server = subprocess.Popen(
            [uwsgi, '--master', '--http', '127.0.0.1:%d' % port,
             '--module', 'magnum.wsgi.api:application',
             '--processes', '2', '--threads', '2', '--lazy-apps',
             '--need-app', '--die-on-term', '--home', sys.prefix],
            stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, MAGNUM_CONFIG_FILE=config_file,
                     PYTHONWARNINGS='ignore'),
            start_new_session=True, preexec_fn=processes.die_with_parent)
    try:
        processes.wait_for(
            lambda: server.poll() is not None or _answers(port), 120,
            message='uWSGI on port %d' % port)
        assert server.poll() is None, log_path.read_text(errors='replace')
        yield port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)


def _answers(port):
    try:
        return _request(port, 'GET', '/')[0] == 200
    except OSError:
        return False


def _request(port, method, path, body=None):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        headers = dict(HEADERS)
        if body is not None:
            body = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), (
            json.loads(data) if data else None)
    finally:
        connection.close()


def _error_of(body):
    """The single error of an OpenStack error document."""
    assert list(body) == ['errors'], body
    error, = body['errors']
    assert error['request_id'].startswith('req-'), error
    return error


def test_version_document(served):
    status, headers, body = _request(served, 'GET', '/')
    assert status == 200
    version, = body['versions']
    assert version['id'] == 'v1'
    assert version['links'] == [{
        'href': 'http://127.0.0.1:%d/v1/' % served, 'rel': 'self'}]
    assert headers['x-openstack-request-id'].startswith('req-')


def test_a_list_and_one_item(served, template):
    status, headers, body = _request(served, 'GET', '/v1/clustertemplates')
    assert status == 200, body
    assert [item['uuid'] for item in body['clustertemplates']] == [
        template.uuid]
    assert body['clustertemplates'][0]['name'] == 'under-uwsgi'
    status, _, body = _request(served, 'GET',
                               '/v1/clustertemplates/under-uwsgi')
    assert status == 200, body
    assert (body['uuid'], body['coe']) == (template.uuid, 'swarm-mode')


def test_a_missing_item_is_a_404_in_the_openstack_format(served):
    status, _, body = _request(
        served, 'GET', '/v1/clustertemplates/no-such-template')
    assert status == 404
    error = _error_of(body)
    assert (error['status'], error['code']) == (404, 'client')
    assert 'no-such-template' in error['detail']


def test_a_bad_request_is_a_400_in_the_openstack_format(served):
    status, _, body = _request(served, 'POST', '/v1/clustertemplates', {
        'name': 'bad', 'coe': 'mesos', 'image_id': 'an-image'})
    assert status == 400
    error = _error_of(body)
    assert (error['status'], error['code']) == (400, 'client')
    assert 'coe' in error['detail']
