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


from oslo_utils import uuidutils
from oslo_utils import versionutils
from oslo_versionedobjects import fields

from magnum.common import context as magnum_context
from magnum.db import api as db_api
from magnum.objects import base
from magnum.objects import cluster_template
from magnum.objects import fields as m_fields
from magnum.objects import nodegroup


@base.MagnumObjectRegistry.register
class Cluster(base.MagnumPersistentObject, base.MagnumObject):
    """A Kubernetes or Swarm cluster built from a cluster template.

    The sizes and addresses of a cluster are those of its nodegroups:
    ``master_count``, ``node_count``, ``master_addresses`` and
    ``node_addresses`` are computed from them (read-only), as is
    ``cluster_template``. Both are loaded on first use and cached until
    ``refresh()``.

    Version history:

    * 1.0: initial version
    * 1.1: create() takes max_clusters (the quota enforced atomically)
    * 1.2: conditions
    * 1.3: application_credential_id, _secret (sealed), _user_id and
      _expires_at: the cluster's Keystone application credential
    """

    VERSION = '1.3'

    # Never shown by the API nor sent in notifications; the secret is
    # sealed (magnum.conductor.cluster_credentials opens it).
    CREDENTIAL_FIELDS = ('application_credential_id',
                         'application_credential_secret',
                         'application_credential_user_id',
                         'application_credential_expires_at')

    fields = {
        'uuid': fields.UUIDField(nullable=True),
        'name': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'cluster_template_id': fields.StringField(nullable=True),
        'keypair': fields.StringField(nullable=True),
        'docker_volume_size': fields.IntegerField(nullable=True),
        'labels': fields.DictOfStringsField(nullable=True),
        'master_flavor_id': fields.StringField(nullable=True),
        'flavor_id': fields.StringField(nullable=True),
        'stack_id': fields.StringField(nullable=True),
        'api_address': fields.StringField(nullable=True),
        'status': m_fields.ClusterStatusField(nullable=True),
        'status_reason': fields.StringField(nullable=True),
        'health_status': m_fields.ClusterHealthStatusField(nullable=True),
        'health_status_reason': fields.DictOfStringsField(nullable=True),
        'create_timeout': fields.IntegerField(nullable=True),
        'discovery_url': fields.StringField(nullable=True),
        'coe_version': fields.StringField(nullable=True),
        'container_version': fields.StringField(nullable=True),
        'ca_cert_ref': fields.StringField(nullable=True),
        'magnum_cert_ref': fields.StringField(nullable=True),
        'etcd_ca_cert_ref': fields.StringField(nullable=True),
        'front_proxy_ca_cert_ref': fields.StringField(nullable=True),
        'fixed_network': fields.StringField(nullable=True),
        'fixed_subnet': fields.StringField(nullable=True),
        'floating_ip_enabled': fields.BooleanField(default=True),
        'master_lb_enabled': fields.BooleanField(default=False),
        'conditions': fields.ListOfDictOfNullableStringsField(
            nullable=True),
        'application_credential_id': fields.StringField(nullable=True),
        'application_credential_secret': fields.SensitiveStringField(
            nullable=True),
        'application_credential_user_id': fields.StringField(
            nullable=True),
        'application_credential_expires_at': fields.DateTimeField(
            nullable=True),
    }

    def obj_make_compatible(self, primitive, target_version):
        super().obj_make_compatible(primitive, target_version)
        version = versionutils.convert_version_to_tuple(target_version)
        if version < (1, 2):
            primitive.pop('conditions', None)
        if version < (1, 3):
            for field in self.CREDENTIAL_FIELDS:
                primitive.pop(field, None)

    def __init__(self, context=None, **kwargs):
        super().__init__(context=context, **kwargs)
        self._forget_related()

    def _forget_related(self):
        self._nodegroups = None
        self._cluster_template = None

    # -- computed from nodegroups and the template ---------------------------

    @property
    def nodegroups(self):
        """The cluster's nodegroups, loaded once (ordered by id).

        Loaded with an admin context: whoever could see the cluster may see
        all of its nodegroups.
        """
        if self._nodegroups is None:
            if not self.obj_attr_is_set('uuid') or self.uuid is None:
                return []
            self._nodegroups = nodegroup.NodeGroup.list(
                magnum_context.get_admin_context(), self.uuid)
        return self._nodegroups

    def _default_nodegroup(self, master):
        for group in self.nodegroups:
            if group.is_default and group.is_master == master:
                return group
        return None

    @property
    def default_ng_master(self):
        return self._default_nodegroup(master=True)

    @property
    def default_ng_worker(self):
        return self._default_nodegroup(master=False)

    def _nodegroups_of(self, master):
        return [group for group in self.nodegroups
                if group.is_master == master]

    @property
    def master_count(self):
        """Nodes of the master nodegroups."""
        return sum(group.node_count or 0
                   for group in self._nodegroups_of(master=True))

    @property
    def node_count(self):
        """Nodes of the worker (non-master) nodegroups."""
        return sum(group.node_count or 0
                   for group in self._nodegroups_of(master=False))

    @property
    def master_addresses(self):
        return [address for group in self._nodegroups_of(master=True)
                for address in group.node_addresses or []]

    @property
    def node_addresses(self):
        return [address for group in self._nodegroups_of(master=False)
                for address in group.node_addresses or []]

    @property
    def cluster_template(self):
        """The template the cluster was built from.

        Loaded with an all-projects admin context, so that a public template
        of another project (or one since made private) still resolves.
        """
        cached = self._cluster_template
        if cached is None or cached.uuid != self.cluster_template_id:
            self._cluster_template = (
                cluster_template.ClusterTemplate.get_by_uuid(
                    magnum_context.get_admin_context(),
                    self.cluster_template_id))
        return self._cluster_template

    @classmethod
    def prefetch_related(cls, context, clusters, templates=True):
        """Load the nodegroups (and templates) of many clusters with one
        query each, instead of one per cluster."""
        clusters = [c for c in clusters if c.uuid]
        if not clusters:
            return clusters
        dbapi = db_api.get_instance()
        admin = magnum_context.get_admin_context()
        groups = {c.uuid: [] for c in clusters}
        for row in dbapi.list_nodegroups_of_clusters(list(groups)):
            groups[row.cluster_id].append(nodegroup.NodeGroup._from_db_object(
                admin, nodegroup.NodeGroup(), row))
        by_template = {}
        if templates:
            wanted = {c.cluster_template_id for c in clusters
                      if c.cluster_template_id}
            for row in dbapi.get_cluster_templates_by_uuids(wanted):
                by_template[row.uuid] = \
                    cluster_template.ClusterTemplate._from_db_object(
                        admin, cluster_template.ClusterTemplate(), row)
        for cluster in clusters:
            cluster._nodegroups = groups[cluster.uuid]
            if cluster.cluster_template_id in by_template:
                cluster._cluster_template = \
                    by_template[cluster.cluster_template_id]
        return clusters

    # -- database access -----------------------------------------------------

    @classmethod
    @base.remotable
    def get(cls, context, ident):
        """A cluster by id, uuid or name, as the context may see it."""
        return base.get_by_ident(
            ident,
            lambda ident: cls.get_by_id(context, ident),
            lambda ident: cls.get_by_uuid(context, ident),
            lambda ident: cls.get_by_name(context, ident))

    @classmethod
    @base.remotable
    def get_by_id(cls, context, cluster_id):
        row = db_api.get_instance().get_cluster_by_id(context, cluster_id)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_uuid(cls, context, uuid):
        row = db_api.get_instance().get_cluster_by_uuid(context, uuid)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def get_by_name(cls, context, name):
        row = db_api.get_instance().get_cluster_by_name(context, name)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    @base.remotable
    def list(cls, context, limit=None, marker=None, sort_key=None,
             sort_dir=None, filters=None):
        rows = db_api.get_instance().get_cluster_list(
            context, filters=filters, limit=limit, marker=marker,
            sort_key=sort_key, sort_dir=sort_dir)
        return cls._from_db_object_list(context, rows)

    @classmethod
    @base.remotable
    def get_count_all(cls, context, filters=None):
        """How many clusters the context can see (the quota check)."""
        return db_api.get_instance().get_cluster_count_all(
            context, filters=filters)

    @base.remotable
    def create(self, nodegroups=(), max_clusters=None):
        """Insert the cluster and ``nodegroups`` in one transaction.

        ``nodegroups`` are NodeGroup objects or value dicts; their
        cluster_id and project_id default to the cluster's. NodeGroup
        objects given are filled from their stored rows.

        ``max_clusters`` enforces the project's cluster quota atomically
        with the insert: the project's ``Cluster`` quota row, else this
        limit (ResourceLimitExceeded, 403, when the cluster would exceed
        it); ``None`` enforces none.
        """
        ng_values = []
        for group in nodegroups:
            if isinstance(group, nodegroup.NodeGroup):
                group.obj_set_defaults()
                values = group._changes_for_db()
            else:
                values = base.db_values(group)
            values.setdefault('uuid', uuidutils.generate_uuid())
            ng_values.append(values)
        self._forget_related()
        self._insert(db_api.get_instance().create_cluster,
                     nodegroups=ng_values, max_clusters=max_clusters)
        # NodeGroup objects given are filled from their stored rows; dicts
        # (the API's default groups) need no read back.
        if any(isinstance(group, nodegroup.NodeGroup)
               for group in nodegroups):
            stored = {group.uuid: group for group in self.nodegroups}
            for group, values in zip(nodegroups, ng_values):
                if isinstance(group, nodegroup.NodeGroup):
                    group._from_db_object(group._context or self._context,
                                          group, stored[values['uuid']])

    @base.remotable
    def save(self, expected=None):
        """Write the changed fields (compare-and-set with ``expected``)."""
        self._save_changes(db_api.get_instance().update_cluster, self.uuid,
                           expected=expected)

    @base.remotable
    def destroy(self):
        """Delete the cluster and its nodegroups."""
        db_api.get_instance().destroy_cluster(self.uuid)
        self._forget_related()
        self.obj_reset_changes()

    @base.remotable
    def refresh(self):
        """Reload from the database, dropping unsaved changes."""
        self._forget_related()
        self._refresh_from(self.__class__.get_by_uuid(self._context,
                                                      self.uuid))
