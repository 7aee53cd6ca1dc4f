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


from oslo_utils import versionutils
from oslo_versionedobjects import fields

from magnum.db import api as db_api
from magnum.objects import base
from magnum.objects import fields as m_fields

MASTER_ROLE = 'master'


@base.MagnumObjectRegistry.register
class NodeGroup(base.MagnumPersistentObject, base.MagnumObject):
    """A group of alike nodes of one cluster.

    ``cluster_id`` is the cluster's uuid; every lookup is scoped to it. A
    role of ``master`` makes control-plane nodes, any other role workers.

    Version history:

    * 1.0: initial version
    * 1.1: conditions
    * 1.2: upgrade_batch_size
    """

    VERSION = '1.2'

    fields = {
        'uuid': fields.UUIDField(),
        'name': fields.StringField(),
        'cluster_id': fields.StringField(),
        'project_id': fields.StringField(),
        'docker_volume_size': fields.IntegerField(nullable=True),
        'labels': fields.DictOfStringsField(nullable=True),
        'flavor_id': fields.StringField(nullable=True),
        'image_id': fields.StringField(nullable=True),
        'node_addresses': fields.ListOfStringsField(nullable=True),
        'node_count': fields.IntegerField(nullable=True, default=1),
        'role': fields.StringField(nullable=True),
        'max_node_count': fields.IntegerField(nullable=True),
        'min_node_count': fields.IntegerField(nullable=True, default=0),
        'is_default': fields.BooleanField(default=False),
        'stack_id': fields.StringField(nullable=True),
        'status': m_fields.ClusterStatusField(nullable=True),
        'status_reason': fields.StringField(nullable=True),
        'version': fields.StringField(nullable=True),
        'node_labels': fields.DictOfStringsField(nullable=True),
        'node_taints': fields.ListOfDictOfNullableStringsField(
            nullable=True),
        'conditions': fields.ListOfDictOfNullableStringsField(
            nullable=True),
        # Nodes replaced at a time while an upgrade of the nodegroup is
        # in progress (state that outlives a conductor); None otherwise.
        'upgrade_batch_size': fields.IntegerField(nullable=True),
    }

    def obj_make_compatible(self, primitive, target_version):
        super().obj_make_compatible(primitive, target_version)
        target = versionutils.convert_version_to_tuple(target_version)
        if target < (1, 2):
            primitive.pop('upgrade_batch_size', None)
        if target < (1, 1):
            primitive.pop('conditions', None)

    @property
    def is_master(self):
        return self.role == MASTER_ROLE

    @classmethod
    @base.remotable
    def get(cls, context, cluster_id, ident):
        """A nodegroup of cluster ``cluster_id`` by id, uuid or name."""
        return base.get_by_ident(
            ident,
            lambda ident: cls.get_by_id(context, cluster_id, ident),
            lambda ident: cls.get_by_uuid(context, cluster_id, ident),
            lambda ident: cls.get_by_name(context, cluster_id, ident))

    @classmethod
    @base.remotable
    def get_by_id(cls, context, cluster_id, id_):
        row = db_api.get_instance().get_nodegroup_by_id(
            context, cluster_id, id_)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_uuid(cls, context, cluster_id, uuid):
        row = db_api.get_instance().get_nodegroup_by_uuid(
            context, cluster_id, uuid)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_name(cls, context, cluster_id, name):
        row = db_api.get_instance().get_nodegroup_by_name(
            context, cluster_id, name)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, cluster_id, limit=None, marker=None,
             sort_key=None, sort_dir=None, filters=None):
        rows = db_api.get_instance().list_cluster_nodegroups(
            context, cluster_id, filters=filters, limit=limit,
            marker=marker, sort_key=sort_key, sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @classmethod
    @base.remotable
    def get_count(cls, context, cluster_id):
        """How many nodegroups cluster ``cluster_id`` has."""
        return db_api.get_instance().get_cluster_nodegroup_count(
            context, cluster_id)

    @base.remotable
    def create(self):
        self._insert(db_api.get_instance().create_nodegroup)

    @base.remotable
    def save(self, expected=None):
        """Write the changed fields (compare-and-set with ``expected``)."""
        self._save_changes(db_api.get_instance().update_nodegroup,
                           self.cluster_id, self.uuid, expected=expected)

    @base.remotable
    def destroy(self):
        db_api.get_instance().destroy_nodegroup(self.cluster_id, self.uuid)
        self.obj_reset_changes()

    @base.remotable
    def refresh(self):
        """Reload from the database, dropping unsaved changes."""
        self._refresh_from(self.__class__.get_by_uuid(
            self._context, self.cluster_id, self.uuid))
