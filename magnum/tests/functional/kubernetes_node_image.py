# TEST FIXTURE (not part of Magnum): builds the cloud-in-a-box's KUBERNETES
# STAND-IN NODE IMAGE. No Kubernetes can run on the test machines; a server
# booted from this image by the Nova stand-in does not run its user data but
# the stand-in node program of tools/cloud-in-a-box/standins/kubernetes/
# (kubernetes_node.py: what it proves and what it does not is in its first
# lines): a master serves a stand-in Kubernetes API, every node registers
# itself and posts its Ready condition. No kubelet, container runtime,
# etcd, scheduler or pod is in the image.
#
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

"""``build(engine)``: the Kubernetes stand-in node image, made once per
content.

It is the node image of tools/build-node-image.sh (``docker_engine.IMAGE``)
plus Python 3 and PyYAML (Debian packages fetched by ``apt-get download``
from the machine's own mirror, installed with ``dpkg -i`` in the build:
the node containers have no network), the two stand-in modules, and the
label ``org.openstack.magnum.standin.user-data=kubernetes-api`` that makes
the Nova stand-in run the program instead of the user data. Its tag
carries a hash of the program, so a changed program makes a new image and
an unchanged one is not built again (about a minute the first time).
"""

import hashlib
import io
import os
import subprocess
import tarfile
import tempfile

from magnum.tests.functional import docker_engine

STANDIN_DIR = os.path.join(docker_engine.ROOT, 'tools', 'cloud-in-a-box',
                           'standins', 'kubernetes')
MODULES = ('kubernetes_api.py', 'kubernetes_node.py')
#: Where the image holds them (standin_boot.KUBERNETES_PROGRAM's dir).
TARGET = '/usr/local/lib/magnum-standin'
USER_DATA_LABEL = 'org.openstack.magnum.standin.user-data'
KUBERNETES_MODE = 'kubernetes-api'
REPOSITORY = 'magnum/kubernetes-standin-node'
#: Debian packages the node image lacks for python3 and PyYAML (bookworm).
PACKAGES = ('python3.11-minimal', 'libpython3.11-minimal',
            'libpython3.11-stdlib', 'python3.11', 'python3-minimal',
            'python3', 'libpython3-stdlib', 'libexpat1', 'libnsl2',
            'libreadline8', 'libsqlite3-0', 'media-types', 'readline-common',
            'python3-yaml', 'libyaml-0-2')
BUILD_TIMEOUT = 900


def _sources():
    found = {}
    for name in MODULES:
        with open(os.path.join(STANDIN_DIR, name), 'rb') as handle:
            found[name] = handle.read()
    return found


def tag():
    """The image's name: the node image's tag and a hash of what is
    added to it."""
    digest = hashlib.sha256()
    for name, data in sorted(_sources().items()):
        digest.update(name.encode() + b'\0' + data)
    digest.update(' '.join(PACKAGES).encode())
    base = docker_engine.IMAGE.rsplit(':', 1)[1]
    return '%s:%s-%s' % (REPOSITORY, base, digest.hexdigest()[:12])


def _download(directory):
    subprocess.run(['apt-get', 'download', '-q'] + list(PACKAGES),
                   cwd=directory, check=True, capture_output=True,
                   timeout=300)
    return sorted(n for n in os.listdir(directory) if n.endswith('.deb'))


def build(engine):
    """The image's tag, built in ``engine`` (a docker client) unless it
    is there; the node image must be there (``docker_engine``'s
    fixtures build it)."""
    import docker.errors
    wanted = tag()
    try:
        engine.images.get(wanted)
        return wanted
    except docker.errors.ImageNotFound:
        pass
    dockerfile = '\n'.join([
        '# Kubernetes stand-in node (a test fixture): the node image, '
        'python3,',
        '# and the stand-in program run instead of the user data.',
        'FROM %s' % docker_engine.IMAGE,
        'COPY debs /tmp/magnum-debs',
        # In the order of their pre-dependencies (each configured before
        # the next): python3.11-minimal, python3-minimal, python3.
        'RUN cd /tmp/magnum-debs && dpkg -i libexpat1_*.deb '
        'libpython3.11-minimal_*.deb python3.11-minimal_*.deb && dpkg -i '
        'python3-minimal_*.deb && dpkg -i *.deb && cd / && '
        'rm -rf /tmp/magnum-debs '
        '&& python3 -c "import ssl, http.server, yaml"',
        'COPY standin %s' % TARGET,
        'LABEL %s=%s' % (USER_DATA_LABEL, KUBERNETES_MODE),
        'LABEL org.openstack.magnum.node-image=kubernetes-standin',
        'LABEL org.openstack.magnum.standin.about="a Kubernetes stand-in '
        'node of the test cloud: no kubelet, container runtime, etcd or '
        'API server runs; see %s/kubernetes_node.py"' % TARGET, ''])
    with tempfile.TemporaryDirectory(prefix='k8s-standin-image-') as work:
        debs = _download(work)
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode='w') as tar:
            def add(name, data, mode=0o644):
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), mode
                tar.addfile(info, io.BytesIO(data))
            add('Dockerfile', dockerfile.encode())
            for deb in debs:
                with open(os.path.join(work, deb), 'rb') as handle:
                    add('debs/%s' % deb, handle.read())
            for name, data in _sources().items():
                add('standin/%s' % name, data, 0o755)
        context.seek(0)
        image, _log = engine.images.build(
            fileobj=context, custom_context=True, tag=wanted, rm=True,
            pull=False, network_mode='none', timeout=BUILD_TIMEOUT)
    assert image.labels.get(USER_DATA_LABEL) == KUBERNETES_MODE, \
        image.labels
    return wanted
