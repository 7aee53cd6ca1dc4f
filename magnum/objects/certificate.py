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

from magnum.objects import base


@base.MagnumObjectRegistry.register
class Certificate(base.MagnumObject):
    """A CSR to sign or a CA certificate of a cluster; never stored.

    ``ca_cert_type`` picks the cluster CA: ``etcd``, ``front_proxy`` (or
    ``front-proxy``), anything else the main (kubernetes) CA.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'project_id': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'cluster_uuid': fields.StringField(nullable=True),
        'csr': fields.StringField(nullable=True),
        'pem': fields.StringField(nullable=True),
        'ca_cert_type': fields.StringField(nullable=True),
    }

    @classmethod
    def from_object_cluster(cls, cluster):
        """A certificate of ``cluster`` (a Cluster object), in its context."""
        return cls(context=cluster._context,
                   project_id=cluster.project_id,
                   user_id=cluster.user_id,
                   cluster_uuid=cluster.uuid)

    @classmethod
    def from_db_cluster(cls, cluster, context=None):
        """A certificate of ``cluster``, a cluster row or mapping."""
        return cls(context=context,
                   project_id=cluster['project_id'],
                   user_id=cluster['user_id'],
                   cluster_uuid=cluster['uuid'])
