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

"""swarm-mode on Nova VMs through Heat (driver ``swarm_vm``)."""

import contextlib
import functools
import os

from oslo_log import log as logging

from magnum import conf
from magnum import objects
from magnum.common import conditions
from magnum.common import exception
from magnum.drivers.common import swarm_api
from magnum.drivers.heat import driver as heat_driver
from magnum.drivers.heat import rolling
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.swarm_vm import boot
from magnum.drivers.heat.swarm_vm import upgrade
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'templates')


def _masters_first(nodegroups):
    return sorted(nodegroups, key=lambda ng: (ng.role != 'master',
                                              not ng.is_default, ng.name))


@contextlib.contextmanager
def upgrade_session(driver, work, starting):
    """The pass of a swarm's upgrade (``rolling.UpgradePass``): Magnum's
    Docker clients of the cluster for the time of the pass. A swarm that
    does not answer fails the request; the status sync waits for it."""
    with swarm_api.cluster_tls(work.context, work.cluster) as tls:
        clients = upgrade.Clients(tls, CONF.heat_driver.docker_api_timeout)
        moving = upgrade.Upgrade(
            work, clients, driver.update_members, driver.swarm_labels,
            functools.partial(server_name, work.cluster))
        try:
            yield rolling.guarded(
                moving, starting, swarm_api.UNREACHABLE,
                _('the swarm did not answer Magnum\'s client certificate: '
                  '%s'),
                _('Upgrading: the swarm did not answer (%s); trying again'))
        finally:
            clients.close()


def server_name(cluster, nodegroup, member):
    """The name of a member's server (the node template's name_prefix
    and index)."""
    return '%s-%s-%s' % (heat_driver.stack_name(cluster), nodegroup.name,
                         member)


class SwarmModeVMDriver(rolling.BatchedUpgrades, heat_driver.HeatDriver):
    """Docker swarm-mode clusters of Nova servers built by a Heat stack."""

    node_type = 'Magnum::SwarmMode::Node'
    api_port = boot.DOCKER_PORT

    @property
    def provides(self):
        return [{'server_type': 'vm', 'os': 'debian', 'coe': 'swarm-mode'},
                {'server_type': 'vm', 'os': 'ubuntu', 'coe': 'swarm-mode'}]

    def ports(self, role):
        # ssh, the Docker API (TLS), swarm's manager port.
        return [22, boot.DOCKER_PORT, boot.SWARM_PORT]

    def node_files(self):
        with open(os.path.join(TEMPLATES, 'node.yaml')) as handle:
            return {'node.yaml': handle.read()}

    def node_properties(self, work, nodegroup, state):
        cluster, template = work.cluster, work.template
        labels = definition.labels_of(cluster, template)
        master = nodegroup.role == 'master'
        return {
            'name_prefix': '%s-%s' % (heat_driver.stack_name(cluster),
                                      nodegroup.name),
            'flavor': nodegroup.flavor_id or (
                cluster.master_flavor_id if master else cluster.flavor_id)
            or (template.master_flavor_id if master else
                template.flavor_id),
            'key_name': cluster.keypair or template.keypair_id or '',
            'availability_zone': labels.get('availability_zone', ''),
            'network': {'get_attr': ['network', 'network_id']},
            'fixed_subnet_cidr': definition.subnet_cidr(cluster, template),
            'security_groups': [{'get_attr': [
                'secgroup_master' if master else 'secgroup_worker',
                'security_group_id']}],
            'docker_volume_size': nodegroup.docker_volume_size or
            cluster.docker_volume_size or 0,
            'floating_ip_enabled': bool(cluster.floating_ip_enabled),
            'external_network': template.external_network_id or '',
            'pool_id': {'get_attr': ['load_balancer', 'pool_id']}
            if master and cluster.master_lb_enabled else '',
            'api_port': boot.DOCKER_PORT,
        }

    @staticmethod
    def swarm_labels(nodegroup):
        """The swarm node labels of a node of ``nodegroup``."""
        labels = {'magnum.nodegroup': nodegroup.name,
                  'magnum.role': nodegroup.role or 'worker'}
        labels.update({k: v for k, v in (nodegroup.node_labels or
                                         {}).items()
                       if k and v and not any(c.isspace() for c in k + v)})
        return labels

    def _first_master(self, work):
        for nodegroup in _masters_first(work.nodegroups):
            if nodegroup.role == 'master':
                state = work.states[definition.nodegroup_key(nodegroup)]
                if state.members:
                    name = state.members[0]
                    return nodegroup, name, state.addresses[name]
        raise ValueError(_('the cluster has no master'))

    def node_boot(self, work, nodegroup, member, address):
        from magnum.common import certificates
        first_ng, first_name, manager = self._first_master(work)
        first = (first_ng.uuid == nodegroup.uuid and first_name == member)
        node_name = '%s-%s-%s' % (heat_driver.stack_name(work.cluster),
                                  nodegroup.name, member)
        cert, key = certificates.issue_server_certificate(
            work.context, work.cluster, node_name,
            dns_names=[node_name], ip_addresses=[address])
        ca = certificates.get_ca_certificate(work.context, work.cluster)
        return boot.script(
            address, manager, first,
            'manager' if nodegroup.role == 'master' else 'worker',
            self.swarm_labels(nodegroup), ca, cert, key)

    # -- upgrade: started here, carried on by the status sync ----------------

    def check_upgrade(self, context, cluster, cluster_template, nodegroup):
        if cluster_template.coe != 'swarm-mode' or \
                (cluster_template.server_type or 'vm') != 'vm' or \
                (cluster_template.cluster_distro or 'debian') not in (
                    'debian', 'ubuntu') or \
                (cluster_template.driver or self.name) != self.name:
            raise exception.InvalidClusterTemplateForUpgrade(reason=_(
                'the %(driver)s driver upgrades to vm/swarm-mode templates '
                'of Debian or Ubuntu images only; %(template)s is '
                '%(type)s/%(coe)s') % {
                    'driver': self.name,
                    'template': cluster_template.name or
                    cluster_template.uuid,
                    'type': cluster_template.server_type,
                    'coe': cluster_template.coe})
        if nodegroup.role != 'master':
            return
        # A master is rebuilt with an empty disk: the other managers must
        # keep the swarm's quorum meanwhile, with workers promoted for
        # the time when the masters alone cannot.
        masters = nodegroup.node_count or 0
        workers = sum(ng.node_count or 0 for ng in objects.NodeGroup.list(
            context, cluster.uuid) if ng.role != 'master')
        needed = upgrade.promotions_needed(
            [{'role': 'manager', 'hostname': str(i), 'labels': {},
              'state': 'ready', 'reachability': 'reachable'}
             for i in range(masters)], {'0'})
        if needed > workers:
            raise exception.NotSupported(operation=_(
                'Upgrading the %(masters)d master(s) of this swarm-mode '
                'cluster: while one is rebuilt, %(needed)d Ready worker(s) '
                'must hold the swarm\'s state as managers for the time '
                'and the cluster has %(workers)d; add workers (resize) '
                'first') % {'masters': masters, 'needed': needed,
                            'workers': workers})

    def upgrade_session(self, work, starting):
        return upgrade_session(self, work, starting)

    def api_url(self, address):
        return 'tcp://%s:%d' % (address, boot.DOCKER_PORT)

    # -- nodes and containers (API 1.16) ------------------------------------

    runs_containers = True

    def list_nodes(self, context, cluster):
        """The servers of the stack's outputs with the swarm's view of
        each (read now: the stack, then the manager's Docker API)."""
        from magnum.drivers.heat import stacks
        from magnum.drivers.heat.swarm_vm import inventory
        if not cluster.stack_id:
            outputs = {}
        else:
            with stacks.answering(_('read the stack')):
                heat = stacks.client_for(cluster, context)
                outputs = stacks.outputs_of(stacks.get(heat,
                                                       cluster.stack_id))
        known, tasks, unreadable = inventory.swarm_facts(
            context, cluster, CONF.heat_driver.docker_api_timeout)
        return inventory.list_nodes(
            outputs, objects.NodeGroup.list(context, cluster.uuid), known,
            tasks, unreadable, self.api_url)

    def get_monitor(self, context, cluster):
        from magnum.drivers.heat.swarm_vm import health
        return health.HeatSwarmMonitor(context, cluster)

    def observe_ready(self, context, cluster):
        """Ready when the swarm, read through the manager's Docker API
        with Magnum's client certificate, has every server of the stack
        as a Ready node. Nodes of servers the stack no longer has (a
        resize down, a deleted nodegroup) are removed from the swarm
        once they are down. An upgrade under way makes its next pass
        first, and the cluster is not ready until it is over."""
        if upgrade.upgrading(objects.NodeGroup.list(context, cluster.uuid)):
            progress = self.advance_upgrade(context, cluster)
            if not progress.finished:
                return False, progress.message
        names = set()
        for key, value in self.stack_outputs(cluster).items():
            if key.startswith('ng_') and key.endswith('_names'):
                names.update(upgrade.hostname(n) for n in value or [] if n)
        if not cluster.api_address:
            return False, _('The stack has no API address yet')
        try:
            with swarm_api.cluster_tls(context, cluster) as tls:
                manager = swarm_api.client(
                    cluster.api_address, tls,
                    CONF.heat_driver.docker_api_timeout)
                try:
                    nodes = swarm_api.list_nodes(manager)
                    self._forget_removed(manager, nodes, names)
                finally:
                    manager.close()
        except swarm_api.UNREACHABLE as error:
            message = _('The swarm manager at %(address)s does not answer '
                        'over TLS: %(error)s') % {
                            'address': cluster.api_address, 'error': error}
            if self.set_condition(cluster, conditions.CONTROL_PLANE_READY,
                                  False, 'APIUnreachable', message):
                cluster.save()
            return False, message
        ready = {n['hostname'].lower() for n in nodes
                 if n['hostname'] and swarm_api.is_ready(n)}
        missing = sorted(names - ready)
        self.set_condition(cluster, conditions.CONTROL_PLANE_READY, True,
                           'APIAnswering', _('The swarm manager answers'))
        if missing:
            message = _('%(ready)d of %(expected)d nodes Ready in the '
                        'swarm; not yet: %(missing)s') % {
                            'ready': len(names) - len(missing),
                            'expected': len(names),
                            'missing': ', '.join(missing)}
        else:
            message = _('All %d nodes Ready in the swarm') % len(names)
        self.set_condition(cluster, conditions.NODES_READY, not missing,
                           'NodesNotReady' if missing else 'NodesReady',
                           message)
        cluster.save()
        return not missing, message

    @staticmethod
    def _forget_removed(manager, nodes, names):
        """Remove down workers whose server the stack no longer has, or
        that were replaced under the same name (a rebuilt server joins
        again as a new swarm node)."""
        ready = {(n['hostname'] or '').lower() for n in nodes
                 if swarm_api.is_ready(n)}
        for node in nodes:
            hostname = (node['hostname'] or '').lower()
            gone = names and hostname not in names
            if node['state'] == 'down' and node['role'] != 'manager' and \
                    (gone or hostname in ready):
                try:
                    manager.api.remove_node(node['id'], force=True)
                    LOG.info('Removed swarm node %s (%s): its server is '
                             'no longer in the stack', node['id'],
                             hostname)
                except swarm_api.UNREACHABLE as error:
                    LOG.info('Cannot remove swarm node %s yet: %s',
                             node['id'], error)
