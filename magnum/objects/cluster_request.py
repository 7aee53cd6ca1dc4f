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

"""A request cast to the conductors that no conductor has taken yet.

A cast can be lost (the broker lost it, or the conductor that took it
died before it locked the cluster), and the request would then live only
in the status the API wrote. So the API records the request first; the
conductor that takes the work claims it (deletes it) under the
cluster's lock, and the status sync replays one that no conductor has
claimed ``[conductor] lock_timeout`` after it was recorded. Claiming is
one DELETE, so a request runs once however many conductors (and copies
of its cast) reach it.
"""

from oslo_versionedobjects import fields

from magnum.db import api as db_api
from magnum.objects import base

# The operations recorded, named as the conductor's handlers lock the
# cluster for them.
UPDATE = 'update'
RESIZE = 'resize'
CREATE_NODEGROUP = 'create nodegroup'
UPDATE_NODEGROUP = 'update nodegroup'
DELETE_NODEGROUP = 'delete nodegroup'
OPERATIONS = (UPDATE, RESIZE, CREATE_NODEGROUP, UPDATE_NODEGROUP,
              DELETE_NODEGROUP)


class JSONArgumentsField(fields.AutoTypedField):
    """A dict of JSON values (numbers, strings, lists, booleans, None),
    kept as they are."""
    AUTO_TYPE = fields.Dict(fields.FieldType(), nullable=True)


@base.MagnumObjectRegistry.register
class ClusterRequest(base.MagnumPersistentObject, base.MagnumObject):
    """``operation`` on cluster ``cluster_uuid``, with ``arguments`` (a
    nodegroup's uuid, a node count, nodes to remove, rollback), asked for
    at ``created_at``. Only its ``uuid`` travels with the cast.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'uuid': fields.UUIDField(),
        'cluster_uuid': fields.StringField(),
        'operation': fields.StringField(),
        'arguments': JSONArgumentsField(nullable=True),
    }

    @classmethod
    @base.remotable
    def record(cls, context, cluster_uuid, operation, **arguments):
        """Store the request; the object, with its uuid to cast."""
        request = cls(context, cluster_uuid=cluster_uuid,
                      operation=operation, arguments=arguments)
        request._insert(db_api.get_instance().create_cluster_request)
        return request

    @classmethod
    @base.remotable
    def get_pending(cls, context, uuid):
        """The request while no conductor has taken it, else None."""
        row = db_api.get_instance().get_cluster_request(uuid)
        if row is None:
            return None
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list_pending(cls, context, cluster_uuid=None):
        """The requests no conductor has taken (of one cluster, or of
        all), oldest first."""
        rows = db_api.get_instance().list_cluster_requests(cluster_uuid)
        return cls._from_db_object_list(context, rows)

    @classmethod
    @base.remotable
    def claim(cls, context, uuid):
        """Take the request: True for the one caller that took it, False
        when it was gone (taken already, or withdrawn by the API)."""
        return db_api.get_instance().claim_cluster_request(uuid)

    def withdraw(self):
        """The API's cast failed: nobody is to carry the request out."""
        return db_api.get_instance().claim_cluster_request(self.uuid)
