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

"""Image tarballs staged on a conductor's disk for load_image, in a
private temporary directory of the test's."""

import os
import stat
import time

import pytest

from magnum.common import exception
from magnum.conductor import image_uploads


@pytest.fixture
def staging(magnum_config, tmp_path):
    directory = tmp_path / 'private'
    directory.mkdir(mode=0o700)
    magnum_config.config(tempdir=str(directory))
    return directory


def test_chunks_are_appended_in_order_into_a_private_file(staging):
    upload = image_uploads.begin(10, 'host-1')
    assert image_uploads.append(upload, 0, b'01234') == 5
    assert image_uploads.append(upload, 5, b'56789') == 10
    path = image_uploads.staged(upload, 10)
    with open(path, 'rb') as staged:
        assert staged.read() == b'0123456789'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert os.path.dirname(os.path.dirname(path)) == str(staging)
    image_uploads.remove(upload)
    assert os.listdir(staging) == []


def test_a_chunk_lost_or_sent_twice_stops_the_upload(staging):
    upload = image_uploads.begin(None, 'host-1')
    image_uploads.append(upload, 0, b'abc')
    for offset in (0, 4):
        with pytest.raises(exception.Conflict) as raised:
            image_uploads.append(upload, offset, b'def')
        assert 'has 3 bytes, not the %d' % offset in str(raised.value)
    with pytest.raises(exception.Conflict) as raised:
        image_uploads.staged(upload, 6)
    assert 'has 3 bytes, not the 6 sent' in str(raised.value)


def test_an_upload_not_staged_is_a_409_and_a_bad_id_a_400(staging):
    upload = image_uploads.begin(None, 'host-1')
    image_uploads.remove(upload)
    with pytest.raises(exception.Conflict) as raised:
        image_uploads.append(upload, 0, b'x')
    assert 'upload the image again' in str(raised.value)
    for bad in ('../etc', 'image-upload-../../x', None, 7):
        with pytest.raises(exception.InvalidParameterValue):
            image_uploads.append(bad, 0, b'x')
    image_uploads.remove('../../etc')  # not an upload id: nothing happens
    assert os.path.isdir(staging)


def test_no_room_for_the_image_is_a_503_naming_the_option(staging):
    with pytest.raises(exception.ServiceUnavailable) as raised:
        image_uploads.begin(2 ** 60, 'host-1')
    message = str(raised.value)
    assert 'magnum-conductor host-1' in message
    assert '[DEFAULT] tempdir' in message
    assert str(staging) not in message  # no host paths for the caller
    assert os.listdir(staging) == []


def test_abandoned_uploads_go_when_the_next_begins(staging):
    abandoned = image_uploads.begin(None, 'host-1')
    image_uploads.append(abandoned, 0, b'half')
    recent = image_uploads.begin(None, 'host-1')
    long_ago = time.time() - image_uploads.STALE_AFTER - 1
    directory = staging / abandoned
    for path in (directory / image_uploads.FILE_NAME, directory):
        os.utime(path, (long_ago, long_ago))
    unrelated = staging / 'files-kept'
    unrelated.mkdir()
    os.utime(unrelated, (long_ago, long_ago))
    image_uploads.begin(None, 'host-1')
    left = set(os.listdir(staging))
    assert abandoned not in left
    assert {recent, 'files-kept'} <= left
