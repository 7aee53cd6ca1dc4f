# TEST STAND-IN FOR A KUBERNETES API SERVER (a test fixture, not part of
# Magnum): no kube-apiserver can run on the test machines (no Kubernetes
# release can be downloaded; Debian has none). This module serves, over
# HTTPS with client certificates of the cluster's CA, a small subset of the
# Kubernetes API: GET /readyz and /healthz, and the v1 Node resource (list
# paged with limit/continue, get, create, update, patch with JSON merge
# patches and strategic merge patches of the conditions/addresses lists,
# delete, and the status subresource), and pods as far as a drain needs
# them (list by fieldSelector=spec.nodeName, create, and the policy/v1
# Eviction subresource, which deletes the pod at once, or answers 429 as a
# PodDisruptionBudget would for a pod a test marks refused; no other pod
# verb, no scheduling, no PodDisruptionBudget objects; system:masters
# only). It keeps the nodes and pods in memory, and
# it marks a node's Ready condition Unknown when its heartbeat is older
# than a grace period, as kube-controller-manager's node lifecycle
# controller does. Authorization is a small imitation of RBAC and the Node
# authorizer: system:masters may do everything; a kubelet
# (O=system:nodes, CN=system:node:<name>) may read nodes and write only its
# own Node; anyone else gets a Status 403.
#
# It does NOT prove that a real kube-apiserver answers exactly so (the
# shapes are written from the API reference), nor etcd, admission (the
# NodeRestriction plugin's label rules), watches, HTTP/2, field selectors,
# resource versions beyond a counter, or any other resource. It is used by
# the functional tests (magnum/tests/functional/kubernetes_api_standin.py,
# loaded by its path) and by the stand-in Kubernetes node program of the
# cloud-in-a-box (kubernetes_node.py beside it, copied into the stand-in
# node image). The standard library only.
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

"""A stand-in for a Kubernetes API server's nodes (see the first lines)."""

import copy
import datetime
import http.server
import json
import os
import ssl
import tempfile
import threading
import time
import urllib.parse
import uuid

NODES_PATH = '/api/v1/nodes'
PODS_PATH = '/api/v1/pods'
NAMESPACES_PATH = '/api/v1/namespaces/'
#: What the API answers to an eviction a PodDisruptionBudget forbids.
PDB_REFUSAL = ('Cannot evict pod as it would violate the pod\'s '
               'disruption budget.')
MASTERS_GROUP = 'system:masters'
NODES_GROUP = 'system:nodes'
NODE_USER_PREFIX = 'system:node:'
#: How long a node's Ready condition stays as its kubelet last said after
#: its last heartbeat (kube-controller-manager's --node-monitor-grace-period
#: is 40 s by default; shorter here so that tests wait less).
DEFAULT_GRACE = 20
MERGE_PATCH = 'application/merge-patch+json'
STRATEGIC_PATCH = 'application/strategic-merge-patch+json'
JSON_PATCH = 'application/json-patch+json'
#: Lists of a Node that a strategic merge patch merges by a key (the
#: others are replaced, as for a JSON merge patch).
MERGE_KEYS = {'conditions': 'type', 'addresses': 'type', 'taints': 'key'}


def now_text(moment=None):
    """A Kubernetes timestamp (RFC 3339, seconds, UTC)."""
    moment = datetime.datetime.fromtimestamp(
        time.time() if moment is None else moment, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_time(text):
    try:
        return datetime.datetime.strptime(
            text, '%Y-%m-%dT%H:%M:%SZ').replace(
                tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def status_object(code, reason, message, details=None):
    body = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
            'status': 'Failure', 'message': message, 'reason': reason,
            'code': code}
    if details:
        body['details'] = details
    return body


class APIError(Exception):
    def __init__(self, code, reason, message):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def body(self):
        return status_object(self.code, self.reason, self.message)


def merge_patch(target, patch, strategic=False):
    """``patch`` applied to ``target`` (both dicts; target is changed):
    RFC 7386, and for a strategic merge patch the lists of MERGE_KEYS
    merged by their key (an entry ``{"$patch": "delete"}`` removes)."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            if not isinstance(current, dict):
                current = target[key] = {}
            merge_patch(current, value, strategic)
        elif (strategic and isinstance(value, list) and key in MERGE_KEYS
              and isinstance(target.get(key), list)):
            by = MERGE_KEYS[key]
            merged = [copy.deepcopy(item) for item in target[key]]
            for item in value:
                if not isinstance(item, dict):
                    continue
                found = next((old for old in merged
                              if old.get(by) == item.get(by)), None)
                if item.get('$patch') == 'delete':
                    if found is not None:
                        merged.remove(found)
                elif found is not None:
                    merge_patch(found, item, strategic)
                else:
                    merged.append(copy.deepcopy(item))
            target[key] = merged
        else:
            target[key] = copy.deepcopy(value)
    return target


class NodeStore:
    """The Node objects, in memory, safe across the server's threads."""

    def __init__(self, items=(), grace=DEFAULT_GRACE):
        self.grace = grace
        self._lock = threading.Lock()
        self._version = 1000
        self._nodes = {}
        self.replace(items)

    def _next_version(self):
        self._version += 1
        return str(self._version)

    def replace(self, items):
        """Serve exactly these node objects (a test's), in this order."""
        with self._lock:
            self._nodes = {item['metadata']['name']: copy.deepcopy(item)
                           for item in items}

    def _age(self, node, moment):
        """kube-controller-manager's node lifecycle, for one node: a
        Ready condition whose heartbeat is older than the grace period
        becomes Unknown (the kubelet stopped posting its status)."""
        if not self.grace:
            return
        for condition in (node.get('status') or {}).get('conditions') or []:
            if condition.get('type') != 'Ready' or \
                    condition.get('status') == 'Unknown':
                continue
            beat = parse_time(condition.get('lastHeartbeatTime'))
            if beat is not None and moment - beat > self.grace:
                condition.update(
                    status='Unknown', reason='NodeStatusUnknown',
                    message='Kubelet stopped posting node status.',
                    lastTransitionTime=now_text(moment))
                node['metadata']['resourceVersion'] = self._next_version()

    def items(self):
        with self._lock:
            moment = time.time()
            for node in self._nodes.values():
                self._age(node, moment)
            return [copy.deepcopy(n) for n in self._nodes.values()]

    def get(self, name):
        with self._lock:
            node = self._nodes.get(name)
            if node is None:
                raise APIError(404, 'NotFound', 'nodes "%s" not found' % name)
            self._age(node, time.time())
            return copy.deepcopy(node)

    def create(self, node):
        metadata = node.get('metadata') or {}
        name = metadata.get('name')
        if not name:
            raise APIError(422, 'Invalid', 'Node "" is invalid: '
                           'metadata.name: Required value: name is required')
        with self._lock:
            if name in self._nodes:
                raise APIError(409, 'AlreadyExists',
                               'nodes "%s" already exists' % name)
            node = copy.deepcopy(node)
            node.setdefault('apiVersion', 'v1')
            node.setdefault('kind', 'Node')
            node['metadata'].update(
                uid=str(uuid.uuid4()), creationTimestamp=now_text(),
                resourceVersion=self._next_version())
            self._nodes[name] = node
            return copy.deepcopy(node)

    def update(self, name, change, status_only=False):
        """``change(node)`` applied to the stored node, which keeps its
        name, uid and creation time (and, for the status subresource,
        everything but its status)."""
        with self._lock:
            old = self._nodes.get(name)
            if old is None:
                raise APIError(404, 'NotFound', 'nodes "%s" not found' % name)
            new = change(copy.deepcopy(old))
            if not isinstance(new, dict):
                raise APIError(400, 'BadRequest', 'the body is not a Node')
            if status_only:
                kept = copy.deepcopy(old)
                kept['status'] = new.get('status') or {}
                new = kept
            else:
                new['status'] = new.get('status') or old.get('status') or {}
            metadata = new.setdefault('metadata', {})
            if metadata.get('name', name) != name:
                raise APIError(400, 'BadRequest', 'the name of the object '
                               '(%s) does not match the name on the URL (%s)'
                               % (metadata.get('name'), name))
            for key in ('name', 'uid', 'creationTimestamp'):
                metadata[key] = old['metadata'].get(key)
            metadata['resourceVersion'] = self._next_version()
            new.setdefault('apiVersion', 'v1')
            new.setdefault('kind', 'Node')
            self._nodes[name] = new
            return copy.deepcopy(new)

    def delete(self, name):
        with self._lock:
            node = self._nodes.pop(name, None)
            if node is None:
                raise APIError(404, 'NotFound', 'nodes "%s" not found' % name)
            return node


class PodStore:
    """Pods, in memory, as far as a drain needs them: ``evicted`` lists
    the (namespace, name) evicted, in order; an eviction of one in
    ``refused`` answers 429 (a PodDisruptionBudget forbidding it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pods = {}
        self.evicted = []
        self.refused = set()

    def items(self, node=None):
        with self._lock:
            return [copy.deepcopy(p) for p in self._pods.values()
                    if node is None or
                    (p.get('spec') or {}).get('nodeName') == node]

    def create(self, namespace, pod):
        name = (pod.get('metadata') or {}).get('name')
        if not name:
            raise APIError(422, 'Invalid', 'Pod "" is invalid: '
                           'metadata.name: Required value: name is required')
        with self._lock:
            if (namespace, name) in self._pods:
                raise APIError(409, 'AlreadyExists',
                               'pods "%s" already exists' % name)
            pod = copy.deepcopy(pod)
            pod.setdefault('apiVersion', 'v1')
            pod.setdefault('kind', 'Pod')
            pod['metadata'].update(namespace=namespace, uid=str(uuid.uuid4()),
                                   creationTimestamp=now_text())
            pod.setdefault('status', {'phase': 'Running'})
            self._pods[(namespace, name)] = pod
            return copy.deepcopy(pod)

    def evict(self, namespace, name):
        with self._lock:
            if (namespace, name) not in self._pods:
                raise APIError(404, 'NotFound', 'pods "%s" not found' % name)
            if (namespace, name) in self.refused:
                raise APIError(429, 'TooManyRequests', PDB_REFUSAL)
            del self._pods[(namespace, name)]
            self.evicted.append((namespace, name))


def subject_of(certificate):
    """{field: [values]} of a peer certificate's subject (ssl's dict)."""
    fields = {}
    for rdn in (certificate or {}).get('subject', ()):
        for key, value in rdn:
            fields.setdefault(key, []).append(value)
    return fields


def _user(subject):
    return (subject.get('commonName') or ['?'])[0]


def authorize(subject, verb, name=None):
    """None when allowed, else the APIError 403 RBAC/the Node authorizer
    would answer (see the first lines)."""
    groups = subject.get('organizationName', [])
    user = _user(subject)
    if MASTERS_GROUP in groups:
        return None
    if NODES_GROUP in groups and user.startswith(NODE_USER_PREFIX):
        if verb in ('get', 'list'):
            return None
        if name and name == user[len(NODE_USER_PREFIX):]:
            return None
    scope = 'at the cluster scope'
    return APIError(403, 'Forbidden', 'nodes%s is forbidden: User "%s" '
                    'cannot %s resource "nodes" in API group "" %s' % (
                        ' "%s"' % name if name else '', user, verb, scope))


class TLSServer(http.server.ThreadingHTTPServer):
    """An HTTPS server that requires a client certificate; the TLS
    handshake happens in the request's thread (a client that fails it,
    or never makes it, holds up nobody else)."""

    daemon_threads = True

    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def get_request(self):
        raw, address = self.socket.accept()
        return self.context.wrap_socket(
            raw, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def server_context(ca_pem, cert_pem, key_pem, record_sni=False):
    """An SSLContext serving cert/key and requiring a client certificate
    of the CA (PEM texts; the key is written to a private file only for
    as long as it is loaded)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix='k8s-standin-') as directory:
        cert = os.path.join(directory, 'server.crt')
        key = os.path.join(directory, 'server.key')
        with open(cert, 'w') as handle:
            handle.write(cert_pem)
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as \
                handle:
            handle.write(key_pem)
        context.load_cert_chain(cert, key)
    context.load_verify_locations(cadata=ca_pem)
    context.verify_mode = ssl.CERT_REQUIRED
    if record_sni:
        def _record(sslsocket, server_name, _context):
            sslsocket.sni = server_name
        context.sni_callback = _record
    return context


class APIServer:
    """The stand-in API serving ``store`` at ``host:port`` in a thread of
    its own until ``stop()``.

    ``ready`` ((status, body) of /readyz and /healthz) may be changed at
    any time; ``seen`` records, per request, (path, client certificate
    subject, SNI name) when ``record`` is true.
    """

    def __init__(self, context, store, host='127.0.0.1', port=0,
                 record=False):
        self.store = store
        self.pods = PodStore()
        self.ready = (200, 'ok')
        self.record = record
        self.seen = []
        self.server = TLSServer((host, port), handler_for(self), context)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True, name='k8s-standin')

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


def _page(items, query):
    start = int((query.get('continue') or ['0'])[0] or 0)
    limit = int((query.get('limit') or ['0'])[0] or 0) or len(items)
    metadata = {'resourceVersion': str(int(time.time()))}
    if start + limit < len(items):
        metadata['continue'] = str(start + limit)
        metadata['remainingItemCount'] = len(items) - start - limit
    return {'kind': 'NodeList', 'apiVersion': 'v1', 'metadata': metadata,
            'items': items[start:start + limit]}


def handler_for(api):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args):
            pass

        def _send(self, code, body, content_type='application/json'):
            data = body if isinstance(body, bytes) else (
                json.dumps(body) if content_type == 'application/json'
                else body).encode()
            self.send_response(code)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get('Content-Length') or 0)
            raw = self.rfile.read(length) if length else b''
            try:
                body = json.loads(raw or b'null')
            except ValueError as error:
                raise APIError(400, 'BadRequest',
                               'the body is not JSON: %s' % error)
            if not isinstance(body, dict):
                raise APIError(400, 'BadRequest', 'the body is not an '
                               'object')
            return body

        def _route(self, method):
            url = urllib.parse.urlsplit(self.path)
            subject = subject_of(self.connection.getpeercert())
            if api.record:
                api.seen.append((url.path, subject,
                                 getattr(self.connection, 'sni', None)))
            if method == 'GET' and url.path in ('/readyz', '/healthz',
                                                '/livez'):
                code, body = api.ready
                self._send(code, body, 'text/plain; charset=utf-8')
                return
            if url.path.rstrip('/') == PODS_PATH or \
                    url.path.startswith(NAMESPACES_PATH):
                self._pods(method, url, subject)
                return
            parts = url.path.rstrip('/').split('/')
            if url.path.rstrip('/') == NODES_PATH:
                name, sub = None, None
            elif url.path.startswith(NODES_PATH + '/') and \
                    len(parts) in (5, 6) and parts[4] and \
                    (len(parts) == 5 or parts[5] == 'status'):
                name = urllib.parse.unquote(parts[4])
                sub = parts[5] if len(parts) == 6 else None
            else:
                raise APIError(404, 'NotFound', 'the server could not find '
                               'the requested resource')
            verb = {'GET': 'get' if name else 'list', 'POST': 'create',
                    'PUT': 'update', 'PATCH': 'patch',
                    'DELETE': 'delete'}[method]
            if (name is None) != (verb in ('list', 'create')):
                raise APIError(405, 'MethodNotAllowed', 'the server does '
                               'not allow this method on the requested '
                               'resource')
            target = name
            if verb == 'create':
                body = self._body()
                target = (body.get('metadata') or {}).get('name')
            denied = authorize(subject, verb, target)
            if denied:
                # Reading the body first keeps the connection usable.
                if verb in ('update', 'patch'):
                    self._body()
                raise denied
            store = api.store
            if verb == 'list':
                self._send(200, _page(store.items(),
                                      urllib.parse.parse_qs(url.query)))
            elif verb == 'get':
                self._send(200, store.get(name))
            elif verb == 'create':
                self._send(201, store.create(body))
            elif verb == 'update':
                body = self._body()
                self._send(200, store.update(name, lambda _old: body,
                                             status_only=sub == 'status'))
            elif verb == 'patch':
                kind = (self.headers.get('Content-Type') or '').split(';')[0]
                if kind not in (MERGE_PATCH, STRATEGIC_PATCH):
                    self._body()
                    raise APIError(415, 'UnsupportedMediaType', 'the body '
                                   'of the request was in an unknown '
                                   'format - accepted media types include: '
                                   '%s, %s' % (STRATEGIC_PATCH, MERGE_PATCH))
                patch = self._body()
                self._send(200, store.update(
                    name, lambda old: merge_patch(
                        old, patch, kind == STRATEGIC_PATCH),
                    status_only=sub == 'status'))
            else:
                self._send(200, store.delete(name))

        def _pods(self, method, url, subject):
            """GET /api/v1/pods?fieldSelector=spec.nodeName=<node>, POST
            /api/v1/namespaces/<ns>/pods and .../pods/<name>/eviction."""
            parts = url.path.rstrip('/').split('/')
            body = self._body() if method == 'POST' else None
            if MASTERS_GROUP not in subject.get('organizationName', []):
                raise APIError(403, 'Forbidden', 'pods is forbidden: User '
                               '"%s" cannot %s resource "pods" in API '
                               'group ""' % (_user(subject), method.lower()))
            if method == 'GET' and url.path.rstrip('/') == PODS_PATH:
                query = urllib.parse.parse_qs(url.query)
                node = None
                for selector in query.get('fieldSelector') or []:
                    field, _sep, value = selector.partition('=')
                    if field != 'spec.nodeName':
                        raise APIError(400, 'BadRequest', 'field label not '
                                       'supported: %s' % field)
                    node = value
                self._send(200, {'kind': 'PodList', 'apiVersion': 'v1',
                                 'metadata': {}, 'items':
                                 api.pods.items(node)})
            elif method == 'POST' and len(parts) == 6 and parts[5] == 'pods':
                self._send(201, api.pods.create(parts[4], body))
            elif method == 'POST' and len(parts) == 8 and \
                    parts[5] == 'pods' and parts[7] == 'eviction':
                api.pods.evict(parts[4], urllib.parse.unquote(parts[6]))
                self._send(201, {'kind': 'Status', 'apiVersion': 'v1',
                                 'metadata': {}, 'status': 'Success',
                                 'code': 201})
            else:
                raise APIError(404, 'NotFound', 'the server could not find '
                               'the requested resource')

        def _handle(self, method):
            try:
                self._route(method)
            except APIError as error:
                self._send(error.code, error.body())

        def do_GET(self):
            self._handle('GET')

        def do_POST(self):
            self._handle('POST')

        def do_PUT(self):
            self._handle('PUT')

        def do_PATCH(self):
            self._handle('PATCH')

        def do_DELETE(self):
            self._handle('DELETE')

    return Handler
