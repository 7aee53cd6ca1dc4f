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
workers, unless the operator chose a number, and its workers give the
free pages of their C heap back to the kernel."""

import types

import pytest

from magnum.cmd import api as api_cmd
from magnum.cmd import balanced_worker
from magnum.common import heap


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
    monkeypatch.setattr(heap, 'ctypes', types.SimpleNamespace(
        CDLL=lambda name: fake, c_int=int))
    return fake


def test_arenas_are_capped_with_mallopt(libc):
    assert heap.limit_malloc_arenas() is True
    # M_ARENA_MAX, glibc's parameter number.
    assert libc.calls == [(-8, heap.MALLOC_ARENAS)]


def test_an_operators_malloc_arena_max_is_left_alone(libc, monkeypatch):
    monkeypatch.setenv('MALLOC_ARENA_MAX', '8')
    assert heap.limit_malloc_arenas() is False
    assert libc.calls == []


def test_a_c_library_without_mallopt_is_left_alone(monkeypatch):
    monkeypatch.delenv('MALLOC_ARENA_MAX', raising=False)
    monkeypatch.setattr(heap, 'ctypes', types.SimpleNamespace(
        CDLL=lambda name: object(), c_int=int))
    assert heap.limit_malloc_arenas() is False


def test_a_refused_setting_is_reported(libc):
    libc.answer = 0
    assert heap.limit_malloc_arenas() is False


class FakeTrimLibc:
    """malloc_trim that records its calls and says it released memory."""

    def __init__(self):
        self.calls = []

        def malloc_trim(pad):
            self.calls.append(pad)
            return 1
        self.malloc_trim = malloc_trim


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_requests_trim_the_heap_at_most_once_per_interval():
    libc, clock = FakeTrimLibc(), Clock()
    trimmer = api_cmd.HeapTrimmer(interval=10, libc=libc, clock=clock)
    assert trimmer(None, None, {}, None) is False     # just started
    clock.now += 10
    assert trimmer(None, None, {}, None) is True
    clock.now += 9.5
    assert trimmer(None, None, {}, None) is False
    clock.now += 0.5
    assert trimmer(None, None, {}, None) is True
    assert libc.calls == [0, 0]


def test_a_trim_under_way_in_another_thread_is_not_repeated():
    libc, clock = FakeTrimLibc(), Clock()
    trimmer = api_cmd.HeapTrimmer(interval=10, libc=libc, clock=clock)
    clock.now += 10
    with trimmer._lock:
        assert trimmer(None, None, {}, None) is False
    assert libc.calls == []


def test_a_c_library_without_malloc_trim_is_left_alone():
    trimmer = api_cmd.HeapTrimmer(libc=object(), clock=Clock())
    assert trimmer.trim() is False
    assert trimmer(None, None, {}, None) is False


def test_gunicorn_accepts_the_trimmer_as_its_hooks():
    from gunicorn import config
    settings = config.Config()
    options = api_cmd.server_options()
    settings.set('post_request', options['post_request'])
    settings.set('post_worker_init', options['post_worker_init'])
    assert settings.post_request is options['post_request']
    assert settings.post_worker_init == options['post_worker_init']


def test_the_real_c_library_gives_freed_pages_back():
    # glibc (the C library of the machines Magnum runs on) has malloc_trim:
    # every other page-sized block freed leaves whole free pages below the
    # top of the heap, which only a trim returns.
    trimmer = api_cmd.HeapTrimmer()
    blocks = [bytearray(8192) for _ in range(2000)]
    del blocks[::2]
    assert trimmer.trim() is True


class FakeGC:
    def __init__(self):
        self.calls = []

    def collect(self):
        self.calls.append('collect')

    def freeze(self):
        self.calls.append('freeze')


def test_a_started_worker_warms_up_freezes_its_start_up_and_trims(
        monkeypatch):
    calls = []
    fake_gc = FakeGC()
    monkeypatch.setattr(api_cmd, 'gc', fake_gc)
    monkeypatch.setattr(api_cmd.app, 'warm_up',
                        lambda: calls.append('warm up'))
    libc = FakeTrimLibc()
    trimmer = api_cmd.HeapTrimmer(libc=libc, clock=Clock())
    api_cmd.worker_started(trimmer)(worker=None)
    assert calls == ['warm up']
    # Garbage first, so that no cycle of start-up is frozen for good.
    assert fake_gc.calls == ['collect', 'freeze']
    assert libc.calls == [0]


def test_the_application_warms_up_its_database(dbapi, monkeypatch):
    warmed = []
    monkeypatch.setattr(dbapi, 'warm_up', lambda: warmed.append(dbapi))
    assert api_cmd.app.warm_up() is True
    assert warmed == [dbapi]


def test_an_unreachable_database_at_start_up_is_only_logged(caplog):
    from magnum.db import api as db_api

    class Unreachable:
        def warm_up(self):
            raise OSError('connection refused')
    previous = db_api.set_instance(Unreachable())
    try:
        assert api_cmd.app.warm_up() is False
    finally:
        db_api.set_instance(previous)
    assert 'Could not reach the database while starting: connection ' \
        'refused' in caplog.text


def test_magnum_api_runs_gunicorns_threaded_worker_by_default():
    options = api_cmd.server_options()
    assert options['worker_class'] == 'gthread'
    # Every option is a setting gunicorn itself knows.
    from gunicorn import config
    settings = config.Config()
    for key, value in options.items():
        settings.set(key, value)
    assert settings.worker_class_str == 'gthread'
    assert settings.control_socket_disable is True


def test_balanced_workers_are_an_opt_in(magnum_config):
    magnum_config.config(group='api', balanced_workers=True)
    worker = api_cmd.server_options()['worker_class']
    # The gunicorn of upper-constraints.txt is the one it was tested with.
    assert worker is balanced_worker.BalancedThreadWorker
    assert worker.counts is not None


def test_worker_threads_come_from_the_configuration(magnum_config):
    assert api_cmd.server_options()['threads'] == 2
    magnum_config.config(group='api', threads=6)
    assert api_cmd.server_options()['threads'] == 6
