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

"""Start-up shared by every Magnum console script."""

import sys

from oslo_log import log as logging

from magnum import conf
from magnum import version
from magnum.common import exception
from magnum.common import legacy_config

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def parse_args(argv, default_config_files=None, messaging_opts=True):
    """Parse the command line and config files into ``CONF``.

    ``messaging_opts``: register oslo.messaging's [DEFAULT] options
    (``transport_url``, ...) so that the process can read them before it
    makes a transport. magnum-api never reads them itself and leaves them
    to oslo.messaging, which registers them when the first request that
    needs the conductor makes the transport: importing its option lists
    would bring every driver (kombu, amqp) into each API worker.
    """
    conf.set_defaults(CONF)
    if messaging_opts:
        # Imported here: only the services that register the messaging
        # options need magnum.common.rpc at start-up.
        from magnum.common import rpc
        rpc.register_opts(CONF)
    CONF(argv[1:], project='magnum', version=version.version_string(),
         default_config_files=default_config_files)


def check_config(conf=CONF):
    """Refuse settings a service must not run with; raises
    ConfigInvalid saying what to change."""
    credentials = conf.cluster_credentials
    if credentials.enabled and not [role for role in credentials.roles
                                    if role]:
        # Keystone gives an application credential created with no roles
        # every role of its creator: an administrator's cluster would
        # hold admin in the cloud.
        raise exception.ConfigInvalid(error_msg=(
            '[cluster_credentials] roles is empty, which would give each '
            'cluster\'s application credential every role of the user who '
            'created it. List the roles drivers need (default: member), or '
            'set [cluster_credentials] enabled = False.'))


def prepare_service(argv=None, default_config_files=None,
                    messaging_opts=True):
    """Parse configuration and set up logging for a Magnum service;
    exits with a message when the configuration is unsafe to run with."""
    argv = sys.argv if argv is None else argv
    parse_args(argv, default_config_files, messaging_opts=messaging_opts)
    try:
        check_config(CONF)
    except exception.ConfigInvalid as error:
        sys.exit('magnum: %s' % error)
    logging.setup(CONF, 'magnum')
    # Noisy libraries stay at WARNING unless an operator asks otherwise.
    logging.set_defaults(default_log_levels=logging.get_default_log_levels()
                         + ['stevedore=WARN', 'alembic=INFO'])
    # An upstream magnum.conf loads as it is; what it sets that this
    # Magnum does not read is said once, with what to do instead.
    legacy_config.report(CONF)


def check_encryption_key(process):
    """At a conductor's start: its encryption key must be the one the
    database's secrets are sealed with (the first conductor records it);
    exits with what to copy when it is not. A database that cannot be read
    yet (down, or not migrated) is only logged: the conductor's own
    database work reports it soon enough."""
    from oslo_db import exception as db_exc

    from magnum.common.cert_manager import encryption
    from magnum.db import api as db_api
    try:
        encryption.check_key_is_the_database_key(db_api.get_instance(),
                                                 CONF.host)
    except encryption.EncryptionKeyError as error:
        sys.exit('%s: %s' % (process, error))
    except db_exc.DBError as error:
        LOG.warning('Could not check the encryption key against the '
                    'database: %s', error)


def check_private_files_directory(process):
    """At a conductor's start: the directory where private keys are
    written for client libraries that need files is this user's and
    private (magnum.common.secret_files); exits saying what to fix."""
    from magnum.common import secret_files
    try:
        secret_files.check_directory()
    except secret_files.SecretDirectoryError as error:
        sys.exit('%s: %s' % (process, error))
