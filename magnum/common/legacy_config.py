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

"""Options of an upstream Magnum ``magnum.conf`` that this Magnum does not
read, and the advice an operator gets for each at start-up.

oslo.config ignores options nobody registered, silently: a configuration
copied from an upstream deployment would load, and an operator would never
learn that ``[trust] roles`` or ``[cluster_heat] create_timeout`` no longer
does anything. :func:`report` reads the files the service parsed, compares
their sections and keys with the options registered here and logs one
warning per option it ignores, saying what to do instead. It never
raises: a file that loaded is a file the service runs with.

The options are not registered to silence them: an option exists in
``magnum/conf`` only if code reads it.
"""

import glob
import os

from oslo_config import cfg
from oslo_config import iniparser
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_TRUSTS_REMOVED = (
    'trustee users and trusts are no longer made; each cluster gets a '
    'Keystone application credential instead, configured in '
    '[cluster_credentials] (enabled, roles, lifetime_days). Remove the '
    'option.')
_HEAT_POLLING = (
    'the Heat drivers follow their stacks from the conductor\'s status '
    'sync ([conductor] sync_interval) and give a stack the cluster\'s own '
    'create_timeout (the API\'s create_timeout field). Remove the option.')
_NO_PROFILER = (
    'OSProfiler is not built into this Magnum. Remove the [profiler] '
    'section; use the request ids in the logs (X-OpenStack-Request-ID) to '
    'follow a request.')

_CLOUD_TLS = (
    'every request Magnum makes to the cloud goes through one keystoneauth '
    'session configured by [keystone_auth] (cafile, certfile, keyfile, '
    'insecure): set the CA bundle or client certificate there. Remove the '
    'option.')
_CLIENT_UNUSED = (
    'no installed driver talks to this service, so Magnum has no client '
    'for it. Remove the section.')
_NOT_READ = 'nothing in this Magnum reads it. Remove the option.'

# (group, option) of upstream Magnum's magnum.conf that this Magnum does
# not read: what the operator should do instead. A whole group is named
# with option '*'.
UPSTREAM_ONLY = {
    ('trust', '*'): _TRUSTS_REMOVED,
    ('cluster_heat', '*'): _HEAT_POLLING,
    ('profiler', '*'): _NO_PROFILER,
    ('barbican_client', '*'): (
        'certificates are kept in Magnum\'s database ([certificates] '
        'cert_manager_type = x509keypair, keys sealed with [certificates] '
        'encryption_key); there is no Barbican client. Remove the '
        'section.'),
    ('cinder_client', '*'): _CLIENT_UNUSED + (
        ' The Heat drivers create volumes through Heat; set volume sizes '
        'and types in [cinder] and the templates\' labels.'),
    ('magnum_client', '*'): _CLIENT_UNUSED,
    ('octavia_client', '*'): _CLIENT_UNUSED + (
        ' The Heat drivers create load balancers through Heat.'),
    ('docker', '*'): (
        'this group configured a Docker client no driver uses: the local '
        'driver\'s engine is [local_driver] docker_host, and clusters\' '
        'Docker endpoints are reached with Magnum\'s certificates for '
        'them. Remove the section.'),
    ('docker_registry', '*'): (
        'Magnum no longer runs a Docker registry on cluster nodes. Remove '
        'the section.'),
    ('DEFAULT', 'max_manifest_size'): _NOT_READ,
    ('DEFAULT', 'password_symbols'): _NOT_READ,
    ('DEFAULT', 'rootwrap_config'): (
        'Magnum runs no command as root through rootwrap. Remove the '
        'option.'),
    ('DEFAULT', 'periodic_interval_max'): (
        'the conductor\'s periodic work runs every [conductor] '
        'sync_interval (status) and [kubernetes] health_polling_interval '
        '(health). Remove the option.'),
    ('cluster', 'etcd_discovery_service_endpoint_format'): (
        'etcd members of the Heat Kubernetes drivers find each other '
        'through the stack, not a discovery service. Remove the option.'),
    ('cluster', 'nodes_affinity_policy'): _NOT_READ,
    ('cluster', 'temp_cache_dir'): (
        'private keys are no longer cached on disk: a client library that '
        'needs them as files gets them in a private directory ([DEFAULT] '
        'tempdir) for as long as it runs. Remove the option.'),
    ('cluster', 'pre_delete_lb_timeout'): _NOT_READ,
    ('drivers', 'verify_ca'): _CLOUD_TLS,
    ('drivers', 'openstack_ca_file'): _CLOUD_TLS,
    ('heat_client', 'ca_file'): _CLOUD_TLS,
    ('heat_client', 'cert_file'): _CLOUD_TLS,
    ('heat_client', 'key_file'): _CLOUD_TLS,
    ('heat_client', 'insecure'): _CLOUD_TLS,
    ('kubernetes', 'keystone_auth_default_policy'): _NOT_READ,
    ('kubernetes', 'post_install_manifest_url'): _NOT_READ,
    ('nova_client', 'api_version'): (
        'Magnum asks Nova only for flavors and keypairs, which every '
        'microversion serves. Remove the option.'),
}

# Groups shared with libraries, whose options Magnum cannot all know
# without importing those libraries (oslo.messaging's drivers, the
# keystoneauth1 plugin named by auth_type): a key there that is neither
# registered nor upstream's is left alone.
SHARED_GROUPS = frozenset({'DEFAULT', 'database', 'keystone_auth',
                           'keystone_authtoken'})

# Keys every section may hold: oslo.config's own.
_ALWAYS_KNOWN = frozenset({'config_file', 'config_dir'})

# Reported already in this process: each option is logged once.
_reported = set()


class _KeysParser(iniparser.BaseParser):
    """Collects {section: {key: last value}} with oslo.config's parser."""

    def __init__(self):
        super().__init__()
        self.sections = {}
        self._section = None

    def new_section(self, section):
        self._section = section
        self.sections.setdefault(section, {})

    def assignment(self, key, value):
        if self._section is not None:
            self.sections[self._section][key] = '\n'.join(value)

    def parse_exc(self, msg, lineno, line=None):
        # The service parsed these files already; a line oslo.config
        # refused would have stopped it there.
        return iniparser.ParseError(msg, lineno, line)


def parsed_files(conf=cfg.CONF):
    """The configuration files ``conf`` read, in the order it read them:
    each --config-file, then the ``*.conf`` of each --config-dir."""
    files = list(conf.config_file or [])
    for directory in conf.config_dir or []:
        files.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return [path for path in files if os.path.isfile(path)]


def read_sections(paths):
    """{section: {key: value}} of the files, later files winning."""
    sections = {}
    for path in paths:
        parser = _KeysParser()
        with open(path) as config_file:
            parser.parse(config_file)
        for section, keys in parser.sections.items():
            sections.setdefault(section, {}).update(keys)
    return sections


def _registered(conf, group, key):
    group = None if group == 'DEFAULT' else group
    try:
        conf._get_opt_info(key, group)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return False
    return True


def magnum_groups():
    """Names of the option groups Magnum alone declares (magnum/conf),
    without the groups it shares with libraries."""
    from magnum import conf as magnum_conf

    scratch = cfg.ConfigOpts()
    for module in magnum_conf.MODULES:
        module.register_opts(scratch)
    return {name for name in scratch
            if isinstance(scratch[name], cfg.ConfigOpts.GroupAttr)
            } - SHARED_GROUPS


def unread_options(conf=cfg.CONF, sections=None):
    """[(group, key, advice or None)] of the keys in the parsed files that
    this Magnum does not read: upstream Magnum's options it dropped (with
    ``advice``), and keys of Magnum's own groups that name no option
    (``advice`` None: a typo, or an option of another release)."""
    if sections is None:
        sections = read_sections(parsed_files(conf))
    own = magnum_groups()
    unread = []
    for group, keys in sections.items():
        for key in keys:
            if key in _ALWAYS_KNOWN or _registered(conf, group, key):
                continue
            advice = (UPSTREAM_ONLY.get((group, key)) or
                      UPSTREAM_ONLY.get((group, '*')))
            if advice or group in own:
                unread.append((group, key, advice))
    return unread


def unusable_values(conf=cfg.CONF):
    """[(group, key, advice)] for values an upstream file commonly holds
    that this Magnum cannot honour: today a certificate manager that is
    not installed (upstream's default is ``barbican``, which does not
    ship here). Such a service still starts; what needs the value fails
    with the same explanation."""
    from magnum.common import cert_manager
    from magnum.common.cert_manager import base

    name = conf.certificates.cert_manager_type
    if name in cert_manager.BUILTIN:
        return []
    try:
        cert_manager.get_backend_class(name)
    except base.CertificateStorageError as error:
        return [('certificates', 'cert_manager_type', (
            '%s Set x509keypair (certificates in Magnum\'s database, keys '
            'encrypted with [certificates] encryption_key) unless a '
            'manager of that name is installed.' % error))]
    return []


def report(conf=cfg.CONF):
    """Log, once per process, each option of the parsed configuration
    files that this Magnum does not read, with what to do instead.
    Returns what it logged now as [(group, key, advice or None)]; never
    raises."""
    try:
        unread = unread_options(conf) + unusable_values(conf)
    except Exception:
        # Advice is a courtesy: a failure to give it must not stop a
        # service whose configuration loaded.
        LOG.warning('Could not check the configuration files for options '
                    'this Magnum does not read', exc_info=True)
        return []
    logged = []
    for group, key, advice in unread:
        if (group, key) in _reported:
            continue
        _reported.add((group, key))
        logged.append((group, key, advice))
        if (group, key) == ('certificates', 'cert_manager_type'):
            LOG.warning('[%s] %s: %s', group, key, advice)
        elif advice:
            LOG.warning('[%s] %s: an option of upstream Magnum that this '
                        'Magnum does not read; %s', group, key, advice)
        else:
            LOG.warning('[%s] %s: not an option of this Magnum; ignored '
                        '(see etc/magnum/magnum.conf.sample for the '
                        'options of [%s]).', group, key, group)
    return logged
