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

"""Base of the API representations."""

import datetime

from wsme import types as wtypes

from magnum.api import speedups


def utc(value):
    """Timestamps leave the API as ISO 8601 with an offset (+00:00)."""
    if value is None or value is wtypes.Unset:
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


class APIBase(wtypes.Base):

    created_at = wtypes.wsattr(datetime.datetime, readonly=True)
    """The time in UTC at which the object is created"""

    updated_at = wtypes.wsattr(datetime.datetime, readonly=True)
    """The time in UTC at which the object is updated"""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The attributes as_dict() and unset_fields_except() look at;
        # representations of objects narrow it to the object's fields.
        self.fields = list(self.attribute_keys())

    @classmethod
    def attribute_keys(cls):
        """The keys of the type's WSME attributes, worked out once per
        class (representations are made per item of a list)."""
        keys = cls.__dict__.get('_attribute_keys')
        if keys is None:
            keys = tuple(a.key for a in wtypes.list_attributes(cls))
            cls._attribute_keys = keys
        return keys

    def assign(self, items):
        """Set each (attribute, value) of ``items``, validated as setattr
        would, but faster (representations set dozens per item)."""
        speedups.assign(self, items)

    def fill(self, items):
        """Set each (attribute, value) of ``items`` without validating it:
        only for values read back from Magnum's own objects (see
        speedups.fill)."""
        speedups.fill(self, items)

    @classmethod
    def trusted(cls, values, fields=None):
        """A representation of a stored object: ``fields`` (the attribute
        names it has; all of the type's by default) taken from
        ``values``, missing ones unset, without validating each value
        again as __init__ would."""
        item = cls.__new__(cls)
        item.fields = list(cls.attribute_keys() if fields is None
                           else fields)
        speedups.fill_from(item, item.fields, values)
        return item

    def as_dict(self):
        """The attributes that are set, as a dict."""
        return {key: getattr(self, key) for key in self.fields
                if getattr(self, key) is not wtypes.Unset}

    def unset_fields_except(self, keep):
        self.fill([(key, wtypes.Unset) for key in self.fields
                   if key not in keep])

    def set_timestamps(self, obj):
        self.fill((('created_at', utc(obj.created_at)),
                     ('updated_at', utc(obj.updated_at))))
