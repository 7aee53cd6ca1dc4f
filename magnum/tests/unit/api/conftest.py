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

"""Fixtures for API unit tests: the pecan application over a real SQLite
database, callers of several roles and projects, and a conductor RPC
client that records what the API asked of the conductor."""

import pytest
import webtest

from magnum.api import app
from magnum.api import hooks
from magnum.tests import openapi_validator
from magnum.tests.unit.db import utils as db_utils

PROJECT_A = 'project-a'
PROJECT_B = 'project-b'

# Who calls: the headers keystonemiddleware would have set.
IDENTITIES = {
    'member': {'X-Project-Id': PROJECT_A, 'X-User-Id': 'user-a',
               'X-Roles': 'member,reader'},
    'member2': {'X-Project-Id': PROJECT_A, 'X-User-Id': 'user-a2',
                'X-Roles': 'member,reader'},
    'reader': {'X-Project-Id': PROJECT_A, 'X-User-Id': 'reader-a',
               'X-Roles': 'reader'},
    'other': {'X-Project-Id': PROJECT_B, 'X-User-Id': 'user-b',
              'X-Roles': 'member,reader'},
    'admin': {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
              'X-Roles': 'admin,member,reader'},
    'noroles': {'X-Project-Id': PROJECT_A, 'X-User-Id': 'user-a'},
}


class RecordingConductorAPI:
    """Stands in for the conductor in unit tests: records every cast and
    call; a call answers from ``results`` (a value, or an exception to
    raise)."""

    def __init__(self):
        self.requests = []
        self.results = {}

    def __getattr__(self, method):
        if method.startswith('_'):
            raise AttributeError(method)

        def record(context, *args, **kwargs):
            self.requests.append((method, args, kwargs))
            result = self.results.get(method)
            if isinstance(result, Exception):
                raise result
            return result(context, *args, **kwargs) if callable(result) \
                else result
        return record

    def methods(self):
        return [method for method, _, _ in self.requests]

    def last(self, method):
        for name, args, kwargs in reversed(self.requests):
            if name == method:
                return args, kwargs
        raise AssertionError('%s was not requested; requests: %s' %
                             (method, self.methods()))


class APIClient:
    """webtest with identities and microversions."""

    def __init__(self, test_app):
        self.app = test_app

    def _headers(self, as_, version, headers):
        result = dict(IDENTITIES[as_]) if as_ else {}
        if version is not None:
            result['OpenStack-API-Version'] = (
                'container-infra %s' % version)
        result.update(headers or {})
        return result

    def request(self, method, path, body=None, as_='member', version=None,
                headers=None, status=None, validate=True, **kwargs):
        headers = self._headers(as_, version, headers)
        if not path.startswith('/v1') and path != '/':
            path = '/v1' + path
        kwargs.setdefault('expect_errors', True)
        call = getattr(self.app, method)
        if method in ('post', 'patch', 'put') and body is not None:
            response = getattr(self.app, method + '_json')(
                path, body, headers=headers, **kwargs)
        else:
            response = call(path, headers=headers, **kwargs)
        if validate:
            openapi_validator.validate_response(method, path, response)
        if status is not None:
            assert response.status_int == status, (
                '%s %s: expected %s, got %s: %s' % (
                    method.upper(), path, status, response.status,
                    response.text))
        return response

    def get(self, path, **kwargs):
        return self.request('get', path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request('post', path, body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request('patch', path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('delete', path, **kwargs)


@pytest.fixture
def rpc():
    recording = RecordingConductorAPI()
    # A driver's validation on the conductor's host is the conductor's
    # own code, run here in process (it only reads).
    from magnum.conductor.handlers import validation_conductor
    validation_conductor.passed.clear()
    checks = validation_conductor.ValidationHandler()
    recording.results['validate_cluster_template'] = \
        lambda context, *args: checks.validate_cluster_template(
            context, *args)
    recording.results['validate_cluster'] = \
        lambda context, *args: checks.validate_cluster(context, *args)
    return recording


@pytest.fixture
def api(dbapi, rpc, fake_drivers, monkeypatch):
    monkeypatch.setattr(hooks.RPCHook, 'before', lambda self, state: setattr(
        state.request, 'rpcapi', rpc))
    return APIClient(webtest.TestApp(app.setup_app()))


def error_of(response):
    """The single element of an OpenStack error body."""
    body = response.json
    assert list(body) == ['errors'], body
    assert len(body['errors']) == 1, body
    return body['errors'][0]


@pytest.fixture
def swarm(dbapi):
    """A swarm-mode cluster of project A, CREATE_COMPLETE, and its
    template."""
    template = db_utils.create_test_cluster_template(
        dbapi, project_id=PROJECT_A, user_id='user-a', coe='swarm-mode',
        name='swarm-template')
    return db_utils.create_test_cluster(
        dbapi, project_id=PROJECT_A, user_id='user-a', name='swarm',
        cluster_template_id=template['uuid'], status='CREATE_COMPLETE')
