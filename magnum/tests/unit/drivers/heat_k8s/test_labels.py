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

"""The labels of the Heat Kubernetes drivers, and nodegroups' node labels
and taints as the kubelet would take them."""

import os

import pytest

from magnum import conf
from magnum.common import exception
from magnum.drivers.heat.kubernetes import labels
from magnum.drivers.heat.kubernetes import node_labels

CONF = conf.CONF
DOC = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..',
                   'doc', 'source', 'admin', 'heat-kubernetes.rst')


def test_defaults():
    values = labels.resolve({})
    assert values['kube_tag'].startswith('v1.')
    assert values['container_runtime'] == 'containerd'
    assert values['etcd_volume_size'] == 0
    assert values['auto_healing_enabled'] is False
    assert values['master_lb_floating_ip_enabled'] is None
    assert values['boot_volume_size'] == CONF.cinder.default_boot_volume_size


def test_values_are_typed():
    values = labels.resolve({
        'etcd_volume_size': '10', 'auto_scaling_enabled': 'True',
        'min_node_count': '1', 'max_node_count': '4',
        'availability_zone': ' nova ', 'kube_tag': 'v1.29.8'})
    assert values['etcd_volume_size'] == 10
    assert values['auto_scaling_enabled'] is True
    assert (values['min_node_count'], values['max_node_count']) == (1, 4)
    assert values['availability_zone'] == 'nova'
    assert values['kube_tag'] == 'v1.29.8'


def test_unknown_labels_are_left_alone():
    assert 'my_tool_setting' not in labels.resolve({'my_tool_setting': 'x'})


@pytest.mark.parametrize('bad, named', [
    ({'kube_tag': '1.30'}, 'kube_tag'),
    ({'kube_tag': 'v1.30.1; rm -rf /'}, 'kube_tag'),
    ({'container_runtime': 'docker'}, 'container_runtime'),
    ({'etcd_volume_size': '-1'}, 'etcd_volume_size'),
    ({'boot_volume_size': 'ten'}, 'boot_volume_size'),
    ({'auto_healing_enabled': 'maybe'}, 'auto_healing_enabled'),
    ({'auto_scaling_enabled': 'true'}, 'max_node_count'),
    ({'min_node_count': '5', 'max_node_count': '2'}, 'min_node_count'),
    ({'pods_network_cidr': '10.0.0.0/8'}, 'overlap'),
    ({'fixed_subnet_cidr': '10.0.0.0/30'}, 'fixed_subnet_cidr'),
    ({'etcd_tag': '3.5 && reboot'}, 'etcd_tag'),
])
def test_bad_labels_are_a_400_naming_them(bad, named):
    with pytest.raises(exception.InvalidParameterValue) as caught:
        labels.resolve(bad)
    assert caught.value.code == 400
    assert named in str(caught.value)


def test_every_label_is_documented():
    with open(DOC) as handle:
        doc = handle.read()
    missing = [label.name for label in labels.LABELS
               if '``%s``' % label.name not in doc]
    assert not missing


@pytest.mark.parametrize('node_labels_, taints', [
    ({'bad key': 'x'}, []),
    ({'example.com/': 'x'}, []),
    ({'UPPER.example.com/name': 'x'}, []),
    ({'ok': 'value with spaces'}, []),
    ({'ok': 'x' * 64}, []),
    ({}, [{'key': 'spot', 'effect': 'NoSchedule', 'value': 'a,b'}]),
    ({}, [{'key': '-spot', 'effect': 'NoSchedule'}]),
    ({}, [{'key': 'spot', 'effect': 'Sometimes'}]),
])
def test_node_labels_and_taints_the_kubelet_refuses_are_a_400(
        node_labels_, taints):
    with pytest.raises(exception.InvalidParameterValue) as caught:
        node_labels.validate('ng', node_labels_, taints)
    assert caught.value.code == 400
    assert 'nodegroup ng' in str(caught.value)


def test_good_node_labels_and_taints_pass():
    node_labels.validate(
        'ng', {'example.com/gpu': 'a100', 'tier': '', 'a.b_c-d': 'E.f-1'},
        [{'key': 'example.com/dedicated', 'value': 'gpu',
          'effect': 'NoExecute'}, {'key': 'spot', 'effect': 'NoSchedule'}])


def test_label_value_of_free_text():
    assert node_labels.label_value('gpu workers!') == 'gpu-workers'
    assert len(node_labels.label_value('x' * 300)) == 63
    assert node_labels.value_problem(node_labels.label_value('--')) is None
