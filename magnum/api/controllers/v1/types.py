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

"""Request and response types shared by the v1 resources (WSME).

Validation failures raise ``exception.InvalidParameterValue`` or WSME's
``InvalidInput`` (both 400), never anything that would become a 500.
"""

import ast
import json
import re

from oslo_utils import strutils
from oslo_utils import uuidutils
import wsme
from wsme import types as wtypes
from wsme.rest import json as wsme_json

from magnum.common import exception
from magnum.i18n import _


class UuidType(wtypes.UserType):
    basetype = wtypes.text
    name = 'uuid'

    @staticmethod
    def validate(value):
        if not uuidutils.is_uuid_like(value):
            raise exception.InvalidUUID(uuid=value)
        return value

    @staticmethod
    def frombasetype(value):
        return None if value is None else UuidType.validate(value)


class NameType(wtypes.UserType):
    """Cluster and federation names: a letter, then letters, digits,
    ``_ . -``; at most 242 characters."""
    basetype = wtypes.text
    name = 'name'
    PATTERN = re.compile(r'^[a-zA-Z][a-zA-Z0-9_.-]*$')
    MAX_LENGTH = 242

    @classmethod
    def validate(cls, value):
        if not isinstance(value, str) or not cls.PATTERN.match(value) or \
                len(value) > cls.MAX_LENGTH:
            raise exception.InvalidName(name=value)
        return value

    @classmethod
    def frombasetype(cls, value):
        return None if value is None else cls.validate(value)


class BooleanType(wtypes.UserType):
    """JSON booleans and the strict strings oslo accepts (yes/no, 1/0,
    on/off, true/false, y/n, t/f); anything else is a 400."""
    basetype = wtypes.text
    name = 'boolean'

    @staticmethod
    def validate(value):
        if isinstance(value, bool):
            return value
        try:
            return strutils.bool_from_string(value, strict=True)
        except ValueError as error:
            raise exception.Invalid(str(error))

    @staticmethod
    def frombasetype(value):
        return None if value is None else BooleanType.validate(value)


class JsonType(wtypes.UserType):
    """Any JSON value, passed through."""
    basetype = wtypes.text
    name = 'json'

    def __str__(self):
        return self.name

    @staticmethod
    def validate(value):
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise exception.Invalid(_('%s is not JSON serializable') % value)
        return value

    @staticmethod
    def frombasetype(value):
        return JsonType.validate(value)


class LabelsType(wtypes.UserType):
    """A dict of labels; values may arrive as str, int, float or bool and
    are kept as strings."""
    basetype = wtypes.DictType(wtypes.text, wtypes.text)
    name = 'labels'

    @staticmethod
    def validate(value):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise exception.Invalid(
                _('labels must be an object of key/value pairs, not %s') %
                type(value).__name__)
        labels = {}
        for key, item in value.items():
            if not isinstance(item, (str, int, float, bool)):
                raise exception.Invalid(
                    _('label %(key)s has a value of type %(type)s; use a '
                      'string, number or boolean') %
                    {'key': key, 'type': type(item).__name__})
            labels[str(key)] = str(item)
        return labels

    @staticmethod
    def frombasetype(value):
        return LabelsType.validate(value)


# What a JSON value of the wrong type makes WSME's converters raise (int({})
# is a TypeError, a date parser given a dict an AttributeError or
# TypeError): anything but ValueError reaches the client as a 500.
_WRONG_TYPE_ERRORS = (TypeError, AttributeError, OverflowError, KeyError,
                      IndexError, RecursionError)


def _json_type(value):
    return {dict: 'object', list: 'array', str: 'string', bool: 'boolean',
            int: 'integer', float: 'number',
            type(None): 'null'}.get(type(value), type(value).__name__)


@wsme_json.fromjson.when_type(wtypes.BaseMeta)
def _object_fromjson(datatype, value):
    """Every JSON object of a request body goes through here (WSME's
    documented extension point for complex types), so that no value of a
    wrong JSON type reaches the client as a 500:

    - an object must be a JSON object (WSME itself calls ``value.keys()``);
    - a mandatory attribute sent as ``null`` counts as missing (WSME only
      checks that the key is there, and validators then fail on None), and
      a PATCH body's operation must not be ``null``;
    - a value WSME's converters cannot take (``"node_count": {}``,
      ``"updated_at": {}``) is a 400 naming the attribute and its type.
    """
    if value is None:
        if issubclass(datatype, JsonPatchType):
            # An item of a PATCH body: null is no operation at all.
            raise ValueError(_('a JSON-Patch operation must be an object, '
                               'not null'))
        return None
    if not isinstance(value, dict):
        raise ValueError(_('expected a JSON object, not %s') %
                         _json_type(value))
    attributes = wtypes.list_attributes(datatype)
    for attribute in attributes:
        if attribute.mandatory and value.get(attribute.name) is None:
            raise wsme.exc.InvalidInput(attribute.name, None,
                                        _('Mandatory field missing.'))
    try:
        return wsme_json.fromjson.default(datatype, value)
    except _WRONG_TYPE_ERRORS:
        pass
    # Only on this error path: find the attribute that failed, to say so.
    for attribute in attributes:
        if attribute.name not in value:
            continue
        try:
            wsme_json.fromjson(attribute.datatype, value[attribute.name])
        except _WRONG_TYPE_ERRORS:
            raise wsme.exc.InvalidInput(
                attribute.name, value[attribute.name],
                _('a JSON %(got)s is not a valid %(expected)s') % {
                    'got': _json_type(value[attribute.name]),
                    'expected': _datatype_name(attribute.datatype)})
    raise ValueError(_('the object does not match %s') % datatype.__name__)


def _datatype_name(datatype):
    name = getattr(datatype, '__name__', None) or getattr(
        datatype, 'name', None) or str(datatype)
    return {'int': 'integer', 'float': 'number', 'bool': 'boolean',
            'str': 'string', 'datetime': 'date and time (ISO 8601)'}.get(
                name, name)


uuid = UuidType()
name = NameType()
boolean = BooleanType()
jsontype = JsonType()
labels = LabelsType()


class MultiType(wtypes.UserType):
    """A value of any of the given types."""

    def __init__(self, *types):
        self.types = types

    def __str__(self):
        return ' | '.join(str(t) for t in self.types)

    def validate(self, value):
        for candidate in self.types:
            try:
                return wtypes.validate_value(candidate, value)
            except (exception.Invalid, ValueError, TypeError):
                continue
        raise ValueError(_('Wrong type. Expected %(types)s, got %(value)s') %
                         {'types': self, 'value': type(value).__name__})


def literal(value, expected, field):
    """Structured values sent as Python literals ("{'a': 'b'}") by clients
    (compatibility.rst, "Requests and responses"); real
    JSON objects and lists pass as they are."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise exception.PatchError(
                patch=field,
                reason=_('%s is not a valid literal of a %s') % (
                    value, expected.__name__))
    if not isinstance(value, expected):
        raise exception.PatchError(
            patch=field, reason=_('expected a %s') % expected.__name__)
    return value


class JsonPatchType(wtypes.Base):
    """One JSON-Patch operation (RFC 6902).

    Resources subclass it to name their internal (never patchable) and
    non-removable attributes, and the attributes whose values are
    structured (a dict or list, possibly sent as a Python literal string).

    Class constants start with ``_``: WSME takes every other public class
    attribute for an attribute of the type (a dict fails to register).
    """

    path = wtypes.wsattr(wtypes.StringType(pattern=r'^(/[\w-]+)+$'),
                         mandatory=True)
    op = wtypes.wsattr(wtypes.Enum(wtypes.text, 'add', 'replace', 'remove'),
                       mandatory=True)
    value = wtypes.wsattr(jsontype, default=wtypes.Unset)

    _COMMON_INTERNAL = ('/created_at', '/id', '/links', '/updated_at',
                        '/uuid', '/project_id', '/user_id')
    _STRUCTURED = {'/labels': dict, '/health_status_reason': dict,
                   '/node_labels': dict, '/node_taints': list,
                   '/properties': dict, '/member_ids': list}

    @staticmethod
    def internal_attrs():
        return []

    @staticmethod
    def non_removable_attrs():
        return []

    def as_dict(self):
        operation = {'op': self.op, 'path': self.path}
        if self.value is not wtypes.Unset:
            operation['value'] = self.value
        return operation

    @classmethod
    def operations(cls, patch):
        """Check every operation of ``patch``; their dicts, in order."""
        return [cls.validate(operation).as_dict() for operation in patch]

    @classmethod
    def validate(cls, patch):
        top = '/' + patch.path.lstrip('/').split('/', 1)[0]
        internal = cls._COMMON_INTERNAL
        if patch.path in internal or top in internal \
                or top in cls.internal_attrs():
            raise wsme.exc.ClientSideError(
                _("'%s' is an internal attribute and can not be updated") %
                patch.path)
        if patch.path in cls.non_removable_attrs() and patch.op == 'remove':
            raise wsme.exc.ClientSideError(
                _("'%s' is a mandatory attribute and can not be removed") %
                patch.path)
        if patch.op != 'remove':
            if patch.value is wtypes.Unset or patch.value is None:
                raise wsme.exc.ClientSideError(
                    _("'add' and 'replace' operations need a value"))
            value = patch.value
            nested = patch.path != top
            if top in cls._STRUCTURED and not nested:
                patch.value = literal(value, cls._STRUCTURED[top], patch.path)
            elif isinstance(value, (dict, list, float)):
                raise wsme.exc.ClientSideError(
                    _('The value of %s must be a string or an integer') %
                    patch.path)
        return patch
