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

"""Containers on one node of a swarm cluster, through the node's Docker
API over mutual TLS with Magnum's client certificate of the cluster
(never the user's): what the container handler of the conductor does
with a container of API 1.16.

A Magnum container is a plain container on one chosen node, not a
one-replica swarm service: exec, pause, logs and stats then go to the
one engine that runs it, and what a user asked for (memory, CPU, ports,
restart policy) maps one to one to the container's settings. The price:
a container whose node is lost is not rescheduled; it shows Unknown
with the reason (doc/source/user/containers.rst).

Every function takes a docker client of the node (see connect) and
raises ContainerError (Docker refused: the message is Docker's own),
ContainerGone (no such container on the node) or one of
swarm_api.UNREACHABLE (the node does not answer).
"""

import contextlib
import datetime

import docker.errors

from magnum.drivers.common import swarm_api
from magnum.i18n import _

#: Label carried by every container Magnum makes: the row's uuid.
LABEL_CONTAINER = 'org.openstack.magnum.container'

#: Docker's state -> the status the API shows.
STATUS_OF_STATE = {
    'created': 'Stopped', 'running': 'Running', 'paused': 'Paused',
    'restarting': 'Running', 'removing': 'Deleting', 'exited': 'Stopped',
    'dead': 'Error',
}

UNREACHABLE = swarm_api.UNREACHABLE


class ContainerError(Exception):
    """Docker refused an operation; the message is Docker's."""


class ContainerGone(Exception):
    """The node has no such container (removed behind Magnum's back)."""


class ImageMissing(Exception):
    """The node has no image of that name (no registry is reachable)."""


@contextlib.contextmanager
def connect(context, cluster, docker_url, timeout=30):
    """A docker client of the node at docker_url, closed after."""
    with swarm_api.cluster_tls(context, cluster) as tls:
        client = swarm_api.client(docker_url, tls, timeout)
        try:
            yield client
        finally:
            client.close()


def _docker_error(error):
    explanation = getattr(error, 'explanation', None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors='replace')
    return ContainerError(explanation or str(error))


@contextlib.contextmanager
def _calling():
    try:
        yield
    except docker.errors.NotFound as error:
        raise ContainerGone(str(error)) from error
    except docker.errors.APIError as error:
        raise _docker_error(error) from error


def has_image(client, image):
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as error:
        raise _docker_error(error) from error


def memory_bytes(memory):
    """'512m' -> bytes; the units of docker run (b, k, m, g)."""
    text = (memory or '').strip().lower()
    units = {'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}
    factor = units.get(text[-1:], None)
    number = text[:-1] if factor else text
    if not (number.isascii() and number.isdigit()):
        raise ValueError(_('%r is not a size like 512m: a whole number '
                           'and one of b, k, m, g') % (memory,))
    return int(number) * (factor or 1)


def run_options(container):
    """docker run keyword arguments for a Container object."""
    labels = dict(container.labels or {})
    labels[LABEL_CONTAINER] = container.uuid
    options = {
        'image': container.image,
        'command': list(container.command) if container.command else None,
        'name': 'magnum-%s' % container.uuid,
        'labels': labels,
        'environment': dict(container.environment or {}),
        'detach': True,
    }
    if container.memory:
        options['mem_limit'] = memory_bytes(container.memory)
    if container.cpu:
        options['nano_cpus'] = int(container.cpu * 1e9)
    ports = {}
    for port in container.ports or []:
        key = '%s/%s' % (port['container_port'],
                         port.get('protocol') or 'tcp')
        ports[key] = int(port['host_port']) if port.get('host_port') \
            else None
    if ports:
        options['ports'] = ports
    policy = container.restart_policy or {}
    if policy.get('name'):
        options['restart_policy'] = {
            'Name': policy['name'],
            'MaximumRetryCount': int(policy.get('maximum_retry_count') or 0)}
    return options


def create(client, container):
    """Make and start the container; (docker id, status). Raises
    ImageMissing when the node has not the image."""
    if not has_image(client, container.image):
        raise ImageMissing(container.image)
    options = run_options(container)
    with _calling():
        made = client.containers.create(**options)
    try:
        with _calling():
            made.start()
            made.reload()
    except ContainerError:
        # Docker made it but could not start it (a command not in the
        # image): nothing may stay behind the row in Error.
        with contextlib.suppress(Exception):
            made.remove(force=True)
        raise
    return made.id, STATUS_OF_STATE.get(made.status, 'Unknown')


def get(client, container_id):
    with _calling():
        return client.containers.get(container_id)


def status(client, container_id):
    """(status, reason) of the container as Docker shows it now."""
    found = get(client, container_id)
    state = found.attrs.get('State') or {}
    reason = None
    if state.get('Status') == 'exited':
        reason = _('exited with code %s') % state.get('ExitCode')
    if state.get('Error'):
        reason = state['Error']
    return STATUS_OF_STATE.get(state.get('Status'), 'Unknown'), reason


def act(client, container_id, action):
    """start, stop, restart, pause or unpause; the status after it."""
    found = get(client, container_id)
    with _calling():
        if action == 'stop':
            found.stop(timeout=10)
        elif action == 'restart':
            found.restart(timeout=10)
        else:
            getattr(found, action)()
    return status(client, container_id)


def remove(client, container_id, force):
    """Remove the container (force: even while it runs). Already
    gone is fine."""
    try:
        found = get(client, container_id)
    except ContainerGone:
        return
    with _calling():
        found.remove(force=force)


def logs(client, container_id, tail=None, since=None):
    """The container's stdout and stderr as text."""
    found = get(client, container_id)
    options = {'stdout': True, 'stderr': True, 'timestamps': False}
    if tail is not None:
        options['tail'] = tail
    if since is not None:
        options['since'] = since
    with _calling():
        return found.logs(**options).decode(errors='replace')


def execute(client, container_id, command):
    """Run command (a list) in the container: (exit code, output)."""
    found = get(client, container_id)
    with _calling():
        result = found.exec_run(command, stdout=True, stderr=True)
    return result.exit_code, (result.output or b'').decode(errors='replace')


def stats(client, container_id):
    """One sample of the container's resource usage."""
    found = get(client, container_id)
    with _calling():
        sample = found.stats(stream=False)
    memory = sample.get('memory_stats') or {}
    cpu = sample.get('cpu_stats') or {}
    precpu = sample.get('precpu_stats') or {}
    cpu_delta = ((cpu.get('cpu_usage') or {}).get('total_usage', 0) -
                 (precpu.get('cpu_usage') or {}).get('total_usage', 0))
    system_delta = (cpu.get('system_cpu_usage') or 0) - (
        precpu.get('system_cpu_usage') or 0)
    online = cpu.get('online_cpus') or 1
    percent = (cpu_delta / system_delta * online * 100.0
               if system_delta > 0 and cpu_delta > 0 else 0.0)
    networks = sample.get('networks') or {}
    return {
        'read_at': sample.get('read') or datetime.datetime.now(
            datetime.timezone.utc).isoformat(),
        'cpu_percent': round(percent, 3),
        'memory_usage': memory.get('usage'),
        'memory_limit': memory.get('limit'),
        'network_rx_bytes': sum(n.get('rx_bytes', 0)
                                for n in networks.values()),
        'network_tx_bytes': sum(n.get('tx_bytes', 0)
                                for n in networks.values()),
        'pids': (sample.get('pids_stats') or {}).get('current'),
    }


def load_image(client, tarball):
    """Import an image tarball (docker save format, perhaps compressed;
    bytes or a file, which is streamed) into the node; the names of the
    images it held."""
    with _calling():
        try:
            loaded = client.images.load(tarball)
        except docker.errors.ImageLoadError as error:
            raise ContainerError(str(error)) from error
    return sorted({tag for image in loaded for tag in image.tags})
