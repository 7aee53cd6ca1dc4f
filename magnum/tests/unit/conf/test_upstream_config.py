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

"""An upstream Magnum's magnum.conf loads unchanged: the options this
Magnum implements keep their meaning, and each one it does not read is
logged once at start-up with what to do instead, never an error
(magnum/common/legacy_config.py)."""

import json
import os
import subprocess
import sys

from oslo_config import cfg
import pytest

from magnum import conf
from magnum.common import legacy_config
from magnum.conf import keystone_auth

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
UPSTREAM_CONF = os.path.join(DATA, 'upstream-magnum.conf')

# What upstream's file sets that this Magnum no longer reads.
DROPPED = {
    ('profiler', 'enabled'), ('profiler', 'trace_sqlalchemy'),
    ('profiler', 'hmac_keys'),
    ('cluster_heat', 'max_attempts'), ('cluster_heat', 'wait_interval'),
    ('cluster_heat', 'create_timeout'),
    ('trust', 'cluster_user_trust'), ('trust', 'trustee_domain_id'),
    ('trust', 'trustee_domain_name'), ('trust', 'trustee_domain_admin_id'),
    ('trust', 'trustee_domain_admin_name'),
    ('trust', 'trustee_domain_admin_domain_id'),
    ('trust', 'trustee_domain_admin_domain_name'),
    ('trust', 'trustee_domain_admin_password'), ('trust', 'roles'),
    ('trust', 'trustee_keystone_interface'),
    ('trust', 'trustee_keystone_region_name'),
    # Options nothing here read (issue: an option exists only if code
    # reads it); each is reported with what to do instead.
    ('DEFAULT', 'max_manifest_size'), ('DEFAULT', 'password_symbols'),
    ('DEFAULT', 'periodic_interval_max'), ('DEFAULT', 'rootwrap_config'),
    ('barbican_client', 'endpoint_type'), ('barbican_client', 'region_name'),
    ('cinder_client', 'endpoint_type'), ('cinder_client', 'region_name'),
    ('cluster', 'etcd_discovery_service_endpoint_format'),
    ('cluster', 'nodes_affinity_policy'),
    ('cluster', 'pre_delete_lb_timeout'), ('cluster', 'temp_cache_dir'),
    ('docker', 'api_insecure'), ('docker', 'ca_file'),
    ('docker', 'cert_file'), ('docker', 'default_timeout'),
    ('docker', 'docker_remote_api_version'), ('docker', 'key_file'),
    ('docker_registry', 'swift_region'),
    ('docker_registry', 'swift_registry_container'),
    ('drivers', 'openstack_ca_file'), ('drivers', 'verify_ca'),
    ('heat_client', 'ca_file'), ('heat_client', 'cert_file'),
    ('heat_client', 'insecure'), ('heat_client', 'key_file'),
    ('kubernetes', 'keystone_auth_default_policy'),
    ('kubernetes', 'post_install_manifest_url'),
    ('magnum_client', 'endpoint_type'), ('magnum_client', 'region_name'),
    ('octavia_client', 'ca_file'), ('octavia_client', 'cert_file'),
    ('octavia_client', 'endpoint_type'), ('octavia_client', 'insecure'),
    ('octavia_client', 'key_file'), ('octavia_client', 'region_name'),
}


@pytest.fixture
def upstream_sections():
    return legacy_config.read_sections([UPSTREAM_CONF])


@pytest.fixture
def upstream_conf(magnum_config, tmp_path):
    """CONF parsed from the upstream file (state in tmp_path)."""
    path = tmp_path / 'magnum.conf'
    text = open(UPSTREAM_CONF).read().replace(
        '/var/lib/magnum\n', str(tmp_path) + '\n')
    path.write_text(text)
    conf.CONF(['--config-file', str(path)], project='magnum',
              default_config_files=[], default_config_dirs=[])
    return conf.CONF


def _magnum_options():
    """{(group, name): opt} of every option magnum/conf declares (with the
    keystoneauth1 options of [keystone_auth])."""
    from magnum.conf import opts
    options = {}
    for group, group_opts in opts.list_opts():
        name = getattr(group, 'name', group) or 'DEFAULT'
        for opt in group_opts:
            options[(name, opt.dest)] = opt
    return options


def test_exactly_the_dropped_options_are_unread(upstream_conf):
    unread = legacy_config.unread_options(upstream_conf)
    assert {(group, key) for group, key, _ in unread} == DROPPED
    for group, key, advice in unread:
        assert advice, (group, key)


def test_each_implemented_option_reads_the_upstream_value(
        upstream_sections):
    """Every option of the file that Magnum declares parses to the value
    the file gives (same name, same type), not to a default."""
    config = cfg.ConfigOpts()
    conf.register_opts(config)
    # What magnum.common.keystone registers when it is imported. The
    # options of the auth plugin itself (auth_url, username, ...) are
    # keystoneauth1's, registered when it loads the plugin; left out, as
    # registering them would leak into every ConfigOpts of the process
    # (the group object is shared).
    keystone_auth.register_keystoneauth_opts(config)
    config(['--config-file', UPSTREAM_CONF], project='magnum',
           default_config_files=[], default_config_dirs=[])
    declared = _magnum_options()
    checked = 0
    for group, keys in upstream_sections.items():
        for key, text in keys.items():
            opt = declared.get((group, key))
            if opt is None or (group == 'keystone_auth' and
                               key not in config.keystone_auth):
                continue
            section = config if group == 'DEFAULT' else config[group]
            value = section[key]
            expected = opt.type(text) if text or not isinstance(
                opt, cfg.ListOpt) else []
            assert value == expected, (group, key, value, expected)
            checked += 1
    assert checked >= 54, checked  # all of magnum/conf's in the file


def test_a_typo_in_a_group_of_magnum_is_reported_without_advice(
        upstream_conf):
    sections = {'api': {'wokers': '4', 'workers': '4'},
                'oslo_messaging_rabbit': {'heartbeat_rate': '3'},
                'DEFAULT': {'my_ip': '10.0.0.1'}}
    assert legacy_config.unread_options(upstream_conf, sections) == [
        ('api', 'wokers', None)]


def test_advice_covers_a_whole_dropped_group(upstream_conf):
    unread = legacy_config.unread_options(
        upstream_conf, {'trust': {'some_future_option': 'x'}})
    assert unread == [('trust', 'some_future_option',
                       legacy_config.UPSTREAM_ONLY[('trust', '*')])]
    assert '[cluster_credentials]' in unread[0][2]


def test_a_certificate_manager_that_is_not_installed_is_named(
        magnum_config):
    magnum_config.config(group='certificates', cert_manager_type='barbican')
    [(group, key, advice)] = legacy_config.unusable_values()
    assert (group, key) == ('certificates', 'cert_manager_type')
    assert "'barbican'" in advice and 'Set x509keypair' in advice
    magnum_config.config(group='certificates',
                         cert_manager_type='x509keypair')
    assert legacy_config.unusable_values() == []


def test_report_never_raises(monkeypatch, magnum_config):
    def broken(conf):
        raise OSError('unreadable')
    monkeypatch.setattr(legacy_config, 'parsed_files', broken)
    assert legacy_config.report() == []


def test_files_of_a_config_dir_are_read(tmp_path, magnum_config):
    config_dir = tmp_path / 'magnum.conf.d'
    config_dir.mkdir()
    (config_dir / '10-trust.conf').write_text('[trust]\nroles = member\n')
    (config_dir / 'notes.txt').write_text('[profiler]\nenabled = true\n')
    conf.CONF(['--config-dir', str(config_dir)], project='magnum',
              default_config_files=[], default_config_dirs=[])
    assert legacy_config.parsed_files() == [
        str(config_dir / '10-trust.conf')]
    assert [(g, k) for g, k, _ in legacy_config.unread_options()] == [
        ('trust', 'roles')]


def test_the_module_list_of_the_generator_is_magnum_groups():
    groups = legacy_config.magnum_groups()
    assert {'api', 'x509', 'heat_driver', 'local_driver'} <= groups
    assert not groups & legacy_config.SHARED_GROUPS


# Each service's start-up, in a process of its own (as it runs): parse
# the file, set up logging, and for the API load the paste pipeline with
# keystonemiddleware configured from the file. Then the report is asked
# for again, as a second prepare_service in the process would.
START = '''
import json
import sys
from magnum.common import legacy_config
from magnum.conf import keystone_auth
from magnum.common import service
name, path = sys.argv[1], sys.argv[2]
service.prepare_service([name, '--config-file', path],
                        messaging_opts=(name != 'magnum-api'))
if name == 'magnum-api':
    from magnum.api import app
    app.load_app()
again = legacy_config.report()
print(json.dumps({'again': again}))
'''


@pytest.mark.parametrize('service_name', ['magnum-api', 'magnum-conductor'])
def test_services_start_with_an_upstream_file_and_say_each_once(
        tmp_path, service_name):
    path = tmp_path / 'magnum.conf'
    text = open(UPSTREAM_CONF).read()
    # The file's relative paste and policy files resolve beside it.
    text = text.replace('/var/lib/magnum\n', str(tmp_path) + '\n')
    text = text.replace('[DEFAULT]\n', '[DEFAULT]\nuse_stderr = true\n', 1)
    path.write_text(text)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(DATA)))
    paste = os.path.join(os.path.dirname(os.path.dirname(repo)),
                         'etc', 'magnum', 'api-paste.ini')
    (tmp_path / 'api-paste.ini').write_text(open(paste).read())
    result = subprocess.run(
        [sys.executable, '-c', START, service_name, str(path)],
        capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {'again': []}
    for group, key in DROPPED:
        line = '[%s] %s: an option of upstream Magnum' % (group, key)
        assert result.stderr.count(line) == 1, (line, result.stderr)
    # Upstream's default certificate manager, not shipped here.
    assert result.stderr.count(
        "certificate manager 'barbican' ([certificates] cert_manager_type) "
        "is not available") == 1, result.stderr
    assert 'WARNING magnum.common.legacy_config' in result.stderr
    assert 'ERROR' not in result.stderr, result.stderr
    assert 'Traceback' not in result.stderr, result.stderr
