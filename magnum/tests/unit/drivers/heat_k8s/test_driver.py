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

"""The Kubernetes drivers' stack: what each node template gets, the
planned VIP, the user data per OS, and upgrades (new boot configurations
with the new template's kube_tag; masters only with etcd on a volume)."""

import json
import types
from unittest import mock
import uuid

import pytest
import yaml

from magnum import objects
from magnum.common import exception
from magnum.common.x509 import operations
from magnum.drivers.heat import driver as heat_driver
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.k8s_bm import driver as bm_driver
from magnum.drivers.heat.k8s_vm import driver as vm_driver
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import ignition

_KEYS = []


@pytest.fixture(autouse=True)
def few_keys(monkeypatch, issuer):
    """These tests look at what goes where, not at the keys (which
    test_bootconfig checks): a few keys, reused, keep them quick. The
    cluster's CAs (``issuer``) are made before, with keys of their own."""
    if not _KEYS:
        _KEYS.extend(operations.generate_private_key() for _ in range(3))
    counter = iter(range(10 ** 6))
    monkeypatch.setattr(operations, 'generate_private_key',
                        lambda *a, **k: _KEYS[next(counter) % len(_KEYS)])


def _nodegroup(role, count, **extra):
    values = dict(uuid=str(uuid.uuid4()), role=role, node_count=count,
                  name='default-%s' % role, is_default=True, image_id=None,
                  flavor_id=None, docker_volume_size=None, labels={},
                  node_labels={}, node_taints=[], status='CREATE_COMPLETE')
    values.update(extra)
    return types.SimpleNamespace(**values)


def _work(issuer, driver=None, distro='fedora-coreos', lb=True, masters=3,
          labels=None, template_labels=None, upgrading=None,
          docker_volume_size=None, floating_ip_enabled=False,
          fixed_network=None, stack_id=None, **template_fields):
    driver = driver or vm_driver.KubernetesVMDriver()
    driver.name = 'k8s'
    labels = dict(labels or {})
    template = types.SimpleNamespace(
        uuid=str(uuid.uuid4()), image_id='fcos', flavor_id='m1',
        master_flavor_id='m1', keypair_id='', external_network_id='public',
        dns_nameserver='', cluster_distro=distro, network_driver='calico',
        labels=dict(template_labels or labels), fixed_network=fixed_network,
        fixed_subnet=None, **template_fields)
    cluster = types.SimpleNamespace(
        uuid=str(uuid.uuid4()), name='c1', labels=labels,
        fixed_network=None, fixed_subnet=None, master_lb_enabled=lb,
        floating_ip_enabled=floating_ip_enabled, master_flavor_id=None,
        flavor_id=None, keypair=None, docker_volume_size=docker_volume_size,
        application_credential_id=None, cluster_template=template,
        stack_id=stack_id)
    nodegroups = [_nodegroup('master', masters), _nodegroup('worker', 2)]
    if upgrading == 'worker':
        upgrading = nodegroups[1].uuid
    with mock.patch.object(objects.NodeGroup, 'list',
                           return_value=nodegroups):
        work = heat_driver.Work(driver, None, cluster, upgrading=upgrading)
    work._kubernetes = {'issuer': issuer}
    heat_driver.PlanMembers().execute(work)
    return work


def _render(work):
    heat_driver.RenderBootConfiguration().execute(work)
    return json.loads(work.driver.build_stack(work)['template'])


def test_nodes_get_their_volumes_and_the_load_balancer_a_planned_vip(issuer):
    work = _work(issuer, labels={'etcd_volume_size': '8'},
                 docker_volume_size=20)
    stack = _render(work)
    lb = stack['resources']['load_balancer']
    assert lb['type'] == 'kubernetes/load_balancer.yaml'
    assert lb['properties']['vip_address'] == '10.0.0.9'
    by_role = {ng.role: stack['resources'][definition.nodegroup_key(ng)]
               for ng in work.nodegroups}
    master = by_role['master']['properties']['node_properties']
    worker = by_role['worker']['properties']['node_properties']
    assert (master['etcd_volume_size'], worker['etcd_volume_size']) == (8, 0)
    assert worker['runtime_volume_size'] == 20
    assert master['pool_id'] == {'get_attr': ['load_balancer', 'pool_id']}
    assert worker['pool_id'] == ''
    assert {'get_resource': 'secgroup_cluster'} in worker['security_groups']
    assert 'secgroup_cluster' in stack['resources']


def test_workers_reach_the_api_at_the_vip_and_names_fit_certificates(
        issuer):
    work = _work(issuer)
    heat_driver.RenderBootConfiguration().execute(work)
    worker = [ng for ng in work.nodegroups if ng.role == 'worker'][0]
    parameter = definition.node_parameter(
        definition.nodegroup_key(worker), '0')
    files = ignition.files_of(work.node_parameters[parameter])
    kubeconfig = yaml.safe_load(files['/etc/kubernetes/kubelet.conf'])
    assert kubeconfig['clusters'][0]['cluster']['server'] == \
        'https://10.0.0.9:6443'
    assert 'NODE_NAME=c1-default-worker-0' in files[bootconfig.ENV_PATH]
    assert len(work.node_parameters) == 5  # 3 masters, 2 workers
    master = [ng for ng in work.nodegroups if ng.role == 'master'][0]
    first = ignition.files_of(work.node_parameters[definition.node_parameter(
        definition.nodegroup_key(master), '0')])[bootconfig.ENV_PATH]
    # The template's network_driver, applied by the first master.
    assert 'projectcalico' in first and 'FIRST_MASTER=true' in first


def test_without_a_load_balancer_workers_use_the_first_master(issuer):
    work = _work(issuer, lb=False, masters=1)
    heat_driver.RenderBootConfiguration().execute(work)
    worker = [ng for ng in work.nodegroups if ng.role == 'worker'][0]
    files = ignition.files_of(work.node_parameters[definition.node_parameter(
        definition.nodegroup_key(worker), '1')])
    kubeconfig = yaml.safe_load(files['/etc/kubernetes/kubelet.conf'])
    assert kubeconfig['clusters'][0]['cluster']['server'] == \
        'https://10.0.0.10:6443'


def test_ubuntu_nodes_get_cloud_config(issuer):
    work = _work(issuer, distro='ubuntu', masters=1, lb=False)
    heat_driver.RenderBootConfiguration().execute(work)
    assert all(value.startswith('#cloud-config\n')
               for value in work.node_parameters.values())


def test_bare_metal_nodes_have_no_volumes(issuer):
    work = _work(issuer, driver=bm_driver.KubernetesBMDriver(), masters=1,
                 lb=False)
    files = work.driver.build_stack(work)['files']
    assert 'OS::Cinder::Volume' not in files['node/node.yaml']
    with pytest.raises(exception.InvalidParameterValue):
        work.driver.validate_nodegroup(None, work.cluster, {
            'name': 'ng', 'docker_volume_size': 5})


def test_an_upgrade_renders_again_only_the_members_it_moves_now(issuer):
    """The upgrade request recorded the new kube_tag as the nodegroup's
    (``record_upgrade``); a batch's members get their boot configuration
    again with it and their new release in the nodes map, the others
    keep theirs (kubernetes/upgrade.py moves them batch by batch)."""
    work = _work(issuer, labels={'kube_tag': 'v1.29.8'},
                 template_labels={'kube_tag': 'v1.30.5'},
                 upgrading='worker')
    work.new = []  # an update: nothing new, the workers are upgraded
    worker = [ng for ng in work.nodegroups if ng.role == 'worker'][0]
    work.driver.record_upgrade(None, work.cluster, work.template, worker)
    key = definition.nodegroup_key(worker)
    work.upgrade_members = {key: ['0']}
    template = json.loads(work.driver.build_stack(work)['template'])
    assert sorted(work.node_parameters) == [
        definition.node_parameter(key, '0')]
    env = ignition.files_of(work.node_parameters[
        definition.node_parameter(key, '0')])[bootconfig.ENV_PATH]
    assert 'KUBE_TAG=v1.30.5' in env
    nodes = template['resources'][key]['properties']['node_properties'][
        'nodes']
    assert nodes['0']['kube_tag'] == 'v1.30.5'


def test_an_update_that_is_no_upgrade_renders_nothing(issuer):
    work = _work(issuer)
    work.new = []
    work.driver.build_stack(work)
    assert work.node_parameters == {}


def test_masters_upgrade_only_with_etcd_on_a_volume(issuer):
    driver = vm_driver.KubernetesVMDriver()
    work = _work(issuer)
    master = [ng for ng in work.nodegroups if ng.role == 'master'][0]
    worker = [ng for ng in work.nodegroups if ng.role == 'worker'][0]
    with pytest.raises(exception.NotSupported) as caught:
        driver.check_upgrade(None, work.cluster, None, master)
    assert 'etcd_volume_size' in str(caught.value)
    driver.check_upgrade(None, work.cluster, None, worker)
    work.cluster.labels['etcd_volume_size'] = '5'
    driver.check_upgrade(None, work.cluster, None, master)
    # The Heat base's own call, without the context.
    driver.check_upgrade(work.cluster, None, master)
