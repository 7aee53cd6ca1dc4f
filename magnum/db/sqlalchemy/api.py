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

"""SQLAlchemy implementation of the database API (magnum.db.api)."""

import contextlib
import dataclasses
import datetime
import random
import threading
import time

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
from oslo_utils import strutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm as sa_orm
from sqlalchemy.engine import url as sa_url

from magnum import conf
from magnum.common import exception
from magnum.db import api
from magnum.db.sqlalchemy import models

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def database_url(url):
    """The URL to connect with: MySQL connections default to utf8mb4.

    oslo.db asks MySQL drivers for 3-byte "utf8" unless the URL names a
    charset, which turns any 4-byte character (an emoji in a name) into a
    server error; the tables are utf8mb4, so the connection is too.
    """
    parsed = sa_url.make_url(url)
    if parsed.get_backend_name() == 'mysql' and 'charset' not in parsed.query:
        parsed = parsed.update_query_dict({'charset': 'utf8mb4'})
    return parsed.render_as_string(hide_password=False)


class Record(dict):
    """A row read outside any transaction: its columns by key, as
    ``row['name']``, and as attributes, as ``row.name`` (what the ORM
    instances gave their callers; nothing reads relationships from rows
    of the API's reads)."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


# A pooled connection idle for longer than this is pinged before it is
# used again; one used more recently is taken as it is. oslo.db pings on
# every checkout, a round trip to the database on every request for a
# connection that, under load, served another request a millisecond ago.
# A connection that still fails (the server restarted within this
# window) makes SQLAlchemy invalidate the pool, so the next checkout
# connects afresh.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine):
    """Replace the pool's ping on every checkout by a ping of connections
    that were idle for PING_AFTER_IDLE_SECONDS."""
    pool = engine.pool
    if not getattr(pool, '_pre_ping', False):
        return
    pool._pre_ping = False
    dialect = engine.dialect

    @sa.event.listens_for(pool, 'checkin')
    def _checked_in(dbapi_connection, record):
        if record is not None:
            record.info['magnum_idle_since'] = time.monotonic()

    @sa.event.listens_for(pool, 'checkout')
    def _checked_out(dbapi_connection, record, proxy):
        idle_since = record.info.get('magnum_idle_since')
        if idle_since is None or \
                time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # DisconnectionError makes the pool drop this connection and
            # check out another (a new one), as its own ping would.
            raise sa.exc.DisconnectionError(
                'database connection lost while idle: %s' % error) from error


def get_backend():
    """The entry point oslo.db's DBAPI loader and our tools call."""
    return Connection()


@enginefacade.transaction_context_provider
class _TransactionContext:
    """Carries one thread's open transaction between nested calls."""


@dataclasses.dataclass(frozen=True)
class _Resource:
    """What differs between resources in otherwise identical queries."""

    model: type
    label: str                     # plural, for messages
    not_found: type
    not_found_arg: str
    already_exists: type
    # How rows are scoped to a request context (compatibility.rst,
    # "Policy and visibility"):
    # 'owner' (project, else user), 'template' (owner plus public rows),
    # 'project_for_non_admin' (nodegroups) or None (no scoping).
    scope: str | None


CLUSTER_TEMPLATE = _Resource(
    models.ClusterTemplate, 'cluster templates',
    exception.ClusterTemplateNotFound, 'clustertemplate',
    exception.ClusterTemplateAlreadyExists, 'template')
CLUSTER = _Resource(
    models.Cluster, 'clusters', exception.ClusterNotFound, 'cluster',
    exception.ClusterAlreadyExists, 'owner')
NODEGROUP = _Resource(
    models.NodeGroup, 'nodegroups', exception.NodeGroupNotFound,
    'nodegroup', exception.NodeGroupAlreadyExists, 'project_for_non_admin')
X509KEYPAIR = _Resource(
    models.X509KeyPair, 'x509 key pairs', exception.X509KeyPairNotFound,
    'x509keypair', exception.X509KeyPairAlreadyExists, 'owner')
MAGNUM_SERVICE = _Resource(
    models.MagnumService, 'magnum services',
    exception.MagnumServiceNotFound, 'magnum_service_id',
    exception.MagnumServiceAlreadyExists, None)
QUOTA = _Resource(
    models.Quota, 'quotas', exception.QuotaNotFound, 'msg',
    exception.QuotaAlreadyExists, None)
FEDERATION = _Resource(
    models.Federation, 'federations', exception.FederationNotFound,
    'federation', exception.FederationAlreadyExists, 'owner')

SORT_DIRECTIONS = ('asc', 'desc')

# The quota resource create_cluster enforces, and how often one create
# retries after losing a race for the project's quota lock (a deadlock
# victim on MariaDB, "database is locked" on SQLite).
QUOTA_CLUSTER_RESOURCE = 'Cluster'
QUOTA_LOCK_ATTEMPTS = 50

_random = random.SystemRandom()


class _QuotaLockLost(Exception):
    """The quota row appeared while a create was taking its lock."""

    def __str__(self):
        return 'the quota row was created concurrently'


def _scope_plan(context, resource):
    """How ``context`` scopes the rows of ``resource``: ``(variant,
    owner)``.

    ``variant`` is None when every row is visible, else ``(column,
    public)``: rows whose ``column`` (project_id or user_id) equals
    ``owner`` are visible, and with ``public`` 'all' also public rows,
    with 'shown' also public rows that are not hidden. The variant alone
    decides the shape of the WHERE clause, so one prepared SELECT serves
    every context of that variant (_prepared_select).
    """
    if resource.scope is None or context is None:
        return None, None
    if resource.scope == 'project_for_non_admin':
        if context.is_admin:
            return None, None
        return ('project_id', None), context.project_id
    if context.is_admin and context.all_tenants:
        return None, None
    column = 'project_id' if context.project_id else 'user_id'
    public = None
    if resource.scope == 'template':
        public = 'all' if context.is_admin else 'shown'
    return (column, public), getattr(context, column)


def _scope_clause(model, variant, owner):
    """The WHERE clause of a _scope_plan ``variant``; ``owner`` is the
    owner's value or a bind parameter for it."""
    column, public = variant
    owned = getattr(model, column) == owner
    if public is None:
        return owned
    visible = model.public == sa.true()
    if public == 'shown':
        visible = sa.and_(visible, model.hidden == sa.false())
    return sa.or_(owned, visible)


# Prepared SELECTs of single-row reads by (model, matched columns, scope
# variant, limit). Building a SELECT and computing its cache key costs
# more Python time than running it; a statement built once memoizes its
# cache key, so each later read only binds new values. Never evicted:
# resources, keys and scope variants make a few dozen combinations at
# most. Two threads building the same entry at once is harmless (the
# last one stays).
_PREPARED = {}
_OWNER_PARAM = 'scope_owner'


def _match_param(column):
    return 'match_' + column


def _bindable(model, column, value):
    """Whether a bind parameter of ``column``'s type carries ``value`` as
    the literal of ``column == value`` would: the same Python type as the
    column's. None is not (``column == None`` is IS NULL), nor is, say,
    an int compared to a string column (its literal would be typed
    Integer)."""
    column = getattr(model, column, None)
    if column is None or value is None:
        return False
    try:
        return type(value) is column.type.python_type
    except NotImplementedError:
        return False


def _prepared_select(resource, columns, variant, limit):
    key = (resource.model, columns, variant, limit)
    statement = _PREPARED.get(key)
    if statement is None:
        model = resource.model
        statement = sa.select(model).where(*(
            getattr(model, column) == sa.bindparam(_match_param(column))
            for column in columns))
        if variant is not None:
            statement = statement.where(_scope_clause(
                model, variant, sa.bindparam(_OWNER_PARAM)))
        statement = _PREPARED[key] = statement.limit(limit)
    return statement


def _ident_clause(model, ident):
    """Match a row by integer id or by uuid, whichever ``ident`` is."""
    if strutils.is_int_like(ident):
        return model.id == int(ident)
    if uuidutils.is_uuid_like(ident):
        return model.uuid == ident
    raise exception.InvalidIdentity(identity=ident)


def _column_filters(model, filters):
    """WHERE clauses for {column: value | [values] | None}."""
    clauses = []
    columns = model.__table__.columns
    for key, value in (filters or {}).items():
        if key not in columns:
            raise exception.InvalidParameterValue(
                err="Unknown filter %r for %s; valid filters are: %s" % (
                    key, model.__tablename__,
                    ', '.join(sorted(columns.keys()))))
        column = getattr(model, key)
        if isinstance(value, (list, tuple, set, frozenset)):
            clauses.append(column.in_(list(value)))
        elif value is None:
            clauses.append(column.is_(None))
        else:
            clauses.append(column == value)
    return clauses


def _sort_order(model, sort_key, sort_dir):
    """ORDER BY for keyset paging with NULLs sorting lowest everywhere.

    Backends disagree on where NULLs go (MySQL and SQLite put them first,
    PostgreSQL last), so nullable keys get an explicit "is not null" flag
    first; ``id`` breaks ties so that the order is total.
    """
    column = getattr(model, sort_key)
    direction = sa.asc if sort_dir == 'asc' else sa.desc
    order = []
    if sort_key != 'id' and column.nullable:
        order.append(direction(sa.case((column.is_(None), 0), else_=1)))
    if sort_key != 'id':
        order.append(direction(column))
    order.append(direction(model.id))
    return order


def _after_marker(model, sort_key, sort_dir, marker_row):
    """WHERE clause for the rows after ``marker_row`` in _sort_order."""
    column = getattr(model, sort_key)
    value, marker_id = getattr(marker_row, sort_key), marker_row.id
    if sort_key == 'id':
        return model.id > marker_id if sort_dir == 'asc' \
            else model.id < marker_id
    if sort_dir == 'asc':
        if value is None:
            return sa.or_(sa.and_(column.is_(None), model.id > marker_id),
                          column.is_not(None))
        return sa.or_(column > value,
                      sa.and_(column == value, model.id > marker_id))
    if value is None:
        return sa.and_(column.is_(None), model.id < marker_id)
    return sa.or_(column < value,
                  sa.and_(column == value, model.id < marker_id),
                  column.is_(None))


class Connection(api.Connection):
    """The database API over one SQLAlchemy engine.

    Without ``connection`` the engine comes from ``[database]`` options;
    tests and tools pass a URL to talk to a database of their own.
    """

    def __init__(self, connection=None, **engine_options):
        self._facade = enginefacade.transaction_context()
        connection = database_url(connection or CONF.database.connection)
        # No eventlet here: oslo.db's sleep(0) on every connection checkout
        # (meant to let green threads run) only costs time.
        engine_options.setdefault('thread_checkin', False)
        self._facade.configure(connection=connection, **engine_options)
        self._local = threading.local()

    # -- plumbing -----------------------------------------------------------

    def _context(self):
        ctx = getattr(self._local, 'ctx', None)
        if ctx is None:
            ctx = self._local.ctx = _TransactionContext()
        return ctx

    def _reader(self):
        return self._facade.reader.using(self._context())

    def _writer(self):
        return self._facade.writer.using(self._context())

    def get_engine(self):
        return self._facade.writer.get_engine()

    def _read_engine(self):
        engine = self.__dict__.get('_engine_for_reads')
        if engine is None:
            engine = self._facade.reader.get_engine()
            _ping_when_idle(engine)
            self._engine_for_reads = engine
        return engine

    def _in_transaction(self):
        """Whether this thread is inside a reader or writer block (oslo.db
        keeps the open block on the context it was entered with;
        test_read_inside_a_transaction_sees_its_writes checks this)."""
        scopes = getattr(self._context(), '_enginefacade_context', None)
        return getattr(scopes, 'current', None) is not None

    def _rows(self, statements):
        """The rows of each SELECT of whole rows of one model in
        ``statements`` (a function of a ``run(statement, params=None)``
        that returns rows; ``params`` gives the values of the statement's
        bind parameters by name).

        Outside a transaction (every read of the API), the SELECTs run on
        a pooled connection without an ORM session: the rows come back as
        Records, for a fraction of the Python time of ORM instances and
        without the session's own ROLLBACK. Inside a transaction of this thread
        they run in its session, so that they see its writes, and come
        back as its model instances.
        """
        if self._in_transaction():
            with self._reader() as session:
                return statements(
                    lambda statement, params=None: session.execute(
                        statement, params).scalars().all())

        def run(statement, params=None):
            result = connection.execute(statement, params)
            keys = tuple(result.keys())
            return [Record(zip(keys, row)) for row in result]
        with self._read_engine().connect() as connection:
            return statements(run)

    def warm_up(self):
        sa_orm.configure_mappers()
        with self._read_engine().connect() as connection:
            connection.exec_driver_sql('SELECT 1').all()

    def dispose(self):
        self._facade.dispose_pool()

    @staticmethod
    def _scope(context, query, resource):
        variant, owner = _scope_plan(context, resource)
        if variant is None:
            return query
        return query.filter(_scope_clause(resource.model, variant, owner))

    def _query(self, session, context, resource, criteria=()):
        query = session.query(resource.model)
        for clause in criteria:
            query = query.filter(clause)
        return self._scope(context, query, resource)

    def _select(self, context, resource, criteria=()):
        """The 2.0-style SELECT of _query: the reads of the API use it
        because it skips the legacy Query's per-call set-up (about a
        third of the Python time of reading one row)."""
        statement = sa.select(resource.model)
        if criteria:
            statement = statement.where(*criteria)
        return self._scope(context, statement, resource)

    def _select_matching(self, context, resource, match, limit,
                         criteria=()):
        """``(statement, params)`` for at most ``limit`` rows of
        ``resource`` visible to ``context`` whose columns equal ``match``
        (pairs of column name and value) and that meet ``criteria``.

        Without ``criteria`` the statement is the prepared one of this
        shape, with ``params`` for its bind parameters; values a bind
        parameter would not carry as the literal would (_bindable) and
        other ``criteria`` get a SELECT of their own, built as before.
        """
        model = resource.model
        variant, owner = _scope_plan(context, resource)
        if not criteria and \
                all(_bindable(model, column, value)
                    for column, value in match) and \
                (variant is None or _bindable(model, variant[0], owner)):
            params = {_match_param(column): value for column, value in match}
            if variant is not None:
                params[_OWNER_PARAM] = owner
            return _prepared_select(
                resource, tuple(column for column, _ in match), variant,
                limit), params
        where = tuple(getattr(model, column) == value
                      for column, value in match) + tuple(criteria)
        return self._select(context, resource, where).limit(limit), None

    def _get_one(self, context, resource, match, ident, by_name=False):
        """The row of ``resource`` visible to ``context`` whose columns
        equal ``match``: the key column's pair, then those of ``within``
        of _get_by_* ({column name: value}, as a nodegroup's cluster),
        which keep the prepared SELECT."""
        statement, params = self._select_matching(context, resource, match,
                                                  2)
        rows = self._rows(lambda run: run(statement, params))
        if not rows:
            raise resource.not_found(**{resource.not_found_arg: ident})
        if len(rows) > 1 and by_name:
            raise exception.NameNotUnique(resource=resource.label,
                                          name=ident)
        return rows[0]

    def _get_by_id(self, context, resource, ident, within=None):
        if not strutils.is_int_like(ident):
            raise exception.InvalidIdentity(identity=ident)
        return self._get_one(
            context, resource,
            (('id', int(ident)),) + tuple((within or {}).items()), ident)

    def _get_by_uuid(self, context, resource, uuid, within=None):
        if not uuidutils.is_uuid_like(uuid):
            raise exception.InvalidUUID(uuid=uuid)
        return self._get_one(
            context, resource,
            (('uuid', uuid),) + tuple((within or {}).items()), uuid)

    def _get_by_name(self, context, resource, name, within=None):
        return self._get_one(
            context, resource,
            (('name', name),) + tuple((within or {}).items()), name,
            by_name=True)

    def _list(self, context, resource, filters=None, limit=None,
              marker=None, sort_key=None, sort_dir=None, criteria=(),
              marker_column='uuid'):
        model = resource.model
        sort_key = sort_key or 'id'
        sort_dir = sort_dir or 'asc'
        columns = model.__table__.columns
        if sort_key not in columns:
            raise exception.InvalidSortKey(
                key=sort_key, valid=', '.join(sorted(columns.keys())))
        if sort_dir not in SORT_DIRECTIONS:
            raise exception.InvalidSortDirection(direction=sort_dir)
        if limit is not None and int(limit) <= 0:
            raise exception.InvalidLimit()
        criteria = tuple(criteria) + tuple(_column_filters(model, filters))

        def statements(run):
            query = self._select(context, resource, criteria)
            if marker is not None:
                marker_row = self._marker_row(run, context, resource,
                                              criteria, marker,
                                              marker_column)
                query = query.where(_after_marker(
                    model, sort_key, sort_dir, marker_row))
            query = query.order_by(*_sort_order(model, sort_key, sort_dir))
            if limit is not None:
                query = query.limit(int(limit))
            return run(query)
        return self._rows(statements)

    def _marker_row(self, run, context, resource, criteria, marker,
                    marker_column):
        """The row ``marker`` names among the rows the list reads (those
        visible to ``context`` that meet ``criteria``)."""
        if marker_column == 'id':
            if not strutils.is_int_like(marker):
                raise exception.InvalidParameterValue(
                    err="Marker %r is not an integer id." % (marker,))
            match = (('id', int(marker)),)
        else:
            if not uuidutils.is_uuid_like(marker):
                raise exception.InvalidUUID(uuid=marker)
            match = (('uuid', marker),)
        rows = run(*self._select_matching(context, resource, match, 1,
                                          criteria))
        if not rows:
            raise exception.MarkerNotFound(marker=marker)
        return rows[0]

    def _create(self, resource, values):
        values = dict(values)
        if 'uuid' in resource.model.__table__.columns:
            values.setdefault('uuid', uuidutils.generate_uuid())
        table = resource.model.__table__
        columns = table.columns.keys()
        # A Core INSERT rather than an ORM flush: the unit of work costs
        # more Python time than the statement itself. The row comes back
        # as a Record of what was written, column defaults included (keys
        # that are not columns are not written, as with the ORM).
        with self._writer() as writer_session:
            try:
                result = writer_session.execute(sa.insert(table).values(
                    {key: value for key, value in values.items()
                     if key in columns}))
            except db_exc.DBDuplicateEntry as error:
                raise self._duplicate(resource, values, error)
        row = Record.fromkeys(columns)
        row.update(values)
        row.update(result.last_inserted_params())
        row.update(zip((c.key for c in table.primary_key.columns),
                       result.inserted_primary_key))
        return row

    @staticmethod
    def _duplicate(resource, values, error):
        if resource is NODEGROUP and 'name' in (error.columns or []):
            return exception.NodeGroupAlreadyExists(
                name=values.get('name'), cluster_id=values.get('cluster_id'))
        if resource is QUOTA:
            return exception.QuotaAlreadyExists(
                project_id=values.get('project_id'),
                resource=values.get('resource'))
        if resource is MAGNUM_SERVICE:
            return exception.MagnumServiceAlreadyExists(
                id='%s/%s' % (values.get('host'), values.get('binary')))
        return resource.already_exists(uuid=values.get('uuid'))

    def _update(self, resource, ident, values, expected=None, criteria=()):
        model = resource.model
        values = dict(values)
        values.pop('id', None)
        if 'uuid' in values:
            raise exception.InvalidParameterValue(
                err="Cannot overwrite the UUID of an existing %s." %
                resource.label)
        where = (_ident_clause(model, ident),) + tuple(criteria)
        guard = tuple(_column_filters(model, expected))
        with self._writer() as session:
            if values:
                result = session.execute(
                    sa.update(model).where(*where, *guard).values(**values)
                    .execution_options(synchronize_session=False))
                matched = result.rowcount
            else:
                matched = session.query(model.id).filter(
                    *where, *guard).count()
            ref = session.query(model).filter(*where).one_or_none()
            if ref is None:
                raise resource.not_found(**{resource.not_found_arg: ident})
            if not matched:
                raise exception.ConcurrentUpdate(
                    resource=model.__tablename__, id=ident,
                    expected=expected)
            session.refresh(ref)
        return ref

    def _destroy(self, resource, ident, criteria=()):
        model = resource.model
        where = (_ident_clause(model, ident),) + tuple(criteria)
        with self._writer() as session:
            deleted = session.execute(
                sa.delete(model).where(*where)
                .execution_options(synchronize_session=False)).rowcount
        if not deleted:
            raise resource.not_found(**{resource.not_found_arg: ident})

    # -- cluster templates ------------------------------------------------

    def get_cluster_template_list(self, context, filters=None, limit=None,
                                  marker=None, sort_key=None,
                                  sort_dir=None):
        return self._list(context, CLUSTER_TEMPLATE, filters, limit, marker,
                          sort_key, sort_dir)

    def create_cluster_template(self, values):
        return self._create(CLUSTER_TEMPLATE, values)

    def get_cluster_template_by_id(self, context, cluster_template_id):
        return self._get_by_id(context, CLUSTER_TEMPLATE,
                               cluster_template_id)

    def get_cluster_template_by_uuid(self, context, cluster_template_uuid):
        return self._get_by_uuid(context, CLUSTER_TEMPLATE,
                                 cluster_template_uuid)

    def get_cluster_template_by_name(self, context, cluster_template_name):
        return self._get_by_name(context, CLUSTER_TEMPLATE,
                                 cluster_template_name)

    def _template_users(self, session, template):
        return [name or uuid for uuid, name in session.query(
            models.Cluster.uuid, models.Cluster.name).filter(
                models.Cluster.cluster_template_id == template.uuid)]

    def get_cluster_templates_by_uuids(self, uuids):
        uuids = list(uuids)
        if not uuids:
            return []
        statement = sa.select(models.ClusterTemplate).where(
            models.ClusterTemplate.uuid.in_(uuids))
        return self._rows(lambda run: run(statement))

    def update_cluster_template(self, cluster_template_id, values,
                                expected=None):
        return self._update(CLUSTER_TEMPLATE, cluster_template_id, values,
                            expected)

    def destroy_cluster_template(self, cluster_template_id):
        model = models.ClusterTemplate
        with self._writer() as session:
            # Lock the template row so a cluster created from it cannot
            # slip in between the reference check and the delete.
            template = session.query(model).filter(
                _ident_clause(model, cluster_template_id)
            ).with_for_update().one_or_none()
            if template is None:
                raise exception.ClusterTemplateNotFound(
                    clustertemplate=cluster_template_id)
            users = self._template_users(session, template)
            if users:
                raise exception.ClusterTemplateReferenced(
                    clustertemplate=template.name or template.uuid,
                    clusters=', '.join(sorted(users)))
            session.delete(template)

    # -- clusters -----------------------------------------------------------

    def get_cluster_list(self, context, filters=None, limit=None,
                         marker=None, sort_key=None, sort_dir=None):
        return self._list(context, CLUSTER, filters, limit, marker,
                          sort_key, sort_dir)

    def create_cluster(self, values, nodegroups=(), max_clusters=None):
        values = dict(values)
        values.setdefault('uuid', uuidutils.generate_uuid())
        if max_clusters is None:
            with self._writer():
                return self._insert_cluster(values, nodegroups)
        attempt = 1
        while True:
            try:
                return self._create_cluster_within_quota(
                    values, nodegroups, max_clusters)
            except db_exc.DBError as error:
                # Lost a race for the project's lock: a deadlock victim on
                # MariaDB, "database is locked" on SQLite (which does not
                # wait when waiting could deadlock). The other create has
                # finished or rolled back, so counting again is sound.
                lost = isinstance(error, db_exc.DBDeadlock) or \
                    'database is locked' in str(error)
                if not lost or attempt >= QUOTA_LOCK_ATTEMPTS:
                    raise
                reason = error
            except _QuotaLockLost as error:
                if attempt >= QUOTA_LOCK_ATTEMPTS:
                    raise
                reason = error
            LOG.debug('Cluster create of project %s lost the race for the '
                      'quota lock (attempt %d): %s',
                      values.get('project_id'), attempt, reason)
            time.sleep(_random.uniform(0.005, 0.01 * min(attempt, 10)))
            attempt += 1

    def _insert_cluster(self, values, nodegroups):
        cluster = self._create(CLUSTER, values)
        for nodegroup in nodegroups:
            nodegroup = dict(nodegroup)
            nodegroup.setdefault('cluster_id', cluster.uuid)
            nodegroup.setdefault('project_id', cluster.project_id)
            self._create(NODEGROUP, nodegroup)
        return cluster

    def _create_cluster_within_quota(self, values, nodegroups,
                                     max_clusters):
        """One attempt: lock the project's Cluster quota, count, insert.

        Every create that enforces the quota first takes the lock, so
        creates of one project serialize and N concurrent creates against
        a limit of Q leave exactly min(N, Q) clusters.

        The lock is the project's row in ``quotas``. The first statement
        writes it (a no-op UPDATE): a row lock on MariaDB and PostgreSQL,
        the database's write lock on SQLite (which ignores FOR UPDATE).
        When the project has no quota row, a placeholder row is inserted
        and deleted again before commit: the unique key (project_id,
        resource) makes a second transaction's insert wait for the first
        to end, and nobody ever sees the placeholder. Reads before the
        count are locking reads, so that MariaDB's repeatable-read
        snapshot is taken only once the lock is held. (Clusters without a
        project, which only a domain-scoped admin could make, serialize
        only on SQLite: NULL never collides in a unique key.)
        """
        with self._writer() as session:
            with self._quota_slot(session, values.get('project_id'),
                                  QUOTA_CLUSTER_RESOURCE, max_clusters,
                                  models.Cluster, 'clusters'):
                return self._insert_cluster(values, nodegroups)

    @staticmethod
    @contextlib.contextmanager
    def _quota_slot(session, project_id, resource, default_limit, counted,
                    noun):
        """Inside ``session``: lock the project's quota row of
        ``resource`` (or a placeholder, see _create_cluster_within_quota),
        count its ``counted`` rows and refuse one more past the limit; the
        caller inserts in the block, and the placeholder goes after it."""
        quota = models.Quota
        mine = (quota.project_id == project_id, quota.resource == resource)
        # Setting updated_at to itself keeps the quota's timestamp.
        session.execute(
            sa.update(quota).where(*mine)
            .values(hard_limit=quota.hard_limit,
                    updated_at=quota.updated_at)
            .execution_options(synchronize_session=False))
        limit = session.execute(
            sa.select(quota.hard_limit).where(*mine)
            .with_for_update()).scalar_one_or_none()
        placeholder = None
        if limit is None:
            limit = default_limit
            placeholder = quota(project_id=project_id, resource=resource,
                                hard_limit=default_limit)
            session.add(placeholder)
            try:
                session.flush()
            except db_exc.DBDuplicateEntry:
                # A quota row was committed since the SELECT.
                raise _QuotaLockLost()
        count = session.execute(
            sa.select(sa.func.count(counted.id)).where(
                counted.project_id == project_id)).scalar_one()
        if count + 1 > limit:
            raise exception.ResourceLimitExceeded(
                msg='project %s may have at most %d %s and has %d' % (
                    project_id, limit, noun, count))
        yield
        if placeholder is not None:
            session.delete(placeholder)
            session.flush()

    def get_cluster_by_id(self, context, cluster_id):
        return self._get_by_id(context, CLUSTER, cluster_id)

    def get_cluster_by_uuid(self, context, cluster_uuid):
        return self._get_by_uuid(context, CLUSTER, cluster_uuid)

    def get_cluster_by_name(self, context, cluster_name):
        return self._get_by_name(context, CLUSTER, cluster_name)

    def get_cluster_count_all(self, context, filters=None):
        criteria = _column_filters(models.Cluster, filters)
        with self._reader() as session:
            return self._query(session, context, CLUSTER,
                               criteria).count()

    def get_cluster_stats(self, context, project_id=None):
        cluster, nodegroup = models.Cluster, models.NodeGroup
        clusters = sa.select(sa.func.count(cluster.id))
        nodes = sa.select(sa.func.coalesce(sa.func.sum(nodegroup.node_count),
                                           0)).join(
            cluster, cluster.uuid == nodegroup.cluster_id)
        if project_id is not None:
            clusters = clusters.where(cluster.project_id == project_id)
            nodes = nodes.where(cluster.project_id == project_id)
        with self._reader() as session:
            return (session.execute(clusters).scalar_one(),
                    int(session.execute(nodes).scalar_one()))

    def update_cluster(self, cluster_id, values, expected=None):
        return self._update(CLUSTER, cluster_id, values, expected)

    def destroy_cluster(self, cluster_id):
        with self._writer() as session:
            cluster = session.query(models.Cluster).filter(
                _ident_clause(models.Cluster, cluster_id)).one_or_none()
            if cluster is None:
                raise exception.ClusterNotFound(cluster=cluster_id)
            session.execute(sa.delete(models.NodeGroup).where(
                models.NodeGroup.cluster_id == cluster.uuid))
            # The lock row outlives its releases (it records the last
            # finished operation), not the cluster.
            session.execute(sa.delete(models.ClusterLock).where(
                models.ClusterLock.cluster_uuid == cluster.uuid))
            # Requests not taken yet have nothing left to act on.
            session.execute(sa.delete(models.ClusterRequest).where(
                models.ClusterRequest.cluster_uuid == cluster.uuid))
            # Containers live on the cluster's nodes: gone with them.
            session.execute(sa.delete(models.Container).where(
                models.Container.cluster_uuid == cluster.uuid))
            session.delete(cluster)

    # -- nodegroups ---------------------------------------------------------

    def create_nodegroup(self, values):
        return self._create(NODEGROUP, values)

    def list_cluster_nodegroups(self, context, cluster_id, filters=None,
                                limit=None, marker=None, sort_key=None,
                                sort_dir=None):
        in_cluster = models.NodeGroup.cluster_id == cluster_id
        return self._list(context, NODEGROUP, filters, limit, marker,
                          sort_key, sort_dir, criteria=(in_cluster,))

    def get_nodegroup_by_id(self, context, cluster_id, nodegroup_id):
        return self._get_by_id(context, NODEGROUP, nodegroup_id,
                               within={'cluster_id': cluster_id})

    def get_nodegroup_by_uuid(self, context, cluster_id, nodegroup_uuid):
        return self._get_by_uuid(context, NODEGROUP, nodegroup_uuid,
                                 within={'cluster_id': cluster_id})

    def get_nodegroup_by_name(self, context, cluster_id, nodegroup_name):
        return self._get_by_name(context, NODEGROUP, nodegroup_name,
                                 within={'cluster_id': cluster_id})

    def list_nodegroups_of_clusters(self, cluster_ids):
        cluster_ids = list(cluster_ids)
        if not cluster_ids:
            return []
        statement = sa.select(models.NodeGroup).where(
            models.NodeGroup.cluster_id.in_(cluster_ids)).order_by(
                models.NodeGroup.id)
        return self._rows(lambda run: run(statement))

    def get_cluster_nodegroup_count(self, context, cluster_id):
        with self._reader() as session:
            return self._query(
                session, context, NODEGROUP,
                (models.NodeGroup.cluster_id == cluster_id,)).count()

    def update_nodegroup(self, cluster_id, nodegroup_id, values,
                         expected=None):
        return self._update(NODEGROUP, nodegroup_id, values, expected,
                            (models.NodeGroup.cluster_id == cluster_id,))

    def destroy_nodegroup(self, cluster_id, nodegroup_id):
        self._destroy(NODEGROUP, nodegroup_id,
                      (models.NodeGroup.cluster_id == cluster_id,))

    # -- x509 key pairs -----------------------------------------------------

    def create_x509keypair(self, values):
        return self._create(X509KEYPAIR, values)

    def get_x509keypair_by_id(self, context, x509keypair_id):
        return self._get_by_id(context, X509KEYPAIR, x509keypair_id)

    def get_x509keypair_by_uuid(self, context, x509keypair_uuid):
        return self._get_by_uuid(context, X509KEYPAIR, x509keypair_uuid)

    def get_x509keypair_list(self, context, filters=None, limit=None,
                             marker=None, sort_key=None, sort_dir=None):
        return self._list(context, X509KEYPAIR, filters, limit, marker,
                          sort_key, sort_dir)

    def update_x509keypair(self, x509keypair_id, values, expected=None):
        return self._update(X509KEYPAIR, x509keypair_id, values, expected)

    def destroy_x509keypair(self, x509keypair_id):
        self._destroy(X509KEYPAIR, x509keypair_id)

    # -- magnum services ----------------------------------------------------

    def create_magnum_service(self, values):
        return self._create(MAGNUM_SERVICE, values)

    def get_magnum_service_by_host_and_binary(self, host, binary):
        model = models.MagnumService
        with self._reader() as session:
            return session.query(model).filter(
                model.host == host, model.binary == binary).one_or_none()

    def get_magnum_service_list(self, disabled=None, limit=None,
                                marker=None, sort_key=None, sort_dir=None):
        filters = {} if disabled is None else {'disabled': bool(disabled)}
        return self._list(None, MAGNUM_SERVICE, filters, limit, marker,
                          sort_key, sort_dir, marker_column='id')

    def update_magnum_service(self, magnum_service_id, values,
                              expected=None):
        return self._update(MAGNUM_SERVICE, magnum_service_id, values,
                            expected)

    def destroy_magnum_service(self, magnum_service_id):
        self._destroy(MAGNUM_SERVICE, magnum_service_id)

    # -- quotas -------------------------------------------------------------

    def create_quota(self, values):
        return self._create(QUOTA, values)

    def get_quota_list(self, context, filters=None, limit=None, marker=None,
                       sort_key=None, sort_dir=None):
        return self._list(context, QUOTA, filters, limit, marker, sort_key,
                          sort_dir, marker_column='id')

    def get_quota_by_id(self, context, quota_id):
        return self._get_by_id(context, QUOTA, quota_id)

    def get_quota_by_project_id_resource(self, project_id, resource):
        model = models.Quota
        with self._reader() as session:
            quota = session.query(model).filter(
                model.project_id == project_id,
                model.resource == resource).one_or_none()
        if quota is None:
            raise exception.QuotaNotFound(
                msg='project %s, resource %s' % (project_id, resource))
        return quota

    def quota_get_all_by_project_id(self, project_id):
        with self._reader() as session:
            return session.query(models.Quota).filter(
                models.Quota.project_id == project_id).order_by(
                    models.Quota.id).all()

    def update_quota(self, project_id, values):
        model = models.Quota
        resource = values.get('resource')
        values = {k: v for k, v in values.items()
                  if k not in ('id', 'project_id', 'resource')}
        with self._writer() as session:
            criteria = (model.project_id == project_id,
                        model.resource == resource)
            if values:
                session.execute(sa.update(model).where(*criteria)
                                .values(**values)
                                .execution_options(synchronize_session=False))
            quota = session.query(model).filter(*criteria).one_or_none()
            if quota is None:
                raise exception.QuotaNotFound(
                    msg='project %s, resource %s' % (project_id, resource))
            session.refresh(quota)
        return quota

    def delete_quota(self, project_id, resource):
        model = models.Quota
        with self._writer() as session:
            deleted = session.execute(sa.delete(model).where(
                model.project_id == project_id,
                model.resource == resource)).rowcount
        if not deleted:
            raise exception.QuotaNotFound(
                msg='project %s, resource %s' % (project_id, resource))

    # -- federations --------------------------------------------------------

    def get_federation_list(self, context, filters=None, limit=None,
                            marker=None, sort_key=None, sort_dir=None):
        return self._list(context, FEDERATION, filters, limit, marker,
                          sort_key, sort_dir)

    def create_federation(self, values):
        return self._create(FEDERATION, values)

    def get_federation_by_id(self, context, federation_id):
        return self._get_by_id(context, FEDERATION, federation_id)

    def get_federation_by_uuid(self, context, federation_uuid):
        return self._get_by_uuid(context, FEDERATION, federation_uuid)

    def get_federation_by_name(self, context, federation_name):
        return self._get_by_name(context, FEDERATION, federation_name)

    def update_federation(self, federation_id, values, expected=None):
        return self._update(FEDERATION, federation_id, values, expected)

    def destroy_federation(self, federation_id):
        self._destroy(FEDERATION, federation_id)

    # -- cluster locks ------------------------------------------------------

    @staticmethod
    def _lock_dict(row):
        return {'holder': row.holder, 'operation': row.operation,
                'expires_at': row.expires_at}

    def acquire_cluster_lock(self, cluster_uuid, holder, operation,
                             timeout, token):
        model = models.ClusterLock
        now = timeutils.utcnow()
        taken = {'holder': holder, 'operation': operation, 'token': token,
                 'expires_at': now + datetime.timedelta(seconds=timeout)}
        previous = None
        for _attempt in range(3):
            # The common case, a lock its last holder released: one UPDATE.
            with self._writer() as session:
                if session.execute(
                        sa.update(model).where(
                            model.cluster_uuid == cluster_uuid,
                            model.token.is_(None)).values(**taken)
                        .execution_options(synchronize_session=False)
                ).rowcount:
                    return True, None
            # The cluster's first lock: one INSERT, which only one of two
            # takers wins on any backend.
            try:
                with self._writer() as session:
                    session.add(model(cluster_uuid=cluster_uuid, **taken))
                    session.flush()
                return True, None
            except db_exc.DBDuplicateEntry:
                pass
            with self._writer() as session:
                current = session.query(model).filter(
                    model.cluster_uuid == cluster_uuid).one_or_none()
                if current is None or current.token is None:
                    if current is not None:
                        previous = self._lock_dict(current)
                    continue  # released in between: from the start
                previous = self._lock_dict(current)
                if current.expires_at > now:
                    # Live, even when the holder has our name: another
                    # operation (or worker) of that conductor runs.
                    return False, previous
                # Expired without being released: its holder stopped
                # renewing it (died, or hung). Take it over, but only if
                # it is still the row we looked at, so two takers cannot
                # both win.
                taken_over = session.execute(
                    sa.update(model).where(
                        model.cluster_uuid == cluster_uuid,
                        model.token == current.token,
                        model.expires_at == current.expires_at)
                    .values(**taken)
                    .execution_options(synchronize_session=False)).rowcount
            return bool(taken_over), previous
        # Taken and released again and again while we looked: busy.
        return False, previous

    def renew_cluster_lock(self, cluster_uuid, token, timeout):
        model = models.ClusterLock
        expires = timeutils.utcnow() + datetime.timedelta(seconds=timeout)
        with self._writer() as session:
            return bool(session.execute(
                sa.update(model).where(model.cluster_uuid == cluster_uuid,
                                       model.token == token)
                .values(expires_at=expires)
                .execution_options(synchronize_session=False)).rowcount)

    def release_cluster_lock(self, cluster_uuid, token, finished=None):
        model = models.ClusterLock
        now = timeutils.utcnow()
        values = {'token': None, 'expires_at': now}
        if finished is not None:
            values.update(finished_operation=finished, finished_at=now)
        with self._writer() as session:
            return bool(session.execute(
                sa.update(model).where(model.cluster_uuid == cluster_uuid,
                                       model.token == token)
                .values(**values)
                .execution_options(synchronize_session=False)).rowcount)

    def forget_cluster_lock(self, cluster_uuid):
        model = models.ClusterLock
        with self._writer() as session:
            session.execute(
                sa.delete(model).where(model.cluster_uuid == cluster_uuid)
                .execution_options(synchronize_session=False))

    def get_cluster_lock(self, cluster_uuid):
        model = models.ClusterLock
        with self._reader() as session:
            return session.query(model).filter(
                model.cluster_uuid == cluster_uuid).one_or_none()

    # -- requests no conductor has taken yet --------------------------------

    def create_cluster_request(self, values):
        values = dict(values)
        values.setdefault('uuid', uuidutils.generate_uuid())
        values.setdefault('arguments', {})
        with self._writer() as session:
            row = models.ClusterRequest(**values)
            session.add(row)
            session.flush()
        return row

    def get_cluster_request(self, request_uuid):
        model = models.ClusterRequest
        with self._reader() as session:
            return session.query(model).filter(
                model.uuid == request_uuid).one_or_none()

    def list_cluster_requests(self, cluster_uuid=None):
        model = models.ClusterRequest
        with self._reader() as session:
            query = session.query(model)
            if cluster_uuid is not None:
                query = query.filter(model.cluster_uuid == cluster_uuid)
            return query.order_by(model.created_at, model.id).all()

    def claim_cluster_request(self, request_uuid):
        model = models.ClusterRequest
        # One DELETE: whichever of two claimers runs it second deletes
        # nothing, on every backend.
        with self._writer() as session:
            return bool(session.execute(
                sa.delete(model).where(model.uuid == request_uuid)
                .execution_options(synchronize_session=False)).rowcount)

    def record_encryption_key(self, purpose, key_id, host):
        try:
            with self._writer() as session:
                session.add(models.EncryptionKeyRecord(
                    purpose=purpose, key_id=key_id, recorded_by=host))
        except db_exc.DBDuplicateEntry:
            pass  # another conductor recorded it first: its key counts
        return self.get_encryption_key_record(purpose)

    def get_encryption_key_record(self, purpose):
        model = models.EncryptionKeyRecord
        with self._reader() as session:
            return session.query(model).filter(
                model.purpose == purpose).one_or_none()

    # -- containers (API 1.16) ----------------------------------------------

    def create_container(self, values, max_containers=None):
        values = dict(values)
        values.setdefault('uuid', uuidutils.generate_uuid())
        if max_containers is None:
            return self._create(CONTAINER, values)
        attempt = 1
        while True:
            try:
                return self._create_container_within_quota(values,
                                                           max_containers)
            except db_exc.DBError as error:
                lost = isinstance(error, db_exc.DBDeadlock) or \
                    'database is locked' in str(error)
                if not lost or attempt >= QUOTA_LOCK_ATTEMPTS:
                    raise
            except _QuotaLockLost:
                if attempt >= QUOTA_LOCK_ATTEMPTS:
                    raise
            time.sleep(_random.uniform(0.005, 0.01 * min(attempt, 10)))
            attempt += 1

    def _create_container_within_quota(self, values, max_containers):
        """One attempt: lock the project's Container quota row (or a
        placeholder, see _create_cluster_within_quota), count, insert."""
        with self._writer() as session:
            with self._quota_slot(session, values.get('project_id'),
                                  QUOTA_CONTAINER_RESOURCE, max_containers,
                                  models.Container, 'containers'):
                return self._create(CONTAINER, values)

    def get_container_list(self, context, filters=None, limit=None,
                           marker=None, sort_key=None, sort_dir=None):
        return self._list(context, CONTAINER, filters, limit, marker,
                          sort_key, sort_dir)

    def get_container_by_uuid(self, context, container_uuid):
        return self._get_by_uuid(context, CONTAINER, container_uuid)

    def get_container_by_name(self, context, container_name):
        return self._get_by_name(context, CONTAINER, container_name)

    def update_container(self, container_id, values, expected=None):
        return self._update(CONTAINER, container_id, values, expected)

    def destroy_container(self, container_id):
        self._destroy(CONTAINER, container_id)


# After the class: the Container model is appended at the end of models.
CONTAINER = _Resource(
    models.Container, 'containers', exception.ContainerNotFound,
    'container', exception.ContainerAlreadyExists, 'owner')
QUOTA_CONTAINER_RESOURCE = 'Container'
