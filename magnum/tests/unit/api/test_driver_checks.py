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

"""A driver whose validation needs the conductor's host is validated by
a conductor (an RPC call), never in the API process
(api/controllers/v1/driver_checks.py)."""

import pytest

from magnum.common import exception
from magnum.tests import fake_driver
from magnum.tests.unit.api.conftest import error_of
from magnum.tests.unit.api.test_cluster import _create as create_cluster
from magnum.tests.unit.api.test_cluster import template as _template
from magnum.tests.unit.api.test_cluster_template import K8S
from magnum.tests.unit.api.test_cluster_template import _create

template = _template  # the fixture of test_cluster


@pytest.fixture
def on_conductor(monkeypatch):
    """The fake driver says its checks need the conductor's host, and
    counts where they ran."""
    ran = []
    real = fake_driver.FakeDriver.validate_cluster_template

    def validate_cluster_template(self, context, values):
        import traceback
        ran.append([frame.name for frame in traceback.extract_stack()])
        return real(self, context, values)

    monkeypatch.setattr(fake_driver.FakeDriver, 'validates_on_conductor',
                        True, raising=False)
    monkeypatch.setattr(fake_driver.FakeDriver, 'validate_cluster_template',
                        validate_cluster_template)
    return ran


def test_the_template_check_is_a_call_to_the_conductor(api, rpc,
                                                       on_conductor):
    response = _create(api)
    assert 'validate_cluster_template' in rpc.methods()
    # The values the driver derived (the conductor's answer) are stored.
    assert response.json['cluster_distro'] == 'fedora-coreos'
    # The driver ran only in the conductor's handler.
    assert on_conductor and all(
        'validate_cluster_template' in stack and
        'record' in stack for stack in on_conductor)


def test_the_drivers_refusal_reaches_the_caller_as_it_is(api, rpc,
                                                         on_conductor):
    response = _create(api, dict(K8S, image_id='missing'), status=400)
    assert 'missing' in error_of(response)['detail']


def test_no_conductor_is_a_503(api, rpc, on_conductor):
    rpc.results['validate_cluster_template'] = \
        exception.ConductorUnavailable(timeout=5)
    _create(api, status=503)


def test_a_local_driver_cluster_is_checked_by_the_conductor(
        api, rpc, template, monkeypatch):
    monkeypatch.setattr(fake_driver.FakeDriver, 'validates_on_conductor',
                        True, raising=False)
    create_cluster(api, template)
    assert 'validate_cluster' in rpc.methods()


def test_other_drivers_are_checked_in_the_api(api, rpc, template):
    _create(api)
    create_cluster(api, template)
    assert 'validate_cluster_template' not in rpc.methods()
    assert 'validate_cluster' not in rpc.methods()
