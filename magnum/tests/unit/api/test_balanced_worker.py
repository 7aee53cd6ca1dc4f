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

"""The opt-in balanced gunicorn worker: chosen only when asked for and
only with the gunicorn releases it was tested with; the connection
counts its workers share."""

import os
import subprocess

import gunicorn
import pytest

from magnum.cmd import balanced_worker


@pytest.mark.parametrize('version, tested', [
    ((27, 0, 0), True), ((27, 0, 1), True), ((27, 0, 9), True),
    ((26, 9, 9), False), ((27, 1, 0), False), ((28, 0, 0), False),
    ((25, 1, 0), False)])
def test_tested_releases(version, tested):
    assert balanced_worker.tested(version) is tested


def test_the_installed_gunicorn_is_within_the_tested_range():
    # upper-constraints.txt pins the gunicorn CI runs; requirements.txt
    # bounds it to the tested releases.
    assert balanced_worker.tested(gunicorn.version_info)
    assert balanced_worker.tested()


def test_not_asked_for_means_gunicorns_own_worker():
    assert balanced_worker.worker_class(False, 2) == 'gthread'


def test_asked_for_on_a_tested_gunicorn(monkeypatch):
    monkeypatch.setattr(balanced_worker.BalancedThreadWorker, 'counts',
                        None)
    worker = balanced_worker.worker_class(True, 3, version_info=(27, 0, 1))
    assert worker is balanced_worker.BalancedThreadWorker
    assert issubclass(worker, balanced_worker.gthread.ThreadWorker)
    # One slot per worker, made before gunicorn forks them.
    assert len(worker.counts._pids) == 3


def test_an_untested_gunicorn_gets_its_own_worker_and_a_warning(
        monkeypatch, caplog):
    monkeypatch.setattr(balanced_worker.BalancedThreadWorker, 'counts',
                        None)
    assert balanced_worker.worker_class(
        True, 2, version_info=(28, 0, 0)) == 'gthread'
    assert balanced_worker.BalancedThreadWorker.counts is None
    assert 'tested with gunicorn 27.0.x only and gunicorn 28.0.0 is ' \
        'installed' in caplog.text


def _a_dead_pid():
    process = subprocess.Popen(['true'])
    process.wait()
    return process.pid


def test_connection_counts_tell_whether_another_worker_holds_fewer():
    counts = balanced_worker.ConnectionCounts(2)
    mine = counts.claim(os.getpid())
    other = counts.claim(os.getppid())
    assert {mine, other} == {0, 1}
    assert counts.claim(1) is None  # every slot is held by a live process
    counts.publish(mine, 2)
    counts.publish(other, 1)
    assert counts.fewer_elsewhere(mine, 2) is True
    assert counts.fewer_elsewhere(other, 1) is False
    counts.publish(other, 2)
    assert counts.fewer_elsewhere(mine, 2) is False


def test_a_gone_workers_slot_is_taken_over_and_not_counted():
    counts = balanced_worker.ConnectionCounts(2)
    mine = counts.claim(os.getpid())
    gone = counts.claim(_a_dead_pid())
    counts.publish(mine, 3)
    # A dead worker's zero does not make the live ones wait.
    assert counts.fewer_elsewhere(mine, 3) is False
    assert counts.claim(os.getppid()) == gone
