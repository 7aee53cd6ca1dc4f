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

"""What the ordered client tests share: a Deployment, the real
`openstack coe` client run against it, plain REST beside it, and the
state one test passes on to the next."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from magnum.tests.functional import docker_engine

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
CLUSTER_TIMEOUT = 180    # one create, resize, upgrade, rotation or delete


class ClientStage:
    """The deployment, the client commands run against it (in
    ``workdir``, so that files they write land there) and what the tests
    pass on to the next one."""

    def __init__(self, deployment, engine, workdir):
        self.deployment = deployment
        self.engine = engine
        self.workdir = str(workdir)
        self.env = deployment.client_env()
        self.env['SHELL'] = '/bin/bash'   # `cluster config` reads it
        self.state = {}
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}))

    # The client ------------------------------------------------------------

    def run(self, *args):
        command = [OPENSTACK, 'coe'] + [str(a) for a in args]
        return subprocess.run(command, capture_output=True, text=True,
                              timeout=180, env=self.env, cwd=self.workdir)

    def coe(self, *args):
        """stdout of a command that must succeed."""
        result = self.run(*args)
        if result.returncode != 0:
            pytest.fail(self.explain(
                '`openstack coe %s` failed (exit %d)' % (
                    ' '.join(str(a) for a in args), result.returncode),
                result), pytrace=False)
        return result.stdout

    def explain(self, what, result=None):
        """A failure message: what, the command's output, the services'
        logs."""
        text = what
        if result is not None:
            text += '\n--- stdout:\n%s\n--- stderr:\n%s' % (result.stdout,
                                                          result.stderr)
        return text + '\n' + self.deployment.logs()

    def wait_for_status(self, what, show, status):
        """Poll ``show()`` until its status is ``status``; fail at once
        when it failed (or took too long), naming the statuses it went
        through."""
        deadline = time.monotonic() + CLUSTER_TIMEOUT
        seen = []
        while True:
            shown = show()
            step = '%s (%s)' % (shown['status'], shown['status_reason'])
            if not seen or seen[-1] != step:
                seen.append(step)
            if shown['status'] == status:
                return shown
            if shown['status'].endswith('FAILED') or \
                    time.monotonic() > deadline:
                pytest.fail(self.explain(
                    '%s did not become %s; it went through:\n  %s'
                    % (what, status, '\n  '.join(seen))), pytrace=False)
            time.sleep(0.5)

    def need(self, *keys):
        """What earlier tests left, or a skip naming what is missing (the
        earlier test's own failure fails the run)."""
        missing = [k for k in keys if k not in self.state]
        if missing:
            pytest.skip('an earlier test did not provide %s' %
                        ', '.join(missing))
        return [self.state[k] for k in keys]

    # Plain REST, for checks below the client and for the clean-up ----------

    def rest(self, method, path, body=None, version='latest'):
        """(status, decoded JSON or the raw body) of a request to /v1."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.deployment.url + '/v1' + path, method=method, data=data,
            headers={'Accept': 'application/json',
                     'Content-Type': 'application/json',
                     'OpenStack-API-Version': 'container-infra %s' %
                     version})
        try:
            with self.opener.open(request, timeout=60) as reply:
                answer = reply.read()
                return reply.status, json.loads(answer) if answer else None
        except urllib.error.HTTPError as error:
            answer = error.read()
            try:
                return error.code, json.loads(answer)
            except ValueError:
                return error.code, answer

    # The engine ------------------------------------------------------------

    def leftovers(self, cluster_uuid):
        return docker_engine.leftovers(self.engine, cluster_uuid)
