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

"""Nodes and containers of a cluster (microversion 1.16): RPC calls
answered by asking the cluster's driver, which reads the outside world.

Whatever the outside world raises becomes a 503 naming the cluster and
its endpoint (the API never answers 500 for a cluster it cannot reach);
Magnum's own 4xx errors pass through as they are.
"""

import base64
import collections
from concurrent import futures
import contextlib
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import objects
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.conductor import image_uploads
from magnum.conductor.handlers import cluster_conductor
from magnum.drivers.common import container_client
from magnum.i18n import _
from magnum.objects import container as container_object

LOG = logging.getLogger(__name__)

READY = 'Ready'
UNKNOWN = container_object.ContainerStatus.UNKNOWN
ERROR = container_object.ContainerStatus.ERROR

# docker_url is for the container handler, never shown.
PRIVATE_NODE_KEYS = ('docker_url',)

# Nodes an image is loaded into at once (each a stream of the staged
# file to its engine).
LOAD_PARALLEL = 8
# Seconds a node's engine may stay silent while it loads an image (it
# unpacks each layer before it answers again) before the load fails.
LOAD_TIMEOUT = 600


def unreachable(cluster, error):
    """The 503 of a cluster whose machines cannot be reached."""
    return exception.ServiceUnavailable(
        service=_('The cluster %(cluster)s (endpoint %(endpoint)s)') % {
            'cluster': cluster.name or cluster.uuid,
            'endpoint': cluster.api_address or _('not known yet')},
        reason=error)


def _is_client_error(error):
    return isinstance(error, exception.MagnumException) and \
        400 <= getattr(error, 'code', 500) < 500


def nodes_of(context, cluster):
    """The driver's node dicts of cluster (with private keys)."""
    driver = cluster_conductor.driver_for(cluster)
    try:
        return driver.list_nodes(context, cluster)
    except Exception as error:
        if _is_client_error(error):
            raise
        LOG.warning('Cluster %s: cannot list its nodes: %s', cluster.uuid,
                    error)
        raise unreachable(cluster, error) from None


class ContainerHandler:
    """RPC endpoint: node_list, the container_* and (RPC 1.3) the
    image_upload_* calls."""

    target = messaging.Target(version='1.3')

    def __init__(self, host):
        self.host = host

    def node_list(self, context, cluster):
        cluster = cluster_conductor.reload_cluster(cluster.uuid)
        return [{key: value for key, value in node.items()
                 if key not in PRIVATE_NODE_KEYS}
                for node in nodes_of(context, cluster)]

    # -- containers -----------------------------------------------------------

    def container_create(self, context, container):
        """Place the container on a Ready node that has its image (the
        least used; workers before managers), make and start it there.
        ImageNotOnCluster (400) when no node has the image (nothing made:
        the API forgets the row); Docker's refusal leaves the row in
        Error with Docker's words; an unreachable cluster too, and 503."""
        cluster = cluster_conductor.reload_cluster(container.cluster_uuid)
        driver = cluster_conductor.driver_for(cluster)
        if not driver.runs_containers:
            raise exception.NotSupported(operation=_(
                'Running containers on clusters of the %s driver') %
                driver.name)
        ready = [n for n in nodes_of(context, cluster)
                 if n['status'] == READY and n.get('docker_url')]
        if not ready:
            _fail(container, _('No node of the cluster is Ready'))
            raise unreachable(cluster, _('no node is Ready'))
        placed = collections.Counter(
            c.host for c in objects.Container.list(
                context, filters={'cluster_uuid': cluster.uuid}))
        ready.sort(key=lambda n: (n['role'] == 'master', placed[n['name']],
                                  n['name']))
        try:
            for node in ready:
                with container_client.connect(
                        context, cluster, node['docker_url']) as client:
                    if not container_client.has_image(client,
                                                      container.image):
                        continue
                    made, status = container_client.create(client,
                                                           container)
                container.container_id = made
                container.host = node['name']
                container.status = status
                container.status_reason = None
                container.save()
                return container
        except container_client.ContainerError as error:
            _fail(container, str(error))
            return container
        except container_client.ImageMissing:
            pass
        except container_client.UNREACHABLE as error:
            _fail(container, _('The cluster could not be reached: %s') %
                  error)
            raise unreachable(cluster, error) from None
        raise exception.ImageNotOnCluster(image=container.image,
                                          cluster=cluster.name or
                                          cluster.uuid)

    def container_show(self, context, container):
        """The container with what its node says of it now (Unknown with
        the reason when the node or the container is gone)."""
        if not container.container_id:
            return container
        try:
            with self._client(context, container) as client:
                status, reason = container_client.status(
                    client, container.container_id)
        except (_NodeGone, _NodeDown) as lost:
            status, reason = UNKNOWN, str(lost)
        except container_client.ContainerGone:
            status, reason = UNKNOWN, _(
                'The container is gone from node %s (removed outside '
                'Magnum); delete it') % container.host
        except container_client.UNREACHABLE as error:
            status, reason = UNKNOWN, _('Node %(node)s does not answer: '
                                        '%(error)s') % {
                                            'node': container.host,
                                            'error': error}
        _record(container, status, reason)
        return container

    def container_action(self, context, container, action):
        """start, stop, restart, pause or unpause; the container after."""
        with self._operating(context, container) as client:
            status, reason = container_client.act(
                client, container.container_id, action)
        container.status = status
        container.status_reason = reason
        container.save()
        return container

    def container_logs(self, context, container, tail=None, since=None):
        with self._operating(context, container) as client:
            return {'output': container_client.logs(
                client, container.container_id, tail=tail, since=since)}

    def container_execute(self, context, container, command):
        with self._operating(context, container) as client:
            code, output = container_client.execute(
                client, container.container_id, command)
        return {'exit_code': code, 'output': output}

    def container_stats(self, context, container):
        with self._operating(context, container) as client:
            return container_client.stats(client, container.container_id)

    def container_delete(self, context, container, force=False):
        """Remove the container from its node, then its row. Without
        ``force`` a running container and a node that is down are a 409,
        an unreachable node a 503; with it the row goes whatever the node
        says."""
        if container.container_id:
            try:
                with self._client(context, container) as client:
                    container_client.remove(client, container.container_id,
                                            force)
            except _NodeGone:
                pass
            except _NodeDown as down:
                if not force:
                    raise exception.Conflict(message=_(
                        '%(down)s; delete with force=true to forget the '
                        'container (it is not removed from the node if '
                        'the node comes back)') % {'down': down}) from None
                LOG.warning('Container %s: deleted while %s', container.uuid,
                            down)
            except container_client.ContainerError as error:
                raise exception.Conflict(message=str(error)) from None
            except container_client.UNREACHABLE as error:
                if not force:
                    cluster = cluster_conductor.reload_cluster(
                        container.cluster_uuid)
                    raise unreachable(cluster, error) from None
                LOG.warning('Container %s: deleted while node %s does not '
                            'answer: %s', container.uuid, container.host,
                            error)
        container.destroy()

    # -- the operator's image import (load_image) -------------------------

    def image_upload_begin(self, context, cluster, size=None):
        """Stage a new image upload on this host for ``cluster``;
        {'upload': id, 'host': this host}, where its chunks go."""
        cluster = cluster_conductor.reload_cluster(cluster.uuid)
        driver = cluster_conductor.driver_for(cluster)
        if not driver.runs_containers:
            raise exception.NotSupported(operation=_(
                'Loading images into clusters of the %s driver') %
                driver.name)
        return {'upload': image_uploads.begin(size, self.host),
                'host': self.host}

    def image_upload_chunk(self, context, upload, offset, data):
        """Append ``data`` (base64) at ``offset``; the size after."""
        return image_uploads.append(upload, offset, base64.b64decode(data))

    def image_upload_abort(self, context, upload):
        image_uploads.remove(upload)

    def image_upload_finish(self, context, cluster, upload, size):
        """Load the staged tarball (``docker save`` format, perhaps
        compressed) into every Ready node, all at once; {node name:
        [image names]}. The staged file goes whatever happens."""
        try:
            path = image_uploads.staged(upload, size)
            cluster = cluster_conductor.reload_cluster(cluster.uuid)
            ready = [n for n in nodes_of(context, cluster)
                     if n['status'] == READY and n.get('docker_url')]
            if not ready:
                raise unreachable(cluster, _('no node is Ready'))
            started = time.monotonic()
            with futures.ThreadPoolExecutor(
                    max_workers=min(LOAD_PARALLEL, len(ready)),
                    thread_name_prefix='load-image') as pool:
                loads = {node['name']: pool.submit(
                    _load_into, context, cluster, node, path)
                    for node in ready}
            loaded = _loaded(cluster, loads)
            LOG.info('Cluster %(cluster)s: image upload %(upload)s '
                     '(%(size).1f MiB) loaded into %(nodes)d nodes in '
                     '%(seconds).1f s', {
                         'cluster': cluster.uuid, 'upload': upload,
                         'size': size / 2 ** 20, 'nodes': len(ready),
                         'seconds': time.monotonic() - started})
            return loaded
        finally:
            image_uploads.remove(upload)

    # -- helpers --------------------------------------------------------------

    @contextlib.contextmanager
    def _client(self, context, container):
        """A docker client of the node the container was placed on;
        _NodeGone when the cluster has no such node any more, _NodeDown
        when it has but the node cannot be reached (stopped, lost)."""
        cluster = cluster_conductor.reload_cluster(container.cluster_uuid)
        node = next((n for n in nodes_of(context, cluster)
                     if n['name'] == container.host), None)
        if node is None:
            raise _NodeGone(_('Node %s, where the container ran, is no '
                              'longer part of the cluster') %
                            container.host)
        if not node.get('docker_url'):
            raise _NodeDown(_('Node %(node)s, where the container runs, is '
                              '%(status)s (%(reason)s)') % {
                                  'node': container.host,
                                  'status': node.get('status'),
                                  'reason': node.get('status_reason') or
                                  _('no address')})
        with container_client.connect(context, cluster,
                                      node['docker_url']) as client:
            yield client

    @contextlib.contextmanager
    def _operating(self, context, container):
        """_client for an action: what cannot be done is a 4xx (409 for
        a container that is gone or refuses), an unreachable node 503."""
        if not container.container_id:
            raise exception.Conflict(message=_(
                'Container %(name)s was never made (status %(status)s: '
                '%(reason)s)') % {'name': container.name or container.uuid,
                                  'status': container.status,
                                  'reason': container.status_reason})
        try:
            with self._client(context, container) as client:
                yield client
        except (_NodeGone, container_client.ContainerGone) as gone:
            self.container_show(context, container)
            raise exception.Conflict(message=_(
                'Container %(name)s is gone: %(reason)s') % {
                    'name': container.name or container.uuid,
                    'reason': container.status_reason or gone}) from None
        except _NodeDown as down:
            _record(container, UNKNOWN, str(down))
            raise exception.Conflict(message=_(
                'Container %(name)s cannot be reached: %(reason)s') % {
                    'name': container.name or container.uuid,
                    'reason': down}) from None
        except container_client.ContainerError as error:
            raise exception.Conflict(message=str(error)) from None
        except container_client.UNREACHABLE as error:
            cluster = cluster_conductor.reload_cluster(
                container.cluster_uuid)
            raise unreachable(cluster, error) from None


def sync_containers(owns):
    """The periodic sync of containers (one pass, from the conductor's
    periodic runner): each container row of a cluster this conductor
    ``owns`` (a predicate of the cluster) is compared with its node.
    A container gone from its node, or whose node left the cluster, is
    forgotten (its row destroyed: it was shown Unknown with the reason
    until now); one whose node does not answer stays, Unknown with the
    reason. Returns how many rows were forgotten."""
    context = magnum_context.get_admin_context()
    context.all_tenants = True
    handler = ContainerHandler('sync')
    forgotten = 0
    clusters = {}
    for container in objects.Container.list(context):
        if not container.container_id or container.status in (
                container_object.ContainerStatus.CREATING,):
            continue
        cluster = clusters.get(container.cluster_uuid)
        if cluster is None:
            try:
                cluster = cluster_conductor.reload_cluster(
                    container.cluster_uuid)
            except exception.ClusterNotFound:
                container.destroy()
                forgotten += 1
                continue
            clusters[cluster.uuid] = cluster
        if not owns(cluster):
            continue
        try:
            with handler._client(context, container) as client:
                status, reason = container_client.status(
                    client, container.container_id)
        except (_NodeGone, container_client.ContainerGone) as gone:
            LOG.info('Container %s is gone from cluster %s (%s): '
                     'forgetting it', container.uuid, cluster.uuid,
                     gone or 'not on its node')
            container.destroy()
            forgotten += 1
            continue
        except _NodeDown as down:
            # Kept: the node may come back with the container on it.
            status, reason = UNKNOWN, str(down)
        except Exception as error:
            status, reason = UNKNOWN, _('Node %(node)s does not answer: '
                                        '%(error)s') % {
                                            'node': container.host,
                                            'error': error}
        _record(container, status, reason)
    return forgotten


class _NodeGone(Exception):
    """The container's node is no longer part of the cluster."""


class _NodeDown(Exception):
    """The container's node is part of the cluster but has no address
    to reach it at (stopped or lost): the container may come back with
    it."""


def _record(container, status, reason):
    """Save what the node says of the container, when it changed."""
    if (status, reason) != (container.status, container.status_reason):
        container.status = status
        container.status_reason = reason
        container.save()


def _fail(container, reason):
    _record(container, ERROR, reason)


def _load_into(context, cluster, node, path):
    """Stream the tarball at path to the node's engine; the image names
    it loaded."""
    with open(path, 'rb') as tarball, container_client.connect(
            context, cluster, node['docker_url'],
            timeout=LOAD_TIMEOUT) as client:
        return container_client.load_image(client, tarball)


def _loaded(cluster, loads):
    """{node: image names} of finished loads; the first failure (a node
    that refused the tarball: 400 with its words; one that does not
    answer: 503) once every load has ended."""
    loaded = {}
    for name, load in sorted(loads.items()):
        try:
            loaded[name] = load.result()
        except container_client.ContainerError as error:
            raise exception.InvalidParameterValue(
                err=_('Node %(node)s refused the image: %(error)s') % {
                    'node': name, 'error': error}) from None
        except container_client.UNREACHABLE as error:
            raise unreachable(cluster, error) from None
    return loaded
