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

"""Column types: JSON held in TEXT columns, and timestamps.

Dicts and lists are stored as JSON text, and writing NULL stores
an empty container, so readers never have to tell "unset" from "empty".
Reads of a NULL written by someone else (an old row, a hand-made fix) also
come back empty.
"""

from oslo_db.sqlalchemy import types as oslo_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# A point in time to the microsecond on every backend. MySQL's and
# MariaDB's plain DATETIME drops the fraction, so a created_at answered in
# a 201 would differ from the same object read back later, and two events
# of one second could not be ordered.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


class JSONDict(oslo_types.JsonEncodedDict):
    cache_ok = True

    def process_result_value(self, value, dialect):
        value = super().process_result_value(value, dialect)
        return {} if value is None else value


class JSONList(oslo_types.JsonEncodedList):
    cache_ok = True

    def process_result_value(self, value, dialect):
        value = super().process_result_value(value, dialect)
        return [] if value is None else value
