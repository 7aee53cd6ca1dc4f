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

"""After Heat completes a cluster's stack, the cluster waits for its
driver to see it ready for at most [heat_driver] ready_timeout, counted
from this operation's completion (StackReady's last transition), then
fails naming what was still missing."""

import datetime
import types

from oslo_utils import timeutils
import pytest

from magnum.common import conditions
from magnum.drivers.heat import stacks
from magnum.drivers.heat import status
from magnum.objects import fields

STATUS = fields.ClusterStatus
WAITING = 'The Kubernetes API at https://10.0.0.10:6443 does not answer: ' \
    'cannot connect: [Errno 111] Connection refused'


class Driver:
    def __init__(self, ready=(False, WAITING)):
        self.ready = ready
        self.calls = []

    def set_condition(self, cluster, condition_type, ok, reason, message):
        return conditions.set_condition(
            cluster, condition_type,
            conditions.TRUE if ok else conditions.FALSE, reason, message)

    def record_outputs(self, context, cluster, stack):
        pass

    def observe_ready(self, context, cluster):
        return self.ready

    def complete(self, context, cluster, reason=None):
        self.calls.append(('complete', reason))

    def fail(self, context, cluster, reason):
        self.calls.append(('fail', reason))


def make_cluster(**extra):
    values = dict(uuid='33333333-3333-3333-3333-333333333333', name='c1',
                  stack_id='s1', status=STATUS.CREATE_IN_PROGRESS,
                  status_reason=None, conditions=[])
    values.update(extra)
    made = types.SimpleNamespace(**values)
    made.save = lambda: None
    return made


@pytest.fixture
def heat(monkeypatch):
    stack = {'stack_status': 'CREATE_COMPLETE', 'stack_status_reason': '',
             'outputs': [], 'creation_time': '2026-12-06T06:00:00Z',
             'updated_time': None}
    monkeypatch.setattr(stacks, 'client_for', lambda c, ctx: 'heat')
    monkeypatch.setattr(stacks, 'get', lambda heat, stack_id:
                        types.SimpleNamespace(**stack))
    monkeypatch.setattr(status.objects.NodeGroup, 'list',
                        lambda ctx, uuid: [])
    return stack


def age(cluster, seconds):
    """Move StackReady's transition ``seconds`` into the past."""
    condition = conditions.get(cluster, status.STACK_READY)
    moment = timeutils.utcnow() - datetime.timedelta(seconds=seconds)
    condition['last_transition_time'] = moment.replace(
        microsecond=0).isoformat() + '+00:00'


def test_waits_with_the_drivers_reason_until_the_deadline(heat,
                                                          magnum_config):
    magnum_config.config(group='heat_driver', ready_timeout=600)
    cluster = make_cluster()
    driver = Driver()
    status.observe(driver, None, cluster)
    assert driver.calls == []
    assert cluster.status_reason == WAITING
    age(cluster, 599)
    status.observe(driver, None, cluster)
    assert driver.calls == []
    age(cluster, 660)
    status.observe(driver, None, cluster)
    assert driver.calls == [('fail', (
        'Not ready 11 minutes after its stack completed ([heat_driver] '
        'ready_timeout is 600 s): %s. The nodes\' console logs say how '
        'far they booted.') % WAITING)]


def test_ready_in_time_completes(heat):
    cluster = make_cluster()
    driver = Driver(ready=(True, None))
    status.observe(driver, None, cluster)
    assert driver.calls == [('complete', None)]


def test_an_update_heat_ran_between_two_looks_waits_afresh(heat,
                                                           magnum_config):
    # The create's stack completed long ago; an update Heat started and
    # completed between two periods (never seen in progress) is a new
    # completion: its wait starts now.
    magnum_config.config(group='heat_driver', ready_timeout=600)
    cluster = make_cluster()
    status.observe(Driver(ready=(True, None)), None, cluster)
    age(cluster, 86400)
    cluster.status = STATUS.UPDATE_IN_PROGRESS
    heat.update(stack_status='UPDATE_COMPLETE',
                updated_time='2026-12-07T10:00:00Z')
    driver = Driver()
    status.observe(driver, None, cluster)
    assert driver.calls == []
    assert cluster.status_reason == WAITING
    condition = conditions.get(cluster, status.STACK_READY)
    assert condition['status'] == conditions.TRUE
    assert 'its update began at 2026-12-07T10:00:00Z' in \
        condition['message']
    # The same completion seen again keeps its time: the deadline holds.
    age(cluster, 700)
    status.observe(driver, None, cluster)
    assert driver.calls[0][0] == 'fail'


def test_a_stack_seen_in_progress_then_complete_starts_the_clock(
        heat, magnum_config):
    magnum_config.config(group='heat_driver', ready_timeout=600)
    cluster = make_cluster(status=STATUS.UPDATE_IN_PROGRESS)
    heat.update(stack_status='UPDATE_COMPLETE',
                updated_time='2026-12-06T07:00:00Z')
    status.observe(Driver(ready=(True, None)), None, cluster)
    age(cluster, 86400)
    heat.update(stack_status='UPDATE_IN_PROGRESS',
                updated_time='2026-12-07T10:00:00Z')
    status.observe(Driver(), None, cluster)
    assert conditions.get(cluster, status.STACK_READY)['status'] == \
        conditions.FALSE
    heat.update(stack_status='UPDATE_COMPLETE')
    driver = Driver()
    status.observe(driver, None, cluster)
    assert driver.calls == []
    assert cluster.status_reason == WAITING
