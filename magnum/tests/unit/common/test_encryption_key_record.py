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

"""Every conductor holds the key the database's secrets are sealed with:
the first one records its key's id, another key stops a conductor at
start with what to copy."""

import base64
import os

import pytest

from magnum.common import service
from magnum.common.cert_manager import encryption


def _key():
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def first_key(magnum_config):
    key = _key()
    magnum_config.config(group='certificates', encryption_key=key)
    return key


def test_the_first_conductor_records_its_key_id(dbapi, first_key):
    recorded = encryption.check_key_is_the_database_key(dbapi, 'host-a')
    row = dbapi.get_encryption_key_record(encryption.KEY_PURPOSE)
    assert row.key_id == recorded == encryption.key_id(
        base64.b64decode(first_key))
    assert row.recorded_by == 'host-a'
    assert first_key not in repr(row.key_id)


def test_a_conductor_with_the_same_key_starts(dbapi, first_key):
    encryption.check_key_is_the_database_key(dbapi, 'host-a')
    assert encryption.check_key_is_the_database_key(dbapi, 'host-b')
    assert dbapi.get_encryption_key_record(
        encryption.KEY_PURPOSE).recorded_by == 'host-a'


def test_a_conductor_with_another_key_is_told_what_to_copy(
        dbapi, first_key, magnum_config):
    encryption.check_key_is_the_database_key(dbapi, 'host-a')
    magnum_config.config(group='certificates', encryption_key=_key())
    with pytest.raises(encryption.EncryptionKeyError) as raised:
        encryption.check_key_is_the_database_key(dbapi, 'host-b')
    message = str(raised.value)
    assert 'host-a' in message
    assert '[certificates] encryption_key' in message
    assert 'Copy' in message


def test_the_service_exits_with_that_message(dbapi, first_key,
                                             magnum_config):
    encryption.check_key_is_the_database_key(dbapi, 'host-a')
    magnum_config.config(group='certificates', encryption_key=_key())
    magnum_config.config(host='host-b')
    with pytest.raises(SystemExit) as stopped:
        service.check_encryption_key('magnum-conductor')
    assert str(stopped.value.code).startswith('magnum-conductor: ')
    assert 'host-a' in str(stopped.value.code)


def test_no_key_configured_checks_nothing(dbapi, magnum_config):
    magnum_config.config(group='certificates', encryption_key='',
                         encryption_key_file='')
    assert encryption.check_key_is_the_database_key(dbapi, 'host-a') is None
    assert dbapi.get_encryption_key_record(encryption.KEY_PURPOSE) is None


def test_a_key_file_made_at_start_is_the_one_recorded(dbapi, magnum_config,
                                                      tmp_path):
    path = tmp_path / 'keys' / 'magnum.key'
    magnum_config.config(group='certificates', encryption_key='',
                         encryption_key_file=str(path))
    recorded = encryption.check_key_is_the_database_key(dbapi, 'host-a')
    assert path.exists()
    assert recorded == encryption.key_id(encryption.encryption_key())


# -- magnum-status upgrade check ----------------------------------------------

@pytest.fixture
def status_checks(empty_db_url, magnum_config):
    from oslo_upgradecheck import upgradecheck

    from magnum.cmd import status
    from magnum.db import api as db_api
    from magnum.db import migration
    from magnum.db.sqlalchemy import api as sqlalchemy_api
    migration.upgrade(url=empty_db_url)
    magnum_config.config(group='database', connection=empty_db_url)
    connection = sqlalchemy_api.Connection(empty_db_url)
    previous = db_api.set_instance(connection)
    yield status.Checks(), connection, upgradecheck.Code
    db_api.set_instance(previous)
    connection.dispose()


def test_status_says_the_key_is_recorded_by_the_first_conductor(
        status_checks, first_key):
    checks, _, code = status_checks
    result = checks._check_encryption_key()
    assert result.code == code.SUCCESS
    assert 'first conductor' in result.details


def test_status_passes_on_the_recorded_key_and_fails_on_another(
        status_checks, first_key, magnum_config):
    checks, connection, code = status_checks
    encryption.check_key_is_the_database_key(connection, 'host-a')
    assert checks._check_encryption_key().code == code.SUCCESS
    magnum_config.config(group='certificates', encryption_key=_key())
    result = checks._check_encryption_key()
    assert result.code == code.FAILURE
    assert 'host-a' in result.details and 'Copy' in result.details
