# TEST STAND-IN FOR A KUBERNETES API SERVER (a test fixture, not part of
# Magnum): no kube-apiserver can run on this test machine. It serves, over
# HTTPS on 127.0.0.1, GET /readyz and /healthz ("ok", or what a test sets,
# such as kube-apiserver's 500 with its failed checks) and GET
# /api/v1/nodes (a v1 NodeList, paged with limit/continue as
# kube-apiserver pages), with a server certificate signed by the
# cluster's CA naming what the drivers' API certificates name (kubernetes,
# kubernetes.default, ...; not 127.0.0.1), and it requires a client
# certificate of that CA (anything else fails the TLS handshake), answering
# a Status 403 to one outside system:masters, as RBAC would; the shared
# server also patches nodes and lists pods by node, creates them and
# evicts them through the Eviction subresource (``pods``: a 429 for the
# pods a test marks refused, as a PodDisruptionBudget would). The server
# itself is the cloud-in-a-box's (tools/cloud-in-a-box/standins/
# kubernetes/kubernetes_api.py, loaded by its path), which also serves
# the stand-in Kubernetes nodes of the Heat drivers' tests. It proves
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

import functools
import importlib.util
import json
import os
import socket

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(HERE), 'unit', 'drivers', 'heat',
                    'data', 'k8s_nodes.json')
SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    HERE))), 'tools', 'cloud-in-a-box', 'standins', 'kubernetes',
    'kubernetes_api.py')
READYZ_FAILED = ('[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n'
                 '[+]poststarthook/start-apiserver-admission-initializer ok'
                 '\nreadyz check failed\n')


@functools.cache
def shared():
    """The cloud-in-a-box's Kubernetes API stand-in module (the standard
    library only), loaded by its path."""
    spec = importlib.util.spec_from_file_location('magnum_k8s_api_standin',
                                                  SHARED)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def node_list():
    """The NodeList the stand-in serves by default (4 nodes: two Ready,
    one NotReady, one Unknown)."""
    with open(DATA) as handle:
        listed = json.load(handle)
    listed.pop('_about', None)
    return listed


def status_object(code, reason, message):
    return shared().status_object(code, reason, message)


def _list_store(owner):
    """A node store serving ``owner.nodes`` as the test holds it (a
    test changes that list, or its items, in place), no heartbeat
    ageing."""
    class ListStore(shared().NodeStore):
        def items(self):
            return list(owner.nodes)
    return ListStore(grace=0)


class KubernetesAPIStandIn:
    """The stand-in, serving in a thread of its own until ``stop()``.

    ``nodes`` (the items served), ``ready`` ((status, body) of /readyz)
    may be changed by a test at any time; ``seen`` records, per request,
    (path, client certificate subject, SNI name).
    """

    def __init__(self, ca_pem, server_cert_pem, server_key_pem):
        self.nodes = node_list()['items']
        module = shared()
        context = module.server_context(ca_pem, server_cert_pem,
                                        server_key_pem, record_sni=True)
        self._api = module.APIServer(context, _list_store(self),
                                     record=True).start()
        self.server = self._api.server
        self.port = self._api.port
        self.address = 'https://127.0.0.1:%d' % self.port

    @property
    def ready(self):
        return self._api.ready

    @ready.setter
    def ready(self, value):
        self._api.ready = value

    @property
    def seen(self):
        return self._api.seen

    @property
    def pods(self):
        """The pods served (``kubernetes_api.PodStore``)."""
        return self._api.pods

    def stop(self):
        self._api.stop()


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
