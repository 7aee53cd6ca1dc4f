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

"""What an upgrade asks of a cluster's Kubernetes API around a node's
rebuild, as ``kubectl cordon``, ``drain`` and ``uncordon`` do: the
node's ``spec.unschedulable`` (a JSON merge patch of the node, with
Magnum's annotation ``ANNOTATION`` saying when and from which boot the
upgrade took it), its pods (``fieldSelector=spec.nodeName``) and their
evictions (``POST .../pods/<name>/eviction``, policy/v1), which the API
refuses with 429 while a PodDisruptionBudget forbids them.

Requests go through the ``kubernetes`` client's REST client on the
connection ``probe.connected`` makes (the cluster's CA, Magnum's client
certificate), each bounded by ``[kubernetes] api_timeout`` and never
retried here: a pass of the status sync that fails is made again next
period. Transport failures and unexpected answers raise ``APIError``.
"""

import json
import time
import urllib.parse

from magnum import conf
from magnum.drivers.heat.kubernetes import probe
from magnum.i18n import _

CONF = conf.CONF

#: The node annotation of a node an upgrade cordoned: JSON {"since":
#: seconds since the epoch, "bootID": and "kubeletVersion": the node's
#: before its rebuild}. Removed when the upgrade uncordons it.
ANNOTATION = 'magnum.openstack.org/upgrade'
#: What a pod an eviction is never asked of belongs to (kubectl drain
#: --ignore-daemonsets: the DaemonSet would put it back at once).
DAEMONSET = 'DaemonSet'
MIRROR = 'kubernetes.io/config.mirror'
PAGE = 500


class APIError(Exception):
    """The API did not answer, or not as expected."""


def _request(client, method, path, body=None, content_type=None):
    from kubernetes.client import exceptions as k8s_exceptions
    headers = {'Accept': 'application/json',
               'User-Agent': 'magnum-conductor'}
    if content_type:
        headers['Content-Type'] = content_type
    timeout = CONF.kubernetes.api_timeout
    try:
        response = client.rest_client.request(
            method, client.configuration.host + path, headers=headers,
            body=body, _request_timeout=timeout)
        status = response.status
        data = response.data if getattr(response, 'data', None) \
            is not None else response.read()
    except k8s_exceptions.ApiException as error:
        if not error.status:
            raise APIError(probe.describe(error, timeout)) from None
        status, data = error.status, error.body
    except probe.TRANSPORT_ERRORS as error:
        raise APIError(probe.describe(error, timeout)) from None
    text = probe.as_text(data)
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {'message': probe.cut(text)}
    return status, answer


def _ok(status, answer, what):
    if 200 <= status < 300:
        return answer
    raise APIError(_('%(what)s: HTTP %(status)d: %(message)s') % {
        'what': what, 'status': status,
        'message': probe.cut(answer.get('message') or '') or '-'})


def list_nodes(client):
    """{node name: the Node as the API gives it}."""
    found, token = {}, None
    for _page in range(probe.MAX_PAGES):
        query = {'limit': PAGE}
        if token:
            query['continue'] = token
        answer = _ok(*_request(client, 'GET', '/api/v1/nodes?' +
                               urllib.parse.urlencode(query)),
                     _('listing the nodes'))
        for item in answer.get('items') or []:
            found[item['metadata']['name']] = item
        token = (answer.get('metadata') or {}).get('continue')
        if not token:
            break
    return found


def _patch_node(client, name, patch, what):
    status, answer = _request(client, 'PATCH', '/api/v1/nodes/%s' %
                              urllib.parse.quote(name), body=patch,
                              content_type='application/merge-patch+json')
    if status == 404:
        return None
    return _ok(status, answer, what)


def delete_node(client, name):
    """Delete the Node ``name``; False when it was already gone."""
    status, answer = _request(client, 'DELETE', '/api/v1/nodes/%s' %
                              urllib.parse.quote(name))
    if status == 404:
        return False
    _ok(status, answer, _('deleting node %s') % name)
    return True


def mark_of(node):
    """The upgrade's annotation of a Node (a dict), or None."""
    text = ((node or {}).get('metadata') or {}).get(
        'annotations', {}).get(ANNOTATION)
    if not text:
        return None
    try:
        mark = json.loads(text)
    except ValueError:
        mark = {}
    return mark if isinstance(mark, dict) else {}


def node_info(node):
    return ((node or {}).get('status') or {}).get('nodeInfo') or {}


def cordon(client, node, now=None):
    """Mark the node unschedulable, with the annotation (its boot and
    kubelet now); the Node as patched, None when it is gone."""
    info = node_info(node)
    mark = {'since': int(now or time.time()),
            'bootID': info.get('bootID') or '',
            'kubeletVersion': info.get('kubeletVersion') or ''}
    name = node['metadata']['name']
    return _patch_node(client, name, {
        'spec': {'unschedulable': True},
        'metadata': {'annotations': {ANNOTATION: json.dumps(
            mark, sort_keys=True)}}}, _('cordoning node %s') % name)


def uncordon(client, name):
    """Schedulable again, the annotation removed."""
    return _patch_node(client, name, {
        'spec': {'unschedulable': None},
        'metadata': {'annotations': {ANNOTATION: None}}},
        _('uncordoning node %s') % name)


def pods_on(client, name):
    """The pods bound to the node (all namespaces)."""
    query = urllib.parse.urlencode({'fieldSelector': 'spec.nodeName=%s' %
                                    name})
    answer = _ok(*_request(client, 'GET', '/api/v1/pods?' + query),
                 _('listing the pods of node %s') % name)
    return answer.get('items') or []


def _pod_name(pod):
    metadata = pod.get('metadata') or {}
    return '%s/%s' % (metadata.get('namespace'), metadata.get('name'))


def to_evict(pod):
    """Whether the drain asks this pod to leave: not a DaemonSet's or a
    static (mirror) pod, not finished and not already leaving."""
    metadata = pod.get('metadata') or {}
    if metadata.get('deletionTimestamp'):
        return False
    if MIRROR in (metadata.get('annotations') or {}):
        return False
    if any(owner.get('kind') == DAEMONSET and owner.get('controller')
           for owner in metadata.get('ownerReferences') or []):
        return False
    return (pod.get('status') or {}).get('phase') not in ('Succeeded',
                                                          'Failed')


def leaving(pod):
    """Evicted, still terminating."""
    return bool((pod.get('metadata') or {}).get('deletionTimestamp'))


def evict(client, pod):
    """Ask the API to evict ``pod``: None when it is evicted or gone, the
    API's reason when a PodDisruptionBudget forbids it now (429)."""
    metadata = pod['metadata']
    status, answer = _request(
        client, 'POST', '/api/v1/namespaces/%s/pods/%s/eviction' % (
            urllib.parse.quote(metadata['namespace']),
            urllib.parse.quote(metadata['name'])),
        body={'apiVersion': 'policy/v1', 'kind': 'Eviction',
              'metadata': {'name': metadata['name'],
                           'namespace': metadata['namespace']}},
        content_type='application/json')
    if status == 404:
        return None
    if status == 429:
        return probe.cut(answer.get('message') or
                          _('the eviction was refused (429)'))
    _ok(status, answer, _('evicting pod %s') % _pod_name(pod))
    return None


def drain(client, name):
    """One round of evictions from node ``name``: (pods still to leave,
    [(pod, reason) the API refused to evict now])."""
    left, refused = [], []
    for pod in pods_on(client, name):
        if leaving(pod):
            left.append(_pod_name(pod))
            continue
        if not to_evict(pod):
            continue
        reason = evict(client, pod)
        left.append(_pod_name(pod))
        if reason:
            refused.append((_pod_name(pod), reason))
    return left, refused
