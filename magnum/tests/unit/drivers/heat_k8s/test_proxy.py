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

"""A cluster template's http_proxy, https_proxy and no_proxy on its
Kubernetes nodes: refused with a 400 when a node could not use them,
rendered for containerd (image pulls) and the set-up script (downloads),
never for the kubelet, with no_proxy always holding what the cluster
reaches directly. (test_bootconfig checks the proxied configurations
against the Ignition and cloud-init schemas and shellcheck.)"""

import json
import os
import shlex
import subprocess

import pytest

from magnum.common import exception
from magnum.drivers.heat import driver as heat_driver
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.k8s_vm import driver as vm_driver
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import cloudconfig
from magnum.drivers.heat.kubernetes import ignition
from magnum.drivers.heat.kubernetes import proxy as k8s_proxy
from magnum.tests.unit.drivers.heat_k8s import test_driver

# Autouse: a few keys, reused (what goes where is tested, not the keys).
from magnum.tests.unit.drivers.heat_k8s.test_driver import few_keys  # noqa

HTTP = 'http://proxy.example.com:3128'
HTTPS = 'http://proxy.example.com:3129'


# -- what the API refuses -----------------------------------------------------

def test_usable_proxies_pass():
    k8s_proxy.validate({
        'http_proxy': HTTP, 'https_proxy': 'https://u:p%40w@[2001:db8::1]:8443',
        'no_proxy': '.corp.example.com,10.0.0.0/8,registry.local:5000,*'})
    k8s_proxy.validate({})


@pytest.mark.parametrize('field, value', [
    ('http_proxy', 'proxy.example.com:3128'),     # no scheme
    ('http_proxy', 'socks5://proxy:1080'),
    ('https_proxy', 'http://'),
    ('https_proxy', 'http://proxy:port'),
    ('http_proxy', 'http://proxy example.com'),
    ('http_proxy', 'http://proxy;reboot'),
    ('no_proxy', 'a.example.com, b.example.com'),
    ('no_proxy', "a.example.com,'b'"),
    ('no_proxy', '$(reboot)'),
    ('no_proxy', 'a\nb'),
])
def test_what_a_node_could_not_use_is_a_400_naming_it(field, value):
    with pytest.raises(exception.InvalidParameterValue) as caught:
        k8s_proxy.validate({field: value})
    assert caught.value.code == 400
    assert field in str(caught.value)


def test_the_driver_refuses_a_bad_proxy_before_any_look_up():
    driver = vm_driver.KubernetesVMDriver()
    driver.name = 'k8s_vm'
    with pytest.raises(exception.InvalidParameterValue) as caught:
        driver.validate_cluster_template(None, {
            'coe': 'kubernetes', 'server_type': 'vm',
            'https_proxy': 'proxy:3128 x'})
    assert 'https_proxy' in str(caught.value)


# -- what a node gets ---------------------------------------------------------

def test_no_proxy_alone_sets_nothing():
    template = type('T', (), {'no_proxy': 'a.example.com'})()
    assert k8s_proxy.for_nodes(template, ['10.0.0.0/24']) is None


def test_no_proxy_is_the_operators_then_what_must_stay_direct():
    template = type('T', (), {'https_proxy': HTTPS,
                              'no_proxy': ' .corp , 10.0.0.0/24,'})()
    found = k8s_proxy.for_nodes(template, ['10.0.0.0/24', '10.0.0.10'])
    assert found.no_proxy == ('.corp', '10.0.0.0/24', 'localhost',
                              '127.0.0.1', '169.254.169.254', '10.0.0.10')
    environment = found.environment()
    assert environment['HTTPS_PROXY'] == environment['https_proxy'] == HTTPS
    assert 'HTTP_PROXY' not in environment  # none given
    assert environment['no_proxy'] == ','.join(found.no_proxy)


@pytest.fixture
def rendered(issuer):
    """{(distro, role): {path: content}} of nodes of a template with
    proxies: 3 masters behind the load balancer, 2 workers."""
    found = {}
    for distro in ('fedora-coreos', 'ubuntu'):
        work = test_driver._work(
            issuer, distro=distro, http_proxy=HTTP, https_proxy=HTTPS,
            no_proxy='.corp.example.com,192.168.0.0/16')
        heat_driver.RenderBootConfiguration().execute(work)
        for nodegroup in work.nodegroups:
            text = work.node_parameters[definition.node_parameter(
                definition.nodegroup_key(nodegroup), '0')]
            files = (ignition.files_of(text) if distro == 'fedora-coreos'
                     else cloudconfig.files_of(text))
            found[(distro, nodegroup.role)] = files
    return found


def _env(content):
    values = {}
    for line in content.splitlines():
        if line and not line.startswith('#'):
            key, _sep, value = line.partition('=')
            values[key] = shlex.split(value)[0] if value else ''
    return values


def test_every_node_gets_the_proxies_and_what_stays_direct(rendered):
    for (distro, role), files in rendered.items():
        env = _env(files[bootconfig.PROXY_ENV])
        assert env['HTTP_PROXY'] == env['http_proxy'] == HTTP
        assert env['HTTPS_PROXY'] == env['https_proxy'] == HTTPS
        assert env['NO_PROXY'] == env['no_proxy']
        direct = env['NO_PROXY'].split(',')
        # The operator's own entries first, as given.
        assert direct[:2] == ['.corp.example.com', '192.168.0.0/16']
        for entry in ('localhost', '127.0.0.1', '169.254.169.254',
                      '10.0.0.0/24',                     # the cluster's subnet
                      '10.0.0.10', '10.0.0.11', '10.0.0.12',  # masters
                      '10.0.0.9',                        # the API's VIP
                      '10.100.0.0/16', '10.254.0.0/16',  # pods, services
                      '10.254.0.1', '.svc', '.cluster.local'):
            assert entry in direct, (distro, role, entry)
        assert len(direct) == len(set(direct))


def test_the_proxy_environment_is_roots_only(issuer):
    """A proxy URL may carry a password: the file is 0600 on the node."""
    work = test_driver._work(issuer, masters=1, lb=False,
                             https_proxy='http://u:secret@proxy:3128')
    heat_driver.RenderBootConfiguration().execute(work)
    for text in work.node_parameters.values():
        entry = [f for f in json.loads(text)['storage']['files']
                 if f['path'] == bootconfig.PROXY_ENV][0]
        assert entry['mode'] == 0o600


def test_containerd_pulls_through_them_and_the_kubelet_does_not(rendered):
    for (distro, role), files in rendered.items():
        dropin = files[bootconfig.CONTAINERD_PROXY]
        assert '[Service]\nEnvironmentFile=%s\n' % bootconfig.PROXY_ENV in \
            dropin
        assert 'PROXY_ENV=%s' % bootconfig.PROXY_ENV in files[
            bootconfig.ENV_PATH]
        kubelet = files[bootconfig.KUBELET_ENV] + files.get(
            '/etc/systemd/system/kubelet.service', '')
        assert 'proxy.example.com' not in kubelet
        assert bootconfig.PROXY_ENV not in kubelet


def test_without_proxies_nodes_get_none(issuer):
    work = test_driver._work(issuer, masters=1, lb=False,
                             no_proxy='.corp.example.com')
    heat_driver.RenderBootConfiguration().execute(work)
    for text in work.node_parameters.values():
        files = ignition.files_of(text)
        assert bootconfig.PROXY_ENV not in files
        assert bootconfig.CONTAINERD_PROXY not in files
        assert "PROXY_ENV=''" in files[bootconfig.ENV_PATH]


def _function(name):
    """One shell function of the set-up script, as text."""
    with open(bootconfig.SCRIPT_SOURCE) as handle:
        lines = handle.read().splitlines()
    start = lines.index('%s() {' % name)
    end = lines.index('}', start)
    return '\n'.join(lines[start:end + 1]) + '\n'


def test_the_set_up_script_hands_the_proxies_to_what_it_runs(rendered,
                                                             tmp_path):
    """use_proxies exports them: curl, apt-get, kubectl and containerd
    (started by the script where there is no systemd) see them."""
    files = rendered[('ubuntu', 'worker')]
    (tmp_path / 'proxy.env').write_text(files[bootconfig.PROXY_ENV])
    script = ('set -euo pipefail\nlog() { :; }\n' + _function('use_proxies') +
              'use_proxies\nenv\n')
    result = subprocess.run(
        ['bash', '-c', script],
        env={'PATH': os.environ['PATH'],
             'PROXY_ENV': str(tmp_path / 'proxy.env')},
        capture_output=True, text=True, check=True)
    seen = dict(line.split('=', 1) for line in result.stdout.splitlines()
                if '=' in line)
    assert seen['http_proxy'] == seen['HTTP_PROXY'] == HTTP
    assert seen['https_proxy'] == HTTPS
    assert '10.0.0.0/24' in seen['no_proxy'].split(',')
    # Without proxies it changes nothing.
    quiet = subprocess.run(['bash', '-c', script],
                           env={'PATH': os.environ['PATH'], 'PROXY_ENV': ''},
                           capture_output=True, text=True, check=True)
    assert 'http_proxy' not in quiet.stdout.lower().replace('proxy_env', '')
