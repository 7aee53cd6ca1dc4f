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

"""/v1/clustertemplates (api-ref/source/clustertemplates.inc)."""

import re

import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

K8S = {'coe': 'kubernetes', 'image_id': 'fedora-coreos',
       'external_network_id': 'public', 'keypair_id': 'kp'}
SWARM = {'coe': 'swarm-mode', 'image_id': 'debian-node',
         'server_type': 'container'}


def _create(api, body=None, as_='member', status=201, **extra):
    body = dict(body or K8S, **extra)
    return api.post('/clustertemplates', body, as_=as_, status=status)


def _stored(uuid):
    return objects.ClusterTemplate.get_by_uuid(
        magnum_context.get_admin_context(), uuid)


class TestCreate:

    def test_minimal_kubernetes_template_gets_defaults(self, api):
        response = _create(api)
        body = response.json
        assert response.headers['Location'] == \
            'http://localhost/v1/clustertemplates/%s' % body['uuid']
        assert re.match(r'^[a-z]+-\d+-template$', body['name'])
        assert body['network_driver'] == 'flannel'
        assert body['server_type'] == 'vm'
        assert body['cluster_distro'] == 'fedora-coreos'
        assert body['driver'] == 'fake'
        assert body['floating_ip_enabled'] is True
        assert body['public'] is False and body['hidden'] is False
        assert body['labels'] == {}
        assert body['project_id'] == PROJECT_A
        assert body['user_id'] == 'user-a'
        assert body['links'] == [
            {'href': 'http://localhost/v1/clustertemplates/%s' %
             body['uuid'], 'rel': 'self'},
            {'href': 'http://localhost/clustertemplates/%s' % body['uuid'],
             'rel': 'bookmark'}]
        assert body['created_at'].endswith('+00:00')
        assert _stored(body['uuid']).driver == 'fake'

    def test_swarm_mode_container_template(self, api):
        body = _create(api, SWARM, name='local').json
        assert (body['coe'], body['server_type'], body['cluster_distro'],
                body['network_driver']) == ('swarm-mode', 'container',
                                            'debian', 'docker')

    def test_explicit_nulls_count_as_not_given(self, api):
        body = _create(api, dict(K8S, name=None, labels=None, public=None,
                                 floating_ip_enabled=None,
                                 network_driver=None)).json
        assert body['labels'] == {} and body['public'] is False
        assert body['floating_ip_enabled'] is True
        assert body['network_driver'] == 'flannel'

    def test_labels_are_stored_as_strings(self, api):
        body = _create(api, labels={'a': 1, 'b': True, 'c': 1.5,
                                    'd': 'x'}).json
        assert body['labels'] == {'a': '1', 'b': 'True', 'c': '1.5',
                                  'd': 'x'}

    def test_explicit_driver_wins(self, api):
        assert _create(api, driver='other_fake').json['driver'] == \
            'other_fake'

    def test_unknown_driver_names_the_installed_ones(self, api):
        error = error_of(_create(api, driver='nope', status=400))
        assert 'nope' in error['detail'] and 'fake' in error['detail']

    def test_no_driver_for_the_cluster_type(self, api):
        error = error_of(_create(api, server_type='container', status=400))
        assert 'container' in error['detail']
        assert 'fake (' in error['detail']

    @pytest.mark.parametrize('image,message', [
        ('missing-image', 'missing-image'), ('no-distro', 'os_distro')])
    def test_image_problems_are_400(self, api, image, message):
        error = error_of(_create(api, image_id=image, status=400))
        assert message in error['detail']

    @pytest.mark.parametrize('change', [
        {'coe': 'mesos'}, {'coe': None}, {'image_id': ''},
        {'server_type': 'vmware'}, {'apiserver_port': 80},
        {'apiserver_port': 'abc'}, {'docker_volume_size': 0},
        {'dns_nameserver': '8.8.8.8,not-an-ip'},
        {'network_driver': 'cilium'}, {'network_driver': 'weave'},
        {'volume_driver': 'rexray'},
        {'docker_storage_driver': 'devicemapper', 'docker_volume_size': 2},
        {'name': 'x' * 256}, {'tls_disabled': 'maybe'},
        {'labels': {'a': {'nested': 'dict'}}}, {'labels': 'a=b'},
        {'unknown_field': 1}, {'uuid': 'not-a-uuid'},
        {'tags': 'x' * 256},
    ])
    def test_invalid_input_is_400(self, api, change):
        body = dict(K8S)
        for key, value in change.items():
            if value is None:
                body.pop(key)
            else:
                body[key] = value
        response = api.post('/clustertemplates', body, status=400)
        error = error_of(response)
        assert error['status'] == 400 and error['detail']
        assert objects.ClusterTemplate.list(
            magnum_context.get_admin_context()) == []

    def test_swarm_network_driver_must_be_docker(self, api):
        _create(api, SWARM, network_driver='flannel', status=400)

    def test_all_network_drivers_when_configured(self, api, magnum_config):
        magnum_config.config(group='cluster_template',
                             kubernetes_allowed_network_drivers=['all'])
        assert _create(api, network_driver='cilium').json[
            'network_driver'] == 'cilium'

    def test_malformed_json_is_400(self, api):
        response = api.app.post(
            '/v1/clustertemplates', '{"coe": ', expect_errors=True,
            headers={'Content-Type': 'application/json',
                     'X-Project-Id': PROJECT_A, 'X-Roles': 'member'})
        assert response.status_int == 400
        assert error_of(response)['status'] == 400

    def test_wrong_content_type_is_4xx(self, api):
        response = api.app.post(
            '/v1/clustertemplates', 'coe=kubernetes', expect_errors=True,
            headers={'Content-Type': 'text/plain',
                     'X-Project-Id': PROJECT_A, 'X-Roles': 'member'})
        assert 400 <= response.status_int < 500

    @pytest.mark.parametrize('flag', ['public', 'hidden'])
    def test_public_and_hidden_need_publish_rights(self, api, flag):
        error = error_of(_create(api, status=403, **{flag: True}))
        assert 'public or hidden' in error['detail']
        assert _create(api, as_='admin', **{flag: True}).json[flag] is True

    @pytest.mark.parametrize('who', ['reader', 'noroles'])
    def test_readers_cannot_create(self, api, who):
        error = error_of(_create(api, as_=who, status=403))
        assert 'clustertemplate:create' in error['detail']


class TestRead:

    @pytest.fixture
    def templates(self, dbapi):
        make = db_utils.create_test_cluster_template
        return {
            'own': make(dbapi, name='own', project_id=PROJECT_A),
            'other': make(dbapi, name='other', project_id=PROJECT_B),
            'public': make(dbapi, name='public', project_id=PROJECT_B,
                           public=True),
            'public-hidden': make(dbapi, name='public-hidden',
                                  project_id=PROJECT_B, public=True,
                                  hidden=True),
        }

    def test_get_by_uuid_and_name(self, api, templates):
        own = templates['own']
        assert api.get('/clustertemplates/%s' % own.uuid,
                       status=200).json['name'] == 'own'
        assert api.get('/clustertemplates/own',
                       status=200).json['uuid'] == own.uuid

    def test_visibility(self, api, templates):
        api.get('/clustertemplates/other', status=404)
        api.get('/clustertemplates/public', status=200)
        api.get('/clustertemplates/public-hidden', status=404)
        api.get('/clustertemplates/public-hidden', as_='admin', status=200)
        api.get('/clustertemplates/other', as_='admin', status=200)

    def test_list_and_detail(self, api, templates):
        for path in ('/clustertemplates', '/clustertemplates/detail'):
            names = sorted(t['name'] for t in
                           api.get(path, status=200).json['clustertemplates'])
            assert names == ['own', 'public']
        admin = api.get('/clustertemplates', as_='admin',
                        status=200).json['clustertemplates']
        assert len(admin) == 4

    def test_list_items_are_full_templates_with_links(self, api, templates):
        item = api.get('/clustertemplates',
                       status=200).json['clustertemplates'][0]
        for field in ('uuid', 'name', 'coe', 'image_id', 'labels', 'links',
                      'server_type', 'driver', 'created_at'):
            assert field in item

    def test_paging_next_link(self, api, dbapi):
        for i in range(5):
            db_utils.create_test_cluster_template(dbapi, name='t%d' % i,
                                                  project_id=PROJECT_A)
        first = api.get('/clustertemplates?limit=2&sort_key=name',
                        status=200).json
        assert [t['name'] for t in first['clustertemplates']] == ['t0', 't1']
        marker = first['clustertemplates'][-1]['uuid']
        assert first['next'] == (
            'http://localhost/v1/clustertemplates?sort_key=name&'
            'sort_dir=asc&limit=2&marker=%s' % marker)
        second = api.get(first['next'].replace('http://localhost', ''),
                         status=200).json
        assert [t['name'] for t in second['clustertemplates']] == \
            ['t2', 't3']
        last = api.get('/clustertemplates?limit=2&sort_key=name&marker=%s' %
                       second['clustertemplates'][-1]['uuid'],
                       status=200).json
        assert [t['name'] for t in last['clustertemplates']] == ['t4']
        assert 'next' not in last

    @pytest.mark.parametrize('query', [
        'limit=0', 'limit=-1', 'limit=abc', 'sort_key=bogus',
        'sort_dir=up', 'marker=not-a-uuid', 'unknown=1'])
    def test_bad_list_parameters_are_400(self, api, templates, query):
        error_of(api.get('/clustertemplates?' + query, status=400))

    def test_unknown_marker_is_404(self, api, templates):
        api.get('/clustertemplates?marker=%s' %
                '01234567-89ab-cdef-0123-456789abcdef', status=404)

    def test_detail_must_be_right_under_the_collection(self, api, templates):
        api.get('/clustertemplates/%s/detail' % templates['own'].uuid,
                status=404)

    def test_readers_may_read_roleless_may_not(self, api, templates):
        api.get('/clustertemplates', as_='reader', status=200)
        api.get('/clustertemplates/own', as_='reader', status=200)
        api.get('/clustertemplates', as_='noroles', status=403)
        api.get('/clustertemplates/own', as_='noroles', status=403)
        # Public templates need no project role.
        api.get('/clustertemplates/public', as_='noroles', status=200)


class TestUpdate:

    @pytest.fixture
    def template(self, api):
        return _create(api, name='tmpl', labels={'a': 'b'}).json

    def _patch(self, api, ident, ops, **kwargs):
        return api.patch('/clustertemplates/%s' % ident, ops, **kwargs)

    def test_replace_add_remove(self, api, template):
        body = self._patch(api, 'tmpl', [
            {'op': 'replace', 'path': '/name', 'value': 'renamed'},
            {'op': 'add', 'path': '/labels/c', 'value': 'd'},
            {'op': 'remove', 'path': '/labels/a'},
            {'op': 'add', 'path': '/http_proxy', 'value': 'http://p:3128'},
            {'op': 'replace', 'path': '/master_lb_enabled', 'value': True},
        ], status=200).json
        assert body['name'] == 'renamed'
        assert body['labels'] == {'c': 'd'}
        assert body['http_proxy'] == 'http://p:3128'
        assert body['master_lb_enabled'] is True
        stored = _stored(template['uuid'])
        assert (stored.name, stored.labels) == ('renamed', {'c': 'd'})

    def test_labels_as_python_literal_string(self, api, template):
        body = self._patch(api, 'tmpl', [
            {'op': 'replace', 'path': '/labels',
             'value': "{'x': 'y', 'n': '1'}"}], status=200).json
        assert body['labels'] == {'x': 'y', 'n': '1'}

    @pytest.mark.parametrize('ops', [
        [{'op': 'remove', 'path': '/image_id'}],
        [{'op': 'remove', 'path': '/coe'}],
        [{'op': 'replace', 'path': '/uuid',
          'value': '01234567-89ab-cdef-0123-456789abcdef'}],
        [{'op': 'replace', 'path': '/project_id', 'value': 'x'}],
        [{'op': 'move', 'path': '/name', 'from': '/tags'}],
        [{'op': 'replace', 'path': '/name'}],
        [{'op': 'replace', 'path': '/name', 'value': None}],
        [{'op': 'replace', 'path': '/name', 'value': {'a': 1}}],
        [{'op': 'replace', 'path': '/no_such_field', 'value': 'x'}],
        [{'op': 'add', 'path': '/name', 'value': 'x'}],
        [{'op': 'replace', 'path': 'name', 'value': 'x'}],
        [{'op': 'replace', 'path': '/labels', 'value': "{'broken"}],
        [{'op': 'replace', 'path': '/coe', 'value': 'mesos'}],
        [{'op': 'replace', 'path': '/apiserver_port', 'value': 1}],
        [{'op': 'replace', 'path': '/network_driver', 'value': 'weave'}],
        [{'op': 'remove', 'path': '/labels/missing'}],
        {'op': 'replace', 'path': '/name', 'value': 'x'},
    ])
    def test_bad_patches_are_400(self, api, template, ops):
        error = error_of(self._patch(api, 'tmpl', ops, status=400))
        assert error['status'] == 400
        assert _stored(template['uuid']).name == 'tmpl'

    def test_publishing_needs_admin(self, api, template):
        self._patch(api, 'tmpl', [{'op': 'replace', 'path': '/public',
                                   'value': True}], status=403)
        body = self._patch(api, template['uuid'], [
            {'op': 'replace', 'path': '/public', 'value': True}],
            as_='admin', status=200).json
        assert body['public'] is True

    def test_policy_and_visibility(self, api, template):
        ops = [{'op': 'replace', 'path': '/name', 'value': 'x'}]
        self._patch(api, 'tmpl', ops, as_='reader', status=403)
        self._patch(api, template['uuid'], ops, as_='other', status=404)
        self._patch(api, template['uuid'], ops, as_='admin', status=200)

    def test_template_in_use_allows_only_harmless_changes(self, api, dbapi,
                                                          template):
        db_utils.create_test_cluster(
            dbapi, name='user-cluster', project_id=PROJECT_A,
            cluster_template_id=template['uuid'])
        error = error_of(self._patch(api, 'tmpl', [
            {'op': 'replace', 'path': '/image_id',
             'value': 'debian-node'}], status=400))
        assert 'user-cluster' in error['detail']
        self._patch(api, 'tmpl', [{'op': 'replace', 'path': '/name',
                                   'value': 'still-ok'}], status=200)
        self._patch(api, 'still-ok', [{'op': 'add', 'path': '/tags',
                                       'value': 'a,b'}], status=200)
        self._patch(api, 'still-ok', [
            {'op': 'replace', 'path': '/name', 'value': 'x'},
            {'op': 'replace', 'path': '/tags', 'value': 'c'}], status=400)


class TestDelete:

    def test_delete(self, api):
        uuid = _create(api, name='gone').json['uuid']
        api.delete('/clustertemplates/gone', as_='reader', status=403)
        api.delete('/clustertemplates/%s' % uuid, as_='other', status=404)
        api.delete('/clustertemplates/gone', status=204)
        api.get('/clustertemplates/%s' % uuid, status=404)
        api.delete('/clustertemplates/%s' % uuid, status=404)

    def test_template_in_use_cannot_be_deleted(self, api, dbapi):
        uuid = _create(api).json['uuid']
        db_utils.create_test_cluster(dbapi, name='c1', project_id=PROJECT_A,
                                     cluster_template_id=uuid)
        error = error_of(api.delete('/clustertemplates/%s' % uuid,
                                    status=400))
        assert 'c1' in error['detail']

    def test_admin_deletes_other_projects_template(self, api, dbapi):
        template = db_utils.create_test_cluster_template(
            dbapi, project_id=PROJECT_B)
        api.delete('/clustertemplates/%s' % template.uuid, as_='admin',
                   status=204)

    def test_ambiguous_name_is_409(self, api):
        _create(api, name='twin')
        _create(api, name='twin')
        assert error_of(api.delete('/clustertemplates/twin',
                                   status=409))['status'] == 409
