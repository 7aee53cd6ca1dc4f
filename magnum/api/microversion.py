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

"""Microversions this API serves and how a request asks for one
(doc/source/contributor/compatibility.rst, "Microversions")."""

import functools
import inspect
import re

from magnum.common import exception
from magnum.i18n import _

SERVICE_TYPE = 'container-infrastructure-management'
SERVICE_ALIASES = (SERVICE_TYPE, 'container-infrastructure',
                   'container-infra')
HEADER = 'OpenStack-API-Version'
MIN_HEADER = 'OpenStack-API-Minimum-Version'
MAX_HEADER = 'OpenStack-API-Maximum-Version'
HELP_URL = 'http://docs.openstack.org/api-guide/compute/microversions.html'

# The version history; the last entry is the maximum.
HISTORY = {
    (1, 1): 'Baseline; the default when no version is asked for.',
    (1, 2): 'Cluster create, update and delete are asynchronous.',
    (1, 3): 'rollback query parameter on cluster update.',
    (1, 4): 'Stats API.',
    (1, 5): 'CA rotation.',
    (1, 6): 'Quotas API.',
    (1, 7): 'Cluster resize action.',
    (1, 8): 'Cluster upgrade action.',
    (1, 9): 'Nodegroups API.',
    (1, 10): 'node_count may be 0.',
    (1, 11): 'Bays and baymodels removed upstream (kept here).',
    (1, 12): 'Credential rotation.',
    (1, 13): 'cluster_id replaces stack_id in cluster responses.',
    (1, 14): 'Nodegroup node_labels and node_taints.',
    (1, 15): 'conditions on clusters and nodegroups (full views).',
    (1, 16): 'Containers API and the nodes of a cluster.',
}

MIN_VERSION = min(HISTORY)
MAX_VERSION = max(HISTORY)

_VERSION_RE = re.compile(r'^(\d+)\.(\d+)$')


def version_string(version):
    return '%d.%d' % tuple(version)


MIN_VERSION_STRING = version_string(MIN_VERSION)
MAX_VERSION_STRING = version_string(MAX_VERSION)


class Version(tuple):
    """A negotiated (major, minor) version, comparable with tuples."""

    def __new__(cls, major, minor):
        return super().__new__(cls, (major, minor))

    @property
    def major(self):
        return self[0]

    @property
    def minor(self):
        return self[1]

    def __str__(self):
        return version_string(self)

    @classmethod
    def parse(cls, text):
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise ValueError(text)
        return cls(int(match.group(1)), int(match.group(2)))


class InvalidVersionHeader(exception.MagnumException):
    """The header cannot be read at all (generic 406)."""
    code = 406
    message = _('Invalid %(header)s header value %(value)r: %(reason)s')


class UnsupportedVersion(exception.MagnumException):
    """A well-formed version this server does not serve (special 406)."""
    code = 406
    message = _('Version %(version)s was requested but the minimum '
                'supported version is %(min)s and the maximum supported '
                'version is %(max)s.')


class MethodNotAvailable(exception.MagnumException):
    """The method exists, but not at the negotiated version (406)."""
    code = 406
    message = _('Version %(version)s was requested but the requested API '
                '%(method)s is not supported for this version; it needs '
                '%(needed)s.')


def from_headers(headers):
    """The version a request asks for; no header means the minimum."""
    value = headers.get(HEADER)
    if value is None:
        return Version(*MIN_VERSION)
    tokens = value.split()
    if len(tokens) != 2:
        raise InvalidVersionHeader(
            header=HEADER, value=value,
            reason=_('expected "<service type> <version>", e.g. '
                     '"%s %s"') % (SERVICE_TYPE, MAX_VERSION_STRING))
    service, text = tokens
    if service.lower() not in SERVICE_ALIASES:
        raise InvalidVersionHeader(
            header=HEADER, value=value,
            reason=_('invalid service type %(service)s; use one of '
                     '%(aliases)s') % {
                         'service': service,
                         'aliases': ', '.join(SERVICE_ALIASES)})
    if text.lower() == 'latest':
        return Version(*MAX_VERSION)
    try:
        version = Version.parse(text)
    except ValueError:
        raise InvalidVersionHeader(
            header=HEADER, value=value,
            reason=_('invalid version %s; use X.Y or latest') % text)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise UnsupportedVersion(version=text, min=MIN_VERSION_STRING,
                                 max=MAX_VERSION_STRING)
    return version


def response_headers(version):
    return {
        MIN_HEADER: '%s %s' % (SERVICE_TYPE, MIN_VERSION_STRING),
        MAX_HEADER: '%s %s' % (SERVICE_TYPE, MAX_VERSION_STRING),
        HEADER: '%s %s' % (SERVICE_TYPE, version_string(version)),
        'Vary': HEADER,
    }


def unsupported_body(error):
    """The 406 body of an unsupported version: the error format with
    ``min_version`` and ``max_version``."""
    return {'errors': [{
        'request_id': '',
        'code': 'magnum.microversion-unsupported',
        'status': 406,
        'title': 'Requested microversion is unsupported',
        'detail': str(error),
        'message': str(error),
        'min_version': MIN_VERSION_STRING,
        'max_version': MAX_VERSION_STRING,
        'links': [{'rel': 'help', 'href': HELP_URL}],
    }]}


def requested():
    """The version of the request being served."""
    import pecan
    return pecan.request.version


def at_least(minimum, method=None):
    """Decorator: the method answers 406 below ``minimum`` ('X.Y')."""
    needed = Version.parse(minimum)

    def decorate(function):
        name = method or function.__name__

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            version = requested()
            if version < needed:
                raise MethodNotAvailable(version=str(version), method=name,
                                         needed=minimum)
            return function(*args, **kwargs)
        # WSME and pecan read the arguments of the innermost function.
        wrapper._wsme_original_func = getattr(
            function, '_wsme_original_func', function)
        wrapper.__signature__ = inspect.signature(function)
        return wrapper
    return decorate
