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

"""/v1/containers, from microversion 1.16: containers Magnum runs on the
nodes of swarm clusters (doc/source/user/containers.rst).

The API writes the row (Creating, within the project's Container quota)
and calls the conductor, which places the container on a node through
the node's Docker API; every action is a call answered with what Docker
did. Rows are scoped like clusters: another project's container is a 404.
"""

import shlex

import pecan
from pecan import rest
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import conf
from magnum import objects
from magnum.api import utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import collection
from magnum.api.controllers.v1 import node as node_api
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import names
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import container as container_object
from magnum.objects import fields

CONF = conf.CONF

Status = container_object.ContainerStatus
STRING_DICT = wtypes.DictType(wtypes.text, wtypes.text)
SWARM_COES = ('swarm', 'swarm-mode')
RUNNABLE_CLUSTER_STATES = (fields.ClusterStatus.CREATE_COMPLETE,
                           fields.ClusterStatus.UPDATE_COMPLETE)
RESTART_POLICIES = ('no', 'always', 'on-failure', 'unless-stopped')
PROTOCOLS = ('tcp', 'udp', 'sctp')
MIN_MEMORY = 4 * 1024 * 1024
SORT_KEYS = ('id', 'name', 'created_at', 'status', 'image', 'host')


class Container(base.APIBase):
    """A container as the API shows it."""

    uuid = wtypes.text
    name = wtypes.text
    project_id = wtypes.text
    user_id = wtypes.text
    cluster_uuid = wtypes.text
    image = wtypes.text
    command = [wtypes.text]
    memory = wtypes.text
    cpu = float
    environment = STRING_DICT
    labels = STRING_DICT
    ports = types.jsontype
    """[{container_port, host_port, protocol}]"""
    restart_policy = types.jsontype
    """{name, maximum_retry_count}"""
    status = wtypes.text
    """Creating, Running, Stopped, Paused, Error, Unknown or Deleting."""
    status_reason = wtypes.text
    host = wtypes.text
    """The node the container runs on."""
    container_id = wtypes.text
    links = wtypes.ArrayType(STRING_DICT)

    _FIELDS = ('uuid', 'name', 'project_id', 'user_id', 'cluster_uuid',
               'image', 'command', 'memory', 'cpu', 'environment', 'labels',
               'status', 'status_reason', 'host', 'container_id')

    @classmethod
    def convert(cls, container):
        item = cls.trusted({key: container[key] for key in cls._FIELDS},
                           fields=Container.attribute_keys())
        item.ports = [_port_out(p) for p in container.ports or []]
        policy_ = container.restart_policy or {}
        item.restart_policy = {
            'name': policy_.get('name') or 'no',
            'maximum_retry_count': int(policy_.get('maximum_retry_count')
                                       or 0)}
        item.set_timestamps(container)
        item.links = link.self_and_bookmark(link.base_url(), 'containers',
                                            container.uuid)
        return item


def _port_out(port):
    return {'container_port': int(port['container_port']),
            'host_port': int(port['host_port']) if port.get('host_port')
            else None,
            'protocol': port.get('protocol') or 'tcp'}


class ContainerCreate(wtypes.Base):
    """The body of POST /v1/containers."""

    name = wtypes.wsattr(wtypes.StringType(min_length=1, max_length=255),
                         default=None)
    image = wtypes.wsattr(wtypes.StringType(min_length=1, max_length=255),
                          mandatory=True)
    command = wtypes.wsattr(types.jsontype, default=None)
    """A list of strings, or a string split as a shell would."""
    cluster = wtypes.wsattr(wtypes.StringType(min_length=1,
                                              max_length=255),
                            mandatory=True)
    """The cluster's uuid or name."""
    memory = wtypes.wsattr(wtypes.StringType(max_length=32), default=None)
    """A size like 512m (b, k, m or g), at least 4m."""
    cpu = wtypes.wsattr(float, default=None)
    environment = wtypes.wsattr(STRING_DICT, default=None)
    labels = wtypes.wsattr(STRING_DICT, default=None)
    ports = wtypes.wsattr(types.jsontype, default=None)
    restart_policy = wtypes.wsattr(types.jsontype, default=None)


class ContainerCollection(collection.Collection):

    containers = [Container]

    _type = 'containers'


class ContainerLogs(wtypes.Base):
    output = wtypes.text


class ExecuteRequest(wtypes.Base):
    command = wtypes.wsattr(types.jsontype, mandatory=True)
    """A list of strings, or a string split as a shell would."""


class ExecuteResult(wtypes.Base):
    exit_code = int
    output = wtypes.text


class ContainerStats(wtypes.Base):
    read_at = wtypes.text
    cpu_percent = float
    memory_usage = int
    memory_limit = int
    network_rx_bytes = int
    network_tx_bytes = int
    pids = int


# -- validation ---------------------------------------------------------

def _invalid(text):
    return exception.InvalidParameterValue(err=text)


def command_value(value, what='command'):
    """A command as a list of strings; 400 otherwise."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as error:
            raise _invalid(_('%(what)s: %(error)s') % {
                'what': what, 'error': error}) from None
    if not isinstance(value, list) or not all(
            isinstance(part, str) for part in value):
        raise _invalid(_('%s must be a list of strings or a string') %
                       what)
    return value


def memory_value(value):
    if value is None:
        return None
    from magnum.drivers.common import container_client
    try:
        size = container_client.memory_bytes(value)
    except ValueError as error:
        raise _invalid(_('memory: %s') % error) from None
    if size < MIN_MEMORY:
        raise _invalid(_('memory %s is less than the 4m a container '
                         'needs') % value)
    return value.strip().lower()


def cpu_value(value):
    if value is None:
        return None
    if not 0 < value <= 1024:
        raise _invalid(_('cpu must be more than 0 and at most 1024 (CPUs), '
                         'not %s') % value)
    return value


def _port_number(port, key, required):
    value = port.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= 65535:
        raise _invalid(_('ports: %(key)s must be a port number 1-65535, '
                         'not %(value)r') % {'key': key, 'value': value})
    return str(value)


def ports_value(value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(_('ports must be a list of '
                         '{container_port, host_port, protocol}'))
    result = []
    for port in value:
        if not isinstance(port, dict) or set(port) - {
                'container_port', 'host_port', 'protocol'}:
            raise _invalid(_('each port is an object with container_port '
                             'and optionally host_port and protocol, not '
                             '%r') % (port,))
        protocol = port.get('protocol') or 'tcp'
        if protocol not in PROTOCOLS:
            raise _invalid(_('ports: protocol must be one of %s') %
                           ', '.join(PROTOCOLS))
        result.append({
            'container_port': _port_number(port, 'container_port', True),
            'host_port': _port_number(port, 'host_port', False),
            'protocol': protocol})
    return result


def restart_policy_value(value):
    if value is None:
        return {'name': 'no', 'maximum_retry_count': '0'}
    if isinstance(value, str):
        value = {'name': value}
    if not isinstance(value, dict) or set(value) - {'name',
                                                    'maximum_retry_count'}:
        raise _invalid(_('restart_policy is one of %s or an object with '
                         'name and maximum_retry_count') %
                       ', '.join(RESTART_POLICIES))
    name = value.get('name') or 'no'
    if name not in RESTART_POLICIES:
        raise _invalid(_('restart_policy name must be one of %s') %
                       ', '.join(RESTART_POLICIES))
    retries = value.get('maximum_retry_count') or 0
    if isinstance(retries, bool) or not isinstance(retries, int) or \
            retries < 0 or (retries and name != 'on-failure'):
        raise _invalid(_('maximum_retry_count is a count >= 0, only for '
                         'on-failure'))
    return {'name': name, 'maximum_retry_count': str(retries)}


def runnable_cluster(context, ident):
    """The cluster a container may run on; 404 unknown, 400 not a swarm,
    409 not CREATE_COMPLETE or UPDATE_COMPLETE."""
    cluster = objects.Cluster.get(context, ident)
    coe = cluster.cluster_template.coe
    if coe not in SWARM_COES:
        raise _invalid(_('cluster %(cluster)s is a %(coe)s cluster: '
                         'containers run on swarm clusters only') % {
                             'cluster': cluster.name or cluster.uuid,
                             'coe': coe})
    if cluster.status not in RUNNABLE_CLUSTER_STATES:
        raise exception.Conflict(message=_(
            'Cluster %(cluster)s is %(status)s: containers run on clusters '
            'in %(allowed)s') % {'cluster': cluster.name or cluster.uuid,
                                 'status': cluster.status,
                                 'allowed': ' or '.join(
                                     RUNNABLE_CLUSTER_STATES)})
    return cluster


def _quota_limit(context, project_id):
    try:
        return objects.Quota.get_quota_by_project_id_resource(
            context, project_id,
            fields.QuotaResourceName.CONTAINER).hard_limit
    except exception.QuotaNotFound:
        return CONF.quotas.max_containers_per_project


# -- the controllers ----------------------------------------------------

def _get(ident, rule):
    context = pecan.request.context
    utils.scope_admin(context, 'container:get_one_all_projects')
    container = objects.Container.get(context, ident)
    policy.authorize(context, rule, target=container.as_dict())
    return context, container


def _rpc():
    return pecan.request.rpcapi


def _action_controller(action):
    """The controller of POST /v1/containers/{container_ident}/<action>
    (a class per action: each is its own operation in the OpenAPI
    document)."""

    @wsme_pecan.wsexpose(Container, wtypes.text, status_code=200)
    def post(self, container_ident):
        node_api.available(_('container %s') % action)
        context, container = _get(container_ident, 'container:%s' % action)
        return Container.convert(_rpc().container_action(
            context, container=container, action=action))

    post.__doc__ = _('%s the container; the container after it.') % (
        action.capitalize())
    return type('%sController' % action.capitalize(),
                (rest.RestController,), {'post': post})


ACTIONS = {name: _action_controller(name)
           for name in ('start', 'stop', 'restart', 'pause', 'unpause')}


class LogsController(rest.RestController):
    """GET /v1/containers/{container_ident}/logs"""

    @wsme_pecan.wsexpose(ContainerLogs, wtypes.text, int, int)
    def get_all(self, container_ident, tail=None, since=None):
        node_api.available(_('container logs'))
        if tail is not None and tail < 0:
            raise _invalid(_('tail must be 0 or more lines'))
        if since is not None and since < 0:
            raise _invalid(_('since is a UNIX time, 0 or more'))
        context, container = _get(container_ident, 'container:logs')
        answer = _rpc().container_logs(context, container=container,
                                       tail=tail, since=since)
        return ContainerLogs(output=answer['output'])


class ExecuteController(rest.RestController):
    """POST /v1/containers/{container_ident}/execute"""

    @wsme_pecan.wsexpose(ExecuteResult, wtypes.text, body=ExecuteRequest,
                         status_code=200)
    def post(self, container_ident, body):
        node_api.available(_('container execute'))
        command = command_value(body.command)
        if not command:
            raise _invalid(_('command must not be empty'))
        context, container = _get(container_ident, 'container:execute')
        answer = _rpc().container_execute(context, container=container,
                                          command=command)
        return ExecuteResult(exit_code=answer['exit_code'],
                             output=answer['output'])


class StatsController(rest.RestController):
    """GET /v1/containers/{container_ident}/stats"""

    @wsme_pecan.wsexpose(ContainerStats, wtypes.text)
    def get_all(self, container_ident):
        node_api.available(_('container stats'))
        context, container = _get(container_ident, 'container:stats')
        answer = _rpc().container_stats(context, container=container)
        return ContainerStats(**answer)


def _unanswered(container, error):
    """A create the conductor did not answer (or failed): the row says
    so, unless the conductor recorded the outcome itself."""
    try:
        container.refresh()
        if container.status == Status.CREATING:
            container.status = Status.ERROR
            container.status_reason = _(
                'The conductor did not complete the create: %s') % error
            container.save()
    except exception.ContainerNotFound:
        pass


class ContainersController(rest.RestController):
    """/v1/containers"""

    logs = LogsController()
    execute = ExecuteController()
    stats = StatsController()
    start = ACTIONS['start']()
    stop = ACTIONS['stop']()
    restart = ACTIONS['restart']()
    pause = ACTIONS['pause']()
    unpause = ACTIONS['unpause']()

    @wsme_pecan.wsexpose(ContainerCollection, types.uuid, int, wtypes.text,
                         wtypes.text, wtypes.text, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_key='id',
                sort_dir='asc', cluster=None, status=None):
        node_api.available(_('containers'))
        context = pecan.request.context
        utils.scope_admin(context, 'container:get_all_all_projects')
        policy.authorize(context, 'container:get_all')
        limit = utils.validate_limit(limit)
        sort_dir = utils.validate_sort_dir(sort_dir)
        if sort_key not in SORT_KEYS:
            raise _invalid(_('sort_key must be one of %s') %
                           ', '.join(SORT_KEYS))
        filters = {}
        if cluster is not None:
            filters['cluster_uuid'] = objects.Cluster.get(context,
                                                          cluster).uuid
        if status is not None:
            filters['status'] = status
        containers = objects.Container.list(
            context, limit=limit, marker=marker, sort_key=sort_key,
            sort_dir=sort_dir, filters=filters)
        return ContainerCollection.page(
            [Container.convert(c) for c in containers], limit,
            sort_key=sort_key, sort_dir=sort_dir, cluster=cluster,
            status=status)

    @wsme_pecan.wsexpose(Container, wtypes.text)
    def get_one(self, container_ident):
        node_api.available(_('containers'))
        context, container = _get(container_ident, 'container:get')
        return Container.convert(_rpc().container_show(
            context, container=container))

    @wsme_pecan.wsexpose(Container, body=ContainerCreate, status_code=201)
    def post(self, body):
        node_api.available(_('containers'))
        context = pecan.request.context
        policy.authorize(context, 'container:create')
        values = {
            'name': body.name or names.random_name('container'),
            'image': body.image,
            'command': command_value(body.command),
            'memory': memory_value(body.memory),
            'cpu': cpu_value(body.cpu),
            'environment': body.environment or {},
            'labels': body.labels or {},
            'ports': ports_value(body.ports),
            'restart_policy': restart_policy_value(body.restart_policy),
        }
        cluster = runnable_cluster(context, body.cluster)
        container = objects.Container(
            context, cluster_uuid=cluster.uuid,
            project_id=context.project_id, user_id=context.user_id,
            status=Status.CREATING, status_reason=None, **values)
        container.create(max_containers=_quota_limit(context,
                                                     context.project_id))
        try:
            container = _rpc().container_create(context,
                                                container=container)
        except Exception as error:
            code = getattr(error, 'code', 500)
            if isinstance(error, exception.MagnumException) and \
                    400 <= code < 500:
                # Nothing was made on the cluster: no row may stay.
                container.destroy()
            else:
                _unanswered(container, error)
            raise
        pecan.response.location = link.build_url('containers',
                                                 container.uuid)
        return Container.convert(container)

    @wsme_pecan.wsexpose(None, wtypes.text, types.boolean,
                         status_code=204)
    def delete(self, container_ident, force=False):
        node_api.available(_('containers'))
        context, container = _get(container_ident, 'container:delete')
        _rpc().container_delete(context, container=container,
                                force=bool(force))
