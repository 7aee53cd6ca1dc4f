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

"""The DevStack plugin (devstack/): shellcheck-clean, and each phase
stack.sh, unstack.sh and clean.sh run does what it should.

DevStack itself cannot run here (it wants a whole cloud on this machine).
The plugin is sourced as DevStack sources it, with DevStack's functions
replaced by the stand-ins of STUBS below: ``iniset`` writes the file for
real (so the configuration files the plugin writes are read back and
loaded by Magnum's own options), every other function records its call.
What this proves: the files written, the catalog entry asked for, the
processes started and the commands run, in order. What it does not: that
DevStack's real functions behave as the stand-ins assume (their
signatures are those of DevStack's lib/ files at the time of writing),
that uWSGI behind Apache serves the path (test_keystone_catalog.py serves
the same application under /container-infra with uWSGI), or that the
Docker engine and node image scripts work under DevStack's user.
"""

import configparser
import os
import shutil
import subprocess

from oslo_config import cfg
import pytest

import magnum
from magnum import conf
from magnum.common import legacy_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(magnum.__file__)))
DEVSTACK = os.path.join(REPO, 'devstack')
SCRIPTS = [os.path.join(DEVSTACK, name)
           for name in ('settings', 'plugin.sh', os.path.join('lib',
                                                              'magnum'))]
SETUP_HINT = 'tools/run-tests.sh installs it (tools/common.sh ' \
    'ensure_test_tools), or apt-get install shellcheck'

# DevStack's functions, as the plugin uses them. RECORD is a file with
# one line per call.
STUBS = r'''
record() { printf '%s\n' "$*" >>"$RECORD"; }
iniset() {
    # DevStack's iniset: set option $3 of section $2 in file $1 to $4
    # (the file and the section made when missing).
    local file=$1 section=$2 option=$3 value=$4
    [[ -f "$file" ]] || : >"$file"
    grep -qxF "[$section]" "$file" || printf '[%s]\n' "$section" >>"$file"
    awk -v header="[$section]" -v option="$option" -v value="$value" '
        /^\[/ { if (inside && !done) { print option " = " value; done = 1 }
                inside = ($0 == header) }
        inside && !done && index($0, option " = ") == 1 {
            print option " = " value; done = 1; next }
        { print }
        END { if (!done) print option " = " value }
    ' "$file" >"$file.new" && mv "$file.new" "$file"
}
is_service_enabled() {
    local service
    for service in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$service,"* ]] && return 0
    done
    return 1
}
enable_service() {
    record enable_service "$@"
    local service
    for service in "$@"; do ENABLED_SERVICES+=",$service"; done
}
use_library_from_git() { [[ ",$LIBS_FROM_GIT," == *",$1,"* ]]; }
get_python_exec_prefix() { echo "$STUB_BIN"; }
die() { shift; echo "die: $*" >&2; exit 3; }
echo_summary() { :; }
iniset_rpc_backend() {
    record iniset_rpc_backend "$@"
    iniset "$2" DEFAULT transport_url "rabbit://stackrabbit:secret@10.0.0.5:5672/"
}
database_connection_url() {
    echo "mysql+pymysql://root:secret@127.0.0.1/$1?charset=utf8"
}
configure_keystone_authtoken_middleware() {
    record configure_keystone_authtoken_middleware "$@"
    iniset "$1" keystone_authtoken auth_type password
    iniset "$1" keystone_authtoken username "$2"
}
write_uwsgi_config() {
    record write_uwsgi_config "$@"
    iniset "$1" uwsgi module "$2"
    iniset "$1" uwsgi socket "/var/run/uwsgi/$5.socket"
}
sudo() {
    record sudo "$@"
    # Directories and files under the test's own temporary tree are made
    # and removed for real; the rest only recorded.
    case "$1" in
        install) shift; command install "${@/#-o/-v}" >/dev/null ;;
        rm) command "$@" ;;
    esac
}
for name in git_clone git_clone_by_name setup_develop setup_dev_lib \
        pip_install pip_install_gr create_service_user \
        get_or_create_endpoint recreate_database run_process stop_process \
        wait_for_service remove_uwsgi_config; do
    eval "$name() { record $name \"\$@\"; }"
done
get_or_create_service() { record get_or_create_service "$@"; echo svc-id; }
openstack() {
    record openstack "$@"
    [[ "$1 $2" == "project show" ]] && echo "id-of-$3"
    return 0
}
'''


def run_phase(tmp_path, *phases, **environment):
    """Source settings, the stubs and plugin.sh for each phase in turn (as
    stack.sh does, in one shell); returns (CompletedProcess, calls)."""
    root = tmp_path / 'root'
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(parents=True, exist_ok=True)
    for command in ('magnum-db-manage', 'magnum-conductor'):
        script = bin_dir / command
        script.write_text('#!/bin/bash\nprintf "%%s\\n" "%s $*" >>"$RECORD"\n'
                          % command)
        script.chmod(0o755)
    (tmp_path / 'stubs.sh').write_text(STUBS)
    record = tmp_path / 'calls'
    env = {
        'PATH': os.environ['PATH'], 'HOME': str(tmp_path),
        'RECORD': str(record), 'STUB_BIN': str(bin_dir),
        'DEST': str(tmp_path / 'opt'), 'DATA_DIR': str(root / 'data'),
        'MAGNUM_DIR': REPO, 'MAGNUM_CONF_DIR': str(root / 'etc'),
        'GIT_BASE': 'https://opendev.org', 'STACK_USER': 'stack',
        'SERVICE_HOST': '10.0.0.5', 'SERVICE_PROTOCOL': 'http',
        'REGION_NAME': 'RegionOne', 'SERVICE_PASSWORD': 'secret',
        'SERVICE_PROJECT_NAME': 'service', 'SERVICE_DOMAIN_NAME': 'Default',
        'KEYSTONE_SERVICE_URI': 'http://10.0.0.5/identity',
        'ENABLE_DEBUG_LOG_LEVEL': 'True', 'API_WORKERS': '2',
        'SERVICE_TIMEOUT': '60', 'IMAGE_URLS': 'http://images/cirros.img',
        'ENABLED_SERVICES': 'key,mysql,rabbit,g-api,n-api,q-svc,h-eng,h-api',
        'LIBS_FROM_GIT': '',
    }
    env.update(environment)
    calls = ' '.join('source "$MAGNUM_DIR/devstack/plugin.sh" %s;' % phase
                     for phase in phases)
    script = ('declare -A GITREPO GITBRANCH GITDIR; '
              'source "%s"; source "$MAGNUM_DIR/devstack/settings"; %s '
              'echo "IMAGE_URLS=$IMAGE_URLS"' % (tmp_path / 'stubs.sh',
                                                 calls))
    result = subprocess.run(['bash', '-eu', '-c', script], env=env,
                            capture_output=True, text=True, timeout=120)
    lines = record.read_text().splitlines() if record.exists() else []
    # settings enables the services each time it is sourced.
    return result, [line for line in lines
                    if line != 'enable_service magnum-api magnum-cond']


def read_ini(path):
    parser = configparser.RawConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def test_the_scripts_pass_shellcheck():
    shellcheck = shutil.which('shellcheck')
    if shellcheck is None:
        pytest.fail('shellcheck is not installed: %s' % SETUP_HINT,
                    pytrace=False)
    result = subprocess.run(
        [shellcheck, '--shell=bash', '--severity=style', '--external-sources']
        + SCRIPTS, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_takes_the_client_from_pypi_or_git(tmp_path):
    result, calls = run_phase(tmp_path, 'stack install')
    assert result.returncode == 0, result.stderr
    assert 'pip_install_gr python-magnumclient' in calls
    assert 'setup_develop %s' % REPO in calls
    assert 'pip_install uwsgi' in calls
    result, calls = run_phase(tmp_path / 'git', 'stack install',
                              LIBS_FROM_GIT='python-magnumclient')
    assert result.returncode == 0, result.stderr
    assert 'git_clone_by_name python-magnumclient' in calls
    assert 'setup_dev_lib python-magnumclient' in calls
    assert not [c for c in calls if c.startswith('pip_install_gr')]


def test_post_config_writes_a_configuration_magnum_reads(tmp_path):
    result, calls = run_phase(tmp_path, 'stack post-config')
    assert result.returncode == 0, result.stderr
    etc = tmp_path / 'root' / 'etc'
    config = read_ini(etc / 'magnum.conf')
    assert config.get('DEFAULT', 'auth_strategy') == 'keystone'
    assert config.get('DEFAULT', 'transport_url').startswith('rabbit://')
    assert config.get('database', 'connection') == \
        'mysql+pymysql://root:secret@127.0.0.1/magnum?charset=utf8'
    lock_path = config.get('oslo_concurrency', 'lock_path')
    assert lock_path == str(tmp_path / 'root' / 'data' / 'magnum' / 'lock')
    assert os.path.isdir(lock_path)
    assert config.get('api', 'api_paste_config') == str(etc /
                                                         'api-paste.ini')
    assert (etc / 'api-paste.ini').read_text() == open(
        os.path.join(REPO, 'etc', 'magnum', 'api-paste.ini')).read()
    assert config.get('keystone_auth', 'username') == 'magnum'
    assert config.get('keystone_auth', 'auth_url') == \
        'http://10.0.0.5/identity/v3'
    # The drivers: local_swarm, k8s_vm and swarm_vm by default.
    assert config.get('drivers', 'disabled_drivers') == 'k8s_bm'
    assert config.get('local_driver', 'docker_host') == 'unix://%s' % (
        tmp_path / 'root' / 'data' / 'magnum-docker' / 'docker.sock')
    # Project IDs, looked up by name.
    assert 'openstack project show demo -f value -c id' in calls
    assert config.get('local_driver', 'allowed_projects') == 'id-of-demo'
    assert config.get('cloud_validation', 'enabled') == 'True'
    assert config.get('heat_driver', 'global_stack_list') == 'False'
    assert config.get('heat_client', 'region_name') == 'RegionOne'
    # uWSGI serves the application object under the catalog's path.
    assert 'write_uwsgi_config %s magnum.wsgi.api:application ' \
        '/container-infra  magnum-api' % (etc / 'magnum-api-uwsgi.ini') \
        in calls
    uwsgi = read_ini(etc / 'magnum-api-uwsgi.ini')
    assert uwsgi.get('uwsgi', 'module') == 'magnum.wsgi.api:application'
    assert uwsgi.get('uwsgi', 'env') == \
        'MAGNUM_CONFIG_FILE=%s' % (etc / 'magnum.conf')
    # The catalog entry upstream's DevStack makes.
    assert 'create_service_user magnum admin' in calls
    assert 'get_or_create_service magnum container-infra Container ' \
        'Infrastructure Management Service' in calls
    assert 'get_or_create_endpoint svc-id RegionOne ' \
        'http://10.0.0.5/container-infra/v1' in calls


def test_every_option_written_is_one_magnum_reads(tmp_path):
    result, _ = run_phase(tmp_path, 'stack post-config')
    assert result.returncode == 0, result.stderr
    path = str(tmp_path / 'root' / 'etc' / 'magnum.conf')
    config = cfg.ConfigOpts()
    conf.register_opts(config)
    config(['--config-file', path], project='magnum',
           default_config_files=[], default_config_dirs=[])
    assert legacy_config.unread_options(config) == []
    assert config.drivers.disabled_drivers == ['k8s_bm']
    assert config.api.workers == 2
    assert config.cloud_validation.enabled is True


def test_only_the_local_driver_needs_no_heat(tmp_path):
    result, _ = run_phase(tmp_path, 'stack post-config',
                          MAGNUM_DRIVERS='local_swarm',
                          MAGNUM_LOCAL_ALLOWED_PROJECTS='demo,alt_demo',
                          ENABLED_SERVICES='key,mysql,rabbit')
    assert result.returncode == 0, result.stderr
    config = read_ini(tmp_path / 'root' / 'etc' / 'magnum.conf')
    assert config.get('local_driver', 'allowed_projects') == \
        'id-of-demo,id-of-alt_demo'
    assert config.get('drivers', 'disabled_drivers') == \
        'swarm_vm,k8s_vm,k8s_bm'
    assert config.get('cloud_validation', 'enabled') == 'False'
    assert not config.has_section('heat_driver')


def test_heat_drivers_without_heat_stop_with_what_to_do(tmp_path):
    result, _ = run_phase(tmp_path, 'stack post-config',
                          ENABLED_SERVICES='key,mysql,rabbit')
    assert result.returncode == 3
    assert 'enable Heat' in result.stderr


def test_extra_migrates_prepares_the_local_driver_and_starts(tmp_path):
    result, calls = run_phase(tmp_path, 'stack post-config', 'stack extra')
    assert result.returncode == 0, result.stderr
    etc = tmp_path / 'root' / 'etc'
    started = calls[calls.index('recreate_database magnum'):]
    docker_state = tmp_path / 'root' / 'data' / 'magnum-docker'
    sock = docker_state / 'docker.sock'
    engine = os.path.join(REPO, 'tools', 'docker-engine.sh')
    image = os.path.join(REPO, 'tools', 'build-node-image.sh')
    assert started == [
        'recreate_database magnum',
        'magnum-db-manage --config-file %s upgrade' % (etc / 'magnum.conf'),
        'sudo MAGNUM_DOCKER_STATE=%s %s start' % (docker_state, engine),
        'sudo groupadd -f docker',
        'sudo usermod -a -G docker stack',
        'sudo chgrp docker %s' % sock,
        'sudo chmod 660 %s' % sock,
        'sudo MAGNUM_DOCKER_STATE=%s DOCKER_HOST=unix://%s '
        'MAGNUM_NODE_IMAGE_TAG=bookworm-1 %s' % (docker_state, sock, image),
        'run_process magnum-api %s --procname-prefix magnum-api --ini %s' % (
            shutil.which('uwsgi') or '', etc / 'magnum-api-uwsgi.ini'),
        'wait_for_service 60 http://10.0.0.5/container-infra/',
        'run_process magnum-cond %s --config-file %s' % (
            tmp_path / 'bin' / 'magnum-conductor', etc / 'magnum.conf'),
    ]


def test_a_guest_image_for_the_heat_drivers(tmp_path):
    url = 'https://images.example.com/fedora-coreos-40.qcow2.xz'
    result, calls = run_phase(tmp_path, 'stack extra',
                              MAGNUM_DRIVERS='k8s_vm',
                              MAGNUM_GUEST_IMAGE_URL=url)
    assert result.returncode == 0, result.stderr
    assert 'IMAGE_URLS=http://images/cirros.img,%s' % url in result.stdout
    assert 'openstack image set --property os_distro=fedora-coreos ' \
        'fedora-coreos-40' in calls
    assert not [c for c in calls if 'docker-engine.sh' in c]


def test_unstack_stops_and_clean_removes(tmp_path):
    result, _ = run_phase(tmp_path, 'stack post-config')
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'root' / 'etc' / 'magnum.conf').exists()
    (tmp_path / 'calls').unlink()
    result, calls = run_phase(tmp_path, 'unstack', 'clean')
    assert result.returncode == 0, result.stderr
    etc = tmp_path / 'root' / 'etc'
    state = tmp_path / 'root' / 'data' / 'magnum'
    assert calls[:3] == [
        'stop_process magnum-api', 'stop_process magnum-cond',
        'remove_uwsgi_config %s magnum-api' % (etc / 'magnum-api-uwsgi.ini')]
    assert 'sudo MAGNUM_DOCKER_STATE=%s %s stop' % (
        tmp_path / 'root' / 'data' / 'magnum-docker',
        os.path.join(REPO, 'tools', 'docker-engine.sh')) in calls
    assert 'sudo rm -rf %s %s' % (state, etc) in calls
    assert not etc.exists() and not state.exists()


def test_test_config_tells_tempest_where_magnum_is(tmp_path):
    tempest = tmp_path / 'tempest.conf'
    result, _ = run_phase(tmp_path, 'stack test-config',
                          TEMPEST_CONFIG=str(tempest),
                          ENABLED_SERVICES='key,tempest,h-eng')
    assert result.returncode == 0, result.stderr
    config = read_ini(tempest)
    assert config.get('service_available', 'magnum') == 'True'
    assert config.get('magnum', 'catalog_type') == 'container-infra'
    result, _ = run_phase(tmp_path / 'none', 'stack test-config',
                          TEMPEST_CONFIG=str(tmp_path / 'none.conf'),
                          ENABLED_SERVICES='key')
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / 'none.conf').exists()
