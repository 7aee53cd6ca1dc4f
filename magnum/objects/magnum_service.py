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


from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_versionedobjects import fields

from magnum.common import exception
from magnum.db import api as db_api
from magnum.objects import base

LOG = logging.getLogger(__name__)

# Heartbeats of one service come from one process, so a lost race means
# someone else touched the row; a few retries settle it.
REPORT_STATE_ATTEMPTS = 3


@base.MagnumObjectRegistry.register
class MagnumService(base.MagnumPersistentObject, base.MagnumObject):
    """A Magnum process (host, binary) and its heartbeat.

    Version history:

    * 1.0: initial version
    """

    VERSION = '1.0'

    fields = {
        'host': fields.StringField(nullable=True),
        'binary': fields.StringField(nullable=True),
        'disabled': fields.BooleanField(default=False),
        'disabled_reason': fields.StringField(nullable=True),
        'last_seen_up': fields.DateTimeField(nullable=True),
        'forced_down': fields.BooleanField(default=False),
        'report_count': fields.IntegerField(default=0),
    }

    @classmethod
    @base.remotable
    def get_by_host_and_binary(cls, context, host, binary):
        """The service row of ``binary`` on ``host``, or None."""
        row = db_api.get_instance().get_magnum_service_by_host_and_binary(
            host, binary)
        if row is None:
            return None
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, limit=None, marker=None, sort_key=None,
             sort_dir=None):
        """Every service, ordered by id unless ``sort_key`` says otherwise.

        ``marker`` is a service id.
        """
        rows = db_api.get_instance().get_magnum_service_list(
            limit=limit, marker=marker, sort_key=sort_key,
            sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @base.remotable
    def create(self):
        self._insert(db_api.get_instance().create_magnum_service)

    @base.remotable
    def save(self, expected=None):
        """Write the changed fields (compare-and-set with ``expected``)."""
        self._save_changes(db_api.get_instance().update_magnum_service,
                           self.id, expected=expected)

    @base.remotable
    def destroy(self):
        db_api.get_instance().destroy_magnum_service(self.id)
        self.obj_reset_changes()

    @base.remotable
    def refresh(self):
        """Reload from the database, dropping unsaved changes."""
        current = self.__class__.get_by_host_and_binary(
            self._context, self.host, self.binary)
        if current is None:
            raise exception.MagnumServiceNotFound(
                magnum_service_id=self.id)
        self._refresh_from(current)

    @base.remotable
    def report_state_up(self):
        """Record a heartbeat: one more report, last seen up now (UTC).

        The increment is a compare-and-set on the report count this object
        last saw, so two concurrent reports cannot both count as one; on a
        lost race the row is reloaded and the report tried again.
        """
        for attempt in range(1, REPORT_STATE_ATTEMPTS + 1):
            seen = self.report_count
            self.report_count = seen + 1
            self.last_seen_up = timeutils.utcnow()
            try:
                self.save(expected={'report_count': seen})
                return
            except exception.ConcurrentUpdate:
                if attempt == REPORT_STATE_ATTEMPTS:
                    raise
                LOG.debug("Report of %(binary)s on %(host)s raced with "
                          "another writer; retrying.",
                          {'binary': self.binary, 'host': self.host})
                self.refresh()
