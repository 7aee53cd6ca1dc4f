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

"""Speed-ups for the libraries the API runs on, applied once at import.

pecan works out the argument list of the controller method by
introspection several times per request (and builds a new namedtuple
class each time); controllers never change at run time, so the answer is
cached. WSME validates and encodes attribute values through generic
dispatch; both are worked out once per type instead (see below).
"""

import datetime
import decimal
import functools
import inspect
import json

import pecan.core
import pecan.decorators
import pecan.rest
import pecan.routing
import pecan.util
import wsme.exc
import wsme.rest.json
import wsme.types


def _cache_pecan_argspec():
    if getattr(pecan.util.getargspec, '_magnum_cached', False):
        return
    original = pecan.util.getargspec

    @functools.lru_cache(maxsize=4096)
    def cached(method):
        return original(method)

    def getargspec(method):
        try:
            return cached(method)
        except TypeError:  # unhashable: not worth caching
            return original(method)

    getargspec._magnum_cached = True
    for module in (pecan.util, pecan.core, pecan.rest, pecan.routing,
                   pecan.decorators):
        module.getargspec = getargspec


_cache_pecan_argspec()


# -- oslo.policy and oslo.middleware ---------------------------------------
#
# Both introspect a method's signature on every call: oslo.policy for each
# check of each rule (several per request), oslo.middleware once per
# middleware layer per request. The methods belong to classes that do not
# change at run time, so the signature of the underlying function is
# cached.

@functools.lru_cache(maxsize=1024)
def _function_argspec(function):
    return inspect.getfullargspec(function)


def cached_getfullargspec(callable_):
    """inspect.getfullargspec, cached by the function behind a (bound)
    method; the answer for a bound method is the function's (``self``
    included), as inspect gives it."""
    function = getattr(callable_, '__func__', callable_)
    try:
        return _function_argspec(function)
    except TypeError:  # unhashable: not worth caching
        return inspect.getfullargspec(callable_)


class _InspectWithCachedArgspec:
    """The inspect module as oslo.policy's checks see it."""

    getfullargspec = staticmethod(cached_getfullargspec)

    def __getattr__(self, name):
        return getattr(inspect, name)


def _cache_oslo_argspecs():
    import oslo_middleware.base
    import oslo_policy._checks

    if not isinstance(oslo_policy._checks.inspect,
                      _InspectWithCachedArgspec):
        oslo_policy._checks.inspect = _InspectWithCachedArgspec()
    oslo_middleware.base.getfullargspec = cached_getfullargspec


_cache_oslo_argspecs()


# -- WSME attribute validation ---------------------------------------------
#
# Every assignment to an attribute of an API type goes through
# wsme.types.validate_value, which re-examines the declared type each
# time (and builds a new ArrayType for every list-typed attribute). A
# response of 100 cluster templates makes about 4,000 such assignments.
# The validator below is worked out once per attribute and gives the same
# result, or raises the same error, as validate_value: values of exactly
# the declared builtin type are returned as they are (what validate_value
# returns for them too), types with a validate method are asked directly,
# and anything else goes to validate_value itself.

_validate_value = wsme.types.validate_value


def _is_unset_or_none(value):
    return value is wsme.types.Unset or value is None


def compile_validator(datatype):
    """A function of one value equivalent to
    ``wsme.types.validate_value(datatype, value)``."""
    if isinstance(datatype, list):
        datatype = wsme.types.ArrayType(datatype[0])
    elif isinstance(datatype, dict):
        datatype = wsme.types.DictType(*list(datatype.items())[0])
    if isinstance(datatype, wsme.types.ArrayType):
        array_type = datatype
        validate_item = compile_validator(array_type.item_type)

        def validate_array(value):
            if _is_unset_or_none(value):
                return value
            if not isinstance(value, list):
                return array_type.validate(value)  # raises its error
            return [validate_item(item) for item in value]
        return validate_array
    if isinstance(datatype, wsme.types.DictType):
        dict_type = datatype
        validate_key = compile_validator(dict_type.key_type)
        validate_item = compile_validator(dict_type.value_type)

        def validate_dict(value):
            if _is_unset_or_none(value):
                return value
            if not isinstance(value, dict):
                return dict_type.validate(value)  # raises its error
            return {validate_key(key): validate_item(item)
                    for key, item in value.items()}
        return validate_dict
    if hasattr(datatype, 'validate'):
        own_validate = datatype.validate

        def validate_own(value):
            if _is_unset_or_none(value):
                return value
            return own_validate(value)
        return validate_own
    exact_type = datatype

    def validate_builtin(value):
        if type(value) is exact_type:
            return value
        return _validate_value(exact_type, value)
    return validate_builtin


def _attribute_validator(attribute):
    # Keyed on the declared (raw) datatype: WSME replaces it once when it
    # resolves type names, and the validator must follow.
    raw = attribute._datatype
    cached = attribute.__dict__.get('_magnum_validator')
    if cached is not None and cached[0] is raw:
        return cached[1]
    validator = compile_validator(attribute.datatype)
    attribute._magnum_validator = (attribute._datatype, validator)
    return validator


# Where a representation filled from stored values (fill_from) keeps them
# until something reads or sets an attribute the ordinary way: a plain
# dict, cheaper to make and to encode than WSME's data holder.
_STORED_VALUES = '_magnum_stored_values'


def _dataholder(instance):
    holder = instance.__dict__.get('_wsme_dataholder')
    if holder is None:
        holder = instance._wsme_dataholder = \
            instance._wsme_DataHolderClass()
        stored = instance.__dict__.pop(_STORED_VALUES, None)
        if stored:
            for key, value in stored.items():
                setattr(holder, key, value)
    return holder


def _wsattr_get(self, instance, owner):
    if instance is None:
        return self
    return getattr(_dataholder(instance), self.key, self.default)


def _wsattr_set(self, instance, value):
    try:
        value = _attribute_validator(self)(value)
    except (ValueError, TypeError) as e:
        raise wsme.exc.InvalidInput(self.name, value, str(e))
    holder = _dataholder(instance)
    if value is wsme.types.Unset:
        if hasattr(holder, self.key):
            delattr(holder, self.key)
    else:
        setattr(holder, self.key, value)


_assignable = {}


def _wsattrs_by_key(cls):
    attributes = _assignable.get(cls)
    if attributes is None:
        attributes = _assignable[cls] = {
            attribute.key: attribute
            for attribute in wsme.types.list_attributes(cls)
            if type(cls.__dict__.get(attribute.key,
                                     getattr(cls, attribute.key, None)))
            is wsme.types.wsattr}
    return attributes


def assign(instance, items):
    """``setattr(instance, key, value)`` for each (key, value) of
    ``items``, with the same validation and errors, minus the attribute
    look-ups of doing it one by one."""
    holder = _dataholder(instance)
    attributes = _wsattrs_by_key(type(instance))
    unset = wsme.types.Unset
    for key, value in items:
        attribute = attributes.get(key)
        if attribute is None:  # not a plain WSME attribute
            setattr(instance, key, value)
            continue
        try:
            value = _attribute_validator(attribute)(value)
        except (ValueError, TypeError) as e:
            raise wsme.exc.InvalidInput(attribute.name, value, str(e))
        if value is unset:
            if hasattr(holder, key):
                delattr(holder, key)
        else:
            setattr(holder, key, value)


def fill(instance, items):
    """Set each (key, value) of ``items`` on ``instance`` without
    validating it: for representations built from values Magnum itself
    stored and read back (objects from the database), which were
    validated when they were written and have the declared types. Every
    key must be a plain WSME attribute of the instance's type; Unset
    clears it, as an assignment would."""
    unset = wsme.types.Unset
    stored = instance.__dict__.get(_STORED_VALUES)
    if stored is not None:
        for key, value in items:
            if value is unset:
                stored.pop(key, None)
            else:
                stored[key] = value
        return
    holder = _dataholder(instance)
    for key, value in items:
        if value is unset:
            if hasattr(holder, key):
                delattr(holder, key)
        else:
            setattr(holder, key, value)


def fill_from(instance, keys, values):
    """fill(instance, [(key, values.get(key, Unset)) for key in keys]) on
    a new instance (one that has nothing set yet)."""
    instance.__dict__[_STORED_VALUES] = {
        key: values[key] for key in keys
        if key in values and values[key] is not wsme.types.Unset}


def _speed_up_wsattr():
    if getattr(wsme.types.wsattr, '_magnum_fast', False):
        return
    wsme.types.wsattr.__get__ = _wsattr_get
    wsme.types.wsattr.__set__ = _wsattr_set
    wsme.types.wsattr._magnum_fast = True


# -- WSME JSON encoding ----------------------------------------------------
#
# wsme.rest.json.tojson dispatches through simplegeneric for every
# attribute of every item (about 7,000 dispatches for a page of 100
# templates). The encoders below mirror that dispatch, worked out once per
# type: the converters WSME registers are reproduced, and any other
# registered converter is called through tojson itself.

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
    default implementation."""
    for klass in type(datatype).__mro__:
        if klass is not object and _tojson.has_type(klass):
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

    def encode_complex(value):
        if value is None:
            return None
        # Plain attributes are read from the instance's data holder, as
        # their descriptor would (the value, else the attribute's
        # default), without a descriptor call per attribute.
        stored = value.__dict__.get(_STORED_VALUES)
        holder = value.__dict__.get('_wsme_dataholder')
        result = {}
        for key, name, encode, plain, default in plan:
            if not plain:
                item = getattr(value, key)
            elif stored is not None:
                item = stored.get(key, default)
            elif holder is not None:
                item = getattr(holder, key, default)
            else:
                item = default
            if item is not unset:
                result[name] = item if encode is _identity \
                    else encode(item)
        return result
    # Registered before its attributes so that a type that contains
    # itself finds its own encoder.
    _complex_encoders[datatype] = encode_complex
    plain_keys = _wsattrs_by_key(datatype) if isinstance(
        datatype, type) else {}
    plan.extend((attribute.key, attribute.name,
                 compile_encoder(attribute.datatype),
                 attribute.key in plain_keys, attribute.default)
                for attribute in wsme.types.list_attributes(datatype))
    return encode_complex


_encoders = {}


def encoder_for(datatype):
    entry = _encoders.get(id(datatype))
    if entry is None or entry[0] is not datatype:
        if len(_encoders) > 4096:  # return types are few; stay bounded
            _encoders.clear()
        entry = _encoders[id(datatype)] = (datatype,
                                           compile_encoder(datatype))
    return entry[1]


def encode_result(value, datatype, **options):
    """wsme.rest.json.encode_result with the compiled encoders."""
    jsondata = encoder_for(datatype)(value)
    if options.get('nest_result', False):
        jsondata = {options.get('nested_result_attrname', 'result'):
                    jsondata}
    return json.dumps(jsondata)


def _speed_up_wsme_json():
    if getattr(wsme.rest.json.encode_result, '_magnum_fast', False):
        return
    encode_result._magnum_fast = True
    wsme.rest.json.encode_result = encode_result


_speed_up_wsattr()
_speed_up_wsme_json()
