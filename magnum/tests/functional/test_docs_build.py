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

"""The documentation, the API reference and the release notes build with
warnings as errors, as ``tox -e docs``, ``api-ref`` and ``releasenotes``
build them.

Run here so that CI builds them in the same pytest run as every other
test (one command, one summary). The builds write into a temporary
directory, never into the tree. Sphinx and its extensions come from
doc/requirements.txt, which tools/run-tests.sh installs; the release
notes need the git repository (reno reads the notes from it).
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))


@pytest.mark.parametrize('source', ['doc/source', 'api-ref/source',
                                    'releasenotes/source'])
def test_builds_without_warnings(source, tmp_path):
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q',
         '-b', 'html', '-d', str(tmp_path / 'doctrees'), source,
         str(tmp_path / 'html')],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert result.returncode == 0, (
        'sphinx-build %s failed (exit %s):\n%s' % (
            source, result.returncode, result.stderr[-4000:]))
    assert (tmp_path / 'html' / 'index.html').is_file()
