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

"""The layering rule of doc/source/contributor/index.rst, checked on the
source: the conductor calls drivers and drivers call down, never up; the
shared layers (common, objects, db) import neither the API, the conductor
nor a driver.

Imports are read from the syntax tree, so an import inside a function (the
kind that hid the old upward dependencies) counts as much as one at the top.
"""

import ast
import os

import pytest

PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# package -> the magnum packages it must never import.
FORBIDDEN = {
    'magnum.drivers': ('magnum.conductor', 'magnum.api', 'magnum.cmd'),
    'magnum.common': ('magnum.conductor', 'magnum.api', 'magnum.drivers',
                      'magnum.cmd'),
    'magnum.objects': ('magnum.conductor', 'magnum.api', 'magnum.drivers',
                       'magnum.cmd'),
    'magnum.db': ('magnum.conductor', 'magnum.api', 'magnum.drivers',
                  'magnum.objects', 'magnum.cmd'),
    'magnum.conductor': ('magnum.api', 'magnum.cmd'),
    'magnum.api': ('magnum.conductor.handlers', 'magnum.cmd'),
}


def _modules(package):
    root = os.path.join(os.path.dirname(PACKAGE),
                        *package.split('.'))
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, os.path.dirname(PACKAGE)), path


def _imports(path):
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, '%s.%s' % (node.module, alias.name)


def _violations(package, forbidden):
    found = []
    for relpath, path in _modules(package):
        for lineno, name in _imports(path):
            if any(name == bad or name.startswith(bad + '.')
                   for bad in forbidden):
                found.append('%s:%d imports %s' % (relpath, lineno, name))
    return sorted(set(found))


@pytest.mark.parametrize('package', sorted(FORBIDDEN))
def test_no_module_imports_a_layer_above_it(package):
    assert _violations(package, FORBIDDEN[package]) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / 'sample.py'
    module.write_text('def f():\n    from magnum.conductor import locks\n')
    assert ('magnum.conductor.locks' in
            [name for _line, name in _imports(str(module))])
