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

"""SQLAlchemy models: the schema (compatibility.rst, "Database").

The alembic migrations must produce exactly this schema; a test compares
them on every backend, so a change here without a migration fails.
"""

from oslo_db.sqlalchemy import models
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm

from magnum.db.sqlalchemy import types

# MySQL/MariaDB: InnoDB for transactions and row locks; utf8mb4 so that any
# name a user can type is stored rather than refused with a server error.
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def table_args(*constraints):
    return constraints + (MYSQL_TABLE_ARGS,)


class MagnumBase(models.TimestampMixin, models.ModelBase):
    """Base of every table: integer id plus created_at/updated_at."""

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    created_at = sa.Column(types.DateTime,
                           default=lambda: timeutils.utcnow())
    updated_at = sa.Column(types.DateTime,
                           onupdate=lambda: timeutils.utcnow())

    def as_dict(self):
        return {c.name: self[c.name] for c in self.__table__.columns}


Base = orm.declarative_base(cls=MagnumBase)


def _string(length=255, **kwargs):
    return sa.Column(sa.String(length), **kwargs)


def _json_dict():
    return sa.Column(types.JSONDict(), default=dict)


def _json_list():
    return sa.Column(types.JSONList(), default=list)


class ClusterTemplate(Base):
    __tablename__ = 'cluster_template'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_cluster_template0uuid'),
        sa.Index('cluster_template_project_id_idx', 'project_id'),
    )

    uuid = _string(36)
    project_id = _string()
    user_id = _string()
    name = _string()
    image_id = _string()
    flavor_id = _string()
    master_flavor_id = _string()
    keypair_id = _string()
    external_network_id = _string()
    fixed_network = _string()
    fixed_subnet = _string()
    network_driver = _string()
    volume_driver = _string()
    dns_nameserver = _string()
    apiserver_port = sa.Column(sa.Integer)
    docker_volume_size = sa.Column(sa.Integer)
    docker_storage_driver = _string()
    cluster_distro = _string()
    coe = _string()
    http_proxy = _string()
    https_proxy = _string()
    no_proxy = _string()
    registry_enabled = sa.Column(sa.Boolean, default=False)
    labels = _json_dict()
    tls_disabled = sa.Column(sa.Boolean, default=False)
    public = sa.Column(sa.Boolean, default=False)
    server_type = _string()
    insecure_registry = _string()
    master_lb_enabled = sa.Column(sa.Boolean, default=False)
    floating_ip_enabled = sa.Column(sa.Boolean, default=True)
    hidden = sa.Column(sa.Boolean, default=False)
    tags = _string()
    driver = _string()


class Cluster(Base):
    __tablename__ = 'cluster'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_cluster0uuid'),
        sa.Index('cluster_project_id_idx', 'project_id'),
        sa.Index('cluster_cluster_template_id_idx', 'cluster_template_id'),
        sa.Index('cluster_status_idx', 'status'),
    )

    uuid = _string(36)
    name = _string()
    project_id = _string()
    user_id = _string()
    cluster_template_id = _string()
    keypair = _string()
    docker_volume_size = sa.Column(sa.Integer)
    labels = _json_dict()
    master_flavor_id = _string()
    flavor_id = _string()
    stack_id = _string()
    api_address = _string()
    status = _string(20)
    status_reason = sa.Column(sa.Text)
    health_status = _string(20)
    health_status_reason = _json_dict()
    create_timeout = sa.Column(sa.Integer)
    discovery_url = _string()
    coe_version = _string()
    container_version = _string()
    ca_cert_ref = _string(512)
    magnum_cert_ref = _string(512)
    etcd_ca_cert_ref = _string(512)
    front_proxy_ca_cert_ref = _string(512)
    fixed_network = _string()
    fixed_subnet = _string()
    floating_ip_enabled = sa.Column(sa.Boolean, default=True)
    master_lb_enabled = sa.Column(sa.Boolean, default=False)
    # [{type, status, reason, message, last_transition_time}], API >= 1.15
    conditions = _json_list()
    # The cluster's Keystone application credential; the secret is sealed
    # (magnum.common.cert_manager.encryption). Never shown by the API.
    application_credential_id = _string(64)
    application_credential_secret = sa.Column(sa.Text)
    application_credential_user_id = _string(64)
    application_credential_expires_at = sa.Column(types.DateTime)


class NodeGroup(Base):
    __tablename__ = 'nodegroup'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_nodegroup0uuid'),
        sa.UniqueConstraint('cluster_id', 'name',
                            name='uniq_nodegroup0cluster_id0name'),
    )

    uuid = _string(36, nullable=False)
    name = _string(nullable=False)
    cluster_id = _string(nullable=False)
    project_id = _string(nullable=False)
    docker_volume_size = sa.Column(sa.Integer)
    labels = _json_dict()
    flavor_id = _string()
    image_id = _string()
    node_addresses = _json_list()
    node_count = sa.Column(sa.Integer)
    role = _string()
    max_node_count = sa.Column(sa.Integer)
    min_node_count = sa.Column(sa.Integer)
    is_default = sa.Column(sa.Boolean, default=False)
    stack_id = _string()
    status = _string(20)
    status_reason = sa.Column(sa.Text)
    version = _string(20)
    node_labels = _json_dict()
    node_taints = _json_list()
    conditions = _json_list()
    upgrade_batch_size = sa.Column(sa.Integer)


class X509KeyPair(Base):
    __tablename__ = 'x509keypair'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_x509keypair0uuid'),
    )

    uuid = _string(36)
    certificate = sa.Column(sa.Text)
    private_key = sa.Column(sa.Text)
    private_key_passphrase = sa.Column(sa.Text)
    intermediates = sa.Column(sa.Text)
    project_id = _string()
    user_id = _string()


class MagnumService(Base):
    __tablename__ = 'magnum_service'
    __table_args__ = table_args(
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_magnum_service0host0binary'),
    )

    host = _string()
    binary = _string()
    disabled = sa.Column(sa.Boolean, default=False)
    disabled_reason = _string()
    last_seen_up = sa.Column(types.DateTime)
    forced_down = sa.Column(sa.Boolean, default=False)
    report_count = sa.Column(sa.Integer, nullable=False, default=0)


class Quota(Base):
    __tablename__ = 'quotas'
    __table_args__ = table_args(
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_quotas0project_id0resource'),
    )

    project_id = _string()
    resource = _string()
    hard_limit = sa.Column(sa.Integer, nullable=False)


class Federation(Base):
    __tablename__ = 'federation'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_federation0uuid'),
        sa.Index('federation_project_id_idx', 'project_id'),
    )

    uuid = _string(36)
    project_id = _string()
    name = _string()
    hostcluster_id = _string()
    member_ids = _json_list()
    status = _string(20)
    status_reason = sa.Column(sa.Text)
    properties = _json_dict()


class ClusterLock(Base):
    """Which conductor runs an operation on a cluster, until when, and
    which operation last ran to its end.

    One row per cluster from its first lock until the cluster is
    destroyed. The lock is held while ``token`` is set and ``expires_at``
    is ahead; a released lock has no token; an expired row with a token
    was not released (its holder died), so a conductor that dies holding
    a lock blocks nobody for longer than the lock's timeout and the next
    taker learns what was cut short.
    """
    __tablename__ = 'cluster_lock'
    __table_args__ = table_args(
        sa.UniqueConstraint('cluster_uuid',
                            name='uniq_cluster_lock0cluster_uuid'),
    )

    cluster_uuid = _string(36, nullable=False)
    holder = _string(nullable=False)
    operation = _string(64, nullable=False)
    expires_at = sa.Column(types.DateTime, nullable=False)
    # Random per acquisition: several workers of one host share its name,
    # so only the token tells whose lock it is. NULL once released.
    token = _string(36)
    # The last operation other than a status sync that released the lock
    # (ran to its end, whatever its outcome), and when: the status sync
    # tells from it whether a request ever reached a conductor.
    finished_operation = _string(64)
    finished_at = sa.Column(types.DateTime)


class ClusterRequest(Base):
    """A request the API cast to the conductors that no conductor has
    taken yet: which operation on which cluster, with its arguments, and
    when (``created_at``).

    The API writes the row before its cast; the conductor that takes the
    work (holding the cluster's lock) deletes it. A row older than
    ``[conductor] lock_timeout`` is a request whose cast was lost: the
    cluster's owner replays it. Rows go with their cluster.
    """
    __tablename__ = 'cluster_request'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_cluster_request0uuid'),
        sa.Index('cluster_request_cluster_uuid_idx', 'cluster_uuid'),
    )

    uuid = _string(36, nullable=False)
    cluster_uuid = _string(36, nullable=False)
    operation = _string(64, nullable=False)
    # What the handler of ``operation`` takes besides the cluster: a
    # nodegroup's uuid, a node count, nodes to remove, rollback.
    arguments = _json_dict()


class EncryptionKeyRecord(Base):
    """Which encryption key this database's secrets are sealed with.

    One row, written by the first conductor to start: the key's id
    (magnum.common.cert_manager.encryption.key_id, a hash that reveals
    nothing of the key). A conductor whose key has another id refuses to
    start, so that no host seals secrets the others cannot read.
    """
    __tablename__ = 'encryption_key'
    __table_args__ = table_args(
        sa.UniqueConstraint('purpose', name='uniq_encryption_key0purpose'),
    )

    purpose = _string(64, nullable=False)
    key_id = _string(64, nullable=False)
    # The host that recorded it, for the message of one that differs.
    recorded_by = _string()


class Container(Base):
    """A container Magnum runs on a node of a swarm cluster (API 1.16).

    The row is written before the container is made (``Creating``) and
    says what Magnum last saw of it; ``host`` is the node it runs on and
    ``container_id`` the node's Docker id for it.
    """
    __tablename__ = 'container'
    __table_args__ = table_args(
        sa.UniqueConstraint('uuid', name='uniq_container0uuid'),
        sa.Index('container_project_id_idx', 'project_id'),
        sa.Index('container_cluster_uuid_idx', 'cluster_uuid'),
    )

    uuid = _string(36)
    name = _string()
    project_id = _string()
    user_id = _string()
    cluster_uuid = _string(36)
    image = _string()
    command = _json_list()
    memory = _string(32)
    cpu = sa.Column(sa.Float)
    environment = _json_dict()
    labels = _json_dict()
    ports = _json_list()
    restart_policy = _json_dict()
    status = _string(20)
    status_reason = sa.Column(sa.Text)
    host = _string()
    container_id = _string(64)
