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

"""schemathesis (property-based fuzzing driven by our own
``/v1/openapi.json``) against a live magnum-api and magnum-conductor on
MariaDB and RabbitMQ.

Every operation of the document is exercised by schemathesis's coverage,
fuzzing and stateful phases; the run fails on any 5xx, any response whose
status, content type or body does not match the document, and a document
schemathesis cannot load. A few objects are made first (a template, a
cluster, a federation, a quota) and their identifiers offered to the
fuzzer, so operations on one object are tried on real ones as well as on
missing ones.

The seed is fixed so that CI is repeatable: ``MAGNUM_FUZZ_SEED`` picks
another, ``MAGNUM_FUZZ_EXAMPLES`` more examples per operation (a longer,
wider run: ``MAGNUM_FUZZ_EXAMPLES=200 MAGNUM_FUZZ_SEED=$RANDOM``).
"""

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from magnum.tests.functional import processes
from magnum.tests.functional import services

ST = os.path.join(os.path.dirname(sys.executable), 'st')
SEED = os.environ.get('MAGNUM_FUZZ_SEED', '20261206')
EXAMPLES = os.environ.get('MAGNUM_FUZZ_EXAMPLES', '25')
VERSION_HEADER = 'OpenStack-API-Version: container-infra latest'
HTTP_METHODS = ('get', 'put', 'post', 'delete', 'patch', 'head',
                'options')
CHECKS = ('not_a_server_error,status_code_conformance,'
          'content_type_conformance,response_schema_conformance')


@pytest.fixture(scope='module')
def deployment(migrated_db_url, tmp_path_factory):
    rabbit = processes.require_rabbitmq()
    # Only the Heat drivers, with their cloud look-ups off: nothing the
    # fuzzer creates is built (there is no Keystone token under noauth,
    # so a cluster fails at once), and no request needs a Docker engine.
    magnum = services.Deployment(
        tmp_path_factory.mktemp('magnum-fuzz'), migrated_db_url, rabbit,
        config={'drivers': {'disabled_drivers': 'local_swarm'},
                'cloud_validation': {'enabled': 'false'}})
    magnum.start_or_explain()
    yield magnum
    magnum.stop()


def _call(deployment, method, path, body=None):
    request = urllib.request.Request(
        deployment.url + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={'Content-Type': 'application/json',
                 'OpenStack-API-Version': 'container-infra latest'})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def _seed(deployment):
    """Objects for the fuzzer to find; their identifiers by parameter."""
    template = _call(deployment, 'POST', '/v1/clustertemplates', {
        'name': 'fuzz-template', 'coe': 'kubernetes',
        'image_id': 'fedora-coreos', 'cluster_distro': 'fedora-coreos',
        'server_type': 'vm', 'external_network_id': 'public'})
    cluster = _call(deployment, 'POST', '/v1/clusters', {
        'name': 'fuzz-cluster', 'cluster_template_id': template['uuid'],
        'master_count': 1, 'node_count': 1})
    federation = _call(deployment, 'POST', '/v1/federations', {
        'name': 'fuzz-federation', 'hostcluster_id': cluster['uuid'],
        'properties': {'dns-zone': 'fuzz.example.com.'}})
    _call(deployment, 'POST', '/v1/quotas', {
        'project_id': 'fuzz-project', 'resource': 'Cluster',
        'hard_limit': 5})
    return {'cluster_ident': cluster['uuid'],
            'bay_ident': cluster['uuid'],
            'ident': template['uuid'],
            'federation_ident': federation['uuid'],
            'project_id': 'fuzz-project', 'resource': 'Cluster'}


def _config(path, known):
    lines = ['[parameters]']
    for name, value in sorted(known.items()):
        lines.append('"path.%s" = "%s"' % (name, value))
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_no_request_gets_a_5xx_or_an_answer_the_document_does_not_allow(
        deployment, tmp_path):
    known = _seed(deployment)
    command = [
        ST, '--config-file', _config(tmp_path / 'schemathesis.toml', known),
        'run', deployment.url + '/v1/openapi.json',
        '--header', VERSION_HEADER, '--checks', CHECKS,
        '--phases', 'examples,coverage,fuzzing,stateful',
        '--max-examples', EXAMPLES, '--seed', SEED, '--workers', '2',
        '--request-timeout', '30', '--no-color']
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=1200, stdin=subprocess.DEVNULL)
    report = result.stdout + result.stderr
    assert result.returncode == 0, (
        'schemathesis (seed %s) found failures:\n%s\n\nmagnum logs:\n%s' % (
            SEED, report[-20000:], deployment.logs(tail=6000)))
    # The run really exercised every operation of the document.
    document = _call(deployment, 'GET', '/v1/openapi.json')
    operations = sum(1 for item in document['paths'].values()
                     for method in item if method in HTTP_METHODS)
    assert 'Selected: %d/%d' % (operations, operations) in report, \
        report[-3000:]
    assert 'Tested: %d' % operations in report, report[-3000:]
