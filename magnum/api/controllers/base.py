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

from wsme import exc as wexc
from wsme import types as wtypes


def utc(value):
    """Timestamps leave the API as ISO 8601 with an offset (+00:00)."""
    if value is None or value is wtypes.Unset:
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


_attributes = {}


def attributes(datatype):
    """The WSME attributes of an API type by key, worked out once per
    type (through WSME's public list_attributes)."""
    found = _attributes.get(datatype)
    if found is None:
        found = _attributes[datatype] = {
            attribute.key: attribute
            for attribute in wtypes.list_attributes(datatype)}
    return found


_MISSING = object()
_members = {}


def _class_member(datatype, name):
    """What the class ``datatype`` (or its first base that has it) holds
    under ``name``, as it is (before binding); _MISSING if none does."""
    key = (datatype, name)
    member = _members.get(key, _MISSING)
    if member is _MISSING:
        for klass in datatype.__mro__:
            if name in klass.__dict__:
                member = klass.__dict__[name]
                break
        if len(_members) < 4096:  # API types and their methods are few
            _members[key] = member
    return member


class StoredRepresentation:
    """What the API shows of an object Magnum stored, as one of its API
    types (``datatype``) would show it, without making an instance of
    that type.

    Setting a value on an instance of a WSME type validates it (WSME's
    validate_value, per attribute); a page of 100 clusters is thousands
    of such assignments, of values that were validated when they were
    written and come typed from Magnum's objects. A stored representation
    keeps those values in a plain dict instead, which
    magnum.api.json_encoding renders directly, and WSME's own tojson
    renders through attribute reads as for any instance.

    It reads like an instance of ``datatype``: an attribute of the type
    reads its value, else the attribute's declared default; the type's
    methods and properties work on it. Setting an attribute validates
    the value as WSME does (same conversion, same InvalidInput); fill()
    sets values without validating them, for values read back from
    Magnum's own objects.
    """

    __slots__ = ('_datatype', '_stored', '_other', 'fields')

    def __init__(self, datatype, values, fields):
        object.__setattr__(self, '_datatype', datatype)
        object.__setattr__(self, '_other', {})
        object.__setattr__(self, 'fields', list(fields))
        unset = wtypes.Unset
        object.__setattr__(self, '_stored', {
            key: values[key] for key in self.fields
            if key in values and values[key] is not unset})

    @property
    def datatype(self):
        """The API type this represents."""
        return self._datatype

    def stored_values(self):
        """The values that are set, by attribute key (the dict itself)."""
        return self._stored

    def fill(self, items):
        """Set each (key, value) of ``items`` without validating it (see
        APIBase.fill); Unset clears it."""
        known = attributes(self._datatype)
        stored = self._stored
        unset = wtypes.Unset
        for key, value in items:
            if key not in known:
                setattr(self, key, value)
            elif value is unset:
                stored.pop(key, None)
            else:
                stored[key] = value

    def __getattr__(self, name):
        attribute = attributes(self._datatype).get(name)
        if attribute is not None:
            return self._stored.get(name, attribute.default)
        other = self._other
        if name in other:
            return other[name]
        if name.startswith('__'):
            raise AttributeError(name)
        member = _class_member(self._datatype, name)
        if member is _MISSING:
            raise AttributeError('%s has no attribute %s' % (
                self._datatype.__name__, name))
        if hasattr(member, '__get__'):
            return member.__get__(self, self._datatype)
        return member

    def __setattr__(self, name, value):
        attribute = attributes(self._datatype).get(name)
        if attribute is None:
            if name == 'fields':
                object.__setattr__(self, name, value)
            else:
                self._other[name] = value
            return
        # What setting the attribute on an instance does (wsattr).
        try:
            value = wtypes.validate_value(attribute.datatype, value)
        except (ValueError, TypeError) as e:
            raise wexc.InvalidInput(attribute.name, value, str(e))
        if value is wtypes.Unset:
            self._stored.pop(name, None)
        else:
            self._stored[name] = value

    def __repr__(self):
        return '<stored %s %r>' % (self._datatype.__name__, self._stored)


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
            keys = tuple(attributes(cls))
            cls._attribute_keys = keys
        return keys

    def assign(self, items):
        """Set each (attribute, value) of ``items``, validated."""
        for key, value in items:
            setattr(self, key, value)

    def fill(self, items):
        """Set each (attribute, value) of ``items``: validated on an
        instance; a stored representation (see trusted()) takes them as
        they are."""
        for key, value in items:
            setattr(self, key, value)

    @classmethod
    def trusted(cls, values, fields=None):
        """A representation of a stored object (a StoredRepresentation
        of this type): ``fields`` (the attribute names it has; all of
        the type's by default) taken from ``values``, missing ones unset,
        without validating each value again as __init__ would."""
        return StoredRepresentation(
            cls, values, cls.attribute_keys() if fields is None else fields)

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
