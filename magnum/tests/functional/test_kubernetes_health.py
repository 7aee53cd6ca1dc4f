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

"""The Heat Kubernetes drivers' health check and readiness wait, over
real TLS, against a stand-in of the Kubernetes API
(kubernetes_api_standin: what it proves and what it does not is in its
first lines).

Real here: the conductor's health pass (``Reconciler.health_once``) over
clusters in MariaDB, the k8s_vm driver found from their template, their
certificates made and stored by Magnum's certificate manager, the
kubernetes client's TLS with the cluster's CA and Magnum's client
certificate. Stood in: the API server only.
"""

import pytest

from magnum import objects
from magnum.common import certificates
from magnum.common import conditions
from magnum.common import context as magnum_context
from magnum.conductor import reconcile
from magnum.drivers.common import driver as driver_base
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.k8s_vm import driver as vm_driver
from magnum.drivers.heat.kubernetes import pki
from magnum.drivers.heat.kubernetes import probe
from magnum.tests.functional import kubernetes_api_standin as standin
from magnum.tests.unit.db import utils as db_utils

MASTERS = {'O': 'system:masters'}


@pytest.fixture
def context():
    return magnum_context.make_context(project_id=db_utils.PROJECT_ID,
                                       user_id=db_utils.USER_ID,
                                       roles=['member'])


@pytest.fixture
def drivers():
    previous = driver_base.set_registry(driver_base.DriverRegistry({
        'k8s_vm': vm_driver.KubernetesVMDriver}))
    yield
    driver_base.set_registry(previous)


@pytest.fixture
def template(dbapi):
    return db_utils.create_test_cluster_template(
        dbapi, coe='kubernetes', server_type='vm',
        cluster_distro='fedora-coreos', image_id='fedora-coreos',
        driver=None, labels={})


@pytest.fixture
def make(dbapi, template, context):
    """A CREATE_COMPLETE cluster of the k8s_vm driver with its
    certificates made and stored, its API at ``address``."""
    def made(name, address, labels=None):
        row = db_utils.create_test_cluster(
            dbapi, cluster_template_id=template.uuid, name=name,
            uuid=db_utils.uuidutils.generate_uuid(),
            status='CREATE_COMPLETE', api_address=address,
            labels=labels or {}, master_count=1, node_count=1)
        cluster = objects.Cluster.get_by_uuid(context, row.uuid)
        certificates.generate_certificates_to_cluster(context, cluster)
        cluster.save()
        return cluster
    return made


@pytest.fixture
def api_of(context):
    """A stand-in of the cluster's API, with the server certificate its
    masters would have (signed by its CA, no IP address in it)."""
    started = []

    def start(cluster):
        cert, key = certificates.issue_server_certificate(
            context, cluster, 'kube-apiserver',
            dns_names=list(pki.SERVICE_DNS_NAMES))
        server = standin.KubernetesAPIStandIn(
            certificates.get_ca_certificate(context, cluster), cert, key)
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def reload(cluster):
    return objects.Cluster.get_by_uuid(
        magnum_context.get_admin_context(), cluster.uuid)


def health_pass(magnum_config, timeout=3):
    magnum_config.config(group='kubernetes', api_timeout=timeout)
    return reconcile.Reconciler('conductor-1').health_once()


def test_a_healthy_cluster(dbapi, drivers, make, api_of, magnum_config):
    cluster = make('k8s-a', None)
    api = api_of(cluster)
    api.nodes = api.nodes[:2]
    cluster.api_address = api.address
    cluster.save()
    assert health_pass(magnum_config) == 1
    stored = reload(cluster)
    assert (stored.health_status, stored.health_status_reason) == (
        'HEALTHY', {'k8s-default-master-0.Ready': 'True',
                    'k8s-default-worker-0.Ready': 'True', 'api': 'ok'})
    # Magnum's client certificate of the cluster, the server checked by
    # the name its certificate carries (the address dialled is not in it).
    assert [(path, subject['commonName'], subject['organizationName'], sni)
            for path, subject, sni in api.seen] == [
        ('/readyz', ['admin'], ['system:masters'], 'kubernetes'),
        ('/api/v1/nodes', ['admin'], ['system:masters'], 'kubernetes')]


def test_nodes_not_ready_and_an_api_not_ready(dbapi, drivers, make, api_of,
                                              magnum_config, monkeypatch):
    cluster = make('k8s-b', None)
    api = api_of(cluster)
    cluster.api_address = api.address
    cluster.save()
    # Two pages of two nodes, as kube-apiserver pages with limit.
    monkeypatch.setattr(probe, 'NODES_PAGE', 2)
    health_pass(magnum_config)
    stored = reload(cluster)
    assert (stored.health_status, stored.health_status_reason) == (
        'UNHEALTHY', {'k8s-default-master-0.Ready': 'True',
                      'k8s-default-worker-0.Ready': 'True',
                      'k8s-default-worker-1.Ready': 'False',
                      'k8s-default-worker-2.Ready': 'False', 'api': 'ok'})
    assert [path for path, _s, _n in api.seen].count('/api/v1/nodes') == 2
    api.nodes = api.nodes[:2]
    api.ready = (500, standin.READYZ_FAILED)
    health_pass(magnum_config)
    stored = reload(cluster)
    assert stored.health_status == 'UNHEALTHY'
    assert stored.health_status_reason['api'] == (
        '[-]etcd failed: reason withheld; readyz check failed')


def test_one_pass_over_clusters_that_do_not_answer(dbapi, drivers, make,
                                                   api_of, magnum_config):
    """A cluster whose API hangs, one whose API is down, one whose API
    shows a certificate of another CA, and a healthy one, in one pass:
    each gets its own word, none holds the others up."""
    silent = standin.SilentPort()
    try:
        hanging = make('k8s-hangs', silent.address)
        down = make('k8s-down', standin.closed_port_address())
        healthy = make('k8s-ok', None)
        api = api_of(healthy)
        api.nodes = api.nodes[:1]
        healthy.api_address = api.address
        healthy.save()
        # Its certificates are its own: the stand-in's are another CA's.
        stranger = make('k8s-stranger', api.address)
        assert health_pass(magnum_config, timeout=2) == 4
    finally:
        silent.close()
    results = {c.name: (reload(c).health_status,
                        reload(c).health_status_reason['api'])
               for c in (hanging, down, healthy, stranger)}
    assert results['k8s-ok'] == ('HEALTHY', 'ok')
    assert results['k8s-hangs'] == ('UNKNOWN', (
        'The cluster k8s-hangs is not accessible. Its Kubernetes API at '
        '%s: no answer within 2 s ([kubernetes] api_timeout).') %
        silent.address)
    status, reason = results['k8s-down']
    assert status == 'UNKNOWN'
    assert 'cannot connect: ' in reason and 'Connection refused' in reason
    status, reason = results['k8s-stranger']
    assert status == 'UNKNOWN', reason
    assert 'TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED]' in reason


def test_the_auto_healers_cluster_is_left_to_it(dbapi, drivers, make,
                                                magnum_config):
    cluster = make('k8s-healed', standin.closed_port_address(), labels={
        'auto_healing_enabled': 'true',
        'auto_healing_controller': 'magnum-auto-healer'})
    health_pass(magnum_config)
    assert reload(cluster).health_status is None


def test_the_wait_after_the_stack_reads_the_same_api(dbapi, drivers, make,
                                                     api_of, context,
                                                     magnum_config):
    """The create's wait (observe_ready) asks through the same prober:
    ready once every server of the stack is a Ready node."""
    magnum_config.config(group='kubernetes', api_timeout=3)
    cluster = make('k8s-wait', None)
    api = api_of(cluster)
    cluster.api_address = api.address
    cluster.status = 'CREATE_IN_PROGRESS'
    cluster.save()
    driver = vm_driver.KubernetesVMDriver()
    nodegroups = objects.NodeGroup.list(context, cluster.uuid)
    master = next(ng for ng in nodegroups if ng.role == 'master')
    worker = next(ng for ng in nodegroups if ng.role != 'master')
    driver._outputs[cluster.uuid] = {
        '%s_names' % definition.nodegroup_key(master):
            ['k8s-default-master-0'],
        '%s_names' % definition.nodegroup_key(worker):
            ['k8s-default-worker-0', 'k8s-default-worker-1']}
    ready, why = driver.observe_ready(context, cluster)
    assert not ready
    assert why.startswith('2 of 3 nodes Ready; not yet: '
                          'k8s-default-worker-1 (KubeletNotReady: ')
    stored = reload(cluster)
    assert conditions.get(stored, conditions.CONTROL_PLANE_READY)[
        'status'] == 'True'
    assert conditions.get(stored, conditions.NODES_READY)['status'] == \
        'False'
    api.nodes[2]['status']['conditions'][-1].update(
        status='True', reason='KubeletReady',
        message='kubelet is posting ready status')
    assert driver.observe_ready(context, cluster) == (
        True, 'All 3 nodes Ready')
    api.stop()
    ready, why = driver.observe_ready(context, cluster)
    assert not ready
    assert why.startswith('The Kubernetes API at %s does not answer: '
                          'cannot connect: ' % api.address)
