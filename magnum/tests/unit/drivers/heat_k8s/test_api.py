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

"""The API in-process with the real k8s_vm and k8s_bm drivers installed
(and no other): what magnum-tempest-plugin's API tests send is accepted,
and what the drivers refuse is a 400 naming it.

The cloud look-ups (Glance, Nova, Neutron) are off, as in a cloud without
them: ``[cloud_validation] enabled = false``.
"""

import pytest
import webtest

from magnum.api import app
from magnum.api import hooks
from magnum.drivers.common import driver as driver_base
from magnum.drivers.heat.k8s_bm import driver as bm_driver
from magnum.drivers.heat.k8s_vm import driver as vm_driver
from magnum.tests.unit.api.conftest import APIClient
from magnum.tests.unit.api.conftest import RecordingConductorAPI
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.api.test_cluster import make_cluster
from magnum.tests.unit.api.test_cluster import make_template

LATEST = '1.14'

# The body magnum-tempest-plugin's cluster template tests post (its
# datagen: a Kubernetes template on VMs from the configured image).
TEMPEST_TEMPLATE = {
    'name': 'tempest-k8s-template', 'coe': 'kubernetes',
    'image_id': 'fedora-coreos', 'keypair_id': 'default',
    'external_network_id': 'public', 'dns_nameserver': '8.8.8.8',
    'flavor_id': 'm1.small', 'master_flavor_id': 'm1.small',
    'network_driver': 'flannel', 'docker_volume_size': 3,
    'labels': {}, 'server_type': 'vm', 'tls_disabled': False,
    'public': False, 'registry_enabled': False, 'http_proxy': None,
    'https_proxy': None, 'no_proxy': None, 'fixed_network': None,
    'fixed_subnet': None, 'volume_driver': None,
    'docker_storage_driver': None, 'master_lb_enabled': False,
    'floating_ip_enabled': True,
}


@pytest.fixture
def api(dbapi, magnum_config, monkeypatch):
    magnum_config.config(group='cloud_validation', enabled=False)
    rpc = RecordingConductorAPI()
    monkeypatch.setattr(hooks.RPCHook, 'before', lambda self, state: setattr(
        state.request, 'rpcapi', rpc))
    previous = driver_base.set_registry(driver_base.DriverRegistry({
        'k8s_vm': vm_driver.KubernetesVMDriver,
        'k8s_bm': bm_driver.KubernetesBMDriver}))
    yield APIClient(webtest.TestApp(app.setup_app()))
    driver_base.set_registry(previous)


def test_tempest_kubernetes_template_is_accepted(api):
    body = api.post('/clustertemplates', TEMPEST_TEMPLATE,
                    status=201).json
    assert body['coe'] == 'kubernetes'
    assert body['server_type'] == 'vm'
    assert body['cluster_distro'] == 'fedora-coreos'
    assert body['driver'] == 'k8s_vm'
    shown = api.get('/clustertemplates/%s' % body['uuid'], status=200).json
    assert shown['image_id'] == 'fedora-coreos'


def test_tempest_template_at_the_latest_microversion(api):
    body = dict(TEMPEST_TEMPLATE, name='tempest-latest')
    made = api.post('/clustertemplates', body, version=LATEST,
                    status=201).json
    assert made['driver'] == 'k8s_vm'


def test_bare_metal_and_ubuntu_templates_find_their_driver(api):
    made = api.post('/clustertemplates', dict(
        TEMPEST_TEMPLATE, name='bm', server_type='bm',
        docker_volume_size=None, cluster_distro='ubuntu'), status=201).json
    assert (made['driver'], made['cluster_distro']) == ('k8s_bm', 'ubuntu')


@pytest.mark.parametrize('change, named', [
    ({'labels': {'kube_tag': 'latest'}}, 'kube_tag'),
    ({'labels': {'container_runtime': 'docker'}}, 'container_runtime'),
    ({'labels': {'auto_scaling_enabled': 'true'}}, 'max_node_count'),
    ({'coe': 'swarm-mode'}, 'swarm-mode'),
    ({'tls_disabled': True}, 'tls_disabled'),
    ({'server_type': 'bm'}, 'docker_volume_size'),
    ({'server_type': 'bm', 'docker_volume_size': None,
      'labels': {'etcd_volume_size': '10'}}, 'etcd_volume_size'),
])
def test_what_the_drivers_refuse_is_a_400_naming_it(api, change, named):
    response = api.post('/clustertemplates', dict(TEMPEST_TEMPLATE,
                                                  **change), status=400)
    assert named in error_of(response)['detail']


def test_cluster_with_a_bad_label_is_refused(api, dbapi):
    template = make_template(dbapi, labels={}, master_lb_enabled=False)
    response = api.post('/clusters', {
        'name': 'c1', 'cluster_template_id': template.uuid,
        'labels': {'boot_volume_size': 'big'}, 'master_count': 1,
        'node_count': 1}, version=LATEST, status=400)
    assert 'boot_volume_size' in error_of(response)['detail']


@pytest.mark.parametrize('change, named', [
    ({'node_taints': [{'key': 'bad key', 'value': 'x',
                       'effect': 'NoSchedule'}]}, 'bad key'),
    ({'node_labels': {'tier': 'gold plated'}}, 'gold plated'),
    ({'node_labels': {'-tier': 'gold'}}, '-tier'),
])
def test_nodegroup_labels_and_taints_kubelets_refuse_are_a_400(
        api, dbapi, change, named):
    template = make_template(dbapi, labels={})
    make_cluster(dbapi, template)
    body = {'name': 'ng1', 'node_count': 1}
    body.update(change)
    response = api.post('/clusters/c1/nodegroups', body, version=LATEST,
                        status=400)
    detail = error_of(response)['detail']
    assert named in detail and 'ng1' in detail


def test_good_nodegroup_labels_and_taints_are_accepted(api, dbapi):
    template = make_template(dbapi, labels={})
    make_cluster(dbapi, template)
    made = api.post('/clusters/c1/nodegroups', {
        'name': 'gpu', 'node_count': 1,
        'node_labels': {'example.com/gpu': 'a100'},
        'node_taints': [{'key': 'example.com/dedicated', 'value': 'gpu',
                         'effect': 'NoSchedule'}]},
        version=LATEST, status=202).json
    assert made['node_labels'] == {'example.com/gpu': 'a100'}
