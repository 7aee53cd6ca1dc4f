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

"""Speed-ups inside the libraries the API runs on, each applied only to
the releases it was written and tested against.

Each entry of PATCHES replaces a function inside a library (pecan,
oslo.policy, oslo.middleware, WSME) that offers no public hook for what
it does, and names the range of the library's releases it was checked
against. apply(), called once when the application is built, checks the
installed release of each library: outside the range the library is left
alone and a warning says so, and the API runs on the library as it
ships, only slower. magnum.api.json_encoding (JSON rendering registered
through WSME's public converter registry) is not such a patch.

Every patch gives the same results as the code it replaces, on the same
inputs; magnum/tests/unit/api/test_speedups.py compares them.
"""

import functools
import importlib
import importlib.metadata
import inspect

from oslo_log import log as logging
import wsme.exc
import wsme.types

LOG = logging.getLogger(__name__)


def release(version):
    """(major, minor, ...) of a version string such as '1.8.0'; a part
    that is not a plain number ends it ('0.14.0rc1' -> (0, 14, 0))."""
    numbers = []
    for part in version.split('.'):
        digits = ''
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(numbers)


class Patch:
    """A replacement inside ``distribution``, made only on its releases
    in [first, last): the ones it was written and tested against."""

    def __init__(self, name, distribution, first, last, install, remove,
                 why):
        self.name = name
        self.distribution = distribution
        self.first = first
        self.last = last
        self._install = install
        self._remove = remove
        self.why = why
        self.applied = False

    def installed(self):
        return importlib.metadata.version(self.distribution)

    def supports(self, version):
        return self.first <= release(version) < self.last

    def apply(self, version=None):
        """Make the replacement if the installed release (or
        ``version``) is in range; otherwise leave the library alone and
        log a warning. Returns whether the patch is in place."""
        if self.applied:
            return True
        version = version or self.installed()
        if not self.supports(version):
            LOG.warning(
                'Speed-up %(name)s left out: it was written for %(dist)s '
                '%(first)s.x and %(dist)s %(version)s is installed, which '
                'the API uses as it ships (only slower: %(why)s).',
                {'name': self.name, 'dist': self.distribution,
                 'first': '.'.join(map(str, self.first)),
                 'version': version, 'why': self.why})
            return False
        self._install()
        self.applied = True
        return True

    def revert(self):
        """Undo the replacement (for tests comparing both)."""
        if self.applied:
            self._remove()
            self.applied = False


# -- pecan: the controller's argument list ---------------------------------
#
# pecan works out the argument list of the controller method by
# introspection several times per request (and builds a new namedtuple
# class each time); controllers never change at run time, so the answer
# is cached. pecan.util.getargspec is imported by name into the others.

_PECAN_MODULES = ('pecan.util', 'pecan.core', 'pecan.rest', 'pecan.routing',
                  'pecan.decorators')
_pecan_stock = {}


def cached_pecan_getargspec(original):
    """``original`` (pecan.util.getargspec) with its answers cached per
    callable."""
    @functools.lru_cache(maxsize=4096)
    def cached(method):
        return original(method)

    def getargspec(method):
        try:
            return cached(method)
        except TypeError:  # unhashable: not worth caching
            return original(method)
    return getargspec


def _install_pecan():
    modules = [importlib.import_module(name) for name in _PECAN_MODULES]
    replacement = cached_pecan_getargspec(modules[0].getargspec)
    for module in modules:
        _pecan_stock[module] = module.getargspec
        module.getargspec = replacement


def _remove_pecan():
    for module, original in _pecan_stock.items():
        module.getargspec = original
    _pecan_stock.clear()


# -- oslo.policy and oslo.middleware: a method's signature -----------------
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


def _install_oslo_policy():
    import oslo_policy._checks
    oslo_policy._checks.inspect = _InspectWithCachedArgspec()


def _remove_oslo_policy():
    import oslo_policy._checks
    oslo_policy._checks.inspect = inspect


def _install_oslo_middleware():
    import oslo_middleware.base
    oslo_middleware.base.getfullargspec = cached_getfullargspec


def _remove_oslo_middleware():
    import oslo_middleware.base
    oslo_middleware.base.getfullargspec = inspect.getfullargspec


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
#
# The descriptors of wsme.types.wsattr are replaced, and values are kept
# in WSME's per-instance data holder (``_wsme_dataholder``) the way WSME
# keeps them: WSME internals, hence the release range. assign(), fill()
# and fill_from() set values the ordinary way when the patch is not in
# place.

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


def plain_attributes(cls):
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
    if not WSME_ATTRIBUTES.applied:
        for key, value in items:
            setattr(instance, key, value)
        return
    holder = _dataholder(instance)
    attributes = plain_attributes(type(instance))
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
    clears it, as an assignment would. (Without WSME_ATTRIBUTES in
    place, each value is set, and so validated, the ordinary way.)"""
    if not WSME_ATTRIBUTES.applied:
        for key, value in items:
            setattr(instance, key, value)
        return
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
    if not WSME_ATTRIBUTES.applied:
        fill(instance, [(key, values[key]) for key in keys if key in values])
        return
    instance.__dict__[_STORED_VALUES] = {
        key: values[key] for key in keys
        if key in values and values[key] is not wsme.types.Unset}


def stored_values(instance):
    """The values fill_from() kept aside for ``instance`` (a dict), or
    None."""
    return instance.__dict__.get(_STORED_VALUES)


def dataholder(instance):
    """WSME's holder of ``instance``'s attribute values, or None."""
    return instance.__dict__.get('_wsme_dataholder')


_stock_wsattr = {}


def _install_wsme_attributes():
    _stock_wsattr.update(get=wsme.types.wsattr.__get__,
                         set=wsme.types.wsattr.__set__)
    wsme.types.wsattr.__get__ = _wsattr_get
    wsme.types.wsattr.__set__ = _wsattr_set


def _remove_wsme_attributes():
    wsme.types.wsattr.__get__ = _stock_wsattr['get']
    wsme.types.wsattr.__set__ = _stock_wsattr['set']


PECAN_ARGSPEC = Patch(
    'pecan-argspec', 'pecan', (1, 8), (1, 9), _install_pecan, _remove_pecan,
    'controller signatures are worked out on every request')
OSLO_POLICY_ARGSPEC = Patch(
    'oslo.policy-argspec', 'oslo.policy', (6, 0), (6, 1),
    _install_oslo_policy, _remove_oslo_policy,
    'check signatures are worked out on every policy check')
OSLO_MIDDLEWARE_ARGSPEC = Patch(
    'oslo.middleware-argspec', 'oslo.middleware', (8, 2), (8, 3),
    _install_oslo_middleware, _remove_oslo_middleware,
    'signatures are worked out in every middleware layer')
WSME_ATTRIBUTES = Patch(
    'wsme-attributes', 'WSME', (0, 13), (0, 14), _install_wsme_attributes,
    _remove_wsme_attributes,
    'attribute types are examined again on every assignment')

PATCHES = (PECAN_ARGSPEC, OSLO_POLICY_ARGSPEC, OSLO_MIDDLEWARE_ARGSPEC,
           WSME_ATTRIBUTES)


def apply():
    """Apply each patch the installed libraries allow (see Patch.apply).
    Returns the names of those in place."""
    return [patch.name for patch in PATCHES if patch.apply()]


def revert():
    """Undo every patch (for tests comparing with the stock libraries)."""
    for patch in PATCHES:
        patch.revert()
