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


"""Enumerations of Magnum's versioned objects, as oslo.versionedobjects fields.

Each enum is a ``fields.Enum`` whose class attributes name its values, so
code says ``ClusterStatus.CREATE_COMPLETE`` rather than a bare string; the
matching ``*Field`` types an object field with it. Adding a value to an enum
changes the fingerprint of every object using its field: bump that object's
version.
"""

from oslo_versionedobjects import fields


class ClusterStatus(fields.Enum):
    """Status of a cluster or a nodegroup: ``<ACTION>_<STATE>``."""

    CREATE_IN_PROGRESS = 'CREATE_IN_PROGRESS'
    CREATE_FAILED = 'CREATE_FAILED'
    CREATE_COMPLETE = 'CREATE_COMPLETE'
    UPDATE_IN_PROGRESS = 'UPDATE_IN_PROGRESS'
    UPDATE_FAILED = 'UPDATE_FAILED'
    UPDATE_COMPLETE = 'UPDATE_COMPLETE'
    DELETE_IN_PROGRESS = 'DELETE_IN_PROGRESS'
    DELETE_FAILED = 'DELETE_FAILED'
    DELETE_COMPLETE = 'DELETE_COMPLETE'
    RESUME_COMPLETE = 'RESUME_COMPLETE'
    RESUME_FAILED = 'RESUME_FAILED'
    RESTORE_COMPLETE = 'RESTORE_COMPLETE'
    ROLLBACK_IN_PROGRESS = 'ROLLBACK_IN_PROGRESS'
    ROLLBACK_FAILED = 'ROLLBACK_FAILED'
    ROLLBACK_COMPLETE = 'ROLLBACK_COMPLETE'
    SNAPSHOT_COMPLETE = 'SNAPSHOT_COMPLETE'
    CHECK_COMPLETE = 'CHECK_COMPLETE'
    ADOPT_COMPLETE = 'ADOPT_COMPLETE'

    ALL = (CREATE_IN_PROGRESS, CREATE_FAILED, CREATE_COMPLETE,
           UPDATE_IN_PROGRESS, UPDATE_FAILED, UPDATE_COMPLETE,
           DELETE_IN_PROGRESS, DELETE_FAILED, DELETE_COMPLETE,
           RESUME_COMPLETE, RESUME_FAILED, RESTORE_COMPLETE,
           ROLLBACK_IN_PROGRESS, ROLLBACK_FAILED, ROLLBACK_COMPLETE,
           SNAPSHOT_COMPLETE, CHECK_COMPLETE, ADOPT_COMPLETE)

    # A cluster in one of these shows its nodegroups' failures as `faults`.
    STATUS_FAILED = (CREATE_FAILED, UPDATE_FAILED, DELETE_FAILED,
                     ROLLBACK_FAILED, RESUME_FAILED)
    # Stable: update, upgrade and CA rotation may start from these.
    STATUS_STABLE = (CREATE_COMPLETE, UPDATE_COMPLETE, RESUME_COMPLETE,
                     RESTORE_COMPLETE, ROLLBACK_COMPLETE, SNAPSHOT_COMPLETE,
                     CHECK_COMPLETE, ADOPT_COMPLETE)
    # Resize, credential rotation and nodegroup operations also accept a
    # cluster whose last update is running or failed.
    STATUS_RESIZABLE = STATUS_STABLE + (UPDATE_IN_PROGRESS, UPDATE_FAILED)
    # The periodic status sync asks the driver about clusters in these.
    STATUS_IN_PROGRESS = (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS,
                          DELETE_IN_PROGRESS, ROLLBACK_IN_PROGRESS)

    def __init__(self):
        super().__init__(valid_values=ClusterStatus.ALL)


class ClusterHealthStatus(fields.Enum):
    HEALTHY = 'HEALTHY'
    UNHEALTHY = 'UNHEALTHY'
    UNKNOWN = 'UNKNOWN'

    ALL = (HEALTHY, UNHEALTHY, UNKNOWN)

    def __init__(self):
        super().__init__(valid_values=ClusterHealthStatus.ALL)


class FederationStatus(fields.Enum):
    CREATE_IN_PROGRESS = 'CREATE_IN_PROGRESS'
    CREATE_FAILED = 'CREATE_FAILED'
    CREATE_COMPLETE = 'CREATE_COMPLETE'
    UPDATE_IN_PROGRESS = 'UPDATE_IN_PROGRESS'
    UPDATE_FAILED = 'UPDATE_FAILED'
    UPDATE_COMPLETE = 'UPDATE_COMPLETE'
    DELETE_IN_PROGRESS = 'DELETE_IN_PROGRESS'
    DELETE_FAILED = 'DELETE_FAILED'
    DELETE_COMPLETE = 'DELETE_COMPLETE'

    ALL = (CREATE_IN_PROGRESS, CREATE_FAILED, CREATE_COMPLETE,
           UPDATE_IN_PROGRESS, UPDATE_FAILED, UPDATE_COMPLETE,
           DELETE_IN_PROGRESS, DELETE_FAILED, DELETE_COMPLETE)

    def __init__(self):
        super().__init__(valid_values=FederationStatus.ALL)


class ServerType(fields.Enum):
    """What a cluster's nodes run on; ``container`` is the local driver's."""

    VM = 'vm'
    BM = 'bm'
    CONTAINER = 'container'

    ALL = (VM, BM, CONTAINER)

    def __init__(self):
        super().__init__(valid_values=ServerType.ALL)


class ClusterType(fields.Enum):
    """The container orchestration engine (COE) of a cluster template.

    ``swarm-mode`` is what the local Docker driver builds.
    """

    KUBERNETES = 'kubernetes'
    SWARM = 'swarm'
    SWARM_MODE = 'swarm-mode'

    ALL = (KUBERNETES, SWARM, SWARM_MODE)

    def __init__(self):
        super().__init__(valid_values=ClusterType.ALL)


COE = ClusterType


class QuotaResourceName(fields.Enum):
    CLUSTER = 'Cluster'
    CONTAINER = 'Container'

    ALL = (CLUSTER, CONTAINER)

    def __init__(self):
        super().__init__(valid_values=QuotaResourceName.ALL)


class MagnumServiceState(fields.Enum):
    UP = 'up'
    DOWN = 'down'

    ALL = (UP, DOWN)

    def __init__(self):
        super().__init__(valid_values=MagnumServiceState.ALL)


class MagnumServiceBinary(fields.Enum):
    MAGNUM_CONDUCTOR = 'magnum-conductor'

    ALL = (MAGNUM_CONDUCTOR,)

    def __init__(self):
        super().__init__(valid_values=MagnumServiceBinary.ALL)


class ClusterStatusField(fields.BaseEnumField):
    AUTO_TYPE = ClusterStatus()


class ClusterHealthStatusField(fields.BaseEnumField):
    AUTO_TYPE = ClusterHealthStatus()


class FederationStatusField(fields.BaseEnumField):
    AUTO_TYPE = FederationStatus()


class ServerTypeField(fields.BaseEnumField):
    AUTO_TYPE = ServerType()


class ClusterTypeField(fields.BaseEnumField):
    AUTO_TYPE = ClusterType()


COEField = ClusterTypeField


class QuotaResourceNameField(fields.BaseEnumField):
    AUTO_TYPE = QuotaResourceName()


class MagnumServiceStateField(fields.BaseEnumField):
    AUTO_TYPE = MagnumServiceState()


class MagnumServiceBinaryField(fields.BaseEnumField):
    AUTO_TYPE = MagnumServiceBinary()
