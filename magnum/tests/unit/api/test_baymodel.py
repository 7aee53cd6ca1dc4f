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

"""/v1/baymodels: cluster templates under their historical name
(compatibility.rst, "Legacy resources")."""

import pytest

from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

BAYMODEL = {'coe': 'kubernetes', 'image_id': 'fedora-coreos',
            'keypair_id': 'kp', 'external_network_id': 'public'}


def _create(api, as_='member', status=201, **extra):
    return api.post('/baymodels', dict(BAYMODEL, **extra), as_=as_,
                    status=status)


def test_create_shows_a_baymodel_and_stores_a_cluster_template(api):
    response = _create(api, name='legacy', dns_nameserver='8.8.4.4')
    body = response.json
    assert response.headers['Location'] == \
        'http://localhost/v1/baymodels/%s' % body['uuid']
    assert 'driver' not in body
    assert body['links'][0]['href'] == \
        'http://localhost/v1/baymodels/%s' % body['uuid']
    assert body['links'][1]['href'] == \
        'http://localhost/baymodels/%s' % body['uuid']
    template = api.get('/clustertemplates/legacy', status=200).json
    assert template['uuid'] == body['uuid']
    assert template['driver'] == 'fake'
    listed = api.get('/baymodels', status=200).json['baymodels']
    assert [b['uuid'] for b in listed] == [body['uuid']]


@pytest.mark.parametrize('change', [
    {'keypair_id': None}, {'dns_nameserver': '8.8.8.8,8.8.4.4'},
    {'labels': {'a': 1}}, {'driver': 'fake'}])
def test_baymodel_rules_differ_from_templates(api, change):
    body = dict(BAYMODEL)
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    error_of(api.post('/baymodels', body, status=400))


def test_hidden_needs_no_publish_right_but_public_does(api):
    assert _create(api, hidden=True).json['hidden'] is True
    _create(api, public=True, status=403)
    _create(api, public=True, as_='admin')


def test_get_patch_delete(api, dbapi):
    uuid = _create(api, name='bm').json['uuid']
    assert api.get('/baymodels/bm', status=200).json['uuid'] == uuid
    body = api.patch('/baymodels/bm', [
        {'op': 'replace', 'path': '/name', 'value': 'bm2'}],
        status=200).json
    assert body['name'] == 'bm2' and 'driver' not in body
    error_of(api.patch('/baymodels/bm2', [
        {'op': 'replace', 'path': '/driver', 'value': 'x'}], status=400))
    api.get('/baymodels/detail', status=200)
    api.delete('/baymodels/bm2', as_='reader', status=403)
    api.delete('/baymodels/bm2', status=204)
    api.get('/baymodels/%s' % uuid, status=404)


def test_admin_has_no_all_projects_view(api, dbapi):
    db_utils.create_test_cluster_template(dbapi, name='theirs',
                                          project_id=PROJECT_B)
    api.get('/baymodels/theirs', as_='admin', status=404)
    api.get('/clustertemplates/theirs', as_='admin', status=200)
