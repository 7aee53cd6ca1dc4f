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

"""Which resource made a stack fail, from Heat's list of the FAILED
resources of the stack and its nested stacks (one call, see
``stacks.failed_resources``).

Heat marks every resource above a failed one FAILED too: the nodegroup,
its resource group, the member and the server all fail when the server
does, each reason quoting its child's behind the child's path
(``Error: resources.nodes.resources[0].resources.server: <message>``),
Heat mangling the message on the way up (a ``:`` gains a space). The
cause is a failed resource none of whose nested resources failed; its
own reason is the message the cloud gave. Several can fail at once (two
servers of a group): the one the stack's own reason quotes, Heat's first
failure, comes first.

A resource is placed by the links Heat gives it (``stack``: the stack it
is in; ``nested``: the stack it holds), not by its name: members of
every resource group are called 0, 1, ...
"""

import dataclasses
import re

# Heat's path of a nested resource in its reasons:
# resources.ng_x.resources.nodes.resources[0].resources.server
_SEGMENT = r'resources(?:\.[\w-]+|\[[^\]\s]+\])'
_PATH = r'%s(?:\.%s)*' % (_SEGMENT, _SEGMENT)
_NAMES = re.compile(r'resources(?:\.([\w-]+)|\[([^\]\s]+)\])')
# "<Exception type>: <path>: <message>", the form of a failed resource's
# reason (ResourceFailure).
_QUOTED = re.compile(r'^(?:(?P<kind>[A-Za-z_][\w.]*): )?(?P<path>%s): '
                     r'(?P<message>.*)$' % _PATH, re.DOTALL)
# "CREATE aborted (Task create from ServerResource "server" Stack "s"
# [id] Timed out)": a resource cut short, here by the stack's timeout.
_ABORTED = re.compile(r'^(?P<action>[A-Z_]+) aborted'
                      r'(?: \((?:Task .*?\] )?(?P<why>.*)\))?$', re.DOTALL)


@dataclasses.dataclass(frozen=True)
class Failed:
    """A failed resource that caused its stack's failure."""

    #: Resource names from the top stack down to it.
    path: tuple
    type: str
    #: Heat's status of it, e.g. CREATE_FAILED.
    status: str
    #: Heat's own message of it, without the path and type Heat puts in
    #: front.
    message: str
    #: False when a resource between it and the top stack was not listed
    #: (the path then starts below the top).
    rooted: bool = True


def _stack_of(resource, rel):
    for link in getattr(resource, 'links', None) or []:
        if link.get('rel') == rel:
            return link.get('href', '').rstrip('/').rsplit('/', 1)[-1]
    return None


def path_in(reason):
    """The resource path Heat's reason quotes, as names: ('ng_x',
    'nodes', '0', 'server'); () when it quotes none."""
    found = re.search(_PATH, reason or '')
    if not found:
        return ()
    return tuple(a or b for a, b in _NAMES.findall(found.group(0)))


def quotes_a_resource(stack_reason):
    """Whether a stack's reason only passes a resource's failure on
    ("Resource CREATE failed: ..."), rather than saying its own (e.g.
    "Timed out")."""
    reason = (stack_reason or '').strip()
    return bool(re.match(r'^Resource [A-Z_]+ failed\b', reason) or
                path_in(reason))


def own_message(reason):
    """Heat's reason of a resource without the path (and the plain
    ``Error`` type) Heat puts in front; an aborted one says why."""
    reason = (reason or '').strip()
    quoted = _QUOTED.match(reason)
    if quoted:
        kind, reason = quoted.group('kind'), quoted.group('message')
        if kind and kind != 'Error':
            reason = '%s: %s' % (kind, reason)
    aborted = _ABORTED.match(reason)
    if aborted and aborted.group('why'):
        reason = '%s aborted: %s' % (aborted.group('action'),
                                    aborted.group('why'))
    return reason


def _is_aborted(resource):
    return bool(_ABORTED.match(getattr(resource, 'resource_status_reason',
                                       '') or ''))


def causes(resources, stack_id, stack_reason=''):
    """The causes among ``resources`` (Heat's resource list of stack
    ``stack_id`` and its nested stacks; only FAILED ones count), as
    :class:`Failed`, the likeliest first: the one the stack's reason
    quotes, then those whose reason is their own rather than a nested
    resource's passed on, those that failed rather than being aborted,
    the earliest, the deepest."""
    failed = [r for r in resources if (getattr(
        r, 'resource_status', '') or '').endswith('FAILED')]
    holder = {}
    for resource in failed:
        nested = _stack_of(resource, 'nested')
        if nested:
            holder[nested] = resource
    parents = {_stack_of(r, 'stack') for r in failed}
    leaves = [r for r in failed
              if _stack_of(r, 'nested') not in parents]
    quoted = path_in(stack_reason)
    found = []
    for resource in leaves:
        names, rooted = _path(resource, holder, stack_id)
        own = getattr(resource, 'resource_status_reason', '') or ''
        order = (names != quoted if rooted else True,
                 # Its reason passes a nested resource's on: one between
                 # it and the cause was not listed.
                 len(path_in(own)) > 1,
                 _is_aborted(resource),
                 getattr(resource, 'updated_time', None) or '',
                 -len(names), [_natural(name) for name in names])
        found.append((order, Failed(
            path=names, type=getattr(resource, 'resource_type', ''),
            status=resource.resource_status,
            message=own_message(getattr(resource, 'resource_status_reason',
                                        '')),
            rooted=rooted)))
    return [item for _order, item in sorted(found, key=lambda f: f[0])]


def _natural(name):
    # Members 2 before 10.
    return (0, int(name), '') if name.isdigit() else (1, 0, name)


def _path(resource, holder, stack_id):
    names = [resource.resource_name]
    stack = _stack_of(resource, 'stack')
    seen = set()
    while stack in holder and stack not in seen:
        seen.add(stack)
        parent = holder[stack]
        names.insert(0, parent.resource_name)
        stack = _stack_of(parent, 'stack')
    return tuple(names), stack == stack_id
