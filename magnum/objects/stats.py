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


from oslo_versionedobjects import fields

from magnum.db import api as db_api
from magnum.objects import base


@base.MagnumObjectRegistry.register
class Stats(base.MagnumObject):
    """Cluster and node totals of a project or of all projects.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'clusters': fields.IntegerField(),
        'nodes': fields.IntegerField(),
    }

    @classmethod
    @base.remotable
    def get_cluster_stats(cls, context, project_id=None):
        """Clusters of ``project_id`` (all projects when None) and the
        nodes of all their nodegroups, masters included."""
        clusters, nodes = db_api.get_instance().get_cluster_stats(
            context, project_id)
        return cls(context=context, clusters=clusters, nodes=nodes)
