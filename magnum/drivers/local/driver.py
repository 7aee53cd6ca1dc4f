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

"""The local Docker driver: swarm-mode clusters of containers.

Each cluster is a private bridge network with ``master_count`` manager
containers and each nodegroup's worker containers, all running dockerd
with mutual TLS (server certificates from the cluster CA), formed into a
swarm; several managers (or ``master_lb_enabled``) get an haproxy
container in front. The cluster's Docker API is published on a host port
(``api_address``).

This class is thin: each method builds a ``work.Work`` for the call and
hands it to the module of that step: ``converge`` (create, update,
resize, nodegroups), ``provision`` (containers, delete), ``rotation``
(CA rotation), ``upgrade``, ``status`` (the status sync), ``images``
(validation). How the work is shared with the conductor:

- create, update, resize, nodegroup create/update/delete and delete run
  to the end in the handler that calls them (under the cluster lock),
  reporting progress in ``status_reason``; what they leave is a cluster
  whose nodes are all Ready (or gone), still ``*_IN_PROGRESS``;
- ``update_cluster_status`` (the status sync) observes and records the
  outcome: ``*_COMPLETE`` once every node is Ready in the swarm and the
  API answers; it also carries an upgrade on, one batch of nodes per
  pass, because the upgrade RPC is a call that must return at once;
- ``rotate_ca_certificate`` runs inside the conductor's call, while the
  new certificates are offered (``certificates.get_pending_rotation``);
  the status sync records UPDATE_COMPLETE once every node serves the
  cluster's (by then stored) certificates and is Ready;
- ``resume_operation`` finishes what a conductor that died left: the
  state is read back from the containers' labels, the nodegroups' rows
  (an upgrade's batch size) and, for a CA rotation, the marks left in
  the nodes; every step is idempotent.
"""


from oslo_log import log as logging

from magnum import conf
from magnum.common import exception
from magnum.drivers.common import driver
from magnum.drivers.local import admission
from magnum.drivers.local import converge
from magnum.drivers.local import engine as engine_module
from magnum.drivers.local import images
from magnum.drivers.local import monitor as monitor_module
from magnum.drivers.local import network
from magnum.drivers.local import nodes
from magnum.drivers.local import provision
from magnum.drivers.local import rotation
from magnum.drivers.local import status
from magnum.drivers.local import upgrade
from magnum.drivers.local import work as work_module
from magnum.drivers.local.work import LocalDriverError  # noqa: F401
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus

COE = 'swarm-mode'
SERVER_TYPE = 'container'
OS_DISTRO = 'debian'

# Operations resume_operation finishes by building to the recorded sizes.
CONVERGING = ('create', 'update', 'resize', 'create nodegroup',
              'update nodegroup', 'delete nodegroup')
# The operation the conductor's certificate handler locks a cluster for.
ROTATE_OPERATION = 'rotate_ca'


class LocalSwarmDriver(driver.Driver):
    """Swarm-mode clusters of Docker-in-Docker containers on one local
    Docker engine."""

    # Nothing of a local cluster is in the cloud: no credential to give.
    uses_cloud_credential = False

    # The image look-up asks the Docker engine, which only the
    # conductor's host has (and whose socket is root there): the API has
    # the conductor run the validation.
    validates_on_conductor = True

    def __init__(self, engine_factory=None):
        self._engine_factory = engine_factory or engine_module.Engine

    @property
    def provides(self):
        return [{'server_type': SERVER_TYPE, 'os': OS_DISTRO, 'coe': COE}]

    @property
    def _name(self):
        return self.name or 'local_swarm'

    def _work(self, context, cluster, mark=None):
        """The Work of one call (see work.operation)."""
        return work_module.operation(self._name, context, cluster,
                                     self._engine_factory(), mark=mark)

    # -- validation ---------------------------------------------------------

    def validate_cluster_template(self, context, template):
        if template.get('coe') != COE:
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver builds %(coe)s clusters, not '
                      '%(asked)s') % {'driver': self._name, 'coe': COE,
                                      'asked': template.get('coe')})
        if template.get('server_type') not in (None, SERVER_TYPE):
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver builds clusters of containers: '
                      'server_type must be %(type)s') % {
                          'driver': self._name, 'type': SERVER_TYPE})
        distro = template.get('cluster_distro')
        if distro not in (None, '', OS_DISTRO):
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver\'s nodes run %(os)s, not '
                      '%(asked)s') % {'driver': self._name, 'os': OS_DISTRO,
                                      'asked': distro})
        if template.get('tls_disabled'):
            raise exception.InvalidParameterValue(
                err=_('the %s driver always secures the cluster API with '
                      'TLS: tls_disabled cannot be set') % self._name)
        network.label_port(template.get('labels'))
        images.check_image(self._engine_factory, template.get('image_id'))
        template['cluster_distro'] = OS_DISTRO

    def validate_cluster(self, context, cluster, template):
        admission.check_project(context, self._name)
        network.label_port(cluster.get('labels'))
        images.check_image(self._engine_factory, template.image_id)

    # -- building: each runs to completion under the conductor's lock --------

    def create_cluster(self, context, cluster, cluster_create_timeout):
        provision.ensure_certificates(context, cluster)
        with self._work(context, cluster, mark=lambda ng: True) as work:
            cluster.stack_id = nodes.cluster_prefix(cluster.uuid)
            work.say(_('Creating %(masters)d manager(s) and %(workers)d '
                       'worker(s)') % {'masters': cluster.master_count,
                                       'workers': cluster.node_count})
            converge.converge(work)

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        with self._work(context, cluster,
                        mark=lambda ng: not ng.is_master) as work:
            converge.converge(work)

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        nodegroup = nodegroup or cluster.default_ng_worker
        with self._work(context, cluster,
                        mark=lambda ng: ng.uuid == nodegroup.uuid) as work:
            work.nodegroups(refresh=True, override=nodegroup)
            removing = converge.resolve_nodes(work, nodegroup,
                                              nodes_to_remove or [])
            converge.converge(work, removing)

    def create_nodegroup(self, context, cluster, nodegroup):
        with self._work(context, cluster,
                        mark=lambda ng: ng.uuid == nodegroup.uuid) as work:
            work.nodegroups(refresh=True, override=nodegroup)
            converge.converge(work)

    def update_nodegroup(self, context, cluster, nodegroup):
        # Labels and node_labels become swarm node labels; sizes converge.
        self.create_nodegroup(context, cluster, nodegroup)

    def delete_nodegroup(self, context, cluster, nodegroup):
        # The nodegroup is DELETE_IN_PROGRESS: it wants no nodes; the
        # status sync forgets it once its containers are gone.
        self.create_nodegroup(context, cluster, nodegroup)

    def delete_cluster(self, context, cluster):
        with self._work(context, cluster) as work:
            work.say(_('Removing the cluster\'s containers and network'))
            counts = provision.delete_everything(work)
            work.say(_('Removed %(containers)d containers, %(networks)d '
                       'networks and %(volumes)d volumes') % dict(zip(
                           ('containers', 'networks', 'volumes'), counts)))
            upgrade.finish(work.nodegroups())

    # -- CA rotation ----------------------------------------------------------

    def rotate_ca_certificate(self, context, cluster):
        """Move every node to the new CA the conductor is rotating in: a
        new server certificate and the new CA in each node, and its
        dockerd restarted with them one node at a time (workers, then
        managers, the leader last). Magnum talks to each node with the
        client certificate it accepts: the current one before its
        restart, the new one after. When a node cannot be moved, those
        moved are given their current certificates back and the error
        says so; the conductor then keeps the current certificates."""
        from magnum.common import certificates
        new_set = certificates.get_pending_rotation(cluster)
        if new_set is None:
            raise LocalDriverError(reason=_(
                'No new certificates are being rotated in for cluster %s: '
                'the CA is rotated through the conductor.') % cluster.uuid)
        with self._work(context, cluster) as work:
            rotation.rotate(work, new_set)

    def _resume_rotation(self, context, cluster):
        """Finish a CA rotation whose conductor died. Its new
        certificates were stored when the nodes carry the mark of the
        cluster's current CA: the nodes not moved yet are moved to it.
        Otherwise the new CA was lost with the conductor: the rotation is
        done again with another one (nodes moved to the lost CA are
        restarted through the engine, as Magnum can no longer talk to
        them)."""
        from magnum.common import certificates
        with self._work(context, cluster) as work:
            if rotation.finish_stored(work):
                return
        LOG.info('Cluster %s: the new certificates of the interrupted CA '
                 'rotation were lost; rotating the CA again', cluster.uuid)
        new_set = certificates.prepare_ca_rotation(context, cluster)
        with certificates.pending_rotation(cluster, new_set):
            self.rotate_ca_certificate(context, cluster)
        try:
            certificates.commit_ca_rotation(context, cluster, new_set)
        except Exception as error:
            LOG.exception('Cluster %s: the new certificates could not be '
                          'stored', cluster.uuid)
            with self._work(context, cluster) as work:
                refusal = rotation.give_back(work, new_set, error)
            raise refusal from error

    # -- upgrade: recorded at once, carried on by the status sync -------------

    def check_upgrade(self, context, cluster, cluster_template, nodegroup):
        engine = self._engine_factory()
        try:
            upgrade.check_template(self._name, engine, cluster_template,
                                   COE, SERVER_TYPE,
                                   registered_name=self.name)
        finally:
            engine.close()

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        engine = self._engine_factory()
        try:
            upgrade.check_template(self._name, engine, cluster_template,
                                   COE, SERVER_TYPE,
                                   registered_name=self.name)
        finally:
            engine.close()
        upgrade.start(cluster, cluster_template, max_batch_size, nodegroup)

    # -- observation and repair -----------------------------------------------

    def update_cluster_status(self, context, cluster):
        if cluster.status not in work_module.FAILED:
            return
        if cluster.status == STATUS.DELETE_IN_PROGRESS:
            status.observe_delete(context, cluster, self._engine_factory())
            return
        status.sync(self._work(context, cluster), context, cluster)

    def resume_operation(self, context, cluster, operation):
        LOG.info('Cluster %s: resuming the interrupted %s', cluster.uuid,
                 operation)
        try:
            if operation == 'delete':
                with self._work(context, cluster) as work:
                    provision.delete_everything(work)
            elif operation in CONVERGING:
                if operation == 'create':
                    provision.ensure_certificates(context, cluster)
                with self._work(context, cluster) as work:
                    converge.converge(work)
            elif operation == ROTATE_OPERATION:
                self._resume_rotation(context, cluster)
            elif operation != 'upgrade':
                return False
        except Exception as error:
            if cluster.status in work_module.FAILED:
                name = _('The CA rotation') if \
                    operation == ROTATE_OPERATION else operation.capitalize()
                status.fail(context, cluster, _(
                    '%(operation)s was interrupted and could not be '
                    'finished: %(error)s') % {
                        'operation': name, 'error': error})
        return True

    runs_containers = True

    def list_nodes(self, context, cluster):
        from magnum.drivers.local import inventory
        with self._work(context, cluster) as work:
            return inventory.list_nodes(work)

    def get_monitor(self, context, cluster):
        return monitor_module.LocalSwarmMonitor(
            context, cluster, self._engine_factory())
