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


"""Base classes of Magnum's versioned objects.

A versioned object is the unit that travels between magnum-api and
magnum-conductor: its fields are typed, its version says what a receiver
must understand, and its changes since the last load are tracked, so that
``save()`` writes only what the caller changed.

Persistent objects read and write rows through ``magnum.db.api``; the helpers
here turn rows into objects once for every class.
"""

import datetime
import uuid

from oslo_utils import strutils
from oslo_utils import uuidutils
from oslo_utils import versionutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import exception as ovo_exception
from oslo_versionedobjects import fields

from magnum.common import exception

remotable = ovo_base.remotable


class MagnumObjectRegistry(ovo_base.VersionedObjectRegistry):
    """Registry of Magnum's objects.

    Registering a class also publishes it as ``magnum.objects.<Name>``, the
    newest version winning, so callers never import object modules.
    """

    def registration_hook(self, cls, index):
        from magnum import objects

        name = cls.obj_name()
        current = getattr(objects, name, None)
        if current is None or (
                versionutils.convert_version_to_tuple(cls.VERSION) >=
                versionutils.convert_version_to_tuple(current.VERSION)):
            setattr(objects, name, cls)


class MagnumObject(ovo_base.VersionedObject,
                   ovo_base.VersionedObjectDictCompat):
    """Base class of every Magnum object.

    Dict-style access (``obj['name']``, ``obj.get('name')``) works for code
    that treats objects like rows.
    """

    OBJ_SERIAL_NAMESPACE = 'magnum_object'
    OBJ_PROJECT_NAMESPACE = 'magnum'

    def as_dict(self):
        """The fields that are set, as a plain dict."""
        # Reads the attributes oslo.versionedobjects keeps the values in:
        # obj_attr_is_set() rebuilds the list of field names on every
        # call, which made this the larger part of converting a list.
        stored = self.__dict__
        return {name: stored[attrname]
                for name, attrname in _attribute_names(type(self))
                if attrname in stored}


_field_plans = {}


def _is_uuid_string(value):
    # UUID coercion returns str(value), warning (under a per-call
    # warnings filter, which is what makes it slow) when it is not a
    # UUID; a string that parses as one comes back unchanged, silently.
    if type(value) is not str:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# Field types whose coercion returns values of these exact types
# unchanged (str(s), int(i), bool(b)); a UUID string comes back unchanged
# too, which takes a check. A value read from the database that passes
# needs no coercion.
_UNCHANGED_TYPES = {
    fields.String: (str,),
    fields.Integer: (int,),
    fields.Boolean: (bool,),
}
_UNCHANGED_CHECKS = {
    fields.UUID: _is_uuid_string,
}


def _unchanged(field):
    """(types, check): values of exactly one of ``types``, or that pass
    ``check`` (None: none do), are returned unchanged by ``field.coerce``.
    """
    if type(field).coerce is not fields.Field.coerce:
        return frozenset(), None
    field_type = type(getattr(field, '_type', None))
    types = set(_UNCHANGED_TYPES.get(field_type, ()))
    if field.nullable:
        # Field.coerce returns None as it is when the field is nullable.
        types.add(type(None))
    return frozenset(types), _UNCHANGED_CHECKS.get(field_type)


_attribute_name_lists = {}


def _attribute_names(cls):
    """(field name, attribute holding its value) of each field of
    ``cls``: the head of its _field_plan, kept apart for as_dict."""
    names = _attribute_name_lists.get(cls)
    if names is None:
        names = _attribute_name_lists[cls] = tuple(
            plan[:2] for plan in _field_plan(cls))
    return names


_COERCED_CONTAINERS = (fields.CoercedDict, fields.CoercedList,
                       fields.CoercedSet)


def _detach(container):
    """Drop the reference a coerced container keeps to its object.

    The containers keep it only to pass to their elements' coercion,
    which for the element types of Magnum's fields does not use it; kept,
    it makes each object with a dict or list field a reference cycle that
    only the cyclic garbage collector frees, late, so that an API worker
    listing 100 templates per request grew by megabytes of garbage.
    """
    container._obj = None
    items = container.values() if isinstance(container, dict) else container
    for item in items:
        if isinstance(item, _COERCED_CONTAINERS):
            _detach(item)


def _strings_container(field):
    """For a dict or list field of strings (labels, addresses): a function
    that returns the coerced container of a value whose keys and elements
    are all already ``str`` (None where the elements are nullable), as
    ``field.coerce`` would make it, detached; None for any other value.
    None for other fields.

    ``field.coerce`` coerces each item through two method calls and
    formats an attribute name for each (``labels[key]``), most of the
    Python time of reading a row with labels. Values read from the
    database are such dicts and lists.
    """
    if type(field).coerce is not fields.Field.coerce:
        return None
    container_type = getattr(field, '_type', None)
    element = getattr(container_type, '_element_type', None)
    # The element is a plain Field of String: its coercion returns a str
    # as it is, and None as it is when nullable.
    if type(container_type) not in (fields.Dict, fields.List) or \
            type(element) is not fields.Field or \
            type(getattr(element, '_type', None)) is not fields.String:
        return None
    allowed = (str, type(None)) if element.nullable else (str,)

    if type(container_type) is fields.Dict:
        def make(name, value):
            if type(value) is not dict:
                return None
            for key, item in value.items():
                if type(key) is not str or type(item) not in allowed:
                    return None
            coerced = fields.CoercedDict()
            coerced.enable_coercing(element, None, name)
            dict.update(coerced, value)
            return coerced
    else:
        def make(name, value):
            if type(value) is not list:
                return None
            for item in value:
                if type(item) not in allowed:
                    return None
            coerced = fields.CoercedList()
            coerced.enable_coercing(element, None, name)
            list.extend(coerced, value)
            return coerced
    return make


def _field_plan(cls):
    """(name, attribute holding the value, field, types and check of
    values its coercion leaves unchanged, read-only, quick coercion of
    containers of strings or None) of each of the fields of ``cls``,
    worked out once per class."""
    plan = _field_plans.get(cls)
    if plan is None:
        plan = _field_plans[cls] = tuple(
            (name, ovo_base._get_attrname(name), field) +
            _unchanged(field) + (field.read_only, _strings_container(field))
            for name, field in cls.fields.items())
    return plan


class MagnumPersistentObject:
    """Mixin of objects stored as rows: the columns every table has."""

    fields = {
        'id': fields.IntegerField(),
        'created_at': fields.DateTimeField(nullable=True),
        'updated_at': fields.DateTimeField(nullable=True),
    }

    @staticmethod
    def _from_db_object(context, obj, row):
        """Fill ``obj`` from ``row`` (a DB model or a mapping) and return it.

        Every field is taken from the row; the object then has no pending
        changes and is bound to ``context``.
        """
        obj._context = context
        # What the fields' setters do, without recording each change only
        # to forget it at the end (a list of 100 rows sets 3,600 fields).
        # The values go into the attributes that hold them in one update
        # of the instance's dict.
        stored = obj.__dict__
        values = {}
        for name, attrname, field, same_types, same, read_only, strings in \
                _field_plan(type(obj)):
            value = row[name]
            if type(value) not in same_types and (
                    same is None or not same(value)):
                quick = strings(name, value) if strings else None
                if quick is not None:
                    value = quick
                else:
                    value = field.coerce(obj, name, value)
                    if isinstance(value, _COERCED_CONTAINERS):
                        _detach(value)
            if read_only and attrname in stored:
                if stored[attrname] != value:
                    raise ovo_exception.ReadOnlyFieldError(field=name)
                continue
            values[attrname] = value
        stored.update(values)
        obj.obj_reset_changes()
        return obj

    @classmethod
    def _from_db_object_list(cls, context, rows):
        return [cls._from_db_object(context, cls(), row) for row in rows]

    def _changes_for_db(self):
        """The changed fields, as values the database API takes.

        Date-times become naive UTC, which is how DATETIME columns hold
        them on every backend.
        """
        return {name: _db_value(value)
                for name, value in self.obj_get_changes().items()}

    def _insert(self, create, **kwargs):
        """Insert the object with ``create(values, **kwargs)``.

        Unset fields that have a default get it first; the object then
        holds the stored row (id, uuid, timestamps).
        """
        self.obj_set_defaults()
        row = create(self._changes_for_db(), **kwargs)
        self._from_db_object(self._context, self, row)

    def _save_changes(self, update, *ident, expected=None):
        """Write the changed fields with ``update(*ident, values, expected)``.

        ``expected`` ({field: value or [values]}) makes the write conditional
        on the stored row (compare-and-set): a row that moved on raises
        ConcurrentUpdate. Without changes or ``expected`` nothing is written.
        """
        updates = self._changes_for_db()
        if not updates and expected is None:
            return
        row = update(*ident, updates, expected=db_values(expected))
        self._from_db_object(self._context, self, row)

    def _refresh_from(self, current):
        """Take the fields of ``current``, a fresh copy of this object.

        Unsaved changes are dropped.
        """
        for name in self.fields:
            if current.obj_attr_is_set(name):
                self[name] = current[name]
        self.obj_reset_changes()


def _db_value(value):
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def db_values(values):
    """``values`` with date-times as naive UTC (see _changes_for_db)."""
    if values is None:
        return None
    return {name: _db_value(value) for name, value in values.items()}


def get_by_ident(ident, by_id, by_uuid, by_name=None):
    """Dispatch a lookup the way path identifiers are resolved.

    An integer-like ``ident`` is an id, a UUID-like one a uuid, anything
    else a name (or an InvalidIdentity where there are no names).
    """
    if strutils.is_int_like(ident):
        return by_id(int(ident))
    if uuidutils.is_uuid_like(ident):
        return by_uuid(ident)
    if by_name is None:
        raise exception.InvalidIdentity(identity=ident)
    return by_name(ident)


class MagnumObjectSerializer(ovo_base.VersionedObjectSerializer):
    """Turns Magnum objects into RPC primitives and back."""

    OBJ_BASE_CLASS = MagnumObject
