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

"""Client side of the conductor's RPC API (contract 2.12).

The version is in the target; bump the minor version for every method or
argument added, and note it here:

    1.0 - ping_conductor, cluster_create/update/delete/resize/upgrade,
          nodegroup_create/update/delete, sign_certificate,
          get_ca_certificate, rotate_ca_certificate, credential_rotate,
          federation_create/update/delete
    1.1 - validate_cluster_template, validate_cluster (a driver's
          validation run on the conductor's host)
    1.2 - ``request`` (the uuid of the ClusterRequest the API recorded)
          for cluster_update, cluster_resize and nodegroup_create/
          update/delete: the conductor that takes the work claims it
    1.3 - image_upload_begin/chunk/finish/abort (load_image streamed
          through one conductor host), replacing load_image
"""

import base64

import kombu.exceptions
from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import conf
from magnum.common import exception
from magnum.common import rpc

CONF = conf.CONF
LOG = logging.getLogger(__name__)

RPC_API_VERSION = '1.3'
# The version of the casts that carry their recorded request.
REQUEST_VERSION = '1.2'
# The version of the image_upload_* calls.
IMAGE_UPLOAD_VERSION = '1.3'
# What every method not added since is sent as, so that a conductor of
# 1.0 still serves them.
BASE_VERSION = '1.0'

# Attempts to reach the broker again for one message when it is down.
# oslo.messaging's default is to try for ever, which hangs the request
# (and its API worker) until the broker is back; with the default
# rabbit_retry_interval and rabbit_retry_backoff this gives up after
# about 5 seconds and the caller gets a 503 naming the broker.
SEND_RETRIES = 2


# What a message that could not reach the broker raises: oslo.messaging's
# own failure once it has given up, or kombu's when a new connection's
# bounded retries ran out before oslo.messaging could wrap the error.
BROKER_UNREACHABLE = (messaging.MessageDeliveryFailure,
                      kombu.exceptions.OperationalError)

# Whether this process has a reply queue on the broker. oslo.messaging
# declares it at the first call, on a connection that retries for ever:
# with the broker down, that first call would hang its request. Until a
# call has got that far, a cast with bounded retries checks the broker
# first. (Once declared, the reply queue reconnects by itself and sends
# are bounded by SEND_RETRIES.)
_reply_queue = {'ready': False}


# What oslo.messaging appends to the name of an exception class it
# rebuilt from a conductor's reply.
REMOTE_SUFFIX = '_Remote'


def conductor_error(context, method, remote_type, remote_value):
    """The one API error for whatever the conductor raised that is not
    one of magnum.common.exception's (those cross RPC as themselves, with
    their own status: the conductor raises them for the API on purpose).
    Anything else is a fault: its type and words are logged here, with
    the request id, and the caller gets a 500 naming that id only (the
    words may hold hosts, paths or a traceback)."""
    request_id = getattr(context, 'request_id', None) or '-'
    LOG.error('Request %(request)s: the conductor failed %(method)s with '
              '%(type)s: %(value)s', {
                  'request': request_id, 'method': method,
                  'type': remote_type, 'value': remote_value})
    return exception.ConductorError(method=method.replace('_', ' '),
                                    request_id=request_id)


class ConductorAPI:
    """Calls and casts from the API (or a conductor) to any conductor.

    Casts return at once; the conductor reports through the object's
    status. Calls wait at most ``[conductor] rpc_call_timeout`` seconds and
    raise ConductorUnavailable (503) when no conductor answers.
    """

    def __init__(self, topic=None, timeout=None):
        self._topic = topic or CONF.conductor.topic
        self._timeout = timeout or CONF.conductor.rpc_call_timeout
        target = messaging.Target(topic=self._topic,
                                  version=BASE_VERSION)
        self._client = rpc.get_client(target, version_cap=RPC_API_VERSION,
                                      timeout=self._timeout)

    def _call(self, context, method, version=None, server=None,
              timeout=None, **kwargs):
        """Call method on any conductor, or on the conductors of host
        ``server``; wait ``timeout`` seconds (rpc_call_timeout when
        None)."""
        if not _reply_queue['ready']:
            # A harmless message (a conductor answers a ping cast by doing
            # nothing) that fails fast when the broker is unreachable.
            self._cast(context, 'ping_conductor')
        prepared = {'retry': SEND_RETRIES}
        if version:
            prepared['version'] = version
        if server:
            prepared['server'] = server
        if timeout:
            prepared['timeout'] = timeout
        try:
            result = self._client.prepare(**prepared).call(
                context, method, **kwargs)
        except messaging.MessagingTimeout:
            _reply_queue['ready'] = True
            raise exception.ConductorUnavailable(
                timeout=timeout or self._timeout)
        except BROKER_UNREACHABLE as error:
            raise exception.ServiceUnavailable(service='message broker',
                                               reason=error)
        except exception.MagnumException:
            _reply_queue['ready'] = True
            raise  # raised for the API on purpose: its own status
        except messaging.RemoteError as error:
            _reply_queue['ready'] = True
            raise conductor_error(context, method, error.exc_type,
                                  error.value) from None
        except messaging.MessagingException:
            raise  # the transport's own failure, not the conductor's
        except Exception as error:
            # A builtin error oslo.messaging rebuilt from the reply
            # (<name>_Remote, or KeyError and the like under their own
            # name), or one of this side's serializer.
            _reply_queue['ready'] = True
            name = type(error).__name__
            if name.endswith(REMOTE_SUFFIX):
                name = name[:-len(REMOTE_SUFFIX)]
            raise conductor_error(context, method, name,
                                  str(error)) from None
        _reply_queue['ready'] = True
        return result

    def _cast(self, context, method, version=None, server=None, **kwargs):
        prepared = {'retry': SEND_RETRIES}
        if version:
            prepared['version'] = version
        if server:
            prepared['server'] = server
        try:
            self._client.prepare(**prepared).cast(
                context, method, **kwargs)
        except BROKER_UNREACHABLE + (messaging.MessagingTimeout,) as error:
            raise exception.ServiceUnavailable(service='message broker',
                                               reason=error)

    def ping_conductor(self, context):
        """True once any conductor answered; 503 when none did in time."""
        return self._call(context, 'ping_conductor')

    # -- clusters -----------------------------------------------------------

    def cluster_create(self, context, cluster, create_timeout):
        self._cast(context, 'cluster_create', cluster=cluster,
                   create_timeout=create_timeout)

    def _recorded_cast(self, context, method, request, **kwargs):
        """A cast whose request the API recorded (ClusterRequest): its
        uuid goes along, for the conductor to claim; without one, sent
        as a 1.0 conductor takes it."""
        if request is None:
            self._cast(context, method, **kwargs)
        else:
            self._cast(context, method, version=REQUEST_VERSION,
                       request=request, **kwargs)

    def cluster_update(self, context, cluster, node_count=None,
                       health_status=None, health_status_reason=None,
                       rollback=False, request=None):
        self._recorded_cast(context, 'cluster_update', request,
                            cluster=cluster, node_count=node_count,
                            health_status=health_status,
                            health_status_reason=health_status_reason,
                            rollback=rollback)

    def cluster_delete(self, context, uuid):
        self._cast(context, 'cluster_delete', uuid=uuid)

    def cluster_resize(self, context, cluster, node_count, nodes_to_remove,
                       nodegroup, request=None):
        self._recorded_cast(context, 'cluster_resize', request,
                            cluster=cluster, node_count=node_count,
                            nodes_to_remove=nodes_to_remove,
                            nodegroup=nodegroup)

    def cluster_upgrade(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup):
        return self._call(context, 'cluster_upgrade', cluster=cluster,
                          cluster_template=cluster_template,
                          max_batch_size=max_batch_size, nodegroup=nodegroup)

    # -- a driver's validation on the conductor's host -----------------------

    def validate_cluster_template(self, context, driver, values):
        """The template's values as driver ``driver`` completed them, or
        its 4xx error (drivers with ``validates_on_conductor``)."""
        return self._call(context, 'validate_cluster_template',
                          version='1.1', driver=driver, values=values)

    def validate_cluster(self, context, driver, values, cluster_template):
        self._call(context, 'validate_cluster', version='1.1',
                   driver=driver, values=values,
                   cluster_template=cluster_template)

    # -- nodegroups ---------------------------------------------------------

    def nodegroup_create(self, context, cluster, nodegroup, request=None):
        self._recorded_cast(context, 'nodegroup_create', request,
                            cluster=cluster, nodegroup=nodegroup)

    def nodegroup_update(self, context, cluster, nodegroup, request=None):
        self._recorded_cast(context, 'nodegroup_update', request,
                            cluster=cluster, nodegroup=nodegroup)

    def nodegroup_delete(self, context, cluster, nodegroup, request=None):
        self._recorded_cast(context, 'nodegroup_delete', request,
                            cluster=cluster, nodegroup=nodegroup)

    # -- certificates and credentials ---------------------------------------

    def sign_certificate(self, context, cluster, certificate):
        return self._call(context, 'sign_certificate', cluster=cluster,
                          certificate=certificate)

    def get_ca_certificate(self, context, cluster, ca_cert_type=None):
        return self._call(context, 'get_ca_certificate', cluster=cluster,
                          ca_cert_type=ca_cert_type)

    def rotate_ca_certificate(self, context, cluster):
        return self._call(context, 'rotate_ca_certificate', cluster=cluster)

    def credential_rotate(self, context, cluster):
        return self._call(context, 'credential_rotate', cluster=cluster)

    # -- federations --------------------------------------------------------

    def federation_create(self, context, federation, create_timeout):
        self._cast(context, 'federation_create', federation=federation,
                   create_timeout=create_timeout)

    def federation_update(self, context, federation, rollback=False):
        self._cast(context, 'federation_update', federation=federation,
                   rollback=rollback)

    def federation_delete(self, context, uuid):
        self._cast(context, 'federation_delete', uuid=uuid)

    # -- nodes and containers (1.16) -----------------------------------------

    def node_list(self, context, cluster):
        """The machines of ``cluster`` as its driver sees them now."""
        return self._call(context, 'node_list', cluster=cluster)

    def container_create(self, context, container):
        return self._call(context, 'container_create', container=container)

    def container_show(self, context, container):
        return self._call(context, 'container_show', container=container)

    def container_action(self, context, container, action):
        return self._call(context, 'container_action', container=container,
                          action=action)

    def container_logs(self, context, container, tail=None, since=None):
        return self._call(context, 'container_logs', container=container,
                          tail=tail, since=since)

    def container_execute(self, context, container, command):
        return self._call(context, 'container_execute',
                          container=container, command=command)

    def container_stats(self, context, container):
        return self._call(context, 'container_stats', container=container)

    def container_delete(self, context, container, force=False):
        return self._call(context, 'container_delete', container=container,
                          force=force)

    # An image tarball for load_image goes in chunks to one conductor
    # host (magnum.conductor.image_uploads): begin on any conductor, then
    # every call to the host that answered.

    def image_upload_begin(self, context, cluster, size=None):
        """{'upload': id, 'host': conductor host} of a new upload of
        ``size`` bytes (None: not known yet) for ``cluster``."""
        return self._call(context, 'image_upload_begin',
                          version=IMAGE_UPLOAD_VERSION, cluster=cluster,
                          size=size)

    def image_upload_chunk(self, context, host, upload, offset, data):
        """Append ``data`` (bytes) at ``offset``; the size after."""
        return self._call(context, 'image_upload_chunk',
                          version=IMAGE_UPLOAD_VERSION, server=host,
                          upload=upload, offset=offset,
                          data=base64.b64encode(data).decode('ascii'))

    def image_upload_finish(self, context, host, cluster, upload, size,
                            timeout):
        """Load the upload of ``size`` bytes into every Ready node of
        ``cluster``, waiting at most ``timeout`` seconds; {node: [image
        names]}."""
        return self._call(context, 'image_upload_finish',
                          version=IMAGE_UPLOAD_VERSION, server=host,
                          timeout=timeout, cluster=cluster, upload=upload,
                          size=size)

    def image_upload_abort(self, context, host, upload):
        """Forget an upload that will not be finished."""
        self._cast(context, 'image_upload_abort',
                   version=IMAGE_UPLOAD_VERSION, server=host, upload=upload)
