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
class Federation(base.MagnumPersistentObject, base.MagnumObject):
    """A host cluster and the member clusters federated with it.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'uuid': fields.UUIDField(nullable=True),
        'name': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'hostcluster_id': fields.StringField(nullable=True),
        'member_ids': fields.ListOfStringsField(nullable=True),
        'status': m_fields.FederationStatusField(nullable=True),
        'status_reason': fields.StringField(nullable=True),
        'properties': fields.DictOfStringsField(nullable=True),
    }

    @classmethod
    @base.remotable
    def get(cls, context, ident):
        """A federation by id, uuid or name, as the context may see it."""
        return base.get_by_ident(
            ident,
            lambda ident: cls.get_by_id(context, ident),
            lambda ident: cls.get_by_uuid(context, ident),
            lambda ident: cls.get_by_name(context, ident))

    @classmethod
    @base.remotable
    def get_by_id(cls, context, federation_id):
        row = db_api.get_instance().get_federation_by_id(
            context, federation_id)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_uuid(cls, context, uuid):
        row = db_api.get_instance().get_federation_by_uuid(context, uuid)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_name(cls, context, name):
        row = db_api.get_instance().get_federation_by_name(context, name)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, limit=None, marker=None, sort_key=None,
             sort_dir=None, filters=None):
        rows = db_api.get_instance().get_federation_list(
            context, filters=filters, limit=limit, marker=marker,
            sort_key=sort_key, sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @base.remotable
    def create(self):
        self._insert(db_api.get_instance().create_federation)

    @base.remotable
    def save(self, expected=None):
        """Write the changed fields (compare-and-set with ``expected``)."""
        self._save_changes(db_api.get_instance().update_federation,
                           self.uuid, expected=expected)

    @base.remotable
    def destroy(self):
        db_api.get_instance().destroy_federation(self.uuid)
        self.obj_reset_changes()

    @base.remotable
    def refresh(self):
        """Reload from the database, dropping unsaved changes."""
        self._refresh_from(self.__class__.get_by_uuid(self._context,
                                                      self.uuid))
