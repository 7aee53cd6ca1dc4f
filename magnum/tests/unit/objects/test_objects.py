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


"""The object registry, the shared base helpers, fields and serialization."""

import datetime
import gc
import weakref

from oslo_utils import uuidutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import exception as ovo_exception
from oslo_versionedobjects import fields
from oslo_versionedobjects import fixture
import pytest

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.objects import base
from magnum.objects import fields as m_fields
from magnum.tests.unit.db import utils

# The fingerprint of every object: its version and a hash of its fields and
# remotable method signatures. A change to either changes the hash; when it
# does, bump the object's VERSION, add a line to its version history and
# put the new fingerprint here.
object_data = {
    'Certificate': '1.0-8a72a5ba9de4581f705f24a11ecee127',
    'Cluster': '1.3-1683ea7ebc33fffae83ca7ff1d67af23',
    'ClusterRequest': '1.0-4b4e034ec6d18ac7205cb704e4a0a44b',
    'ClusterTemplate': '1.0-91b76e812b0ea34c152214babd8619e2',
    'Container': '1.0-a385080164b436f6739117053799c09c',
    'Federation': '1.0-b015ff3245dec16e800822ed20f726da',
    'MagnumService': '1.0-b05ad29fef92f44466e7fa6d756ac437',
    'NodeGroup': '1.2-e2e1bc3f2143847b9b43de57083f43bb',
    'Quota': '1.1-df5955d60aa2122876ad11954fcbdb2a',
    'Stats': '1.0-df3be0eb6a336326e7e8deb97784365f',
    'X509KeyPair': '1.0-690f4c766b97e555513237fd91d509c0',
}


def _magnum_classes():
    return {name: classes for name, classes in
            base.MagnumObjectRegistry.obj_classes().items()
            if classes[0].OBJ_PROJECT_NAMESPACE == 'magnum'}


# -- registry and versions ---------------------------------------------------

def test_object_fingerprints_match_object_data():
    checker = fixture.ObjectVersionChecker(_magnum_classes())
    expected, actual = checker.test_hashes(object_data)
    assert expected == actual, (
        "Fields or remotable method signatures of these objects changed: "
        "%s. Bump the object's version (and note it in its version "
        "history) and update object_data in %s with the new fingerprints: "
        "%s" % (sorted(actual), __file__, actual))


def test_every_registered_object_is_in_object_data():
    assert sorted(_magnum_classes()) == sorted(object_data), (
        "Every registered object needs a fingerprint in object_data and "
        "every fingerprint a registered object.")


def test_registered_objects_are_published_on_the_package():
    for name, classes in _magnum_classes().items():
        assert getattr(objects, name) is classes[0]
    assert objects.Cluster.obj_name() == 'Cluster'


def test_register_all_is_idempotent():
    before = {name: list(classes)
              for name, classes in _magnum_classes().items()}
    objects.register_all()
    assert {name: list(classes)
            for name, classes in _magnum_classes().items()} == before


def test_newest_version_is_published():
    class Probe(base.MagnumObject):
        VERSION = '1.0'
        fields = {}

    class ProbeNewer(base.MagnumObject):
        VERSION = '1.1'
        fields = {}

        @classmethod
        def obj_name(cls):
            return 'Probe'

    registry = base.MagnumObjectRegistry()
    try:
        base.MagnumObjectRegistry.register(ProbeNewer)
        base.MagnumObjectRegistry.register(Probe)
        assert objects.Probe is ProbeNewer
    finally:
        registry._obj_classes.pop('Probe', None)
        if hasattr(objects, 'Probe'):
            delattr(objects, 'Probe')


def test_namespaces():
    assert base.MagnumObject.OBJ_SERIAL_NAMESPACE == 'magnum_object'
    assert base.MagnumObject.OBJ_PROJECT_NAMESPACE == 'magnum'
    assert issubclass(base.MagnumObject, ovo_base.VersionedObjectDictCompat)


# -- base helpers -------------------------------------------------------------

def test_as_dict_has_only_set_fields():
    quota = objects.Quota(project_id='p', hard_limit=3)
    assert quota.as_dict() == {'project_id': 'p', 'hard_limit': 3}


def test_dict_style_access():
    quota = objects.Quota(project_id='p')
    quota['hard_limit'] = 5
    assert quota['hard_limit'] == 5
    assert quota.get('resource', 'none') == 'none'
    assert sorted(quota) == ['hard_limit', 'project_id']


def test_from_db_object_takes_every_field_and_resets_changes():
    row = dict(utils.get_test_quota(hard_limit=7), id=4,
               created_at=datetime.datetime(2024, 1, 2, 3, 4, 5),
               updated_at=None)
    ctx = magnum_context.make_context(project_id='p')
    quota = base.MagnumPersistentObject._from_db_object(
        ctx, objects.Quota(), row)
    assert quota.as_dict() == {
        'id': 4, 'project_id': utils.PROJECT_ID, 'resource': 'Cluster',
        'hard_limit': 7, 'updated_at': None,
        'created_at': datetime.datetime(2024, 1, 2, 3, 4, 5,
                                        tzinfo=datetime.timezone.utc)}
    assert quota.obj_what_changed() == set()
    assert quota._context is ctx


def test_from_db_object_coerces_values_of_other_types():
    # What is already of the field's type is taken as it is; anything
    # else goes through the field's coercion, as assignment would.
    row = dict(utils.get_test_quota(), id='4', hard_limit=True,
               project_id=12, created_at=None, updated_at=None)
    quota = base.MagnumPersistentObject._from_db_object(
        None, objects.Quota(), row)
    assert (quota.id, quota.hard_limit, quota.project_id) == (4, 1, '12')
    assert type(quota.hard_limit) is int
    with pytest.raises(ValueError):
        base.MagnumPersistentObject._from_db_object(
            None, objects.Quota(), dict(row, hard_limit='many'))
    with pytest.raises(ValueError):  # not nullable
        base.MagnumPersistentObject._from_db_object(
            None, objects.Quota(), dict(row, hard_limit=None))


def test_objects_read_from_rows_are_freed_without_the_cyclic_gc():
    row = dict(utils.get_test_cluster(labels={'a': 'b'},
                                      health_status_reason={'x': 'y'}),
               id=1, created_at=None, updated_at=None)
    row.update({name: None for name in objects.Cluster.fields
                if name not in row})
    gc.disable()
    try:
        cluster = base.MagnumPersistentObject._from_db_object(
            None, objects.Cluster(), row)
        labels = cluster.labels
        freed = weakref.ref(cluster)
        del cluster
        # Freed by reference counting alone: no cycle through its dicts.
        assert freed() is None
    finally:
        gc.enable()
    # The dict still coerces what is put into it.
    labels['n'] = 1
    assert labels['n'] == '1'


def test_from_db_object_uuid_fields_coerce_as_assignment_does():
    class Named(base.MagnumPersistentObject, base.MagnumObject):
        fields = {'id': fields.IntegerField(),
                  'uuid': fields.UUIDField(nullable=True),
                  'created_at': fields.DateTimeField(nullable=True),
                  'updated_at': fields.DateTimeField(nullable=True)}

    row = {'id': 1, 'created_at': None, 'updated_at': None}
    for value in (uuidutils.generate_uuid(), None, 'not-a-uuid', 42):
        loaded = base.MagnumPersistentObject._from_db_object(
            None, Named(), dict(row, uuid=value))
        assigned = Named.fields['uuid'].coerce(None, 'uuid', value)
        assert loaded._obj_uuid == assigned
        assert type(loaded._obj_uuid) is type(assigned)


def test_from_db_object_string_containers_coerce_as_assignment_does():
    class Labelled(base.MagnumPersistentObject, base.MagnumObject):
        fields = {'id': fields.IntegerField(),
                  'labels': fields.DictOfStringsField(nullable=True),
                  'notes': fields.DictOfNullableStringsField(),
                  'addresses': fields.ListOfStringsField(nullable=True),
                  'created_at': fields.DateTimeField(nullable=True),
                  'updated_at': fields.DateTimeField(nullable=True)}

    # (Unregistered, the class has no field properties: its values are
    # read from the attributes that hold them.)
    row = {'id': 1, 'created_at': None, 'updated_at': None,
           'notes': {'a': None}, 'addresses': ['10.0.0.1']}
    # All strings (the quick way), or not (the field's own coercion).
    for labels in ({'a': 'b', 'c': ''}, {}, None, {'n': 1, 'b': True}):
        loaded = base.MagnumPersistentObject._from_db_object(
            None, Labelled(), dict(row, labels=labels))
        assigned = Labelled.fields['labels'].coerce(None, 'labels', labels)
        assert loaded._obj_labels == assigned
        assert type(loaded._obj_labels) is type(assigned)
        if labels is not None:
            # Still coerces what is put in it later, as assigned ones do.
            loaded._obj_labels['k'] = 3
            assert loaded._obj_labels['k'] == '3'
    for addresses in (['a', 'b'], [], [1, 2]):
        loaded = base.MagnumPersistentObject._from_db_object(
            None, Labelled(), dict(row, labels=None, addresses=addresses))
        assert loaded._obj_addresses == Labelled.fields['addresses'].coerce(
            None, 'addresses', addresses)
        assert type(loaded._obj_addresses) is fields.CoercedList
        loaded._obj_addresses.append(5)
        assert loaded._obj_addresses[-1] == '5'
    loaded = base.MagnumPersistentObject._from_db_object(
        None, Labelled(), dict(row, labels=None))
    assert loaded._obj_notes == {'a': None}
    # None in a dict whose strings may not be null: the field refuses it.
    with pytest.raises(ValueError):
        base.MagnumPersistentObject._from_db_object(
            None, Labelled(), dict(row, labels={'a': None}))
    # Nor is a key other than a string taken as it is.
    with pytest.raises(Exception):
        base.MagnumPersistentObject._from_db_object(
            None, Labelled(), dict(row, labels={1: 'a'}))


def test_from_db_object_keeps_read_only_fields():
    class Frozen(base.MagnumPersistentObject, base.MagnumObject):
        fields = {'id': fields.IntegerField(read_only=True),
                  'created_at': fields.DateTimeField(nullable=True),
                  'updated_at': fields.DateTimeField(nullable=True)}

    row = {'id': 1, 'created_at': None, 'updated_at': None}
    frozen = base.MagnumPersistentObject._from_db_object(None, Frozen(), row)
    base.MagnumPersistentObject._from_db_object(None, frozen, row)
    with pytest.raises(ovo_exception.ReadOnlyFieldError):
        base.MagnumPersistentObject._from_db_object(
            None, frozen, dict(row, id=2))


def test_from_db_object_needs_every_field():
    with pytest.raises(KeyError):
        base.MagnumPersistentObject._from_db_object(
            None, objects.Quota(), {'id': 1, 'hard_limit': 2})


def test_from_db_object_list():
    rows = [dict(utils.get_test_quota(project_id=p), id=i, created_at=None,
                 updated_at=None) for i, p in enumerate(['a', 'b'], 1)]
    quotas = objects.Quota._from_db_object_list(None, rows)
    assert [(q.id, q.project_id) for q in quotas] == [(1, 'a'), (2, 'b')]
    assert all(isinstance(q, objects.Quota) for q in quotas)


def test_changes_for_db_stores_naive_utc():
    service = objects.MagnumService()
    service.last_seen_up = datetime.datetime(
        2024, 5, 1, 12, 0, tzinfo=datetime.timezone(
            datetime.timedelta(hours=2)))
    service.host = 'h'
    assert service._changes_for_db() == {
        'last_seen_up': datetime.datetime(2024, 5, 1, 10, 0),
        'host': 'h'}


@pytest.mark.parametrize('ident,expected', [
    (7, ('id', 7)),
    ('12', ('id', 12)),
    ('6ba7b810-9dad-11d1-80b4-00c04fd430c8',
     ('uuid', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')),
    ('my-cluster', ('name', 'my-cluster')),
])
def test_get_by_ident_dispatch(ident, expected):
    assert base.get_by_ident(
        ident, lambda i: ('id', i), lambda u: ('uuid', u),
        lambda n: ('name', n)) == expected


def test_get_by_ident_without_names():
    with pytest.raises(exception.InvalidIdentity):
        base.get_by_ident('my-cluster', lambda i: i, lambda u: u)


def test_remotable_methods_need_a_context():
    with pytest.raises(ovo_exception.OrphanedObjectError):
        objects.Quota(project_id='p', hard_limit=1).create()


# -- fields -------------------------------------------------------------------

def test_cluster_status_groups_are_statuses():
    status = m_fields.ClusterStatus
    for group in (status.STATUS_FAILED, status.STATUS_STABLE,
                  status.STATUS_IN_PROGRESS, status.STATUS_RESIZABLE):
        assert isinstance(group, tuple)
        assert set(group) <= set(status.ALL)
    assert len(status.ALL) == 18
    assert status.UPDATE_FAILED in status.STATUS_RESIZABLE
    assert status.UPDATE_FAILED not in status.STATUS_STABLE
    assert not set(status.STATUS_FAILED) & set(status.STATUS_STABLE)


def test_enum_fields_refuse_unknown_values():
    cluster = objects.Cluster()
    cluster.status = 'CREATE_COMPLETE'
    with pytest.raises(ValueError):
        cluster.status = 'SLEEPING'
    with pytest.raises(ValueError):
        cluster.health_status = 'FINE'
    template = objects.ClusterTemplate(coe='swarm-mode',
                                       server_type='container')
    assert (template.coe, template.server_type) == ('swarm-mode',
                                                     'container')
    with pytest.raises(ValueError):
        template.coe = 'mesos'
    with pytest.raises(ValueError):
        objects.Quota(resource='Pods')


def test_enum_values():
    assert m_fields.ServerType.ALL == ('vm', 'bm', 'container')
    assert m_fields.ClusterType.ALL == ('kubernetes', 'swarm', 'swarm-mode')
    assert m_fields.ClusterHealthStatus.ALL == ('HEALTHY', 'UNHEALTHY',
                                                'UNKNOWN')
    assert len(m_fields.FederationStatus.ALL) == 9
    assert m_fields.MagnumServiceState.ALL == ('up', 'down')
    assert m_fields.MagnumServiceBinary.ALL == ('magnum-conductor',)
    assert m_fields.QuotaResourceName.ALL == ('Cluster', 'Container')
    field = m_fields.MagnumServiceStateField()
    assert field.coerce(None, 'state', 'up') == 'up'
    with pytest.raises(ValueError):
        field.coerce(None, 'state', 'sideways')


# -- serialization ------------------------------------------------------------

def test_serializer_round_trip_keeps_fields_and_binds_context():
    ctx = magnum_context.make_context(project_id='p', user_id='u',
                                      all_tenants=False)
    cluster = objects.Cluster(
        ctx, id=3, uuid=uuidutils.generate_uuid(), name='c1',
        labels={'kube_tag': 'v1.30.1'}, status='CREATE_COMPLETE',
        health_status='HEALTHY', health_status_reason={'api': 'ok'},
        create_timeout=60, floating_ip_enabled=False,
        created_at=datetime.datetime(2024, 1, 1,
                                     tzinfo=datetime.timezone.utc))
    serializer = base.MagnumObjectSerializer()
    primitive = serializer.serialize_entity(ctx, cluster)
    assert primitive['magnum_object.name'] == 'Cluster'
    assert primitive['magnum_object.version'] == objects.Cluster.VERSION
    receiver_ctx = magnum_context.RequestContext.from_dict(ctx.to_dict())
    copy = serializer.deserialize_entity(receiver_ctx, primitive)
    assert isinstance(copy, objects.Cluster)
    assert copy.as_dict() == cluster.as_dict()
    assert copy._context is receiver_ctx
    assert copy.obj_what_changed() == cluster.obj_what_changed()


def test_serializer_passes_plain_values_through():
    serializer = base.MagnumObjectSerializer()
    assert serializer.serialize_entity(None, {'a': [1]}) == {'a': [1]}
    assert serializer.deserialize_entity(None, 'x') == 'x'
