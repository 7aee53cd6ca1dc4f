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


"""ClusterTemplate objects against a real (SQLite) database."""

import pytest

from magnum import objects
from magnum.common import exception
from magnum.tests.unit.db import utils


def _new_template(ctx, **kw):
    values = utils.get_test_cluster_template(**kw)
    values.pop('uuid')
    return objects.ClusterTemplate(ctx, **values)


def test_create_and_get(dbapi, ctx):
    template = _new_template(ctx, name='k8s', labels={'kube_tag': 'v1'})
    template.create()
    assert template.id > 0
    for ident in (template.id, template.uuid, 'k8s'):
        found = objects.ClusterTemplate.get(ctx, ident)
        assert found.uuid == template.uuid
        assert found.labels == {'kube_tag': 'v1'}
        assert found.coe == 'swarm-mode'
        assert found.server_type == 'container'
    assert objects.ClusterTemplate.get_by_name(ctx, 'k8s').id == template.id
    assert objects.ClusterTemplate.get_by_id(
        ctx, template.id).uuid == template.uuid


def test_create_applies_boolean_defaults(dbapi, ctx):
    template = objects.ClusterTemplate(ctx, name='bare', coe='kubernetes',
                                       project_id=utils.PROJECT_ID)
    template.create()
    stored = objects.ClusterTemplate.get_by_uuid(ctx, template.uuid)
    assert stored.floating_ip_enabled is True
    assert (stored.public, stored.hidden, stored.tls_disabled,
            stored.registry_enabled, stored.master_lb_enabled) == (
        False, False, False, False, False)
    assert stored.labels == {}


def test_list_shows_own_and_public_templates(dbapi, ctx, other_ctx):
    mine = utils.create_test_cluster_template(dbapi, name='mine')
    public = utils.create_test_cluster_template(
        dbapi, name='public', project_id='other_project', public=True)
    utils.create_test_cluster_template(
        dbapi, name='private', project_id='other_project')
    utils.create_test_cluster_template(
        dbapi, name='hidden', project_id='other_project', public=True,
        hidden=True)
    assert [t.uuid for t in objects.ClusterTemplate.list(ctx)] == [
        mine.uuid, public.uuid]
    page = objects.ClusterTemplate.list(other_ctx, limit=1,
                                        sort_key='name')
    assert [t.name for t in page] == ['hidden']
    rest = objects.ClusterTemplate.list(other_ctx, marker=page[0].uuid,
                                        sort_key='name')
    assert [t.name for t in rest] == ['private', 'public']


def test_save_only_changes_and_expected(dbapi, ctx):
    row = utils.create_test_cluster_template(dbapi, name='t')
    first = objects.ClusterTemplate.get_by_uuid(ctx, row.uuid)
    second = objects.ClusterTemplate.get_by_uuid(ctx, row.uuid)
    first.public = True
    first.save()
    second.tags = 'a,b'
    second.save()
    stored = objects.ClusterTemplate.get_by_uuid(ctx, row.uuid)
    assert (stored.public, stored.tags) == (True, 'a,b')
    stored.name = 'renamed'
    with pytest.raises(exception.ConcurrentUpdate):
        stored.save(expected={'name': 'someone-else'})
    stored.save(expected={'name': 't'})
    assert objects.ClusterTemplate.get(ctx, 'renamed').uuid == row.uuid


def test_refresh(dbapi, ctx):
    row = utils.create_test_cluster_template(dbapi)
    template = objects.ClusterTemplate.get_by_uuid(ctx, row.uuid)
    dbapi.update_cluster_template(row.uuid, {'flavor_id': 'm1.large'})
    template.refresh()
    assert template.flavor_id == 'm1.large'
    assert template.obj_what_changed() == set()


def test_destroy_refused_while_referenced(dbapi, ctx):
    row = utils.create_test_cluster_template(dbapi)
    cluster = utils.create_test_cluster(dbapi, cluster_template_id=row.uuid)
    template = objects.ClusterTemplate.get_by_uuid(ctx, row.uuid)
    with pytest.raises(exception.ClusterTemplateReferenced):
        template.destroy()
    dbapi.destroy_cluster(cluster.uuid)
    template.destroy()
    with pytest.raises(exception.ClusterTemplateNotFound):
        objects.ClusterTemplate.get(ctx, row.uuid)
