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

"""Guards for magnum/conf: the committed sample, help text, the module list
and the defaults deployments rely on (compatibility.rst, "Configuration")."""

import collections
import os
import pkgutil
import re
import subprocess
import sys

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
import pytest

import magnum
import magnum.conf
from magnum.conf import keystone_auth
from magnum.conf import opts

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(magnum.__file__)))
GENERATOR_CONF = os.path.join(
    REPO_ROOT, 'etc', 'magnum', 'magnum-config-generator.conf'
)
SAMPLE = os.path.join(REPO_ROOT, 'etc', 'magnum', 'magnum.conf.sample')

# Modules of magnum/conf that declare no option group of their own.
NOT_OPTION_MODULES = {'opts'}


def _group_name(group):
    return group.name if isinstance(group, cfg.OptGroup) else group


def _generate_sample(output_file):
    # A separate interpreter, so that defaults changed by other tests in
    # this process cannot leak into the generated file.
    code = 'from oslo_config import generator; generator.main()'
    return subprocess.run(
        [
            sys.executable, '-W', 'ignore', '-c', code,
            '--config-file', GENERATOR_CONF,
            '--output-file', str(output_file),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_sample_is_up_to_date(tmp_path):
    generated = tmp_path / 'magnum.conf.sample'
    result = _generate_sample(generated)
    assert result.returncode == 0, (
        f'oslo-config-generator failed:\n{result.stderr}'
    )
    with open(SAMPLE) as committed_file:
        committed = committed_file.read()
    assert generated.read_text() == committed, (
        'etc/magnum/magnum.conf.sample is out of date with the options in '
        'magnum/conf. Regenerate it with "tox -e genconfig" (or '
        '"oslo-config-generator --config-file '
        'etc/magnum/magnum-config-generator.conf") and commit the result.'
    )


def _sample_values():
    """The value of every commented-out option line of the sample."""
    with open(SAMPLE) as sample_file:
        return [line.split('=', 1)[1].strip() for line in sample_file
                if line.startswith('#') and ' = ' in line]


@pytest.mark.parametrize('pattern', [
    r'/work/',
    r'/root\b',
    r'/home/',
    r'\b' + re.escape(os.uname().nodename) + r'\b',
    r'\b' + re.escape(REPO_ROOT) + r'\b',
])
def test_sample_shows_nothing_of_this_machine(pattern):
    offending = [value for value in _sample_values()
                 if re.search(pattern, value)]
    assert not offending, (
        f'sample defaults depend on this machine ({pattern!r}): '
        f'{offending}; give those options a sample_default'
    )


def test_sample_shows_cpu_based_defaults_as_placeholders():
    with open(SAMPLE) as sample_file:
        sample = sample_file.read()
    assert sample.count('#workers = <number of CPUs>') == 2
    assert '#pybasedir = <Path>' in sample


def _all_magnum_opts():
    for group, group_opts in opts.list_opts():
        for opt in group_opts:
            yield _group_name(group), opt


def test_every_option_has_help():
    missing = [f'[{group}] {opt.name}'
               for group, opt in _all_magnum_opts()
               if not (opt.help or '').strip()]
    assert not missing, f'options without help text: {missing}'


def test_every_group_has_help():
    missing = [_group_name(group) for group, _ in opts.list_opts()
               if isinstance(group, cfg.OptGroup) and not group.help]
    assert not missing, f'option groups without help text: {missing}'


def test_no_option_is_declared_twice():
    declared = collections.defaultdict(list)
    for module in magnum.conf.MODULES:
        for group, group_opts in module.list_opts().items():
            for opt in group_opts:
                declared[(_group_name(group), opt.dest)].append(
                    module.__name__)
    twice = {key: modules for key, modules in declared.items()
             if len(modules) > 1}
    assert not twice, f'options declared more than once: {twice}'


def test_every_option_module_is_in_the_module_list():
    on_disk = {
        name for _, name, _ in pkgutil.iter_modules(magnum.conf.__path__)
        if not name.startswith('_') and name not in NOT_OPTION_MODULES
    }
    listed = {module.__name__.rsplit('.', 1)[1]
              for module in magnum.conf.MODULES}
    assert on_disk == listed, (
        'magnum.conf.MODULES must list every option module: '
        f'missing {sorted(on_disk - listed)}, '
        f'unknown {sorted(listed - on_disk)}'
    )


def test_listed_options_are_registered_on_conf(conf):
    for group, opt in _all_magnum_opts():
        if group == 'keystone_auth' and opt.dest not in conf.keystone_auth:
            # keystoneauth1 registers the auth plugin's options only when
            # it loads the plugin; the sample lists the password plugin's.
            assert opt.dest in {
                o.dest for o in
                ks_loading.get_auth_plugin_conf_options('password')}
            continue
        section = conf if group == 'DEFAULT' else conf[group]
        assert opt.dest in section, f'[{group}] {opt.dest} not registered'


def test_list_opts_is_sorted_with_one_entry_per_group():
    names = [_group_name(group) for group, _ in opts.list_opts()]
    assert names == sorted(set(names))


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    magnum.conf.register_opts(conf)
    # As magnum.common.keystone does in the processes that use them.
    keystone_auth.register_keystoneauth_opts(conf)
    conf([], project='magnum', default_config_files=[],
         default_config_dirs=[])
    yield conf
    conf.reset()


@pytest.mark.parametrize('group, name, expected', [
    ('api', 'port', 9511),
    ('api', 'host', '127.0.0.1'),
    ('api', 'max_limit', 1000),
    ('api', 'api_paste_config', 'api-paste.ini'),
    ('conductor', 'topic', 'magnum-conductor'),
    (None, 'service_down_time', 180),
    (None, 'host', None),
    (None, 'auth_strategy', 'keystone'),
    ('quotas', 'max_clusters_per_project', 20),
    ('x509', 'term_of_validity', 1825),
    ('x509', 'rsa_key_size', 2048),
    ('certificates', 'storage_path', '/var/lib/magnum/certificates/'),
    ('cluster_template', 'kubernetes_allowed_network_drivers',
     ['flannel', 'calico']),
    ('nova_client', 'endpoint_type', 'publicURL'),
    ('keystone_auth', 'auth_type', 'password'),
])
def test_compatible_defaults(conf, group, name, expected):
    section = conf.get(group) if group else conf
    assert getattr(section, name) == expected


def test_paths_and_database_defaults_follow_pybasedir(conf):
    assert conf.pybasedir == os.path.dirname(magnum.__file__)
    assert conf.bindir == os.path.join(conf.pybasedir, 'bin')
    assert conf.state_path == conf.pybasedir
    assert conf.database.connection == (
        f'sqlite:///{conf.state_path}/magnum.sqlite')


def test_noauth_is_the_only_alternative_auth_strategy(conf):
    conf.set_override('auth_strategy', 'noauth')
    assert conf.auth_strategy == 'noauth'
    with pytest.raises(ValueError):
        conf.set_override('auth_strategy', 'none')


def test_set_lib_defaults_is_idempotent(conf):
    from oslo_messaging import opts as oslo_messaging_opts
    from oslo_middleware import cors

    magnum.conf.set_defaults(conf)
    magnum.conf.set_defaults(conf)
    cors_defaults = {opt.name: opt.default for opt in cors.CORS_OPTS}
    assert cors_defaults['allow_methods'] == [
        'GET', 'PUT', 'POST', 'DELETE', 'PATCH']
    assert 'X-OpenStack-Request-ID' in cors_defaults['allow_headers']
    assert 'X-Subject-Token' in cors_defaults['expose_headers']
    assert conf.oslo_policy.policy_file == 'policy.yaml'
    messaging_defaults = {
        opt.dest: opt.default
        for _, group_opts in oslo_messaging_opts.list_opts()
        for opt in group_opts}
    assert messaging_defaults['control_exchange'] == 'magnum'
    assert conf.database.connection.endswith('/magnum.sqlite')


def test_keystoneauth_options_register_again_harmlessly(conf):
    keystone_auth.register_keystoneauth_opts(conf)
    assert conf.keystone_auth.auth_type == 'password'
    assert 'cafile' in conf.keystone_auth


def test_importing_the_options_does_not_import_keystoneauth():
    # Only magnum.common.keystone needs them; an API worker under noauth
    # never imports it (nor keystonemiddleware, a user of keystoneauth1).
    probe = ('import sys; '
             'import magnum.conf; '
             'assert "keystoneauth1" not in sys.modules, "imported"; '
             'assert "keystonemiddleware" not in sys.modules, "imported"; '
             'from magnum.common import keystone; '
             'assert "auth_type" in magnum.conf.CONF.keystone_auth')
    result = subprocess.run([sys.executable, '-c', probe],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
