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
from magnum.common import context as magnum_context
from magnum.db import migration

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
            if migration.version() is None:
                return upgradecheck.Result(
                    upgradecheck.Code.WARNING,
                    'No conductor can report before the schema exists.')
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

    _upgrade_checks = (
        ('Database schema', _check_database_schema),
        ('Conductors', _check_conductors),
        ('Policy file', (common_checks.check_policy_json,
                         {'conf': CONF})),
    )


def main():
    return upgradecheck.main(
        CONF, project='magnum', upgrade_command=Checks())


if __name__ == '__main__':
    sys.exit(main())
