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
from magnum.objects import fields as m_fields


@base.MagnumObjectRegistry.register
class ClusterTemplate(base.MagnumPersistentObject, base.MagnumObject):
    """What a cluster is built from: COE, image, flavors, networks, labels.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'uuid': fields.UUIDField(nullable=True),
        'name': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'image_id': fields.StringField(nullable=True),
        'flavor_id': fields.StringField(nullable=True),
        'master_flavor_id': fields.StringField(nullable=True),
        'keypair_id': fields.StringField(nullable=True),
        'external_network_id': fields.StringField(nullable=True),
        'fixed_network': fields.StringField(nullable=True),
        'fixed_subnet': fields.StringField(nullable=True),
        'network_driver': fields.StringField(nullable=True),
        'volume_driver': fields.StringField(nullable=True),
        'dns_nameserver': fields.StringField(nullable=True),
        'apiserver_port': fields.IntegerField(nullable=True),
        'docker_volume_size': fields.IntegerField(nullable=True),
        'docker_storage_driver': fields.StringField(nullable=True),
        'cluster_distro': fields.StringField(nullable=True),
        'coe': m_fields.ClusterTypeField(nullable=True),
        'http_proxy': fields.StringField(nullable=True),
        'https_proxy': fields.StringField(nullable=True),
        'no_proxy': fields.StringField(nullable=True),
        'registry_enabled': fields.BooleanField(default=False),
        'labels': fields.DictOfStringsField(nullable=True),
        'tls_disabled': fields.BooleanField(default=False),
        'public': fields.BooleanField(default=False),
        'server_type': m_fields.ServerTypeField(nullable=True),
        'insecure_registry': fields.StringField(nullable=True),
        'master_lb_enabled': fields.BooleanField(default=False),
        'floating_ip_enabled': fields.BooleanField(default=True),
        'hidden': fields.BooleanField(default=False),
        'tags': fields.StringField(nullable=True),
        'driver': fields.StringField(nullable=True),
    }

    @classmethod
    @base.remotable
    def get(cls, context, ident):
        """A template by id, uuid or name, as the context may see it."""
        return base.get_by_ident(
            ident,
            lambda ident: cls.get_by_id(context, ident),
            lambda ident: cls.get_by_uuid(context, ident),
            lambda ident: cls.get_by_name(context, ident))

    @classmethod
    @base.remotable
    def get_by_id(cls, context, cluster_template_id):
        row = db_api.get_instance().get_cluster_template_by_id(
            context, cluster_template_id)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_uuid(cls, context, uuid):
        row = db_api.get_instance().get_cluster_template_by_uuid(
            context, uuid)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_name(cls, context, name):
        row = db_api.get_instance().get_cluster_template_by_name(
            context, name)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, limit=None, marker=None, sort_key=None,
             sort_dir=None, filters=None):
        """Templates the context may see: its own plus public ones."""
        rows = db_api.get_instance().get_cluster_template_list(
            context, filters=filters, limit=limit, marker=marker,
            sort_key=sort_key, sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @base.remotable
    def create(self):
        self._insert(db_api.get_instance().create_cluster_template)

    @base.remotable
    def save(self, expected=None):
        """Write the changed fields (compare-and-set with ``expected``)."""
        self._save_changes(db_api.get_instance().update_cluster_template,
                           self.uuid, expected=expected)

    @base.remotable
    def destroy(self):
        db_api.get_instance().destroy_cluster_template(self.uuid)
        self.obj_reset_changes()

    @base.remotable
    def refresh(self):
        """Reload from the database, dropping unsaved changes."""
        self._refresh_from(self.__class__.get_by_uuid(self._context,
                                                      self.uuid))
