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

"""Version 1 of the Magnum API: the v1 document and the resources."""

import pecan
from pecan import rest

from magnum.api.controllers import link

# Collections listed in the v1 document, in the order clients have always
# seen (api-ref/source/samples/version-v1-get-resp.json); containers
# (microversion 1.16) last.
COLLECTIONS = ('clustertemplates', 'clusters', 'quotas', 'certificates',
               'mservices', 'stats', 'federations', 'credentials',
               'containers')
# Resources under a cluster, as literal URI templates (no trailing
# slash), like the nodegroups link upstream's clients know; nodes need
# microversion 1.16. Listed at every version, as nodegroups (1.9) always
# were: the document describes the server, not the negotiated version.
CLUSTER_RESOURCES = ('nodegroups', 'nodes')

DOCS_URL = 'http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html'


def v1_document(base):
    document = {
        'id': 'v1',
        'media_types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.magnum.v1+json'}],
        'links': [link.make_link('self', base, '', bookmark=False),
                  {'href': DOCS_URL, 'rel': 'describedby',
                   'type': 'text/html'}],
    }
    for collection in COLLECTIONS:
        document[collection] = link.self_and_bookmark(base, collection + '/')
    for resource in CLUSTER_RESOURCES:
        document[resource] = link.self_and_bookmark(
            base, 'clusters/{cluster_id}/%s' % resource)
    return document


class Controller(rest.RestController):
    """/v1; each resource module adds its controller in RESOURCES."""

    @pecan.expose('json')
    def get(self):
        return v1_document(link.base_url())


class OpenAPIController(rest.RestController):
    """GET /v1/openapi.json: the OpenAPI 3.1 document of this API."""

    _document = None

    @pecan.expose('json')
    def get(self):
        from magnum.api import openapi
        if OpenAPIController._document is None:
            OpenAPIController._document = openapi.document()
        return dict(OpenAPIController._document,
                    servers=[{'url': link.base_url()}])


# Path segment under /v1 -> the resource's controller (RootController
# routes to them directly).
MOUNTED = {}


def _attach_resources():
    """Mount every resource controller listed in resources.RESOURCES."""
    from magnum.api.controllers.v1 import resources
    for name, controller in resources.controllers().items():
        setattr(Controller, name, controller)
        MOUNTED[name] = controller


_attach_resources()
pecan.route(Controller, 'openapi.json', OpenAPIController())
