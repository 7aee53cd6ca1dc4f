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

"""Capture the API reference's examples from a running Magnum API.

Drives a live magnum-api (with a conductor and the local Docker driver,
e.g. ``magnum-all-in-one`` with ``auth_strategy = noauth``) through every
operation the reference shows, and writes each request body sent and
response body received into ``api-ref/source/samples/``, unchanged but
for indentation::

    python api-ref/capture_samples.py http://127.0.0.1:9511 \\
        --image magnum/swarm-node:bookworm-1

It creates and deletes its own template, cluster, nodegroup, quota and
federation (names starting ``api-ref-``); the cluster is a real one, so
the engine needs the node image (tools/build-node-image.sh).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'source', 'samples')
VERSION = 'container-infra 1.15'


class Capture:

    def __init__(self, url):
        self.url = url.rstrip('/')
        self.session = requests.Session()
        self.session.headers['OpenStack-API-Version'] = VERSION

    def write(self, name, body):
        with open(os.path.join(SAMPLES, name), 'w') as out:
            json.dump(body, out, indent=4, sort_keys=False)
            out.write('\n')

    def call(self, method, path, sample=None, body=None, expect=None,
             headers=None):
        response = self.session.request(method, self.url + path, json=body,
                                        headers=headers or {})
        if expect is not None and response.status_code != expect:
            sys.exit('%s %s: expected %s, got %s: %s' % (
                method, path, expect, response.status_code, response.text))
        if sample and body is not None:
            self.write('%s-req.json' % sample, body)
        if sample and response.content:
            self.write('%s-resp.json' % sample, response.json())
        return response.json() if response.content else None

    def wait(self, path, field='status', timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = self.call('GET', path)[field]
            if status.endswith('_COMPLETE'):
                return
            if status.endswith('_FAILED'):
                sys.exit('%s: %s' % (path, status))
            time.sleep(1)
        sys.exit('%s: still %s after %ss' % (path, status, timeout))

    def wait_gone(self, path, timeout=300):
        deadline = time.time() + timeout
        while self.session.get(self.url + path).status_code != 404:
            if time.time() > deadline:
                sys.exit('%s: still there after %ss' % (path, timeout))
            time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url')
    parser.add_argument('--image', default='magnum/swarm-node:bookworm-1')
    args = parser.parse_args()
    os.makedirs(SAMPLES, exist_ok=True)
    c = Capture(args.url)

    c.call('GET', '/', 'versions-get', expect=200)
    c.call('GET', '/v1/', 'version-v1-get', expect=200)

    template = {
        'name': 'api-ref-template', 'coe': 'swarm-mode',
        'server_type': 'container', 'image_id': args.image,
        'external_network_id': 'host', 'flavor_id': 'm1.small',
        'master_flavor_id': 'm1.small', 'labels': {'purpose': 'api-ref'},
        'tags': 'docs'}
    c.call('POST', '/v1/clustertemplates', 'clustertemplate-create',
           template, expect=201)
    c.call('GET', '/v1/clustertemplates', 'clustertemplate-list',
           expect=200)
    c.call('GET', '/v1/clustertemplates/detail',
           'clustertemplate-list-detail', expect=200)
    c.call('PATCH', '/v1/clustertemplates/api-ref-template',
           'clustertemplate-update',
           [{'op': 'replace', 'path': '/labels',
             'value': {'purpose': 'api-ref', 'tier': 'gold'}}], expect=200)
    c.call('GET', '/v1/clustertemplates/api-ref-template',
           'clustertemplate-get', expect=200)
    upgrade_template = dict(template, name='api-ref-template-2',
                            labels={'purpose': 'api-ref', 'tier': 'gold'})
    c.call('POST', '/v1/clustertemplates', None, upgrade_template,
           expect=201)

    cluster = c.call('POST', '/v1/clusters', 'cluster-create', {
        'name': 'api-ref-cluster', 'cluster_template_id': 'api-ref-template',
        'master_count': 1, 'node_count': 1, 'create_timeout': 30,
        'labels': {'purpose': 'api-ref'}, 'merge_labels': True},
        expect=202)
    path = '/v1/clusters/%s' % cluster['uuid']
    c.wait(path)
    c.call('GET', '/v1/clusters', 'cluster-list', expect=200)
    c.call('GET', '/v1/clusters/detail', 'cluster-list-detail', expect=200)
    c.call('GET', path, 'cluster-get', expect=200)
    c.call('PATCH', path, 'cluster-update',
           [{'op': 'replace', 'path': '/node_count', 'value': 2}],
           expect=202)
    c.wait(path)
    c.call('POST', path + '/actions/resize', 'cluster-resize',
           {'node_count': 1, 'nodegroup': 'default-worker'}, expect=202)
    c.wait(path)

    ngs = path + '/nodegroups'
    c.call('POST', ngs, 'nodegroup-create', {
        'name': 'api-ref-workers', 'node_count': 1, 'role': 'worker',
        'labels': {'zone': 'b'}, 'node_labels': {'disk': 'ssd'},
        'min_node_count': 1, 'max_node_count': 3}, expect=202)
    c.wait(ngs + '/api-ref-workers')
    c.call('GET', ngs, 'nodegroup-list', expect=200)
    c.call('GET', ngs + '/api-ref-workers', 'nodegroup-get', expect=200)
    c.call('PATCH', ngs + '/api-ref-workers', 'nodegroup-update',
           [{'op': 'replace', 'path': '/max_node_count', 'value': 4}],
           expect=202)
    c.wait(ngs + '/api-ref-workers')
    c.call('DELETE', ngs + '/api-ref-workers', expect=204)
    c.wait_gone(ngs + '/api-ref-workers')
    c.wait(path)

    c.call('GET', '/v1/certificates/%s' % cluster['uuid'], 'certificate-get',
           expect=200)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ['openssl', 'req', '-new', '-newkey', 'rsa:2048', '-nodes',
             '-keyout', os.path.join(tmp, 'key.pem'), '-subj', '/CN=alice',
             '-out', os.path.join(tmp, 'csr.pem')],
            check=True, capture_output=True)
        with open(os.path.join(tmp, 'csr.pem')) as f:
            csr = f.read()
    c.call('POST', '/v1/certificates', 'certificate-sign',
           {'cluster_uuid': cluster['uuid'], 'csr': csr}, expect=201)
    c.call('PATCH', '/v1/certificates/%s' % cluster['uuid'], None,
           expect=202)
    c.wait(path)
    # Under noauth no application credential exists to rotate, and the
    # local driver cannot rotate its own: the error example.
    c.call('PATCH', '/v1/credentials/%s' % cluster['uuid'],
           'credential-rotate-error', expect=400)

    c.call('POST', path + '/actions/upgrade', 'cluster-upgrade',
           {'cluster_template': 'api-ref-template-2', 'max_batch_size': 1,
            'nodegroup': 'default-worker'}, expect=202)
    c.wait(path)

    c.call('GET', '/v1/mservices', 'mservice-list', expect=200)
    c.call('GET', '/v1/stats', 'stats-get', expect=200)

    quota = {'project_id': 'api-ref-project', 'resource': 'Cluster',
             'hard_limit': 10}
    c.call('POST', '/v1/quotas', 'quota-create', quota, expect=201)
    c.call('GET', '/v1/quotas', 'quota-list', expect=200)
    c.call('GET', '/v1/quotas/api-ref-project/Cluster', 'quota-get',
           expect=200)
    c.call('PATCH', '/v1/quotas/api-ref-project/Cluster', 'quota-update',
           dict(quota, hard_limit=20), expect=202)
    c.call('DELETE', '/v1/quotas/api-ref-project/Cluster', expect=204)

    federation = c.call('POST', '/v1/federations', 'federation-create', {
        'name': 'api-ref-federation', 'hostcluster_id': cluster['uuid'],
        'properties': {'dns-zone': 'example.com.'}}, expect=202)
    c.call('GET', '/v1/federations', 'federation-list', expect=200)
    c.call('GET', '/v1/federations/detail', 'federation-list-detail',
           expect=200)
    c.call('GET', '/v1/federations/%s' % federation['uuid'],
           'federation-get', expect=200)
    c.call('PATCH', '/v1/federations/%s' % federation['uuid'],
           'federation-update',
           [{'op': 'add', 'path': '/member_ids', 'value': cluster['uuid']}],
           expect=202)
    c.call('DELETE', '/v1/federations/%s' % federation['uuid'], expect=204)

    c.call('POST', '/v1/baymodels', 'baymodel-create', dict(
        template, name='api-ref-baymodel', keypair_id='api-ref-key'),
        expect=201)
    c.call('GET', '/v1/baymodels', 'baymodel-list', expect=200)
    c.call('GET', '/v1/baymodels/detail', 'baymodel-list-detail',
           expect=200)
    c.call('PATCH', '/v1/baymodels/api-ref-baymodel', 'baymodel-update',
           [{'op': 'replace', 'path': '/tags', 'value': 'docs,legacy'}],
           expect=200)
    c.call('GET', '/v1/baymodels/api-ref-baymodel', 'baymodel-get',
           expect=200)
    bay = c.call('POST', '/v1/bays', 'bay-create', {
        'name': 'api-ref-bay', 'baymodel_id': 'api-ref-baymodel',
        'master_count': 1, 'node_count': 1, 'bay_create_timeout': 30},
        expect=202)
    bay_path = '/v1/bays/%s' % bay['uuid']
    c.wait(bay_path)
    c.call('GET', '/v1/bays', 'bay-list', expect=200)
    c.call('GET', '/v1/bays/detail', 'bay-list-detail', expect=200)
    c.call('GET', bay_path, 'bay-get', expect=200)
    c.call('PATCH', bay_path, 'bay-update',
           [{'op': 'replace', 'path': '/node_count', 'value': 2}],
           expect=202)
    c.wait(bay_path)
    c.call('DELETE', bay_path, expect=204)
    c.wait_gone(bay_path)
    c.call('DELETE', '/v1/baymodels/api-ref-baymodel', expect=204)

    c.call('DELETE', path, expect=204)
    c.wait_gone(path)
    c.call('DELETE', '/v1/clustertemplates/api-ref-template-2', expect=204)
    c.call('DELETE', '/v1/clustertemplates/api-ref-template', expect=204)


if __name__ == '__main__':
    main()
