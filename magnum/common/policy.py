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


"""Policy enforcement for Magnum.

One enforcer per process, created on first use from ``[oslo_policy]`` and the
in-code defaults of :mod:`magnum.common.policies`. Operators override rules
with the file named by ``[oslo_policy] policy_file``.
"""

import logging
import time

from oslo_config import cfg
from oslo_policy import policy

from magnum.common import exception
from magnum.common import policies

LOG = logging.getLogger(__name__)

# The same object as magnum.conf.CONF; taken from oslo.config so that the
# policy tools can load the enforcer without Magnum's option modules.
CONF = cfg.CONF

_ENFORCER = None

# How often a running service looks at the policy file(s) for changes.
# oslo.policy stats them on every check (several per request); an edit of
# policy.yaml still takes effect within this many seconds.
RELOAD_CHECK_SECONDS = 2.0


class Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking for policy file changes at most
    every RELOAD_CHECK_SECONDS instead of on every check."""

    _last_load_check = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if not force_reload and self.rules and \
                self._last_load_check is not None and \
                now - self._last_load_check < RELOAD_CHECK_SECONDS:
            return
        super().load_rules(force_reload)
        self._last_load_check = now


def init(policy_file=None, rules=None, overwrite=True):
    """Create the process-wide enforcer unless it exists already.

    :param policy_file: policy file to use instead of
        ``[oslo_policy] policy_file``.
    :param rules: mapping of rule name to check string (or check) applied
        on top of the defaults until the policy file is (re)loaded.
    :param overwrite: whether rules loaded from the policy file replace the
        rules held so far instead of updating them.
    :returns: the enforcer.
    """
    global _ENFORCER
    if _ENFORCER is None:
        if rules and any(isinstance(v, str) for v in rules.values()):
            rules = policy.Rules.from_dict(rules)
        enforcer = Enforcer(CONF, policy_file=policy_file, rules=rules,
                            overwrite=overwrite)
        enforcer.register_defaults(policies.list_rules())
        _ENFORCER = enforcer
    return _ENFORCER


def reset():
    """Forget the enforcer so the next use builds a fresh one (tests)."""
    global _ENFORCER
    if _ENFORCER is not None:
        _ENFORCER.clear()
        _ENFORCER = None


def get_enforcer():
    """The ``oslo.policy.enforcer`` entry point of the oslopolicy tools.

    The tools parse the command line and configuration files into
    ``cfg.CONF`` before calling this, so it must not parse them again.
    """
    return init()


def _default_target(context):
    # Ownership checks against the caller's own project and user trivially
    # pass; what remains is the role part of the rule.
    return {'project_id': context.project_id, 'user_id': context.user_id}


def authorize(context, action, target=None, do_raise=True,
              exc=exception.PolicyNotAuthorized):
    """Check that ``context`` may perform ``action`` on ``target``.

    :param context: the caller's :class:`magnum.common.context.RequestContext`.
    :param action: a registered rule name, e.g. ``cluster:get``.
    :param target: a dict describing the resource (its ``project_id``,
        ``user_id``, ...); ``None`` checks against the caller's own project
        and user.
    :param do_raise: raise ``exc`` when denied instead of returning False.
    :param exc: exception class raised on denial, called with
        ``action=<action>``.
    :returns: whether the action is allowed (only meaningful when
        ``do_raise`` is False; otherwise denial raises).
    :raises: ``exc`` (403 by default) when denied, including when the token's
        scope does not fit the rule's scope types.
    :raises oslo_policy.policy.PolicyNotRegistered: for an unknown action,
        which is a programming error.
    """
    enforcer = init()
    exc = exc or exception.PolicyNotAuthorized
    credentials = context.to_policy_values()
    if target is None:
        target = _default_target(context)
    try:
        result = enforcer.authorize(action, target, credentials,
                                    do_raise=do_raise, exc=exc,
                                    action=action)
    except policy.InvalidScope:
        LOG.debug('Policy %(action)s does not allow the scope of the '
                  'caller\'s token.', {'action': action})
        raise exc(action=action)
    except policy.PolicyNotRegistered:
        LOG.exception('Policy %s is not registered.', action)
        raise
    return bool(result)


def check_is_admin(context):
    """Whether ``context`` passes ``context_is_admin``."""
    enforcer = init()
    return bool(enforcer.authorize('context_is_admin',
                                   _default_target(context),
                                   context.to_policy_values()))
