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

"""magnum-api's entry points keep eventlet and pygments out of the
process, and everything the API needs still imports and works without
them."""

import subprocess
import sys

from magnum.api import unused_imports

PROBE = '''
import sys
import magnum.cmd.api
import magnum.api.app
import oslo_messaging
import futurist
from magnum.api import unused_imports
from magnum.common import rpc
assert unused_imports.refused() == ['eventlet', 'pygments'], \\
    unused_imports.refused()
try:
    import eventlet  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError('eventlet imported')
import mako.exceptions
print('ok')
'''


def test_api_process_runs_without_eventlet_and_pygments():
    # A process of its own: the test process has imported both already.
    result = subprocess.run([sys.executable, '-c', PROBE],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


def test_already_imported_packages_are_left_alone(monkeypatch):
    monkeypatch.setattr(unused_imports, 'UNUSED', ('json',))
    unused_imports.refuse_unused()
    assert sys.modules['json'] is not None
    assert unused_imports.refused() == []


def test_refused_package_import_fails(monkeypatch):
    monkeypatch.delitem(sys.modules, 'magnum_no_such_package',
                        raising=False)
    monkeypatch.setattr(unused_imports, 'UNUSED',
                        ('magnum_no_such_package',))
    unused_imports.refuse_unused()
    try:
        assert unused_imports.refused() == ['magnum_no_such_package']
        try:
            import magnum_no_such_package  # noqa: F401
        except ImportError:
            pass
        else:
            raise AssertionError('refused package imported')
    finally:
        del sys.modules['magnum_no_such_package']
