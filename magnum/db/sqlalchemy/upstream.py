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

"""Taking over a database that upstream Magnum 23 left.

Upstream Magnum's last schema (alembic revision ``b3e1cf4a2d5e``) has the
same tables and columns as this Magnum's first revision (``b614c07dd7dc``)
but differs in the details: two unique constraints still carry the names
of the 2015 ``bay`` tables, the indexes this Magnum reads by are missing,
``cluster_template.server_type`` has a default and
``docker_storage_driver`` is wider, and on MariaDB half the tables are
utf8mb3. Its ``x509keypair`` rows keep each private key PKCS#8-encrypted
with the passphrase in the same row, so a copy of the database is a copy
of every cluster's keys.

The import (:class:`Importer`) changes exactly that and then records
``b614c07dd7dc`` in ``alembic_version``, from where this Magnum's own
migrations carry on. Rows are never inserted, deleted or renumbered; what
changes in them:

- each private key upstream stored encrypted with a passphrase is
  decrypted with it and sealed the way this Magnum stores keys (the
  caller says how: ``seal_private_key``); the passphrase column is
  emptied;
- a cluster whose driver is not installed here keeps its status, and its
  status reason says which driver is missing (and what the reason was);
- a template that names no driver, whose values upstream resolved to one
  of its own drivers (``k8s_fedora_coreos_v1``...), names that driver:
  its clusters are that driver's stacks, which a driver of this Magnum
  providing the same values must not take over.

Every step first looks whether it is already done, so an import cut short
(MariaDB commits each schema change on its own) is finished by running it
again; ``alembic_version`` changes last. There is no way back but the
backup taken before (doc/source/admin/upgrading-from-upstream.rst).

This module knows nothing of drivers or certificate managers (the layer
rule): the command that runs the import hands both in.
"""

import collections
import dataclasses

import sqlalchemy as sa

from magnum.common.x509 import operations

UPSTREAM_REVISION = 'b3e1cf4a2d5e'
UPSTREAM_RELEASE = 'upstream Magnum 23'
# This Magnum's revision whose schema the import produces.
BASE_REVISION = 'b614c07dd7dc'

# Upstream's tables and the columns this Magnum reads from them
# (upstream-magnum-23-schema.sql): what tells its schema from another.
UPSTREAM_COLUMNS = {
    'cluster_template': (
        'id', 'uuid', 'name', 'project_id', 'user_id', 'image_id',
        'flavor_id', 'master_flavor_id', 'keypair_id', 'external_network_id',
        'fixed_network', 'fixed_subnet', 'network_driver', 'volume_driver',
        'dns_nameserver', 'apiserver_port', 'docker_volume_size',
        'docker_storage_driver', 'cluster_distro', 'coe', 'http_proxy',
        'https_proxy', 'no_proxy', 'registry_enabled', 'labels',
        'tls_disabled', 'public', 'server_type', 'insecure_registry',
        'master_lb_enabled', 'floating_ip_enabled', 'hidden', 'tags',
        'driver', 'created_at', 'updated_at'),
    'cluster': (
        'id', 'uuid', 'name', 'cluster_template_id', 'api_address',
        'stack_id', 'project_id', 'user_id', 'status', 'discovery_url',
        'status_reason', 'ca_cert_ref', 'magnum_cert_ref', 'create_timeout',
        'coe_version', 'container_version', 'keypair', 'docker_volume_size',
        'labels', 'master_flavor_id', 'flavor_id', 'health_status',
        'health_status_reason', 'fixed_network', 'fixed_subnet',
        'floating_ip_enabled', 'master_lb_enabled', 'etcd_ca_cert_ref',
        'front_proxy_ca_cert_ref', 'created_at', 'updated_at'),
    'nodegroup': (
        'id', 'uuid', 'name', 'cluster_id', 'project_id',
        'docker_volume_size', 'labels', 'flavor_id', 'image_id',
        'node_addresses', 'node_count', 'max_node_count', 'min_node_count',
        'role', 'is_default', 'stack_id', 'status', 'status_reason',
        'version', 'node_labels', 'node_taints', 'created_at', 'updated_at'),
    'x509keypair': (
        'id', 'uuid', 'certificate', 'private_key', 'project_id', 'user_id',
        'intermediates', 'private_key_passphrase', 'created_at',
        'updated_at'),
    'magnum_service': (
        'id', 'report_count', 'host', 'binary', 'disabled',
        'disabled_reason', 'last_seen_up', 'forced_down', 'created_at',
        'updated_at'),
    'quotas': ('id', 'project_id', 'resource', 'hard_limit', 'created_at',
               'updated_at'),
    'federation': (
        'id', 'project_id', 'uuid', 'name', 'hostcluster_id', 'member_ids',
        'status', 'status_reason', 'properties', 'created_at', 'updated_at'),
}

# (table, upstream's name, ours) of the unique constraints renamed.
RENAMED_UNIQUE_CONSTRAINTS = (
    ('cluster', 'uniq_bay0uuid', 'uniq_cluster0uuid'),
    ('cluster_template', 'uniq_baymodel0uuid', 'uniq_cluster_template0uuid'),
)

# (table, index, columns) this Magnum has and upstream has not.
NEW_INDEXES = (
    ('cluster_template', 'cluster_template_project_id_idx', ('project_id',)),
    ('cluster', 'cluster_project_id_idx', ('project_id',)),
    ('cluster', 'cluster_cluster_template_id_idx', ('cluster_template_id',)),
    ('cluster', 'cluster_status_idx', ('status',)),
    ('federation', 'federation_project_id_idx', ('project_id',)),
)

# The drivers upstream Magnum chose by a template's (server_type,
# cluster_distro, coe) when the template names none; only used to name the
# driver a cluster needs when no driver here provides it.
UPSTREAM_DRIVERS = {
    ('vm', 'fedora-coreos', 'kubernetes'): 'k8s_fedora_coreos_v1',
    ('vm', 'fedora-atomic', 'kubernetes'): 'k8s_fedora_atomic_v1',
    ('vm', 'coreos', 'kubernetes'): 'k8s_coreos_v1',
    ('bm', 'fedora', 'kubernetes'): 'k8s_fedora_ironic_v1',
    ('vm', 'fedora-atomic', 'swarm'): 'swarm_fedora_atomic_v1',
    ('vm', 'fedora-atomic', 'swarm-mode'): 'swarm_fedora_atomic_v2',
    ('vm', 'ubuntu', 'mesos'): 'mesos_ubuntu_v1',
}

# The status reason of a cluster without its driver starts with this, so
# that an import run again does not say it twice.
MISSING_DRIVER_PREFIX = 'Cluster driver '

MYSQL_TEXT_COLUMNS = {
    'cluster_template': ('labels',),
    'cluster': ('status_reason', 'labels', 'health_status_reason'),
    'nodegroup': ('labels', 'node_addresses', 'status_reason',
                  'node_labels', 'node_taints'),
    'x509keypair': ('certificate', 'private_key', 'intermediates',
                    'private_key_passphrase'),
    'federation': ('member_ids', 'status_reason', 'properties'),
}


class UpstreamImportError(Exception):
    """The import cannot go on; the message says why and what to do."""


# -- telling the histories apart ---------------------------------------------

def current_revision(connection):
    """The revision in ``alembic_version``, or None (no table, no row)."""
    if not sa.inspect(connection).has_table('alembic_version'):
        return None
    row = connection.execute(sa.text(
        'SELECT version_num FROM alembic_version')).first()
    return row[0] if row else None


def is_upstream(revision):
    return revision == UPSTREAM_REVISION


def describe(revision, ours, head):
    """One line naming which history ``revision`` belongs to.

    ``ours`` is the set of this Magnum's revisions, ``head`` its newest.
    """
    if revision is None:
        return 'None (empty database; run magnum-db-manage upgrade)'
    if is_upstream(revision):
        return ('%s (%s), not yet upgraded; "magnum-db-manage upgrade" '
                'imports it into this Magnum\'s schema (%s)' % (
                    UPSTREAM_RELEASE, UPSTREAM_REVISION, head))
    if revision == head:
        return revision
    if revision in ours:
        return ('%s (this Magnum\'s schema, older than the newest %s; run '
                'magnum-db-manage upgrade)' % (revision, head))
    return '%s (%s)' % (revision, unknown_revision_advice(revision))


def unknown_revision_advice(revision):
    return ('revision %s is neither one of this Magnum\'s nor %s\'s last '
            '(%s); if an older upstream Magnum left it, upgrade it to '
            'Magnum 23 with that release\'s magnum-db-manage first' % (
                revision, UPSTREAM_RELEASE, UPSTREAM_REVISION))


def check_upstream_tables(connection):
    """Raise UpstreamImportError unless upstream's tables are all there
    with their columns (whatever the import already changed)."""
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names())
    problems = []
    for table, columns in sorted(UPSTREAM_COLUMNS.items()):
        if table not in tables:
            problems.append('table %s is missing' % table)
            continue
        present = {c['name'] for c in inspector.get_columns(table)}
        missing = sorted(set(columns) - present)
        if missing:
            problems.append('table %s lacks %s' % (table, ', '.join(missing)))
    if problems:
        raise UpstreamImportError(
            'The database says it is at %s\'s revision %s, but %s. It is '
            'not a database upstream Magnum 23 left; nothing was changed.'
            % (UPSTREAM_RELEASE, UPSTREAM_REVISION, '; '.join(problems)))


# -- clusters and their drivers ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class ClusterWithoutDriver:
    """A cluster no installed driver can act on."""

    uuid: str
    name: str
    project_id: str
    status: str
    status_reason: str
    driver: str

    def describe(self):
        return '%s (%s, project %s, %s): needs %s' % (
            self.uuid, self.name or 'no name', self.project_id,
            self.status, self.driver)


def upstream_driver(template):
    """The driver name upstream gave ``template`` (a mapping with driver,
    server_type, cluster_distro and coe): its ``driver``, else the one
    upstream chose by its values, else None."""
    if template.get('driver'):
        return template['driver']
    return UPSTREAM_DRIVERS.get((template.get('server_type'),
                                 template.get('cluster_distro'),
                                 template.get('coe')))


def needed_driver(template):
    """The driver a cluster of ``template`` (None when the template is
    gone) needs, as a person would name it."""
    if template is None:
        return 'unknown (its cluster template no longer exists)'
    return upstream_driver(template) or (
        'for server type %s, OS %s and COE %s' % (
            template.get('server_type'), template.get('cluster_distro'),
            template.get('coe')))


def missing_driver_reason(driver, previous_reason):
    """The status reason of a cluster whose driver is not installed."""
    reason = ('%s%s is not installed in this Magnum: the cluster can be '
              'read and deleted (its record only; delete what it runs on '
              'through the cloud), not changed. Install the driver to '
              'manage it.' % (MISSING_DRIVER_PREFIX, driver))
    if previous_reason:
        reason += ' Status reason before the upgrade: %s' % previous_reason
    return reason


def clusters_without_driver(connection, driver_installed):
    """Clusters whose driver is not installed, oldest first.

    ``driver_installed(driver, server_type, cluster_distro, coe)`` says
    whether a driver here serves a template: ``driver`` is the name
    upstream used (:func:`upstream_driver`), which only that driver may
    take over, or None when any driver providing the values may. Reads
    only columns upstream's schema and this Magnum's share, so it answers
    before and after the import.
    """
    templates = {}
    for row in connection.execute(sa.text(
            'SELECT uuid, driver, server_type, cluster_distro, coe '
            'FROM cluster_template')).mappings():
        templates[row['uuid']] = dict(row)
    found = []
    for row in connection.execute(sa.text(
            'SELECT uuid, name, project_id, status, status_reason, '
            'cluster_template_id FROM cluster ORDER BY id')).mappings():
        template = templates.get(row['cluster_template_id'])
        if template is not None and driver_installed(
                upstream_driver(template), template['server_type'],
                template['cluster_distro'], template['coe']):
            continue
        found.append(ClusterWithoutDriver(
            uuid=row['uuid'], name=row['name'],
            project_id=row['project_id'], status=row['status'],
            status_reason=row['status_reason'],
            driver=needed_driver(template)))
    return found


CERTIFICATE_REF_COLUMNS = ('ca_cert_ref', 'etcd_ca_cert_ref',
                           'front_proxy_ca_cert_ref', 'magnum_cert_ref')


def clusters_with_certificates_elsewhere(connection):
    """[(cluster uuid, name, [references])] of the clusters with
    certificate references that are not x509keypair rows (Barbican
    containers, an upstream deployment's ``local`` files): the import
    leaves them as they are, and the x509keypair manager cannot read
    them. Reads columns both schemas share."""
    stored = {row[0] for row in connection.execute(sa.text(
        'SELECT uuid FROM x509keypair'))}
    found = []
    for row in connection.execute(sa.text(
            'SELECT uuid, name, %s FROM cluster ORDER BY id' %
            ', '.join(CERTIFICATE_REF_COLUMNS))).mappings():
        elsewhere = [row[column] for column in CERTIFICATE_REF_COLUMNS
                     if row[column] and row[column] not in stored]
        if elsewhere:
            found.append((row['uuid'], row['name'], elsewhere))
    return found


# -- private keys -------------------------------------------------------------

def is_upstream_private_key(stored):
    """Whether ``stored`` is a PEM key as upstream kept it."""
    return bool(stored) and stored.lstrip().startswith('-----BEGIN ')


def resealed_private_key(uuid, stored, passphrase, seal_private_key):
    """The key of x509keypair ``uuid`` as this Magnum stores it: upstream's
    PEM decrypted with ``passphrase``, then ``seal_private_key(uuid,
    pem)``. UpstreamImportError names the row when it cannot be read."""
    # A key upstream stored unencrypted may still have a passphrase beside
    # it, which must not be offered to it.
    secret = passphrase if passphrase and 'ENCRYPTED' in stored else None
    try:
        pem = operations.decrypted_private_key_pem(stored, secret)
    except (ValueError, TypeError) as error:
        raise UpstreamImportError(
            'The private key of x509keypair %s cannot be decrypted with the '
            'passphrase stored beside it (%s). Fix or delete that row, or '
            'restore the backup, and run the upgrade again.' % (
                uuid, error.__class__.__name__)) from None
    return seal_private_key(uuid, pem)


# -- the import ---------------------------------------------------------------

class Importer:
    """Brings a database upstream Magnum 23 left to ``BASE_REVISION``.

    ``driver_installed`` is as for :func:`clusters_without_driver`;
    ``seal_private_key(uuid, pem)`` gives the text to store for the
    private key (unencrypted PEM) of x509keypair ``uuid``. ``log`` gets a
    line per step.
    """

    def __init__(self, driver_installed, seal_private_key, log=None):
        self.driver_installed = driver_installed
        self.seal_private_key = seal_private_key
        self.log = log or (lambda message: None)
        self.counts = collections.Counter()

    def run(self, engine):
        """Import; idempotent; UpstreamImportError on anything it cannot
        do, before or after some steps (run again once fixed)."""
        with engine.connect() as connection:
            if not is_upstream(current_revision(connection)):
                raise UpstreamImportError(
                    'The database is not at %s\'s revision %s.' % (
                        UPSTREAM_RELEASE, UPSTREAM_REVISION))
            check_upstream_tables(connection)
            self._check_fits(connection)
        # Rows first, each step in one transaction: they are the part a
        # failure must not leave half done.
        with engine.begin() as connection:
            self._reseal_private_keys(connection)
            for uuid, name, refs in clusters_with_certificates_elsewhere(
                    connection):
                self.log('Cluster %s (%s): its certificates %s are not in '
                         'the database; they stay where they are.' % (
                             uuid, name, ', '.join(refs)))
        with engine.begin() as connection:
            self._mark_clusters_without_driver(connection)
            self._pin_template_drivers(connection)
        with engine.begin() as connection:
            self._convert_schema(connection)
        with engine.begin() as connection:
            connection.execute(sa.text(
                'UPDATE alembic_version SET version_num = :ours WHERE '
                'version_num = :upstream'),
                {'ours': BASE_REVISION, 'upstream': UPSTREAM_REVISION})
        self.log('Recorded revision %s; this Magnum\'s migrations carry on '
                 'from there.' % BASE_REVISION)
        return self.counts

    def _check_fits(self, connection):
        longest = connection.execute(sa.text(
            'SELECT MAX(CHAR_LENGTH(docker_storage_driver)) FROM '
            'cluster_template')).scalar()
        if longest and longest > 255:
            raise UpstreamImportError(
                'A cluster template has a docker_storage_driver longer than '
                '255 characters, the most this Magnum stores; shorten it '
                'and run the upgrade again. Nothing was changed.')

    def _reseal_private_keys(self, connection):
        rows = connection.execute(sa.text(
            'SELECT id, uuid, private_key, private_key_passphrase FROM '
            'x509keypair ORDER BY id')).mappings().all()
        for row in rows:
            if not is_upstream_private_key(row['private_key']):
                continue
            sealed = resealed_private_key(
                row['uuid'], row['private_key'],
                row['private_key_passphrase'], self.seal_private_key)
            connection.execute(sa.text(
                'UPDATE x509keypair SET private_key = :key, '
                'private_key_passphrase = NULL WHERE id = :id'),
                {'key': sealed, 'id': row['id']})
            self.counts['private keys resealed'] += 1
        self.log('Private keys re-encrypted: %d of %d certificates.' % (
            self.counts['private keys resealed'], len(rows)))

    def _mark_clusters_without_driver(self, connection):
        for cluster in clusters_without_driver(connection,
                                               self.driver_installed):
            if (cluster.status_reason or '').startswith(
                    MISSING_DRIVER_PREFIX):
                continue
            connection.execute(sa.text(
                'UPDATE cluster SET status_reason = :reason WHERE uuid = '
                ':uuid'), {'uuid': cluster.uuid,
                           'reason': missing_driver_reason(
                               cluster.driver, cluster.status_reason)})
            self.counts['clusters without driver'] += 1
            self.log('Cluster %s, not installed: status reason updated.' %
                     cluster.describe())

    def _pin_template_drivers(self, connection):
        """Templates upstream resolved by their values get the name of the
        driver upstream chose: the clusters made from them are that
        driver's (its stacks, its templates), and a driver of this Magnum
        providing the same values must not take them over."""
        rows = connection.execute(sa.text(
            'SELECT id, uuid, driver, server_type, cluster_distro, coe '
            'FROM cluster_template WHERE driver IS NULL')).mappings().all()
        for row in rows:
            name = upstream_driver(row)
            if name:
                connection.execute(sa.text(
                    'UPDATE cluster_template SET driver = :name WHERE id = '
                    ':id'), {'name': name, 'id': row['id']})
                self.counts['templates given their driver'] += 1
                self.log('Cluster template %s (%s/%s/%s): driver %s, as '
                         'upstream chose it.' % (
                             row['uuid'], row['server_type'],
                             row['cluster_distro'], row['coe'], name))

    # The schema -------------------------------------------------------------

    def _convert_schema(self, connection):
        dialect = connection.dialect.name
        if dialect in ('mysql', 'mariadb'):
            self._mysql_charsets(connection)
        for table, old, new in RENAMED_UNIQUE_CONSTRAINTS:
            self._rename_unique(connection, dialect, table, old, new)
        inspector = sa.inspect(connection)
        for table, name, columns in NEW_INDEXES:
            if name not in {i['name'] for i in inspector.get_indexes(table)}:
                connection.execute(sa.text('CREATE INDEX %s ON %s (%s)' % (
                    name, table, ', '.join(columns))))
        self._template_columns(connection, dialect)
        self.log('Schema converted to this Magnum\'s revision %s.' %
                 BASE_REVISION)

    def _unique_names(self, connection, table):
        inspector = sa.inspect(connection)
        names = {c['name'] for c in inspector.get_unique_constraints(table)}
        return names | {i['name'] for i in inspector.get_indexes(table)
                        if i.get('unique')}

    def _rename_unique(self, connection, dialect, table, old, new):
        if old not in self._unique_names(connection, table):
            return
        if dialect in ('mysql', 'mariadb'):
            statement = 'ALTER TABLE %s RENAME INDEX %s TO %s'
        elif dialect == 'postgresql':
            statement = 'ALTER TABLE %s RENAME CONSTRAINT %s TO %s'
        else:
            raise UpstreamImportError(
                'Upstream databases on %s are not supported; use MariaDB, '
                'MySQL or PostgreSQL.' % dialect)
        connection.execute(sa.text(statement % (table, old, new)))

    def _template_columns(self, connection, dialect):
        columns = {c['name']: c for c in
                   sa.inspect(connection).get_columns('cluster_template')}
        server_type = columns['server_type']
        storage = columns['docker_storage_driver']
        if dialect in ('mysql', 'mariadb'):
            if server_type.get('default') is not None or \
                    getattr(storage['type'], 'length', 255) != 255:
                connection.execute(sa.text(
                    'ALTER TABLE cluster_template '
                    'MODIFY server_type VARCHAR(255) NULL DEFAULT NULL, '
                    'MODIFY docker_storage_driver VARCHAR(255) NULL'))
            return
        if server_type.get('default') is not None:
            connection.execute(sa.text(
                'ALTER TABLE cluster_template ALTER COLUMN server_type '
                'DROP DEFAULT'))
        if getattr(storage['type'], 'length', 255) != 255:
            connection.execute(sa.text(
                'ALTER TABLE cluster_template ALTER COLUMN '
                'docker_storage_driver TYPE VARCHAR(255)'))

    def _mysql_charsets(self, connection):
        """utf8mb4 for every table, TEXT columns staying TEXT (converting
        a table's character set widens TEXT to MEDIUMTEXT)."""
        rows = connection.execute(sa.text(
            'SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.'
            'TABLES WHERE TABLE_SCHEMA = DATABASE()')).all()
        collations = {name: collation for name, collation in rows}
        for table in sorted(UPSTREAM_COLUMNS):
            if (collations.get(table) or '').startswith('utf8mb4'):
                continue
            clauses = ['CONVERT TO CHARACTER SET utf8mb4']
            clauses += ['MODIFY %s TEXT NULL' % column
                        for column in MYSQL_TEXT_COLUMNS.get(table, ())]
            connection.execute(sa.text('ALTER TABLE %s %s' % (
                table, ', '.join(clauses))))
            self.log('Table %s converted to utf8mb4.' % table)
