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


"""Federation objects against a real (SQLite) database."""

import pytest

from magnum import objects
from magnum.common import exception
from magnum.tests.unit.db import utils


def _create(ctx, **kw):
    values = utils.get_test_federation(**kw)
    values.pop('uuid')
    federation = objects.Federation(ctx, **values)
    federation.create()
    return federation


def test_create_and_get(dbapi, ctx, other_ctx):
    federation = _create(ctx, name='fed', member_ids=['m1', 'm2'])
    for ident in (federation.id, federation.uuid, 'fed'):
        found = objects.Federation.get(ctx, ident)
        assert found.uuid == federation.uuid
        assert found.member_ids == ['m1', 'm2']
        assert found.properties == {'dns-zone': 'example.com.'}
        assert found.status == 'CREATE_IN_PROGRESS'
    with pytest.raises(exception.FederationNotFound):
        objects.Federation.get(other_ctx, federation.uuid)


def test_list_paging(dbapi, ctx):
    feds = [_create(ctx, name='f%d' % i) for i in range(3)]
    page = objects.Federation.list(ctx, limit=2)
    assert [f.uuid for f in page] == [f.uuid for f in feds[:2]]
    rest = objects.Federation.list(ctx, marker=page[-1].uuid)
    assert [f.uuid for f in rest] == [feds[2].uuid]
    named = objects.Federation.list(ctx, filters={'name': 'f1'})
    assert [f.uuid for f in named] == [feds[1].uuid]


def test_save_refresh_destroy(dbapi, ctx):
    federation = _create(ctx)
    stale = objects.Federation.get(ctx, federation.uuid)
    federation.member_ids = ['m3']
    federation.save(expected={'status': 'CREATE_IN_PROGRESS'})
    stale.status = 'CREATE_COMPLETE'
    stale.save()
    stored = objects.Federation.get(ctx, federation.uuid)
    assert (stored.member_ids, stored.status) == (['m3'], 'CREATE_COMPLETE')
    federation.status_reason = 'x'
    with pytest.raises(exception.ConcurrentUpdate):
        federation.save(expected={'status': 'CREATE_IN_PROGRESS'})
    federation.refresh()
    assert federation.status == 'CREATE_COMPLETE'
    assert federation.status_reason is None
    federation.destroy()
    with pytest.raises(exception.FederationNotFound):
        objects.Federation.get(ctx, federation.uuid)


def test_status_is_a_federation_status(dbapi, ctx):
    with pytest.raises(ValueError):
        objects.Federation(ctx, status='RESUME_COMPLETE')
