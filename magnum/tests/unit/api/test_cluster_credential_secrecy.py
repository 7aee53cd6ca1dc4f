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

"""A cluster's application credential is never shown: not by the clusters
or bays views at any microversion, not in the API's own document, not
settable through the API."""

import datetime

import pytest

from magnum.api import microversion
from magnum.tests.unit.api.test_cluster import make_cluster
from magnum.tests.unit.api.test_cluster import make_template
from magnum.tests.unit.api.test_cluster import stored

CREDENTIAL_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00'
SEALED = 'magnum-aes256gcm-v1:0123456789abcdef:c2VhbGVkIHNlY3JldA=='


@pytest.fixture
def cluster(dbapi):
    template = make_template(dbapi)
    return make_cluster(
        dbapi, template, application_credential_id=CREDENTIAL_ID,
        application_credential_secret=SEALED,
        application_credential_user_id='user-a',
        application_credential_expires_at=datetime.datetime(2030, 1, 1))


def assert_hidden(text):
    assert CREDENTIAL_ID not in text
    assert SEALED not in text
    assert 'application_credential' not in text


@pytest.mark.parametrize('version', ['1.1', '1.12', '1.14',
                                     microversion.MAX_VERSION_STRING])
def test_cluster_views(api, cluster, version):
    for path in ('/clusters', '/clusters/detail',
                 '/clusters/%s' % cluster.uuid):
        response = api.get(path, version=version, status=200)
        assert cluster.uuid in response.text
        assert_hidden(response.text)


def test_bay_views(api, cluster):
    for path in ('/bays', '/bays/detail', '/bays/%s' % cluster.uuid):
        response = api.get(path, version='1.1', status=200)
        assert cluster.uuid in response.text
        assert_hidden(response.text)


def test_openapi_document(api):
    response = api.get('/openapi.json', status=200)
    assert 'application_credential' not in response.text


def test_patch_cannot_reach_it(api, rpc, cluster):
    response = api.patch('/clusters/%s' % cluster.uuid, [
        {'op': 'replace', 'path': '/application_credential_id',
         'value': 'mine'}], version=microversion.MAX_VERSION_STRING)
    assert response.status_int == 400
    assert "non-existent object 'application_credential_id'" in \
        response.text
    assert stored(cluster.uuid).application_credential_id == CREDENTIAL_ID
    assert CREDENTIAL_ID not in response.text
    assert SEALED not in response.text
