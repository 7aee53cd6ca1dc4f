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


"""The objects that are never stored: Certificate and Stats."""

from magnum import objects
from magnum.tests.unit.db import utils


def test_certificate_from_object_cluster(dbapi, ctx):
    row = utils.create_test_cluster(dbapi)
    cluster = objects.Cluster.get_by_uuid(ctx, row.uuid)
    certificate = objects.Certificate.from_object_cluster(cluster)
    assert certificate.as_dict() == {'project_id': utils.PROJECT_ID,
                                     'user_id': utils.USER_ID,
                                     'cluster_uuid': row.uuid}
    assert certificate._context is ctx
    certificate.csr = '-----BEGIN CERTIFICATE REQUEST-----'
    certificate.ca_cert_type = 'etcd'
    assert certificate['ca_cert_type'] == 'etcd'


def test_certificate_from_db_cluster(dbapi, ctx):
    row = utils.create_test_cluster(dbapi, project_id='p', user_id='u')
    for source in (row, utils.get_test_cluster(uuid=row.uuid,
                                               project_id='p',
                                               user_id='u')):
        certificate = objects.Certificate.from_db_cluster(source,
                                                          context=ctx)
        assert (certificate.project_id, certificate.user_id,
                certificate.cluster_uuid) == ('p', 'u', row.uuid)
        assert certificate._context is ctx


def test_stats_of_a_project_and_of_all(dbapi, ctx):
    utils.create_test_cluster(dbapi, master_count=1, node_count=2)
    two = utils.create_test_cluster(dbapi, master_count=3, node_count=1)
    utils.create_test_nodegroup(dbapi, cluster_id=two.uuid, node_count=4)
    utils.create_test_cluster(dbapi, project_id='other_project',
                              master_count=1, node_count=5)
    mine = objects.Stats.get_cluster_stats(ctx, utils.PROJECT_ID)
    assert (mine.clusters, mine.nodes) == (2, 1 + 2 + 3 + 1 + 4)
    assert mine._context is ctx
    total = objects.Stats.get_cluster_stats(ctx)
    assert (total.clusters, total.nodes) == (3, 11 + 6)
    empty = objects.Stats.get_cluster_stats(ctx, 'nobody')
    assert (empty.clusters, empty.nodes) == (0, 0)
