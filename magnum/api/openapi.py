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

"""The OpenAPI 3.1 document of the v1 API, built from the controllers.

Paths come from walking the v1 RestControllers the way pecan routes them;
parameters, request bodies and responses come from the WSME signatures of
the controller methods and the WSME types they name. Nothing is written by
hand, so the document changes when the code does.
"""

import datetime
import inspect

from pecan import rest
from wsme import types as wtypes

from magnum.api import microversion
from magnum.api.controllers.v1 import types as api_types

ERROR_SCHEMA = {
    'type': 'object',
    'required': ['errors'],
    'properties': {'errors': {'type': 'array', 'minItems': 1, 'items': {
        'type': 'object',
        'required': ['status', 'title'],
        'properties': {
            'request_id': {'type': 'string'},
            'code': {'type': 'string'},
            'status': {'type': 'integer'},
            'title': {'type': 'string'},
            'detail': {'type': 'string'},
            'links': {'type': 'array'},
            'min_version': {'type': 'string'},
            'max_version': {'type': 'string'},
            'message': {'type': 'string'},
        }}}},
}

_STANDARD_METHODS = (('get_all', 'get', False), ('post', 'post', False),
                     ('get_one', 'get', True), ('patch', 'patch', True),
                     ('put', 'put', True), ('delete', 'delete', True))


def _nullable(schema):
    schema = dict(schema)
    kind = schema.get('type')
    if kind is None:
        return schema
    schema['type'] = sorted(set([kind] if isinstance(kind, str) else kind)
                            | {'null'})
    if 'enum' in schema and None not in schema['enum']:
        schema['enum'] = list(schema['enum']) + [None]
    return schema


class _Builder:

    def __init__(self):
        self.components = {'Error': ERROR_SCHEMA}
        self.paths = {}
        self.functions = set()

    # -- schemas ----------------------------------------------------------

    def schema(self, datatype):
        """The JSON schema of a WSME data type."""
        if datatype is None:
            return {}
        if isinstance(datatype, wtypes.ArrayType):
            return {'type': 'array', 'items': self.schema(datatype.item_type)}
        if isinstance(datatype, list):
            return {'type': 'array', 'items': self.schema(datatype[0])}
        if isinstance(datatype, wtypes.DictType):
            return {'type': 'object',
                    'additionalProperties': self.schema(datatype.value_type)}
        if isinstance(datatype, dict):
            (_, value_type), = datatype.items()
            return {'type': 'object',
                    'additionalProperties': self.schema(value_type)}
        if isinstance(datatype, wtypes.Enum):
            return {'type': 'string', 'enum': sorted(datatype.values)}
        if isinstance(datatype, wtypes.StringType):
            schema = {'type': 'string'}
            if datatype.min_length is not None:
                schema['minLength'] = datatype.min_length
            if datatype.max_length is not None:
                schema['maxLength'] = datatype.max_length
            if datatype.pattern is not None:
                schema['pattern'] = datatype.pattern.pattern
            return schema
        if isinstance(datatype, wtypes.IntegerType):
            schema = {'type': 'integer'}
            if datatype.minimum is not None:
                schema['minimum'] = datatype.minimum
            if datatype.maximum is not None:
                schema['maximum'] = datatype.maximum
            return schema
        if isinstance(datatype, api_types.UuidType):
            return {'type': 'string', 'format': 'uuid'}
        if isinstance(datatype, api_types.NameType):
            return {'type': 'string', 'maxLength': datatype.MAX_LENGTH,
                    'pattern': datatype.PATTERN.pattern}
        if isinstance(datatype, api_types.BooleanType):
            return {'type': ['boolean', 'string']}
        if isinstance(datatype, api_types.LabelsType):
            return {'type': 'object', 'additionalProperties': {
                'type': ['string', 'number', 'boolean']}}
        if isinstance(datatype, api_types.JsonType):
            return {}
        if isinstance(datatype, api_types.MultiType):
            return {'anyOf': [self.schema(t) for t in datatype.types]}
        if isinstance(datatype, wtypes.UserType):
            return self.schema(datatype.basetype)
        if inspect.isclass(datatype) and issubclass(datatype, wtypes.Base):
            return self.component(datatype)
        simple = {str: 'string', bytes: 'string', int: 'integer',
                  float: 'number', bool: 'boolean'}
        if datatype in simple:
            return {'type': simple[datatype]}
        if datatype is datetime.datetime:
            return {'type': 'string', 'format': 'date-time'}
        return {}

    def component(self, cls):
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # breaks cycles
            properties, required = {}, []
            for attribute in wtypes.list_attributes(cls):
                schema = self.schema(attribute.datatype)
                if '$ref' not in schema:
                    schema = _nullable(schema)
                if attribute.readonly:
                    schema['readOnly'] = True
                properties[attribute.name] = schema
                if attribute.mandatory:
                    required.append(attribute.name)
            component = {'type': 'object', 'properties': properties}
            if required:
                component['required'] = sorted(required)
            if cls.__doc__:
                component['description'] = inspect.cleandoc(cls.__doc__)
            self.components[name] = component
        return {'$ref': '#/components/schemas/%s' % name}

    # -- paths --------------------------------------------------------------

    def walk(self, controller, path, parents=()):
        for method_name, http_method, with_ident in _STANDARD_METHODS:
            self.operation(controller, method_name, http_method, path,
                           parents, with_ident)
        for action, methods in getattr(controller, '_custom_actions',
                                       {}).items():
            for http_method in methods:
                self.operation(controller, action, http_method.lower(),
                               '%s/%s' % (path, action), parents, False)
        for name, child in sorted(vars(type(controller)).items()):
            if isinstance(child, rest.RestController):
                ident = self._ident_name(child, len(parents))
                self.walk(child, '%s/{%s}/%s' % (path, ident, name),
                          parents + (ident,))

    @staticmethod
    def _ident_name(child, depth):
        """The name the child's methods give the parent's identifier."""
        # A controller with only custom actions (/clusters/{id}/actions)
        # names it in those actions' signatures.
        for method_name in ('get_all', 'post', 'get_one',
                            *sorted(getattr(child, '_custom_actions', {}))):
            function = getattr(child, method_name, None)
            definition = getattr(function, '_wsme_definition', None)
            if definition is not None and len(definition.arguments) > depth:
                return definition.arguments[depth].name
        return 'parent_ident'

    def operation(self, controller, method_name, http_method, path,
                  parents, with_ident):
        function = getattr(controller, method_name, None)
        definition = getattr(function, '_wsme_definition', None)
        if definition is None:
            return
        self.functions.add((type(controller).__module__,
                            type(controller).__name__, method_name))
        arguments = list(definition.arguments)
        body_argument = None
        if definition.body_type is not None and arguments:
            body_argument = arguments.pop()
        path_names = list(parents)
        if with_ident:
            # Identifiers are the leading arguments without a default
            # (e.g. /quotas/{project_id}/{resource}).
            for argument in arguments[len(parents):]:
                if not argument.mandatory:
                    break
                path_names.append(argument.name)
                path = '%s/{%s}' % (path, argument.name)
        parameters = []
        for argument in arguments:
            located = 'path' if argument.name in path_names else 'query'
            parameter = {'name': argument.name, 'in': located,
                         'required': located == 'path' or bool(
                             argument.mandatory),
                         'schema': self.schema(argument.datatype)}
            parameters.append(parameter)
        operation = {
            'operationId': '%s.%s' % (type(controller).__name__,
                                      method_name),
            'parameters': parameters,
            'responses': self.responses(definition),
        }
        if definition.doc:
            operation['description'] = inspect.cleandoc(definition.doc)
        if body_argument is not None:
            content = {'application/json': {
                'schema': self.schema(definition.body_type)}}
            # Bodies an operation also takes as they are (an image
            # tarball: magnum.api.controllers.v1.load_image.streamed).
            for media_type in getattr(function, 'raw_body_types', ()):
                content[media_type] = {'schema': {
                    'type': 'string', 'contentMediaType': media_type}}
            operation['requestBody'] = {'required': True,
                                        'content': content}
        self.paths.setdefault(path, {})[http_method] = operation

    def responses(self, definition):
        status = str(definition.status_code)
        if definition.return_type is None or status == '204':
            success = {'description': 'Success, no content.'}
        else:
            success = {'description': 'Success.', 'content': {
                'application/json': {
                    'schema': self.schema(definition.return_type)}}}
        error = {'description': 'An error in the OpenStack error format.',
                 'content': {'application/json': {
                     'schema': {'$ref': '#/components/schemas/Error'}}}}
        return {status: success, 'default': error}


def document(base_url=''):
    """The whole v1 API as an OpenAPI 3.1 document."""
    from magnum.api.controllers import v1
    builder = _Builder()
    controller = v1.Controller()
    for name, child in sorted(vars(v1.Controller).items()):
        if isinstance(child, rest.RestController):
            builder.walk(child, '/v1/%s' % name)
    del controller
    return {
        'openapi': '3.1.0',
        'info': {
            'title': 'OpenStack Magnum API',
            'version': microversion.MAX_VERSION_STRING,
            'description': (
                'Container infrastructure management. Send '
                '"OpenStack-API-Version: container-infra X.Y" to choose a '
                'microversion between %s and %s; without it requests are '
                'served at %s.' % (microversion.MIN_VERSION_STRING,
                                   microversion.MAX_VERSION_STRING,
                                   microversion.MIN_VERSION_STRING)),
        },
        'servers': [{'url': base_url or '/'}],
        'security': [{'keystone_token': []}],
        'paths': dict(sorted(builder.paths.items())),
        'components': {
            'schemas': dict(sorted(builder.components.items())),
            'securitySchemes': {'keystone_token': {
                'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token'}},
        },
    }


def documented_functions():
    """(module, class, method) of every operation in the document."""
    from magnum.api.controllers import v1
    builder = _Builder()
    for name, child in sorted(vars(v1.Controller).items()):
        if isinstance(child, rest.RestController):
            builder.walk(child, '/v1/%s' % name)
    return builder.functions
