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

"""The local Docker driver's logic that needs no engine: names, labels,
flavors, ports, files given to containers, health aggregation and
template validation. magnum/tests/functional/test_local_driver.py runs
the driver against a real engine."""

import io
import json
import os
import socket
import tarfile
import types

import pytest

from magnum.common import certificates
from magnum.common import exception
from magnum.drivers.local import confinement
from magnum.drivers.local import driver as local_driver
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import images
from magnum.drivers.local import monitor
from magnum.drivers.local import network
from magnum.drivers.local import nodes
from magnum.drivers.local import swarm
from magnum.objects import fields

UUID = '1a2b3c4d-0000-4000-8000-000000000001'
HEALTH = fields.ClusterHealthStatus


def _group(name, role='worker', is_default=False,
           uuid='9f8e7d6c-0000-4000-8000-000000000002'):
    return types.SimpleNamespace(name=name, role=role, is_default=is_default,
                                 uuid=uuid, is_master=role == 'master')


def _swarm_node(hostname, state='ready', role='worker', reachability=None,
                node_id=None):
    return {'id': node_id or hostname, 'hostname': hostname, 'role': role,
            'state': state, 'reachability': reachability,
            'availability': 'active', 'labels': {}}


def _node(name, state='running', role=nodes.ROLE_WORKER):
    return nodes.Node(container=None, name=name, role=role, nodegroup='ng',
                      index=0, image='img', state=state, address='10.0.0.1')


# -- names and labels ---------------------------------------------------------

class TestNames:
    def test_default_groups_are_master_and_node(self, magnum_config):
        master = _group('default-master', 'master', is_default=True)
        worker = _group('default-worker', is_default=True)
        assert nodes.node_name(UUID, master, 0) == 'magnum-1a2b3c4d-master-0'
        assert nodes.node_name(UUID, worker, 3) == 'magnum-1a2b3c4d-node-3'
        assert nodes.network_name(UUID) == 'magnum-1a2b3c4d'
        assert nodes.lb_name(UUID) == 'magnum-1a2b3c4d-lb'

    def test_prefix_is_configurable(self, magnum_config):
        magnum_config.config(group='local_driver', name_prefix='dev')
        assert nodes.cluster_prefix(UUID) == 'dev-1a2b3c4d'

    def test_prefix_must_be_a_dns_label_part(self, magnum_config):
        with pytest.raises(ValueError):
            magnum_config.config(group='local_driver', name_prefix='Bad_')

    def test_other_groups_use_their_name(self):
        assert nodes.nodegroup_part(_group('gpu')) == 'gpu'

    @pytest.mark.parametrize('name', ['GPU Nodes', 'node', 'master', 'lb',
                                      '***'])
    def test_names_that_had_to_change_get_a_piece_of_uuid(self, name):
        # Two groups whose names differ only in what was dropped, or one
        # named like a default group, must not share node names.
        part = nodes.nodegroup_part(_group(name))
        assert part.endswith('-9f8e')
        assert part not in ('node', 'master', 'lb')

    def test_node_names_are_dns_labels(self):
        part = nodes.node_name(UUID, _group('x' * 200), 9999)
        assert len(part) <= 63
        assert all(c.isalnum() or c == '-' for c in part)

    def test_labels_say_whose_and_what(self):
        cluster = types.SimpleNamespace(uuid=UUID, name='c1')
        group = _group('gpu')
        labels = nodes.labels_for(cluster, nodes.ROLE_WORKER, group, 2,
                                  'img:1', 'local_swarm')
        assert labels == {
            nodes.LABEL_CLUSTER: UUID, nodes.LABEL_CLUSTER_NAME: 'c1',
            nodes.LABEL_ROLE: 'worker', nodes.LABEL_DRIVER: 'local_swarm',
            nodes.LABEL_NODEGROUP: group.uuid,
            nodes.LABEL_NODEGROUP_NAME: 'gpu', nodes.LABEL_INDEX: '2',
            nodes.LABEL_IMAGE: 'img:1'}

    @pytest.mark.parametrize('used, count, expected', [
        (set(), 2, [0, 1]),
        ({0, 2}, 2, [1, 3]),
        ({0, 1}, 0, []),
    ])
    def test_free_indexes_fill_the_gaps(self, used, count, expected):
        assert nodes.free_indexes(used, count) == expected


# -- flavors ------------------------------------------------------------------

class TestFlavors:
    @pytest.mark.parametrize('flavor, limits', [
        ('m1.tiny', (1.0, 512)),
        ('m1.small', (1.0, 1024)),
        ('m1.medium', (2.0, 2048)),
        ('m1.large', (2.0, 4096)),
        ('m1.xlarge', (4.0, 8192)),
    ])
    def test_documented_defaults(self, magnum_config, flavor, limits):
        assert nodes.flavor_limits(flavor) == limits

    @pytest.mark.parametrize('flavor', ['ds4G', None, ''])
    def test_unknown_flavor_gets_the_fallback(self, magnum_config, flavor):
        assert nodes.flavor_limits(flavor) == (1.0, 1024)

    def test_configured_mapping_and_fallback(self, magnum_config):
        magnum_config.config(group='local_driver',
                             flavors={'big': '8/0', 'half': '0.5/256'},
                             default_flavor='2/3072')
        assert nodes.flavor_limits('half') == (0.5, 256)
        assert nodes.flavor_limits('m1.tiny') == (2.0, 3072)

    def test_cpus_are_capped_at_the_hosts(self, magnum_config):
        magnum_config.config(group='local_driver', flavors={'big': '8/0'})
        assert nodes.flavor_limits('big', host_cpus=2) == (2.0, 0)

    def test_docker_options(self):
        assert nodes.resource_options(1.5, 512) == {
            'nano_cpus': 1500000000, 'mem_limit': '512m',
            'memswap_limit': '512m'}
        # Memory 0: no memory limit.
        assert nodes.resource_options(1, 0) == {'nano_cpus': 1000000000}

    @pytest.mark.parametrize('spec', ['1', 'a/512', '0/512', '1/-5', ''])
    def test_bad_limits(self, spec):
        with pytest.raises(nodes.FlavorInvalid):
            nodes.parse_limits(spec)


# -- ports --------------------------------------------------------------------

class TestPorts:
    def test_range(self):
        assert nodes.parse_port_range('23760-23999') == (23760, 23999)

    @pytest.mark.parametrize('text', ['0-10', '20-10', '1-70000', 'x-y', ''])
    def test_bad_range(self, text):
        with pytest.raises(ValueError):
            nodes.parse_port_range(text)

    def test_candidates_skip_used_ports_lowest_first(self):
        assert nodes.port_candidates(100, 105, {100, 102}) == [
            101, 103, 104, 105]
        assert nodes.port_candidates(100, 101, {100, 101}) == []

    @pytest.mark.parametrize('address, port', [
        ('tcp://127.0.0.1:23760', 23760),
        ('tcp://[::1]:2376', 2376),
        ('https://host.example:443/', 443),
        (None, None),
        ('tcp://no-port', None),
    ])
    def test_port_of_an_api_address(self, address, port):
        assert nodes.port_of(address) == port

    def test_a_listening_port_is_not_free(self):
        with socket.socket() as taken:
            taken.bind(('127.0.0.1', 0))
            taken.listen()
            port = taken.getsockname()[1]
            assert not engine_module.port_is_free('127.0.0.1', port)
        assert engine_module.port_is_free('127.0.0.1', port)

    @pytest.mark.parametrize('url, local', [
        ('unix:///var/run/docker.sock', True),
        ('tcp://127.0.0.1:2375', True),
        ('tcp://docker.example:2376', False),
    ])
    def test_local_engines(self, url, local):
        assert engine_module.is_local(url) is local

    @pytest.mark.parametrize('value, port', [(None, None), ('', None),
                                             ('23800', 23800)])
    def test_api_port_label(self, value, port):
        labels = {} if value is None else {'api_port': value}
        assert network.label_port(labels) == port

    @pytest.mark.parametrize('value', ['0', '70000', 'http'])
    def test_bad_api_port_label(self, value):
        with pytest.raises(exception.InvalidParameterValue,
                           match='api_port'):
            network.label_port({'api_port': value})

    def test_api_url(self, magnum_config):
        assert network.api_url(23760) == 'tcp://127.0.0.1:23760'
        magnum_config.config(group='local_driver', api_host='::1')
        assert network.api_url(23760) == 'tcp://[::1]:23760'

    def test_api_host(self, magnum_config):
        assert network.api_host() == '127.0.0.1'
        magnum_config.config(group='local_driver', api_host='docker.example')
        assert network.api_host() == 'docker.example'
        magnum_config.config(group='local_driver', api_host=None,
                             publish_address='0.0.0.0')
        assert network.api_host() not in ('0.0.0.0', '')


# -- what the engine shows, and what containers get ---------------------------

class TestContainers:
    def test_describe_reads_labels_address_and_published_port(self):
        container = types.SimpleNamespace(name='n0', status='running', attrs={
            'Config': {'Labels': {nodes.LABEL_ROLE: 'master',
                                  nodes.LABEL_NODEGROUP: 'ng1',
                                  nodes.LABEL_INDEX: '3',
                                  nodes.LABEL_IMAGE: 'img:2'}},
            'State': {'Status': 'exited'},
            'NetworkSettings': {'Networks': {
                'net': {'IPAddress': '172.29.3.4'},
                'other': {'IPAddress': '10.1.1.1'}}},
            'HostConfig': {'PortBindings': {'2376/tcp': [
                {'HostIp': '127.0.0.1', 'HostPort': '23761'}]}}})
        node = nodes.describe(container, 'net')
        assert (node.role, node.nodegroup, node.index, node.image,
                node.address, node.published_port) == (
            'master', 'ng1', 3, 'img:2', '172.29.3.4', 23761)
        assert node.is_master and not node.running

    def test_sans_name_the_node_and_loopback(self):
        node = _node('n0')
        assert nodes.node_sans(node, ['lb', None], ['127.0.0.1', '1.2.3.4']) \
            == (['n0', 'localhost', 'lb'], ['127.0.0.1', '10.0.0.1',
                                            '1.2.3.4'])

    def test_tls_archive_ends_with_the_marker(self):
        data = nodes.tls_archive('CA', 'CERT', 'KEY')
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = archive.getmembers()
            names = [m.name for m in members]
            assert names[-1] == 'etc/docker/tls/ready'
            assert 'etc/docker/tls/server-key.pem' in names
            key = archive.getmember('etc/docker/tls/server-key.pem')
            assert key.mode == 0o600
            assert archive.extractfile(key).read() == b'KEY'

    def test_node_command_waits_for_the_certificates(self):
        command = nodes.node_command()
        assert command[:2] == ['sh', '-c']
        # The node's own cgroups first, then the wait for the
        # certificates.
        assert command[2].startswith(confinement.CGROUP_SETUP + '\n')
        assert '\nwhile [ ! -e /etc/docker/tls/ready ]; do sleep 0.1; ' \
            'done\n' in command[2]
        # dockerd is restarted on SIGHUP (CA rotation), not exec'ed.
        assert '  dockerd --tlsverify ' in command[2]
        assert "' HUP\n" in command[2]

    def test_nodes_run_with_the_measured_privileges_only(self):
        options = nodes.NODE_RUN_OPTIONS
        assert options['cap_add'] == ['SYS_ADMIN', 'NET_ADMIN']
        assert 'cap_drop' not in options
        # No host cgroup tree, no privileged mode, no unconfined seccomp.
        assert 'volumes' not in options and 'privileged' not in options
        assert options['cgroupns'] == 'private'
        seccomp = [o for o in options['security_opt']
                   if o.startswith('seccomp=')]
        assert seccomp and seccomp[0] != 'seccomp=unconfined'
        profile = json.loads(seccomp[0][len('seccomp='):])
        denied = profile['syscalls'][0]['names']
        for call in ('open_by_handle_at', 'init_module', 'kexec_load',
                     'bpf', 'ptrace'):
            assert call in denied
        # What the node's own runc needs stays allowed.
        for call in ('keyctl', 'mount', 'unshare', 'setns', 'clone'):
            assert call not in denied

    def test_insecure_registries_are_quoted(self):
        command = nodes.node_command('reg.example:5000, bad;rm -rf /')[2]
        assert '--insecure-registry reg.example:5000' in command
        assert "--insecure-registry 'bad;rm -rf /'" in command

    def test_haproxy_passes_tls_through_to_every_manager(self):
        config = nodes.haproxy_config([('m0', '172.29.0.2'),
                                       ('m1', '172.29.0.3')])
        assert '    mode tcp' in config
        assert '    bind *:2376' in config
        assert '    server m0 172.29.0.2:2376' in config
        assert '    server m1 172.29.0.3:2376' in config

    def test_template_proxies_and_dns(self):
        template = types.SimpleNamespace(
            http_proxy='http://proxy:3128', https_proxy=None, no_proxy='x',
            dns_nameserver='8.8.8.8, 1.1.1.1')
        assert nodes.node_environment(template) == {
            'http_proxy': 'http://proxy:3128',
            'HTTP_PROXY': 'http://proxy:3128', 'no_proxy': 'x',
            'NO_PROXY': 'x'}
        assert nodes.dns_servers(template) == ['8.8.8.8', '1.1.1.1']


# -- health -------------------------------------------------------------------

class TestHealth:
    def test_all_ready_is_healthy(self):
        status, reason = monitor.aggregate(
            [_swarm_node('m0', role='manager', reachability='reachable'),
             _swarm_node('n0')],
            [_node('m0', role=nodes.ROLE_MASTER), _node('n0')])
        assert status == HEALTH.HEALTHY
        assert reason == {'m0.Ready': 'True', 'n0.Ready': 'True',
                          'api': 'ok'}

    def test_a_down_node_is_named(self):
        status, reason = monitor.aggregate(
            [_swarm_node('m0', role='manager', reachability='reachable'),
             _swarm_node('n0', state='down')],
            [_node('m0', role=nodes.ROLE_MASTER), _node('n0')])
        assert status == HEALTH.UNHEALTHY
        assert reason['n0.Ready'] == 'False'
        assert monitor.down_nodes(reason) == ['n0']

    def test_a_stopped_container_is_down_before_the_swarm_notices(self):
        status, reason = monitor.aggregate(
            [_swarm_node('n0'), _swarm_node('n1')],
            [_node('n0', state='exited'), _node('n1')])
        assert status == HEALTH.UNHEALTHY
        assert monitor.down_nodes(reason) == ['n0']

    def test_a_container_missing_from_the_swarm_is_down(self):
        status, reason = monitor.aggregate([_swarm_node('n0')],
                                           [_node('n0'), _node('n1')])
        assert status == HEALTH.UNHEALTHY
        assert reason['n1.Ready'] == 'False'

    def test_unreachable_manager_is_not_ready(self):
        status, reason = monitor.aggregate(
            [_swarm_node('m0', role='manager', reachability='unreachable')])
        assert status == HEALTH.UNHEALTHY
        assert reason['m0.Ready'] == 'False'

    def test_a_replaced_node_counts_once(self):
        # The old entry of a node made again under its name stays Down
        # until it is removed; the Ready one is the node.
        status, reason = monitor.aggregate(
            [_swarm_node('n0', state='down', node_id='old'),
             _swarm_node('n0', node_id='new')], [_node('n0')])
        assert (status, reason) == (HEALTH.HEALTHY,
                                    {'n0.Ready': 'True', 'api': 'ok'})

    def test_gone_nodes_do_not_count_when_the_engine_answers(self):
        status, _reason = monitor.aggregate(
            [_swarm_node('n0'), _swarm_node('removed', state='down')],
            [_node('n0')])
        assert status == HEALTH.HEALTHY

    def test_no_nodes_is_unhealthy(self):
        assert monitor.aggregate([], [])[0] == HEALTH.UNHEALTHY

    def _cluster(self, api_address):
        return types.SimpleNamespace(uuid=UUID, name='c1',
                                     api_address=api_address)

    def test_no_api_address_is_unknown(self):
        status, reason = monitor.LocalSwarmMonitor(
            None, self._cluster(None), engine=object()).poll_health_status()
        assert status == HEALTH.UNKNOWN
        assert reason == {'api': 'The cluster c1 is not accessible.'}

    def test_api_that_does_not_answer_is_unknown(self, monkeypatch):
        class Credentials:
            def __init__(self, context, cluster):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return False

        def refuse(*args, **kwargs):
            raise ConnectionRefusedError('connection refused')

        monkeypatch.setattr(swarm, 'Credentials', Credentials)
        monkeypatch.setattr(swarm, 'client', refuse)
        status, reason = monitor.LocalSwarmMonitor(
            None, self._cluster('tcp://127.0.0.1:23760'),
            engine=object()).poll_health_status()
        assert status == HEALTH.UNKNOWN
        assert reason['api'].startswith('The cluster c1 is not accessible. '
                                        'Its API at tcp://127.0.0.1:23760 '
                                        'does not answer')


class TestSwarmFacts:
    def test_describe_node(self):
        described = swarm.describe_node({
            'ID': 'abc', 'Version': {'Index': 7},
            'Description': {'Hostname': 'm0',
                            'Engine': {'EngineVersion': '20.10.24'}},
            'Spec': {'Role': 'manager', 'Availability': 'active',
                     'Labels': {'a': 'b'}},
            'Status': {'State': 'ready', 'Addr': '172.29.0.2'},
            'ManagerStatus': {'Reachability': 'reachable', 'Leader': True}})
        assert described == {
            'id': 'abc', 'hostname': 'm0', 'role': 'manager',
            'availability': 'active', 'labels': {'a': 'b'},
            'state': 'ready', 'address': '172.29.0.2',
            'reachability': 'reachable', 'leader': True, 'version': 7,
            'engine': '20.10.24'}
        assert swarm.is_ready(described)


# -- the driver's validation --------------------------------------------------

class FakeEngine:
    images = {'magnum/swarm-node:bookworm-1'}
    down = False
    url = 'unix:///fake.sock'

    lookups = 0

    def image(self, name):
        FakeEngine.lookups += 1
        if self.down:
            raise engine_module.EngineUnavailable(reason='engine down')
        if name not in self.images:
            raise engine_module.ImageMissing(reason='no %s' % name)
        return name

    def close(self):
        pass


@pytest.fixture
def driver():
    FakeEngine.down = False
    FakeEngine.images = {'magnum/swarm-node:bookworm-1'}
    FakeEngine.lookups = 0
    images.found_images.clear()
    made = local_driver.LocalSwarmDriver(engine_factory=FakeEngine)
    made.name = 'local_swarm'
    return made


def _template(**values):
    template = {'image_id': 'magnum/swarm-node:bookworm-1',
                'coe': 'swarm-mode', 'server_type': 'container',
                'labels': {}}
    template.update(values)
    return template


class TestValidation:
    def test_provides(self, driver):
        assert driver.provides == [{'server_type': 'container',
                                    'os': 'debian', 'coe': 'swarm-mode'}]

    def test_image_in_the_engine_makes_a_debian_template(self, driver):
        template = _template()
        driver.validate_cluster_template(None, template)
        assert template['cluster_distro'] == 'debian'

    def test_missing_image(self, driver):
        with pytest.raises(exception.ImageNotFound, match='magnum/nope:1'):
            driver.validate_cluster_template(
                None, _template(image_id='magnum/nope:1'))

    def test_no_image(self, driver):
        with pytest.raises(exception.InvalidParameterValue,
                           match='image_id must name a node image'):
            driver.validate_cluster_template(None, _template(image_id=None))

    def test_engine_down_is_503(self, driver):
        FakeEngine.down = True
        with pytest.raises(exception.ServiceUnavailable,
                           match='magnum-conductor log') as raised:
            driver.validate_cluster_template(None, _template())
        assert raised.value.code == 503
        assert 'engine down' not in str(raised.value)

    @pytest.mark.parametrize('values, message', [
        ({'coe': 'kubernetes'}, 'builds swarm-mode clusters'),
        ({'server_type': 'vm'}, 'server_type must be container'),
        ({'cluster_distro': 'fedora-coreos'}, 'run debian'),
        ({'tls_disabled': True}, 'tls_disabled cannot be set'),
        ({'labels': {'api_port': 'x'}}, 'api_port'),
    ])
    def test_what_it_cannot_build(self, driver, values, message):
        with pytest.raises(exception.InvalidParameterValue, match=message):
            driver.validate_cluster_template(None, _template(**values))

    def test_cluster_labels_and_image_are_checked(self, driver):
        template = types.SimpleNamespace(image_id='magnum/gone:1')
        with pytest.raises(exception.ImageNotFound):
            driver.validate_cluster(None, {'labels': {}}, template)
        with pytest.raises(exception.InvalidParameterValue):
            driver.validate_cluster(None, {'labels': {'api_port': '0'}},
                                    types.SimpleNamespace(
                                        image_id='magnum/swarm-node:'
                                        'bookworm-1'))

    def test_found_image_is_remembered_briefly(self, driver, monkeypatch):
        now = [1000.0]
        monkeypatch.setattr(images.time, 'monotonic', lambda: now[0])
        for _ in range(3):
            driver.validate_cluster_template(None, _template())
        assert FakeEngine.lookups == 1
        # Gone from the engine: still accepted while the answer stands...
        FakeEngine.images = set()
        now[0] += images.IMAGE_FOUND_SECONDS - 1
        driver.validate_cluster_template(None, _template())
        assert FakeEngine.lookups == 1
        # ...and refused once it expired.
        now[0] += 2
        with pytest.raises(exception.ImageNotFound):
            driver.validate_cluster_template(None, _template())
        assert FakeEngine.lookups == 2

    def test_missing_image_is_not_remembered(self, driver):
        with pytest.raises(exception.ImageNotFound):
            driver.validate_cluster_template(
                None, _template(image_id='magnum/new:1'))
        FakeEngine.images = {'magnum/new:1'}
        driver.validate_cluster_template(
            None, _template(image_id='magnum/new:1'))
        assert FakeEngine.lookups == 2

    def test_images_are_remembered_per_engine(self, driver, monkeypatch):
        driver.validate_cluster_template(None, _template())
        monkeypatch.setattr(FakeEngine, 'url', 'tcp://other:2376')
        driver.validate_cluster_template(None, _template())
        assert FakeEngine.lookups == 2

    def test_remembered_images_stay_bounded(self):
        found = images.FoundImages(60)
        for index in range(found.LIMIT * 2):
            found.remember('unix:///e.sock', 'image-%d' % index)
        assert len(found._until) <= found.LIMIT
        assert found.fresh('unix:///e.sock', 'image-%d' % (
            found.LIMIT * 2 - 1))

    def test_masters_must_be_odd(self, driver):
        with pytest.raises(exception.MasterNGSizeInvalid):
            driver.validate_master_size(2)
        driver.validate_master_size(3)

    def test_unknown_operations_are_not_resumed(self, driver):
        cluster = types.SimpleNamespace(uuid=UUID, status='UPDATE_IN_PROGRESS')
        assert driver.resume_operation(None, cluster, 'rotate ca') is False
        assert driver.resume_operation(None, cluster, 'upgrade') is True


class TestCredentials:
    @pytest.fixture(autouse=True)
    def pki(self, monkeypatch):
        monkeypatch.setattr(certificates, 'get_ca_certificate',
                            lambda context, cluster: 'CA PEM')
        monkeypatch.setattr(certificates, 'get_cluster_magnum_cert',
                            lambda context, cluster: ('CERT PEM', 'KEY PEM'))

    def _files(self, credentials):
        found = {}
        for path in (credentials.ca, credentials.cert, credentials.key):
            with open(path) as handle:
                found[os.path.basename(path)] = handle.read()
            assert os.stat(path).st_mode & 0o777 == 0o600
        return found

    def test_files_are_private_and_removed_after_use(self, magnum_config,
                                                      tmp_path):
        magnum_config.config(tempdir=str(tmp_path / 'private'))
        cluster = types.SimpleNamespace(uuid=UUID)
        with swarm.Credentials(None, cluster) as credentials:
            assert self._files(credentials) == {
                'ca.crt': 'CA PEM', 'client.crt': 'CERT PEM',
                'client.key': 'KEY PEM'}
            directory = credentials.directory
            assert directory.startswith(str(tmp_path / 'private'))
        assert not os.path.exists(directory)
        assert os.listdir(tmp_path / 'private') == []


# -- what a tenant is told never shows the host's insides ---------------------

# What must not reach a tenant: the engine's URL or socket, paths of the
# conductor's host.
INTERNAL = ('unix://', 'tcp://', 'npipe://', '/var/', '/run/', '/tmp/',
            '/etc/', '/home/', '/root/', '.sock', 'docker.sock')


class LeakyEngine:
    """Fails every look-up the way the real engine does, with its URL and
    socket path in its words."""

    url = 'unix:///var/run/magnum/docker.sock'
    failure = None

    def image(self, name):
        raise self.failure

    def close(self):
        pass


def _leaks(message):
    return [text for text in INTERNAL if text in message]


@pytest.mark.parametrize('failure', [
    engine_module.EngineUnavailable(reason=(
        'The Docker engine at unix:///var/run/magnum/docker.sock cannot be '
        'reached (connecting): /var/run/magnum/docker.sock: no such '
        'file. Start it')),
    engine_module.EngineError(reason=(
        'The Docker engine at tcp://10.0.0.5:2376 refused looking up '
        'image x: 500 /var/lib/docker/image is broken')),
    engine_module.ImageMissing(reason=(
        'Node image x is not in the Docker engine at '
        'unix:///var/run/magnum/docker.sock. Build it')),
])
def test_no_validation_error_shows_internal_urls_or_paths(failure,
                                                          monkeypatch):
    images.found_images.clear()
    LeakyEngine.failure = failure
    driver = local_driver.LocalSwarmDriver(engine_factory=LeakyEngine)
    driver.name = 'local_swarm'
    template = types.SimpleNamespace(
        image_id='x', coe='swarm-mode', server_type='container',
        driver=None, name='t', uuid='u')
    calls = [
        lambda: driver.validate_cluster_template(None, _template(
            image_id='x')),
        lambda: driver.validate_cluster(None, {'labels': {}}, template),
        lambda: driver.upgrade_cluster(None, None, template, 1, None),
    ]
    for call in calls:
        with pytest.raises(exception.MagnumException) as raised:
            call()
        assert raised.value.code in (400, 409, 503)
        assert _leaks(str(raised.value)) == [], str(raised.value)


def test_every_refusal_of_the_validation_is_clean(driver):
    refusals = []
    for values in ({'coe': 'kubernetes'}, {'server_type': 'vm'},
                   {'cluster_distro': 'fedora-coreos'},
                   {'tls_disabled': True}, {'labels': {'api_port': 'x'}},
                   {'image_id': None}, {'image_id': 'magnum/nope:1'}):
        with pytest.raises(exception.MagnumException) as raised:
            driver.validate_cluster_template(None, _template(**values))
        refusals.append(str(raised.value))
    for message in refusals:
        assert _leaks(message) == [], message


# -- who may have local clusters ----------------------------------------------

class TestAdmission:

    @staticmethod
    def context(project_id='p-1', project_name='demo', is_admin=False):
        return types.SimpleNamespace(project_id=project_id,
                                     project_name=project_name,
                                     is_admin=is_admin)

    @staticmethod
    def check(driver, context):
        template = types.SimpleNamespace(
            image_id='magnum/swarm-node:bookworm-1')
        driver.validate_cluster(context, {'labels': {}}, template)

    def test_under_keystone_an_unlisted_project_gets_a_403_saying_why(
            self, driver, magnum_config):
        magnum_config.config(auth_strategy='keystone')
        with pytest.raises(exception.DriverNotAllowed) as raised:
            self.check(driver, self.context())
        assert raised.value.code == 403
        message = str(raised.value)
        assert 'p-1' in message and 'local_swarm' in message
        assert 'root' in message
        assert '[local_driver] allowed_projects' in message
        # Refused before the engine is asked.
        assert FakeEngine.lookups == 0

    @pytest.mark.parametrize('listed', [['p-1'], ['x', ' p-1 ']])
    def test_a_listed_project_may(self, driver, magnum_config, listed):
        magnum_config.config(auth_strategy='keystone')
        magnum_config.config(group='local_driver', allowed_projects=listed)
        self.check(driver, self.context())

    def test_a_name_is_not_an_id(self, driver, magnum_config):
        magnum_config.config(auth_strategy='keystone')
        magnum_config.config(group='local_driver', allowed_projects=['demo'])
        with pytest.raises(exception.DriverNotAllowed):
            self.check(driver, self.context())

    def test_the_admin_role_may(self, driver, magnum_config):
        magnum_config.config(auth_strategy='keystone')
        self.check(driver, self.context(is_admin=True))

    def test_noauth_allows_everyone(self, driver, magnum_config):
        magnum_config.config(auth_strategy='noauth')
        self.check(driver, self.context(project_id=None,
                                        project_name=None))

    def test_templates_stay_open_to_everyone(self, driver, magnum_config):
        # A template builds nothing; the cluster is the boundary.
        magnum_config.config(auth_strategy='keystone')
        driver.validate_cluster_template(self.context(), _template())
