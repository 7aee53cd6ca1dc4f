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


"""Quota objects: one hard limit per (project, resource)."""

import pytest

from magnum import objects
from magnum.common import exception


def _create(ctx, project_id='p1', hard_limit=5):
    quota = objects.Quota(ctx, project_id=project_id, resource='Cluster',
                          hard_limit=hard_limit)
    quota.create()
    return quota


def test_create_and_get(dbapi, ctx):
    quota = _create(ctx)
    assert quota.id > 0
    found = objects.Quota.get_quota_by_project_id_resource(ctx, 'p1',
                                                           'Cluster')
    assert (found.id, found.hard_limit) == (quota.id, 5)
    assert objects.Quota.get_by_id(ctx, quota.id).project_id == 'p1'
    with pytest.raises(exception.QuotaNotFound):
        objects.Quota.get_quota_by_project_id_resource(ctx, 'p2', 'Cluster')
    with pytest.raises(exception.QuotaAlreadyExists):
        _create(ctx)


def test_list_and_by_project(dbapi, ctx):
    quotas = [_create(ctx, project_id=p) for p in ('p1', 'p2', 'p3')]
    assert [q.project_id for q in objects.Quota.list(ctx)] == [
        'p1', 'p2', 'p3']
    page = objects.Quota.list(ctx, limit=1, marker=quotas[0].id)
    assert [q.project_id for q in page] == ['p2']
    only = objects.Quota.list(ctx, filters={'project_id': 'p3'})
    assert [q.id for q in only] == [quotas[2].id]
    assert [q.id for q in objects.Quota.quota_get_all_by_project_id(
        ctx, 'p2')] == [quotas[1].id]
    assert objects.Quota.quota_get_all_by_project_id(ctx, 'p9') == []


def test_update_quota(dbapi, ctx):
    _create(ctx)
    updated = objects.Quota.update_quota(
        ctx, 'p1', {'resource': 'Cluster', 'hard_limit': 9})
    assert updated.hard_limit == 9
    assert objects.Quota.get_quota_by_project_id_resource(
        ctx, 'p1', 'Cluster').hard_limit == 9
    with pytest.raises(exception.QuotaNotFound):
        objects.Quota.update_quota(ctx, 'p2', {'resource': 'Cluster',
                                               'hard_limit': 1})


def test_save_writes_the_hard_limit(dbapi, ctx):
    quota = _create(ctx)
    quota.hard_limit = 0
    quota.save()
    assert objects.Quota.get_quota_by_project_id_resource(
        ctx, 'p1', 'Cluster').hard_limit == 0
    assert quota.obj_what_changed() == set()


def test_delete(dbapi, ctx):
    quota = _create(ctx)
    _create(ctx, project_id='p2')
    quota.delete()
    with pytest.raises(exception.QuotaNotFound):
        objects.Quota.get_quota_by_project_id_resource(ctx, 'p1', 'Cluster')
    assert [q.project_id for q in objects.Quota.list(ctx)] == ['p2']
    with pytest.raises(exception.QuotaNotFound):
        quota.delete()
