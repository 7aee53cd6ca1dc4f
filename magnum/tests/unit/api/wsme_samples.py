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

"""Values of every WSME type of the API, for the tests that compare
Magnum's stored representations and JSON encoding with WSME's own."""

import datetime

from wsme import types as wtypes

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


def filled(datatype):
    """An instance of the API type with every attribute set to a value of
    its declared type (links and nested types included)."""
    item = datatype()
    for attribute in wtypes.list_attributes(datatype):
        value = sample(attribute.datatype)
        if value is not wtypes.Unset:
            setattr(item, attribute.key, value)
    return item


def sample(datatype):
    """A value of ``datatype`` (Unset for a type without one)."""
    if isinstance(datatype, wtypes.ArrayType):
        if wtypes.iscomplex(datatype.item_type):
            return [filled(datatype.item_type), None]
        item = sample(datatype.item_type)
        return wtypes.Unset if item is wtypes.Unset else [item]
    if isinstance(datatype, wtypes.DictType):
        value = sample(datatype.value_type)
        return wtypes.Unset if value is wtypes.Unset else {'key': value}
    if wtypes.iscomplex(datatype):
        return filled(datatype)
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
