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

"""magnum-db-manage: create and upgrade Magnum's database schema.

    magnum-db-manage [--config-file FILE] upgrade [REVISION]
    magnum-db-manage [--config-file FILE] version
    magnum-db-manage [--config-file FILE] revision -m MESSAGE [--autogenerate]
    magnum-db-manage [--config-file FILE] stamp REVISION

``upgrade`` also takes over a database upstream Magnum 23 left: it
re-encrypts the private keys stored in it with this Magnum's key
(``[certificates] encryption_key``), notes in their status reason the
clusters whose driver is not installed here, and converts the schema
(doc/source/admin/upgrading-from-upstream.rst).
"""

import sys

from oslo_config import cfg

from magnum import conf
from magnum.common import exception
from magnum.common import service
from magnum.common.cert_manager import encryption
from magnum.common.cert_manager import x509keypair_cert_manager
from magnum.db import migration
from magnum.db.sqlalchemy import upstream
from magnum.drivers.common import driver as driver_base

CONF = conf.CONF


def driver_installed(driver, server_type, cluster_distro, coe):
    """Whether a driver installed here serves a cluster template: the one
    named ``driver`` when given, else one the conductor would choose by
    the values."""
    registry = driver_base.registry()
    if driver:
        return driver in registry.names()
    try:
        registry.resolve(None, server_type, cluster_distro, coe)
    except (exception.ClusterDriverNotSupported,
            exception.ClusterTypeNotSupported):
        return False
    return True


def upstream_importer():
    """The importer of a database upstream Magnum 23 left, sealing private
    keys as the x509keypair certificate manager reads them."""
    key = []

    def seal_private_key(ref, pem):
        if not key:
            # Only asked for when there is a key to seal; may create the
            # key file like the conductor would.
            key.append(encryption.encryption_key())
        return x509keypair_cert_manager.encrypt_private_key(key[0], ref,
                                                            pem)

    return upstream.Importer(driver_installed, seal_private_key,
                             log=lambda line: print(line, flush=True))


def do_upgrade():
    before = migration.version()
    if upstream.is_upstream(before):
        print('Importing a database %s left (revision %s).' % (
            upstream.UPSTREAM_RELEASE, before), flush=True)
    migration.upgrade(CONF.command.revision,
                      upstream_importer=upstream_importer())
    print('Database upgraded to %s.' % migration.version())


def do_version():
    print(migration.describe_version())


def do_revision():
    migration.revision(message=CONF.command.message,
                       autogenerate=CONF.command.autogenerate)


def do_stamp():
    migration.stamp(CONF.command.revision)
    print('Database stamped at %s.' % migration.version())


def add_command_parsers(subparsers):
    parser = subparsers.add_parser(
        'upgrade', help='Upgrade the schema to REVISION (default: head).')
    parser.add_argument('revision', nargs='?', default='head')
    parser.set_defaults(func=do_upgrade)

    parser = subparsers.add_parser(
        'version', help='Print the revision the database is at.')
    parser.set_defaults(func=do_version)

    parser = subparsers.add_parser(
        'revision', help='Write a new migration script.')
    parser.add_argument('-m', '--message', required=True)
    parser.add_argument('--autogenerate', action='store_true',
                        help='Fill the script with the difference between '
                             'the models and the database (at head).')
    parser.set_defaults(func=do_revision)

    parser = subparsers.add_parser(
        'stamp', help='Record REVISION as current without migrating.')
    parser.add_argument('revision')
    parser.set_defaults(func=do_stamp)


command_opt = cfg.SubCommandOpt('command', title='Command',
                                help='Available commands',
                                handler=add_command_parsers)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    CONF.register_cli_opt(command_opt)
    service.parse_args(argv)
    try:
        CONF.command.func()
    except Exception as error:  # a clear line, not a traceback, for admins
        print('magnum-db-manage %s failed: %s' % (CONF.command.name, error),
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
