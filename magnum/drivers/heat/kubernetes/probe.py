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

"""One look at a cluster's Kubernetes API, for everything Magnum reads
there: the wait of a create or update after its stack (the driver's
``observe_ready``), the periodic health check and the nodes endpoint
(``health``). One prober, so that they cannot disagree.

A look is ``GET /readyz`` then ``GET /api/v1/nodes`` (in pages), through
the ``kubernetes`` client, trusting the cluster's CA only and showing
Magnum's client certificate of the cluster (CN=admin, O=system:masters,
signed by the cluster CA when the cluster's certificates were made; the
CA's key is never read here). The certificate and its key are files only
for the look (``magnum.common.secret_files``).

Bounded: the requests of a look share one budget (``[kubernetes]
api_timeout``), nothing is retried, and an error is an answer: the look
says why it saw nothing, it never raises. Proxies of the environment are
not used (the conductor reaches the API directly, as the create did).
The server is verified by the name ``kubernetes``, which every API
server certificate of these drivers carries (``pki.SERVICE_DNS_NAMES``)
whatever address was dialled: a load balancer's VIP or a floating IP the
cloud chose is not always in the certificate.
"""

import contextlib
import dataclasses
import json
import time

from oslo_log import log as logging
import urllib3

from magnum import conf
from magnum.common import exception
from magnum.common import secret_files
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: The name the API server's certificate is checked against.
SERVER_NAME = 'kubernetes'
READY_PATH = '/readyz'
#: Nodes per page, and pages read at most (a cluster of more nodes is
#: seen in part, and says so).
NODES_PAGE = 500
MAX_PAGES = 10
#: Longest text kept of an answer (a body, a node's condition message).
MAX_TEXT = 300

READY = 'True'


@dataclasses.dataclass(frozen=True)
class Node:
    """A node as the API lists it."""

    name: str
    #: Its Ready condition's status: 'True', 'False' or 'Unknown' (also
    #: when the node has no Ready condition yet).
    ready: str
    #: The condition's reason and message when not Ready.
    why: str = ''
    addresses: tuple = ()

    @property
    def is_ready(self):
        return self.ready == READY


@dataclasses.dataclass(frozen=True)
class Observation:
    """What one look saw of the API at ``address``."""

    address: str
    #: Why nothing could be asked or nothing answered (connection, TLS,
    #: time, certificates refused); '' when the API answered.
    unreachable: str = ''
    #: The HTTP status and body (cut) of /readyz.
    ready_status: int = 0
    ready_body: str = ''
    #: The nodes, or None when they could not be read (``nodes_error``
    #: says why).
    nodes: tuple = None
    nodes_error: str = ''

    @property
    def api_ready(self):
        return self.ready_status == 200 and self.ready_body == 'ok'


class _OutOfTime(Exception):
    pass


def observe(context, cluster, budget=None):
    """Look at the cluster's API (``cluster.api_address``); an
    :class:`Observation`, whatever happened."""
    address = (cluster.api_address or '').rstrip('/')
    budget = budget or CONF.kubernetes.api_timeout
    if not address:
        return Observation('', unreachable=_('the cluster has no API '
                                             'address yet'))
    try:
        with connected(context, cluster) as client:
            deadline = time.monotonic() + budget
            return _look(client, address, deadline, budget)
    except exception.MagnumException as error:
        return Observation(address, unreachable=_(
            'Magnum cannot read its certificates of the cluster: %s') %
            error)


@contextlib.contextmanager
def connected(context, cluster):
    """A client of the cluster's API (``client.core``: its CoreV1Api)
    with the cluster's CA and Magnum's client certificate, for the time
    of the block; a MagnumException when the certificates cannot be
    read."""
    # Here, not at import: magnum-api loads the drivers without the
    # cryptography bindings certificates brings, and the kubernetes
    # client takes a second to import.
    from magnum.common import certificates
    ca = certificates.get_ca_certificate(context, cluster)
    cert, key = certificates.get_cluster_magnum_cert(context, cluster)
    with secret_files.PrivateFiles(
            {'ca.crt': ca, 'client.crt': cert, 'client.key': key},
            prefix='k8s-%s-' % cluster.uuid[:8]) as files:
        # Made before any clock starts: the first client of a process
        # takes about a second to import and build (no I/O).
        client = _client((cluster.api_address or '').rstrip('/'), files)
        try:
            yield client
        finally:
            client.close()


def _client(address, files):
    """An ApiClient of the address, and its CoreV1Api as ``client.core``
    (no I/O: urllib3 connects at the first request)."""
    from kubernetes import client as k8s
    configuration = k8s.Configuration()
    configuration.host = address
    configuration.verify_ssl = True
    configuration.ssl_ca_cert = files.path('ca.crt')
    configuration.cert_file = files.path('client.crt')
    configuration.key_file = files.path('client.key')
    configuration.tls_server_name = SERVER_NAME
    # urllib3 raises the first error as it is (a retry would double the
    # time an unreachable cluster holds the health check up).
    configuration.retries = False
    configuration.proxy = None
    configuration.connection_pool_maxsize = 1
    client = k8s.ApiClient(configuration)
    client.core = k8s.CoreV1Api(client)
    return client


def _remaining(deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise _OutOfTime()
    return left


def _look(client, address, deadline, budget):
    from kubernetes.client import exceptions as k8s_exceptions
    try:
        status, body = _readyz(client, address, _remaining(deadline))
    except TRANSPORT_ERRORS + (_OutOfTime,) as error:
        return Observation(address, unreachable=describe(error, budget))
    except k8s_exceptions.ApiException as error:
        # The client's own wrapping of a TLS failure (status 0).
        return Observation(address, unreachable=describe(error, budget))
    if status in (401, 403):
        return Observation(address, unreachable=_(
            'it refused Magnum\'s client certificate of the cluster (HTTP '
            '%(status)d: %(body)s)') % {'status': status,
                                       'body': cut(body) or '-'})
    nodes, nodes_error = None, ''
    try:
        nodes = _nodes(client, deadline)
    except TRANSPORT_ERRORS + (_OutOfTime,) as error:
        nodes_error = describe(error, budget)
    except k8s_exceptions.ApiException as error:
        nodes_error = describe(error, budget) if not error.status else \
            _('HTTP %(status)s: %(message)s') % {
                'status': error.status,
                'message': _status_message(error.body)}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        nodes_error = _('not a NodeList: %s') % error
    return Observation(address, ready_status=status,
                       ready_body=_ready_text(status, body), nodes=nodes,
                       nodes_error=nodes_error)


def _readyz(client, address, timeout):
    from kubernetes.client import exceptions as k8s_exceptions
    try:
        response = client.rest_client.request(
            'GET', address + READY_PATH,
            headers={'Accept': 'text/plain, */*',
                     'User-Agent': 'magnum-conductor'},
            _request_timeout=timeout)
    except k8s_exceptions.ApiException as error:
        if not error.status:
            raise  # a TLS failure, as the client wraps it
        # Some versions of the client raise on an HTTP error.
        return error.status, as_text(error.body)
    data = response.data if getattr(response, 'data', None) is not None \
        else response.read()
    return response.status, as_text(data)


def _nodes(client, deadline):
    core = client.core
    found, token = [], None
    for _page in range(MAX_PAGES):
        kwargs = {'limit': NODES_PAGE, '_preload_content': False,
                  '_request_timeout': _remaining(deadline)}
        if token:
            kwargs['_continue'] = token
        listed = json.loads(as_text(core.list_node(**kwargs).data))
        found.extend(_node(item) for item in listed.get('items') or [])
        token = (listed.get('metadata') or {}).get('continue')
        if not token:
            break
    else:
        LOG.warning('Kubernetes API at %s lists more than %d nodes; the '
                    'others are not read', client.configuration.host,
                    NODES_PAGE * MAX_PAGES)
    return tuple(sorted(found, key=lambda n: n.name))


def _node(item):
    status = item.get('status') or {}
    condition = next((c for c in status.get('conditions') or []
                      if c.get('type') == 'Ready'), None) or {}
    ready = condition.get('status') or 'Unknown'
    why = ''
    if ready != READY:
        why = cut(': '.join(text for text in (
            condition.get('reason'), condition.get('message')) if text)) \
            or _('it has no Ready condition yet')
    addresses = tuple(a.get('address') for a in status.get('addresses') or []
                      if a.get('type') in ('InternalIP', 'ExternalIP') and
                      a.get('address'))
    return Node(name=item['metadata']['name'], ready=ready, why=why,
                addresses=addresses)


def as_text(data):
    if isinstance(data, bytes):
        return data.decode('utf-8', 'replace')
    return data or ''


def cut(text):
    text = ' '.join((text or '').split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + '...'


def _ready_text(status, body):
    """/readyz's answer as a reason: 'ok', or the checks that failed
    (lines '[-]etcd failed: reason withheld') and its verdict."""
    body = (body or '').strip()
    if status == 200:
        return cut(body)
    lines = body.splitlines()
    failed = [line.strip() for line in lines if line.startswith('[-]')]
    if failed:
        return cut('; '.join(failed + [lines[-1].strip()]))
    return cut(_status_message(body) or 'HTTP %d' % status)


def _status_message(body):
    """The message of a Kubernetes Status object, else the body."""
    text = as_text(body)
    try:
        return cut(json.loads(text).get('message') or text)
    except (ValueError, AttributeError):
        return cut(text)


TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError)


def describe(error, budget):
    """A person's words for why a request got no answer."""
    errors = urllib3.exceptions
    if getattr(error, 'status', None) == 0 and getattr(error, 'reason',
                                                       None):
        # The kubernetes client turns urllib3's SSLError into an
        # ApiException of status 0: "SSLError\n<the error>".
        return _tls_failed(error.reason.split('\n', 1)[-1])
    if isinstance(error, errors.ProtocolError) and len(error.args) > 1:
        # What urllib3 wraps: a timeout in the TLS handshake, a reset.
        error = error.args[1]
    if isinstance(error, errors.NewConnectionError):
        # "<HTTPSConnection object at 0x...>: Failed to establish ...":
        # the object is noise. (A subclass of ConnectTimeoutError.)
        return _('cannot connect: %s') % cut(str(error).split(': ', 1)[-1])
    if isinstance(error, errors.ConnectTimeoutError):
        return _('no connection within %d s ([kubernetes] api_timeout): '
                 'is the address reachable from the conductor (security '
                 'group, router, floating IP)?') % budget
    if isinstance(error, (_OutOfTime, errors.TimeoutError, TimeoutError)):
        return _('no answer within %d s ([kubernetes] api_timeout)') % \
            budget
    if isinstance(error, errors.SSLError):
        return _tls_failed(str(error.args[0] if error.args else error))
    if isinstance(error, errors.ProtocolError):
        return _('the connection broke: %s') % cut(str(error))
    if isinstance(error, ConnectionError):
        return _('the connection broke: %s') % cut(str(error) or type(
            error).__name__)
    return cut(str(error)) or type(error).__name__


def _tls_failed(text):
    return _('TLS failed: %s (the server must show a certificate of the '
             'cluster\'s CA naming "kubernetes", and accept Magnum\'s '
             'client certificate)') % cut(text)
