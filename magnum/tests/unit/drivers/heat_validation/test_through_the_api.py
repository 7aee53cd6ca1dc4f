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

"""The look-ups' refusals as magnum-api answers them: POST
/v1/clustertemplates and /v1/clusters with a driver that validates the
way the Heat drivers do (the cloud: cloud_fake's stand-in)."""

import pytest
import requests
import requests_mock
import webtest

from magnum.api import app
from magnum.api import hooks
from magnum.common import keystone  # noqa: F401 (registers the options)
from magnum.drivers.common import driver as driver_base
from magnum.drivers.heat import validation
from magnum.tests import fake_driver
from magnum.tests.unit.api import conftest as api_fixtures
from magnum.tests.unit.drivers.heat_validation import cloud_fake


class ValidatingDriver(fake_driver.FakeDriver):
    """The fake driver, validating through the Heat drivers' module."""

    def validate_cluster_template(self, context, template):
        template.update(validation.validate_template(context, template))

    def validate_cluster(self, context, cluster, template):
        validation.validate_cluster(context, cluster, template)


@pytest.fixture
def cloud(magnum_config):
    validation.clear_cache()
    with requests_mock.Mocker(case_sensitive=True) as mocker:
        cloud = cloud_fake.FakeCloud(mocker)
        cloud.add_image('fedora-coreos-40', 'fedora-coreos')
        cloud.add_image('plain', None)
        cloud.add_flavor('m1.small')
        cloud.add_network('public', external=True)
        cloud.add_network('private')
        cloud.add_keypair('user-a', 'user-a-key')
        yield cloud
    validation.clear_cache()


@pytest.fixture
def api(dbapi, cloud, monkeypatch, magnum_config):
    # The Keystone the caller's token comes from (the unit tests'
    # magnum-api runs under noauth, which leaves the context's auth_url
    # unset).
    magnum_config.config(group='keystone_authtoken',
                         www_authenticate_uri=cloud_fake.KEYSTONE)
    registry = driver_base.DriverRegistry({'heatish': ValidatingDriver})
    previous = driver_base.set_registry(registry)
    monkeypatch.setattr(hooks.RPCHook, 'before', lambda self, state: setattr(
        state.request, 'rpcapi', api_fixtures.RecordingConductorAPI()))
    yield api_fixtures.APIClient(webtest.TestApp(app.setup_app()))
    driver_base.set_registry(previous)


def _post(api, cloud, path, body, status):
    # The token and its data as keystonemiddleware would hand them over.
    context = cloud.context('user-a', api_fixtures.PROJECT_A)
    return api.post(path, body, status=status,
                    headers={'X-Auth-Token': context.auth_token},
                    extra_environ={'keystone.token_info':
                                   context.auth_token_info})


def _template(**changes):
    body = {'coe': 'kubernetes', 'image_id': 'fedora-coreos-40',
            'flavor_id': 'm1.small', 'external_network_id': 'public',
            'keypair_id': 'user-a-key'}
    body.update(changes)
    return body


def test_template_takes_its_distro_from_the_image(api, cloud):
    response = _post(api, cloud, '/clustertemplates', _template(), 201)
    assert response.json['cluster_distro'] == 'fedora-coreos'


@pytest.mark.parametrize('change, status, words', [
    ({'image_id': 'nope'}, 400, "image_id 'nope'"),
    ({'image_id': 'plain'}, 400, 'os_distro'),
    ({'flavor_id': 'm1.huge'}, 400, "flavor_id 'm1.huge'"),
    ({'external_network_id': 'private'}, 400, 'router:external'),
    ({'fixed_network': 'nonet'}, 400, "fixed_network 'nonet'"),
])
def test_template_refusals(api, cloud, change, status, words):
    response = _post(api, cloud, '/clustertemplates', _template(**change),
                     status)
    error = api_fixtures.error_of(response)
    assert words in error['detail']


def test_duplicate_image_name_is_a_409(api, cloud):
    cloud.add_image('fedora-coreos-40', 'fedora-coreos')
    error = api_fixtures.error_of(
        _post(api, cloud, '/clustertemplates', _template(), 409))
    assert '2 Glance images' in error['detail']


def test_unreachable_cloud_is_a_503_without_urls(api, cloud):
    cloud.mocker.get(
        'http://glance.test:9292/v2/images?name=fedora-coreos-40',
        exc=requests.exceptions.ConnectionError('glance.test:9292 refused'))
    response = _post(api, cloud, '/clustertemplates', _template(), 503)
    assert 'Glance is unavailable' in response.text
    assert 'glance.test' not in response.text


def test_cluster_with_an_unknown_keypair_is_a_404(api, cloud):
    template = _post(api, cloud, '/clustertemplates', _template(),
                     201).json
    body = {'cluster_template_id': template['uuid'], 'keypair': 'nokey'}
    error = api_fixtures.error_of(_post(api, cloud, '/clusters', body, 404))
    assert "keypair 'nokey'" in error['detail']
    body['keypair'] = 'user-a-key'
    _post(api, cloud, '/clusters', body, 202)
