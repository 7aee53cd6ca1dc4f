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

"""A cluster template's HTTP proxies, as a Kubernetes node uses them.

The template's ``http_proxy`` and ``https_proxy`` reach what downloads on
a node: containerd (every image pull, the kubelet's included: the kubelet
pulls through containerd's CRI) and the set-up script (``curl``,
``apt-get``, ``kubectl apply -f <URL>``). The kubelet and the control
plane get none: they talk only to the API server, containerd and etcd.

``no_proxy`` is the template's list followed by what must never go
through a proxy, whatever the operator wrote: localhost, the cluster's
subnet and its nodes' and API's addresses, the pod and service ranges,
the cluster's DNS domain and the metadata service. Both the CIDRs (Go
programs, curl 7.86 and later read them) and the single addresses (older
tools read only those) are listed.

Values end up in an environment file that both the shell and systemd
read, so a value with white space, quotes or shell syntax is refused
with a 400 when the template is made.
"""

import dataclasses
import re
import urllib.parse

from magnum.common import exception
from magnum.i18n import _

FIELDS = ('http_proxy', 'https_proxy', 'no_proxy')
#: Always direct: loopback and the OpenStack metadata service.
ALWAYS_DIRECT = ('localhost', '127.0.0.1', '169.254.169.254')
# What a URL or a no_proxy list may hold: no white space, quotes,
# backslashes, shell expansion or separators.
_SAFE = re.compile(r'^[A-Za-z0-9._~:/?#\[\]@*+,=%-]+$')


def _bad(field, value, expected):
    return exception.InvalidParameterValue(
        err=_('%(field)s=%(value)r is not valid: %(expected)s') % {
            'field': field, 'value': value, 'expected': expected})


def validate(template):
    """400 for a proxy value a node could not use (``template``: a dict
    of the cluster template's values)."""
    for field in ('http_proxy', 'https_proxy'):
        value = template.get(field)
        if not value:
            continue
        parsed = urllib.parse.urlsplit(value)
        if not _SAFE.match(value) or parsed.scheme not in (
                'http', 'https') or not parsed.hostname:
            raise _bad(field, value, _(
                'expected a proxy URL such as http://proxy.example.com:3128'))
        try:
            parsed.port
        except ValueError:
            raise _bad(field, value, _('its port is not a number')
                       ) from None
    value = template.get('no_proxy')
    if value and not _SAFE.match(value):
        raise _bad('no_proxy', value, _(
            'expected a comma-separated list of host names, domains, '
            'addresses and CIDRs, without spaces or quotes'))


@dataclasses.dataclass(frozen=True)
class Proxy:
    """The proxies a node uses and what it reaches directly."""

    http: str
    https: str
    no_proxy: tuple

    def environment(self):
        """{variable: value}: each in upper and lower case (curl reads
        only http_proxy in lower case; Go reads either)."""
        values = {}
        for name, value in (('http_proxy', self.http),
                            ('https_proxy', self.https),
                            ('no_proxy', ','.join(self.no_proxy))):
            if value:
                values[name.upper()] = value
                values[name] = value
        return values


def for_nodes(template, direct):
    """The :class:`Proxy` of the template's nodes, or None when it names
    no proxy. ``direct``: what the cluster itself must reach directly
    (its subnet, addresses, pod and service ranges, DNS domain)."""
    http = (getattr(template, 'http_proxy', None) or '').strip()
    https = (getattr(template, 'https_proxy', None) or '').strip()
    if not (http or https):
        # no_proxy alone changes nothing: nothing goes through a proxy.
        return None
    given = [entry.strip() for entry in
             (getattr(template, 'no_proxy', None) or '').split(',')]
    entries = [e for e in given + list(ALWAYS_DIRECT) + list(direct) if e]
    return Proxy(http=http, https=https,
                 no_proxy=tuple(dict.fromkeys(entries)))
