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

"""POST /v1/clusters/{id}/actions/load_image (1.16): the API side and
the body limits of the paste pipeline.

The conductor is conftest's recording stand-in, answering with the
conductor's own staging code (magnum.conductor.image_uploads, on a
private directory of the test's), so what the API sent is reassembled
as a conductor would; loading into nodes is the functional tests'
(test_containers.py)."""

import base64
import io
import os

import pytest
import webob
import webtest

from magnum.api import app
from magnum.api.controllers.v1 import load_image
from magnum.api.middleware import body_size
from magnum.conductor import image_uploads
from magnum.tests.unit.api.conftest import IDENTITIES
from magnum.tests.unit.api.conftest import error_of

VERSION = 'container-infra 1.16'


@pytest.fixture
def conductor(rpc, magnum_config, tmp_path):
    """The conductor's staging, in process; finish answers with what was
    staged (and removes it, as the conductor does)."""
    private = tmp_path / 'private'
    private.mkdir(mode=0o700)
    magnum_config.config(tempdir=str(private))
    loaded = {}

    def finish(context, host, cluster, upload, size, timeout):
        with open(image_uploads.staged(upload, size), 'rb') as staged:
            loaded['data'] = staged.read()
        loaded['timeout'] = timeout
        image_uploads.remove(upload)
        return {'node-0': ['shell:1'], 'node-1': ['shell:1']}

    rpc.results.update({
        'image_upload_begin': lambda context, cluster, size: {
            'upload': image_uploads.begin(size, 'host-1'),
            'host': 'host-1'},
        'image_upload_chunk': lambda context, host, upload, offset, data:
            image_uploads.append(upload, offset, data),
        'image_upload_finish': finish,
        'image_upload_abort': lambda context, host, upload:
            image_uploads.remove(upload),
    })
    rpc.loaded = loaded
    rpc.staging = private
    return rpc


def _path(cluster):
    return '/v1/clusters/%s/actions/load_image' % cluster['uuid']


def _raw(api, path, data, as_='admin', content_type='application/x-tar'):
    headers = dict(IDENTITIES[as_], **{'OpenStack-API-Version': VERSION,
                                       'Content-Type': content_type})
    return api.app.post(path, data, headers=headers, expect_errors=True)


def test_a_json_body_is_for_admins_and_reaches_the_nodes(api, swarm,
                                                         conductor):
    body = {'image_tarball': base64.b64encode(b'a tarball').decode()}
    api.post(_path(swarm), body, version='1.16', status=403)
    assert 'image_upload_begin' not in conductor.methods()
    answer = api.post(_path(swarm), body, as_='admin', version='1.16',
                      status=200).json
    assert answer == {'nodes': {'node-0': ['shell:1'],
                                'node-1': ['shell:1']}}
    assert conductor.loaded['data'] == b'a tarball'
    _, begun = conductor.last('image_upload_begin')
    assert (begun['cluster'].uuid, begun['size']) == (swarm['uuid'], 9)
    assert os.listdir(conductor.staging) == []
    api.post(_path(swarm), body, as_='admin', version='1.15', status=406)


@pytest.mark.parametrize('body,detail', [
    ({'image_tarball': 'not base64!'}, 'must be base64'),
    ({'image_tarball': ''}, 'is empty'),
    ({}, 'image_tarball'),
])
def test_a_bad_json_body_is_a_400(api, swarm, conductor, body, detail):
    response = api.post(_path(swarm), body, as_='admin', version='1.16',
                        status=400)
    assert detail in error_of(response)['detail']
    assert 'image_upload_begin' not in conductor.methods()


def test_a_tarball_body_goes_to_one_conductor_in_chunks(api, swarm,
                                                        conductor):
    data = os.urandom(2 * load_image.CHUNK_SIZE + 1000)
    response = _raw(api, _path(swarm), data)
    assert response.status_int == 200, response.text
    assert response.json['nodes']['node-0'] == ['shell:1']
    assert conductor.loaded['data'] == data
    offsets = [args[2] for method, args, kwargs in conductor.requests
               if method == 'image_upload_chunk']
    assert offsets == [0, load_image.CHUNK_SIZE, 2 * load_image.CHUNK_SIZE]
    assert all(args[0] == 'host-1' for method, args, kwargs in
               conductor.requests if method.startswith('image_upload_')
               and method != 'image_upload_begin')
    # The wait grows with the image: a second per MiB.
    assert conductor.loaded['timeout'] == 30 + 9
    _, begun = conductor.last('image_upload_begin')
    assert begun['size'] == len(data)


def test_octet_stream_is_taken_too_and_an_empty_one_refused(api, swarm,
                                                            conductor):
    response = _raw(api, _path(swarm), b'tar',
                    content_type='application/octet-stream')
    assert response.status_int == 200, response.text
    assert conductor.loaded['data'] == b'tar'
    response = _raw(api, _path(swarm), b'')
    assert response.status_int == 400
    assert 'empty' in error_of(response)['detail']


def test_a_tarball_is_checked_before_any_byte_is_sent(api, swarm, dbapi,
                                                      conductor):
    response = _raw(api, _path(swarm), b'tar', as_='member')
    assert response.status_int == 403
    response = _raw(api, '/v1/clusters/nope/actions/load_image', b'tar')
    assert response.status_int == 404
    dbapi.update_cluster(swarm['uuid'], {'status': 'UPDATE_IN_PROGRESS'})
    response = _raw(api, _path(swarm), b'tar')
    assert response.status_int == 409
    assert 'image_upload_begin' not in conductor.methods()


def test_a_body_that_ends_early_aborts_the_upload(api, swarm, conductor):
    """A client that stops sending: the staged part is removed."""
    request = webob.Request.blank(_path(swarm), method='POST')
    request.headers.update(IDENTITIES['admin'])
    request.headers['OpenStack-API-Version'] = VERSION
    request.content_type = 'application/x-tar'
    request.body_file_raw = io.BytesIO(b'x' * 100)
    request.environ['CONTENT_LENGTH'] = str(load_image.CHUNK_SIZE * 2)
    response = request.get_response(api.app.app)
    assert response.status_int == 400, response.text
    assert 'ended after 100 of its' in response.json['errors'][0]['detail']
    assert 'image_upload_abort' in conductor.methods()
    assert os.listdir(conductor.staging) == []


def test_the_tarball_is_in_the_openapi_document(api):
    document = api.get('/v1/openapi.json', as_=None).json
    content = document['paths'][
        '/v1/clusters/{cluster_ident}/actions/load_image']['post'][
            'requestBody']['content']
    assert set(content) == {'application/json', 'application/x-tar',
                            'application/octet-stream'}


# -- the limits of the paste pipeline --------------------------------------

@pytest.fixture
def pipeline(api, magnum_config):
    """The whole paste pipeline (noauth: every caller is an admin), with
    the recording conductor of ``api``."""
    magnum_config.config(auth_strategy='noauth')
    return webtest.TestApp(app.load_app())


def _post(pipeline, path, data, content_type, headers=None):
    headers = dict(headers or {}, **{'OpenStack-API-Version': VERSION,
                                     'Content-Type': content_type})
    return pipeline.post(path, data, headers=headers, expect_errors=True)


def test_a_tarball_over_the_global_limit_reaches_the_conductor(
        pipeline, swarm, conductor, magnum_config):
    magnum_config.config(group='oslo_middleware',
                         max_request_body_size=1024)
    data = os.urandom(64 * 1024)
    response = _post(pipeline, _path(swarm), data, 'application/x-tar')
    assert response.status_int == 200, response.text
    assert conductor.loaded['data'] == data
    # ...and no other body does, a JSON one to load_image included.
    response = _post(pipeline, _path(swarm), b'{"image_tarball": "%s"}' %
                     base64.b64encode(data), 'application/json')
    assert response.status_int == 413
    detail = error_of(response)['detail']
    assert '1024 bytes' in detail
    assert '[oslo_middleware] max_request_body_size' in detail
    assert 'application/x-tar' in detail  # what to send instead
    response = _post(pipeline, '/v1/clusters', b'{"name": "%s"}' % (
        b'x' * 2048), 'application/json')
    assert response.status_int == 413
    assert 'load_image' not in error_of(response)['detail']
    assert 'x-tar' not in error_of(response)['detail']


def test_a_tarball_over_its_own_limit_is_a_413_naming_it(
        pipeline, swarm, conductor, magnum_config):
    magnum_config.config(group='api', max_image_upload_size=1000)
    response = _post(pipeline, _path(swarm), b'x' * 1001,
                     'application/x-tar')
    assert response.status_int == 413
    error = error_of(response)
    assert error['status'] == 413 and error['code'] == 'client'
    assert '[api] max_image_upload_size' in error['detail']
    assert '1000 bytes' in error['detail']
    assert 'image_upload_begin' not in conductor.methods()
    # The same bytes elsewhere are not a tarball upload.
    assert not body_size.is_tarball_upload({
        'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/x-tar',
        'PATH_INFO': '/v1/clusters/x/actions/resize'})
    assert body_size.is_tarball_upload({
        'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/x-tar',
        'PATH_INFO': '/clusters/x/actions/load_image'})


def test_a_chunked_tarball_is_cut_off_at_its_limit(pipeline, swarm,
                                                  conductor, magnum_config):
    """No Content-Length: the reading stops at the limit, with a 413, and
    what was staged goes."""
    magnum_config.config(group='api',
                         max_image_upload_size=load_image.CHUNK_SIZE + 10)
    request = webob.Request.blank(_path(swarm), method='POST')
    request.headers['OpenStack-API-Version'] = VERSION
    request.content_type = 'application/x-tar'
    request.body_file_raw = io.BytesIO(b'x' * (load_image.CHUNK_SIZE * 2))
    request.environ.pop('CONTENT_LENGTH', None)
    request.environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
    response = request.get_response(pipeline.app)
    assert response.status_int == 413, response.text
    detail = response.json['errors'][0]['detail']
    assert '[api] max_image_upload_size' in detail
    assert 'image_upload_abort' in conductor.methods()
    assert os.listdir(conductor.staging) == []
