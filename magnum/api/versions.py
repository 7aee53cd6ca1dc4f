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

"""Microversions this API serves (contract 1.4-1.7)."""

SERVICE_TYPE = 'container-infrastructure-management'
SERVICE_ALIASES = (SERVICE_TYPE, 'container-infrastructure',
                   'container-infra')

# The version history; the last entry is the maximum.
HISTORY = {
    (1, 1): 'Baseline; the default when no version is asked for.',
    (1, 2): 'Cluster create, update and delete are asynchronous.',
    (1, 3): 'rollback query parameter on cluster update.',
    (1, 4): 'Stats API.',
    (1, 5): 'CA rotation.',
    (1, 6): 'Quotas API.',
    (1, 7): 'Cluster resize action.',
    (1, 8): 'Cluster upgrade action.',
    (1, 9): 'Nodegroups API.',
    (1, 10): 'node_count may be 0.',
    (1, 11): 'Bays and baymodels removed upstream (kept here).',
    (1, 12): 'Credential rotation.',
    (1, 13): 'cluster_id replaces stack_id in cluster responses.',
    (1, 14): 'Nodegroup node_labels and node_taints.',
}

MIN_VERSION = min(HISTORY)
MAX_VERSION = max(HISTORY)


def version_string(version):
    return '%d.%d' % version


MIN_VERSION_STRING = version_string(MIN_VERSION)
MAX_VERSION_STRING = version_string(MAX_VERSION)
