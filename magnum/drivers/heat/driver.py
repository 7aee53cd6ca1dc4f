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

"""What every Heat driver shares: a cluster is one Heat stack.

Each public operation builds a ``Work`` and runs ordered steps
(``magnum.drivers.heat.steps``): record the failure on the way back,
plan the nodegroups' members and addresses, render each new member's
boot configuration (with its certificate), create or update the stack.
Nothing waits: the conductor's status sync calls
``observe_clusters`` once per period and ``update_cluster_status`` per
cluster, which reads the stack once and records what it sees.

A driver subclass gives its node template, its node properties, each
node's boot configuration and how it knows the cluster is ready.
"""

import abc

from oslo_log import log as logging

from magnum import conf
from magnum import objects
from magnum.common import cluster_status
from magnum.common import conditions
from magnum.drivers.common import driver as driver_base
from magnum.drivers.heat import addresses
from magnum.drivers.heat import stacks
from magnum.drivers.heat import status as stack_status
from magnum.drivers.heat import steps
from magnum.drivers.heat import template_definition as definition
from magnum.i18n import _
from magnum.objects import fields

CONF = conf.CONF
LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus


class Work:
    """What one operation on one cluster carries between its steps."""

    def __init__(self, driver, context, cluster, remove=None,
                 timeout=None, template=None, upgrading=None,
                 max_batch_size=None):
        self.driver = driver
        self.context = context
        self.cluster = cluster
        self.template = template or cluster.cluster_template
        self.nodegroups = [ng for ng in objects.NodeGroup.list(
            context, cluster.uuid)
            if ng.status != STATUS.DELETE_IN_PROGRESS]
        self.remove = remove or {}
        self.timeout = timeout
        #: The nodegroup (uuid) being upgraded, replaced in batches of
        #: max_batch_size.
        self.upgrading = upgrading
        self.max_batch_size = max_batch_size
        # An upgrade records the new image as the nodegroup's image_id;
        # nothing overrides it any more (None, for drivers that read it).
        self.image = None
        #: {nodegroup key: member names} a driver that upgrades member by
        #: member (``member_values``) moves to the nodegroup's image now.
        self.upgrade_members = {}
        self.error = None
        self.heat = None
        self.stored = {}
        #: The stack's stored template as Heat gave it back (what each
        #: member was given last time), {} before the stack exists.
        self.stored_template = {}
        self.states = {}
        self.new = []
        self.node_parameters = {}
        self.cleared = []

    def client(self):
        if self.heat is None:
            self.heat = stacks.client_for(self.cluster, self.context)
        return self.heat


# -- steps shared by create and update ------------------------------------

class ReadStoredState(steps.Step):
    """What the stack has: its members (from the stored template) and
    their server ids and names (from its outputs), so that
    nodes_to_remove may name a node by any of them."""

    def execute(self, work):
        if not work.cluster.stack_id:
            return
        heat = work.client()
        stored = stacks.template_of(heat, work.cluster.stack_id)
        work.stored_template = stored or {}
        work.stored = definition.stored_states(stored)
        if work.remove:
            stack = stacks.get(heat, work.cluster.stack_id)
            outputs = stacks.outputs_of(stack)
            work.remove = {
                key: definition.member_names(
                    names, work.stored.get(key),
                    outputs.get('%s_refs_map' % key),
                    outputs.get('%s_names' % key))
                for key, names in work.remove.items()}


class PlanMembers(steps.Step):
    def execute(self, work):
        work.states, work.new = definition.plan(
            work.cluster, work.template, work.nodegroups, work.stored,
            work.remove)
        kept = {definition.node_parameter(key, name)
                for key, state in work.states.items()
                for name in state.members}
        work.cleared = sorted(
            definition.node_parameter(key, name)
            for key, state in work.stored.items()
            for name in state.members
            if definition.node_parameter(key, name) not in kept)


class RenderBootConfiguration(steps.Step):
    """Each new member's boot configuration, its certificate inside."""

    def execute(self, work):
        by_key = {definition.nodegroup_key(ng): ng for ng in work.nodegroups}
        for key, name in work.new:
            state = work.states[key]
            work.node_parameters[definition.node_parameter(key, name)] = \
                work.driver.node_boot(work, by_key[key], name,
                                      state.addresses[name])


class CreateStack(steps.Step):
    def execute(self, work):
        built = work.driver.build_stack(work)
        stack_id = stacks.create(
            work.client(), stack_name(work.cluster), built['template'],
            built['files'], built['environment'], work.node_parameters,
            work.timeout)
        work.cluster.stack_id = stack_id
        work.cluster.save()
        for nodegroup in work.nodegroups:
            nodegroup.stack_id = stack_id
            nodegroup.save()
        return stack_id

    def revert(self, work, result):
        # A stack that was made but whose create cannot go on is not
        # left running; one Heat lost is fine.
        if result:
            stacks.delete(work.client(), result)


class UpdateStack(steps.Step):
    def execute(self, work):
        built = work.driver.build_stack(work)
        parameters = dict(work.node_parameters)
        heat = work.client()
        with stacks.answering(_('update stack %s') % work.cluster.stack_id,
                              stack=work.cluster.stack_id):
            heat.stacks.update(
                work.cluster.stack_id, existing=True,
                template=built['template'], files=built['files'],
                environment=built['environment'], parameters=parameters,
                clear_parameters=work.cleared, disable_rollback=True,
                timeout_mins=work.timeout)
        for nodegroup in work.nodegroups:
            if not nodegroup.stack_id:
                nodegroup.stack_id = work.cluster.stack_id
                nodegroup.save()


def stack_name(cluster):
    # Heat wants a letter first and no more than 255 characters.
    name = ''.join(c if c.isalnum() or c in '-_' else '-'
                   for c in (cluster.name or 'cluster'))[:40]
    return 'magnum-%s-%s' % (name, cluster.uuid[:8])


class HeatDriver(driver_base.Driver, metaclass=abc.ABCMeta):
    """A cluster as a Heat stack of fragments and the driver's nodes."""

    #: Roles the cluster's application credential needs to build the
    #: stack in its project.
    cloud_credential_roles = None

    #: The resource type name the environment maps to the node template.
    node_type = None

    #: The port of the cluster's API on its masters.
    api_port = None

    def __init__(self):
        self._observed = {}
        self._outputs = {}

    # -- what a Heat driver gives --------------------------------------

    @abc.abstractmethod
    def node_files(self):
        """{file name: content}: the node template ('node.yaml') and
        what it includes."""

    @abc.abstractmethod
    def node_properties(self, work, nodegroup, state):
        """The properties every member of ``nodegroup`` gets (a dict;
        '%index%' becomes the member's name)."""

    @abc.abstractmethod
    def node_boot(self, work, nodegroup, member, address):
        """The user data of one new member at ``address``."""

    @abc.abstractmethod
    def observe_ready(self, context, cluster):
        """After the stack completed: (ready, reason when not). The
        stack's outputs just read are ``self.stack_outputs(cluster)``."""

    def member_values(self, work, nodegroup, member):
        """What one member gets beside its address and user data in the
        node template's ``nodes`` map (a dict): a driver that upgrades
        its nodes a batch at a time gives each member its own image."""
        return {}

    def stack_outputs(self, cluster):
        """{output key: value} of the cluster's stack as last read in
        this period (by ``record_outputs``)."""
        return self._outputs.get(cluster.uuid, {})

    def ports(self, role):
        """TCP ports open from outside on nodes of ``role``."""
        return [22]

    # -- validation (the API asks; look-ups through the clients) --------

    def validate_cluster_template(self, context, template):
        # Imported here: the look-ups' clients are loaded only by the
        # API process that validates.
        from magnum.drivers.heat import validation
        for key, value in validation.validate_template(
                context, template).items():
            if not template.get(key):
                template[key] = value

    def validate_cluster(self, context, cluster, template):
        from magnum.drivers.heat import validation
        validation.validate_cluster(context, cluster, template)

    # -- the stack ----------------------------------------------------------

    def build_stack(self, work):
        cluster, template = work.cluster, work.template
        cidr = definition.subnet_cidr(cluster, template)
        fixed_network = cluster.fixed_network or \
            getattr(template, 'fixed_network', None) or ''
        fixed_subnet = cluster.fixed_subnet or \
            getattr(template, 'fixed_subnet', None) or ''
        resources = {
            'network': {
                'type': definition.fragment_name('network.yaml'),
                'properties': {
                    'name': stack_name(cluster),
                    'existing_network': fixed_network,
                    'existing_subnet': fixed_subnet,
                    'fixed_subnet_cidr': cidr,
                    'allocation_pools': [] if fixed_network else
                    addresses.allocation_pools(cidr),
                    'dns_nameservers': [template.dns_nameserver]
                    if getattr(template, 'dns_nameserver', None) else [],
                    'external_network':
                    getattr(template, 'external_network_id', None) or '',
                }},
        }
        for role in ('master', 'worker'):
            resources['secgroup_%s' % role] = {
                'type': definition.fragment_name('security_group.yaml'),
                'properties': {
                    'name': '%s-%s' % (stack_name(cluster), role),
                    'tcp_ports': [str(p) for p in self.ports(role)]}}
        if cluster.master_lb_enabled:
            resources['load_balancer'] = {
                'type': definition.fragment_name('load_balancer.yaml'),
                'properties': {
                    'name': stack_name(cluster),
                    'subnet': {'get_attr': ['network', 'subnet_id']},
                    'port': self.api_port,
                    'floating_ip_enabled': bool(cluster.floating_ip_enabled),
                    'external_network':
                    getattr(template, 'external_network_id', None) or ''}}
        parameters, outputs = {}, {}
        masters = [definition.nodegroup_key(ng) for ng in work.nodegroups
                   if ng.role == 'master']
        for nodegroup in work.nodegroups:
            key = definition.nodegroup_key(nodegroup)
            state = work.states[key]
            nodes = {}
            for name in state.members:
                parameter = definition.node_parameter(key, name)
                parameters[parameter] = {'type': 'string', 'hidden': True}
                nodes[name] = {'address': state.addresses[name],
                               'user_data': {'get_param': parameter}}
                nodes[name].update(self.member_values(work, nodegroup,
                                                      name))
            properties = dict(self.node_properties(work, nodegroup, state))
            properties.update(index='%index%', nodes=nodes)
            resource = {
                'type': definition.fragment_name('nodegroup.yaml'),
                'metadata': state.metadata(),
                'properties': {
                    'node_count': len(state.members),
                    'node_type': self.node_type,
                    'node_properties': properties,
                    'removal_policies': [{'resource_list': state.removed}]
                    if state.removed else [],
                    'max_batch_size': self._batch_size(work, nodegroup),
                }}
            if nodegroup.role != 'master' and masters:
                # Workers join a swarm (or cluster) the masters made.
                resource['depends_on'] = masters
            resources[key] = resource
            outputs['%s_addresses' % key] = {
                'value': {'get_attr': [key, 'node_addresses']}}
            outputs['%s_public_addresses' % key] = {
                'value': {'get_attr': [key, 'node_public_addresses']}}
            outputs['%s_names' % key] = {
                'value': {'get_attr': [key, 'node_names']}}
            outputs['%s_refs_map' % key] = {
                'value': {'get_attr': [key, 'refs_map']}}
        if cluster.master_lb_enabled:
            outputs['api_address'] = {
                'value': {'get_attr': ['load_balancer', 'address']}}
        elif masters:
            outputs['api_address'] = {
                'value': {'get_attr': [masters[0], 'node_public_addresses',
                                       0]}}
        template_body = {
            'heat_template_version': definition.HOT_VERSION,
            'description': 'Magnum cluster %s (%s driver)' % (
                cluster.uuid, self.name),
            'parameters': parameters, 'resources': resources,
            'outputs': outputs}
        files = definition.fragment_files()
        for name, content in self.node_files().items():
            files['node/%s' % name] = content
        environment = {'resource_registry': {
            self.node_type: 'node/node.yaml'}}
        return {'template': definition.dumps(template_body),
                'files': files, 'environment': environment}

    @staticmethod
    def _batch_size(work, nodegroup):
        if work.upgrading == nodegroup.uuid and work.max_batch_size:
            return max(1, int(work.max_batch_size))
        labels = definition.labels_of(work.cluster, work.template)
        try:
            return max(1, int(labels.get('max_batch_size') or 1))
        except ValueError:
            return 1

    # -- lifecycle -----------------------------------------------------------

    def _run(self, what, work, forward):
        steps.run([steps.RecordFailure(what)] + forward, work)

    def create_cluster(self, context, cluster, cluster_create_timeout):
        work = Work(self, context, cluster, timeout=cluster_create_timeout)
        self._run(_('Creating the stack'), work, [
            PlanMembers(), RenderBootConfiguration(), CreateStack()])

    def _update(self, context, cluster, what, **kwargs):
        if not cluster.stack_id:
            self._not_supported(_('%s of a cluster that has no stack') %
                                what)
        work = Work(self, context, cluster, **kwargs)
        self._run(what, work, [ReadStoredState(), PlanMembers(),
                               RenderBootConfiguration(), UpdateStack()])

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        self._update(context, cluster, _('Updating the stack'))

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        remove = {}
        if nodegroup is not None and nodes_to_remove:
            remove[definition.nodegroup_key(nodegroup)] = [
                str(name) for name in nodes_to_remove]
        self._update(context, cluster, _('Resizing the stack'),
                     remove=remove)

    def check_upgrade(self, context, cluster, cluster_template, nodegroup):
        """Raise when the driver cannot upgrade ``nodegroup`` (upgrades
        are ``rolling.BatchedUpgrades``', a batch of members at a
        time)."""

    def create_nodegroup(self, context, cluster, nodegroup):
        self._update(context, cluster, _('Adding nodegroup %s') %
                     nodegroup.name)

    def update_nodegroup(self, context, cluster, nodegroup):
        self._update(context, cluster, _('Updating nodegroup %s') %
                     nodegroup.name)

    def delete_nodegroup(self, context, cluster, nodegroup):
        # Work leaves out nodegroups being deleted: the update drops it.
        self._update(context, cluster, _('Deleting nodegroup %s') %
                     nodegroup.name)

    def delete_cluster(self, context, cluster):
        """Start deleting the stack; a cluster whose create never made
        one, or whose stack Heat lost, has nothing to wait for."""
        if not cluster.stack_id:
            return
        try:
            heat = stacks.client_for(cluster, context)
        except Exception as error:
            LOG.warning('Cluster %s: no Heat client to delete its stack '
                        '(%s)', cluster.uuid, error)
            raise
        try:
            stack = stacks.get(heat, cluster.stack_id)
        except stacks.StackGone:
            LOG.info('Cluster %s: Heat has no stack %s any more',
                     cluster.uuid, cluster.stack_id)
            return
        if stack.stack_status in ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'):
            # A second delete would cancel Heat's running one (which
            # then reports DELETE_FAILED "cancelled"): a delete asked for
            # again, or resumed, just goes on waiting.
            LOG.info('Cluster %s: stack %s is already %s', cluster.uuid,
                     cluster.stack_id, stack.stack_status)
            return
        if not stacks.delete(heat, cluster.stack_id):
            LOG.info('Cluster %s: Heat has no stack %s any more',
                     cluster.uuid, cluster.stack_id)

    # -- observation ---------------------------------------------------------

    def observe_clusters(self, context, clusters):
        """One stack list per project (or one across projects with
        [heat_driver] global_stack_list): Heat's default policy lets a
        project list only its own stacks."""
        self._observed = {}
        self._outputs = {}
        with_stacks = [c for c in clusters if c.stack_id]
        if not with_stacks:
            return
        if CONF.heat_driver.global_stack_list:
            self._observed.update(stacks.list_by_id(
                stacks.service_client(), [c.stack_id for c in with_stacks],
                global_tenant=True))
            return
        by_project = {}
        for cluster in with_stacks:
            if cluster.application_credential_id:
                by_project.setdefault(cluster.project_id, []).append(cluster)
        for project_clusters in by_project.values():
            try:
                heat = stacks.client_for(project_clusters[0], context)
                self._observed.update(stacks.list_by_id(
                    heat, [c.stack_id for c in project_clusters]))
            except Exception as error:
                LOG.info('Cannot list the stacks of project %s at once: '
                         '%s', project_clusters[0].project_id, error)

    def update_cluster_status(self, context, cluster):
        stack_status.observe(self, context, cluster,
                             self._observed.get(cluster.stack_id))

    def record_outputs(self, context, cluster, stack):
        """Addresses from the stack's outputs (saved by the caller)."""
        outputs = stacks.outputs_of(stack)
        self._outputs[cluster.uuid] = outputs
        api = outputs.get('api_address')
        if api:
            cluster.api_address = self.api_url(api)
        for nodegroup in objects.NodeGroup.list(context, cluster.uuid):
            key = definition.nodegroup_key(nodegroup)
            found = outputs.get('%s_public_addresses' % key) or \
                outputs.get('%s_addresses' % key)
            if found is not None:
                found = [a for a in found if a]
                if nodegroup.node_addresses != found:
                    nodegroup.node_addresses = found
                    nodegroup.save()

    def api_url(self, address):
        return address

    def set_condition(self, cluster, condition_type, ok, reason, message):
        return conditions.set_condition(
            cluster, condition_type,
            conditions.TRUE if ok else conditions.FALSE, reason, message)

    def complete(self, context, cluster, reason=None):
        return cluster_status.complete(context, cluster, reason)

    def fail(self, context, cluster, reason):
        return cluster_status.fail(context, cluster, reason)
