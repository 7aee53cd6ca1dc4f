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

"""/v1/clusters (api-ref/source/clusters.inc), with the choices of
doc/source/contributor/compatibility.rst ("Errors", "Templates",
"Clusters")."""

import re
from urllib import parse

from oslo_utils import uuidutils
import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import policy
from magnum.tests import fake_driver
from magnum.tests.unit.api.conftest import PROJECT_A
from magnum.tests.unit.api.conftest import PROJECT_B
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.db import utils as db_utils

# A UUID no row has; fixed so that test ids are the same in every run
# (pytest-xdist workers must collect identical tests).
FIXED_MISSING_UUID = '0f0f0f0f-0000-4000-8000-00000000dead'

LATEST = '1.14'
TEMPLATE_LABELS = {'key1': 'val1', 'key2': 'val2'}

SUMMARY = {'uuid', 'name', 'cluster_template_id', 'keypair',
           'docker_volume_size', 'labels', 'node_count', 'status',
           'master_flavor_id', 'flavor_id', 'create_timeout', 'master_count',
           'health_status', 'links', 'merge_labels'}
FULL = SUMMARY | {'discovery_url', 'fixed_network', 'fixed_subnet',
                  'floating_ip_enabled', 'master_lb_enabled',
                  'status_reason', 'health_status_reason', 'api_address',
                  'coe_version', 'container_version', 'project_id',
                  'user_id', 'node_addresses', 'master_addresses',
                  'labels_overridden', 'labels_added', 'labels_skipped',
                  'created_at', 'updated_at'}


# -- helpers shared with the action and nodegroup tests ---------------------

def make_template(dbapi, **kw):
    """A template the fake driver serves (vm / fedora-coreos / k8s)."""
    values = dict(image_id='fedora-coreos', coe='kubernetes',
                  server_type='vm', cluster_distro='fedora-coreos',
                  project_id=PROJECT_A, user_id='user-a', name='k8s',
                  labels=dict(TEMPLATE_LABELS), master_lb_enabled=True)
    values.update(kw)
    return db_utils.create_test_cluster_template(dbapi, **values)


def make_cluster(dbapi, template, master_count=1, node_count=1, **kw):
    values = dict(cluster_template_id=template.uuid, project_id=PROJECT_A,
                  user_id='user-a', status='CREATE_COMPLETE', name='c1',
                  api_address='https://10.0.0.1:6443', stack_id='stack-1',
                  labels=dict(template.labels))
    values.update(kw)
    return db_utils.create_test_cluster(dbapi, master_count=master_count,
                                        node_count=node_count, **values)


def stored(uuid):
    return objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                       uuid)


def groups_of(uuid):
    return {g.name: g for g in objects.NodeGroup.list(
        magnum_context.get_admin_context(), uuid)}


@pytest.fixture
def policy_file(magnum_config, tmp_path):
    """Operator policy overrides: ``policy_file({rule: check})``."""
    def write(rules):
        path = tmp_path / 'policy.yaml'
        path.write_text(''.join('"%s": "%s"\n' % item
                                for item in rules.items()))
        magnum_config.config(group='oslo_policy', policy_file=str(path))
        policy.reset()
    yield write
    policy.reset()


@pytest.fixture
def template(dbapi):
    return make_template(dbapi)


@pytest.fixture
def cluster(dbapi, template):
    return make_cluster(dbapi, template)


@pytest.fixture
def validated(monkeypatch):
    """What the fake driver's validate_cluster saw; set ``error`` to make
    it refuse."""
    seen = {'calls': [], 'error': None}

    def validate_cluster(self, context, values, template):
        seen['calls'].append((self.name, dict(values), template.uuid))
        if seen['error'] is not None:
            raise seen['error']
    monkeypatch.setattr(fake_driver.FakeDriver, 'validate_cluster',
                        validate_cluster)
    return seen


def _create(api, template, status=202, version=LATEST, as_='member',
            extra=None, **body):
    body.setdefault('cluster_template_id', template.uuid)
    body.update(extra or {})
    return api.post('/clusters', body, as_=as_, version=version,
                    status=status)


# -- create -------------------------------------------------------------------

class TestCreate:

    def test_minimal_create_stores_cluster_and_default_nodegroups(
            self, api, rpc, template, validated):
        response = _create(api, template)
        assert list(response.json) == ['uuid']
        assert 'Location' not in response.headers
        uuid = response.json['uuid']
        cluster = stored(uuid)
        assert cluster.status == 'CREATE_IN_PROGRESS'
        assert cluster.status_reason is None
        assert re.match(r'^[a-z]+-\d+-cluster$', cluster.name)
        assert (cluster.project_id, cluster.user_id) == (PROJECT_A,
                                                         'user-a')
        assert cluster.cluster_template_id == template.uuid
        # Defaults from the template.
        assert cluster.keypair == 'keypair1'
        assert cluster.docker_volume_size == 20
        assert cluster.labels == TEMPLATE_LABELS
        assert (cluster.master_flavor_id, cluster.flavor_id) == (
            'm1.small', 'm1.small')
        assert (cluster.fixed_network, cluster.fixed_subnet) == (
            'private', 'private-subnet')
        assert cluster.floating_ip_enabled is True
        assert cluster.master_lb_enabled is True
        assert cluster.create_timeout == 60
        assert cluster.coe_version is None and cluster.container_version \
            is None
        groups = groups_of(uuid)
        assert set(groups) == {'default-master', 'default-worker'}
        master, worker = groups['default-master'], groups['default-worker']
        assert (master.role, master.node_count) == ('master', 1)
        assert (worker.role, worker.node_count) == ('worker', 1)
        for group in (master, worker):
            assert group.is_default is True
            assert group.status == 'CREATE_IN_PROGRESS'
            assert group.image_id == 'fedora-coreos'
            assert group.docker_volume_size == 20
            assert group.labels == TEMPLATE_LABELS
            assert group.project_id == PROJECT_A
        assert worker.min_node_count == 0
        # Then the cast, with the stored cluster.
        args, kwargs = rpc.last('cluster_create')
        assert kwargs['cluster'].uuid == uuid
        assert kwargs['create_timeout'] == 60
        assert rpc.methods() == ['cluster_create']
        # The 202 names a cluster a GET finds at once.
        assert api.get('/clusters/%s' % uuid, version=LATEST,
                       status=200).json['master_count'] == 1

    def test_given_values_win_over_the_template(self, api, rpc, dbapi,
                                                validated):
        template = make_template(dbapi, master_flavor_id='m.master',
                                 flavor_id='m.node')
        uuid = _create(
            api, template, name='mine', keypair='kp2', node_count=3,
            master_count=3, docker_volume_size=5, master_flavor_id='big',
            flavor_id='small', fixed_network='net', fixed_subnet='sub',
            floating_ip_enabled=False, master_lb_enabled=True,
            create_timeout=0, discovery_url='https://discovery/x',
            labels={'a': 1, 'b': True, 'c': 1.5}).json['uuid']
        cluster = stored(uuid)
        assert (cluster.name, cluster.keypair, cluster.docker_volume_size,
                cluster.master_flavor_id, cluster.flavor_id,
                cluster.fixed_network, cluster.fixed_subnet,
                cluster.floating_ip_enabled, cluster.create_timeout,
                cluster.discovery_url) == (
            'mine', 'kp2', 5, 'big', 'small', 'net', 'sub', False, 0,
            'https://discovery/x')
        assert cluster.labels == {'a': '1', 'b': 'True', 'c': '1.5'}
        assert (cluster.master_count, cluster.node_count) == (3, 3)
        groups = groups_of(uuid)
        assert groups['default-master'].flavor_id == 'big'
        assert groups['default-worker'].flavor_id == 'small'
        assert groups['default-worker'].labels == cluster.labels
        assert rpc.last('cluster_create')[1]['create_timeout'] == 0
        # The driver saw the values after defaults.
        name, values, template_uuid = validated['calls'][-1]
        assert name == 'fake' and template_uuid == template.uuid
        assert values['master_count'] == 3 and values['node_count'] == 3
        assert values['keypair'] == 'kp2'
        assert values['labels'] == cluster.labels

    def test_merge_labels_merges_with_the_template(self, api, template):
        uuid = _create(api, template, labels={'key1': 'mine', 'new': 'x'},
                       merge_labels=True).json['uuid']
        assert stored(uuid).labels == {'key1': 'mine', 'key2': 'val2',
                                       'new': 'x'}

    def test_empty_labels_inherit_the_template(self, api, template):
        uuid = _create(api, template, labels={}).json['uuid']
        assert stored(uuid).labels == TEMPLATE_LABELS

    def test_client_nulls_mean_defaults(self, api, template):
        # What `openstack coe cluster create` sends without options.
        uuid = _create(api, template, name='c', discovery_url=None,
                       keypair=None, master_count=1, node_count=1,
                       create_timeout=60, labels=None, docker_volume_size=None,
                       floating_ip_enabled=None).json['uuid']
        cluster = stored(uuid)
        assert cluster.keypair == 'keypair1'
        assert cluster.discovery_url is None
        assert cluster.labels == TEMPLATE_LABELS
        assert cluster.floating_ip_enabled is True

    def test_uuid_in_the_body_is_ignored(self, api, template):
        mine = uuidutils.generate_uuid()
        assert _create(api, template, uuid=mine).json['uuid'] != mine

    def test_template_by_name(self, api, template):
        uuid = _create(api, template, cluster_template_id='k8s').json['uuid']
        assert stored(uuid).cluster_template_id == template.uuid

    def test_public_template_of_another_project(self, api, dbapi):
        public = make_template(dbapi, project_id=PROJECT_B, public=True)
        _create(api, public)

    @pytest.mark.parametrize('version,status', [('1.1', 400), ('1.9', 400),
                                                ('1.10', 404),
                                                (LATEST, 404)])
    def test_unknown_template_is_400_before_1_10(self, api, rpc, version,
                                                 status):
        response = api.post('/clusters', {'cluster_template_id': 'nope'},
                            version=version, status=status)
        assert 'nope' in error_of(response)['detail']
        assert rpc.requests == []

    def test_private_template_of_another_project_is_not_found(
            self, api, dbapi):
        other = make_template(dbapi, project_id=PROJECT_B)
        _create(api, other, status=404)
        _create(api, other, status=400, version='1.9')

    @pytest.mark.parametrize('version,status', [('1.9', 400), ('1.10', 202)])
    def test_zero_nodes_needs_1_10(self, api, template, version, status):
        response = _create(api, template, node_count=0, version=version,
                           status=status)
        if status == 202:
            assert stored(response.json['uuid']).node_count == 0

    def test_zero_nodes_below_1_10_is_checked_before_the_template(
            self, api):
        response = api.post('/clusters', {'cluster_template_id': 'nope',
                                          'node_count': 0},
                            version='1.9', status=400)
        assert 'zero' in error_of(response)['detail']

    @pytest.mark.parametrize('count', [2, 4])
    def test_even_master_count_is_refused_by_the_driver(self, api, rpc,
                                                        template, count):
        response = _create(api, template, master_count=count, status=400)
        assert 'odd' in error_of(response)['detail']
        assert rpc.requests == []

    def test_several_masters_need_a_load_balancer(self, api, dbapi):
        without_lb = make_template(dbapi, name='nolb',
                                   master_lb_enabled=False)
        _create(api, without_lb, master_count=3, status=400)
        _create(api, without_lb, master_count=3, master_lb_enabled=True)
        _create(api, without_lb, master_count=1)

    def test_devicemapper_needs_3_gb(self, api, dbapi):
        template = make_template(dbapi, docker_storage_driver='devicemapper',
                                 docker_volume_size=None)
        _create(api, template, status=400)
        _create(api, template, docker_volume_size=2, status=400)
        _create(api, template, docker_volume_size=3)

    def test_type_without_driver_is_400(self, api, dbapi):
        template = make_template(dbapi, cluster_distro='ubuntu',
                                 server_type='bm')
        response = _create(api, template, status=400)
        assert 'not supported' in error_of(response)['detail']

    def test_template_driver_wins_over_its_type(self, api, dbapi,
                                                monkeypatch):
        # The template's driver wins (compatibility.rst, "Templates"):
        # other_fake provides vm/ubuntu only, yet serves this
        # fedora-coreos template because the template names it.
        seen = []
        monkeypatch.setattr(
            fake_driver.OtherFakeDriver, 'validate_cluster',
            lambda self, ctx, values, template: seen.append(self.name))
        template = make_template(dbapi, driver='other_fake')
        _create(api, template)
        assert seen == ['other_fake']

    def test_template_naming_a_missing_driver_is_400(self, api, dbapi):
        template = make_template(dbapi, driver='gone')
        response = _create(api, template, status=400)
        assert 'gone' in error_of(response)['detail']

    @pytest.mark.parametrize('error,status', [
        (exception.KeyPairNotFound(keypair='kp'), 404),
        (exception.FlavorNotFound(flavor='f'), 400),
        (exception.FlavorZeroRootVolumeNotSupported(flavor='f'), 400),
        (exception.Conflict('two networks named net'), 409)])
    def test_driver_validation_errors_pass_through(self, api, rpc, template,
                                                   validated, error,
                                                   status):
        validated['error'] = error
        response = _create(api, template, name='bad', status=status)
        assert error_of(response)['detail'] == str(error)
        assert rpc.requests == []
        assert objects.Cluster.list(
            magnum_context.get_admin_context()) == []

    @pytest.mark.parametrize('who,status', [('member', 202),
                                            ('member2', 202),
                                            ('admin', 202), ('other', 202),
                                            ('reader', 403),
                                            ('noroles', 403)])
    def test_policy(self, api, dbapi, who, status):
        public = make_template(dbapi, public=True)
        response = _create(api, public, as_=who, status=status)
        if status == 202:
            cluster = stored(response.json['uuid'])
            identity = {'member': PROJECT_A, 'member2': PROJECT_A,
                        'admin': 'admin-project', 'other': PROJECT_B}
            assert cluster.project_id == identity[who]
        else:
            assert 'cluster:create' in error_of(response)['detail']

    def test_operator_may_deny_create(self, api, template, policy_file):
        policy_file({'cluster:create': '!'})
        _create(api, template, status=403)

    def test_hidden_template_is_for_admins(self, api, dbapi):
        hidden = make_template(dbapi, public=True, hidden=True)
        response = _create(api, hidden, status=403)
        assert 'hidden' in error_of(response)['detail']
        _create(api, hidden, as_='admin')

    def test_min_node_count_label_sets_the_worker_minimum(self, api,
                                                          template):
        uuid = _create(api, template, node_count=3,
                       labels={'min_node_count': '2'}).json['uuid']
        assert groups_of(uuid)['default-worker'].min_node_count == 2
        assert groups_of(uuid)['default-master'].min_node_count == 0

    @pytest.mark.parametrize('value', ['x', '-1', '4'])
    def test_bad_min_node_count_label_is_400(self, api, rpc, template,
                                             value):
        _create(api, template, node_count=3,
                labels={'min_node_count': value}, status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('body', [
        {'nonsense': 1},
        {'status': 'CREATE_COMPLETE'},
        {'api_address': 'x'},
        {'project_id': 'p'},
        {'stack_id': 's'},
        {'links': []},
        {'name': '1starts-with-a-digit'},
        {'name': 'has space'},
        {'name': ''},
        {'name': 'a' * 243},
        {'node_count': -1},
        {'node_count': 'abc'},
        {'node_count': 2 ** 31},
        {'master_count': 0},
        {'create_timeout': -1},
        {'docker_volume_size': 0},
        {'labels': ['a']},
        {'labels': {'a': {'nested': 1}}},
        {'keypair': 'k' * 256},
        {'flavor_id': ''},
        {'discovery_url': 'u' * 256},
        {'floating_ip_enabled': 'maybe'},
        {'merge_labels': 'maybe'},
        {'uuid': 'not-a-uuid'},
    ])
    def test_malformed_input_is_400(self, api, rpc, template, body):
        _create(api, template, status=400, extra=body)
        assert rpc.requests == []

    def test_longest_name_is_accepted(self, api, template):
        _create(api, template, name='a' * 242)

    def test_boolean_strings_are_accepted(self, api, template):
        uuid = _create(api, template, floating_ip_enabled='no',
                       master_lb_enabled='yes').json['uuid']
        assert stored(uuid).floating_ip_enabled is False

    def test_missing_template_field_is_400(self, api, rpc):
        response = api.post('/clusters', {'name': 'x'}, version=LATEST,
                            status=400)
        assert 'cluster_template_id' in error_of(response)['detail']

    @pytest.mark.parametrize('raw', ['{bad json', '[1, 2]', '"text"', '5'])
    def test_body_that_is_not_an_object_is_400(self, api, raw):
        api.request('post', '/clusters', params=raw, version=LATEST,
                    headers={'Content-Type': 'application/json'},
                    status=400)

    def test_wrong_content_type_is_415(self, api):
        api.request('post', '/clusters', params='{}', version=LATEST,
                    headers={'Content-Type': 'text/plain'}, status=415)

    def test_works_without_a_version_header(self, api, template):
        _create(api, template, version=None)

    def test_trailing_slash(self, api, template):
        api.post('/clusters/', {'cluster_template_id': template.uuid},
                 version=LATEST, status=202)


class TestRouting:

    def test_trailing_slashes(self, api, rpc, cluster):
        api.get('/clusters/', version=LATEST, status=200)
        api.get('/clusters/detail/', version=LATEST, status=200)
        api.get('/clusters/c1/', version=LATEST, status=200)
        api.delete('/clusters/c1/', version=LATEST, status=204)
        assert rpc.methods() == ['cluster_delete']

    @pytest.mark.parametrize('method,path', [
        ('put', '/clusters/c1'), ('post', '/clusters/c1'),
        ('delete', '/clusters'), ('patch', '/clusters'),
        ('get', '/clusters/c1/actions/resize')])
    def test_wrong_method_is_405(self, api, cluster, method, path):
        response = api.request(method, path, {}, version=LATEST,
                               status=405, validate=False)
        assert error_of(response)['status'] == 405


class TestCreateFailure:

    def test_unreachable_conductor_marks_the_cluster_failed(self, api, rpc,
                                                            template):
        rpc.results['cluster_create'] = exception.ServiceUnavailable(
            service='message broker', reason='no route')
        response = _create(api, template, name='doomed', status=503)
        assert 'no route' in error_of(response)['detail']
        cluster, = objects.Cluster.list(magnum_context.get_admin_context())
        assert cluster.name == 'doomed'
        assert cluster.status == 'CREATE_FAILED'
        assert 'conductor could not be reached' in cluster.status_reason
        for group in groups_of(cluster.uuid).values():
            assert group.status == 'CREATE_FAILED'
            assert 'conductor' in group.status_reason
        # The failure shows as faults.
        body = api.get('/clusters/doomed', version=LATEST, status=200).json
        assert set(body['faults']) == {'default-master', 'default-worker'}


class TestQuota:

    def test_default_limit(self, api, rpc, dbapi, template, magnum_config):
        magnum_config.config(group='quotas', max_clusters_per_project=2)
        _create(api, template)
        _create(api, template, as_='member2')
        response = _create(api, template, status=403)
        assert 'at most 2' in error_of(response)['detail']
        assert len(rpc.methods()) == 2
        assert len(objects.Cluster.list(
            magnum_context.get_admin_context())) == 2
        # Another project has its own quota.
        public = make_template(dbapi, public=True, name='pub')
        _create(api, public, as_='other')

    def test_quota_row_wins(self, api, dbapi, template, magnum_config):
        magnum_config.config(group='quotas', max_clusters_per_project=1)
        db_utils.create_test_quota(dbapi, project_id=PROJECT_A,
                                   hard_limit=3)
        for _ in range(3):
            _create(api, template)
        _create(api, template, status=403)

    def test_zero_quota_refuses_everything(self, api, dbapi, template):
        db_utils.create_test_quota(dbapi, project_id=PROJECT_A,
                                   hard_limit=0)
        _create(api, template, status=403)

    def test_being_over_quota_wins_over_the_later_checks(
            self, api, rpc, dbapi, magnum_config):
        # The quota is checked before the hidden
        # template and the load balancer, although a create that passes
        # every check is only counted by the insert.
        magnum_config.config(group='quotas', max_clusters_per_project=1)
        without_lb = make_template(dbapi, name='nolb', public=True,
                                   master_lb_enabled=False)
        hidden = make_template(dbapi, name='hidden', public=True,
                               hidden=True)
        _create(api, without_lb)
        for template, extra in ((without_lb, {'master_count': 3}),
                                (hidden, {})):
            response = _create(api, template, status=403, **extra)
            assert 'at most 1' in error_of(response)['detail']
        assert rpc.methods() == ['cluster_create']

    def test_the_insert_enforces_the_quota_atomically(
            self, api, rpc, template, magnum_config, monkeypatch):
        # A create that passed the early check while another create took
        # the last slot: the transaction itself refuses it.
        from magnum.api.controllers.v1 import cluster as cluster_api
        monkeypatch.setattr(cluster_api, '_check_quota',
                            lambda context, project_id: None)
        magnum_config.config(group='quotas', max_clusters_per_project=1)
        _create(api, template)
        response = _create(api, template, status=403)
        assert 'Resource limit exceeded' in error_of(response)['detail']
        assert rpc.methods() == ['cluster_create']
        assert len(objects.Cluster.list(
            magnum_context.get_admin_context())) == 1


# -- read -----------------------------------------------------------------

class TestGet:

    @pytest.mark.parametrize('version,id_field', [('1.1', 'stack_id'),
                                                  ('1.12', 'stack_id'),
                                                  ('1.13', 'cluster_id'),
                                                  (LATEST, 'cluster_id')])
    def test_views_and_the_stack_id_switch(self, api, cluster, version,
                                           id_field):
        summary = api.get('/clusters', version=version,
                          status=200).json['clusters'][0]
        assert set(summary) == SUMMARY | {id_field}
        assert summary[id_field] == 'stack-1'
        assert summary['merge_labels'] is False
        detail = api.get('/clusters/detail', version=version,
                         status=200).json['clusters'][0]
        assert set(detail) == FULL | {id_field}
        one = api.get('/clusters/%s' % cluster.uuid, version=version,
                      status=200).json
        assert set(one) == FULL | {id_field}
        assert one == detail

    def test_full_view_values(self, api, dbapi, template):
        cluster = make_cluster(dbapi, template, master_count=3, node_count=2,
                               labels={'key1': 'changed', 'key3': 'x'},
                               health_status='HEALTHY',
                               health_status_reason={'api': 'ok'})
        body = api.get('/clusters/c1', version=LATEST, status=200).json
        assert body['uuid'] == cluster.uuid
        assert (body['master_count'], body['node_count']) == (3, 2)
        assert body['labels_overridden'] == {'key1': 'val1'}
        assert body['labels_added'] == {'key3': 'x'}
        assert body['labels_skipped'] == {'key2': 'val2'}
        assert body['health_status'] == 'HEALTHY'
        assert body['health_status_reason'] == {'api': 'ok'}
        assert body['api_address'] == 'https://10.0.0.1:6443'
        assert body['project_id'] == PROJECT_A
        assert body['created_at'].endswith('+00:00')
        assert body['updated_at'] is None
        assert body['links'] == [
            {'href': 'http://localhost/v1/clusters/%s' % cluster.uuid,
             'rel': 'self'},
            {'href': 'http://localhost/clusters/%s' % cluster.uuid,
             'rel': 'bookmark'}]
        assert 'faults' not in body

    def test_counts_and_addresses_come_from_the_nodegroups(self, api, dbapi,
                                                           cluster):
        for group in groups_of(cluster.uuid).values():
            dbapi.update_nodegroup(cluster.uuid, group.uuid, {
                'node_addresses': ['10.0.0.%d' % group.id]})
        db_utils.create_test_nodegroup(
            dbapi, cluster_id=cluster.uuid, project_id=PROJECT_A,
            name='extra', node_count=4, node_addresses=['10.1.0.1',
                                                        '10.1.0.2'])
        body = api.get('/clusters/c1', version=LATEST, status=200).json
        groups = groups_of(cluster.uuid)
        assert body['master_count'] == 1
        assert body['node_count'] == 5
        assert body['master_addresses'] == [
            '10.0.0.%d' % groups['default-master'].id]
        assert sorted(body['node_addresses']) == sorted(
            ['10.0.0.%d' % groups['default-worker'].id, '10.1.0.1',
             '10.1.0.2'])

    def test_a_cluster_without_nodegroups_still_reads(self, api, dbapi,
                                                      template):
        # Never a 400 on GET (compatibility.rst, "Clusters").
        row = dbapi.create_cluster(db_utils.get_test_cluster(
            cluster_template_id=template.uuid, project_id=PROJECT_A,
            name='bare'))
        body = api.get('/clusters/bare', version=LATEST, status=200).json
        assert (body['master_count'], body['node_count']) == (0, 0)
        assert api.get('/clusters', version=LATEST,
                       status=200).json['clusters'][0]['uuid'] == row.uuid

    def test_faults_only_on_get_one_of_a_failed_cluster(self, api, dbapi,
                                                        cluster):
        worker = groups_of(cluster.uuid)['default-worker']
        dbapi.update_nodegroup(cluster.uuid, worker.uuid, {
            'status': 'UPDATE_FAILED', 'status_reason': 'no capacity'})
        body = api.get('/clusters/c1', version=LATEST, status=200).json
        assert 'faults' not in body
        dbapi.update_cluster(cluster.uuid, {'status': 'UPDATE_FAILED'})
        body = api.get('/clusters/c1', version=LATEST, status=200).json
        assert body['faults'] == {'default-worker': 'no capacity'}
        detail = api.get('/clusters/detail', version=LATEST,
                         status=200).json['clusters'][0]
        assert 'faults' not in detail

    def test_by_name_and_duplicate_names(self, api, dbapi, template,
                                         cluster):
        assert api.get('/clusters/c1', version=LATEST,
                       status=200).json['uuid'] == cluster.uuid
        make_cluster(dbapi, template)
        response = api.get('/clusters/c1', version=LATEST, status=409)
        assert 'uuid' in error_of(response)['detail']
        api.get('/clusters/%s' % cluster.uuid, version=LATEST, status=200)

    def test_unknown_is_404(self, api):
        api.get('/clusters/%s' % uuidutils.generate_uuid(), version=LATEST,
                status=404)
        api.get('/clusters/nope', version=LATEST, status=404)

    def test_detail_must_be_under_the_collection(self, api, cluster):
        api.get('/clusters/%s/detail' % cluster.uuid, version=LATEST,
                status=404)

    @pytest.mark.parametrize('who,sees', [
        ('member', True), ('member2', True), ('reader', True),
        ('other', False)])
    def test_visibility(self, api, cluster, who, sees):
        listed = api.get('/clusters', as_=who, version=LATEST,
                         status=200).json['clusters']
        assert [c['uuid'] for c in listed] == ([cluster.uuid] if sees
                                               else [])
        api.get('/clusters/%s' % cluster.uuid, as_=who, version=LATEST,
                status=200 if sees else 404)

    def test_admin_sees_every_project(self, api, dbapi, template, cluster):
        other = make_cluster(dbapi, template, project_id=PROJECT_B,
                             name='theirs')
        for path in ('/clusters', '/clusters/detail'):
            listed = api.get(path, as_='admin', version=LATEST,
                             status=200).json['clusters']
            assert {c['uuid'] for c in listed} == {cluster.uuid, other.uuid}
        api.get('/clusters/%s' % other.uuid, as_='admin', version=LATEST,
                status=200)

    @pytest.mark.parametrize('rule,path', [
        ('cluster:get_all_all_projects', '/clusters'),
        ('cluster:detail_all_projects', '/clusters/detail'),
        ('cluster:get_one_all_projects', '/clusters/c1')])
    def test_admin_all_projects_rules(self, api, cluster, policy_file, rule,
                                      path):
        policy_file({rule: '!'})
        response = api.get(path, as_='admin', version=LATEST, status=403)
        assert rule in error_of(response)['detail']
        api.get(path, as_='member', version=LATEST, status=200)

    @pytest.mark.parametrize('path,rule', [
        ('/clusters', 'cluster:get_all'),
        ('/clusters/detail', 'cluster:detail'),
        ('/clusters/c1', 'cluster:get')])
    def test_roles_are_needed(self, api, cluster, path, rule, policy_file):
        response = api.get(path, as_='noroles', version=LATEST, status=403)
        assert rule in error_of(response)['detail']
        policy_file({rule: '!'})
        api.get(path, as_='member', version=LATEST, status=403)

    def test_paging(self, api, dbapi, template):
        made = [make_cluster(dbapi, template, name='c%d' % n).uuid
                for n in range(5)]
        page = api.get('/clusters?limit=2', version=LATEST, status=200).json
        assert [c['uuid'] for c in page['clusters']] == made[:2]
        url = parse.urlsplit(page['next'])
        assert url.path == '/v1/clusters'
        assert parse.parse_qsl(url.query) == [
            ('sort_key', 'id'), ('sort_dir', 'asc'), ('limit', '2'),
            ('marker', made[1])]
        seen = [c['uuid'] for c in page['clusters']]
        while 'next' in page:
            url = parse.urlsplit(page['next'])
            page = api.get('%s?%s' % (url.path, url.query), version=LATEST,
                           status=200).json
            seen += [c['uuid'] for c in page['clusters']]
        assert seen == made
        assert 'next' not in api.get('/clusters?limit=10', version=LATEST,
                                     status=200).json

    def test_detail_paging_and_sorting(self, api, dbapi, template):
        made = [make_cluster(dbapi, template, name='c%d' % n).uuid
                for n in range(3)]
        page = api.get('/clusters/detail?limit=2&sort_key=name'
                       '&sort_dir=desc', version=LATEST, status=200).json
        assert [c['uuid'] for c in page['clusters']] == [made[2], made[1]]
        url = parse.urlsplit(page['next'])
        assert url.path == '/v1/clusters/detail'
        assert dict(parse.parse_qsl(url.query)) == {
            'sort_key': 'name', 'sort_dir': 'desc', 'limit': '2',
            'marker': made[1]}

    @pytest.mark.parametrize('query,status', [
        ('limit=0', 400), ('limit=-1', 400), ('limit=abc', 400),
        ('marker=not-a-uuid', 400), ('sort_key=nonsense', 400),
        ('sort_dir=up', 400), ('unknown=1', 400),
        ('marker=%s' % FIXED_MISSING_UUID, 404)])
    def test_bad_paging_arguments(self, api, cluster, query, status):
        api.get('/clusters?%s' % query, version=LATEST, status=status)
        api.get('/clusters/detail?%s' % query, version=LATEST,
                status=status)

    def test_limit_is_capped_by_max_limit(self, api, dbapi, template,
                                          magnum_config):
        magnum_config.config(group='api', max_limit=2)
        for n in range(3):
            make_cluster(dbapi, template, name='c%d' % n)
        page = api.get('/clusters?limit=50', version=LATEST,
                       status=200).json
        assert len(page['clusters']) == 2 and 'limit=2' in page['next']


# -- update -------------------------------------------------------------------

def _patch(api, ident, ops, status=202, version=LATEST, as_='member',
           query=''):
    return api.patch('/clusters/%s%s' % (ident, query), ops, as_=as_,
                     version=version, status=status)


def _replace(path, value):
    return [{'op': 'replace', 'path': path, 'value': value}]


class TestUpdate:

    def test_node_count_goes_to_the_conductor(self, api, rpc, cluster,
                                              validated):
        response = _patch(api, 'c1', _replace('/node_count', 3))
        assert response.json == {'uuid': cluster.uuid}
        assert stored(cluster.uuid).status == 'UPDATE_IN_PROGRESS'
        args, kwargs = rpc.last('cluster_update')
        assert kwargs['cluster'].uuid == cluster.uuid
        assert kwargs['node_count'] == 3
        assert kwargs['rollback'] is False
        assert kwargs['health_status'] is None
        # The conductor resizes the default worker: not the API.
        assert groups_of(cluster.uuid)['default-worker'].node_count == 1
        assert validated['calls'][-1][1]['node_count'] == 3

    def test_the_request_is_recorded_before_the_cast(self, api, rpc, dbapi,
                                                     cluster):
        _patch(api, 'c1', _replace('/node_count', 3), query='?rollback=True',
               version=LATEST)
        request = dbapi.get_cluster_request(
            rpc.last('cluster_update')[1]['request'])
        assert (request.cluster_uuid, request.operation,
                request.arguments) == (cluster.uuid, 'update',
                                       {'node_count': 3, 'rollback': True})

    def test_node_count_as_a_string(self, api, rpc, cluster):
        _patch(api, 'c1', _replace('/node_count', '4'))
        assert rpc.last('cluster_update')[1]['node_count'] == 4

    @pytest.mark.parametrize('query,version,expected', [
        ('?rollback=True', '1.3', True), ('/?rollback=True', LATEST, True),
        ('?rollback=false', LATEST, False), ('/', LATEST, False)])
    def test_rollback(self, api, rpc, cluster, query, version, expected):
        _patch(api, cluster.uuid, _replace('/node_count', 2), query=query,
               version=version)
        assert rpc.last('cluster_update')[1]['rollback'] is expected

    def test_rollback_needs_1_3_and_a_boolean(self, api, rpc, cluster):
        _patch(api, 'c1', _replace('/node_count', 2), query='?rollback=1',
               version='1.2', status=400)
        _patch(api, 'c1', _replace('/node_count', 2),
               query='?rollback=maybe', status=400)
        assert rpc.requests == []

    @pytest.mark.parametrize('version,status', [('1.9', 400), ('1.10', 202)])
    def test_zero_nodes_needs_1_10(self, api, cluster, version, status):
        _patch(api, 'c1', _replace('/node_count', 0), version=version,
               status=status)

    def test_rename_and_labels_are_saved_without_the_conductor(
            self, api, rpc, cluster, validated):
        # compatibility.rst, "Cluster updates".
        _patch(api, 'c1', _replace('/name', 'renamed') +
               [{'op': 'add', 'path': '/labels/new', 'value': 'x'},
                {'op': 'remove', 'path': '/labels/key1'}])
        after = stored(cluster.uuid)
        assert after.name == 'renamed'
        assert after.labels == {'key2': 'val2', 'new': 'x'}
        assert after.status == 'CREATE_COMPLETE'
        assert rpc.requests == [] and validated['calls'] == []

    def test_labels_as_a_python_literal(self, api, cluster):
        _patch(api, 'c1', _replace('/labels', "{'a': 'b', 'n': 1}"))
        assert stored(cluster.uuid).labels == {'a': 'b', 'n': '1'}

    def test_health_is_saved_in_any_status(self, api, rpc, dbapi, cluster):
        dbapi.update_cluster(cluster.uuid, {'status': 'CREATE_IN_PROGRESS'})
        _patch(api, 'c1', _replace('/health_status', 'UNHEALTHY') +
               _replace('/health_status_reason', "{'api': 'down'}"))
        after = stored(cluster.uuid)
        assert (after.health_status, after.health_status_reason) == (
            'UNHEALTHY', {'api': 'down'})
        assert after.status == 'CREATE_IN_PROGRESS'
        assert rpc.requests == []

    def test_health_with_node_count_travels_with_the_cast(self, api, rpc,
                                                          cluster):
        _patch(api, 'c1', _replace('/node_count', 2) +
               _replace('/health_status', 'HEALTHY'))
        kwargs = rpc.last('cluster_update')[1]
        assert kwargs['health_status'] == 'HEALTHY'
        assert stored(cluster.uuid).health_status == 'HEALTHY'

    def test_nothing_changed_does_nothing(self, api, rpc, cluster):
        _patch(api, 'c1', _replace('/node_count', 1) +
               _replace('/name', 'c1'))
        _patch(api, 'c1', [])
        assert rpc.requests == []
        assert stored(cluster.uuid).status == 'CREATE_COMPLETE'

    @pytest.mark.parametrize('ops', [
        _replace('/master_count', 3),
        _replace('/keypair', 'other'),
        _replace('/flavor_id', 'big'),
        _replace('/docker_volume_size', 50),
        _replace('/status', 'CREATE_FAILED'),
        _replace('/create_timeout', 5),
        _replace('/cluster_template_id', uuidutils.generate_uuid()),
        [{'op': 'remove', 'path': '/keypair'}],
    ])
    def test_other_fields_cannot_change(self, api, rpc, cluster, ops):
        response = _patch(api, 'c1', ops, status=400)
        assert 'cannot change' in error_of(response)['detail']
        assert rpc.requests == []

    @pytest.mark.parametrize('ops', [
        _replace('/uuid', uuidutils.generate_uuid()),
        _replace('/api_address', 'x'),
        _replace('/stack_id', 'x'),
        _replace('/cluster_id', 'x'),
        _replace('/project_id', 'x'),
        _replace('/ca_cert_ref', 'x'),
        [{'op': 'remove', 'path': '/cluster_template_id'}],
        [{'op': 'add', 'path': '/nonexistent', 'value': 'x'}],
        _replace('/nonexistent', 'x'),
        [{'op': 'add', 'path': '/name', 'value': 'x'}],
        [{'op': 'move', 'path': '/name', 'from': '/keypair'}],
        [{'op': 'replace', 'path': '/name'}],
        _replace('/name', None),
        _replace('/name', {'a': 1}),
        _replace('/name', '1bad'),
        [{'op': 'remove', 'path': '/name'}],
        _replace('/node_count', -1),
        _replace('/node_count', 'abc'),
        _replace('/node_count', 2 ** 31),
        _replace('/health_status', 'GREAT'),
        _replace('/labels', 'not a dict'),
        _replace('/labels', "{'a': {'nested': 1}}"),
        [{'op': 'replace', 'path': 'no-slash', 'value': 1}],
        [{'path': '/name', 'value': 'x'}],
        {'op': 'replace', 'path': '/name', 'value': 'x'},
        ['not an object'],
    ])
    def test_malformed_patches_are_400(self, api, rpc, cluster, ops):
        _patch(api, 'c1', ops, status=400)
        assert rpc.requests == []
        assert stored(cluster.uuid).name == 'c1'

    def test_malformed_patch_is_400_even_for_a_missing_cluster(self, api):
        _patch(api, uuidutils.generate_uuid(), {'op': 'replace'},
               status=400)
        _patch(api, uuidutils.generate_uuid(), _replace('/node_count', 2),
               status=404)

    def test_missing_body_is_400(self, api, cluster):
        api.request('patch', '/clusters/c1', version=LATEST, status=400)

    @pytest.mark.parametrize('status', ['CREATE_IN_PROGRESS',
                                        'UPDATE_IN_PROGRESS',
                                        'DELETE_IN_PROGRESS',
                                        'ROLLBACK_IN_PROGRESS'])
    def test_busy_cluster_is_409(self, api, rpc, dbapi, cluster, status):
        dbapi.update_cluster(cluster.uuid, {'status': status})
        for ops in (_replace('/node_count', 2), _replace('/name', 'x'),
                    _replace('/labels', {'a': 'b'})):
            response = _patch(api, 'c1', ops, status=409)
            assert status in error_of(response)['detail']
        assert rpc.requests == []
        assert stored(cluster.uuid).status == status

    @pytest.mark.parametrize('status', ['UPDATE_COMPLETE', 'UPDATE_FAILED',
                                        'CREATE_FAILED', 'ROLLBACK_FAILED',
                                        'RESUME_COMPLETE', 'CHECK_COMPLETE'])
    def test_stable_and_failed_clusters_may_be_updated(self, api, dbapi,
                                                       cluster, status):
        dbapi.update_cluster(cluster.uuid, {'status': status,
                                            'status_reason': 'old'})
        _patch(api, 'c1', _replace('/node_count', 2))
        after = stored(cluster.uuid)
        assert after.status == 'UPDATE_IN_PROGRESS'
        assert after.status_reason is None

    def test_second_update_is_refused_while_the_first_runs(self, api, rpc,
                                                           cluster):
        _patch(api, 'c1', _replace('/node_count', 2))
        _patch(api, 'c1', _replace('/node_count', 3), status=409)
        assert rpc.methods() == ['cluster_update']

    def test_racing_update_loses_the_compare_and_set(self, api, rpc, dbapi,
                                                     cluster, monkeypatch):
        # Another request starts an operation between our read and our
        # write: the compare-and-set on the status refuses ours.
        real_get = objects.Cluster.get

        def get_then_race(context, ident):
            found = real_get(context, ident)
            dbapi.update_cluster(found.uuid, {'status': 'UPDATE_IN_PROGRESS'})
            return found
        monkeypatch.setattr(objects.Cluster, 'get', get_then_race)
        response = _patch(api, 'c1', _replace('/node_count', 2), status=409)
        assert 'same time' in error_of(response)['detail']
        assert rpc.requests == []

    def test_unreachable_conductor_undoes_the_update(self, api, rpc, dbapi,
                                                     cluster):
        rpc.results['cluster_update'] = exception.ServiceUnavailable(
            service='message broker', reason='down')
        _patch(api, 'c1', _replace('/node_count', 2) +
               _replace('/name', 'renamed'), status=503)
        after = stored(cluster.uuid)
        assert (after.status, after.name) == ('CREATE_COMPLETE', 'c1')
        assert dbapi.list_cluster_requests(cluster.uuid) == []

    def test_driver_validation_refuses_before_anything_changes(
            self, api, rpc, cluster, validated):
        validated['error'] = exception.FlavorZeroRootVolumeNotSupported(
            flavor='m1.small')
        _patch(api, 'c1', _replace('/node_count', 2), status=400)
        assert stored(cluster.uuid).status == 'CREATE_COMPLETE'
        assert rpc.requests == []

    def test_missing_driver_only_matters_for_node_count(self, api, dbapi,
                                                        template, cluster):
        dbapi.update_cluster_template(template.uuid, {'driver': 'gone'})
        _patch(api, 'c1', _replace('/node_count', 2), status=400)
        _patch(api, 'c1', _replace('/name', 'renamed'))

    @pytest.mark.parametrize('who,status', [
        ('member', 202), ('member2', 202), ('admin', 202),
        ('reader', 403), ('noroles', 403), ('other', 404)])
    def test_policy(self, api, cluster, who, status):
        _patch(api, cluster.uuid, _replace('/node_count', 2), as_=who,
               status=status)

    def test_health_status_rule_applies_to_every_patch(self, api, cluster,
                                                       policy_file):
        policy_file({'cluster:update_health_status': '!'})
        response = _patch(api, 'c1', _replace('/name', 'x'), status=403)
        assert 'cluster:update_health_status' in error_of(response)[
            'detail']

    def test_admin_needs_update_all_projects(self, api, dbapi, template,
                                             policy_file):
        theirs = make_cluster(dbapi, template, project_id=PROJECT_B)
        _patch(api, theirs.uuid, _replace('/name', 'x'), as_='admin')
        policy_file({'cluster:update_all_projects': '!'})
        _patch(api, theirs.uuid, _replace('/name', 'y'), as_='admin',
               status=403)


# -- delete -----------------------------------------------------------------

class TestDelete:

    @pytest.mark.parametrize('status', ['CREATE_COMPLETE',
                                        'CREATE_IN_PROGRESS',
                                        'CREATE_FAILED', 'UPDATE_IN_PROGRESS',
                                        'DELETE_IN_PROGRESS',
                                        'DELETE_FAILED'])
    def test_delete_is_always_accepted(self, api, rpc, dbapi, cluster,
                                       status):
        dbapi.update_cluster(cluster.uuid, {'status': status,
                                            'status_reason': 'old'})
        response = api.delete('/clusters/c1', version=LATEST, status=204)
        assert response.body == b''
        after = stored(cluster.uuid)
        assert (after.status, after.status_reason) == ('DELETE_IN_PROGRESS',
                                                       None)
        assert rpc.last('cluster_delete')[1] == {'uuid': cluster.uuid}

    def test_unreachable_conductor_marks_delete_failed(self, api, rpc,
                                                       cluster):
        rpc.results['cluster_delete'] = exception.ServiceUnavailable(
            service='message broker', reason='down')
        api.delete('/clusters/c1', version=LATEST, status=503)
        after = stored(cluster.uuid)
        assert after.status == 'DELETE_FAILED'
        assert 'conductor could not be reached' in after.status_reason

    def test_unknown_is_404(self, api, rpc):
        api.delete('/clusters/nope', version=LATEST, status=404)
        api.delete('/clusters/%s' % uuidutils.generate_uuid(),
                   version=LATEST, status=404)
        assert rpc.requests == []

    @pytest.mark.parametrize('who,status', [
        ('member', 204), ('member2', 204), ('admin', 204),
        ('reader', 403), ('noroles', 403), ('other', 404)])
    def test_policy(self, api, rpc, cluster, who, status):
        api.delete('/clusters/%s' % cluster.uuid, as_=who, version=LATEST,
                   status=status)
        assert bool(rpc.requests) is (status == 204)

    def test_admin_needs_delete_all_projects(self, api, cluster,
                                             policy_file):
        policy_file({'cluster:delete_all_projects': '!'})
        api.delete('/clusters/%s' % cluster.uuid, as_='admin',
                   version=LATEST, status=403)
        policy_file({'cluster:delete': '!'})
        api.delete('/clusters/%s' % cluster.uuid, as_='member',
                   version=LATEST, status=403)


class TestConditions:
    """Conditions appear from microversion 1.15, in full views only."""

    CONDITION = {'type': 'NodesReady', 'status': 'False',
                 'reason': 'NodeNotReady', 'message': 'node-1 is down',
                 'last_transition_time': '2026-11-21T12:00:00+00:00'}

    @pytest.fixture
    def with_conditions(self, cluster):
        stored_cluster = stored(cluster.uuid)
        stored_cluster.conditions = [self.CONDITION]
        stored_cluster.save()
        for group in stored_cluster.nodegroups:
            group.conditions = [dict(self.CONDITION, message=group.name)]
            group.save()
        return stored_cluster

    def test_shown_from_1_15(self, api, with_conditions):
        uuid = with_conditions.uuid
        body = api.get('/clusters/%s' % uuid, version='1.15',
                       status=200).json
        assert body['conditions'] == [self.CONDITION]
        detail = api.get('/clusters/detail', version='1.15',
                         status=200).json['clusters'][0]
        assert detail['conditions'] == [self.CONDITION]
        group = api.get('/clusters/%s/nodegroups/default-worker' % uuid,
                        version='1.15', status=200).json
        assert group['conditions'][0]['message'] == 'default-worker'

    @pytest.mark.parametrize('version', ['1.1', '1.13', '1.14'])
    def test_old_clients_see_the_1_14_shape(self, api, with_conditions,
                                            version):
        uuid = with_conditions.uuid
        assert 'conditions' not in api.get(
            '/clusters/%s' % uuid, version=version, status=200).json
        if version >= '1.9' and version != '1.1':
            assert 'conditions' not in api.get(
                '/clusters/%s/nodegroups/default-worker' % uuid,
                version=version, status=200).json

    def test_not_in_summaries(self, api, with_conditions):
        item = api.get('/clusters', version='1.15',
                       status=200).json['clusters'][0]
        assert 'conditions' not in item

    def test_conditions_are_read_only(self, api, with_conditions):
        api.patch('/clusters/%s' % with_conditions.uuid, [
            {'op': 'replace', 'path': '/conditions', 'value': '[]'}],
            version='1.15', status=400)
