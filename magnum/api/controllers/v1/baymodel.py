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

"""/v1/baymodels: the historical name of cluster templates
(doc/source/contributor/compatibility.rst, "Legacy resources").

A baymodel is a cluster template row seen through the 2016-2021 API:
keypair_id is required, dns_nameserver is a single address, labels are
strings, there is no driver field, only ``public`` needs the publish
right, and there are no admin all-projects rules.
"""

import ipaddress

from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum.api.controllers.v1 import cluster_template
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.i18n import _

_CHANGED = {
    'keypair_id': wtypes.wsattr(wtypes.StringType(min_length=1,
                                                  max_length=255),
                                mandatory=True),
    'labels': wtypes.wsattr(wtypes.DictType(wtypes.text, wtypes.text),
                            default={}),
}


def _baymodel_attributes():
    attributes = {}
    for attribute in wtypes.list_attributes(cluster_template.ClusterTemplate):
        if attribute.key == 'driver':
            continue
        attributes[attribute.key] = _CHANGED.get(attribute.key) or \
            wtypes.wsattr(attribute.datatype, mandatory=attribute.mandatory,
                          default=attribute.default,
                          readonly=attribute.readonly)
    return attributes


BayModel = type('BayModel', (cluster_template.TemplateRepresentation,),
                dict(_baymodel_attributes(), _resource='baymodels',
                     _publish_flags=('public',),
                     __doc__='A baymodel, as the API shows it.'))


class BayModelPatchType(cluster_template.ClusterTemplatePatchType):

    @staticmethod
    def internal_attrs():
        return ['/driver']


class BayModelCollection(collection.Collection):

    baymodels = [BayModel]

    _type = 'baymodels'

    @classmethod
    def convert(cls, templates, limit, url=None, **filters):
        return cls.page([BayModel.convert(t) for t in templates], limit,
                        url=url, **filters)


def _prepare(values):
    server = values.get('dns_nameserver')
    if server is not None:
        try:
            ipaddress.IPv4Address(server)
        except ValueError:
            raise exception.InvalidParameterValue(
                err=_('dns_nameserver of a baymodel must be one IPv4 '
                      'address, not %s') % server)


class BayModelsController(rest.RestController):
    """/v1/baymodels"""

    _custom_actions = {'detail': ['GET']}
    _operations = cluster_template.TemplateOperations(
        BayModel, BayModelCollection, BayModelPatchType, 'baymodel',
        all_projects_rules=False)

    @wsme_pecan.wsexpose(BayModelCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc'):
        return self._operations.list(marker, limit, sort_key, sort_dir)

    @wsme_pecan.wsexpose(BayModelCollection, types.uuid, int, wtypes.text,
                         wtypes.text)
    def detail(self, marker=None, limit=None, sort_key='id',
               sort_dir='asc'):
        return self._operations.list(marker, limit, sort_key, sort_dir,
                                     detail=True)

    @wsme_pecan.wsexpose(BayModel, wtypes.text)
    def get_one(self, ident):
        return self._operations.get_one(ident)

    @wsme_pecan.wsexpose(BayModel, body=BayModel, status_code=201)
    def post(self, baymodel):
        return self._operations.create(baymodel, prepare=_prepare)

    @wsme_pecan.wsexpose(BayModel, wtypes.text, body=[BayModelPatchType])
    def patch(self, ident, patch):
        return self._operations.update(ident, patch)

    @wsme_pecan.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, ident):
        self._operations.delete(ident)
