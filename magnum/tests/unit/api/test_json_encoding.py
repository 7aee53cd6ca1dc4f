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

"""magnum.api.json_encoding: the API's types, as instances and as stored
representations, encode to exactly what WSME's own tojson gives."""

import json

import pytest
from wsme import types as wtypes
import wsme.rest.json

from magnum.api import json_encoding
from magnum.api.controllers import base
from magnum.api.controllers.v1 import cluster_template
from magnum.tests.unit.api import wsme_samples


@pytest.fixture
def wsme_state():
    """Magnum's encoders registered with WSME's tojson (once)."""
    json_encoding.register()
    return 'registered'


def _both(datatype, value, **options):
    """(WSME's own JSON, Magnum's) of ``value``."""
    with json_encoding.stock():
        stock = wsme.rest.json.encode_result(value, datatype, **options)
    return stock, wsme.rest.json.encode_result(value, datatype, **options)


def test_registered_through_wsmes_converter_registry():
    json_encoding.register()
    json_encoding.register()  # once only
    assert wsme.rest.json.tojson.has_type(wtypes.BaseMeta)


@pytest.mark.parametrize('datatype', wsme_samples.API_TYPES,
                         ids=[t.__name__ for t in wsme_samples.API_TYPES])
def test_every_api_type_encodes_as_wsme_does(datatype, wsme_state):
    item = wsme_samples.filled(datatype)
    stock, ours = _both(datatype, item)
    assert ours == stock
    # Every attribute took part (no silent Unset).
    assert len(json.loads(stock)) == len(
        [a for a in wtypes.list_attributes(datatype)
         if getattr(item, a.key) is not wtypes.Unset])


def test_partly_unset_and_none_values(wsme_state):
    item = cluster_template.ClusterTemplate(name=None, coe='kubernetes')
    item.created_at = wsme_samples.WHEN
    item.labels = None
    for datatype, value in [
            (cluster_template.ClusterTemplate, item),
            (wtypes.ArrayType(cluster_template.ClusterTemplate), [item]),
            (base.APIBase, None)]:
        stock, ours = _both(datatype, value)
        assert ours == stock


def test_results_nest_as_wsme_nests_them(wsme_state):
    item = cluster_template.ClusterTemplate(name='n')
    stock, ours = _both(cluster_template.ClusterTemplate, item,
                        nest_result=True, nested_result_attrname='n')
    assert ours == stock
    assert list(json.loads(ours)) == ['n']


def test_other_registered_converters_are_still_used(wsme_state):
    sentinel = object()

    @wsme.rest.json.tojson.when_object(sentinel)
    def sentinel_tojson(datatype, value):
        return 'converted %s' % value

    assert json_encoding.compile_encoder(sentinel)(3) == 'converted 3'


def test_trusted_representation_encodes_like_a_validated_one(wsme_state):
    values = {'uuid': wsme_samples.UUID, 'name': 'tpl', 'coe': 'kubernetes',
              'image_id': 'fedora', 'labels': {'a': 'b'}, 'public': True,
              'apiserver_port': 6443, 'server_type': 'vm', 'hidden': False,
              'links': [{'href': 'h', 'rel': 'self'}]}
    fields = cluster_template.ClusterTemplate._object_fields() + ['links']
    datatype = cluster_template.ClusterTemplate
    validated = datatype(**values)
    validated.fill([('links', values['links'])])
    trusted = datatype.trusted(values, fields=fields)
    stock, ours = _both(datatype, validated)
    assert ours == stock == _both(datatype, trusted)[1]
    # An attribute never set reads its declared default, as through the
    # descriptor.
    assert json.loads(ours)['tls_disabled'] is False
    # Changed afterwards, read back and encoded the same way.
    trusted.fill([('image_id', wtypes.Unset)])
    trusted.name = 'renamed'
    stock, ours = _both(datatype, trusted)
    assert ours == stock
    assert json.loads(ours)['name'] == 'renamed'
    assert 'image_id' not in json.loads(ours)
