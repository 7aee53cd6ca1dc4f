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


"""/v1/bays: clusters under their historical name (compatibility.rst,
"Legacy resources")."""

import pytest

from magnum.api import microversion
from magnum.common import policy
from magnum.tests import openapi_validator
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.api.test_cluster import groups_of
from magnum.tests.unit.api.test_cluster import make_cluster
from magnum.tests.unit.api.test_cluster import make_template
from magnum.tests.unit.api.test_cluster import stored

LATEST = microversion.MAX_VERSION_STRING
MISSING_UUID = '0f0f0f0f-0000-4000-8000-00000000dead'

SUMMARY = {'uuid', 'name', 'baymodel_id', 'docker_volume_size', 'labels',
           'master_flavor_id', 'flavor_id', 'node_count', 'status',
           'bay_create_timeout', 'master_count', 'stack_id', 'links'}
FULL = SUMMARY | {'discovery_url', 'fixed_network', 'fixed_subnet',
                  'floating_ip_enabled', 'master_lb_enabled',
                  'status_reason', 'api_address', 'coe_version',
                  'container_version', 'node_addresses', 'master_addresses',
                  'created_at', 'updated_at'}


def _is_a_bay(response):
    """1.1 answers (201/200) are not the status the OpenAPI document
    records (it holds the 1.2+ 202): check their body against the Bay
    schema by hand."""
    openapi_validator._validate(
        {'$ref': '#/components/schemas/Bay'}, response.json,
        'legacy %s' % response.status)
    return response.json


@pytest.fixture
def template(dbapi):
    return make_template(dbapi, keypair_id='kp-of-baymodel')


@pytest.fixture
def refuse_bay_rules(magnum_config, tmp_path):
    """An operator policy file that denies every bay rule."""
    path = tmp_path / 'policy.yaml'
    path.write_text(''.join('"bay:%s": "!"\n' % rule for rule in (
        'get', 'get_all', 'detail', 'create', 'update', 'delete')))
    magnum_config.config(group='oslo_policy', policy_file=str(path))
    policy.reset()
    yield
    policy.reset()


@pytest.fixture
def bay(dbapi, template):
    return make_cluster(dbapi, template, node_count=2)


def _post(api, body, version=LATEST, status=202, **kwargs):
    return api.post('/bays', body, version=version, status=status,
                    **kwargs)


# -- create -------------------------------------------------------------------

def test_create_at_1_1_is_201_with_the_full_bay(api, rpc, template):
    response = _post(api, {'baymodel_id': template.uuid, 'name': 'b1',
                           'node_count': 2, 'bay_create_timeout': 15},
                     version='1.1', status=201, validate=False)
    body = _is_a_bay(response)
    assert response.headers['Location'] == \
        'http://localhost/v1/bays/%s' % body['uuid']
    assert set(body) == FULL
    # The create is cast, not waited for: the bay is still being built.
    assert body['status'] == 'CREATE_IN_PROGRESS'
    assert body['baymodel_id'] == template.uuid
    assert body['bay_create_timeout'] == 15
    assert body['node_count'] == 2 and body['master_count'] == 1
    assert body['links'][0]['href'] == \
        'http://localhost/v1/bays/%s' % body['uuid']
    assert body['links'][1]['href'] == \
        'http://localhost/bays/%s' % body['uuid']
    _, kwargs = rpc.last('cluster_create')
    assert kwargs['cluster'].uuid == body['uuid']
    assert kwargs['create_timeout'] == 15
    cluster = stored(body['uuid'])
    assert cluster.keypair == 'kp-of-baymodel'
    assert cluster.create_timeout == 15
    assert cluster.cluster_template_id == template.uuid
    assert groups_of(body['uuid'])['default-worker'].node_count == 2


def test_create_at_latest_is_202_with_the_uuid(api, rpc, template):
    body = _post(api, {'baymodel_id': template.name}).json
    assert list(body) == ['uuid']
    cluster = stored(body['uuid'])
    assert cluster.cluster_template_id == template.uuid
    assert cluster.create_timeout == 60
    assert cluster.keypair == 'kp-of-baymodel'
    assert rpc.methods() == ['cluster_create']
    # The same row is a cluster.
    assert api.get('/clusters/%s' % body['uuid'], version=LATEST,
                   status=200).json['cluster_template_id'] == template.uuid


@pytest.mark.parametrize('version', ['1.1', LATEST])
def test_unknown_baymodel_is_400_at_every_version(api, rpc, version):
    for ident in (MISSING_UUID, 'nope'):
        error_of(_post(api, {'baymodel_id': ident}, version=version,
                       status=400))
    assert rpc.methods() == []


@pytest.mark.parametrize('body', [
    {},                                              # baymodel_id missing
    {'node_count': 0},
    {'master_count': 0},
    {'node_count': 'many'},
    {'bay_create_timeout': -1},
    {'keypair': 'mine'},                             # not settable
    {'cluster_template_id': 'x'},                    # the new name
    {'create_timeout': 5},
    {'status': 'CREATE_COMPLETE'},
    {'stack_id': 'x'},
    {'name': '1-starts-with-a-digit'},
    {'unknown': 1},
])
def test_create_validation(api, rpc, template, body):
    if body != {}:
        body = dict(body, baymodel_id=template.uuid)
    error_of(_post(api, body, status=400))
    assert rpc.methods() == []


def test_create_malformed_json_is_400(api, template):
    response = api.app.post(
        '/v1/bays', '{"baymodel_id": ', expect_errors=True,
        headers={'Content-Type': 'application/json',
                 'X-Project-Id': 'project-a', 'X-User-Id': 'user-a',
                 'X-Roles': 'member,reader'})
    assert response.status_int == 400


# -- read ---------------------------------------------------------------------

@pytest.mark.parametrize('version', ['1.1', LATEST])
def test_list_shows_summary_fields(api, bay, template, version):
    bays = api.get('/bays', version=version, status=200).json['bays']
    assert len(bays) == 1
    item = bays[0]
    assert set(item) == SUMMARY
    assert item['uuid'] == bay.uuid
    assert item['baymodel_id'] == template.uuid
    assert item['stack_id'] == 'stack-1'
    assert item['node_count'] == 2 and item['master_count'] == 1
    assert item['bay_create_timeout'] == bay.create_timeout


def test_detail_and_get_one(api, bay):
    detail = api.get('/bays/detail', version=LATEST, status=200).json
    assert set(detail['bays'][0]) == FULL
    for ident in (bay.uuid, bay.name):
        one = api.get('/bays/%s' % ident, version=LATEST, status=200).json
        assert set(one) == FULL
        assert one['stack_id'] == 'stack-1'   # never cluster_id
        assert one['links'][0]['href'].endswith('/v1/bays/%s' % bay.uuid)
    api.get('/bays/%s' % MISSING_UUID, status=404)


def test_paging_and_sort_by_historical_name(api, dbapi, template):
    first = make_cluster(dbapi, template, name='a1')
    make_cluster(dbapi, template, name='a2')
    page = api.get('/bays?limit=1&sort_key=baymodel_id', status=200).json
    assert [b['uuid'] for b in page['bays']] == [first.uuid]
    assert 'limit=1' in page['next'] and '/v1/bays' in page['next']
    error_of(api.get('/bays?sort_key=nonsense', status=400))
    error_of(api.get('/bays?marker=%s' % MISSING_UUID, status=404))
    error_of(api.get('/bays?limit=-1', status=400))


def test_failed_bay_shows_bay_faults_on_get_one_only(api, dbapi, template):
    bay = make_cluster(dbapi, template, status='CREATE_FAILED')
    dbapi.update_nodegroup(
        bay.uuid, groups_of(bay.uuid)['default-worker'].uuid,
        {'status': 'CREATE_FAILED', 'status_reason': 'no capacity'})
    one = api.get('/bays/%s' % bay.uuid, status=200).json
    assert one['bay_faults'] == {'default-worker': 'no capacity'}
    listed = api.get('/bays/detail', status=200).json['bays'][0]
    assert 'bay_faults' not in listed


# -- update -------------------------------------------------------------------

def _node_count(value):
    return [{'op': 'replace', 'path': '/node_count', 'value': value}]


def test_patch_at_1_1_is_200_with_the_full_bay(api, rpc, bay):
    response = api.patch('/bays/%s' % bay.uuid, _node_count(4),
                         version='1.1', status=200, validate=False)
    body = _is_a_bay(response)
    assert set(body) == FULL
    assert body['status'] == 'UPDATE_IN_PROGRESS'
    _, kwargs = rpc.last('cluster_update')
    assert kwargs['node_count'] == 4 and kwargs['rollback'] is False
    assert stored(bay.uuid).status == 'UPDATE_IN_PROGRESS'


def test_patch_at_latest_is_202_with_the_uuid(api, rpc, bay):
    body = api.patch('/bays/%s' % bay.name, _node_count(3),
                     version=LATEST, status=202).json
    assert body == {'uuid': bay.uuid}
    _, kwargs = rpc.last('cluster_update')
    assert kwargs['cluster'].uuid == bay.uuid
    assert kwargs['node_count'] == 3


def test_patch_rollback_from_1_3(api, rpc, bay):
    error_of(api.patch('/bays/%s?rollback=True' % bay.uuid, _node_count(3),
                       version='1.2', status=400))
    api.patch('/bays/%s?rollback=True' % bay.uuid, _node_count(3),
              version='1.3', status=202)
    _, kwargs = rpc.last('cluster_update')
    assert kwargs['rollback'] is True


@pytest.mark.parametrize('patch', [
    _node_count(0),                     # never zero for a bay
    _node_count('x'),
    [{'op': 'replace', 'path': '/baymodel_id', 'value': 'other'}],
    [{'op': 'remove', 'path': '/baymodel_id'}],
    [{'op': 'replace', 'path': '/bay_create_timeout', 'value': 9}],
    [{'op': 'replace', 'path': '/master_count', 'value': 3}],
    [{'op': 'replace', 'path': '/stack_id', 'value': 'x'}],
    [{'op': 'add', 'path': '/keypair', 'value': 'x'}],
    [{'op': 'replace', 'path': '/health_status', 'value': 'HEALTHY'}],
    [{'op': 'replace', 'path': '/unknown', 'value': 1}],
    [{'op': 'remove', 'path': '/name'}],
    {'not': 'a list'},
])
def test_patch_validation(api, rpc, bay, patch):
    error_of(api.patch('/bays/%s' % bay.uuid, patch, version=LATEST,
                       status=400))
    assert rpc.methods() == []
    assert stored(bay.uuid).status == 'CREATE_COMPLETE'


def test_patch_name_is_saved_without_a_cast(api, rpc, bay):
    api.patch('/bays/%s' % bay.uuid,
              [{'op': 'replace', 'path': '/name', 'value': 'renamed'}],
              version=LATEST, status=202)
    assert stored(bay.uuid).name == 'renamed'
    assert rpc.methods() == []


# -- delete -------------------------------------------------------------------

@pytest.mark.parametrize('version', ['1.1', LATEST])
def test_delete(api, rpc, bay, version):
    response = api.delete('/bays/%s' % bay.name, version=version,
                          status=204)
    assert not response.body
    _, kwargs = rpc.last('cluster_delete')
    assert kwargs == {'uuid': bay.uuid}
    assert stored(bay.uuid).status == 'DELETE_IN_PROGRESS'
    api.delete('/bays/%s' % MISSING_UUID, status=404)


# -- policy -------------------------------------------------------------------

def test_reader_reads_but_does_not_write(api, rpc, bay, template):
    api.get('/bays', as_='reader', status=200)
    api.get('/bays/detail', as_='reader', status=200)
    api.get('/bays/%s' % bay.uuid, as_='reader', status=200)
    error_of(_post(api, {'baymodel_id': template.uuid}, as_='reader',
                   status=403))
    error_of(api.patch('/bays/%s' % bay.uuid, _node_count(3),
                       as_='reader', status=403))
    error_of(api.delete('/bays/%s' % bay.uuid, as_='reader', status=403))
    assert rpc.methods() == []


def test_no_roles_is_refused_everything(api, bay, template):
    error_of(api.get('/bays', as_='noroles', status=403))
    error_of(api.get('/bays/detail', as_='noroles', status=403))
    error_of(api.get('/bays/%s' % bay.uuid, as_='noroles', status=403))


def test_other_project_sees_nothing(api, rpc, bay):
    assert api.get('/bays', as_='other', status=200).json['bays'] == []
    api.get('/bays/%s' % bay.uuid, as_='other', status=404)
    api.patch('/bays/%s' % bay.uuid, _node_count(3), as_='other',
              status=404)
    api.delete('/bays/%s' % bay.uuid, as_='other', status=404)
    assert rpc.methods() == []


def test_policy_overrides_apply_to_bay_rules(api, rpc, bay, template,
                                             refuse_bay_rules):
    api.get('/bays', status=403)
    api.get('/bays/detail', status=403)
    api.get('/bays/%s' % bay.uuid, status=403)
    _post(api, {'baymodel_id': template.uuid}, status=403)
    api.patch('/bays/%s' % bay.uuid, _node_count(3), status=403)
    api.delete('/bays/%s' % bay.uuid, status=403)
    assert rpc.methods() == []
    # The cluster rules are separate.
    api.get('/clusters/%s' % bay.uuid, status=200)


def test_admin_has_no_all_projects_view(api, bay):
    assert api.get('/bays', as_='admin', status=200).json['bays'] == []
