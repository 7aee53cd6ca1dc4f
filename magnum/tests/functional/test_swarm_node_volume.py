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

"""The swarm_vm boot script's Docker volume step on a real block device.

The script (magnum/drivers/heat/swarm_vm/boot.py), rendered by the
driver's own function with real certificates, its volume placeholder
replaced by a volume id as Heat's ``str_replace`` in node.yaml does, runs
as root in a container of the swarm node image with the node's
privileges (magnum/drivers/local/confinement.py: SYS_ADMIN, not
privileged), as the test cloud's Nova stand-in runs user data.

What stands in for what, and why:

- the Cinder volume: a loop device of this machine (a sparse file),
  handed to the container with ``--device`` at the path udev gives a
  virtio disk, ``/dev/disk/by-id/virtio-<first 20 characters of the
  volume id>`` (nothing makes that link in a container). The block
  device is real: mkfs.ext4, blkid and mount work on it in the node;
- a Nova rebuild: the container removed and a new one of the same image
  made at the same address with the same device (a rebuild keeps the
  port and the attached volumes and gives a new root disk).

Proven here: the device is found, formatted once (a second boot finds the
file system and keeps the data), mounted at /var/lib/docker before dockerd
starts, with an fstab entry; dockerd keeps its state there; after the
rebuild the node comes back under its old swarm node id and takes an
upgrade's mark (label and drain) off its own entry; a volume that never
appears, or a device the node cannot read, ends the script with a message
naming the volume, and nothing is formatted. Not proven: udev's by-id
link and SCSI name on a real VM, cloud-init, systemd's path of the script
(docker.service and its RequiresMountsFor; the node image has no
systemd), and a swarm of several nodes around a kept identity (the
driver's side of it is in magnum/tests/unit/drivers/heat/
test_swarm_upgrade.py).

Needs root on this machine (losetup) and the private Docker engine on
the same kernel; without them the tests skip (fail under CI=true).
"""

import ipaddress
import os
import random
import shutil
import subprocess
import uuid

import docker.errors
import pytest

from magnum.common.x509 import operations
from magnum.drivers.heat.swarm_vm import boot
from magnum.drivers.local import confinement
from magnum.tests.functional import docker_engine

VOLUME_SIZE = 1 << 30    # sparse: dockerd's state takes a few MB


@pytest.fixture(scope='module')
def loop_device(tmp_path_factory):
    """A real block device: a loop device on a sparse file."""
    losetup = shutil.which('losetup')
    if os.geteuid() != 0 or not losetup:
        docker_engine.unavailable('a loop device needs root and losetup')
    backing = tmp_path_factory.mktemp('swarm-volume') / 'volume.img'
    with open(backing, 'wb') as handle:
        handle.truncate(VOLUME_SIZE)
    result = subprocess.run([losetup, '--find', '--show', str(backing)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        docker_engine.unavailable('losetup: %s' % result.stderr.strip())
    device = result.stdout.strip()
    yield device
    subprocess.run([losetup, '--detach', device], check=False)


@pytest.fixture(scope='module')
def network(engine):
    subnet = ipaddress.ip_network('10.%d.%d.0/24' % (
        random.randint(160, 250), random.randint(0, 255)))
    made = engine.networks.create(
        'swarm-volume-%s' % uuid.uuid4().hex[:8], driver='bridge',
        ipam=docker.types.IPAMConfig(pool_configs=[
            docker.types.IPAMPool(subnet=str(subnet))]))
    yield made, str(subnet[10])
    made.remove()


@pytest.fixture(scope='module')
def pems():
    ca, ca_key = operations.generate_ca_certificate('swarm-volume-ca')
    return ca, ca_key


class Node:
    """A container standing in for a Nova server of the node image."""

    def __init__(self, engine, network, address, devices=()):
        self.container = engine.containers.create(
            docker_engine.IMAGE, ['sleep', 'infinity'], init=True,
            detach=True, name='swarm-volume-%s' % uuid.uuid4().hex[:8],
            hostname='swarm-volume-node', network=network.name,
            devices=list(devices), **confinement.NODE_RUN_OPTIONS)
        network.disconnect(self.container)
        network.connect(self.container, ipv4_address=address)
        self.container.start()

    def boot(self, script, timeout=240):
        """Run the user data as root: (exit status, output)."""
        self.container.put_archive('/', _tar('boot.sh', script))
        runner = '(%s) || exit $?\nexec sh /boot.sh' % (
            confinement.CGROUP_SETUP)
        result = self.container.exec_run(
            ['timeout', str(timeout), 'sh', '-c', runner], user='root')
        return result.exit_code, result.output.decode(errors='replace')

    def sh(self, command):
        result = self.container.exec_run(['sh', '-c', command], user='root')
        output = result.output.decode(errors='replace').strip()
        assert result.exit_code == 0, (command, output)
        return output

    def remove(self):
        try:
            self.container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass


def _tar(name, text):
    import io
    import tarfile
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o700
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _script(pems, address, volume_id, volume_wait=30):
    """The user data Heat gives the node: the driver's script with the
    node template's str_replace of the placeholder done."""
    ca, ca_key = pems
    cert, key = operations.generate_server_certificate(
        ca, ca_key, 'swarm-volume-node', ip_addresses=[address])
    text = boot.script(
        address, address, True, 'manager', {'magnum.role': 'master'},
        operations.certificate_to_pem(ca),
        operations.certificate_to_pem(cert),
        operations.private_key_to_pem(key),
        volume_wait=volume_wait)
    assert text.count(boot.VOLUME_PLACEHOLDER) == 1
    return text.replace(boot.VOLUME_PLACEHOLDER, volume_id)


def _by_id(volume_id):
    return '/dev/disk/by-id/virtio-%s' % volume_id[:20]


def test_docker_on_the_volume_and_its_identity_kept_by_a_rebuild(
        engine, network, loop_device, pems):
    net, address = network
    volume_id = str(uuid.uuid4())
    script = _script(pems, address, volume_id)
    device = '%s:%s:rwm' % (loop_device, _by_id(volume_id))
    first = Node(engine, net, address, [device])
    try:
        code, output = first.boot(script)
        assert code == 0, output
        assert 'mkfs.ext4' in output, output
        assert first.sh('findmnt -n -o SOURCE,FSTYPE --target '
                        '/var/lib/docker | tail -n 1') == \
            '%s ext4' % _by_id(volume_id)
        assert first.sh('grep " /var/lib/docker " /etc/fstab') == \
            '%s /var/lib/docker auto defaults,nofail 0 2' % _by_id(volume_id)
        assert first.sh("docker info --format '{{.DockerRootDir}}'") == \
            '/var/lib/docker'
        node_id = first.sh("docker info --format '{{.Swarm.NodeID}}'")
        assert first.sh('ls /var/lib/docker/swarm')
        first.sh('echo kept > /var/lib/docker/magnum-test-marker')
        # What an upgrade does before the rebuild: mark and drain.
        first.sh('docker node update --availability drain --label-add '
                 '%s=1700000000 %s' % (boot.REPLACED_LABEL, node_id))
    finally:
        first.remove()
    # The rebuild: a new root disk at the same address, the same volume.
    second = Node(engine, net, address, [device])
    try:
        code, output = second.boot(script)
        assert code == 0, output
        assert 'mkfs.ext4' not in output, output
        assert 'kept its swarm identity (node %s)' % node_id in output, \
            output
        assert second.sh('cat /var/lib/docker/magnum-test-marker') == 'kept'
        assert second.sh("docker info --format "
                         "'{{.Swarm.NodeID}} {{.Swarm.LocalNodeState}}'") \
            == '%s active' % node_id
        spec = second.sh("docker node inspect --format '{{.Spec.Availability}}"
                         " {{json .Spec.Labels}}' %s" % node_id)
        assert spec == 'active {"magnum.role":"master"}', spec
        # Booted a third time on the same root disk (the script run
        # again): the volume is already in place.
        code, output = second.boot(script)
        assert code == 0, output
        assert 'already on volume %s' % volume_id in output, output
        assert second.sh('grep -c " /var/lib/docker " /etc/fstab') == '1'
    finally:
        second.remove()


def test_a_volume_that_never_appears_fails_naming_it(engine, network, pems):
    net, address = network
    volume_id = str(uuid.uuid4())
    node = Node(engine, net, str(ipaddress.ip_address(address) + 1))
    try:
        code, output = node.boot(_script(pems, address, volume_id,
                                          volume_wait=4))
        assert code == 1, output
        assert ('magnum: the Cinder volume %s (docker_volume_size) for '
                '/var/lib/docker did not appear as %s or '
                '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_%s within 4s'
                % (volume_id, _by_id(volume_id), volume_id[:20])) in \
            output, output
        # dockerd never started on the root disk.
        assert 'dockerd' not in node.sh('cat /proc/[0-9]*/comm')
    finally:
        node.remove()


def test_an_unreadable_device_is_never_formatted(engine, network, pems):
    """A block device the node may not open (this engine's device cgroup
    refuses it): blkid cannot tell a file system from none there, so the
    script fails rather than format it."""
    net, address = network
    volume_id = str(uuid.uuid4())
    node = Node(engine, net, str(ipaddress.ip_address(address) + 2))
    try:
        node.sh('mkdir -p /dev/disk/by-id && mknod %s b 7 250'
                % _by_id(volume_id))
        code, output = node.boot(_script(pems, address, volume_id))
        assert code == 1, output
        assert 'magnum: cannot read volume %s' % volume_id in output, \
            output
        assert 'mkfs' not in output, output
        assert 'tmpfs' == node.sh(
            'findmnt -n -o FSTYPE --target /var/lib/docker | tail -n 1')
    finally:
        node.remove()
