# TEST FIXTURE of the cloud-in-a-box (tools/cloud-in-a-box.sh), not part of
# Magnum: it writes the provider templates that STAND IN FOR NEUTRON,
# OCTAVIA AND CINDER resources in the test cloud's Heat (a cloud without
# those services), and the global environment file that maps the real
# resource types to them and OS::Nova::Server to the container-backed
# plugin of plugins/standin_server.py. See
# doc/source/contributor/cloud-in-a-box.rst for what the stand-ins prove
# and what they do not.
#
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

"""Generate the test cloud's stand-ins from the installed Heat's schemas.

    make_standins.py PROVIDER_DIR ENVIRONMENT_FILE

Run with the cloud's Python (Heat importable) at ``cloud-in-a-box.sh up``.
Each provider template is made from the real type's ``properties_schema``
and ``attributes_schema``, so it passes Heat's facade check for that Heat
whatever its version: a parameter for every property (typed as the facade
wants, with a default unless the property is required), an output for every
attribute and ``show``, and ``OS::stack_id`` (what ``get_resource`` returns:
a UUID). Each has one leaf resource (Heat staggers the start of leaves by a
second) built from Heat's own test resource; two extra optional parameters,
``standin_create_seconds`` and ``standin_fail``, let a test-only template
(or its ``parameter_defaults``) make a stand-in slow or fail.

Addresses are made up (from the nested stack's id) and reachable by nobody:
floating IPs in 203.0.113.0/24 and load balancer VIPs in 198.51.100.0/24
(documentation ranges, RFC 5737), ports in 10.0.0.0/8.
"""

import os
import sys
import warnings

import yaml

HOT_VERSION = '2021-04-16'
SERVER_TYPE = 'OS::Nova::Server'
SERVER_PLUGIN_TYPE = 'MagnumTest::Container::Server'
# The real types, and the file each one's stand-in goes to.
PROVIDERS = {
    'OS::Neutron::Net': 'neutron-net.yaml',
    'OS::Neutron::Subnet': 'neutron-subnet.yaml',
    'OS::Neutron::Router': 'neutron-router.yaml',
    'OS::Neutron::RouterInterface': 'neutron-router-interface.yaml',
    'OS::Neutron::Port': 'neutron-port.yaml',
    'OS::Neutron::FloatingIP': 'neutron-floating-ip.yaml',
    'OS::Neutron::FloatingIPAssociation':
        'neutron-floating-ip-association.yaml',
    'OS::Neutron::SecurityGroup': 'neutron-security-group.yaml',
    'OS::Neutron::SecurityGroupRule': 'neutron-security-group-rule.yaml',
    'OS::Octavia::LoadBalancer': 'octavia-load-balancer.yaml',
    'OS::Octavia::Listener': 'octavia-listener.yaml',
    'OS::Octavia::Pool': 'octavia-pool.yaml',
    'OS::Octavia::PoolMember': 'octavia-pool-member.yaml',
    'OS::Octavia::HealthMonitor': 'octavia-health-monitor.yaml',
    'OS::Cinder::Volume': 'cinder-volume.yaml',
    'OS::Cinder::VolumeAttachment': 'cinder-volume-attachment.yaml',
}
EXTRA_PARAMETERS = {
    'standin_create_seconds': {
        'type': 'number', 'default': 0,
        'description': 'Test cloud only: seconds the stand-in takes to '
                       'create (a real service is slower than none).'},
    'standin_fail': {
        'type': 'boolean', 'default': False,
        'description': 'Test cloud only: make this stand-in fail to '
                       'create.'},
}


# -- made-up values (HOT snippets) -------------------------------------------

def param(name):
    return {'get_param': name}


STACK_ID = param('OS::stack_id')
PROJECT_ID = param('OS::project_id')
# A number 2-251 from two hex digits of the nested stack's id (each stand-in
# is a stack of its own, so each gets its own). A yaql expression runs at
# validation too, when the id may still be missing: hence the "or".
_OCTET = ("let(h => '0123456789abcdef', s => str($.data.id or '0000')"
          ".toLower()) -> str(($h.indexOf($s.substring({0}, 1)) * 16 + "
          "$h.indexOf($s.substring({1}, 1))) mod 250 + 2)")


def octet(first=0):
    return {'yaql': {'expression': _OCTET.format(first, first + 1),
                     'data': {'id': STACK_ID}}}


def address(prefix, given=None):
    """``given`` (a parameter name) when set, else prefix + an octet."""
    made_up = {'list_join': ['', [prefix, octet()]]}
    if given is None:
        return made_up
    return {'if': [{'equals': [param(given), '']}, made_up, param(given)]}


def private_address():
    return {'list_join': ['.', ['10', octet(2), octet(4), octet(0)]]}


def either(*names):
    """The first of the parameters that is set (yaql: guarded)."""
    return {'yaql': {
        'expression': '$.data.values.where($ != null and $ != "")'
                      '.first(null)',
        'data': {'values': [param(n) for n in names]}}}


def member_value(list_param, *keys):
    """A value of the first map of a list-of-maps property: Heat hands
    those to a provider flattened, as ".member.0.<key>=<value>" items."""
    return {'yaql': {
        'expression': "let(items => $.data.items or [], prefixes => "
                      "$.data.prefixes) -> $items.where($ != null).select("
                      "let(item => $) -> $prefixes.where($item.startsWith($))"
                      ".select($item.substring(len($)))).flatten()"
                      ".first(null)",
        'data': {'items': param(list_param),
                 'prefixes': ['.member.0.%s=' % key for key in keys]}}}


def _mac():
    # fa:16:3e (OpenStack's prefix) and three bytes of the stack's id.
    return {'yaql': {
        'expression': "let(s => str($.data.id or '000000').toLower()) -> "
                      "'fa:16:3e:' + $s.substring(0, 2) + ':' + "
                      "$s.substring(2, 2) + ':' + $s.substring(4, 2)",
        'data': {'id': STACK_ID}}}


def ref_list(name):
    """[{id: <parameter>}] (how Octavia lists what a thing belongs to),
    empty when the parameter is not set."""
    return {'if': [{'equals': [param(name), '']}, [],
                   [{'id': param(name)}]]}


# Attribute values worth more than the defaults below, per type.
SPECIAL = {
    'OS::Neutron::Net': {
        'status': 'ACTIVE', 'subnets': [], 'mtu': 1450,
        'l2_adjacency': True, 'segments': [],
        'qos_policy_id': either('qos_policy'),
    },
    'OS::Neutron::Subnet': {
        'network_id': either('network', 'network_id'),
        'gateway_ip': {'yaql': {
            'expression': "let(c => str($.data.cidr or '')) -> "
                          "switch($.data.gw != null and $.data.gw != '' => "
                          "$.data.gw, $c.indexOf('.') > 0 => "
                          "$c.split('/')[0].split('.').take(3).join('.')"
                          " + '.1', true => null)",
            'data': {'cidr': param('cidr'), 'gw': param('gateway_ip')}}},
    },
    'OS::Neutron::Router': {
        'status': 'ACTIVE',
        'external_gateway_info': {
            'network_id': {'yaql': {
                'expression': "($.data.info or {}).get('network', "
                              "($.data.info or {}).get('network_id'))",
                'data': {'info': param('external_gateway_info')}}},
            'enable_snat': True,
            'external_fixed_ips': [{'ip_address': address('203.0.113.')}],
        },
    },
    'OS::Neutron::Port': {
        'status': 'ACTIVE',
        'network_id': either('network', 'network_id'),
        'network': {'id': either('network', 'network_id')},
        'mac_address': {'if': [{'equals': [param('mac_address'), '']},
                               _mac(), param('mac_address')]},
        'fixed_ips': [{
            'ip_address': {'yaql': {
                'expression': '$.data.given or $.data.made_up',
                'data': {'given': member_value('fixed_ips', 'ip_address'),
                         'made_up': private_address()}}},
            'subnet_id': member_value('fixed_ips', 'subnet', 'subnet_id'),
        }],
        'subnets': [], 'dns_assignment': {},
    },
    'OS::Neutron::FloatingIP': {
        'floating_ip_address': address('203.0.113.', 'floating_ip_address'),
        'floating_network_id': either('floating_network',
                                      'floating_network_id'),
        'router_id': None,
    },
    'OS::Octavia::LoadBalancer': {
        'vip_address': address('198.51.100.', 'vip_address'),
        'vip_port_id': STACK_ID,
        'vip_subnet_id': param('vip_subnet'),
        'flavor_id': either('flavor'),
        'pools': [],
    },
    'OS::Octavia::Listener': {
        'default_pool_id': either('default_pool'),
        'loadbalancers': ref_list('loadbalancer'),
    },
    'OS::Octavia::Pool': {
        'healthmonitor_id': None, 'members': [],
        'listeners': param('listener'),
    },
    'OS::Octavia::HealthMonitor': {'pools': ref_list('pool')},
    'OS::Cinder::Volume': {
        'status': 'available', 'attachments': '[]', 'attachments_list': [],
        'availability_zone': {'if': [
            {'equals': [param('availability_zone'), '']}, 'nova',
            param('availability_zone')]},
        'bootable': {'if': [{'equals': [param('image'), '']}, 'false',
                            'true']},
        'created_at': None,
        'display_name': param('name'),
        'display_description': param('description'),
        'encrypted': 'false',
        'metadata': {'str_replace': {
            'template': 'META', 'params': {'META': param('metadata')}}},
        'metadata_values': param('metadata'),
    },
}


def _schemas():
    """{type: class} of the installed Heat's resource types."""
    warnings.simplefilter('ignore')
    from heat.engine import plugin_manager
    import heat.engine.resources  # noqa: F401 (the package to search)
    manager = plugin_manager.PluginManager('heat.engine.resources')
    mapping = plugin_manager.PluginMapping(['available_resource',
                                            'resource'])
    return dict(mapping.load_all(manager))


def _parameter(schema):
    from heat.engine import properties
    kinds = {
        properties.Schema.STRING: ('string', ''),
        properties.Schema.INTEGER: ('number', 0),
        properties.Schema.NUMBER: ('number', 0),
        properties.Schema.BOOLEAN: ('boolean', False),
        properties.Schema.LIST: ('comma_delimited_list', []),
        properties.Schema.MAP: ('json', {}),
    }
    kind, empty = kinds[schema.type]
    definition = {'type': kind}
    if not schema.required:
        # Without a default a parameter is required, and the facade check
        # refuses a provider that requires what the real type does not.
        default = schema.default
        definition['default'] = empty if default is None else default
    return definition


def _fallback(name, schema, parameters):
    from heat.engine import attributes
    if name == 'tenant_id':
        return PROJECT_ID
    if name == 'name':
        return {'if': [{'equals': [param('name'), '']},
                       param('OS::stack_name'), param('name')]}
    if name in parameters:
        return param(name)
    return {attributes.Schema.LIST: [],
            attributes.Schema.MAP: {},
            attributes.Schema.BOOLEAN: False}.get(schema.type)


def provider(type_name, cls):
    """The provider template (a dict) standing in for type_name."""
    from heat.engine import attributes
    from heat.engine import properties
    schemata = properties.schemata(cls.properties_schema)
    parameters = {name: _parameter(schema)
                  for name, schema in sorted(schemata.items())
                  if schema.implemented}
    parameters.update(EXTRA_PARAMETERS)
    outputs = {'OS::stack_id': {'value': STACK_ID}}
    special = SPECIAL.get(type_name, {})
    for name, schema in sorted(attributes.schemata(
            cls.attributes_schema).items()):
        value = special.get(name, _fallback(name, schema, parameters))
        outputs[name] = {'value': value}
    show = {'id': STACK_ID, 'status': special.get('status', 'ACTIVE')}
    for name in schemata:
        if name in parameters:
            show[name] = param(name)
    outputs['show'] = {'value': show}
    for name in getattr(cls, 'base_attributes_schema', {}):
        outputs.setdefault(name, {'value': None})
    return {
        'heat_template_version': HOT_VERSION,
        'description': (
            'TEST FIXTURE of the cloud-in-a-box: stands in for %s on a '
            'test cloud without that service. Generated by '
            'tools/cloud-in-a-box/standins/make_standins.py from the '
            'installed Heat\'s schema; its values are made up and nothing '
            'is built.' % type_name),
        'parameters': parameters,
        'resources': {
            # The one leaf: Heat's own test resource (it can wait, fail).
            'standin': {
                'type': 'OS::Heat::TestResource',
                'properties': {
                    'value': type_name,
                    'wait_secs': param('standin_create_seconds'),
                    'fail': param('standin_fail'),
                },
            },
        },
        'outputs': outputs,
    }


HEADER = """\
# TEST FIXTURE of the cloud-in-a-box, written by
# tools/cloud-in-a-box/standins/make_standins.py at "cloud-in-a-box.sh up":
# Heat's global environment of the test cloud. It replaces the real
# resource types below for EVERY stack of this engine (OS::Nova::Server by
# the container-backed plugin, the others by provider templates): never put
# it in a real Heat.
"""


def environment(provider_dir):
    registry = {SERVER_TYPE: SERVER_PLUGIN_TYPE}
    for type_name, filename in sorted(PROVIDERS.items()):
        registry[type_name] = 'file://%s' % os.path.join(
            os.path.abspath(provider_dir), filename)
    return registry


class _Dumper(yaml.SafeDumper):
    """Plain YAML for people to read: no anchors and aliases."""

    def ignore_aliases(self, data):
        return True


def _write(path, header, content):
    text = header + yaml.dump(content, Dumper=_Dumper,
                              default_flow_style=False, sort_keys=False,
                              width=78)
    temporary = path + '.tmp'
    with open(temporary, 'w') as handle:
        handle.write(text)
    os.replace(temporary, path)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: %s PROVIDER_DIR ENVIRONMENT_FILE\n'
                         % argv[0])
        return 2
    provider_dir, environment_file = argv[1], argv[2]
    os.makedirs(provider_dir, exist_ok=True)
    classes = _schemas()
    missing = sorted(set(PROVIDERS) - set(classes))
    if missing:
        sys.stderr.write('this Heat has no %s\n' % ', '.join(missing))
        return 1
    for type_name, filename in sorted(PROVIDERS.items()):
        _write(os.path.join(provider_dir, filename),
               '# TEST FIXTURE: stands in for %s (see the description).\n'
               % type_name, provider(type_name, classes[type_name]))
    _write(environment_file, HEADER,
           {'resource_registry': environment(provider_dir)})
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
