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
class Quota(base.MagnumPersistentObject, base.MagnumObject):
    """The hard limit of one resource for one project.

    Quotas are admin-managed and not scoped by the context: callers filter
    by project where they must.

    Version history:

    * 1.0: initial version
    * 1.1: resource may be Container (API 1.16)
    """

    VERSION = '1.1'

    fields = {
        'project_id': fields.StringField(nullable=True),
        'resource': m_fields.QuotaResourceNameField(nullable=True),
        'hard_limit': fields.IntegerField(),
    }

    @classmethod
    @base.remotable
    def get_by_id(cls, context, quota_id):
        row = db_api.get_instance().get_quota_by_id(context, quota_id)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_quota_by_project_id_resource(cls, context, project_id,
                                         resource):
        """The quota of (project, resource); QuotaNotFound if none."""
        row = db_api.get_instance().get_quota_by_project_id_resource(
            project_id, resource)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, limit=None, marker=None, sort_key=None,
             sort_dir=None, filters=None):
        """Quotas after ``filters``; ``marker`` is a quota id."""
        rows = db_api.get_instance().get_quota_list(
            context, filters=filters, limit=limit, marker=marker,
            sort_key=sort_key, sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @classmethod
    @base.remotable
    def quota_get_all_by_project_id(cls, context, project_id):
        rows = db_api.get_instance().quota_get_all_by_project_id(project_id)
        return cls._from_db_object_list(context, rows)

    @classmethod
    @base.remotable
    def update_quota(cls, context, project_id, quota_dict):
        """Update the (project_id, quota_dict['resource']) quota.

        Returns the updated quota; QuotaNotFound if there is none.
        """
        row = db_api.get_instance().update_quota(
            project_id, base.db_values(quota_dict))
        return cls._from_db_object(context, cls(), row)

    @base.remotable
    def create(self):
        self._insert(db_api.get_instance().create_quota)

    @base.remotable
    def save(self):
        """Write the changed hard limit of this (project, resource)."""
        updates = self._changes_for_db()
        if not updates:
            return
        updates['resource'] = self.resource
        row = db_api.get_instance().update_quota(self.project_id, updates)
        self._from_db_object(self._context, self, row)

    @base.remotable
    def delete(self):
        db_api.get_instance().delete_quota(self.project_id, self.resource)
        self.obj_reset_changes()
