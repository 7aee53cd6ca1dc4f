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

"""The Node objects of removed servers are deleted, over TLS, from the
Kubernetes API stand-in on loopback (a test fixture: see the
``kubernetes_api`` fixture)."""

import contextlib
import types

from magnum.drivers.heat.kubernetes import gone_nodes


def _node(name, magnum=True):
    labels = {'kubernetes.io/hostname': name}
    if magnum:
        labels[gone_nodes.NODEGROUP_LABEL] = 'default-worker'
    return {'metadata': {'name': name, 'labels': labels},
            'status': {'conditions': [{'type': 'Ready', 'status': 'True'}]}}


ITEMS = [_node('k8s-default-master-0'), _node('k8s-default-worker-0'),
         _node('k8s-default-worker-1'), _node('joined-by-hand', False)]
EXPECTED = {'k8s-default-master-0', 'k8s-default-worker-0'}
CLUSTER = types.SimpleNamespace(uuid='c-1', api_address='https://x:6443')


def _connect(monkeypatch, client):
    """Magnum's connection to the cluster (its certificates come from the
    database) is the stand-in's client."""
    @contextlib.contextmanager
    def connected(context, cluster):
        yield client
    monkeypatch.setattr(gone_nodes.probe, 'connected', connected)


def _names(client):
    return sorted(gone_nodes.node_drain.list_nodes(client))


def test_only_magnum_nodes_without_a_server_are_stale():
    assert gone_nodes.stale(ITEMS, EXPECTED) == ['k8s-default-worker-1']
    assert gone_nodes.stale([], EXPECTED) == []


def test_remove_deletes_the_stale_nodes(monkeypatch, kubernetes_api):
    api, client, _module = kubernetes_api(ITEMS)
    _connect(monkeypatch, client)
    assert gone_nodes.remove(None, CLUSTER, EXPECTED) == [
        'k8s-default-worker-1']
    assert _names(client) == ['joined-by-hand', 'k8s-default-master-0',
                                   'k8s-default-worker-0']
    # Gone already: nothing more to delete.
    assert gone_nodes.remove(None, CLUSTER, EXPECTED) == []


def test_nothing_expected_deletes_nothing(monkeypatch, kubernetes_api):
    api, client, _module = kubernetes_api(ITEMS)
    _connect(monkeypatch, client)
    assert gone_nodes.remove(None, CLUSTER, set()) == []
    assert len(_names(client)) == 4


def test_an_api_that_refuses_or_does_not_answer_is_logged(
        monkeypatch, kubernetes_api, caplog):
    # A kubelet's certificate may read the nodes, not delete another's.
    _api, kubelet, _module = kubernetes_api(
        ITEMS, user=('system:node:k8s-default-master-0', 'system:nodes'))
    _connect(monkeypatch, kubelet)
    assert gone_nodes.remove(None, CLUSTER, EXPECTED) == []
    assert 'k8s-default-worker-1' in _names(kubelet)
    # An API that does not answer.
    stopped, client, _module = kubernetes_api(ITEMS)
    stopped.stop()
    _connect(monkeypatch, client)
    assert gone_nodes.remove(None, CLUSTER, EXPECTED) == []
    assert caplog.text.count('could not delete the nodes of removed') == 2
    assert 'HTTP 403' in caplog.text
