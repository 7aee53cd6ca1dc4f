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

"""Rows for tests: ``get_test_<res>(**overrides)`` gives the values,
``create_test_<res>(dbapi, **overrides)`` inserts them."""

from oslo_utils import uuidutils

PROJECT_ID = 'fake_project'
USER_ID = 'fake_user'


def get_test_cluster_template(**kw):
    values = {
        'uuid': uuidutils.generate_uuid(),
        'project_id': PROJECT_ID,
        'user_id': USER_ID,
        'name': 'clustermodel1',
        'image_id': 'debian-node',
        'flavor_id': 'm1.small',
        'master_flavor_id': 'm1.small',
        'keypair_id': 'keypair1',
        'external_network_id': 'public',
        'fixed_network': 'private',
        'fixed_subnet': 'private-subnet',
        'network_driver': 'flannel',
        'volume_driver': None,
        'dns_nameserver': '8.8.1.1',
        'apiserver_port': 8080,
        'docker_volume_size': 20,
        'docker_storage_driver': 'overlay2',
        'cluster_distro': 'debian',
        'coe': 'swarm-mode',
        'http_proxy': None,
        'https_proxy': None,
        'no_proxy': None,
        'registry_enabled': False,
        'labels': {'key1': 'val1', 'key2': 'val2'},
        'tls_disabled': False,
        'public': False,
        'server_type': 'container',
        'insecure_registry': None,
        'master_lb_enabled': True,
        'floating_ip_enabled': True,
        'hidden': False,
        'tags': None,
        'driver': None,
    }
    values.update(kw)
    return values


def create_test_cluster_template(dbapi, **kw):
    return dbapi.create_cluster_template(get_test_cluster_template(**kw))


def get_test_cluster(**kw):
    values = {
        'uuid': uuidutils.generate_uuid(),
        'name': 'cluster1',
        'project_id': PROJECT_ID,
        'user_id': USER_ID,
        'cluster_template_id': uuidutils.generate_uuid(),
        'keypair': 'keypair1',
        'docker_volume_size': 20,
        'labels': {'key1': 'val1'},
        'master_flavor_id': 'm1.small',
        'flavor_id': 'm1.small',
        'stack_id': None,
        'api_address': None,
        'status': 'CREATE_IN_PROGRESS',
        'status_reason': None,
        'health_status': None,
        'health_status_reason': {},
        'create_timeout': 60,
        'discovery_url': None,
        'coe_version': None,
        'container_version': None,
        'ca_cert_ref': None,
        'magnum_cert_ref': None,
        'etcd_ca_cert_ref': None,
        'front_proxy_ca_cert_ref': None,
        'fixed_network': None,
        'fixed_subnet': None,
        'floating_ip_enabled': True,
        'master_lb_enabled': False,
    }
    values.update(kw)
    return values


def default_nodegroups(master_count=1, node_count=1, **kw):
    """Values of the two default nodegroups every cluster has."""
    common = {'is_default': True, 'status': 'CREATE_IN_PROGRESS',
              'image_id': 'debian-node', 'flavor_id': 'm1.small'}
    common.update(kw)
    return [dict(common, name='default-master', role='master',
                 node_count=master_count, uuid=uuidutils.generate_uuid()),
            dict(common, name='default-worker', role='worker',
                 node_count=node_count, uuid=uuidutils.generate_uuid())]


def create_test_cluster(dbapi, master_count=1, node_count=1, **kw):
    return dbapi.create_cluster(
        get_test_cluster(**kw),
        nodegroups=default_nodegroups(master_count, node_count))


def get_test_nodegroup(**kw):
    values = {
        'uuid': uuidutils.generate_uuid(),
        'name': 'nodegroup1',
        'cluster_id': uuidutils.generate_uuid(),
        'project_id': PROJECT_ID,
        'docker_volume_size': None,
        'labels': {},
        'flavor_id': 'm1.small',
        'image_id': 'debian-node',
        'node_addresses': [],
        'node_count': 3,
        'role': 'worker',
        'max_node_count': None,
        'min_node_count': 0,
        'is_default': False,
        'stack_id': None,
        'status': 'CREATE_COMPLETE',
        'status_reason': None,
        'version': None,
        'node_labels': {},
        'node_taints': [],
    }
    values.update(kw)
    return values


def create_test_nodegroup(dbapi, **kw):
    return dbapi.create_nodegroup(get_test_nodegroup(**kw))


def get_test_x509keypair(**kw):
    values = {
        'uuid': uuidutils.generate_uuid(),
        'project_id': PROJECT_ID,
        'user_id': USER_ID,
        'certificate': 'certificate',
        'private_key': 'private_key',
        'private_key_passphrase': 'passphrase',
        'intermediates': None,
    }
    values.update(kw)
    return values


def create_test_x509keypair(dbapi, **kw):
    return dbapi.create_x509keypair(get_test_x509keypair(**kw))


def get_test_magnum_service(**kw):
    values = {
        'host': 'conductor-1',
        'binary': 'magnum-conductor',
        'disabled': False,
        'disabled_reason': None,
        'last_seen_up': None,
        'forced_down': False,
        'report_count': 0,
    }
    values.update(kw)
    return values


def create_test_magnum_service(dbapi, **kw):
    return dbapi.create_magnum_service(get_test_magnum_service(**kw))


def get_test_quota(**kw):
    values = {'project_id': PROJECT_ID, 'resource': 'Cluster',
              'hard_limit': 10}
    values.update(kw)
    return values


def create_test_quota(dbapi, **kw):
    return dbapi.create_quota(get_test_quota(**kw))


def get_test_federation(**kw):
    values = {
        'uuid': uuidutils.generate_uuid(),
        'project_id': PROJECT_ID,
        'name': 'federation1',
        'hostcluster_id': uuidutils.generate_uuid(),
        'member_ids': [],
        'status': 'CREATE_IN_PROGRESS',
        'status_reason': None,
        'properties': {'dns-zone': 'example.com.'},
    }
    values.update(kw)
    return values


def create_test_federation(dbapi, **kw):
    return dbapi.create_federation(get_test_federation(**kw))
