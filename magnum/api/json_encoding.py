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

"""JSON rendering of the API's types, through WSME's public converter
registry.

WSME turns a response into JSON with wsme.rest.json.tojson, a generic
function that dispatches on the declared type of every attribute of
every item (about 7,000 dispatches for a page of 100 templates). tojson
is WSME's documented extension point (``tojson.when_type``,
``tojson.when_object``): register() adds a converter for WSME's complex
types (the classes made by wsme.types.BaseMeta, which all of the API's
types are) that encodes a value with a function worked out once per type.
The result is what tojson's own handling of complex types gives
(magnum/tests/unit/api/test_json_encoding.py compares them); converters
registered for other types are called through tojson, except dates,
times, decimals and bytes, which this module renders itself, the same
way (ISO 8601, str, ASCII; compared by the same tests).

A value of a complex type is either an instance of it, read through its
attributes, or a magnum.api.controllers.base.StoredRepresentation of it
(what the API shows of an object Magnum stored), read from its dict of
values.
"""

import contextlib
import datetime
import decimal
import functools

import wsme.rest.json
import wsme.types

from magnum.api.controllers import base

_tojson = wsme.rest.json.tojson
_OBJECT_ENCODERS = {
    id(datetime.datetime): lambda value: None if value is None
    else value.isoformat(),
    id(datetime.date): lambda value: None if value is None
    else value.isoformat(),
    id(datetime.time): lambda value: None if value is None
    else value.isoformat(),
    id(decimal.Decimal): lambda value: None if value is None
    else str(value),
    id(bytes): lambda value: None if value is None
    else value.decode('ascii'),
}
_complex_encoders = {}


def _identity(value):
    return value


def _registered_type(datatype):
    """The class tojson dispatches ``datatype`` on, or None for its
    default implementation (or this module's, for complex types)."""
    for klass in type(datatype).__mro__:
        if klass is not object and klass is not wsme.types.BaseMeta and \
                _tojson.has_type(klass):
            return klass
    return None


def compile_encoder(datatype):
    """A function of one value equivalent to
    ``wsme.rest.json.tojson(datatype, value)``."""
    if _tojson.has_object(datatype):
        known = _OBJECT_ENCODERS.get(id(datatype))
        if known is not None:
            return known
        return functools.partial(_tojson, datatype)
    registered = _registered_type(datatype)
    if registered is wsme.types.ArrayType:
        encode_item = compile_encoder(datatype.item_type)
        if encode_item is _identity:
            return lambda value: None if value is None else list(value)
        return lambda value: None if value is None else [
            encode_item(item) for item in value]
    if registered is wsme.types.DictType:
        encode_key = compile_encoder(datatype.key_type)
        encode_item = compile_encoder(datatype.value_type)
        if encode_key is _identity and encode_item is _identity:
            return lambda value: None if value is None else dict(value)
        return lambda value: None if value is None else {
            encode_key(key): encode_item(item)
            for key, item in value.items()}
    if registered is not None:
        return functools.partial(_tojson, datatype)
    if wsme.types.iscomplex(datatype):
        return _complex_encoder(datatype)
    if wsme.types.isusertype(datatype):
        encode_base = compile_encoder(datatype.basetype)
        to_base = datatype.tobasetype
        if getattr(to_base, '__func__', None) in _IDENTITY_TOBASETYPES:
            return encode_base
        return lambda value: None if value is None else encode_base(
            to_base(value))
    return _identity


_IDENTITY_TOBASETYPES = (wsme.types.UserType.tobasetype,
                         wsme.types.Enum.tobasetype)


def _complex_encoder(datatype):
    encoder = _complex_encoders.get(datatype)
    if encoder is not None:
        return encoder
    plan = []
    unset = wsme.types.Unset
    stored_type = base.StoredRepresentation

    def encode_complex(value):
        if value is None:
            return None
        result = {}
        if type(value) is stored_type:
            # Its values, else the attribute's default, as reading the
            # attribute gives.
            stored = value.stored_values()
            for key, name, encode, default in plan:
                item = stored.get(key, default)
                if item is not unset:
                    result[name] = item if encode is _identity \
                        else encode(item)
            return result
        for key, name, encode, default in plan:
            item = getattr(value, key)
            if item is not unset:
                result[name] = item if encode is _identity \
                    else encode(item)
        return result
    # Registered before its attributes so that a type that contains
    # itself finds its own encoder.
    _complex_encoders[datatype] = encode_complex
    plan.extend((attribute.key, attribute.name,
                 compile_encoder(attribute.datatype), attribute.default)
                for attribute in wsme.types.list_attributes(datatype))
    return encode_complex


_encoders = {}


def encoder_for(datatype):
    """The compiled encoder of ``datatype``, made once."""
    entry = _encoders.get(id(datatype))
    if entry is None or entry[0] is not datatype:
        if len(_encoders) > 4096:  # return types are few; stay bounded
            _encoders.clear()
        entry = _encoders[id(datatype)] = (
            datatype, compile_encoder(datatype))
    return entry[1]


_enabled = False


def _encode_complex_type(datatype, value):
    # tojson's converter for every WSME complex type.
    if not _enabled:
        return _tojson.default(datatype, value)
    return encoder_for(datatype)(value)


def register():
    """Encode WSME's complex types with the compiled encoders from now
    on (the converter is registered with tojson once)."""
    global _enabled
    if not _tojson.has_type(wsme.types.BaseMeta):
        _tojson.when_type(wsme.types.BaseMeta)(_encode_complex_type)
    _enabled = True


@contextlib.contextmanager
def stock():
    """WSME's own encoding of complex types while in the block (for
    tests comparing both)."""
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous
