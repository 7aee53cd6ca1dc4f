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

"""The Heat drivers' look-ups before anything is built, against the
documented answers of Nova, Glance and Neutron (cloud_fake: a stand-in,
requests-mock, no network)."""

import pytest
import requests
import requests_mock

from magnum.common import clients
from magnum.common import exception
from magnum.drivers.heat import validation
from magnum.tests.unit.drivers.heat_validation import cloud_fake


@pytest.fixture
def cloud(magnum_config):
    validation.clear_cache()
    with requests_mock.Mocker(case_sensitive=True) as mocker:
        yield cloud_fake.FakeCloud(mocker)
    validation.clear_cache()


@pytest.fixture
def standard(cloud):
    """A cloud with what a usual template names."""
    cloud.add_image('fedora-coreos-40', 'fedora-coreos',
                    image_id='5b2b4c38-6a3b-4c4f-9b5e-2c1d0f6a7e01')
    cloud.add_flavor('m1.small', flavor_id='2')
    cloud.add_flavor('m1.large', flavor_id='4', disk=80)
    public = cloud.add_network(
        'public', external=True,
        network_id='0d3f7d1e-5a55-4b2e-bf0b-7a2c5c1b9a10')
    private = cloud.add_network(
        'private', network_id='c3a9f5e2-1b4d-4e8a-9f7c-6d2e0b1a3c44')
    cloud.add_subnet('private-subnet', private,
                     subnet_id='a0304c3a-4f08-4c43-88af-d796509c97d2')
    cloud.add_keypair('alice', 'alice-key')
    return {'public': public, 'private': private}


def template_values(**changes):
    values = {'image_id': 'fedora-coreos-40', 'coe': 'kubernetes',
              'server_type': 'vm', 'flavor_id': 'm1.small',
              'master_flavor_id': 'm1.large',
              'external_network_id': 'public', 'fixed_network': None,
              'fixed_subnet': None, 'keypair_id': 'alice-key',
              'labels': {}}
    values.update(changes)
    return values


def cluster_values(**changes):
    values = {'keypair': 'alice-key', 'flavor_id': None,
              'master_flavor_id': None, 'fixed_network': None,
              'fixed_subnet': None, 'labels': {}, 'user_id': 'alice',
              'project_id': 'proj', 'master_count': 1, 'node_count': 1}
    values.update(changes)
    return values


# -- the template ------------------------------------------------------------

def test_template_by_names_gives_the_image_os_distro(cloud, standard):
    values = template_values()
    derived = validation.validate_template(cloud.context(), values)
    assert derived == {'cluster_distro': 'fedora-coreos'}
    assert values == template_values(), 'the values are not changed'
    # Names: Glance and Neutron are asked by name only (their ids are
    # UUIDs); Nova's flavor ids are free-form, so the id is tried first.
    assert cloud.calls() == [
        ('GET', '/v2/images?name=fedora-coreos-40'),
        ('GET', '/v2.1/flavors/m1.large'),
        ('GET', '/v2.1/flavors/detail'),
        ('GET', '/v2.1/flavors/m1.small'),
        ('GET', '/v2.1/flavors/detail'),
        ('GET', '/v2.0/networks?name=public'),
    ]


def test_template_by_ids(cloud, standard):
    values = template_values(
        image_id='5b2b4c38-6a3b-4c4f-9b5e-2c1d0f6a7e01', flavor_id='2',
        master_flavor_id='4', external_network_id=standard['public']['id'],
        fixed_network=standard['private']['id'],
        fixed_subnet='a0304c3a-4f08-4c43-88af-d796509c97d2')
    assert validation.validate_template(cloud.context(), values) == {
        'cluster_distro': 'fedora-coreos'}
    assert cloud.calls() == [
        ('GET', '/v2/images/5b2b4c38-6a3b-4c4f-9b5e-2c1d0f6a7e01'),
        ('GET', '/v2.1/flavors/4'),
        ('GET', '/v2.1/flavors/2'),
        ('GET', '/v2.0/networks/' + standard['public']['id']),
        ('GET', '/v2.0/networks/' + standard['private']['id']),
        ('GET', '/v2.0/subnets/a0304c3a-4f08-4c43-88af-d796509c97d2'),
    ]


def test_uuid_shaped_name_is_found_by_name_after_the_id_404(cloud):
    # Glance answers an unknown id with a plain-text 404; the value may
    # still be an image's name.
    name = '11111111-2222-3333-4444-555555555555'
    cloud.add_image(name, 'ubuntu')
    assert validation.image_os_distro(cloud.context(), name) == 'ubuntu'
    assert cloud.calls() == [('GET', '/v2/images/' + name),
                             ('GET', '/v2/images?name=' + name)]


def test_the_requesting_users_token_is_sent(cloud, standard):
    context = cloud.context()
    validation.validate_template(context, template_values())
    tokens = {r.headers['X-Auth-Token']
              for r in cloud.mocker.request_history}
    assert tokens == {context.auth_token}


def _raises(error_class, code, call, *args):
    with pytest.raises(error_class) as caught:
        call(*args)
    assert caught.value.code == code
    return str(caught.value)


def test_unknown_image_is_a_400_naming_field_and_value(cloud, standard):
    message = _raises(exception.ImageNotFound, 400,
                      validation.validate_template, cloud.context(),
                      template_values(image_id='no-such-image'))
    assert "image_id 'no-such-image'" in message
    assert 'Glance image' in message


def test_unknown_image_id_404_and_empty_list_is_a_400(cloud, standard):
    ident = '99999999-2222-3333-4444-555555555555'
    message = _raises(exception.ImageNotFound, 400,
                      validation.validate_template, cloud.context(),
                      template_values(image_id=ident))
    assert ident in message
    assert cloud.calls() == [('GET', '/v2/images/' + ident),
                             ('GET', '/v2/images?name=' + ident)]


def test_duplicate_image_names_are_a_409(cloud, standard):
    cloud.add_image('fedora-coreos-40', 'fedora-coreos')
    message = _raises(exception.NameNotUnique, 409,
                      validation.validate_template, cloud.context(),
                      template_values())
    assert "image_id 'fedora-coreos-40': 2 Glance images" in message
    assert 'give the id' in message


def test_image_without_os_distro_is_a_400(cloud, standard):
    image = cloud.add_image('plain', os_distro=None)
    message = _raises(exception.OSDistroFieldNotFound, 400,
                      validation.validate_template, cloud.context(),
                      template_values(image_id='plain'))
    assert "image_id 'plain'" in message
    assert image['id'] in message
    assert 'os_distro' in message


def test_image_os_distro_decides_the_distro(cloud):
    cloud.add_image('jammy', 'ubuntu')
    assert validation.validate_template(
        cloud.context(), {'image_id': 'jammy'}) == {
            'cluster_distro': 'ubuntu'}


@pytest.mark.parametrize('field', ['flavor_id', 'master_flavor_id'])
def test_unknown_flavor_is_a_400_naming_the_field(cloud, standard, field):
    message = _raises(exception.FlavorNotFound, 400,
                      validation.validate_template, cloud.context(),
                      template_values(**{field: 'm1.huge'}))
    assert message.startswith("%s 'm1.huge': no Nova flavor" % field)


def test_flavor_by_id_is_one_request(cloud, standard):
    validation.validate_template(cloud.context(), {
        'flavor_id': '2', 'master_flavor_id': '2'})
    # Found by id at once; the second field is answered from the cache.
    assert cloud.calls() == [('GET', '/v2.1/flavors/2')]


def test_flavor_without_root_disk_needs_a_boot_volume(cloud, magnum_config):
    cloud.add_flavor('m1.nodisk', disk=0)
    context = cloud.context()
    message = _raises(exception.FlavorZeroRootVolumeNotSupported, 400,
                      validation.validate_template, context,
                      {'flavor_id': 'm1.nodisk'})
    assert "flavor_id 'm1.nodisk'" in message
    assert 'boot_volume_size' in message
    # The label, or the configured default, gives the nodes a volume.
    validation.validate_template(context, {
        'flavor_id': 'm1.nodisk', 'labels': {'boot_volume_size': '20'}})
    magnum_config.config(group='cinder', default_boot_volume_size=10)
    validation.validate_template(context, {'flavor_id': 'm1.nodisk'})
    # An explicit 0 label still refuses.
    _raises(exception.FlavorZeroRootVolumeNotSupported, 400,
            validation.validate_template, context,
            {'flavor_id': 'm1.nodisk', 'labels': {'boot_volume_size': '0'}})
    _raises(exception.InvalidParameterValue, 400,
            validation.validate_template, context,
            {'flavor_id': 'm1.nodisk', 'labels': {'boot_volume_size': 'x'}})


def test_external_network_by_id_and_by_name(cloud, standard):
    context = cloud.context()
    validation.validate_template(context, {
        'external_network_id': standard['public']['id']})
    validation.validate_template(context, {'external_network_id': 'public'})
    assert cloud.calls() == [
        ('GET', '/v2.0/networks/' + standard['public']['id']),
        ('GET', '/v2.0/networks?name=public')]


def test_non_external_network_is_a_400(cloud, standard):
    message = _raises(exception.ExternalNetworkNotFound, 400,
                      validation.validate_template, cloud.context(),
                      {'external_network_id': 'private'})
    assert "external_network_id 'private'" in message
    assert 'router:external' in message
    assert standard['private']['id'] in message


@pytest.mark.parametrize('value', [
    'nowhere', '77777777-2222-3333-4444-555555555555'])
def test_unknown_external_network_is_a_400(cloud, standard, value):
    message = _raises(exception.ExternalNetworkNotFound, 400,
                      validation.validate_template, cloud.context(),
                      {'external_network_id': value})
    assert "external_network_id '%s': no Neutron network" % value in message


def test_external_network_name_shared_with_an_internal_one(cloud, standard):
    # Only an external network can be meant: the internal one of the same
    # name does not make the name ambiguous.
    cloud.add_network('public', external=False)
    validation.validate_template(cloud.context(),
                                 {'external_network_id': 'public'})


def test_two_external_networks_of_one_name_are_a_409(cloud, standard):
    cloud.add_network('public', external=True)
    message = _raises(exception.NameNotUnique, 409,
                      validation.validate_template, cloud.context(),
                      {'external_network_id': 'public'})
    assert "external_network_id 'public': 2 external Neutron networks" in \
        message


def test_fixed_network_and_subnet_by_name(cloud, standard):
    validation.validate_template(cloud.context(), {
        'fixed_network': 'private', 'fixed_subnet': 'private-subnet'})
    assert cloud.calls() == [('GET', '/v2.0/networks?name=private'),
                             ('GET', '/v2.0/subnets?name=private-subnet')]


def test_unknown_fixed_network_and_subnet_are_400s(cloud, standard):
    context = cloud.context()
    message = _raises(exception.FixedNetworkNotFound, 400,
                      validation.validate_template, context,
                      {'fixed_network': 'nonet'})
    assert "fixed_network 'nonet'" in message
    message = _raises(exception.FixedSubnetNotFound, 400,
                      validation.validate_template, context,
                      {'fixed_subnet': 'nosub'})
    assert "fixed_subnet 'nosub'" in message


def test_subnet_of_another_network_is_a_400(cloud, standard):
    other = cloud.add_network('other')
    elsewhere = cloud.add_subnet('elsewhere', other)
    message = _raises(exception.FixedSubnetNotFound, 400,
                      validation.validate_template, cloud.context(),
                      {'fixed_network': 'private',
                       'fixed_subnet': 'elsewhere'})
    assert "fixed_subnet 'elsewhere'" in message
    assert other['id'] in message and elsewhere['id'] in message
    assert "fixed_network 'private'" in message


def test_subnet_name_is_looked_for_in_the_fixed_network(cloud, standard):
    # Two networks each have a subnet called "nodes": with the network
    # given, the name is not ambiguous; without it, it is.
    other = cloud.add_network('other')
    cloud.add_subnet('nodes', other)
    mine = cloud.add_subnet('nodes', standard['private'])
    context = cloud.context()
    validation.validate_template(context, {'fixed_network': 'private',
                                           'fixed_subnet': 'nodes'})
    _raises(exception.NameNotUnique, 409, validation.validate_template,
            context, {'fixed_subnet': 'nodes'})
    validation.validate_template(context, {'fixed_network': 'private',
                                           'fixed_subnet': mine['id']})


# -- the cluster -------------------------------------------------------------

def test_cluster_checks_keypair_and_its_own_values(cloud, standard):
    template = template_values()
    validation.validate_cluster(cloud.context(), cluster_values(
        flavor_id='m1.large', fixed_network='private',
        fixed_subnet='private-subnet'), template)
    calls = cloud.calls()
    assert ('GET', '/v2.1/os-keypairs/alice-key') in calls
    assert ('GET', '/v2/images?name=fedora-coreos-40') in calls
    assert ('GET', '/v2.0/networks?name=public') in calls
    assert ('GET', '/v2.0/subnets?name=private-subnet') in calls
    # The cluster's flavor_id overrides the template's m1.small.
    assert ('GET', '/v2.1/flavors/m1.small') not in calls


def test_missing_keypair_is_a_404(cloud, standard):
    # As clients have always seen (compatibility.rst, "Errors").
    message = _raises(exception.KeyPairNotFound, 404,
                      validation.validate_cluster, cloud.context(),
                      cluster_values(keypair='bob-key'), template_values())
    assert message.startswith("keypair 'bob-key': the requesting user")


def test_keypairs_are_per_user(cloud, standard):
    cloud.add_keypair('bob', 'bob-key')
    validation.validate_cluster(
        cloud.context('bob'), cluster_values(keypair='bob-key',
                                             user_id='bob'),
        template_values())
    # Alice, in the same project, has no such keypair: the cache of Bob's
    # look-up does not answer for her.
    _raises(exception.KeyPairNotFound, 404, validation.validate_cluster,
            cloud.context('alice'), cluster_values(keypair='bob-key'),
            template_values())


def test_a_colleagues_cluster_keypair_is_not_checked(cloud, standard):
    # Alice resizes Bob's cluster: Bob's keypair is invisible to her.
    cloud.add_keypair('bob', 'bob-key')
    validation.validate_cluster(
        cloud.context('alice'), cluster_values(keypair='bob-key',
                                               user_id='bob'),
        template_values())
    assert not any('os-keypairs' in path for _, path in cloud.calls())


def test_cluster_finds_a_template_image_gone_since(cloud, standard):
    template = template_values()
    cloud.images.clear()
    _raises(exception.ImageNotFound, 400, validation.validate_cluster,
            cloud.context(), cluster_values(), template)


def test_cluster_template_may_be_an_object(cloud, standard):
    class Template:
        image_id = 'fedora-coreos-40'
        flavor_id = 'm1.small'
        master_flavor_id = None
        external_network_id = 'public'
        fixed_network = None
        fixed_subnet = None
        labels = {}

    validation.validate_cluster(cloud.context(),
                                cluster_values(keypair=None), Template())
    assert ('GET', '/v2.1/flavors/m1.small') in cloud.calls()


# -- the cloud itself ------------------------------------------------------

def test_catalog_without_neutron_is_a_400_naming_it(cloud, standard):
    catalog = [entry for entry in cloud_fake.full_catalog()
               if entry['type'] != 'network']
    message = _raises(exception.InvalidParameterValue, 400,
                      validation.validate_template,
                      cloud.context(catalog=catalog), template_values())
    assert 'network service (Neutron)' in message
    assert '[neutron_client]' in message


def test_catalog_endpoint_follows_the_region_option(cloud, standard,
                                                    magnum_config):
    magnum_config.config(group='glance_client', region_name='RegionTwo')
    message = _raises(exception.InvalidParameterValue, 400,
                      validation.image_os_distro, cloud.context(),
                      'fedora-coreos-40')
    assert 'image service (Glance)' in message
    assert 'in region RegionTwo' in message


def test_unreachable_service_is_a_503_without_its_url(cloud, standard):
    cloud.mocker.get(
        'http://neutron.test:9696/v2.0/networks?name=public',
        exc=requests.exceptions.ConnectionError(
            'HTTPConnectionPool(host=neutron.test, port=9696): refused'))
    message = _raises(exception.ServiceUnavailable, 503,
                      validation.validate_template, cloud.context(),
                      template_values())
    assert message.startswith('Neutron is unavailable')
    assert 'neutron.test' not in message and '9696' not in message


def test_timeout_is_a_503(cloud, standard):
    cloud.mocker.get(
        'http://glance.test:9292/v2/images?name=fedora-coreos-40',
        exc=requests.exceptions.ReadTimeout('read timed out'))
    message = _raises(exception.ServiceUnavailable, 503,
                      validation.validate_template, cloud.context(),
                      template_values())
    assert 'Glance' in message and 'timed out' in message


def test_failing_service_is_a_503(cloud, standard):
    cloud.mocker.get('http://nova.test:8774/v2.1/flavors/m1.large',
                     status_code=500, json={'computeFault': {
                         'code': 500, 'message': 'Unexpected API Error.'}})
    message = _raises(exception.ServiceUnavailable, 503,
                      validation.validate_template, cloud.context(),
                      template_values())
    assert message == 'Nova is unavailable: it answered HTTP 500'


def test_refused_token_is_a_403(cloud, standard):
    context = cloud.context()
    cloud.tokens.clear()
    _raises(exception.AuthorizationFailure, 403,
            validation.validate_template, context, template_values())


def test_no_token_is_a_400(cloud, standard):
    context = cloud.context()
    context.auth_token = None
    _raises(exception.KeystoneFailure, 400, validation.validate_template,
            context, template_values())


def test_endpoint_forms_of_the_catalog():
    nova, glance, neutron = (clients.SERVICES[kind] for kind in
                             ('compute', 'image', 'network'))
    assert nova.base_url('http://n/v2.1') == 'http://n/v2.1'
    assert nova.base_url('http://n/v2.1/proj/') == 'http://n/v2.1/proj'
    assert nova.base_url('http://n/compute') == 'http://n/compute/v2.1'
    assert glance.base_url('http://g:9292') == 'http://g:9292/v2'
    assert glance.base_url('http://g/image/v2') == 'http://g/image/v2'
    assert neutron.base_url('http://q:9696/') == 'http://q:9696/v2.0'
    assert neutron.base_url('http://q/v2.0') == 'http://q/v2.0'


# -- the cache ---------------------------------------------------------------

def test_found_resources_are_remembered_per_project(cloud, standard):
    context = cloud.context()
    validation.validate_template(context, template_values())
    first = len(cloud.calls())
    validation.validate_template(cloud.context(), template_values())
    assert len(cloud.calls()) == first, 'same project: nothing asked again'
    validation.validate_template(cloud.context(project_id='other'),
                                 template_values())
    assert len(cloud.calls()) == 2 * first, 'another project asks again'


def test_remembered_resources_expire(cloud, standard, magnum_config,
                                     monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(validation, '_cache', validation._TTLCache(
        validation.CACHE_SIZE, clock=lambda: now[0]))
    magnum_config.config(group='cloud_validation', cache_ttl=30)
    context = cloud.context()
    validation.image_os_distro(context, 'fedora-coreos-40')
    now[0] += 29
    validation.image_os_distro(context, 'fedora-coreos-40')
    assert len(cloud.calls()) == 1
    now[0] += 1
    validation.image_os_distro(context, 'fedora-coreos-40')
    assert len(cloud.calls()) == 2


def test_not_found_is_not_remembered(cloud, standard):
    context = cloud.context()
    _raises(exception.ImageNotFound, 400, validation.image_os_distro,
            context, 'later')
    cloud.add_image('later', 'ubuntu')
    assert validation.image_os_distro(context, 'later') == 'ubuntu'


def test_cache_ttl_zero_remembers_nothing(cloud, standard, magnum_config):
    magnum_config.config(group='cloud_validation', cache_ttl=0)
    context = cloud.context()
    validation.image_os_distro(context, 'fedora-coreos-40')
    validation.image_os_distro(context, 'fedora-coreos-40')
    assert len(cloud.calls()) == 2
    assert len(validation._cache) == 0


def test_cache_holds_at_most_its_size():
    cache = validation._TTLCache(2, clock=lambda: 0.0)
    for key in 'abc':
        cache.put(key, {'id': key})
    assert len(cache) == 2
    assert cache.get('a', 30) is validation._MISSING
    assert cache.get('c', 30) == {'id': 'c'}


def test_cache_keeps_only_what_the_checks_read(cloud, standard):
    validation.validate_template(cloud.context(), template_values())
    for value in validation._cache._entries.values():
        assert len(value[1]) <= 3


# -- switched off ------------------------------------------------------------

def test_switched_off_nothing_is_asked(cloud, magnum_config):
    magnum_config.config(group='cloud_validation', enabled=False)
    context = cloud.context()
    assert validation.validate_template(
        context, template_values(image_id='anything')) == {}
    validation.validate_cluster(context, cluster_values(keypair='any'),
                                template_values())
    assert validation.image_os_distro(context, 'anything') is None
    assert cloud.calls() == []


def test_token_without_its_data_is_authenticated_for_the_catalog(cloud,
                                                                 standard):
    # keystonemiddleware did not hand the token's data over: the catalog
    # comes from Keystone, with the same token.
    context = cloud.context()
    body = context.auth_token_info
    context.auth_token_info = None
    cloud.mocker.post(cloud_fake.KEYSTONE + '/v3/auth/tokens', json=body,
                      status_code=201,
                      headers={'X-Subject-Token': context.auth_token})
    assert validation.image_os_distro(context, 'fedora-coreos-40') == \
        'fedora-coreos'
    posted = cloud.mocker.request_history[0]
    assert (posted.method, posted.path) == ('POST', '/v3/auth/tokens')
    assert posted.json()['auth']['identity']['token']['id'] == \
        context.auth_token
    assert cloud.calls()[1:] == [('GET', '/v2/images?name=fedora-coreos-40')]
