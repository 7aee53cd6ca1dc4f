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

"""Single-row reads share one prepared SELECT per resource, key and scope
variant: each call binds only its own values, so no context's scope
reaches another's read, in whatever order the reads come."""

import itertools
import random

from oslo_utils import uuidutils
import pytest
import sqlalchemy as sa

from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.db.sqlalchemy import api as sqlalchemy_api
from magnum.tests.unit.db import utils

CONTEXTS = {
    'member-a': dict(project_id='project-a', user_id='user-a',
                     roles=['member']),
    'member-b': dict(project_id='project-b', user_id='user-b',
                     roles=['member']),
    # Scoped by user: a context without a project.
    'user-u1': dict(user_id='u1', roles=['member']),
    'user-u2': dict(user_id='u2', roles=['member']),
    'admin': dict(project_id='project-admin', user_id='admin',
                  roles=['admin'], is_admin=True),
    'all-tenants': dict(project_id='project-admin', user_id='admin',
                        roles=['admin'], is_admin=True, all_tenants=True),
}

# Templates by name: project, user, public, hidden.
TEMPLATES = {
    'a-own': ('project-a', 'user-a', False, False),
    'a-hidden': ('project-a', 'user-a', False, True),
    'b-private': ('project-b', 'user-b', False, False),
    'b-public': ('project-b', 'user-b', True, False),
    'b-public-hidden': ('project-b', 'user-b', True, True),
    'u1-own': (None, 'u1', False, False),
    'u1-hidden': (None, 'u1', False, True),
}

# Which templates each context sees (compatibility.rst, "Policy and
# visibility"): its project's (else its user's), plus public ones, which
# non-admins see only when not hidden; an admin with all_tenants sees
# every template.
VISIBLE = {
    'member-a': {'a-own', 'a-hidden', 'b-public'},
    'member-b': {'b-private', 'b-public', 'b-public-hidden'},
    'user-u1': {'u1-own', 'u1-hidden', 'b-public'},
    'user-u2': {'b-public'},
    'admin': {'b-public', 'b-public-hidden'},
    'all-tenants': set(TEMPLATES),
    None: set(TEMPLATES),
}


def _context(name):
    if name is None:
        return None
    return magnum_context.make_context(**CONTEXTS[name])


@pytest.fixture
def templates(dbapi):
    made = {}
    for name, (project, user, public, hidden) in TEMPLATES.items():
        made[name] = utils.create_test_cluster_template(
            dbapi, name=name, project_id=project, user_id=user,
            public=public, hidden=hidden)
    return made


def _visible(getter, context, ident):
    try:
        return getter(context, ident).name
    except exception.ClusterTemplateNotFound:
        return None


def test_template_visibility_in_any_order_of_contexts(dbapi, templates):
    reads = list(itertools.product(list(VISIBLE), TEMPLATES))
    # Twice over in a random order: every read after the first of its
    # variant runs the cached statement, right after a read of another
    # context and another template.
    reads = reads + reads
    random.Random(4).shuffle(reads)
    getters = (
        ('uuid', dbapi.get_cluster_template_by_uuid),
        ('id', dbapi.get_cluster_template_by_id),
        ('name', dbapi.get_cluster_template_by_name),
    )
    for context_name, template_name in reads:
        context = _context(context_name)
        expected = template_name \
            if template_name in VISIBLE[context_name] else None
        for key, getter in getters:
            ident = getattr(templates[template_name], key)
            assert _visible(getter, context, ident) == expected, (
                context_name, template_name, key)


def test_contexts_of_one_variant_share_one_statement(dbapi, templates):
    sqlalchemy_api._PREPARED.clear()
    for context_name in ('member-a', 'member-b'):
        for template_name in TEMPLATES:
            _visible(dbapi.get_cluster_template_by_uuid,
                     _context(context_name),
                     templates[template_name].uuid)
    template_reads = [key for key in sqlalchemy_api._PREPARED
                      if key[0] is sqlalchemy_api.models.ClusterTemplate]
    assert template_reads == [(sqlalchemy_api.models.ClusterTemplate,
                               ('uuid',), ('project_id', 'shown'), 2)]


def test_list_and_single_reads_agree(dbapi, templates):
    for context_name in VISIBLE:
        context = _context(context_name)
        listed = {t.name for t in dbapi.get_cluster_template_list(context)}
        assert listed == VISIBLE[context_name], context_name


def test_context_without_project_or_user_sees_rows_without_user(dbapi):
    # Magnum's own admin context has neither: its scope compares user_id
    # with NULL, which matches rows without a user (IS NULL).
    ownerless = utils.create_test_cluster_template(
        dbapi, name='ownerless', project_id=None, user_id=None)
    owned = utils.create_test_cluster_template(dbapi, name='owned')
    public = utils.create_test_cluster_template(
        dbapi, name='public', project_id='other', public=True, hidden=True)
    context = magnum_context.make_admin_context()
    assert context.project_id is None and context.user_id is None
    get = dbapi.get_cluster_template_by_uuid
    assert get(context, ownerless.uuid).name == 'ownerless'
    assert get(context, public.uuid).name == 'public'
    with pytest.raises(exception.ClusterTemplateNotFound):
        get(context, owned.uuid)
    # A member's read in between does not change what it sees.
    member = magnum_context.make_context(project_id=utils.PROJECT_ID,
                                         user_id=utils.USER_ID)
    assert get(member, owned.uuid).name == 'owned'
    with pytest.raises(exception.ClusterTemplateNotFound):
        get(context, owned.uuid)


def test_name_lookups_count_only_visible_rows(dbapi):
    for project in ('project-a', 'project-a', 'project-b'):
        utils.create_test_cluster_template(dbapi, name='twin',
                                           project_id=project)
    get = dbapi.get_cluster_template_by_name
    with pytest.raises(exception.NameNotUnique) as err:
        get(_context('member-a'), 'twin')
    assert 'twin' in str(err.value)
    assert get(_context('member-b'), 'twin').project_id == 'project-b'
    with pytest.raises(exception.ClusterTemplateNotFound):
        get(_context('user-u1'), 'twin')
    with pytest.raises(exception.NameNotUnique):
        get(_context('all-tenants'), 'twin')
    with pytest.raises(exception.NameNotUnique):
        get(_context('member-a'), 'twin')


def test_malformed_identifiers_are_rejected_before_any_read(dbapi):
    context = _context('member-a')
    with pytest.raises(exception.InvalidUUID):
        dbapi.get_cluster_template_by_uuid(context, 'not-a-uuid')
    with pytest.raises(exception.InvalidIdentity):
        dbapi.get_cluster_template_by_id(context, 'abc')


def test_cluster_reads_by_owner(dbapi):
    mine = utils.create_test_cluster(dbapi, name='c', project_id='project-a',
                                     user_id='user-a')
    theirs = utils.create_test_cluster(dbapi, name='c',
                                       project_id='project-b',
                                       user_id='user-b')
    # Without a project a cluster cannot have nodegroups.
    users = dbapi.create_cluster(utils.get_test_cluster(
        name='c', project_id=None, user_id='u1'))
    expected = {
        'member-a': {mine.uuid},
        'member-b': {theirs.uuid},
        'user-u1': {users.uuid},
        'user-u2': set(),
        'admin': set(),
        'all-tenants': {mine.uuid, theirs.uuid, users.uuid},
    }
    for _ in range(2):
        for context_name, seen in expected.items():
            context = _context(context_name)
            for cluster in (mine, theirs, users):
                for getter, ident in (
                        (dbapi.get_cluster_by_uuid, cluster.uuid),
                        (dbapi.get_cluster_by_id, cluster.id)):
                    if cluster.uuid in seen:
                        assert getter(context, ident).uuid == cluster.uuid
                    else:
                        with pytest.raises(exception.ClusterNotFound):
                            getter(context, ident)
            if len(seen) == 1:
                assert dbapi.get_cluster_by_name(
                    context, 'c').uuid in seen
            elif seen:
                with pytest.raises(exception.NameNotUnique):
                    dbapi.get_cluster_by_name(context, 'c')


def test_nodegroup_reads_within_their_cluster(dbapi):
    cluster = utils.create_test_cluster(dbapi, project_id='project-a')
    other = utils.create_test_cluster(dbapi, project_id='project-a')
    groups = dbapi.list_cluster_nodegroups(None, cluster.uuid)
    other_groups = dbapi.list_cluster_nodegroups(None, other.uuid)
    for _ in range(2):
        for group in groups + other_groups:
            for context_name in ('member-a', 'admin', 'all-tenants'):
                context = _context(context_name)
                assert dbapi.get_nodegroup_by_uuid(
                    context, group.cluster_id, group.uuid).id == group.id
                assert dbapi.get_nodegroup_by_name(
                    context, group.cluster_id, group.name).id == group.id
                assert dbapi.get_nodegroup_by_id(
                    context, group.cluster_id, group.id).id == group.id
                wrong = other.uuid if group.cluster_id == cluster.uuid \
                    else cluster.uuid
                with pytest.raises(exception.NodeGroupNotFound):
                    dbapi.get_nodegroup_by_uuid(context, wrong, group.uuid)
            # Nodegroups are scoped by project for non-admins only.
            for context_name in ('member-b', 'user-u1'):
                with pytest.raises(exception.NodeGroupNotFound):
                    dbapi.get_nodegroup_by_uuid(
                        _context(context_name), group.cluster_id,
                        group.uuid)


def test_none_compares_as_is_null_as_before(dbapi):
    # ``column == None`` is IS NULL, a statement of its own, not the
    # prepared ``column = :value`` (which would match nothing).
    cluster = utils.create_test_cluster(dbapi, name=None)
    context = _context(None)
    assert dbapi.get_cluster_by_name(context, None).uuid == cluster.uuid


def test_marker_lookups_are_scoped(dbapi):
    mine = [utils.create_test_cluster(dbapi, name='m%d' % i,
                                      project_id='project-a')
            for i in range(3)]
    theirs = utils.create_test_cluster(dbapi, name='t',
                                       project_id='project-b')
    member_a, member_b = _context('member-a'), _context('member-b')
    for _ in range(2):
        assert [c.name for c in dbapi.get_cluster_list(
            member_a, marker=mine[0].uuid)] == ['m1', 'm2']
        with pytest.raises(exception.MarkerNotFound):
            dbapi.get_cluster_list(member_b, marker=mine[0].uuid)
        assert dbapi.get_cluster_list(member_b, marker=theirs.uuid) == []
        with pytest.raises(exception.MarkerNotFound):
            dbapi.get_cluster_list(member_a, marker=theirs.uuid)
        # With filters the marker must meet them too.
        with pytest.raises(exception.MarkerNotFound):
            dbapi.get_cluster_list(member_a, marker=mine[0].uuid,
                                   filters={'name': 'm1'})
        assert [c.name for c in dbapi.get_cluster_list(
            member_a, marker=mine[0].uuid,
            filters={'name': ['m0', 'm2']})] == ['m2']
    dbapi.create_magnum_service(utils.get_test_magnum_service())
    dbapi.create_magnum_service(utils.get_test_magnum_service(host='h2'))
    first = dbapi.get_magnum_service_list()[0]
    assert [s.host for s in dbapi.get_magnum_service_list(
        marker=first.id)] == ['h2']
    with pytest.raises(exception.MarkerNotFound):
        dbapi.get_magnum_service_list(marker=first.id + 100)


def test_reads_inside_a_transaction_use_its_session(dbapi):
    template = utils.create_test_cluster_template(dbapi, name='before')
    model = sqlalchemy_api.models.ClusterTemplate
    context = magnum_context.make_context(project_id=utils.PROJECT_ID,
                                          user_id=utils.USER_ID)
    with dbapi._writer() as session:
        session.execute(sa.update(model).where(
            model.uuid == template.uuid).values(name='during'))
        found = dbapi.get_cluster_template_by_uuid(context, template.uuid)
        assert isinstance(found, model) and found.name == 'during'
        with pytest.raises(exception.ClusterTemplateNotFound):
            dbapi.get_cluster_template_by_uuid(
                _context('member-b'), template.uuid)
        with pytest.raises(exception.ClusterTemplateNotFound):
            dbapi.get_cluster_template_by_uuid(
                context, uuidutils.generate_uuid())
        session.rollback()
    found = dbapi.get_cluster_template_by_uuid(context, template.uuid)
    assert isinstance(found, sqlalchemy_api.Record)
    assert found.name == 'before'
