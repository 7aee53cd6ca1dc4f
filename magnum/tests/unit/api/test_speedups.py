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

"""The compiled WSME validators and encoders of magnum.api.speedups give
exactly what WSME's generic ones give, for every type the API uses."""

import datetime
import inspect
import json

import pytest
from wsme import types as wtypes
import wsme.exc
import wsme.rest.json

from magnum.api import speedups
from magnum.api.controllers import base
from magnum.api.controllers.v1 import bay
from magnum.api.controllers.v1 import baymodel
from magnum.api.controllers.v1 import cluster
from magnum.api.controllers.v1 import cluster_template
from magnum.api.controllers.v1 import federation
from magnum.api.controllers.v1 import nodegroup
from magnum.api.controllers.v1 import quota
from magnum.api.controllers.v1 import types

UUID = '5d12f6fd-a196-4bf0-ae4c-1f639a523a52'
WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5,
                         tzinfo=datetime.timezone.utc)

# Each datatype with values it accepts and values it refuses.
VALIDATION_CASES = [
    (wtypes.text, ['abc', '', b'bytes'], [1, 2.5, ['x']]),
    (int, [1, 0, -3, True, '12', b'7'], ['x', 2.5, None and 1]),
    (float, [1.5, 2, '2.5'], ['x', [1]]),
    (bool, [True, False], ['yes', 1]),
    (datetime.datetime, [WHEN], ['2026-01-02', 5]),
    (wtypes.StringType(min_length=1, max_length=5), ['abc'],
     ['', 'toolong', 5]),
    (wtypes.StringType(pattern=r'^/\w+$'), ['/path'], ['nope']),
    (wtypes.IntegerType(minimum=1, maximum=10), [1, 10], [0, 11]),
    (wtypes.Enum(wtypes.text, 'a', 'b'), ['a'], ['c', 1]),
    (types.uuid, [UUID], ['not-a-uuid']),
    (types.boolean, [True, 'yes', 'off'], ['maybe', 3]),
    (types.labels, [{'a': 'b', 'n': 1, 'f': False}, {}],
     [['a'], {'a': [1]}, 'text']),
    ([{str: str}], [[{'href': 'h', 'rel': 'self'}], []],
     [{'a': 'b'}, ['x'], [{'a': 1.5}]]),
    ({str: int}, [{'a': 1, 'b': '2'}], [['a'], {'a': 'x'}]),
    (wtypes.ArrayType(wtypes.IntegerType(minimum=0)), [[1, 2]],
     [[-1], 'x']),
    (cluster_template.ClusterTemplate, [cluster_template.ClusterTemplate()],
     [{'name': 'x'}, 'x']),
]


def _outcome(function):
    try:
        return 'value', function()
    except (ValueError, TypeError, wsme.exc.ClientSideError,
            Exception) as error:
        return 'error', (type(error), str(error))


@pytest.mark.parametrize('datatype,good,bad', VALIDATION_CASES)
def test_compiled_validator_matches_validate_value(datatype, good, bad):
    validate = speedups.compile_validator(datatype)
    for value in list(good) + list(bad) + [None, wtypes.Unset]:
        expected = _outcome(lambda: wtypes.validate_value(datatype, value))
        assert _outcome(lambda: validate(value)) == expected, value
    for value in good:
        assert _outcome(lambda: validate(value))[0] == 'value'
    for value in bad:
        if value is None:
            continue
        assert _outcome(lambda: validate(value))[0] == 'error'


def test_invalid_attribute_still_reports_its_name():
    template = cluster_template.ClusterTemplate()
    with pytest.raises(wsme.exc.InvalidInput) as caught:
        template.coe = 'mesos'
    assert caught.value.fieldname == 'coe'
    assert caught.value.value == 'mesos'


def test_unset_attribute_reads_its_default_and_deletes():
    template = cluster_template.ClusterTemplate()
    assert template.name is None  # declared default
    assert template.flavor_id is wtypes.Unset
    template.flavor_id = 'm1.small'
    assert template.flavor_id == 'm1.small'
    template.flavor_id = wtypes.Unset
    assert template.flavor_id is wtypes.Unset


def _filled(datatype):
    """An instance of the API type with every attribute set to a value of
    its declared type (links and nested types included)."""
    item = datatype()
    for attribute in wtypes.list_attributes(datatype):
        sample = _sample(attribute.datatype)
        if sample is not wtypes.Unset:
            setattr(item, attribute.key, sample)
    return item


def _sample(datatype):
    if isinstance(datatype, wtypes.ArrayType):
        if wtypes.iscomplex(datatype.item_type):
            return [_filled(datatype.item_type), None]
        sample = _sample(datatype.item_type)
        return wtypes.Unset if sample is wtypes.Unset else [sample]
    if isinstance(datatype, wtypes.DictType):
        sample = _sample(datatype.value_type)
        return wtypes.Unset if sample is wtypes.Unset else {'key': sample}
    if wtypes.iscomplex(datatype):
        return _filled(datatype)
    if datatype is types.uuid:
        return UUID
    if datatype is types.labels:
        return {'a': 'b'}
    if datatype is types.jsontype:
        return {'any': ['json', 1]}
    if isinstance(datatype, wtypes.Enum):
        return sorted(datatype.values, key=str)[0]
    if isinstance(datatype, wtypes.IntegerType):
        return datatype.minimum or 1
    if isinstance(datatype, wtypes.UserType):
        base_type = datatype.basetype
        if isinstance(base_type, wtypes.DictType):  # federation properties
            return {'dns-zone': 'example.com.'}
        if base_type is bool or datatype is types.boolean:
            return True
        if datatype is types.name:
            return 'a-name'
        return 'text'
    return {str: 'text', int: 3, bool: True, float: 1.5,
            datetime.datetime: WHEN}.get(datatype, wtypes.Unset)


API_TYPES = [cluster_template.ClusterTemplate,
             cluster_template.ClusterTemplateCollection,
             baymodel.BayModel, baymodel.BayModelCollection,
             cluster.Cluster, cluster.ClusterCollection,
             bay.Bay, bay.BayCollection,
             nodegroup.NodeGroup, nodegroup.NodeGroupCollection,
             federation.Federation, federation.FederationCollection,
             quota.Quota, quota.QuotaCollection]


@pytest.mark.parametrize('datatype', API_TYPES,
                         ids=[t.__name__ for t in API_TYPES])
def test_compiled_encoder_matches_tojson(datatype):
    item = _filled(datatype)
    expected = json.dumps(wsme.rest.json.tojson(datatype, item))
    assert speedups.encode_result(item, datatype) == expected
    # Every attribute took part (no silent Unset).
    assert len(json.loads(expected)) == len(
        [a for a in wtypes.list_attributes(datatype)
         if getattr(item, a.key) is not wtypes.Unset])


def test_compiled_encoder_of_partly_unset_and_none_values():
    item = cluster_template.ClusterTemplate(name=None, coe='kubernetes')
    item.created_at = WHEN
    item.labels = None
    for datatype, value in [(cluster_template.ClusterTemplate, item),
                            (wtypes.ArrayType(cluster_template.ClusterTemplate),
                             [item]),
                            (base.APIBase, None)]:
        assert speedups.encode_result(value, datatype) == json.dumps(
            wsme.rest.json.tojson(datatype, value))


def test_encode_result_nests_like_wsme():
    assert speedups.encode_result(
        5, int, nest_result=True, nested_result_attrname='n') == '{"n": 5}'


def test_other_registered_converters_are_still_used():
    sentinel = object()

    @wsme.rest.json.tojson.when_object(sentinel)
    def sentinel_tojson(datatype, value):
        return 'converted %s' % value

    assert speedups.compile_encoder(sentinel)(3) == 'converted 3'


class _Check:
    def __call__(self, target, creds, enforcer, current_rule=None):
        return True


def test_cached_argspec_is_inspects():
    bound = _Check().__call__
    assert speedups.cached_getfullargspec(bound) == \
        inspect.getfullargspec(bound)
    assert speedups.cached_getfullargspec(_Check.__call__) == \
        inspect.getfullargspec(_Check.__call__)
    # The cache answers for the function behind every bound method.
    assert speedups.cached_getfullargspec(_Check().__call__) is \
        speedups.cached_getfullargspec(bound)


def test_oslo_policy_checks_see_the_cached_argspec():
    import oslo_policy._checks

    assert oslo_policy._checks.inspect.getfullargspec is \
        speedups.cached_getfullargspec
    assert oslo_policy._checks.inspect.isclass is inspect.isclass


def test_assign_validates_like_setattr():
    template = cluster_template.ClusterTemplate()
    template.assign([('coe', 'kubernetes'), ('labels', {'a': 1}),
                     ('flavor_id', wtypes.Unset), ('fields', ['coe'])])
    assert template.coe == 'kubernetes'
    assert template.labels == {'a': '1'}
    assert template.fields == ['coe']  # not a WSME attribute: plain set
    with pytest.raises(wsme.exc.InvalidInput) as caught:
        template.assign([('apiserver_port', 80)])
    assert caught.value.fieldname == 'apiserver_port'
    template.assign([('coe', wtypes.Unset)])
    assert template.coe is wtypes.Unset


def test_fill_sets_values_as_they_are_without_validating():
    template = cluster_template.ClusterTemplate()
    template.fill([('coe', 'kubernetes'), ('apiserver_port', 80),
                   ('labels', {'a': 1})])
    # Values taken as given: nothing converted, nothing refused.
    assert template.apiserver_port == 80
    assert template.labels == {'a': 1}
    template.fill([('coe', wtypes.Unset)])
    assert template.coe is wtypes.Unset


def test_trusted_representation_encodes_like_a_validated_one():
    values = {'uuid': UUID, 'name': 'tpl', 'coe': 'kubernetes',
              'image_id': 'fedora', 'labels': {'a': 'b'}, 'public': True,
              'apiserver_port': 6443, 'server_type': 'vm', 'hidden': False,
              'links': [{'href': 'h', 'rel': 'self'}]}
    fields = cluster_template.ClusterTemplate._object_fields() + ['links']
    validated = cluster_template.ClusterTemplate(**values)
    validated.fill([('links', values['links'])])
    trusted = cluster_template.ClusterTemplate.trusted(values, fields=fields)
    datatype = cluster_template.ClusterTemplate
    assert speedups.encode_result(trusted, datatype) == \
        speedups.encode_result(validated, datatype) == json.dumps(
            wsme.rest.json.tojson(datatype, validated))
    # An attribute never set reads its declared default, as through the
    # descriptor.
    assert json.loads(speedups.encode_result(trusted, datatype))[
        'tls_disabled'] is False


def test_trusted_values_read_and_set_like_attributes():
    fields = cluster_template.ClusterTemplate._object_fields()
    item = cluster_template.ClusterTemplate.trusted(
        {'name': 'tpl', 'coe': 'kubernetes', 'flavor_id': None},
        fields=fields)
    item.fill([('flavor_id', wtypes.Unset), ('image_id', 'fedora')])
    before = speedups.encode_result(item, cluster_template.ClusterTemplate)
    # Reading through the descriptors sees the same values ...
    assert (item.name, item.coe, item.image_id) == ('tpl', 'kubernetes',
                                                    'fedora')
    assert item.flavor_id is wtypes.Unset
    assert speedups.encode_result(
        item, cluster_template.ClusterTemplate) == before
    # ... and an ordinary assignment is validated as ever.
    with pytest.raises(wsme.exc.InvalidInput):
        item.apiserver_port = 80
    item.name = 'renamed'
    assert json.loads(speedups.encode_result(
        item, cluster_template.ClusterTemplate))['name'] == 'renamed'
