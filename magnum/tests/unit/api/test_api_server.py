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

"""magnum-api's server caps glibc's malloc arenas before it forks its
workers, unless the operator chose a number."""

import sys
import types

import pytest

from magnum.api import unused_imports

_ABSENT = [name for name in unused_imports.UNUSED + unused_imports.ON_DEMAND
           if name not in sys.modules]
from magnum.cmd import api as api_cmd  # noqa: E402

# Importing the entry point refuses these packages; the rest of the test
# run may still import them.
for _name in _ABSENT:
    unused_imports.admit(_name)


class FakeLibc:
    def __init__(self, answer=1):
        self.calls = []
        self.answer = answer

        def mallopt(param, value):
            self.calls.append((param, value))
            return self.answer
        self.mallopt = mallopt


@pytest.fixture
def libc(monkeypatch):
    fake = FakeLibc()
    monkeypatch.delenv('MALLOC_ARENA_MAX', raising=False)
    monkeypatch.setattr(api_cmd, 'ctypes', types.SimpleNamespace(
        CDLL=lambda name: fake, c_int=int))
    return fake


def test_arenas_are_capped_with_mallopt(libc):
    assert api_cmd.limit_malloc_arenas() is True
    # M_ARENA_MAX, glibc's parameter number.
    assert libc.calls == [(-8, api_cmd.MALLOC_ARENAS)]


def test_an_operators_malloc_arena_max_is_left_alone(libc, monkeypatch):
    monkeypatch.setenv('MALLOC_ARENA_MAX', '8')
    assert api_cmd.limit_malloc_arenas() is False
    assert libc.calls == []


def test_a_c_library_without_mallopt_is_left_alone(monkeypatch):
    monkeypatch.delenv('MALLOC_ARENA_MAX', raising=False)
    monkeypatch.setattr(api_cmd, 'ctypes', types.SimpleNamespace(
        CDLL=lambda name: object(), c_int=int))
    assert api_cmd.limit_malloc_arenas() is False


def test_a_refused_setting_is_reported(libc):
    libc.answer = 0
    assert api_cmd.limit_malloc_arenas() is False
