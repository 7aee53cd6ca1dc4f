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

"""magnum-status: checks an operator runs before and after an upgrade.

    magnum-status upgrade check
"""

import sys

from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck
from oslo_utils import timeutils

from magnum import conf
from magnum import objects
from magnum.cmd import db_manage
from magnum.common import context as magnum_context
from magnum.common.cert_manager import encryption
from magnum.db import api as db_api
from magnum.db import migration
from magnum.db.sqlalchemy import upstream

CONF = conf.CONF


class Checks(upgradecheck.UpgradeCommands):
    """Each check says what is wrong and what to do about it."""

    def _check_database_schema(self):
        try:
            current = migration.version()
        except Exception as error:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'Cannot read the database schema version (%s). Check '
                '[database] connection.' % error)
        head = migration.head()
        if upstream.is_upstream(current):
            return upstream_check_result(head)
        if current is None:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'The database has no Magnum schema. Run '
                '"magnum-db-manage upgrade".')
        if current != head:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'The database schema is at %s, the code needs %s. Run '
                '"magnum-db-manage upgrade".' % (current, head))
        return upgradecheck.Result(
            upgradecheck.Code.SUCCESS,
            'The database schema is at the newest revision %s.' % head)

    def _check_conductors(self):
        try:
            current = migration.version()
            if current is None:
                return upgradecheck.Result(
                    upgradecheck.Code.WARNING,
                    'No conductor can report before the schema exists.')
            if upstream.is_upstream(current):
                return upgradecheck.Result(
                    upgradecheck.Code.WARNING,
                    'The database is still upstream Magnum\'s: stop its '
                    'magnum-api and magnum-conductor services before '
                    '"magnum-db-manage upgrade"; this Magnum\'s '
                    'conductors report once it is upgraded.')
            services = objects.MagnumService.list(
                magnum_context.get_admin_context())
        except Exception as error:
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'Cannot list conductors (%s).' % error)
        now = timeutils.utcnow()
        up = [s.host for s in services if s.last_seen_up and
              abs((now - s.last_seen_up.replace(tzinfo=None))
                  .total_seconds()) <= CONF.service_down_time]
        if not up:
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'No magnum-conductor has reported in the last %d seconds; '
                'clusters cannot be built until one runs.' %
                CONF.service_down_time)
        return upgradecheck.Result(
            upgradecheck.Code.SUCCESS,
            'magnum-conductor is up on: %s.' % ', '.join(sorted(up)))

    def _check_cluster_drivers(self):
        try:
            if migration.version() is None:
                return upgradecheck.Result(
                    upgradecheck.Code.SUCCESS,
                    'No clusters: the database has no schema yet.')
            missing = migration.clusters_without_driver(
                db_manage.driver_installed)
        except Exception as error:
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'Cannot read the clusters and their templates (%s).' %
                error)
        if not missing:
            return upgradecheck.Result(
                upgradecheck.Code.SUCCESS,
                'Every cluster has its driver installed.')
        return upgradecheck.Result(
            upgradecheck.Code.WARNING,
            '%d cluster(s) need a driver that is not installed here; they '
            'stay readable and deletable (their records only), not '
            'manageable, until it is:\n  %s' % (
                len(missing),
                '\n  '.join(c.describe() for c in missing)))

    def _check_cluster_certificates(self):
        manager = CONF.certificates.cert_manager_type
        if manager != 'x509keypair':
            return upgradecheck.Result(
                upgradecheck.Code.SUCCESS,
                'Certificates are kept by the %r manager; only those in the '
                'database (x509keypair) are checked.' % manager)
        try:
            if migration.version() is None:
                return upgradecheck.Result(
                    upgradecheck.Code.SUCCESS,
                    'No clusters: the database has no schema yet.')
            elsewhere = migration.clusters_with_certificates_elsewhere()
        except Exception as error:
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'Cannot read the clusters\' certificates (%s).' % error)
        if not elsewhere:
            return upgradecheck.Result(
                upgradecheck.Code.SUCCESS,
                'Every cluster\'s certificates are in the database.')
        return upgradecheck.Result(
            upgradecheck.Code.WARNING,
            '%d cluster(s) have certificates outside the database (such as '
            'Barbican containers), which the x509keypair certificate '
            'manager cannot read: their CA cannot sign and their '
            'configuration cannot be fetched until a manager that reads '
            'them is installed:\n  %s' % (
                len(elsewhere), '\n  '.join(
                    '%s (%s): %s' % (uuid, name or 'no name',
                                     ', '.join(refs))
                    for uuid, name, refs in elsewhere)))

    def _check_encryption_key(self):
        """This host's key against the one the database's secrets are
        sealed with (recorded by the first conductor), read only."""
        try:
            key = encryption.encryption_key()
        except encryption.EncryptionKeyError as error:
            return upgradecheck.Result(upgradecheck.Code.WARNING, str(error))
        mine = encryption.key_id(key)
        try:
            current = migration.version()
            if current is None or upstream.is_upstream(current):
                return upgradecheck.Result(
                    upgradecheck.Code.SUCCESS,
                    'No encryption key is recorded before the upgrade; '
                    'the first conductor records this host\'s (id %s).' %
                    mine)
            record = db_api.get_instance().get_encryption_key_record(
                encryption.KEY_PURPOSE)
        except Exception as error:
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'Cannot read the recorded encryption key (%s).' % error)
        if record is None:
            return upgradecheck.Result(
                upgradecheck.Code.SUCCESS,
                'No encryption key recorded yet; the first conductor to '
                'start records this host\'s (id %s).' % mine)
        if record.key_id != mine:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'This host\'s encryption key (id %(mine)s) is not the one '
                'the database\'s secrets are sealed with (id %(theirs)s, '
                'first used by %(host)s): a conductor here would refuse to '
                'start. Copy [certificates] encryption_key or the key file '
                'from %(host)s.' % {'mine': mine, 'theirs': record.key_id,
                                    'host': record.recorded_by or
                                    'another host'})
        return upgradecheck.Result(
            upgradecheck.Code.SUCCESS,
            'This host holds the encryption key the database\'s secrets '
            'are sealed with (id %s).' % mine)

    _upgrade_checks = (
        ('Database schema', _check_database_schema),
        ('Encryption key', _check_encryption_key),
        ('Conductors', _check_conductors),
        ('Cluster drivers', _check_cluster_drivers),
        ('Cluster certificates', _check_cluster_certificates),
        ('Policy file', (common_checks.check_policy_json,
                         {'conf': CONF})),
    )


def upstream_check_result(head):
    return upgradecheck.Result(
        upgradecheck.Code.WARNING,
        'The database is %s\'s (revision %s), not yet upgraded. Back it '
        'up, stop the upstream services and run "magnum-db-manage '
        'upgrade": it imports it into this Magnum\'s schema (%s).' % (
            upstream.UPSTREAM_RELEASE, upstream.UPSTREAM_REVISION, head))


def main():
    return upgradecheck.main(
        CONF, project='magnum', upgrade_command=Checks())


if __name__ == '__main__':
    sys.exit(main())
