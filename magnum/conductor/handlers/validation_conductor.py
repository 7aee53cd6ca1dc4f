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

"""A driver's validation run on the conductor's host, for the API.

A driver whose checks need what only the conductor's host has (the local
driver's Docker engine, whose socket is root there) says so with
``validates_on_conductor``; the API then makes these RPC calls instead of
running the hooks itself, so magnum-api needs neither the engine nor its
socket. A check that passed is remembered for VALID_SECONDS, per driver,
caller's project and values: a form posted again, or several API workers
asking at once, cost the engine one look-up. A refusal is never
remembered, so what an operator fixes (an image loaded) counts at once.
"""

import json
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from magnum.drivers.common import driver as driver_base

LOG = logging.getLogger(__name__)

VALID_SECONDS = 10.0


class PassedChecks:
    """Answers of checks that passed, until they expire (bounded)."""

    LIMIT = 512

    def __init__(self, seconds):
        self.seconds = seconds
        self._answers = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._answers.get(key)
        if found is None or time.monotonic() >= found[0]:
            return None
        return found[1]

    def put(self, key, answer):
        with self._lock:
            if len(self._answers) >= self.LIMIT:
                now = time.monotonic()
                self._answers = {k: v for k, v in self._answers.items()
                                 if v[0] > now}
                if len(self._answers) >= self.LIMIT:
                    self._answers.clear()
            self._answers[key] = (time.monotonic() + self.seconds, answer)

    def clear(self):
        with self._lock:
            self._answers.clear()


passed = PassedChecks(VALID_SECONDS)


def _key(*parts):
    return json.dumps(parts, sort_keys=True, default=str)


def _project(context):
    return getattr(context, 'project_id', None), \
        bool(getattr(context, 'is_admin', False))


class ValidationHandler:
    """validate_cluster_template and validate_cluster (RPC 1.1)."""

    target = messaging.Target(version='1.1')

    def validate_cluster_template(self, context, driver, values):
        """Run driver ``driver``'s template check on ``values`` (a dict);
        the values as the driver completed them, or its 4xx error."""
        key = _key('template', driver, _project(context), values)
        answer = passed.get(key)
        if answer is None:
            checked = dict(values)
            driver_base.registry().resolve(driver) \
                .validate_cluster_template(context, checked)
            answer = checked
            passed.put(key, answer)
        return dict(answer)

    def validate_cluster(self, context, driver, values, cluster_template):
        """Run driver ``driver``'s cluster check on ``values`` (a dict)
        with the cluster's template; None, or its 4xx error."""
        key = _key('cluster', driver, _project(context), values,
                   cluster_template.uuid, cluster_template.image_id)
        if passed.get(key) is None:
            driver_base.registry().resolve(driver).validate_cluster(
                context, dict(values), cluster_template)
            passed.put(key, True)
