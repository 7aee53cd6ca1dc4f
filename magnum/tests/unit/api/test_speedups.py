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

"""magnum.api.speedups: each patch is made only on the library releases
it was written for, and gives the same results as the code it replaces
on the same inputs (each comparison runs both)."""

import datetime
import inspect
import json

import oslo_middleware.base
import oslo_policy._checks
import pecan.core
import pecan.util
import pytest
from wsme import types as wtypes
import wsme.exc
import wsme.rest.json

from magnum.api import json_encoding
from magnum.api import speedups
from magnum.api.controllers import base
from magnum.api.controllers import root
from magnum.api.controllers.v1 import cluster_template
from magnum.api.controllers.v1 import types
from magnum.tests.unit.api import wsme_samples

UUID = wsme_samples.UUID
WHEN = wsme_samples.WHEN


@pytest.fixture
def stock_then_patched():
    """Yields a function that runs ``call`` with every patch reverted,
    then with every patch applied, and returns both outcomes; the
    patches are left as the test found them."""
    before = [patch.applied for patch in speedups.PATCHES]

    def both(call):
        speedups.revert()
        stock = _outcome(call)
        assert speedups.apply() == [p.name for p in speedups.PATCHES]
        return stock, _outcome(call)
    yield both
    for patch, applied in zip(speedups.PATCHES, before):
        if applied:
            patch.apply()
        else:
            patch.revert()


def _outcome(function):
    try:
        return 'value', function()
    except (ValueError, TypeError, wsme.exc.ClientSideError,
            Exception) as error:
        return 'error', (type(error), str(error))


@pytest.mark.parametrize('version, expected', [
    ('1.8.0', (1, 8, 0)), ('0.14.0rc1', (0, 14, 0)), ('6', (6,)),
    ('8.2.post1', (8, 2)), ('', ())])
def test_release_numbers(version, expected):
    assert speedups.release(version) == expected


@pytest.mark.parametrize('patch', speedups.PATCHES,
                         ids=[p.name for p in speedups.PATCHES])
def test_the_installed_libraries_are_the_ones_the_patches_were_written_for(
        patch):
    # upper-constraints.txt pins these releases; a new pin outside a range
    # needs the patch checked again (or dropped).
    assert patch.supports(patch.installed())


def _library_functions():
    return (pecan.util.getargspec, pecan.core.getargspec,
            oslo_policy._checks.inspect, oslo_middleware.base.getfullargspec,
            wtypes.wsattr.__get__, wtypes.wsattr.__set__)


@pytest.mark.parametrize('patch', speedups.PATCHES,
                         ids=[p.name for p in speedups.PATCHES])
def test_another_release_is_left_alone_with_a_warning(patch, caplog):
    was_applied = patch.applied
    patch.revert()
    try:
        stock = _library_functions()
        newer = '.'.join(map(str, patch.last))
        assert patch.apply(version=newer) is False
        assert patch.applied is False
        assert _library_functions() == stock
        assert 'Speed-up %s left out: it was written for %s %s.x and %s ' \
            '%s is installed' % (patch.name, patch.distribution,
                                 '.'.join(map(str, patch.first)),
                                 patch.distribution, newer) in caplog.text
        older = patch.first[:-1] + (patch.first[-1] - 1,)
        assert patch.apply(version='.'.join(map(str, older))) is False
        assert _library_functions() == stock
        assert patch.apply(version=patch.installed()) is True
        assert _library_functions() != stock
        patch.revert()
        assert _library_functions() == stock
    finally:
        if was_applied:
            patch.apply()


def test_the_application_applies_every_patch():
    from magnum.api import app
    app.setup_app()
    assert all(patch.applied for patch in speedups.PATCHES)


# -- pecan -----------------------------------------------------------------

def _controller_methods():
    """Every method of every controller the API routes to, bound."""
    seen, pending, methods = set(), [root.RootController], []
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        instance = cls.__new__(cls)
        for name, member in inspect.getmembers(cls):
            if name.startswith('__'):
                continue
            if inspect.isfunction(member):
                methods.append(getattr(instance, name))
            elif type(member).__module__.startswith(
                    'magnum.api.controllers'):
                pending.append(type(member))
    return methods


def test_pecan_argspecs_are_pecans(stock_then_patched):
    methods = _controller_methods()
    assert len(methods) > 50
    samples = methods + [lambda a, b=1, *c, **d: None, {}.get]

    def argspecs():
        return [(pecan.util.getargspec(m), pecan.core.getargspec(m))
                for m in samples]
    stock, patched = stock_then_patched(argspecs)
    assert stock == patched
    assert stock[0] == 'value', stock


# -- oslo.policy and oslo.middleware ---------------------------------------

def _check_callables():
    classes = set(oslo_policy._checks.registered_checks.values()) | {
        oslo_policy._checks.TrueCheck, oslo_policy._checks.FalseCheck,
        oslo_policy._checks.AndCheck, oslo_policy._checks.OrCheck,
        oslo_policy._checks.NotCheck}
    callables = []
    for cls in sorted(classes, key=lambda c: c.__name__):
        callables += [cls.__call__, cls.__new__(cls).__call__]
    return callables


def test_oslo_policy_sees_the_same_argspecs(stock_then_patched):
    samples = _check_callables()

    def argspecs():
        inspect_module = oslo_policy._checks.inspect
        return [inspect_module.getfullargspec(c) for c in samples] + [
            inspect_module.isclass(c) for c in samples]
    stock, patched = stock_then_patched(argspecs)
    assert stock == patched
    assert stock[0] == 'value', stock


def test_policy_decisions_are_the_same(stock_then_patched):
    from magnum.common import context
    from magnum.common import policy

    enforcer = policy.get_enforcer()
    enforcer.load_rules()
    rules = sorted(enforcer.rules)
    assert len(rules) > 20
    people = [context.make_context(project_id='p', user_id='u', roles=roles)
              for roles in (['admin'], ['member', 'reader'], ['reader'], [])]
    target = {'project_id': 'p', 'user_id': 'u'}

    def decisions():
        return [enforcer.enforce(rule, target, person.to_policy_values())
                for rule in rules for person in people]
    stock, patched = stock_then_patched(decisions)
    assert stock == patched
    assert True in stock[1] and False in stock[1]


def test_oslo_middleware_sees_the_same_argspecs(stock_then_patched):
    import oslo_middleware
    from oslo_middleware import cors
    from oslo_middleware import http_proxy_to_wsgi

    classes = (oslo_middleware.RequestId, http_proxy_to_wsgi.HTTPProxyToWSGI,
               cors.CORS, oslo_middleware.base.ConfigurableMiddleware)
    samples = [cls.process_response for cls in classes] + [
        cls.__new__(cls).process_response for cls in classes]

    def argspecs():
        return [oslo_middleware.base.getfullargspec(c) for c in samples]
    stock, patched = stock_then_patched(argspecs)
    assert stock == patched
    assert stock[0] == 'value', stock


def test_cached_argspec_is_per_function():
    class Check:
        def __call__(self, target, creds, enforcer, current_rule=None):
            return True
    bound = Check().__call__
    assert speedups.cached_getfullargspec(bound) == \
        inspect.getfullargspec(bound)
    # The cache answers for the function behind every bound method.
    assert speedups.cached_getfullargspec(Check().__call__) is \
        speedups.cached_getfullargspec(bound)


# -- WSME attributes -------------------------------------------------------

# Each datatype with values it accepts and values it refuses.
VALIDATION_CASES = [
    (wtypes.text, ['abc', '', b'bytes'], [1, 2.5, ['x']]),
    (int, [1, 0, -3, True, '12', b'7'], ['x', 2.5, None and 1]),
    (float, [1.5, 2, '2.5'], ['x', [1]]),
    (bool, [True, False], ['yes', 1]),
    (datetime.datetime, [WHEN], ['2026-01-02', 5]),
    (wtypes.StringType(min_length=1, max_length=5), ['abc'],
     ['', 'toolong', 5]),
    (wtypes.StringType(pattern=r'^/\w+$'), ['/path'], ['nope']),
    (wtypes.IntegerType(minimum=1, maximum=10), [1, 10], [0, 11]),
    (wtypes.Enum(wtypes.text, 'a', 'b'), ['a'], ['c', 1]),
    (types.uuid, [UUID], ['not-a-uuid']),
    (types.boolean, [True, 'yes', 'off'], ['maybe', 3]),
    (types.labels, [{'a': 'b', 'n': 1, 'f': False}, {}],
     [['a'], {'a': [1]}, 'text']),
    ([{str: str}], [[{'href': 'h', 'rel': 'self'}], []],
     [{'a': 'b'}, ['x'], [{'a': 1.5}]]),
    ({str: int}, [{'a': 1, 'b': '2'}], [['a'], {'a': 'x'}]),
    (wtypes.ArrayType(wtypes.IntegerType(minimum=0)), [[1, 2]],
     [[-1], 'x']),
    (cluster_template.ClusterTemplate, [cluster_template.ClusterTemplate()],
     [{'name': 'x'}, 'x']),
]


@pytest.mark.parametrize('datatype,good,bad', VALIDATION_CASES)
def test_compiled_validator_matches_validate_value(datatype, good, bad):
    validate = speedups.compile_validator(datatype)
    for value in list(good) + list(bad) + [None, wtypes.Unset]:
        expected = _outcome(lambda: wtypes.validate_value(datatype, value))
        assert _outcome(lambda: validate(value)) == expected, value
    for value in good:
        assert _outcome(lambda: validate(value))[0] == 'value'
    for value in bad:
        if value is None:
            continue
        assert _outcome(lambda: validate(value))[0] == 'error'


# Assignments to a template: the value read back, or the error raised.
TEMPLATE_ASSIGNMENTS = [
    ('coe', 'kubernetes'), ('coe', 'mesos'), ('coe', wtypes.Unset),
    ('labels', {'a': 1, 'b': False}), ('labels', ['x']), ('labels', None),
    ('apiserver_port', 6443), ('apiserver_port', 80),
    ('apiserver_port', '8443'), ('name', 'a-name'), ('name', 5),
    ('uuid', UUID), ('uuid', 'nope'), ('public', 'yes'), ('public', 'x'),
    ('docker_volume_size', '3'), ('links', [{'href': 'h', 'rel': 's'}]),
    ('created_at', WHEN), ('created_at', '2026'), ('flavor_id', None),
]


def _error(error):
    if isinstance(error, wsme.exc.InvalidInput):
        return (type(error), error.fieldname, error.value, str(error))
    return (type(error), str(error))


def _assignments():
    results = []
    for key, value in TEMPLATE_ASSIGNMENTS:
        template = cluster_template.ClusterTemplate()
        try:
            setattr(template, key, value)
        except Exception as error:
            results.append(('error', _error(error)))
            continue
        read = getattr(template, key)
        results.append(('value', read, type(read)))
    template = cluster_template.ClusterTemplate(name='n', coe='kubernetes')
    results.append([getattr(template, a.key) for a in
                    wtypes.list_attributes(cluster_template.ClusterTemplate)])
    return results


def test_attributes_set_and_read_as_stock_wsme_does(stock_then_patched):
    stock, patched = stock_then_patched(_assignments)
    assert stock == patched
    assert stock[0] == 'value', stock
    outcomes = [result[0] for result in stock[1][:-1]]
    assert 'error' in outcomes and 'value' in outcomes


def _assign_fill_and_trust():
    results = []
    template = cluster_template.ClusterTemplate()
    template.assign([('coe', 'kubernetes'), ('labels', {'a': 1}),
                     ('flavor_id', wtypes.Unset), ('fields', ['coe'])])
    results.append((template.coe, template.labels, template.flavor_id,
                    template.fields))
    try:
        template.assign([('apiserver_port', 80)])
    except wsme.exc.InvalidInput as error:
        results.append(_error(error))
    template.assign([('coe', wtypes.Unset)])
    results.append(template.coe)
    template.fill([('coe', 'swarm-mode'), ('labels', {'a': '1'}),
                   ('image_id', wtypes.Unset)])
    results.append((template.coe, template.labels, template.image_id))
    fields = cluster_template.ClusterTemplate._object_fields() + ['links']
    values = {'uuid': UUID, 'name': 'tpl', 'coe': 'kubernetes',
              'image_id': 'fedora', 'labels': {'a': 'b'}, 'public': True,
              'apiserver_port': 6443, 'server_type': 'vm', 'hidden': False,
              'flavor_id': wtypes.Unset,
              'links': [{'href': 'h', 'rel': 'self'}]}
    trusted = cluster_template.ClusterTemplate.trusted(values, fields=fields)
    results.append([getattr(trusted, key) for key in fields])
    trusted.fill([('flavor_id', 'm1'), ('name', wtypes.Unset)])
    results.append(trusted.as_dict())
    try:
        trusted.apiserver_port = 80
    except wsme.exc.InvalidInput as error:
        results.append(_error(error))
    results.append(json.loads(wsme.rest.json.encode_result(
        trusted, cluster_template.ClusterTemplate)))
    return results


def test_assign_fill_and_trusted_give_what_setattr_gives(
        stock_then_patched):
    json_encoding.register()
    stock, patched = stock_then_patched(_assign_fill_and_trust)
    assert stock == patched
    assert stock[0] == 'value', stock


def test_trusted_values_are_not_validated_again():
    # What trusted() is for: values Magnum stored are taken as they are.
    was_applied = speedups.WSME_ATTRIBUTES.applied
    assert speedups.WSME_ATTRIBUTES.apply()
    try:
        item = cluster_template.ClusterTemplate.trusted(
            {'apiserver_port': 80})
        assert item.apiserver_port == 80
        assert isinstance(item, base.APIBase)
    finally:
        if not was_applied:
            speedups.WSME_ATTRIBUTES.revert()


# -- the whole API ---------------------------------------------------------

def test_the_api_answers_the_same_with_and_without_the_speed_ups(
        api, stock_then_patched):
    created = api.post('/clustertemplates', {
        'coe': 'kubernetes', 'image_id': 'fedora-coreos', 'name': 'tpl',
        'external_network_id': 'public', 'keypair_id': 'kp',
        'labels': {'a': 'b'}}, status=201).json['uuid']
    requests = [
        ('get', '/', None), ('get', '/v1/', None),
        ('get', '/clustertemplates', None),
        ('get', '/clustertemplates/detail', None),
        ('get', '/clustertemplates/%s' % created, None),
        ('get', '/clustertemplates/no-such-template', None),
        ('post', '/clustertemplates', {'coe': 'mesos', 'image_id': 'i'}),
        ('patch', '/clustertemplates/%s' % created,
         [{'op': 'replace', 'path': '/apiserver_port', 'value': 80}]),
        ('get', '/clusters', None), ('get', '/quotas', None),
    ]

    def answers():
        results = []
        for method, path, body in requests:
            response = api.request(method, path, body, as_='admin')
            payload = response.json if response.content_type == \
                'application/json' else response.text
            if isinstance(payload, dict):
                for error in payload.get('errors', []):
                    error.pop('request_id', None)  # one per request
            results.append((method, path, response.status_int, payload))
        return results
    stock, patched = stock_then_patched(answers)
    assert stock == patched
    statuses = [status for _, _, status, _ in stock[1]]
    assert 200 in statuses and 404 in statuses and 400 in statuses
