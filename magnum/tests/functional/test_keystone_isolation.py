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

"""Multi-tenant isolation with real Keystone tokens: users of projects A
and B (reader, member, admin each, from the cloud-in-a-box) call every
endpoint on project A's resources, and every answer is the one the policy
defaults give (doc/source/configuration/policy.rst;
doc/source/contributor/compatibility.rst, "Policy and visibility"):

- a reader can read but never change anything (403);
- another project's private resources are not found (404) for its
  readers and members;
- the admin role (in any project) reads and changes every project's
  resources (the *_all_projects rules), except a cluster's credentials,
  which only the cluster's project members rotate;
- a public template is readable by every project and changed only by its
  own; a public and hidden one is invisible to other projects' non-admins,
  and no non-admin creates a cluster from a hidden template.

Plain HTTP with keystoneauth sessions, one row per (endpoint, caller).
Clusters come from a node image that cannot boot: they end CREATE_FAILED,
which is all an authorization check needs of them.
"""

import pytest

from magnum.tests.functional import keystone_helpers as kh
from magnum.tests.functional import processes

CALLERS = ('a-reader', 'a-member', 'a-admin', 'b-reader', 'b-member',
           'b-admin')
TERMINAL = ('CREATE_FAILED', 'CREATE_COMPLETE')


class World:
    """The deployment, the callers and project A's resources."""

    def __init__(self, cloud, deployment):
        self.cloud = cloud
        self.deployment = deployment
        self.callers = {}
        for key, role, user in cloud.users():
            self.callers['%s-%s' % (key, role)] = kh.Caller(
                cloud, deployment, user)
        self.ids = {'A': cloud.projects['a']['id'],
                    'B': cloud.projects['b']['id']}

    def __getitem__(self, name):
        return self.callers[name]

    def clean_up(self):
        """Delete what is left of project A's clusters (so the conductor
        deletes their Keystone application credentials too) and
        templates, whatever the tests did."""
        admin = self['b-admin']
        clusters = [c['uuid'] for c in admin.get('/v1/clusters').json()[
            'clusters']]
        for uuid in clusters:
            admin.delete('/v1/clusters/%s' % uuid)
        processes.wait_for(
            lambda: not admin.get('/v1/clusters').json()['clusters'], 120,
            interval=1, message='the clusters of this module to go')
        for name in ('tA', 'tPub', 'tHid'):
            if name in self.ids:
                admin.delete('/v1/clustertemplates/%s' % self.ids[name])

    @staticmethod
    def _template(caller, name, **fields):
        return kh.expect(caller.post('/v1/clustertemplates', kh.template_body(
            kh.unique(name), **fields)), 201).json()['uuid']

    def build(self):
        member, admin = self['a-member'], self['a-admin']
        ids = self.ids
        ids['tA'] = self._template(member, 'private')
        ids['tPub'] = self._template(admin, 'public', public=True)
        ids['tHid'] = self._template(admin, 'hidden', public=True,
                                     hidden=True)
        ids['cA'] = kh.expect(member.post('/v1/clusters', {
            'name': kh.unique('cluster'), 'cluster_template_id': ids['tA'],
            'master_count': 1, 'node_count': 1}), 202).json()['uuid']
        processes.wait_for(
            lambda: member.get('/v1/clusters/%s' % ids['cA']).json()[
                'status'] in TERMINAL, 120, interval=1,
            message='cluster %s to end its create' % ids['cA'])
        ids['fA'] = kh.expect(member.post('/v1/federations', {
            'name': kh.unique('federation'), 'hostcluster_id': ids['cA'],
            'properties': {'dns-zone': 'example.test.'}}),
            202).json()['uuid']
        return self


@pytest.fixture(scope='module')
def world(cloud, migrated_db_url, tmp_path_factory):
    docker_host = kh.engine_with_no_node_image()
    magnum = kh.start_deployment(cloud, migrated_db_url,
                                 tmp_path_factory.mktemp('magnum'),
                                 docker_host)
    world = World(cloud, magnum)
    try:
        yield world.build()
    finally:
        try:
            world.clean_up()
        finally:
            magnum.stop()


def _statuses(**by_caller):
    """{caller: status}; 'A' = a-* callers, 'B' = b-reader and b-member
    (non-admins of the other project), 'admins' = a-admin and b-admin."""
    expanded = {}
    groups = {'A': ('a-reader', 'a-member', 'a-admin'),
              'B': ('b-reader', 'b-member'),
              'admins': ('a-admin', 'b-admin')}
    for key, status in by_caller.items():
        for caller in groups.get(key, (key.replace('_', '-'),)):
            expanded[caller] = status
    assert set(expanded) == set(CALLERS), by_caller
    return expanded


# Reads of project A's resources: (id, path, {caller: status}).
READS = [
    ('template', '/v1/clustertemplates/{tA}', _statuses(A=200, B=404,
                                                         b_admin=200)),
    ('public-template', '/v1/clustertemplates/{tPub}',
     _statuses(A=200, B=200, b_admin=200)),
    ('hidden-template', '/v1/clustertemplates/{tHid}',
     _statuses(A=200, B=404, b_admin=200)),
    ('cluster', '/v1/clusters/{cA}', _statuses(A=200, B=404, b_admin=200)),
    ('nodegroups', '/v1/clusters/{cA}/nodegroups',
     _statuses(A=200, B=404, b_admin=200)),
    ('nodegroup', '/v1/clusters/{cA}/nodegroups/default-worker',
     _statuses(A=200, B=404, b_admin=200)),
    # The machines of the cluster (1.16), read from its driver.
    ('nodes', '/v1/clusters/{cA}/nodes',
     _statuses(A=200, B=404, b_admin=200)),
    # The CA of a cluster: its creator (a-member) and admins only.
    ('certificate', '/v1/certificates/{cA}',
     _statuses(a_reader=403, a_member=200, a_admin=200, B=404,
               b_admin=200)),
    # Federations, bays and baymodels have no *_all_projects rules
    # (compatibility.rst, "Legacy resources"): an admin of another project is
    # scoped to it.
    ('federation', '/v1/federations/{fA}',
     _statuses(A=200, B=404, b_admin=404)),
    ('stats', '/v1/stats?project_id={A}',
     _statuses(A=200, B=403, b_admin=200)),
    ('quota', '/v1/quotas/{A}/Cluster',
     _statuses(A=200, B=403, b_admin=200)),
    ('quotas', '/v1/quotas', _statuses(a_reader=403, a_member=403,
                                       a_admin=200, B=403, b_admin=200)),
    ('mservices', '/v1/mservices', _statuses(a_reader=403, a_member=403,
                                             a_admin=200, B=403,
                                             b_admin=200)),
    ('bay', '/v1/bays/{cA}', _statuses(A=200, B=404, b_admin=404)),
    ('baymodel', '/v1/baymodels/{tA}', _statuses(A=200, B=404,
                                                 b_admin=404)),
]


@pytest.mark.parametrize('path,expected', [
    pytest.param(path, expected, id=name) for name, path, expected in READS])
@pytest.mark.parametrize('caller', CALLERS)
def test_reads(world, path, expected, caller):
    kh.expect(world[caller].get(path.format(**world.ids)), expected[caller],
              caller)


# Tags are what may change on a template a cluster uses (compatibility.rst,
# "Templates").
TAGS_OP = [{'op': 'replace', 'path': '/tags', 'value': 'checked'}]
# Changes of project A's resources that the caller must not make (or that
# pass authorization and then fail on the resource's state, a status
# given here too): (id, method, path, body, {caller: status}); callers not
# named are not tried (their success would change the shared world).
WRITES = [
    ('patch-template', 'PATCH', '/v1/clustertemplates/{tA}', TAGS_OP,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404, 'a-member': 200,
      'b-admin': 200}),
    # Referenced by cluster cA: authorized callers get 400.
    ('delete-template', 'DELETE', '/v1/clustertemplates/{tA}', None,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404, 'a-member': 400,
      'a-admin': 400, 'b-admin': 400}),
    ('patch-public-template', 'PATCH', '/v1/clustertemplates/{tPub}',
     TAGS_OP, {'a-reader': 403, 'b-reader': 403, 'b-member': 403,
               'a-member': 200}),
    ('delete-public-template', 'DELETE', '/v1/clustertemplates/{tPub}',
     None, {'a-reader': 403, 'b-reader': 403, 'b-member': 403}),
    ('delete-hidden-template', 'DELETE', '/v1/clustertemplates/{tHid}',
     None, {'a-reader': 403, 'b-reader': 404, 'b-member': 404}),
    ('patch-cluster', 'PATCH', '/v1/clusters/{cA}',
     [{'op': 'replace', 'path': '/node_count', 'value': 2}],
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404}),
    ('delete-cluster', 'DELETE', '/v1/clusters/{cA}', None,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404}),
    ('resize', 'POST', '/v1/clusters/{cA}/actions/resize',
     {'node_count': 2}, {'a-reader': 403, 'b-reader': 404,
                         'b-member': 404}),
    ('upgrade', 'POST', '/v1/clusters/{cA}/actions/upgrade',
     {'cluster_template': '{tPub}'}, {'a-reader': 403, 'b-reader': 404,
                                      'b-member': 404}),
    # Nodegroup rules are checked against the caller's own project first
    # (default target): a reader anywhere is refused before any look-up;
    # the cluster is then looked up in the caller's project, admins'
    # included (no *_all_projects rule for nodegroup changes).
    ('create-nodegroup', 'POST', '/v1/clusters/{cA}/nodegroups',
     {'name': 'extra', 'node_count': 1},
     {'a-reader': 403, 'b-reader': 403, 'b-member': 404, 'b-admin': 404}),
    ('patch-nodegroup', 'PATCH',
     '/v1/clusters/{cA}/nodegroups/default-worker',
     [{'op': 'replace', 'path': '/max_node_count', 'value': 5}],
     {'a-reader': 403, 'b-reader': 403, 'b-member': 404, 'b-admin': 404}),
    # The default nodegroup is never deleted: authorized callers get 400.
    ('delete-default-nodegroup', 'DELETE',
     '/v1/clusters/{cA}/nodegroups/default-worker', None,
     {'a-reader': 403, 'b-reader': 403, 'b-member': 404, 'a-member': 400,
      'b-admin': 404}),
    # A cluster named in a create body that the caller cannot see is a
    # 400, not a 404 (compatibility.rst, "Errors").
    ('sign-certificate', 'POST', '/v1/certificates',
     {'cluster_uuid': '{cA}', 'csr': 'not a CSR'},
     {'a-reader': 403, 'b-reader': 400, 'b-member': 400, 'a-member': 400,
      'b-admin': 400}),
    ('rotate-ca', 'PATCH', '/v1/certificates/{cA}', None,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404}),
    ('rotate-credentials', 'PATCH', '/v1/credentials/{cA}', None,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404, 'b-admin': 403}),
    ('patch-federation', 'PATCH', '/v1/federations/{fA}',
     [{'op': 'replace', 'path': '/properties/dns-zone',
       'value': 'other.test.'}],
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404, 'b-admin': 404}),
    ('delete-federation', 'DELETE', '/v1/federations/{fA}', None,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404, 'b-admin': 404}),
    ('create-quota', 'POST', '/v1/quotas',
     {'project_id': '{A}', 'resource': 'Cluster', 'hard_limit': 9},
     {'a-reader': 403, 'a-member': 403, 'b-reader': 403, 'b-member': 403}),
    ('patch-quota', 'PATCH', '/v1/quotas/{A}/Cluster',
     {'hard_limit': 9}, {'a-reader': 403, 'a-member': 403,
                         'b-member': 403}),
    ('delete-quota', 'DELETE', '/v1/quotas/{A}/Cluster', None,
     {'a-reader': 403, 'a-member': 403, 'b-member': 403}),
    ('patch-bay', 'PATCH', '/v1/bays/{cA}',
     [{'op': 'replace', 'path': '/node_count', 'value': 2}],
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404}),
    ('delete-baymodel', 'DELETE', '/v1/baymodels/{tA}', None,
     {'a-reader': 403, 'b-reader': 404, 'b-member': 404, 'b-admin': 404}),
    # Containers (1.16): the rule first (default target), then the
    # cluster in the caller's project; cA is not CREATE_COMPLETE (409).
    ('create-container', 'POST', '/v1/containers',
     {'image': 'busybox:local', 'cluster': '{cA}'},
     {'a-reader': 403, 'b-reader': 403, 'b-member': 404, 'a-member': 409,
      'b-admin': 404}),
    # The image import is for admins, of any project.
    ('load-image', 'POST', '/v1/clusters/{cA}/actions/load_image',
     {'image_tarball': 'dGFy'},
     {'a-reader': 403, 'a-member': 403, 'b-member': 403, 'b-admin': 409}),
    # Last, as it changes the cluster: a resize is an update, and an admin
    # of another project may make it (cluster:update_all_projects).
    ('resize-as-admin', 'POST', '/v1/clusters/{cA}/actions/resize',
     {'node_count': 2}, {'b-admin': 202}),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize('method,path,body,caller,status', [
    pytest.param(method, path, body, caller, status,
                 id='%s-%s' % (name, caller))
    for name, method, path, body, expected in WRITES
    for caller, status in expected.items()])
def test_writes(world, method, path, body, caller, status):
    reply = world[caller].request(method, _fill(path, world.ids),
                                  json=_fill(body, world.ids))
    kh.expect(reply, status, caller)


@pytest.mark.parametrize('caller,sees', [
    ('a-reader', {'tA', 'tPub', 'tHid'}),
    ('a-member', {'tA', 'tPub', 'tHid'}),
    ('b-reader', {'tPub'}),
    ('b-member', {'tPub'}),
    ('a-admin', {'tA', 'tPub', 'tHid'}),
    ('b-admin', {'tA', 'tPub', 'tHid'}),
])
def test_template_list(world, caller, sees):
    listed = {t['uuid'] for t in kh.expect(world[caller].get(
        '/v1/clustertemplates'), 200).json()['clustertemplates']}
    ours = {name: world.ids[name] for name in ('tA', 'tPub', 'tHid')}
    assert {name for name, uuid in ours.items() if uuid in listed} == sees


@pytest.mark.parametrize('caller,sees', [
    ('a-reader', True), ('a-member', True), ('a-admin', True),
    ('b-reader', False), ('b-member', False), ('b-admin', True)])
def test_cluster_and_federation_lists(world, caller, sees):
    clusters = {c['uuid'] for c in kh.expect(world[caller].get(
        '/v1/clusters'), 200).json()['clusters']}
    assert (world.ids['cA'] in clusters) == sees
    stats = kh.expect(world[caller].get('/v1/stats'), 200).json()
    if caller.startswith('a-') and not caller.endswith('admin'):
        assert stats['clusters'] >= 1


def test_readers_create_nothing(world):
    for caller in ('a-reader', 'b-reader'):
        reply = world[caller].post('/v1/clustertemplates', kh.template_body(
            kh.unique('nope')))
        kh.expect(reply, 403, caller)
        reply = world[caller].post('/v1/clusters', {
            'name': kh.unique('nope'), 'cluster_template_id':
            world.ids['tPub']})
        kh.expect(reply, 403, caller)


def test_only_admins_publish(world):
    for fields in ({'public': True}, {'hidden': True}):
        reply = world['a-member'].post('/v1/clustertemplates',
                                       kh.template_body(kh.unique('pub'),
                                                        **fields))
        kh.expect(reply, 403, fields)
    reply = world['a-member'].patch(
        '/v1/clustertemplates/%s' % world.ids['tA'],
        [{'op': 'replace', 'path': '/public', 'value': True}])
    kh.expect(reply, 403)


def test_no_cluster_from_a_hidden_template_for_non_admins(world):
    reply = world['a-member'].post('/v1/clusters', {
        'name': kh.unique('hid'), 'cluster_template_id': world.ids['tHid']})
    kh.expect(reply, 403)


def test_other_project_builds_from_the_public_template(world):
    member = world['b-member']
    uuid = kh.expect(member.post('/v1/clusters', {
        'name': kh.unique('pub'), 'cluster_template_id': world.ids['tPub'],
        'master_count': 1, 'node_count': 1}), 202).json()['uuid']
    cluster = kh.expect(member.get('/v1/clusters/%s' % uuid), 200).json()
    assert cluster['project_id'] == world.ids['B']
    assert cluster['user_id'] == member.user['user_id']
    kh.expect(world['a-member'].get('/v1/clusters/%s' % uuid), 404)
    processes.wait_for(
        lambda: member.get('/v1/clusters/%s' % uuid).json()['status']
        in TERMINAL, 120, interval=1, message='cluster %s' % uuid)
    kh.expect(member.delete('/v1/clusters/%s' % uuid), 204)


def test_zz_admin_of_another_project_deletes_the_cluster(world):
    """Last (it removes the shared cluster): cluster:delete_all_projects."""
    kh.expect(world['b-admin'].delete('/v1/federations/%s' %
                                      world.ids['fA']), 404)
    kh.expect(world['a-member'].delete('/v1/federations/%s' %
                                       world.ids['fA']), 204)
    kh.expect(world['b-admin'].delete('/v1/clusters/%s' % world.ids['cA']),
              204)
    processes.wait_for(
        lambda: world['a-member'].get('/v1/clusters/%s' % world.ids[
            'cA']).status_code == 404, 120, interval=1,
        message='cluster %s to be deleted' % world.ids['cA'])
    for name in ('tA', 'tPub', 'tHid'):
        kh.expect(world['b-admin'].delete('/v1/clustertemplates/%s' %
                                          world.ids[name]), 204)
