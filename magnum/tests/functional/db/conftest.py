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

"""The DB and migration tests again, on MariaDB (through PyMySQL and
through mysqlclient) and PostgreSQL."""

import pytest

from magnum.tests import db_backends


@pytest.fixture(scope='session', params=['mysql', 'mysqlclient', 'postgresql'])
def db_backend(request):
    return request.param


@pytest.fixture(scope='session')
def migrated_db_url(db_backend, tmp_path_factory):
    # Defined again beside the parametrized db_backend: pytest would
    # otherwise reuse the session's database of the default backend
    # (SQLite) when the unit tests ran first in the same session.
    with db_backends.migrated_database(
            db_backend, tmp_path_factory.mktemp('db')) as url:
        yield url
