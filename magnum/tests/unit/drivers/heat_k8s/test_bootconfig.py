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

"""The Kubernetes nodes' boot configuration: Ignition 3 and cloud-config
checked against their schemas, every emitted script against shellcheck,
certificates against the cluster's CAs, node labels and taints as the
kubelet gets them.

shellcheck and cloud-init's schema come from tools/common.sh's
``ensure_test_tools`` (tools/run-tests.sh runs it); without them these
tests fail and say so rather than skip.
"""

import ipaddress
import json
import os
import shlex
import shutil
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import serialization
import jsonschema
import pytest
import yaml

from magnum.common import exception
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import cloudconfig
from magnum.drivers.heat.kubernetes import ignition
from magnum.drivers.heat.kubernetes import labels as k8s_labels
from magnum.drivers.heat.kubernetes import pki
from magnum.drivers.heat.kubernetes import proxy as k8s_proxy

HERE = os.path.dirname(os.path.abspath(__file__))
IGNITION_SCHEMA = os.path.join(HERE, 'ignition-v3-subset.schema.json')
TEST_TOOLS = os.environ.get('MAGNUM_TEST_TOOLS', '/var/tmp/magnum-test-tools')
CLOUD_INIT_SCHEMA = os.path.join(
    TEST_TOOLS, 'cloud-init', 'usr', 'lib', 'python3', 'dist-packages',
    'cloudinit', 'config', 'schemas', 'schema-cloud-config-v1.json')
SETUP_HINT = ('run tools/run-tests.sh, or: bash -c "source tools/common.sh; '
              'ensure_test_tools"')

WORKER_GROUP = {'name': 'gpu workers', 'role': 'gpu', 'node_labels': {
    'example.com/gpu': 'a100', 'tier': 'batch'},
    'node_taints': [{'key': 'example.com/dedicated', 'value': 'gpu',
                     'effect': 'NoSchedule'},
                    {'key': 'spot', 'value': '', 'effect': 'NoExecute'}]}
MASTER_GROUP = {'name': 'default-master', 'node_labels': {},
                'node_taints': []}


MASTERS = ('10.0.0.10', '10.0.0.11', '10.0.0.12')
VIP = pki.planned_vip('10.0.0.0/24', 10)


PROXY = k8s_proxy.Proxy(
    http='http://proxy.example.com:3128',
    https='http://user:p%40ss@proxy.example.com:3129',
    no_proxy=('.corp.example.com', 'localhost', '127.0.0.1', '10.0.0.0/24',
              '.svc'))


def _facts(proxy=None, **labels):
    return bootconfig.ClusterFacts(
        name='k8s-test', labels=k8s_labels.resolve(labels),
        master_count=len(MASTERS), cloud_config='[Global]\nauth-url=x\n',
        proxy=proxy)


def _addresses(facts):
    return pki.Addresses.of(MASTERS, VIP,
                            facts.labels['service_cluster_ip_range'])


SERVICE_ACCOUNT = pki.service_account_files()


def _build(issuer, role, group, member=None, proxy=None, **labels):
    facts = _facts(proxy, **labels)
    if member is None:
        member = bootconfig.Member('k8s-test-default-master-0', MASTERS[0],
                                   first_master=True) \
            if role == 'master' else bootconfig.Member(
                'k8s-test-gpu-workers-3', '10.0.0.20')
    return bootconfig.build(role, facts, group, member, issuer,
                            _addresses(facts), VIP, 'cluster-uuid',
                            service_account=SERVICE_ACCOUNT)


@pytest.fixture(scope='module')
def configs(issuer):
    """Every kind of node configuration the drivers emit: master and
    worker, each with and without the optional add-ons."""
    everything = dict(auto_healing_enabled='true', auto_scaling_enabled='1',
                      max_node_count='5', cloud_provider_enabled='yes',
                      kube_dashboard_enabled='true')
    return {
        'master': _build(issuer, 'master', MASTER_GROUP),
        'master-2': _build(issuer, 'master', MASTER_GROUP, member=(
            bootconfig.Member('k8s-test-default-master-2', MASTERS[2]))),
        'master-addons': _build(issuer, 'master', MASTER_GROUP,
                                **everything),
        'worker': _build(issuer, 'worker', WORKER_GROUP),
        'master-proxy': _build(issuer, 'master', MASTER_GROUP, proxy=PROXY),
        'worker-proxy': _build(issuer, 'worker', WORKER_GROUP, proxy=PROXY),
    }


def _tool(path, name):
    if not os.path.exists(path):
        pytest.fail('%s is missing (%s): %s' % (name, path, SETUP_HINT),
                    pytrace=False)
    return path


# -- schemas ------------------------------------------------------------------

def test_ignition_configs_match_the_ignition_v3_schema(configs):
    with open(IGNITION_SCHEMA) as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    for name, config in configs.items():
        document = json.loads(ignition.render(config))
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, '%s: %s' % (name, errors[0])
        assert document['ignition']['version'].startswith('3.')


def test_the_ignition_schema_refuses_what_ignition_would(configs):
    """The schema is not a pass-everything: the mistakes it must catch."""
    with open(IGNITION_SCHEMA) as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    good = json.loads(ignition.render(configs['worker']))
    broken = [
        {**good, 'ignition': {'version': '2.2.0'}},
        {**good, 'storage': {'files': [{'path': 'relative/path'}]}},
        {**good, 'systemd': {'units': [{'name': 'kubelet'}]}},
        {**good, 'storage': {'files': [{'path': '/a', 'contents': {
            'source': 'not-a-url'}}]}},
        {**good, 'passwd': {'users': 'root'}},
    ]
    for document in broken:
        assert list(validator.iter_errors(document)), document


def test_cloud_configs_match_cloud_init_schema(configs):
    with open(_tool(CLOUD_INIT_SCHEMA, "cloud-init's schema")) as handle:
        schema = json.load(handle)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    for name, config in configs.items():
        text = cloudconfig.render(config)
        assert text.startswith('#cloud-config\n')
        document = yaml.safe_load(text)
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, '%s: %s' % (name, errors[0])
        # The schema is the real one: a wrong type is refused.
        assert list(validator.iter_errors({'write_files': [{'path': 1}]}))


def test_both_renderings_carry_the_same_files(configs):
    for config in configs.values():
        from_ignition = ignition.files_of(ignition.render(config))
        from_cloud_config = cloudconfig.files_of(cloudconfig.render(config))
        expected = {f.path: f.content for f in config.files}
        assert from_ignition == expected
        for unit in config.units:
            expected['/etc/systemd/system/%s' % unit.name] = unit.content
        assert from_cloud_config == expected


def test_volume_placeholders_survive_for_heat_to_replace(configs):
    for config in (configs['master'], configs['worker']):
        for text in (ignition.render(config), cloudconfig.render(config)):
            assert bootconfig.RUNTIME_VOLUME in text
    assert bootconfig.ETCD_VOLUME in ignition.render(configs['master'])
    assert bootconfig.ETCD_VOLUME not in ignition.render(configs['worker'])


# -- scripts ------------------------------------------------------------------

def test_every_emitted_script_passes_shellcheck(configs, tmp_path):
    shellcheck = shutil.which('shellcheck')
    if shellcheck is None:
        pytest.fail('shellcheck is not installed: %s' % SETUP_HINT,
                    pytrace=False)
    checked = []
    for name, config in configs.items():
        scripts = dict(config.scripts())
        # Environment files are sourced by bash: check them as bash.
        for path in (bootconfig.ENV_PATH, bootconfig.KUBELET_ENV,
                     bootconfig.PROXY_ENV):
            if path == bootconfig.PROXY_ENV and 'proxy' not in name:
                continue
            scripts[path] = '#!/bin/bash\n' + config.file(path).content
        # cloud-init's runcmd is a command line too.
        document = yaml.safe_load(cloudconfig.render(config))
        scripts['runcmd'] = '#!/bin/sh\n' + '\n'.join(
            ' '.join(command) for command in document['runcmd']) + '\n'
        for path, content in scripts.items():
            target = tmp_path / ('%s-%s' % (name, path.replace('/', '_')))
            target.write_text(content)
            result = subprocess.run([shellcheck, '--severity=style',
                                     str(target)], capture_output=True,
                                    text=True)
            assert result.returncode == 0, '%s %s:\n%s' % (
                name, path, result.stdout)
            checked.append(path)
    assert bootconfig.SCRIPT_PATH in checked


def test_shellcheck_finds_what_it_should(tmp_path):
    """The check above can fail: shellcheck flags an unquoted variable."""
    shellcheck = shutil.which('shellcheck')
    assert shellcheck, SETUP_HINT
    target = tmp_path / 'bad.sh'
    target.write_text('#!/bin/bash\nrm -rf $1/*\n')
    result = subprocess.run([shellcheck, str(target)], capture_output=True)
    assert result.returncode != 0


# -- certificates -------------------------------------------------------------

def _cert(pem):
    return x509.load_pem_x509_certificate(pem.encode())


def test_no_ca_key_reaches_a_node(configs, certificate_set):
    ca_keys = {certificate_set.ca.private_key,
               certificate_set.etcd_ca.private_key,
               certificate_set.front_proxy_ca.private_key}
    ca_public = {
        serialization.load_pem_private_key(
            key.encode(), None).public_key().public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)
        for key in ca_keys}
    for config in configs.values():
        for entry in config.files:
            assert entry.content not in ca_keys
            if 'PRIVATE KEY' in entry.content:
                key = serialization.load_pem_private_key(
                    entry.content.encode(), None)
                public = key.public_key().public_bytes(
                    serialization.Encoding.DER,
                    serialization.PublicFormat.SubjectPublicKeyInfo)
                assert public not in ca_public, entry.path
                assert entry.mode == 0o600, entry.path


def test_certificates_are_signed_by_the_cluster_cas(configs,
                                                    certificate_set):
    master = {f.path: f.content for f in configs['master'].files}
    p = pki.PKI
    checks = {
        '%s/apiserver.crt' % p: certificate_set.ca,
        '%s/kubelet-client.crt' % p: certificate_set.ca,
        '%s/etcd/server.crt' % p: certificate_set.etcd_ca,
        '%s/apiserver-etcd-client.crt' % p: certificate_set.etcd_ca,
        '%s/front-proxy-client.crt' % p: certificate_set.front_proxy_ca,
    }
    for path, ca in checks.items():
        issued = _cert(master[path])
        issued.verify_directly_issued_by(_cert(ca.certificate))
    assert master['%s/ca.crt' % p] == certificate_set.ca.certificate


def _sans(pem):
    sans = _cert(pem).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    return ({str(ip) for ip in sans.get_values_for_type(x509.IPAddress)},
            set(sans.get_values_for_type(x509.DNSName)))


def test_api_certificate_names_every_master_and_the_vip(configs):
    for name in ('master', 'master-2'):
        files = {f.path: f.content for f in configs[name].files}
        ips, dns = _sans(files['%s/apiserver.crt' % pki.PKI])
        assert set(MASTERS) | {VIP, '127.0.0.1', '10.254.0.1'} <= ips
        assert 'kubernetes.default.svc' in dns
    assert VIP == '10.0.0.9'


def test_each_node_has_its_own_identity(configs):
    master = {f.path: f.content for f in configs['master'].files}
    other = {f.path: f.content for f in configs['master-2'].files}
    worker = {f.path: f.content for f in configs['worker'].files}
    kubelet = '%s/kubelet-client.crt' % pki.PKI
    subject = _cert(worker[kubelet]).subject
    assert subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[
        0].value == 'system:node:k8s-test-gpu-workers-3'
    assert subject.get_attributes_for_oid(
        x509.NameOID.ORGANIZATION_NAME)[0].value == 'system:nodes'
    assert master[kubelet] != other[kubelet]
    etcd_ips, _dns = _sans(other['%s/etcd/server.crt' % pki.PKI])
    assert etcd_ips == {'127.0.0.1', MASTERS[2]}
    # The masters share the service-account key, no other private key.
    shared = {path for path in master if path.endswith('.key') and
              master[path] == other[path]}
    assert shared == {'%s/sa.key' % pki.PKI}


def test_workers_get_only_the_ca_and_their_client_certificate(configs):
    worker = {f.path: f.content for f in configs['worker'].files}
    pems = sorted(path for path in worker if path.startswith(pki.PKI))
    assert pems == ['%s/ca.crt' % pki.PKI,
                    '%s/kube-proxy.crt' % pki.PKI,
                    '%s/kube-proxy.key' % pki.PKI,
                    '%s/kubelet-client.crt' % pki.PKI,
                    '%s/kubelet-client.key' % pki.PKI]
    # Of the static pods, workers run kube-proxy only.
    assert [path for path in worker
            if path.startswith('/etc/kubernetes/manifests')] == [
                '/etc/kubernetes/manifests/kube-proxy.yaml']


# -- kubelet, labels and taints -----------------------------------------------

def _kubelet_args(config):
    env = config.file(bootconfig.KUBELET_ENV).content
    line = [line for line in env.splitlines()
            if line.startswith('KUBELET_ARGS=')][0]
    return shlex.split(line.split('=', 1)[1])[0].split()


def test_node_labels_and_taints_reach_the_kubelet(configs):
    args = _kubelet_args(configs['worker'])
    labels = [a for a in args if a.startswith('--node-labels=')][0]
    assert 'example.com/gpu=a100' in labels
    assert 'tier=batch' in labels
    assert 'magnum.openstack.org/nodegroup=gpu-workers' in labels
    # The nodegroup's role, not only master or worker.
    assert 'magnum.openstack.org/role=gpu' in labels
    assert '--hostname-override=k8s-test-gpu-workers-3' in args
    assert '--node-ip=10.0.0.20' in args
    taints = [a for a in args if a.startswith('--register-with-taints=')][0]
    assert taints == ('--register-with-taints=example.com/dedicated=gpu:'
                      'NoSchedule,spot=:NoExecute')


def test_masters_are_tainted_for_the_control_plane(configs):
    args = _kubelet_args(configs['master'])
    assert ('--register-with-taints=node-role.kubernetes.io/control-plane=:'
            'NoSchedule') in args


def test_kube_tag_names_every_control_plane_image(issuer):
    config = _build(issuer, 'master', MASTER_GROUP, kube_tag='v1.29.8')
    for name in ('kube-apiserver', 'kube-controller-manager',
                 'kube-scheduler'):
        manifest = yaml.safe_load(config.file(
            '/etc/kubernetes/manifests/%s.yaml' % name).content)
        assert manifest['spec']['containers'][0]['image'].endswith(
            ':v1.29.8')
    env = config.file(bootconfig.ENV_PATH).content
    assert "KUBE_TAG=v1.29.8" in env


def test_etcd_knows_every_planned_master(configs):
    etcd = yaml.safe_load(configs['master'].file(
        '/etc/kubernetes/manifests/etcd.yaml').content)
    command = etcd['spec']['containers'][0]['command']
    initial = [c for c in command if c.startswith('--initial-cluster=')][0]
    assert initial.count('https://') == 3
    name = [c for c in command if c.startswith('--name=')][0]
    # The member name the node gives itself is the one listed for it.
    assert '%s=https://%s:2380' % (name.split('=')[1], MASTERS[0]) in \
        initial


def test_addons_follow_the_labels(configs):
    plain = {f.path for f in configs['master'].files}
    full = {f.path: f.content for f in configs['master-addons'].files}
    assert '/etc/magnum/addons/20-openstack.yaml' not in plain
    assert 'FIRST_MASTER=false' in configs['master-2'].file(
        bootconfig.ENV_PATH).content
    manifests = list(yaml.safe_load_all(
        full['/etc/magnum/addons/20-openstack.yaml']))
    names = {m['metadata']['name'] for m in manifests
             if m['kind'] == 'Deployment'}
    assert names == {'openstack-cloud-controller-manager',
                     'magnum-auto-healer', 'cluster-autoscaler'}
    autoscaler = [m for m in manifests if m['kind'] == 'Deployment' and
                  m['metadata']['name'] == 'cluster-autoscaler'][0]
    assert '--nodes=0:5:default-worker' in autoscaler['spec']['template'][
        'spec']['containers'][0]['args']
    assert 'recommended.yaml' in full[bootconfig.ENV_PATH]


def test_the_first_master_installs_cluster_dns_at_the_kubelets_address(
        configs):
    first = {f.path: f.content for f in configs['master'].files}
    other = {f.path for f in configs['master-2'].files}
    documents = list(yaml.safe_load_all(
        first['/etc/magnum/addons/10-coredns.yaml']))
    service = [d for d in documents if d['kind'] == 'Service'][0]
    kubelet = yaml.safe_load(first[bootconfig.KUBELET_CONFIG])
    assert kubelet['clusterDNS'] == [service['spec']['clusterIP']]
    assert '/etc/magnum/addons/10-coredns.yaml' not in other
    proxy = yaml.safe_load(first['/etc/kubernetes/manifests/'
                                 'kube-proxy.yaml'])
    assert '--hostname-override=k8s-test-default-master-0' in \
        proxy['spec']['containers'][0]['command']


def test_cloud_addons_without_credentials_are_refused(issuer):
    facts = bootconfig.ClusterFacts(
        name='k8s', labels=k8s_labels.resolve(
            {'cloud_provider_enabled': 'true'}), master_count=1)
    member = bootconfig.Member('k8s-m-0', MASTERS[0], first_master=True)
    with pytest.raises(exception.InvalidParameterValue) as caught:
        bootconfig.build('master', facts, MASTER_GROUP, member, issuer,
                         _addresses(facts), MASTERS[0], 'uuid')
    assert 'cloud_provider_enabled' in str(caught.value)


def test_address_plan():
    plan = pki.Addresses.of(['192.168.7.10'], '', '10.96.0.0/12')
    assert plan.masters == ('192.168.7.10',)
    assert plan.lb_vip == ''
    assert plan.kubernetes_service == '10.96.0.1'
    assert plan.dns_service == '10.96.0.10'
    assert ipaddress.ip_address(plan.dns_service) in ipaddress.ip_network(
        '10.96.0.0/12')
    assert pki.planned_vip('192.168.7.0/24', 20) == '192.168.7.19'
    assert pki.planned_vip('192.168.7.0/24', 2) == ''
    assert pki.node_name('My_Cluster-GPU workers-0') == \
        'my-cluster-gpu-workers-0'
