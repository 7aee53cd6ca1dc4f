# TEST STAND-IN FOR A KUBERNETES API SERVER (a test fixture, not part of
# Magnum): no kube-apiserver can run on this test machine. It serves, over
# HTTPS on 127.0.0.1, GET /readyz and /healthz ("ok", or what a test sets,
# such as kube-apiserver's 500 with its failed checks) and GET
# /api/v1/nodes (a v1 NodeList, paged with limit/continue as
# kube-apiserver pages), with a server certificate signed by the
# cluster's CA naming what the drivers' API certificates name (kubernetes,
# kubernetes.default, ...; not 127.0.0.1), and it requires a client
# certificate of that CA (anything else fails the TLS handshake), answering
# a Status 403 to one outside system:masters, as RBAC would. It proves
# Magnum's side: TLS with the cluster's CA and Magnum's client certificate,
# the requests, their bounds, and reading these shapes. It does NOT prove
# that a real kube-apiserver answers exactly so (the NodeList is written
# from the API reference, magnum/tests/unit/drivers/heat/data/
# k8s_nodes.json), nor its authentication and authorization beyond the
# group check, nor HTTP/2, watches or other API versions.
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

"""A Kubernetes API stand-in (see the first lines), and a port that takes
connections and never answers (a cluster whose API hangs)."""

import http.server
import json
import os
import socket
import ssl
import tempfile
import threading
import urllib.parse

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), 'unit', 'drivers', 'heat', 'data', 'k8s_nodes.json')
READYZ_FAILED = ('[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n'
                 '[+]poststarthook/start-apiserver-admission-initializer ok'
                 '\nreadyz check failed\n')


def node_list():
    """The NodeList the stand-in serves by default (4 nodes: two Ready,
    one NotReady, one Unknown)."""
    with open(DATA) as handle:
        listed = json.load(handle)
    listed.pop('_about', None)
    return listed


def status_object(code, reason, message):
    return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
            'status': 'Failure', 'message': message, 'reason': reason,
            'code': code}


class KubernetesAPIStandIn:
    """The stand-in, serving in a thread of its own until ``stop()``.

    ``nodes`` (the items served), ``ready`` ((status, body) of /readyz)
    may be changed by a test at any time; ``seen`` records, per request,
    (path, client certificate subject, SNI name).
    """

    def __init__(self, ca_pem, server_cert_pem, server_key_pem):
        self.nodes = node_list()['items']
        self.ready = (200, 'ok')
        self.seen = []
        self._files = tempfile.TemporaryDirectory(prefix='k8s-standin-')
        cert = os.path.join(self._files.name, 'server.crt')
        key = os.path.join(self._files.name, 'server.key')
        with open(cert, 'w') as handle:
            handle.write(server_cert_pem)
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as \
                handle:
            handle.write(server_key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.load_verify_locations(cadata=ca_pem)
        context.verify_mode = ssl.CERT_REQUIRED
        self._sni = threading.local()
        context.sni_callback = self._record_sni
        self.server = _TLSServer(('127.0.0.1', 0), _handler(self), context)
        self.port = self.server.server_address[1]
        self.address = 'https://127.0.0.1:%d' % self.port
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True, name='k8s-standin')
        self._thread.start()

    def _record_sni(self, sslsocket, server_name, context):
        sslsocket.sni = server_name

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)
        self._files.cleanup()


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def get_request(self):
        raw, address = self.socket.accept()
        # The handshake in the request's thread: a client that fails it
        # (or never makes it) holds up nobody else.
        return self.context.wrap_socket(
            raw, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def _subject(certificate):
    fields = {}
    for rdn in (certificate or {}).get('subject', ()):
        for key, value in rdn:
            fields.setdefault(key, []).append(value)
    return fields


def _handler(standin):
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

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            subject = _subject(self.connection.getpeercert())
            standin.seen.append((url.path, subject,
                                 getattr(self.connection, 'sni', None)))
            if url.path in ('/readyz', '/healthz'):
                code, body = standin.ready
                self._send(code, body, 'text/plain; charset=utf-8')
                return
            if url.path != '/api/v1/nodes':
                self._send(404, status_object(
                    404, 'NotFound', 'the server could not find the '
                    'requested resource'))
                return
            if 'system:masters' not in subject.get('organizationName', []):
                user = (subject.get('commonName') or ['?'])[0]
                self._send(403, status_object(
                    403, 'Forbidden', 'nodes is forbidden: User "%s" '
                    'cannot list resource "nodes" in API group "" at the '
                    'cluster scope' % user))
                return
            query = urllib.parse.parse_qs(url.query)
            start = int((query.get('continue') or ['0'])[0] or 0)
            limit = int((query.get('limit') or ['0'])[0] or 0) or \
                len(standin.nodes)
            items = standin.nodes[start:start + limit]
            metadata = {'resourceVersion': '49217'}
            if start + limit < len(standin.nodes):
                metadata['continue'] = str(start + limit)
                metadata['remainingItemCount'] = \
                    len(standin.nodes) - start - limit
            self._send(200, {'kind': 'NodeList', 'apiVersion': 'v1',
                             'metadata': metadata, 'items': items})

    return Handler


class SilentPort:
    """A port on 127.0.0.1 that accepts connections and never answers:
    the TLS handshake waits for ever (until ``close()``)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        self.socket.listen(16)
        self.address = 'https://127.0.0.1:%d' % self.socket.getsockname()[1]

    def close(self):
        self.socket.close()


def closed_port_address():
    """An address nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return 'https://127.0.0.1:%d' % probe.getsockname()[1]
