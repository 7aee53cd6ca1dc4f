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

"""The only module that talks to Heat.

Calls act in the cluster's project as the user who asked (their token,
when the request carried one for that project), else as the cluster's
Keystone application credential (``magnum.common.cluster_session``: the
status sync, resumed operations); the cross-project stack list of
``[heat_driver] global_stack_list`` acts as Magnum's service user.

Why not always the application credential: Heat makes a Keystone trust
for every stack it stores (``deferred_auth_method = trusts``), and
Keystone refuses to make trusts with an application-credential token
("Delegated tokens cannot manage trusts") unless an operator sets
``[security_compliance]
allow_insecure_application_credential_trust_escalation``. So the stack
is created with the user's token (the trust is the user's, as with any
stack they create themselves); later reads and updates work with the
application credential of the same user and project (Heat keeps the
stack's trust as long as the trustor is the same). Heat's refusals end as
:class:`HeatFailure`, whose message names the call and Heat's answer; a
stack Heat no longer knows is :class:`StackGone`.
"""

import contextlib

from heatclient import client as heat_client
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
from oslo_log import log as logging

from magnum import conf
from magnum.common import cluster_session
from magnum.common import exception
from magnum.common import keystone
from magnum.drivers.heat import failures
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: Heat's stack statuses, as '<ACTION>_<STATUS>'.
IN_PROGRESS = 'IN_PROGRESS'
COMPLETE = 'COMPLETE'
FAILED = 'FAILED'


class HeatFailure(exception.MagnumException):
    message = _('Heat could not %(action)s: %(answer)s')


class StackGone(HeatFailure):
    message = _('Heat has no stack %(stack)s (any more)')


def _interface():
    # The clients' option says publicURL; keystoneauth says public.
    return CONF.heat_client.endpoint_type.replace('URL', '')


def client_for_session(session):
    # connect_retries: a keep-alive connection Heat's API closed as the
    # request went out (or an API restarting) is retried, not an error.
    return heat_client.Client(
        CONF.heat_client.api_version, session=session,
        service_type='orchestration', interface=_interface(),
        region_name=CONF.heat_client.region_name, connect_retries=3)


def client_for(cluster, context=None):
    """A Heat client acting in the cluster's project: as the caller when
    ``context`` carries a token of that project, else as the cluster's
    application credential."""
    if keystone.has_user_token(context) and \
            context.project_id == cluster.project_id:
        return client_for_session(keystone.user_session(context))
    return client_for_session(cluster_session.session_for(cluster, context))


def service_client():
    """A Heat client acting as Magnum's service user (global list only)."""
    return client_for_session(keystone.service_session())


@contextlib.contextmanager
def answering(action, stack=None):
    """Heat's and Keystone's errors as HeatFailure / StackGone."""
    try:
        yield
    except heat_exc.HTTPNotFound:
        if stack is not None:
            raise StackGone(stack=stack) from None
        raise HeatFailure(action=action, answer=_('not found')) from None
    except heat_exc.HTTPException as error:
        raise HeatFailure(action=action, answer=_answer(error)) from None
    except ks_exc.ClientException as error:
        raise HeatFailure(action=action, answer=str(error)) from None


def _answer(error):
    # heatclient puts Heat's JSON error message in str(error), with a
    # title line; keep what a person can act on.
    text = str(error).strip()
    return text.replace('ERROR: ', '', 1)


def create(heat, name, template, files, environment, parameters,
           timeout_mins):
    """Start a stack create; its id."""
    with answering(_('create stack %s') % name):
        created = heat.stacks.create(
            stack_name=name, template=template, files=files,
            environment=environment, parameters=parameters,
            timeout_mins=timeout_mins, disable_rollback=True)
    return created['stack']['id']


def update(heat, stack_id, template, files, environment, parameters,
           timeout_mins=None):
    """Start a stack update keeping the parameters not given (PATCH):
    per-node secrets given once stay as they were."""
    with answering(_('update stack %s') % stack_id, stack=stack_id):
        heat.stacks.update(stack_id, existing=True, template=template,
                           files=files, environment=environment,
                           parameters=parameters, timeout_mins=timeout_mins,
                           disable_rollback=True)


def delete(heat, stack_id):
    """Start deleting the stack; one already gone is fine (False)."""
    try:
        with answering(_('delete stack %s') % stack_id, stack=stack_id):
            heat.stacks.delete(stack_id)
    except StackGone:
        return False
    return True


def get(heat, stack_id):
    """The stack (with outputs); StackGone when Heat lost it. A deleted
    stack Heat still remembers is returned with DELETE_COMPLETE."""
    with answering(_('read stack %s') % stack_id, stack=stack_id):
        return heat.stacks.get(stack_id, resolve_outputs=True)


def outputs_of(stack):
    """{output key: value} of a stack read with its outputs."""
    return {o['output_key']: o.get('output_value')
            for o in getattr(stack, 'outputs', None) or []}


def template_of(heat, stack_id):
    with answering(_('read the template of stack %s') % stack_id,
                   stack=stack_id):
        return heat.stacks.template(stack_id)


def list_by_id(heat, stack_ids, global_tenant=False):
    """{stack id: stack summary} of the given stacks, in one call."""
    kwargs = {'filters': {'id': list(stack_ids)}}
    if global_tenant:
        kwargs['global_tenant'] = True
    with answering(_('list stacks')):
        found = list(heat.stacks.list(**kwargs))
    return {stack.id: stack for stack in found}


#: Heat nests stacks at most this deep (its max_nested_stack_depth
#: default), and clamps a deeper nested_depth to its own limit.
NESTED_DEPTH = 5


def failed_resources(heat, stack_id, stack_reason=''):
    """The causes of the stack's failure (``failures.causes``): the
    FAILED resources of the stack and its nested stacks, read in one
    call whatever the size of the cluster."""
    with answering(_('list the failed resources of stack %s') % stack_id,
                   stack=stack_id):
        resources = list(heat.resources.list(
            stack_id, nested_depth=NESTED_DEPTH, with_detail=False,
            filters={'status': FAILED}))
    return failures.causes(resources, stack_id, stack_reason)
