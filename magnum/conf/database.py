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

"""Magnum's additions to oslo.db's [database] group.

oslo.db declares and lists its own options (namespace ``oslo.db``); this
module only sets Magnum's default connection and adds what oslo.db lacks.
"""

from oslo_config import cfg
from oslo_db import options as db_options

# Embedded default: a SQLite file under state_path, so a single machine
# runs without a database server.
DEFAULT_CONNECTION = 'sqlite:///$state_path/magnum.sqlite'

database_group = cfg.OptGroup(
    'database',
    title='Database',
    help=(
        'Where Magnum keeps its records. The default SQLite file suits '
        'a single machine; use MariaDB/MySQL or PostgreSQL when several '
        'Magnum services run.'
    ),
)

# oslo.db no longer provides mysql_engine, so Magnum declares it.
database_opts = [
    cfg.StrOpt(
        'mysql_engine',
        default='InnoDB',
        help=(
            'MySQL storage engine used when creating tables. Change it '
            'only for a MySQL-compatible server that needs another '
            'transactional engine.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(database_group)
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)
    conf.register_opts(database_opts, group=database_group)


def list_opts():
    return {database_group: database_opts}
