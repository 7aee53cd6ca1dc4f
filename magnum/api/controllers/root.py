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

"""GET /: the list of API versions (public, never version-negotiated)."""

import pecan
from pecan import rest
from pecan import routing

from magnum.api import microversion
from magnum.api.controllers import link
from magnum.api.controllers import v1


def root_document(base):
    return {
        'name': 'OpenStack Magnum API',
        'description': 'Magnum is an OpenStack service that creates and '
                       'manages Kubernetes and Docker Swarm clusters.',
        'versions': [{
            'id': 'v1',
            'status': 'CURRENT',
            'min_version': microversion.MIN_VERSION_STRING,
            'max_version': microversion.MAX_VERSION_STRING,
            'links': [link.make_link('self', base, '', bookmark=False)],
        }],
    }


class RootController(rest.RestController):

    v1 = v1.Controller()

    @pecan.expose('json')
    def get(self):
        return root_document(link.base_url())

    @pecan.expose()
    def _route(self, args, request=None):
        # Bookmark links leave out /v1; serve them as the v1 paths.
        if args and args[0] and args[0] != 'v1':
            args = ['v1'] + list(args)
        # /v1/<resource>/...: straight to the resource's controller. The
        # RestControllers of / and /v1 would route it there too (their
        # get() takes no argument, so each hands the rest of the path to
        # the child of that name), after working out both get()s'
        # signatures on every request.
        if len(args) > 1 and args[0] == 'v1' and request is not None:
            resource = v1.MOUNTED.get(args[1])
            if resource is not None:
                request.pecan.setdefault('routing_args', [])
                return routing.lookup_controller(resource, list(args[2:]),
                                                 request)
        return super()._route(args, request)
