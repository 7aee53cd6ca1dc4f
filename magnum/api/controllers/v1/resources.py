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

"""The resource controllers mounted under /v1, one module each.

Adding a resource means adding its module and a line here.
"""

import importlib

# path segment -> (module under magnum.api.controllers.v1, class name)
RESOURCES = {
    'clustertemplates': ('cluster_template', 'ClusterTemplatesController'),
    'clusters': ('cluster', 'ClustersController'),
    'certificates': ('certificate', 'CertificateController'),
    'credentials': ('credential', 'CredentialsController'),
    'mservices': ('magnum_service', 'MagnumServiceController'),
    'stats': ('stats', 'StatsController'),
    'quotas': ('quota', 'QuotaController'),
    'federations': ('federation', 'FederationsController'),
    'containers': ('container', 'ContainersController'),
    'baymodels': ('baymodel', 'BayModelsController'),
    'bays': ('bay', 'BaysController'),
}


def controllers():
    mounted = {}
    for segment, (module_name, class_name) in RESOURCES.items():
        module = importlib.import_module(
            'magnum.api.controllers.v1.%s' % module_name)
        mounted[segment] = getattr(module, class_name)()
    return mounted
