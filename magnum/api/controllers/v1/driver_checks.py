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

"""A driver's validation hooks, asked from the API: in this process, or
by a conductor when the driver's checks need the conductor's host
(``Driver.validates_on_conductor``: the local driver's Docker engine,
which magnum-api must not need). Either way the caller gets the driver's
4xx error as it is, or a 503 when no conductor answers."""

import pecan


def validate_cluster_template(context, driver, values):
    """Let ``driver`` check (and complete) the template's ``values``
    (a dict, changed in place)."""
    if not getattr(driver, 'validates_on_conductor', False):
        driver.validate_cluster_template(context, values)
        return
    checked = pecan.request.rpcapi.validate_cluster_template(
        context, driver.name, values)
    values.clear()
    values.update(checked)


def validate_cluster(context, driver, values, template):
    """Let ``driver`` check a cluster's ``values`` (a dict) with its
    template (a ClusterTemplate)."""
    if not getattr(driver, 'validates_on_conductor', False):
        driver.validate_cluster(context, values, template)
        return
    pecan.request.rpcapi.validate_cluster(context, driver.name, values,
                                          template)
