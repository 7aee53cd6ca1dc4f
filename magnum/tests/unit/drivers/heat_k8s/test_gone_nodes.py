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

"""The Node objects of removed servers are deleted; nobody else's."""

import contextlib
import json
import types

from kubernetes.client import exceptions as k8s_exceptions
import urllib3

from magnum.drivers.heat.kubernetes import gone_nodes


def _node(name, magnum=True):
    labels = {'kubernetes.io/hostname': name}
    if magnum:
        labels[gone_nodes.NODEGROUP_LABEL] = 'default-worker'
    return {'metadata': {'name': name, 'labels': labels}}


ITEMS = [_node('k8s-default-master-0'), _node('k8s-default-worker-0'),
         _node('k8s-default-worker-1'), _node('joined-by-hand', False)]
EXPECTED = {'k8s-default-master-0', 'k8s-default-worker-0'}


class FakeCore:
    """A CoreV1Api's two calls, answering from ITEMS (or failing)."""

    def __init__(self, fail=None):
        self.fail = fail
        self.deleted = []
        self.kwargs = []

    def list_node(self, **kwargs):
        self.kwargs.append(kwargs)
        if self.fail:
            raise self.fail
        return types.SimpleNamespace(data=json.dumps(
            {'kind': 'NodeList', 'items': ITEMS}).encode())

    def delete_node(self, name, **kwargs):
        self.kwargs.append(kwargs)
        self.deleted.append(name)


def _connect(monkeypatch, core):
    @contextlib.contextmanager
    def connected(context, cluster):
        yield types.SimpleNamespace(core=core)
    monkeypatch.setattr(gone_nodes.probe, 'connected', connected)


CLUSTER = types.SimpleNamespace(uuid='c-1', api_address='https://x:6443')


def test_only_magnum_nodes_without_a_server_are_stale():
    assert gone_nodes.stale(ITEMS, EXPECTED) == ['k8s-default-worker-1']
    assert gone_nodes.stale([], EXPECTED) == []


def test_remove_deletes_the_stale_nodes(monkeypatch, magnum_config):
    core = FakeCore()
    _connect(monkeypatch, core)
    assert gone_nodes.remove(None, CLUSTER, EXPECTED) == [
        'k8s-default-worker-1']
    assert core.deleted == ['k8s-default-worker-1']
    # Bounded, and the answers are not turned into models.
    assert all(k['_preload_content'] is False and k['_request_timeout']
               for k in core.kwargs)


def test_nothing_expected_deletes_nothing(monkeypatch):
    core = FakeCore()
    _connect(monkeypatch, core)
    assert gone_nodes.remove(None, CLUSTER, set()) == []
    assert core.kwargs == []


def test_an_api_that_refuses_or_does_not_answer_is_logged(
        monkeypatch, magnum_config, caplog):
    for error in (k8s_exceptions.ApiException(status=403,
                                              reason='Forbidden'),
                  urllib3.exceptions.NewConnectionError(
                      None, 'Failed to establish a new connection')):
        core = FakeCore(fail=error)
        _connect(monkeypatch, core)
        assert gone_nodes.remove(None, CLUSTER, EXPECTED) == []
        assert core.deleted == []
    assert caplog.text.count('could not delete the nodes of removed') == 2
