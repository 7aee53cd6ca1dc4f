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

"""What the two Heat Kubernetes drivers (k8s_vm, k8s_bm) share, on the
Heat driver base: validation of labels and node labels, each node's boot
configuration, the node template's properties, the stack's Kubernetes
additions (planned load balancer VIP, floating IPs made before their
servers, traffic between the cluster's nodes), the create in two phases
when the cloud chooses an address of the API (``phases``) and readiness
read from the Kubernetes API.

A subclass says which servers it builds (``server_type``), which node
template it uses and what it refuses (bare metal has no Cinder volumes).
"""

import contextlib
import json
import os

from oslo_log import log as logging
from oslo_utils import timeutils

from magnum import conf
from magnum.common import conditions
from magnum.common import exception
from magnum.drivers.heat import driver as heat_driver
from magnum.drivers.heat import rolling
from magnum.drivers.heat import stacks
from magnum.drivers.heat import status as stack_status
from magnum.drivers.heat import template_definition as definition
from magnum.drivers.heat.kubernetes import bootconfig
from magnum.drivers.heat.kubernetes import cloudconfig
from magnum.drivers.heat.kubernetes import gone_nodes
from magnum.drivers.heat.kubernetes import health as k8s_health
from magnum.drivers.heat.kubernetes import ignition
from magnum.drivers.heat.kubernetes import labels as k8s_labels
from magnum.drivers.heat.kubernetes import node_drain
from magnum.drivers.heat.kubernetes import node_labels
from magnum.drivers.heat.kubernetes import phases
from magnum.drivers.heat.kubernetes import pki
from magnum.drivers.heat.kubernetes import probe as k8s_probe
from magnum.drivers.heat.kubernetes import proxy as k8s_proxy
from magnum.drivers.heat.kubernetes import upgrade
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus
COE = 'kubernetes'
OS_FEDORA_COREOS = 'fedora-coreos'
OS_UBUNTU = 'ubuntu'
DISTROS = (OS_FEDORA_COREOS, OS_UBUNTU)
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'templates')
LB_FILE = 'kubernetes/load_balancer.yaml'
#: Labels an upgrade takes from the new cluster template (recorded in
#: the nodegroup's labels, and the cluster's for a default nodegroup).
UPGRADED_LABELS = ('kube_tag', 'etcd_tag')


def _masters_first(nodegroups):
    return sorted(nodegroups, key=lambda ng: (ng.role != 'master',
                                              not ng.is_default, ng.name))


def _distro(work_or_template):
    return getattr(work_or_template, 'cluster_distro', None) or \
        OS_FEDORA_COREOS


class KubernetesHeatDriver(rolling.BatchedUpgrades,
                           heat_driver.HeatDriver):
    """Kubernetes clusters whose nodes are Nova servers of a Heat stack."""

    #: vm or bm.
    server_type = None
    #: The node template in kubernetes/templates.
    node_template = None
    node_type = 'Magnum::Kubernetes::Node'

    @property
    def provides(self):
        return [{'server_type': self.server_type, 'os': os, 'coe': COE}
                for os in DISTROS]

    # -- validation -----------------------------------------------------

    def _check_labels(self, values):
        """Typed labels; 400 for a bad one or one this driver refuses."""
        return k8s_labels.resolve(values)

    def _check_coe(self, template):
        if template.get('coe') not in (None, COE):
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver builds kubernetes clusters, '
                      'not %(coe)s') % {'driver': self.name,
                                        'coe': template.get('coe')})
        if template.get('server_type') not in (None, self.server_type):
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver builds clusters of '
                      'server_type %(type)s') % {
                          'driver': self.name, 'type': self.server_type})

    def validate_cluster_template(self, context, template):
        self._check_coe(template)
        if template.get('tls_disabled'):
            raise exception.InvalidParameterValue(
                err=_('the %s driver always serves the Kubernetes API '
                      'with TLS and client certificates: tls_disabled '
                      'cannot be set') % self.name)
        self._check_labels(template.get('labels'))
        k8s_proxy.validate(template)
        super().validate_cluster_template(context, template)
        if not template.get('cluster_distro') and \
                not CONF.cloud_validation.enabled:
            # No Glance to read the image's os_distro from (test clouds):
            # the request's cluster_distro, else this driver's first OS.
            template['cluster_distro'] = OS_FEDORA_COREOS
        distro = template.get('cluster_distro')
        if distro and distro not in DISTROS:
            raise exception.InvalidParameterValue(
                err=_('the %(driver)s driver runs its nodes on %(os)s; the '
                      'image\'s os_distro is %(distro)s') % {
                          'driver': self.name, 'os': ', '.join(DISTROS),
                          'distro': distro})

    def validate_cluster(self, context, cluster, template):
        values = dict(getattr(template, 'labels', None) or {})
        values.update(cluster.get('labels') or {})
        self._check_labels(values)
        super().validate_cluster(context, cluster, template)

    def validate_nodegroup(self, context, cluster, nodegroup):
        """400 for labels, node labels or taints the kubelet would
        refuse (``nodegroup``: a dict of the nodegroup's values)."""
        self._check_labels(nodegroup.get('labels') or cluster.labels)
        node_labels.validate(nodegroup.get('name'),
                             nodegroup.get('node_labels'),
                             nodegroup.get('node_taints'))

    # -- the stack ----------------------------------------------------------

    api_port = bootconfig.API_PORT

    def ports(self, role):
        if role == 'master':
            return [22, self.api_port]
        return [22]

    def node_files(self):
        files = definition.read_files(TEMPLATES, [self.node_template], '.')
        return {'node.yaml': files['./%s' % self.node_template]}

    def _labels(self, work, nodegroup=None):
        values = definition.labels_of(work.cluster, work.template)
        if nodegroup is not None:
            values.update(nodegroup.labels or {})
        return k8s_labels.resolve(values)

    def _vip(self, work):
        return self._planned_vip(work.cluster, work.template)

    @staticmethod
    def _planned_vip(cluster, template):
        """The load balancer's planned VIP ('' when Octavia chooses)."""
        fixed_network = cluster.fixed_network or \
            getattr(template, 'fixed_network', None)
        if not cluster.master_lb_enabled or fixed_network:
            return ''
        return pki.planned_vip(definition.subnet_cidr(cluster, template),
                               CONF.heat_driver.node_address_offset)

    @staticmethod
    def _lb_floating_ip(cluster, template):
        """Whether the load balancer gets a floating IP: label
        master_lb_floating_ip_enabled, else floating_ip_enabled."""
        if not cluster.master_lb_enabled:
            return False
        wanted = k8s_labels.resolve(definition.labels_of(
            cluster, template))['master_lb_floating_ip_enabled']
        return bool(cluster.floating_ip_enabled if wanted is None
                    else wanted)

    def _two_phases(self, cluster, template):
        return phases.needed(cluster, self._planned_vip(cluster, template),
                             self._lb_floating_ip(cluster, template))

    def _floating_ips(self, work, template, addresses_only):
        """A floating IP resource per node (per master only when the
        stack is to have its addresses only), given to the node by id
        and address; the masters' resource names, first master first."""
        cluster = work.cluster
        resources = template['resources']
        external = getattr(work.template, 'external_network_id', None) or ''
        masters = []
        for nodegroup in _masters_first(work.nodegroups):
            key = definition.nodegroup_key(nodegroup)
            master = nodegroup.role == 'master'
            nodes = resources[key]['properties']['node_properties']['nodes']
            for name in work.states[key].members:
                entry = nodes[name]
                entry['floating_ip'] = entry['floating_ip_address'] = ''
                if not cluster.floating_ip_enabled or (
                        addresses_only and not master):
                    continue
                resource = phases.floating_ip_name(key, name)
                resources[resource] = phases.floating_ip(external)
                entry['floating_ip'] = {'get_resource': resource}
                entry['floating_ip_address'] = {
                    'get_attr': [resource, 'floating_ip_address']}
                if master:
                    masters.append(resource)
        return masters

    def build_stack(self, work):
        built = super().build_stack(work)
        template = json.loads(built['template'])
        resources = template['resources']
        if 'load_balancer' in resources:
            resources['load_balancer']['type'] = LB_FILE
            resources['load_balancer']['properties'][
                'floating_ip_enabled'] = self._lb_floating_ip(
                    work.cluster, work.template)
            resources['load_balancer']['properties']['vip_address'] = \
                self._vip(work)
            built['files'][LB_FILE] = definition.read_files(
                TEMPLATES, ['load_balancer.yaml'], '.')[
                    './load_balancer.yaml']
        # Masters and workers are in different security groups; between
        # the cluster's own addresses everything is open (kubelet, the
        # pod network's overlay, DNS).
        cidr = definition.subnet_cidr(work.cluster, work.template)
        resources['secgroup_cluster'] = {
            'type': 'OS::Neutron::SecurityGroup',
            'properties': {
                'name': '%s-cluster' % heat_driver.stack_name(work.cluster),
                'rules': [{'protocol': protocol, 'remote_ip_prefix': cidr}
                          for protocol in ('tcp', 'udp', 'icmp')]}}
        addresses_only = self._state(work).get('addresses_only', False)
        masters = self._floating_ips(work, template, addresses_only)
        lb = 'load_balancer' in resources
        template['outputs'].update(phases.address_outputs(lb, masters))
        if addresses_only:
            if lb:
                api = {'get_attr': ['load_balancer', 'address']}
            elif masters:
                api = {'get_attr': [masters[0], 'floating_ip_address']}
            else:
                api = self._masters(work)[1][0]
            phases.addresses_only(template, [
                definition.nodegroup_key(ng) for ng in work.nodegroups], api)
        built['template'] = definition.dumps(template)
        return built

    # -- the create, in two phases when the cloud chooses an address ------

    def create_cluster(self, context, cluster, cluster_create_timeout):
        if not self._two_phases(cluster, cluster.cluster_template):
            super().create_cluster(context, cluster, cluster_create_timeout)
            return
        work = heat_driver.Work(self, context, cluster,
                                timeout=cluster_create_timeout)
        self._state(work)['addresses_only'] = True
        self._run(_('Creating the stack of the cluster\'s addresses'), work,
                  [heat_driver.PlanMembers(), heat_driver.CreateStack()])

    def update_cluster_status(self, context, cluster):
        stack = self._addresses_made(context, cluster)
        if stack is None:
            super().update_cluster_status(context, cluster)
            return
        try:
            self._add_servers(context, cluster, stack)
        except Exception as error:
            # Recorded as the create's failure (CREATE_FAILED, reason).
            LOG.warning('Cluster %s: adding its servers to stack %s '
                        'failed: %s', cluster.uuid, cluster.stack_id, error)

    def _addresses_made(self, context, cluster):
        """The cluster's stack when it is a create's first phase that
        Heat completed (its addresses made, no server yet), else None."""
        if cluster.status != STATUS.CREATE_IN_PROGRESS or \
                not cluster.stack_id:
            return None
        summary = self._observed.get(cluster.stack_id)
        if summary is not None and \
                summary.stack_status != 'CREATE_COMPLETE':
            return None
        if not self._two_phases(cluster, cluster.cluster_template):
            return None  # its stack never is a first phase: no read
        try:
            stack = stacks.get(stacks.client_for(cluster, context),
                               cluster.stack_id)
        except stacks.StackGone:
            return None  # the Heat base's observation says so
        if stack.stack_status != 'CREATE_COMPLETE' or \
                not phases.is_addresses_only(stacks.outputs_of(stack)):
            # What the Heat base observes next, without reading it again
            # (it reads a complete stack again, for its outputs).
            self._observed[cluster.stack_id] = stack
            return None
        return stack

    def _add_servers(self, context, cluster, stack):
        """The create's second phase: the masters' certificates signed
        with the addresses Heat made, the nodegroups added to the stack.
        Under the status sync's lock; the cluster stays
        CREATE_IN_PROGRESS, its stack goes UPDATE_*."""
        self.record_outputs(context, cluster, stack)
        self.set_condition(
            cluster, stack_status.STACK_READY, False, 'AddingServers',
            _('Heat made the cluster\'s addresses (API at %s); its '
              'servers are being added') % cluster.api_address)
        cluster.save()
        work = heat_driver.Work(self, context, cluster,
                                timeout=self._minutes_left(cluster))
        self._state(work)['stack_addresses'] = phases.read(
            stacks.outputs_of(stack))
        self._run(_('Adding the servers to the stack'), work, [
            heat_driver.ReadStoredState(), heat_driver.PlanMembers(),
            heat_driver.RenderBootConfiguration(),
            heat_driver.UpdateStack()])

    @staticmethod
    def _minutes_left(cluster):
        """What is left of the create's timeout (minutes, at least 1),
        for Heat's update; None when the create has none."""
        minutes = getattr(cluster, 'create_timeout', None)
        created = getattr(cluster, 'created_at', None)
        if not minutes or created is None:
            return minutes or None
        spent = (timeutils.utcnow() - created.replace(
            tzinfo=None)).total_seconds() / 60
        return max(1, int(minutes - spent))

    def _stack_addresses(self, work):
        """The API's addresses the cloud chose, read once per operation
        from the stack's outputs (empty before there is a stack, or when
        every address was planned)."""
        state = self._state(work)
        if 'stack_addresses' not in state:
            stack_id = getattr(work.cluster, 'stack_id', None)
            found = phases.StackAddresses()
            if stack_id and self._two_phases(work.cluster, work.template):
                found = phases.read(stacks.outputs_of(
                    stacks.get(work.client(), stack_id)))
            state['stack_addresses'] = found
        return state['stack_addresses']

    def check_upgrade(self, *args):
        """Masters are replaced one by one in an upgrade: etcd's data must
        outlive the server, on its Cinder volume.

        Arguments as the Driver interface's (context, cluster,
        cluster_template, nodegroup); the Heat base's own call passes
        them without the context, which is not needed here.
        """
        cluster, _template, nodegroup = args[-3:]
        if nodegroup.role != 'master':
            return
        labels = k8s_labels.resolve(definition.labels_of(
            cluster, cluster.cluster_template))
        if not labels['etcd_volume_size']:
            self._not_supported(_(
                'Upgrading the masters of a cluster whose etcd data lives '
                'on the servers\' disks (label etcd_volume_size is 0): '
                'replacing a master would lose it'))

    def _rerender_upgraded(self, work, nodegroup, state):
        """The members an upgrade moves now (``work.upgrade_members``)
        get their boot configuration rendered again, with the
        nodegroup's new kube_tag: Heat rebuilds those servers only."""
        key = definition.nodegroup_key(nodegroup)
        for member in work.upgrade_members.get(key, ()):
            parameter = definition.node_parameter(key, member)
            if member in state.members and \
                    parameter not in work.node_parameters:
                work.node_parameters[parameter] = self.node_boot(
                    work, nodegroup, member, state.addresses[member])

    # -- upgrade: started by the request, carried on by the status sync --

    def release_fields(self, work, nodegroup):
        return {'image': nodegroup.image_id or work.template.image_id,
                'kube_tag': self._labels(work, nodegroup)['kube_tag']}

    def stored_release(self, work, key, member, field):
        value = super().stored_release(work, key, member, field)
        if value is None and field == 'kube_tag' and \
                rolling.stored_image(work.stored_template, key, member):
            # A member of a stack made before members carried their
            # kube_tag: the cluster's release.
            return work.cluster.coe_version or None
        return value

    def record_upgrade(self, context, cluster, cluster_template,
                       nodegroup):
        """The new template's kube_tag (and etcd_tag) become the
        nodegroup's, and the cluster's for a default nodegroup: what
        its members and any new one are rendered with from now on."""
        new = {name: (cluster_template.labels or {}).get(name)
               for name in UPGRADED_LABELS
               if (cluster_template.labels or {}).get(name)}
        if not new:
            return
        nodegroup.labels = dict(nodegroup.labels or {}, **new)
        if nodegroup.is_default:
            cluster.labels = dict(cluster.labels or {}, **new)

    def node_name(self, work, nodegroup, member):
        """The Kubernetes node name of a member (its kubelet's)."""
        return pki.node_name('%s-%s' % (self._name_prefix(work, nodegroup),
                                        member))

    @contextlib.contextmanager
    def upgrade_session(self, work, starting):
        """The pass of an upgrade (``rolling.UpgradePass``) on a
        connection to the cluster's API with Magnum's certificate. An
        API that does not answer fails the request; the status sync
        waits for it (a master being rebuilt)."""
        with k8s_probe.connected(work.context, work.cluster) as client:
            yield rolling.guarded(
                upgrade.Upgrade(work, client, self), starting,
                node_drain.APIError,
                _('the Kubernetes API did not answer Magnum\'s client '
                  'certificate: %s'),
                _('Upgrading: the Kubernetes API did not answer (%s); '
                  'trying again'))

    def node_properties(self, work, nodegroup, state):
        cluster, template = work.cluster, work.template
        labels = self._labels(work, nodegroup)
        master = nodegroup.role == 'master'
        self._rerender_upgraded(work, nodegroup, state)
        return {
            'name_prefix': self._name_prefix(work, nodegroup),
            'image': work.image or nodegroup.image_id or template.image_id,
            'flavor': nodegroup.flavor_id or (
                cluster.master_flavor_id if master else cluster.flavor_id)
            or (template.master_flavor_id if master else
                template.flavor_id),
            'key_name': cluster.keypair or template.keypair_id or '',
            'availability_zone': labels['availability_zone'],
            'network': {'get_attr': ['network', 'network_id']},
            'security_groups': [
                {'get_attr': ['secgroup_master' if master else
                              'secgroup_worker', 'security_group_id']},
                {'get_resource': 'secgroup_cluster'}],
            'pool_id': {'get_attr': ['load_balancer', 'pool_id']}
            if master and cluster.master_lb_enabled else '',
            'api_port': self.api_port,
        }

    def _name_prefix(self, work, nodegroup):
        # Short enough that system:node:<name> fits a certificate's
        # common name (64 characters).
        return pki.node_name('%s-%s' % ((work.cluster.name or 'k8s')[:20],
                                        nodegroup.name[:20]))

    def _masters(self, work):
        """(first master (nodegroup, member), [all master addresses])."""
        first, addresses = None, []
        for nodegroup in _masters_first(work.nodegroups):
            if nodegroup.role != 'master':
                continue
            state = work.states[definition.nodegroup_key(nodegroup)]
            for name in state.members:
                if first is None:
                    first = (nodegroup.uuid, name)
                addresses.append(state.addresses[name])
        if first is None:
            raise exception.InvalidParameterValue(
                err=_('a Kubernetes cluster needs a master'))
        return first, addresses

    @staticmethod
    def _state(work):
        """What the Kubernetes drivers keep on one operation's Work: its
        CAs' issuer, its phase, the addresses read from the stack."""
        return work.__dict__.setdefault('_kubernetes', {})

    def _cached(self, work, key, make):
        cache = self._state(work)
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def _cloud_config(self, work):
        from magnum.common import cluster_session
        from magnum.common import keystone
        cluster = work.cluster
        if not cluster.application_credential_id:
            return ''
        lines = ['[Global]',
                 'auth-url=%s' % keystone.identity_url(work.context),
                 'application-credential-id=%s' %
                 cluster.application_credential_id,
                 'application-credential-secret=%s' %
                 cluster_session.secret_of(cluster)]
        region = CONF.heat_client.region_name
        if region:
            lines.append('region=%s' % region)
        return '\n'.join(lines) + '\n'

    def node_boot(self, work, nodegroup, member, address):
        cluster = work.cluster
        labels = self._labels(work, nodegroup)
        (first_ng, first_member), master_addresses = self._masters(work)
        role = 'master' if nodegroup.role == 'master' else 'worker'
        first = (nodegroup.uuid, member) == (first_ng, first_member)
        made = self._stack_addresses(work)
        vip = made.vip or self._vip(work)
        addresses = pki.Addresses.of(master_addresses, vip,
                                     labels['service_cluster_ip_range'],
                                     made.public)
        api_host = vip or master_addresses[0]
        needs_cloud = any(labels[name] for name in (
            'cloud_provider_enabled', 'auto_healing_enabled',
            'auto_scaling_enabled'))
        facts = bootconfig.ClusterFacts(
            name=cluster.name or cluster.uuid, labels=labels,
            master_count=len(master_addresses),
            network_driver=getattr(work.template, 'network_driver', None)
            or 'flannel',
            cloud_config=self._cached(work, 'cloud', lambda: self.
                                      _cloud_config(work))
            if needs_cloud and first else '',
            proxy=self._proxy(work, labels, addresses, api_host))
        issuer = self._cached(work, 'issuer', lambda: pki.Issuer.for_cluster(
            work.context, cluster))
        service_account = self._cached(work, 'sa',
                                       pki.service_account_files)
        node = bootconfig.Member(
            self.node_name(work, nodegroup, member), address,
            first_master=first)
        config = bootconfig.build(
            role, facts, {'name': nodegroup.name, 'role': nodegroup.role,
                          'node_labels': nodegroup.node_labels,
                          'node_taints': nodegroup.node_taints},
            node, issuer, addresses, api_host,
            cluster.uuid, service_account=service_account)
        if _distro(work.template) == OS_UBUNTU:
            return cloudconfig.render(config)
        return ignition.render(config)

    @staticmethod
    def _proxy(work, labels, addresses, api_host):
        """The template's proxies; what the cluster reaches directly is
        never sent through them."""
        direct = [definition.subnet_cidr(work.cluster, work.template),
                  labels['pods_network_cidr'],
                  labels['service_cluster_ip_range'], api_host,
                  addresses.lb_vip, addresses.kubernetes_service]
        direct += list(addresses.masters) + list(addresses.external)
        direct += ['.svc', '.%s' % bootconfig.CLUSTER_DOMAIN]
        return k8s_proxy.for_nodes(work.template, direct)

    # -- observation ---------------------------------------------------------

    def api_url(self, address):
        return 'https://%s:%d' % (address, self.api_port)

    def observe_ready(self, context, cluster):
        """Ready when the Kubernetes API answers /readyz to Magnum's
        client certificate and every server of the stack is a Ready
        node; read by the prober the health check uses (``probe``). An
        upgrade under way makes its next pass first, and the cluster is
        not ready until it is over (``upgrade``)."""
        from magnum import objects
        if rolling.upgrading(objects.NodeGroup.list(context,
                                                    cluster.uuid)):
            progress = self.advance_upgrade(context, cluster)
            if not progress.finished:
                return False, progress.message
        expected = k8s_health.stack_node_names(self.stack_outputs(cluster))
        state = k8s_health.readiness(k8s_probe.observe(context, cluster),
                                     expected)
        if state.ready:
            # Nodes of servers a resize or a nodegroup delete removed.
            gone_nodes.remove(context, cluster, expected)
        self.set_condition(cluster, conditions.CONTROL_PLANE_READY,
                           state.api, state.api_reason, state.api_message)
        self.set_condition(cluster, conditions.NODES_READY, state.nodes,
                           state.nodes_reason, state.nodes_message)
        if state.ready and not cluster.coe_version:
            cluster.coe_version = self._labels_of_cluster(cluster)[
                'kube_tag']
        cluster.save()
        return state.ready, state.message

    def get_monitor(self, context, cluster):
        return k8s_health.monitor_for(context, cluster)

    def list_nodes(self, context, cluster):
        """The servers of the stack's outputs with what the Kubernetes
        API says of each node (read now: the stack, then the API)."""
        from magnum import objects
        outputs = {}
        if cluster.stack_id:
            heat = stacks.client_for(cluster, context)
            outputs = stacks.outputs_of(stacks.get(heat, cluster.stack_id))
        return k8s_health.list_nodes(
            outputs, objects.NodeGroup.list(context, cluster.uuid),
            k8s_probe.observe(context, cluster))

    def _labels_of_cluster(self, cluster):
        return k8s_labels.resolve(definition.labels_of(
            cluster, cluster.cluster_template))
