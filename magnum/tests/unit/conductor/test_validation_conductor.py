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

"""A driver's validation run by the conductor for the API
(handlers/validation_conductor.py): the driver's own hooks, answers of
checks that passed remembered briefly, refusals never."""

import types

import pytest

from magnum.common import exception
from magnum.conductor import service
from magnum.conductor.handlers import validation_conductor
from magnum.drivers.common import driver as driver_base


class CountingDriver:
    name = 'counting'
    image_present = True

    def __init__(self):
        self.calls = []

    def validate_cluster_template(self, context, values):
        self.calls.append(('template', values.get('image_id')))
        if not self.image_present:
            raise exception.ImageNotFound(image_id=values.get('image_id'))
        values['cluster_distro'] = 'debian'

    def validate_cluster(self, context, values, template):
        self.calls.append(('cluster', template.image_id))
        if not self.image_present:
            raise exception.ImageNotFound(image_id=template.image_id)


@pytest.fixture
def driver(monkeypatch):
    made = CountingDriver()
    registry = types.SimpleNamespace(
        resolve=lambda name: made if name == 'counting' else
        pytest.fail('resolved %s' % name))
    monkeypatch.setattr(driver_base, 'registry', lambda: registry)
    validation_conductor.passed.clear()
    return made


def context(project='p-1'):
    return types.SimpleNamespace(project_id=project, is_admin=False)


TEMPLATE = types.SimpleNamespace(uuid='t-1', image_id='img:1')


def test_the_template_values_come_back_as_the_driver_completed_them(
        driver):
    handler = validation_conductor.ValidationHandler()
    values = {'image_id': 'img:1'}
    answer = handler.validate_cluster_template(context(), 'counting', values)
    assert answer == {'image_id': 'img:1', 'cluster_distro': 'debian'}
    assert values == {'image_id': 'img:1'}


def test_a_check_that_passed_is_remembered_per_project(driver):
    handler = validation_conductor.ValidationHandler()
    for _ in range(3):
        handler.validate_cluster(context(), 'counting', {'labels': {}},
                                 TEMPLATE)
    assert driver.calls == [('cluster', 'img:1')]
    # Another project is checked on its own (the driver may refuse it).
    handler.validate_cluster(context('p-2'), 'counting', {'labels': {}},
                             TEMPLATE)
    assert len(driver.calls) == 2


def test_a_refusal_is_never_remembered(driver):
    handler = validation_conductor.ValidationHandler()
    driver.image_present = False
    with pytest.raises(exception.ImageNotFound):
        handler.validate_cluster_template(context(), 'counting',
                                          {'image_id': 'img:1'})
    driver.image_present = True
    handler.validate_cluster_template(context(), 'counting',
                                      {'image_id': 'img:1'})
    assert len(driver.calls) == 2


def test_answers_expire(driver, monkeypatch):
    handler = validation_conductor.ValidationHandler()
    handler.validate_cluster(context(), 'counting', {}, TEMPLATE)
    now = validation_conductor.time.monotonic()
    monkeypatch.setattr(validation_conductor.time, 'monotonic',
                        lambda: now + validation_conductor.VALID_SECONDS + 1)
    handler.validate_cluster(context(), 'counting', {}, TEMPLATE)
    assert len(driver.calls) == 2


def test_the_conductor_serves_it():
    handlers = service.endpoints('host-1')
    assert any(isinstance(h, validation_conductor.ValidationHandler)
               for h in handlers)
