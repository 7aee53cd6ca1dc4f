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

"""The test cloud's stand-ins for Nova, Neutron, Octavia and Cinder
(tools/cloud-in-a-box/standins), against the cloud-in-a-box's real Heat
and the private Docker engine.

A template written for a real cloud (every stood-in Neutron, Octavia and
Cinder type, and servers with shell, cloud-config-in-MIME and Ignition user
data) is built to CREATE_COMPLETE; the servers'
containers ran their user data and reach each other (and the host reaches
them) at the addresses the ``networks`` attribute gives; a server whose
user data fails, or whose image is missing, fails its stack with a reason
that names it and says why; changing a server's user data replaces it;
deleting the stack removes its containers and Docker network.
"""

import base64
import importlib.util
import io
import ipaddress
import os
import random
import tarfile
import urllib.request
import uuid

import pytest

from magnum.drivers.local import nodes
from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import docker_engine

IMAGE = docker_engine.IMAGE
MISSING_IMAGE = 'magnum/no-such-image:0'
SECRET = 'written by cloud-config'
HELLO = 'hello-config'
HAPROXY_CFG = '''\
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend hello
  bind :8080
  http-request return status 200 content-type text/plain string %s
''' % HELLO
IGNITION = '{"ignition": {"version": "3.3.0"}, "storage": {"files": []}}'


def _server(user_data, networks=None, image=IMAGE, depends_on=None):
    properties = {'image': image, 'flavor': 'm1.small',
                  'user_data_format': 'RAW', 'user_data': user_data}
    if networks is not None:
        properties['networks'] = networks
    server = {'type': 'OS::Nova::Server', 'properties': properties}
    if depends_on:
        # As on a real cloud: Nova boots nothing on a network without a
        # subnet.
        server['depends_on'] = depends_on
    return server


# Written as for a real cloud: nothing here knows about the stand-ins.
CLUSTER_LIKE = {
    'heat_template_version': '2021-04-16',
    'parameters': {'message': {'type': 'string', 'default': 'first'},
                   'cidr': {'type': 'string'},
                   'config_ip': {'type': 'string'}},
    'resources': {
        'net': {'type': 'OS::Neutron::Net',
                'properties': {'name': 'standin-test'}},
        'subnet': {'type': 'OS::Neutron::Subnet', 'properties': {
            'network': {'get_resource': 'net'},
            'cidr': {'get_param': 'cidr'},
            'dns_nameservers': ['8.8.8.8']}},
        'secgroup': {'type': 'OS::Neutron::SecurityGroup', 'properties': {
            'rules': [{'protocol': 'tcp', 'port_range_min': 8080,
                       'port_range_max': 8080}]}},
        'ssh_rule': {'type': 'OS::Neutron::SecurityGroupRule', 'properties': {
            'security_group': {'get_resource': 'secgroup'},
            'protocol': 'tcp', 'port_range_min': 22, 'port_range_max': 22}},
        'router': {'type': 'OS::Neutron::Router', 'properties': {
            'external_gateway_info': {'network': 'public'}}},
        'router_interface': {'type': 'OS::Neutron::RouterInterface',
                             'properties': {
                                 'router': {'get_resource': 'router'},
                                 'subnet': {'get_resource': 'subnet'}}},
        'floating_ip': {'type': 'OS::Neutron::FloatingIP', 'properties': {
            'floating_network': 'public'}},
        'floating_ip_association': {
            'type': 'OS::Neutron::FloatingIPAssociation', 'properties': {
                'floatingip_id': {'get_resource': 'floating_ip'},
                'port_id': {'get_resource': 'port'}}},
        'port': {'type': 'OS::Neutron::Port', 'properties': {
            'network': {'get_resource': 'net'},
            'fixed_ips': [{'subnet': {'get_resource': 'subnet'}}],
            'security_groups': [{'get_resource': 'secgroup'}]}},
        'shell_server': _server(
            {'str_replace': {
                'template': '#!/bin/sh\nset -e\n'
                            'echo "$(hostname) says MESSAGE" '
                            '>/root/shell-ran\n',
                'params': {'MESSAGE': {'get_param': 'message'}}}},
            networks=[{'port': {'get_resource': 'port'}}]),
        'cloud_config': {'type': 'OS::Heat::CloudConfig', 'properties': {
            'cloud_config': {
                'write_files': [
                    {'path': '/etc/standin-test/haproxy.cfg',
                     'content': HAPROXY_CFG, 'permissions': '0600'},
                    {'path': '/etc/standin-test/secret',
                     'content': base64.b64encode(SECRET.encode()).decode(),
                     'encoding': 'b64'}],
                'runcmd': [
                    ['haproxy', '-D', '-f', '/etc/standin-test/haproxy.cfg'],
                    'echo runcmd >/root/runcmd-ran']}}},
        'script': {'type': 'OS::Heat::SoftwareConfig', 'properties': {
            'group': 'ungrouped',
            # cloud-init writes the files before it runs the scripts.
            'config': {'str_replace': {
                'template': '#!/bin/sh\nset -e\n'
                            'test -f /etc/standin-test/secret\n'
                            'echo script-saw-the-files MESSAGE '
                            '>/root/script-ran\n',
                'params': {'MESSAGE': {'get_param': 'message'}}}}}},
        'boot': {'type': 'OS::Heat::MultipartMime', 'properties': {
            'parts': [{'config': {'get_resource': 'cloud_config'}},
                      {'config': {'get_resource': 'script'}}]}},
        'config_server': _server(
            {'get_resource': 'boot'},
            networks=[{'network': {'get_resource': 'net'},
                       'fixed_ip': {'get_param': 'config_ip'}}],
            depends_on=['subnet']),
        'ignition_server': _server(
            IGNITION, networks=[{'network': {'get_resource': 'net'}}],
            depends_on=['subnet']),
        'volume': {'type': 'OS::Cinder::Volume', 'properties': {'size': 1}},
        'attachment': {'type': 'OS::Cinder::VolumeAttachment', 'properties': {
            'instance_uuid': {'get_resource': 'config_server'},
            'volume_id': {'get_resource': 'volume'}}},
        'lb': {'type': 'OS::Octavia::LoadBalancer', 'properties': {
            'vip_subnet': {'get_resource': 'subnet'}}},
        'listener': {'type': 'OS::Octavia::Listener', 'properties': {
            'loadbalancer': {'get_resource': 'lb'}, 'protocol': 'HTTP',
            'protocol_port': 80}},
        'pool': {'type': 'OS::Octavia::Pool', 'properties': {
            'listener': {'get_resource': 'listener'}, 'protocol': 'HTTP',
            'lb_algorithm': 'ROUND_ROBIN'}},
        'member': {'type': 'OS::Octavia::PoolMember', 'properties': {
            'pool': {'get_resource': 'pool'}, 'protocol_port': 8080,
            'address': {'get_attr': ['config_server', 'first_address']},
            'subnet': {'get_resource': 'subnet'}}},
        'monitor': {'type': 'OS::Octavia::HealthMonitor', 'properties': {
            'pool': {'get_resource': 'pool'}, 'type': 'HTTP', 'delay': 5,
            'max_retries': 3, 'timeout': 5}},
    },
    'outputs': {
        'net_id': {'value': {'get_resource': 'net'}},
        'shell_id': {'value': {'get_resource': 'shell_server'}},
        # Keyed by the id of the network behind the port ...
        'shell_address': {'value': {'get_attr': [
            'shell_server', 'networks', {'get_resource': 'net'}, 0]}},
        # ... and by the network as passed.
        'config_address': {'value': {'get_attr': [
            'config_server', 'networks', {'get_resource': 'net'}, 0]}},
        'config_first_address': {'value': {'get_attr': [
            'config_server', 'first_address']}},
        'port_fixed_ips': {'value': {'get_attr': ['port', 'fixed_ips']}},
        'port_network_id': {'value': {'get_attr': ['port', 'network_id']}},
        'vip_address': {'value': {'get_attr': ['lb', 'vip_address']}},
        'floating_ip_address': {'value': {'get_attr': [
            'floating_ip', 'floating_ip_address']}},
        'router_gateway': {'value': {'get_attr': [
            'router', 'external_gateway_info']}},
        'subnet_gateway': {'value': {'get_attr': ['subnet', 'gateway_ip']}},
        'volume_id': {'value': {'get_resource': 'volume'}},
        'volume_size': {'value': {'get_attr': ['volume', 'size']}},
    },
}

FAILING = {
    'heat_template_version': '2021-04-16',
    'resources': {'broken_server': _server(
        '#!/bin/sh\necho "standin test: about to fail"\nexit 3\n')},
}

IMAGELESS = {
    'heat_template_version': '2021-04-16',
    'resources': {'imageless_server': _server('#!/bin/sh\ntrue\n',
                                              image=MISSING_IMAGE)},
}


@pytest.fixture(scope='module')
def heat(cloud):
    return cloud.heat(cloud.projects['a']['users']['member'])


# Each run a subnet of its own: the test cloud's networks take their
# subnets' ranges, and two at once cannot share one (the other heat tests
# draw theirs from 10.160-250.x).
SUBNET = ipaddress.ip_network('10.%d.%d.0/24' % (random.randint(100, 159),
                                                 random.randint(0, 255)))
CONFIG_IP = str(SUBNET.network_address + 10)


@pytest.fixture(scope='module')
def stacks(heat, engine):
    """The three stacks, created at once, once none is in progress."""
    suffix = uuid.uuid4().hex[:8]
    templates = {'cluster_like': CLUSTER_LIKE, 'failing': FAILING,
                 'imageless': IMAGELESS}
    parameters = {'cluster_like': {'cidr': str(SUBNET),
                                   'config_ip': CONFIG_IP}}
    ids = {key: heat.create('standins-%s-%s' % (key.replace('_', '-'),
                                                 suffix), template,
                            parameters=parameters.get(key))
           for key, template in templates.items()}
    try:
        yield {key: heat.wait(stack_id, 150) for key, stack_id in
               ids.items()}
    finally:
        for stack_id in ids.values():
            heat.delete(stack_id)


def _containers(engine, stack):
    return engine.containers.list(all=True, filters={
        'label': '%s=%s' % (cloud_box.STANDIN_ROOT_STACK, stack['id'])})


def _by_resource(engine, stack):
    return {c.labels[cloud_box.STANDIN_RESOURCE]: c
            for c in _containers(engine, stack)}


def _cat(container, path):
    result = container.exec_run(['cat', path])
    assert result.exit_code == 0, (path, result.output)
    return result.output.decode()


def _complete(stack):
    assert stack['stack_status'] == 'CREATE_COMPLETE', \
        stack['stack_status_reason']
    return cloud_box.HeatStacks.outputs(stack)


def test_a_template_for_a_real_cloud_builds(stacks):
    outputs = _complete(stacks['cluster_like'])
    for key in ('net_id', 'shell_id', 'volume_id'):
        assert uuid.UUID(outputs[key])
    assert outputs['port_network_id'] == outputs['net_id']
    assert outputs['config_first_address'] == outputs['config_address']
    # A fixed address is the server's; the others are on its subnet.
    assert outputs['config_address'] == CONFIG_IP
    assert ipaddress.ip_address(outputs['shell_address']) in SUBNET
    assert outputs['shell_address'] != CONFIG_IP
    assert outputs['port_fixed_ips'][0]['ip_address'].startswith('10.')
    assert outputs['vip_address'].startswith('198.51.100.')
    assert outputs['floating_ip_address'].startswith('203.0.113.')
    assert outputs['router_gateway']['network_id'] == 'public'
    assert outputs['subnet_gateway'] == str(SUBNET.network_address + 1)
    assert outputs['volume_size'] == 1


def test_servers_ran_their_user_data(stacks, engine):
    _complete(stacks['cluster_like'])
    containers = _by_resource(engine, stacks['cluster_like'])
    assert sorted(containers) == ['config_server', 'ignition_server',
                                  'shell_server']
    shell = containers['shell_server']
    assert _cat(shell, '/root/shell-ran') == '%s says first\n' % (
        shell.attrs['Config']['Hostname'])
    config = containers['config_server']
    assert _cat(config, '/etc/standin-test/secret') == SECRET
    assert _cat(config, '/root/script-ran') == \
        'script-saw-the-files first\n'
    assert _cat(config, '/root/runcmd-ran') == 'runcmd\n'
    mode = config.exec_run(['stat', '-c', '%a',
                            '/etc/standin-test/haproxy.cfg'])
    assert mode.output.decode().strip() == '600'
    assert 'user data finished' in _cat(config,
                                        '/var/log/cloud-init-output.log')
    ignition = containers['ignition_server']
    assert '"3.3.0"' in _cat(ignition, '/etc/magnum-ignition.json')


def test_servers_reach_each_other_at_their_networks_addresses(
        stacks, engine):
    outputs = _complete(stacks['cluster_like'])
    shell = _by_resource(engine, stacks['cluster_like'])['shell_server']
    url = 'http://%s:8080/' % outputs['config_address']
    fetched = shell.exec_run(['curl', '-sS', '--max-time', '10', url])
    assert fetched.output.decode() == HELLO, fetched.output
    # The conductor (on the host) reaches the nodes as well.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as reply:
        assert reply.read().decode() == HELLO


# docker run options -> where the engine shows them.
HOST_CONFIG_KEYS = {'cap_add': 'CapAdd', 'cap_drop': 'CapDrop',
                    'security_opt': 'SecurityOpt', 'tmpfs': 'Tmpfs',
                    'cgroupns': 'CgroupnsMode', 'privileged': 'Privileged'}


def test_servers_have_the_local_drivers_node_privileges(stacks, engine):
    _complete(stacks['cluster_like'])
    container = _by_resource(engine, stacks['cluster_like'])['config_server']
    host = container.attrs['HostConfig']
    wanted = nodes.NODE_RUN_OPTIONS
    assert set(wanted) <= set(HOST_CONFIG_KEYS) | {'volumes'}, wanted
    for option, key in HOST_CONFIG_KEYS.items():
        if option in wanted:
            assert host[key] == wanted[option], option
    binds = ['%s:%s:%s' % (source, bind['bind'], bind['mode'])
             for source, bind in wanted.get('volumes', {}).items()]
    assert (host['Binds'] or []) == binds
    # A small init first, not dockerd: boot scripts start their daemons.
    assert container.attrs['Config']['Cmd'] == ['sleep', 'infinity']
    assert host['Init'] is True
    # dockerd runs in it as in a local driver's node (the node prepared
    # its own cgroups first, as the local driver's nodes do).
    started = container.exec_run(['sh', '-c', (
        'dockerd -H unix:///run/probe.sock >/tmp/probe.log 2>&1 & '
        'for i in $(seq 100); do '
        'docker -H unix:///run/probe.sock info >/dev/null 2>&1 && exit 0; '
        'sleep 0.2; done; tail -5 /tmp/probe.log; exit 1')])
    assert started.exit_code == 0, started.output.decode()


def test_failing_user_data_fails_the_stack_naming_the_server(stacks):
    stack = stacks['failing']
    assert stack['stack_status'] == 'CREATE_FAILED'
    reason = stack['stack_status_reason']
    assert 'resources.broken_server' in reason
    assert 'user data exited with status 3' in reason
    assert 'standin test: about to fail' in reason


def test_a_missing_image_fails_the_stack_naming_the_server(stacks):
    stack = stacks['imageless']
    assert stack['stack_status'] == 'CREATE_FAILED'
    reason = stack['stack_status_reason']
    assert 'resources.imageless_server' in reason
    assert MISSING_IMAGE in reason
    assert 'is not in the test cloud\'s Docker engine' in reason


def test_new_user_data_replaces_the_server(stacks, heat, engine):
    stack = stacks['cluster_like']
    before = _complete(stack)
    old = _by_resource(engine, stack)
    heat.session.patch('%s/stacks/%s/%s' % (
        heat.url, stack['stack_name'], stack['id']),
        json={'parameters': {'message': 'second'}})
    updated = heat.wait(stack['id'], 120)
    assert updated['stack_status'] == 'UPDATE_COMPLETE', \
        updated['stack_status_reason']
    after = cloud_box.HeatStacks.outputs(updated)
    assert after['shell_id'] != before['shell_id']
    new = _by_resource(engine, stack)
    for name in ('shell_server', 'config_server'):
        assert new[name].id != old[name].id, name
    remaining = [c.id for c in _containers(engine, stack)]
    assert old['shell_server'].id not in remaining
    assert old['config_server'].id not in remaining
    assert _cat(new['shell_server'], '/root/shell-ran').endswith(
        ' says second\n')
    assert _cat(new['config_server'], '/root/script-ran') == \
        'script-saw-the-files second\n'
    # The replacement took over the fixed address (Heat's server moves
    # its ports to the new server the same way).
    assert after['config_address'] == CONFIG_IP


def test_deleting_the_stack_removes_its_containers_and_network(
        stacks, heat, engine):
    stack = stacks['cluster_like']
    net_id = _complete(stack)['net_id']
    network_label = {'label': '%s=%s' % (cloud_box.STANDIN_NETWORK, net_id)}
    assert engine.networks.list(filters=network_label)
    heat.delete(stack['id'])
    assert _containers(engine, stack) == []
    assert engine.networks.list(filters=network_label) == []


# -- the user data reader, by itself (no services) ---------------------------

def _standin_boot():
    path = os.path.join(cloud_box.ROOT, 'tools', 'cloud-in-a-box',
                        'standins', 'plugins', 'standin_boot.py')
    spec = importlib.util.spec_from_file_location('standin_boot', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _multipart(*parts):
    lines = ['Content-Type: multipart/mixed; boundary="b"',
             'MIME-Version: 1.0', '']
    for content_type, text, extra in parts:
        lines += ['--b', 'Content-Type: %s; charset="us-ascii"' %
                  content_type] + extra + ['', text]
    return '\n'.join(lines + ['--b--', ''])


def test_cloud_config_parts_merge_as_cloud_init_merges_them():
    boot = _standin_boot()
    first = '#cloud-config\nruncmd: [one]\nwrite_files: [{path: /a}]\n'
    second = '#cloud-config\nruncmd: [two]\n'
    replaced = boot.plan(_multipart(('text/cloud-config', first, []),
                                    ('text/cloud-config', second, [])))
    assert replaced.runcmd == b'#!/bin/sh\ntwo\n'
    assert [f.path for f in replaced.files] == ['/a']
    appended = boot.plan(_multipart(
        ('text/cloud-config', first, []),
        ('text/cloud-config', second, ['Merge-Type: list(append)+dict()'])))
    assert appended.runcmd == b'#!/bin/sh\none\ntwo\n'


def test_user_data_the_stand_in_cannot_run_is_refused_with_a_reason():
    boot = _standin_boot()
    with pytest.raises(boot.UserDataError, match='text/x-include-url'):
        boot.plan('#include\nhttp://example.com/x\n')
    with pytest.raises(boot.UserDataError, match='not valid YAML'):
        boot.plan('#cloud-config\nruncmd: [\n')
    ignition = boot.plan(IGNITION)
    assert ignition.empty() and b'3.3.0' in ignition.ignition


def test_the_image_label_chooses_run_record_or_the_kubernetes_stand_in():
    boot = _standin_boot()
    mode = boot.user_data_mode
    assert mode({}, 'i') == boot.USER_DATA_RUN
    assert mode({boot.USER_DATA_LABEL: 'record'}, 'i') == 'record'
    assert mode({boot.USER_DATA_LABEL: 'kubernetes-api'},
                'i') == boot.USER_DATA_KUBERNETES
    with pytest.raises(boot.UserDataError, match="'kubernetes'"):
        mode({boot.USER_DATA_LABEL: 'kubernetes'}, 'i')
    # A Kubernetes stand-in node: the user data is recorded with a note
    # saying why, and the runner runs the image's program, not the plan.
    plan = boot.plan(IGNITION)
    note = boot.not_run_note('img', boot.USER_DATA_KUBERNETES)
    with tarfile.open(fileobj=io.BytesIO(boot.archive(
            plan, IGNITION, 'node-0', not_run=note,
            kubernetes=True))) as tar:
        runner = tar.extractfile(boot.RUNNER.lstrip('/')).read().decode()
        recorded = tar.extractfile(boot.NOT_RUN_PATH.lstrip('/')).read()
        assert tar.extractfile(boot.INSTANCE_DIR.lstrip('/') +
                               '/user-data.txt').read() == IGNITION.encode()
    assert runner.splitlines()[-1] == (
        'exec python3 %s start' % boot.KUBERNETES_PROGRAM)
    assert b'kubernetes-api' in recorded and b'no kubelet' in recorded
