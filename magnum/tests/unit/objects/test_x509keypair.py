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


"""X509KeyPair objects: the DB cert manager's storage."""

import pytest

from magnum import objects
from magnum.common import exception
from magnum.tests.unit.db import utils


def _new_keypair(ctx, **kw):
    values = utils.get_test_x509keypair(**kw)
    values.pop('uuid')
    return objects.X509KeyPair(ctx, **values)


def test_create_get_list(dbapi, ctx, other_ctx):
    keypair = _new_keypair(ctx, certificate='CERT')
    keypair.create()
    for found in (objects.X509KeyPair.get(ctx, keypair.id),
                  objects.X509KeyPair.get(ctx, keypair.uuid),
                  objects.X509KeyPair.get_by_id(ctx, keypair.id),
                  objects.X509KeyPair.get_by_uuid(ctx, keypair.uuid)):
        assert found.certificate == 'CERT'
        assert found.private_key == 'private_key'
    with pytest.raises(exception.X509KeyPairNotFound):
        objects.X509KeyPair.get(other_ctx, keypair.uuid)
    second = _new_keypair(ctx)
    second.create()
    assert [k.uuid for k in objects.X509KeyPair.list(ctx)] == [
        keypair.uuid, second.uuid]
    assert [k.uuid for k in objects.X509KeyPair.list(ctx, limit=1)] == [
        keypair.uuid]
    assert objects.X509KeyPair.list(other_ctx) == []


def test_keypairs_have_no_names(dbapi, ctx):
    with pytest.raises(exception.InvalidIdentity):
        objects.X509KeyPair.get(ctx, 'by-name')


def test_secrets_are_masked_in_repr(dbapi, ctx):
    keypair = _new_keypair(ctx, private_key='SECRET-KEY',
                           private_key_passphrase='SECRET-PASS')
    text = repr(keypair)
    assert 'SECRET-KEY' not in text
    assert 'SECRET-PASS' not in text


def test_save_refresh_destroy(dbapi, ctx):
    keypair = _new_keypair(ctx)
    keypair.create()
    stale = objects.X509KeyPair.get(ctx, keypair.uuid)
    keypair.intermediates = 'CHAIN'
    keypair.save()
    with pytest.raises(exception.ConcurrentUpdate):
        keypair.save(expected={'intermediates': None})
    stale.refresh()
    assert stale.intermediates == 'CHAIN'
    stale.destroy()
    with pytest.raises(exception.X509KeyPairNotFound):
        objects.X509KeyPair.get(ctx, keypair.uuid)
