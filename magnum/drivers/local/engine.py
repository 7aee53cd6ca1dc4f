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

"""The Docker engine the local driver builds clusters on.

Every failure of the engine becomes an ``EngineError`` whose message says
which engine, what was being done and what the engine answered, so that it
can be a cluster's status reason as it is.
"""

import contextlib
import errno
import os
import socket
import urllib.parse

import docker
import docker.errors
from oslo_log import log as logging
import requests.exceptions

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

DEFAULT_SOCKET = 'unix:///var/run/docker.sock'

# What the engine answers when a published port is taken.
PORT_IN_USE = ('port is already allocated', 'address already in use')


class EngineError(exception.MagnumException):
    message = _('%(reason)s')


class EngineUnavailable(EngineError):
    """The engine does not answer."""


class ImageMissing(EngineError):
    """The node image is not in the engine."""


class PortInUse(EngineError):
    """A host port asked for is taken."""


def engine_url():
    """The engine's URL as configured (for messages and decisions)."""
    return (CONF.local_driver.docker_host or os.environ.get('DOCKER_HOST') or
            DEFAULT_SOCKET)


def is_local(url):
    """True when the engine runs on this host (a unix socket or a TCP
    address of this host): published ports are then this host's ports."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ('unix', 'npipe', ''):
        return True
    return parsed.hostname in ('localhost', '127.0.0.1', '::1')


def port_is_free(address, port):
    """Whether a process of this host could listen on (address, port)."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    bind_to = '' if address in ('0.0.0.0', '::') else address
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((bind_to, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


class Engine:
    """A client of the configured Docker engine, connected on first use."""

    def __init__(self, client=None):
        self._client = client
        self._cpus = None
        self.url = engine_url()

    # -- connection ---------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            with self.calling(_('connecting')):
                timeout = CONF.local_driver.engine_timeout
                if CONF.local_driver.docker_host:
                    client = docker.DockerClient(
                        base_url=CONF.local_driver.docker_host,
                        version='auto', timeout=timeout)
                else:
                    client = docker.from_env(version='auto', timeout=timeout)
                # A local engine is wanted, never a proxy, and the CA of a
                # TLS engine is the one configured, whatever
                # REQUESTS_CA_BUNDLE says.
                client.api.trust_env = False
                self._client = client
        return self._client

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    @contextlib.contextmanager
    def calling(self, what):
        """Turn the engine's failures into EngineErrors naming ``what``."""
        try:
            yield
        except EngineError:
            raise
        except docker.errors.APIError as error:
            raise EngineError(reason=_(
                'The Docker engine at %(url)s refused %(what)s: '
                '%(error)s') % {'url': self.url, 'what': what,
                                'error': error.explanation or error}
            ) from error
        except (docker.errors.DockerException,
                requests.exceptions.RequestException, OSError) as error:
            raise EngineUnavailable(reason=_(
                'The Docker engine at %(url)s cannot be reached '
                '(%(what)s): %(error)s. Start it (tools/docker-engine.sh '
                'start) or point [local_driver] docker_host at a running '
                'engine.') % {'url': self.url, 'what': what,
                              'error': error}) from error

    def ping(self):
        with self.calling(_('a ping')):
            self.client.ping()

    def cpu_count(self):
        if self._cpus is None:
            with self.calling(_('reading its host\'s CPU count')):
                self._cpus = int(self.client.info().get('NCPU') or 1)
        return self._cpus

    # -- images -------------------------------------------------------------

    def image(self, name):
        """The image ``name``; ImageMissing naming how to get it."""
        try:
            with self.calling(_('looking up image %s') % name):
                return self.client.images.get(name)
        except EngineError as error:
            if isinstance(error.__cause__, docker.errors.NotFound):
                raise ImageMissing(reason=_(
                    'Node image %(image)s is not in the Docker engine at '
                    '%(url)s. Build it with tools/build-node-image.sh or '
                    'load it with "docker load" / "docker import"; no '
                    'registry is used.') % {'image': name, 'url': self.url})
            raise

    def has_image(self, name):
        try:
            self.image(name)
        except ImageMissing:
            return False
        return True

    def tag_image(self, name, new_name):
        repository, _sep, tag = new_name.rpartition(':')
        with self.calling(_('tagging image %s') % name):
            self.image(name).tag(repository, tag)

    # -- what belongs to a cluster ------------------------------------------

    def containers(self, labels):
        """Containers (running or not) carrying every label of
        ``labels`` (a dict)."""
        filters = {'label': ['%s=%s' % item for item in labels.items()]}
        with self.calling(_('listing containers')):
            # A container removed between the listing and its inspection
            # (a node whose host port was taken, by another thread) is
            # simply not there, rather than a failed listing.
            return self.client.containers.list(all=True, filters=filters,
                                               ignore_removed=True)

    def networks(self, labels):
        filters = {'label': ['%s=%s' % item for item in labels.items()]}
        with self.calling(_('listing networks')):
            return self.client.networks.list(filters=filters)

    def volumes(self, labels):
        filters = {'label': ['%s=%s' % item for item in labels.items()]}
        with self.calling(_('listing volumes')):
            return self.client.volumes.list(filters=filters)

    def get_container(self, name):
        """The container ``name`` or None."""
        try:
            with self.calling(_('looking up container %s') % name):
                return self.client.containers.get(name)
        except EngineError as error:
            if isinstance(error.__cause__, docker.errors.NotFound):
                return None
            raise

    def create_network(self, name, labels):
        with self.calling(_('creating network %s') % name):
            return self.client.networks.create(
                name, driver='bridge', labels=labels, check_duplicate=True)

    def run(self, image, command, name, **options):
        """Create and start a container. When the start fails the
        container is removed again; a taken host port is a PortInUse."""
        with self.calling(_('creating container %s') % name):
            container = self.client.containers.create(
                image, command, name=name, detach=True, **options)
        try:
            with self.calling(_('starting container %s') % name):
                container.start()
        except EngineError as error:
            self.remove_container(container)
            message = str(error)
            if any(text in message for text in PORT_IN_USE):
                raise PortInUse(reason=message) from error
            raise
        with self.calling(_('inspecting container %s') % name):
            container.reload()
        return container

    def remove_container(self, container):
        """Remove a container (and its anonymous volumes); gone is fine."""
        try:
            with self.calling(_('removing container %s') % container.name):
                container.remove(force=True, v=True)
        except EngineError as error:
            if not isinstance(error.__cause__, docker.errors.NotFound):
                raise

    def remove_network(self, network):
        try:
            with self.calling(_('removing network %s') % network.name):
                network.remove()
        except EngineError as error:
            if not isinstance(error.__cause__, docker.errors.NotFound):
                raise

    def remove_volume(self, volume):
        try:
            with self.calling(_('removing volume %s') % volume.name):
                volume.remove(force=True)
        except EngineError as error:
            if not isinstance(error.__cause__, docker.errors.NotFound):
                raise

    def exec(self, container, command):
        """(exit code, output) of ``command`` run in ``container``."""
        with self.calling(_('running a command in %s') % container.name):
            result = container.exec_run(command)
        return result.exit_code, result.output

    def put_archive(self, container, path, data):
        with self.calling(_('copying files into %s') % container.name):
            if not container.put_archive(path, data):
                raise EngineError(reason=_(
                    'The Docker engine at %(url)s did not copy files into '
                    '%(name)s') % {'url': self.url, 'name': container.name})

    def signal(self, container, signal):
        with self.calling(_('signalling %s') % container.name):
            container.kill(signal=signal)

    def logs(self, container, lines=20):
        """The end of a container's log, for failure reasons; never
        raises."""
        try:
            return container.logs(tail=lines).decode(errors='replace')
        except Exception:
            return ''

    # -- ports --------------------------------------------------------------

    def used_ports(self):
        """Host ports any container of the engine publishes or will
        publish when started again."""
        used = set()
        with self.calling(_('listing published ports')):
            containers = self.client.containers.list(all=True,
                                                     ignore_removed=True)
        for container in containers:
            bindings = (container.attrs.get('HostConfig') or {}).get(
                'PortBindings') or {}
            for host_bindings in bindings.values():
                for binding in host_bindings or []:
                    port = binding.get('HostPort')
                    if port and port.isdigit():
                        used.add(int(port))
        return used

    def host_port_free(self, address, port):
        """Whether this host's (address, port) is free; always True for an
        engine on another host, which is then the one to ask."""
        if not is_local(self.url):
            return True
        return port_is_free(address, port)
