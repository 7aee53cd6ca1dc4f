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

"""The database API: one interface for every resource Magnum stores.

Callers (versioned objects, the conductor, the API) use ``get_instance()``
and never touch SQLAlchemy. Conventions shared by every resource:

* ``get_<res>_by_id / _by_uuid / _by_name`` raise the resource's
  ``*NotFound`` (404); a name shared by two visible rows raises
  ``NameNotUnique`` (409).
* ``get_<res>_list(context, filters, limit, marker, sort_key, sort_dir)``
  scopes rows to what the context may see (compatibility.rst, "Policy and
  visibility"); an unknown sort key
  or direction raises a 400, an unknown marker ``MarkerNotFound`` (404),
  an unknown filter ``InvalidParameterValue`` (400).
* ``update_<res>(id_or_uuid, values, expected=None)`` applies ``values``
  only if the row still matches ``expected`` ({column: value or list of
  values}); a row that moved on raises ``ConcurrentUpdate`` (409), so two
  writers racing on one cluster cannot both win.
* ``destroy_<res>`` raises ``*NotFound`` for a row that is already gone.
"""

import abc
import threading

from magnum import conf

CONF = conf.CONF

_INSTANCE = None
_LOCK = threading.Lock()


def get_instance():
    """The process-wide database API, connected per ``[database]``."""
    global _INSTANCE
    if _INSTANCE is None:
        with _LOCK:
            if _INSTANCE is None:
                from magnum.db.sqlalchemy import api as sqlalchemy_api
                _INSTANCE = sqlalchemy_api.Connection()
    return _INSTANCE


def set_instance(instance):
    """Point the process at another database API (tests, tools)."""
    global _INSTANCE
    with _LOCK:
        previous, _INSTANCE = _INSTANCE, instance
    return previous


class Connection(abc.ABC):
    """Everything Magnum asks of its database."""

    def warm_up(self):
        """Do now what the first query of a new process would otherwise
        pay for: load the database driver, prepare the mappings and open a
        pooled connection. Raises when the database cannot be reached."""

    # -- cluster templates ------------------------------------------------

    @abc.abstractmethod
    def get_cluster_template_list(self, context, filters=None, limit=None,
                                  marker=None, sort_key=None,
                                  sort_dir=None):
        """Templates visible to the context: own, plus public ones."""

    @abc.abstractmethod
    def create_cluster_template(self, values):
        """Insert a template; a duplicate uuid raises a 409."""

    @abc.abstractmethod
    def get_cluster_template_by_id(self, context, cluster_template_id):
        pass

    @abc.abstractmethod
    def get_cluster_template_by_uuid(self, context, cluster_template_uuid):
        pass

    @abc.abstractmethod
    def get_cluster_template_by_name(self, context, cluster_template_name):
        pass

    @abc.abstractmethod
    def get_cluster_templates_by_uuids(self, uuids):
        """The templates with these uuids, unscoped, in one query."""

    @abc.abstractmethod
    def update_cluster_template(self, cluster_template_id, values,
                                expected=None):
        pass

    @abc.abstractmethod
    def destroy_cluster_template(self, cluster_template_id):
        """Delete a template no cluster uses (else 400 Referenced)."""

    # -- clusters ---------------------------------------------------------

    @abc.abstractmethod
    def get_cluster_list(self, context, filters=None, limit=None,
                         marker=None, sort_key=None, sort_dir=None):
        pass

    @abc.abstractmethod
    def create_cluster(self, values, nodegroups=(), max_clusters=None):
        """Insert a cluster and its nodegroups in one transaction.

        ``nodegroups`` is a sequence of value dicts; their ``cluster_id``
        and ``project_id`` default to the cluster's, so a reader never sees
        a cluster without its default nodegroups.

        With ``max_clusters`` the project's cluster quota is enforced in
        the same transaction: the limit is the hard_limit of the project's
        ``Cluster`` quota row, else ``max_clusters``; a create that would
        exceed it raises ResourceLimitExceeded (403). Concurrent creates of
        one project serialize, so N of them against a limit of Q leave
        exactly min(N, Q) clusters. ``None`` enforces no quota.
        """

    @abc.abstractmethod
    def get_cluster_by_id(self, context, cluster_id):
        pass

    @abc.abstractmethod
    def get_cluster_by_uuid(self, context, cluster_uuid):
        pass

    @abc.abstractmethod
    def get_cluster_by_name(self, context, cluster_name):
        pass

    @abc.abstractmethod
    def get_cluster_count_all(self, context, filters=None):
        """Number of clusters the context can see, after filters."""

    @abc.abstractmethod
    def get_cluster_stats(self, context, project_id=None):
        """(cluster count, node count over every nodegroup) for a project,
        or for all projects when ``project_id`` is None."""

    @abc.abstractmethod
    def update_cluster(self, cluster_id, values, expected=None):
        pass

    @abc.abstractmethod
    def destroy_cluster(self, cluster_id):
        """Delete a cluster and its nodegroups."""

    # -- nodegroups -------------------------------------------------------

    @abc.abstractmethod
    def create_nodegroup(self, values):
        pass

    @abc.abstractmethod
    def list_cluster_nodegroups(self, context, cluster_id, filters=None,
                                limit=None, marker=None, sort_key=None,
                                sort_dir=None):
        pass

    @abc.abstractmethod
    def get_nodegroup_by_id(self, context, cluster_id, nodegroup_id):
        pass

    @abc.abstractmethod
    def get_nodegroup_by_uuid(self, context, cluster_id, nodegroup_uuid):
        pass

    @abc.abstractmethod
    def get_nodegroup_by_name(self, context, cluster_id, nodegroup_name):
        pass

    @abc.abstractmethod
    def get_cluster_nodegroup_count(self, context, cluster_id):
        pass

    @abc.abstractmethod
    def list_nodegroups_of_clusters(self, cluster_ids):
        """Every nodegroup of the given clusters (uuids), unscoped, in one
        query: lists of clusters show counts without a query per row."""

    @abc.abstractmethod
    def update_nodegroup(self, cluster_id, nodegroup_id, values,
                         expected=None):
        pass

    @abc.abstractmethod
    def destroy_nodegroup(self, cluster_id, nodegroup_id):
        pass

    # -- x509 key pairs ---------------------------------------------------

    @abc.abstractmethod
    def create_x509keypair(self, values):
        pass

    @abc.abstractmethod
    def get_x509keypair_by_id(self, context, x509keypair_id):
        pass

    @abc.abstractmethod
    def get_x509keypair_by_uuid(self, context, x509keypair_uuid):
        pass

    @abc.abstractmethod
    def get_x509keypair_list(self, context, filters=None, limit=None,
                             marker=None, sort_key=None, sort_dir=None):
        pass

    @abc.abstractmethod
    def update_x509keypair(self, x509keypair_id, values, expected=None):
        pass

    @abc.abstractmethod
    def destroy_x509keypair(self, x509keypair_id):
        pass

    # -- magnum services --------------------------------------------------

    @abc.abstractmethod
    def create_magnum_service(self, values):
        pass

    @abc.abstractmethod
    def get_magnum_service_by_host_and_binary(self, host, binary):
        """The row, or None when that service never reported."""

    @abc.abstractmethod
    def get_magnum_service_list(self, disabled=None, limit=None,
                                marker=None, sort_key=None, sort_dir=None):
        pass

    @abc.abstractmethod
    def update_magnum_service(self, magnum_service_id, values,
                              expected=None):
        pass

    @abc.abstractmethod
    def destroy_magnum_service(self, magnum_service_id):
        pass

    # -- quotas -----------------------------------------------------------

    @abc.abstractmethod
    def create_quota(self, values):
        pass

    @abc.abstractmethod
    def get_quota_list(self, context, filters=None, limit=None, marker=None,
                       sort_key=None, sort_dir=None):
        pass

    @abc.abstractmethod
    def get_quota_by_id(self, context, quota_id):
        pass

    @abc.abstractmethod
    def get_quota_by_project_id_resource(self, project_id, resource):
        pass

    @abc.abstractmethod
    def quota_get_all_by_project_id(self, project_id):
        pass

    @abc.abstractmethod
    def update_quota(self, project_id, values):
        """Update the (project_id, values['resource']) quota."""

    @abc.abstractmethod
    def delete_quota(self, project_id, resource):
        pass

    # -- federations ------------------------------------------------------

    @abc.abstractmethod
    def get_federation_list(self, context, filters=None, limit=None,
                            marker=None, sort_key=None, sort_dir=None):
        pass

    @abc.abstractmethod
    def create_federation(self, values):
        pass

    @abc.abstractmethod
    def get_federation_by_id(self, context, federation_id):
        pass

    @abc.abstractmethod
    def get_federation_by_uuid(self, context, federation_uuid):
        pass

    @abc.abstractmethod
    def get_federation_by_name(self, context, federation_name):
        pass

    @abc.abstractmethod
    def update_federation(self, federation_id, values, expected=None):
        pass

    @abc.abstractmethod
    def destroy_federation(self, federation_id):
        pass

    # -- cluster locks ----------------------------------------------------

    @abc.abstractmethod
    def acquire_cluster_lock(self, cluster_uuid, holder, operation,
                             timeout, token):
        """Take the cluster's lock for ``timeout`` seconds as ``token``.

        Returns (acquired, previous): when not acquired, ``previous`` is
        the live lock ({holder, operation, expires_at}); when acquired
        over an expired lock that was never released, it is that lock
        (its operation was cut short), else None.
        """

    @abc.abstractmethod
    def renew_cluster_lock(self, cluster_uuid, token, timeout):
        """Extend the lock taken as ``token``; False if it was lost."""

    @abc.abstractmethod
    def release_cluster_lock(self, cluster_uuid, token, finished=None):
        """Release the lock taken as ``token``; True if it was still held.

        ``finished`` names the operation that ran to its end, recorded as
        the row's ``finished_operation``.
        """

    @abc.abstractmethod
    def forget_cluster_lock(self, cluster_uuid):
        """Delete the cluster's lock row, held or not (the cluster is
        gone; ``destroy_cluster`` does it too)."""

    @abc.abstractmethod
    def get_cluster_lock(self, cluster_uuid):
        """The cluster's lock row (held, expired or released), or None.

        ``token`` is None once released; ``finished_operation`` and
        ``finished_at`` tell which operation last ran to its end.
        """

    # -- requests no conductor has taken yet --------------------------------

    @abc.abstractmethod
    def create_cluster_request(self, values):
        """Record a request (uuid, cluster_uuid, operation, arguments)
        before it is cast; the row, with its ``created_at``."""

    @abc.abstractmethod
    def get_cluster_request(self, request_uuid):
        """The request's row while no conductor has taken it, else None."""

    @abc.abstractmethod
    def list_cluster_requests(self, cluster_uuid=None):
        """The requests not taken yet (of one cluster, or all), oldest
        first."""

    @abc.abstractmethod
    def claim_cluster_request(self, request_uuid):
        """Delete the request: True for the one caller that deleted it,
        False when it was gone already (taken, or withdrawn)."""

    # -- the encryption key's id ---------------------------------------------

    @abc.abstractmethod
    def record_encryption_key(self, purpose, key_id, host):
        """The key id recorded for ``purpose`` (a row with its ``key_id``
        and ``recorded_by``): the one given, when none was recorded yet,
        else the one already there (first writer wins, also under a race).
        """

    @abc.abstractmethod
    def get_encryption_key_record(self, purpose):
        """The row recorded for ``purpose``, or None."""

    # -- containers (API 1.16) -----------------------------------------------

    @abc.abstractmethod
    def create_container(self, values, max_containers=None):
        """Insert a container row. With ``max_containers`` (the default
        limit when the project has no ``Container`` quota row), the
        project's quota is enforced atomically, as for clusters:
        ResourceLimitExceeded (403) when it is reached."""

    @abc.abstractmethod
    def get_container_list(self, context, filters=None, limit=None,
                           marker=None, sort_key=None, sort_dir=None):
        """The containers visible to ``context`` (project scoped; admins
        with all_tenants see all); ``filters`` on columns (cluster_uuid,
        status, ...)."""

    @abc.abstractmethod
    def get_container_by_uuid(self, context, container_uuid):
        """The container, or ContainerNotFound (404)."""

    @abc.abstractmethod
    def get_container_by_name(self, context, container_name):
        """The container of that name; NameNotUnique (409) when
        several."""

    @abc.abstractmethod
    def update_container(self, container_id, values, expected=None):
        """Update a container row (compare-and-swap on ``expected``)."""

    @abc.abstractmethod
    def destroy_container(self, container_id):
        """Delete a container row; ContainerNotFound when gone."""
