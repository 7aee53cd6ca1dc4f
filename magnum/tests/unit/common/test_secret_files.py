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

"""Private key files: a private directory, 0600 files, gone after use."""

import os
import stat

import pytest

from magnum.common import secret_files

KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n'


@pytest.fixture
def private_dir(magnum_config, tmp_path):
    path = tmp_path / 'secrets'
    magnum_config.config(tempdir=str(path))
    return path


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_files_are_private_and_removed_after_use(private_dir):
    with secret_files.PrivateFiles({'client.key': KEY,
                                    'ca.crt': b'CA'}) as files:
        key = files.path('client.key')
        assert open(key).read() == KEY
        assert _mode(key) == 0o600
        assert _mode(os.path.dirname(key)) == 0o700
        assert _mode(private_dir) == 0o700
        used = files.directory
    assert not os.path.exists(used)
    assert os.listdir(private_dir) == []


def test_files_are_removed_when_the_use_fails(private_dir):
    with pytest.raises(RuntimeError):
        with secret_files.PrivateFiles({'client.key': KEY}):
            raise RuntimeError('the client failed')
    assert os.listdir(private_dir) == []


def test_a_directory_open_to_others_is_refused_not_repaired(private_dir):
    private_dir.mkdir(mode=0o755)
    os.chmod(private_dir, 0o755)
    with pytest.raises(secret_files.SecretDirectoryError) as raised:
        secret_files.PrivateFiles({'client.key': KEY})
    assert 'open to other users (mode 0755)' in str(raised.value)
    assert _mode(private_dir) == 0o755
    assert os.listdir(private_dir) == []


def test_a_link_in_place_of_the_directory_is_refused(private_dir, tmp_path):
    target = tmp_path / 'elsewhere'
    target.mkdir(mode=0o700)
    os.symlink(target, private_dir)
    with pytest.raises(secret_files.SecretDirectoryError,
                       match='not a directory'):
        secret_files.check_directory()


def test_a_file_name_cannot_leave_the_directory(private_dir):
    with pytest.raises(ValueError):
        secret_files.PrivateFiles({'../client.key': KEY})
    assert os.listdir(private_dir) == []


def test_unset_tempdir_is_a_directory_of_this_user(magnum_config):
    magnum_config.config(tempdir=None)
    assert secret_files.directory().endswith('magnum-%d' % os.geteuid())


def test_a_conductor_does_not_start_with_a_shared_directory(private_dir):
    from magnum.common import service
    private_dir.mkdir(mode=0o777)
    os.chmod(private_dir, 0o777)
    with pytest.raises(SystemExit) as stopped:
        service.check_private_files_directory('magnum-conductor')
    assert 'magnum-conductor: ' in str(stopped.value.code)
    assert str(private_dir) in str(stopped.value.code)
