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

"""request.rpcapi: the conductor's RPC client, made once per process when
a request first uses it (not on every request's way in)."""

import types

import pytest

from magnum.api import hooks
from magnum.conductor import rpcapi


class FakeConductorAPI:
    made = 0

    def __init__(self):
        type(self).made += 1

    def cluster_delete(self, context, uuid):
        return ('cast', uuid)


@pytest.fixture
def fake_api(monkeypatch):
    monkeypatch.setattr(FakeConductorAPI, 'made', 0)
    monkeypatch.setattr(rpcapi, 'ConductorAPI', FakeConductorAPI)
    return FakeConductorAPI


def _state():
    return types.SimpleNamespace(request=types.SimpleNamespace())


def test_the_client_is_made_at_first_use_and_shared(fake_api):
    hook = hooks.RPCHook()
    first, second = _state(), _state()
    hook.before(first)
    hook.before(second)
    # Requests that never call the conductor make no client (and so no
    # transport).
    assert fake_api.made == 0
    assert first.request.rpcapi.cluster_delete(None, 'u1') == ('cast', 'u1')
    assert second.request.rpcapi.cluster_delete(None, 'u2') == ('cast', 'u2')
    assert fake_api.made == 1


def test_a_failure_to_make_the_client_is_tried_again(monkeypatch, fake_api):
    calls = []

    def broken():
        calls.append(1)
        if len(calls) == 1:
            raise ValueError('bad transport_url')
        return FakeConductorAPI()

    monkeypatch.setattr(rpcapi, 'ConductorAPI', broken)
    client = hooks.ConductorClient()
    with pytest.raises(ValueError):
        client.cluster_delete
    assert client.cluster_delete(None, 'u') == ('cast', 'u')
    assert len(calls) == 2


def test_private_names_are_not_forwarded(fake_api):
    client = hooks.ConductorClient()
    with pytest.raises(AttributeError):
        client._not_there
    assert fake_api.made == 0
