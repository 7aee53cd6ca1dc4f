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

"""A container Magnum runs on a node of a swarm cluster (API 1.16)."""

from oslo_versionedobjects import fields

from magnum.db import api as db_api
from magnum.objects import base


class ContainerStatus:
    """What Magnum last saw of a container."""
    CREATING = 'Creating'
    RUNNING = 'Running'
    STOPPED = 'Stopped'
    PAUSED = 'Paused'
    ERROR = 'Error'
    UNKNOWN = 'Unknown'
    DELETING = 'Deleting'

    ALL = (CREATING, RUNNING, STOPPED, PAUSED, ERROR, UNKNOWN, DELETING)


@base.MagnumObjectRegistry.register
class Container(base.MagnumPersistentObject, base.MagnumObject):
    """A container of a swarm cluster: the row is written first
    (Creating), then the container is made on a node (host) and
    known there by container_id.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'uuid': fields.UUIDField(nullable=True),
        'name': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'cluster_uuid': fields.StringField(nullable=True),
        'image': fields.StringField(nullable=True),
        'command': fields.ListOfStringsField(nullable=True),
        'memory': fields.StringField(nullable=True),
        'cpu': fields.FloatField(nullable=True),
        'environment': fields.DictOfStringsField(nullable=True),
        'labels': fields.DictOfStringsField(nullable=True),
        'ports': fields.ListOfDictOfNullableStringsField(nullable=True),
        'restart_policy': fields.DictOfNullableStringsField(nullable=True),
        'status': fields.StringField(nullable=True),
        'status_reason': fields.StringField(nullable=True),
        'host': fields.StringField(nullable=True),
        'container_id': fields.StringField(nullable=True),
    }

    @classmethod
    @base.remotable
    def get(cls, context, ident):
        """A container by uuid or name, as the context may see it."""
        return base.get_by_ident(
            ident,
            lambda ident: cls.get_by_name(context, str(ident)),
            lambda ident: cls.get_by_uuid(context, ident),
            lambda ident: cls.get_by_name(context, ident))

    @classmethod
    @base.remotable
    def get_by_uuid(cls, context, uuid):
        row = db_api.get_instance().get_container_by_uuid(context, uuid)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_name(cls, context, name):
        row = db_api.get_instance().get_container_by_name(context, name)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, limit=None, marker=None, sort_key=None,
             sort_dir=None, filters=None):
        rows = db_api.get_instance().get_container_list(
            context, filters=filters, limit=limit, marker=marker,
            sort_key=sort_key, sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @base.remotable
    def create(self, max_containers=None):
        """Insert the row; with max_containers, within the project's
        Container quota (ResourceLimitExceeded otherwise)."""
        self._insert(db_api.get_instance().create_container,
                     max_containers=max_containers)

    @base.remotable
    def save(self, expected=None):
        """Write the changed fields (compare-and-set with expected)."""
        self._save_changes(db_api.get_instance().update_container,
                           self.uuid, expected=expected)

    @base.remotable
    def destroy(self):
        db_api.get_instance().destroy_container(self.uuid)
        self.obj_reset_changes()

    @base.remotable
    def refresh(self):
        """Reload from the database, dropping unsaved changes."""
        self._refresh_from(self.__class__.get_by_uuid(self._context,
                                                      self.uuid))
