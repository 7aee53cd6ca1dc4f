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

"""The API runs on its libraries as they ship: building the application
(and serving requests) replaces nothing inside pecan, WSME, oslo.policy
or oslo.middleware. Its speed comes from its own code:
StoredRepresentation (magnum.api.controllers.base), which must read,
validate and encode as an instance of the WSME type does."""

import inspect
import json
import sys

import oslo_middleware.base
import oslo_policy._checks
import pecan.core
import pecan.util
import pytest
from wsme import types as wtypes
import wsme.exc
import wsme.rest.json

from magnum.api import json_encoding
from magnum.api.controllers import base
from magnum.api.controllers.v1 import cluster
from magnum.api.controllers.v1 import cluster_template
from magnum.api.controllers.v1 import collection
from magnum.tests.unit.api import wsme_samples

UUID = wsme_samples.UUID
WHEN = wsme_samples.WHEN
LIBRARIES = ('pecan', 'wsme', 'wsmeext', 'oslo_policy', 'oslo_middleware')


def _foreign_members():
    """(where, name, value) of every member of a library module, or of a
    class defined in one, whose value Magnum made: a function or object
    of a magnum module put inside the library."""
    found = []

    def ours(value):
        module = getattr(value, '__module__', None) or \
            type(value).__module__ or ''
        return module == 'magnum' or module.startswith('magnum.')

    for name, module in list(sys.modules.items()):
        if module is None or name.split('.')[0] not in LIBRARIES:
            continue
        for key, value in list(vars(module).items()):
            if ours(value) and not isinstance(value, type):
                found.append((name, key, value))
            if isinstance(value, type) and value.__module__ == name:
                for attr, member in list(vars(value).items()):
                    function = getattr(member, '__func__', member)
                    if ours(function) and not isinstance(function, type):
                        found.append(('%s.%s' % (name, value.__name__),
                                      attr, member))
    return found


def test_nothing_inside_the_libraries_is_replaced(api):
    from magnum.api import app
    app.setup_app()
    # Requests through every layer: routing, policy, WSME in and out.
    created = api.post('/clustertemplates', {
        'coe': 'kubernetes', 'image_id': 'fedora-coreos', 'name': 'tpl',
        'external_network_id': 'public'}, status=201).json['uuid']
    api.get('/clustertemplates/%s' % created)
    api.get('/clustertemplates')
    api.get('/clusters/detail')
    assert {'pecan.core', 'wsme.types', 'oslo_policy._checks',
            'oslo_middleware.base'} <= set(sys.modules)
    assert _foreign_members() == []


def test_the_functions_the_old_patches_replaced_are_the_stock_ones(api):
    from magnum.api import app
    app.setup_app()
    api.get('/clustertemplates')
    for module in (pecan.core, pecan.util, sys.modules['pecan.rest'],
                   sys.modules['pecan.routing'],
                   sys.modules['pecan.decorators']):
        assert module.getargspec.__module__ == 'pecan.util'
        assert module.getargspec is pecan.util.getargspec
    assert oslo_policy._checks.inspect is inspect
    assert oslo_middleware.base.getfullargspec is inspect.getfullargspec
    for method in ('__get__', '__set__'):
        assert vars(wtypes.wsattr)[method].__module__ == 'wsme.types'


def test_the_detector_sees_a_replacement(monkeypatch):
    # The test above would fail if anything of ours were put there.
    monkeypatch.setattr(oslo_middleware.base, 'getfullargspec',
                        base.utc)
    assert ('oslo_middleware.base', 'getfullargspec', base.utc) in \
        _foreign_members()


# -- StoredRepresentation against an instance of the type -------------------

def _error(error):
    if isinstance(error, wsme.exc.InvalidInput):
        return ('error', type(error), error.fieldname, error.value,
                str(error))
    return ('error', type(error), str(error))


# Assignments to a template: the value read back, or the error raised.
TEMPLATE_ASSIGNMENTS = [
    ('coe', 'kubernetes'), ('coe', 'mesos'), ('coe', wtypes.Unset),
    ('labels', {'a': 1, 'b': False}), ('labels', ['x']), ('labels', None),
    ('apiserver_port', 6443), ('apiserver_port', 80),
    ('apiserver_port', '8443'), ('name', 'a-name'), ('name', 5),
    ('uuid', UUID), ('uuid', 'nope'), ('public', 'yes'), ('public', 'x'),
    ('docker_volume_size', '3'), ('links', [{'href': 'h', 'rel': 's'}]),
    ('created_at', WHEN), ('created_at', '2026'), ('flavor_id', None),
]


def _assigned(item, key, value):
    try:
        setattr(item, key, value)
    except Exception as error:
        return _error(error)
    read = getattr(item, key)
    return ('value', read, type(read))


@pytest.mark.parametrize('key,value', TEMPLATE_ASSIGNMENTS)
def test_setting_an_attribute_validates_as_wsme_does(key, value):
    datatype = cluster_template.ClusterTemplate
    instance = datatype()
    stored = datatype.trusted({})
    assert _assigned(stored, key, value) == _assigned(instance, key, value)


def test_the_assignments_cover_values_and_errors():
    outcomes = [_assigned(cluster_template.ClusterTemplate(), k, v)[0]
                for k, v in TEMPLATE_ASSIGNMENTS]
    assert 'error' in outcomes and 'value' in outcomes


def _values():
    return {'uuid': UUID, 'name': 'tpl', 'coe': 'kubernetes',
            'image_id': 'fedora', 'labels': {'a': 'b'}, 'public': True,
            'apiserver_port': 6443, 'server_type': 'vm', 'hidden': False,
            'flavor_id': wtypes.Unset,
            'links': [{'href': 'h', 'rel': 'self'}]}


def _exercise(item, fields):
    """What the controllers do with a representation, and what it gives."""
    results = [[getattr(item, key) for key in fields]]
    item.set_timestamps(type('Stored', (), {'created_at': WHEN.replace(
        tzinfo=None), 'updated_at': None})())
    results.append((item.created_at, item.updated_at))
    item.fill([('flavor_id', 'm1'), ('name', wtypes.Unset)])
    results.append(item.as_dict())
    try:
        item.apiserver_port = 80
    except wsme.exc.InvalidInput as error:
        results.append(_error(error))
    item.unset_fields_except(['uuid', 'name', 'labels', 'links'])
    results.append(item.as_dict())
    # An attribute never set reads its declared default.
    results.append((item.tls_disabled, item.server_type, item.coe))
    results.append(json.loads(wsme.rest.json.encode_result(
        item, cluster_template.ClusterTemplate)))
    with json_encoding.stock():
        results.append(json.loads(wsme.rest.json.encode_result(
            item, cluster_template.ClusterTemplate)))
    return results


def test_a_stored_representation_behaves_as_an_instance():
    json_encoding.register()
    datatype = cluster_template.ClusterTemplate
    fields = datatype._object_fields() + ['links']
    instance = datatype()
    instance.fields = list(fields)
    for key, value in _values().items():
        setattr(instance, key, value)
    stored = datatype.trusted(_values(), fields=fields)
    assert isinstance(stored, base.StoredRepresentation)
    assert stored.datatype is datatype
    assert _exercise(stored, fields) == _exercise(instance, fields)
    # The type's methods and class attributes work on it.
    assert stored._resource == 'clustertemplates'
    assert stored._object_fields() == datatype._object_fields()
    with pytest.raises(AttributeError):
        stored.no_such_attribute


def test_stored_values_are_not_validated_again():
    # What trusted() and fill() are for: values Magnum stored are taken
    # as they are (an instance would refuse this port).
    item = cluster_template.ClusterTemplate.trusted({'apiserver_port': 80})
    assert item.apiserver_port == 80
    item.fill([('docker_volume_size', 0)])
    assert item.docker_volume_size == 0
    with pytest.raises(wsme.exc.InvalidInput):
        cluster_template.ClusterTemplate(apiserver_port=80)


def test_a_page_of_stored_representations():
    json_encoding.register()
    items = [cluster_template.ClusterTemplate.trusted(
        dict(_values(), uuid=u)) for u in (UUID, UUID.replace('5', '6'))]
    # (A full page links the next one: the list tests check that link.)
    page = cluster_template.ClusterTemplateCollection.page(items, 3)
    assert page.clustertemplates == items
    assert page.next is wtypes.Unset
    assert page.collection == items
    datatype = cluster_template.ClusterTemplateCollection
    ours = wsme.rest.json.encode_result(page, datatype)
    with json_encoding.stock():
        assert wsme.rest.json.encode_result(page, datatype) == ours
    assert [t['uuid'] for t in json.loads(ours)['clustertemplates']] == [
        item.uuid for item in items]
    assert issubclass(datatype, collection.Collection)


def test_a_cluster_view_set_after_filling():
    # Cluster.convert sets computed attributes on the representation.
    stored = cluster.Cluster.trusted({'uuid': UUID, 'status': 'CREATE_FAILED'})
    stored.faults = {'default-worker': 'quota exceeded'}
    stored.conditions = [{'type': 'Ready', 'status': 'False'}]
    with pytest.raises(wsme.exc.InvalidInput):
        stored.node_count = 'many'
    encoded = json.loads(wsme.rest.json.encode_result(stored,
                                                      cluster.Cluster))
    assert encoded['faults'] == {'default-worker': 'quota exceeded'}
    assert encoded['conditions'] == [{'type': 'Ready', 'status': 'False'}]


# -- routing ---------------------------------------------------------------

def test_the_root_routes_to_the_controllers_pecan_would_route_to(api):
    from magnum.api.controllers import v1
    from magnum.api.controllers.v1 import resources
    # RootController hands /v1/<resource>/... straight to the child of
    # /v1 of that name, the controller pecan's routing would reach.
    assert set(v1.MOUNTED) == set(resources.RESOURCES)
    for name, controller in v1.MOUNTED.items():
        assert getattr(v1.Controller, name) is controller
    # Through the shortcut, and without it (bookmark paths, /v1 itself,
    # unknown names).
    assert api.get('/clustertemplates', status=200).json == {
        'clustertemplates': []}
    assert api.get('/clustertemplates/', status=200).json == {
        'clustertemplates': []}
    assert api.get('/clustertemplates/no-such', status=404)
    assert api.get('/no-such-resource', status=404)
    assert 'clustertemplates' in api.get('/v1/', status=200).json
    assert api.app.get('/clustertemplates', headers=api._headers(
        'member', None, None)).json == {'clustertemplates': []}
