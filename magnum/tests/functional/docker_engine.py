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

"""The private Docker engine of the functional tests, shared by every
module that builds clusters with the local driver.

``tools/docker-engine.sh start`` brings the engine up (installing
docker.io when it is missing) and ``tools/build-node-image.sh`` imports
the swarm node image when it is not there yet; both are idempotent, so
the first module to ask pays for them and the others reuse the result.
Without root or the scripts' success the tests skip, under ``CI=true``
they fail.
"""

import functools
import io
import os
import re
import shutil
import subprocess
import tarfile

import pytest

from magnum.drivers.local import nodes
from magnum.tests import db_backends

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
ENGINE_SCRIPT = os.path.join(ROOT, 'tools', 'docker-engine.sh')
IMAGE_SCRIPT = os.path.join(ROOT, 'tools', 'build-node-image.sh')
IMAGE = 'magnum/swarm-node:%s' % os.environ.get('MAGNUM_NODE_IMAGE_TAG',
                                               'bookworm-1')
ENGINE_TIMEOUT = 300     # may install docker.io first
IMAGE_TIMEOUT = 1200     # debootstrap takes about 70 s on a good mirror


def unavailable(message):
    """Skip, or fail under CI=true, because something needed is missing."""
    if db_backends.in_ci():
        pytest.fail(message + ' (CI=true)', pytrace=False)
    pytest.skip(message)


def run_script(argv, timeout, env=None):
    """stdout of a tools/ script that must succeed."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True,
                                timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        unavailable('%s took more than %d s' % (' '.join(argv), timeout))
    if result.returncode != 0:
        tail = '\n'.join((result.stderr or result.stdout).splitlines()[-15:])
        unavailable('%s failed (exit %d):\n%s' % (
            ' '.join(argv), result.returncode, tail))
    return result.stdout


@functools.cache
def _started_engine():
    out = run_script([ENGINE_SCRIPT, 'start'], ENGINE_TIMEOUT)
    match = re.search(r'^export DOCKER_HOST=(\S+)$', out, re.M)
    if not match:
        unavailable('docker-engine.sh start printed no DOCKER_HOST: %r' % out)
    return match.group(1)


@functools.cache
def _built_image(url):
    run_script([IMAGE_SCRIPT], IMAGE_TIMEOUT,
               env=dict(os.environ, DOCKER_HOST=url))
    return IMAGE


def engine_url(with_node_image=True):
    """The private engine's DOCKER_HOST, started (and the node image
    built) on first use in this process."""
    if os.geteuid() != 0:
        unavailable('the private Docker engine needs root')
    url = _started_engine()
    if with_node_image:
        _built_image(url)
    return url


def leftovers(engine, cluster_uuid):
    """Containers, networks and volumes the engine still has of a
    cluster."""
    label = {'label': '%s=%s' % (nodes.LABEL_CLUSTER, cluster_uuid)}
    return (engine.containers.list(all=True, filters=label) +
            engine.networks.list(filters=label) +
            engine.volumes.list(filters=label))


@functools.cache
def sleep_image():
    """A tar of a tiny root file system: this host's sleep and the
    libraries it needs, for "docker import" into nodes that have no
    registry to pull from."""
    binary = os.path.realpath(shutil.which('sleep'))
    out = subprocess.run(['ldd', binary], capture_output=True, text=True,
                         check=True).stdout
    files = {'bin/sleep': binary}
    for path in re.findall(r'(/\S+\.so[.\d]*)', out):
        files[path.lstrip('/')] = os.path.realpath(path)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        for name, source in sorted(files.items()):
            archive.add(source, arcname=name)
    return buffer.getvalue()
