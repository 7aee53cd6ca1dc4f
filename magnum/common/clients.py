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

"""Read-only calls to Nova, Glance and Neutron as the requesting user.

:func:`user_reader` gives a :class:`ServiceReader` for one service of the
cloud, found in the service catalog of the caller's token (the region and
interface of ``[<service>_client]``), that GETs JSON documents with the
caller's token through keystoneauth. It exists so that the API can look
things up before anything is built; nothing here changes the cloud.

What can go wrong ends in Magnum's errors, never in keystoneauth's:

- the catalog has no such service: 400 naming the service (the cloud
  cannot serve what the request asks for);
- the service cannot be reached, times out or fails (5xx): 503 naming the
  service, without its URL (internal addresses stay in the log);
- the service refuses the token (401/403): 403 naming the service;
- not found (404): ``None``, for the caller to say which value was wrong.

keystoneauth1 is imported when a reader is made, not with this module: a
magnum-api under noauth never loads it.
"""

import re

from oslo_log import log as logging

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class _Service:
    """How one service type is found and addressed."""

    def __init__(self, service_type, name, group, version, version_re):
        self.service_type = service_type
        self.name = name            # what users call it, for messages
        self.group = group          # its [<group>] region/endpoint options
        self.version = version      # the API version our paths are for
        # Matches a catalog URL that already ends with an API version.
        self.version_re = re.compile(version_re)

    def base_url(self, endpoint):
        """The catalog's URL with our API version as its last part.
        Catalogs list Glance and Neutron unversioned and Nova versioned
        (sometimes with the project id after it); all three forms are
        common, so both are accepted."""
        url = endpoint.rstrip('/')
        match = self.version_re.search(url)
        if match:
            if self.service_type == 'compute':
                return url      # v2.1[/<project id>] is what Nova serves
            url = url[:match.start()]
        return '%s/%s' % (url, self.version)


SERVICES = {
    'compute': _Service('compute', 'Nova', 'nova_client', 'v2.1',
                        r'/v2(\.\d+)?(/[^/]+)?$'),
    'image': _Service('image', 'Glance', 'glance_client', 'v2',
                      r'/v[12](\.\d+)?$'),
    'network': _Service('network', 'Neutron', 'neutron_client', 'v2.0',
                        r'/v2\.0$'),
}


def _interface(endpoint_type):
    # [<service>_client] endpoint_type speaks the v2 catalog's words.
    value = (endpoint_type or 'publicURL').strip()
    return value[:-3] if value.endswith('URL') else value


class ServiceReader:
    """GETs of one service's JSON documents with the caller's token."""

    def __init__(self, session, service, timeout):
        self._session = session
        self._service = service
        self._timeout = timeout
        self._base = None

    @property
    def service_name(self):
        return self._service.name

    def _base_url(self):
        if self._base is None:
            from magnum.common import keystone

            service = self._service
            options = CONF[service.group]
            interface = _interface(options.endpoint_type)
            region = options.region_name
            from keystoneauth1 import exceptions as ks_exceptions

            # Reading the catalog may authenticate the token first (when
            # keystonemiddleware did not hand its data over).
            with keystone.answering(_('read the service catalog')):
                try:
                    endpoint = self._session.get_endpoint(
                        service_type=service.service_type,
                        interface=interface, region_name=region)
                except ks_exceptions.EndpointNotFound:
                    endpoint = None
            if not endpoint:
                raise exception.InvalidParameterValue(
                    err=_('the cloud\'s service catalog has no %(type)s '
                          'service (%(name)s) with a %(interface)s endpoint'
                          '%(region)s, which this check needs; ask the '
                          'cloud\'s operator, or see [%(group)s] '
                          'region_name and endpoint_type') % {
                              'type': service.service_type,
                              'name': service.name, 'interface': interface,
                              'region': (_(' in region %s') % region)
                              if region else '',
                              'group': service.group})
            self._base = service.base_url(endpoint)
        return self._base

    def get(self, path, params=None):
        """The JSON document at ``path`` (relative to the service's API
        version, e.g. ``/flavors/m1.small``), or None when the service
        answers 404."""
        from keystoneauth1 import exceptions as ks_exceptions

        url = self._base_url() + path
        name = self._service.name
        try:
            response = self._session.get(
                url, params=params, timeout=self._timeout,
                raise_exc=False, headers={'Accept': 'application/json'})
        except ks_exceptions.ClientException as error:
            # Unreachable, refused, timed out, TLS: the message would name
            # the internal URL, so only the log gets it.
            LOG.warning('%s did not answer GET %s: %s', name, url, error)
            raise exception.ServiceUnavailable(
                service=name, reason=_('it could not be reached or did not '
                                       'answer in time (%s)') %
                _describe(error)) from None
        status = response.status_code
        if status == 404:
            return None
        if status in (401, 403):
            raise exception.AuthorizationFailure(
                client=name, message=_('%(name)s refused the request\'s '
                                       'token (HTTP %(status)d).') % {
                                           'name': name, 'status': status})
        if not 200 <= status < 300:
            LOG.warning('%s answered GET %s with %s: %s', name, url, status,
                        response.text[:500])
            if 400 <= status < 500:
                # Our query was refused (a value it cannot take): the
                # request's fault, not the cloud's.
                raise exception.InvalidParameterValue(
                    err=_('%(name)s refused the look-up (HTTP %(status)d)')
                    % {'name': name, 'status': status})
            raise exception.ServiceUnavailable(
                service=name, reason=_('it answered HTTP %d') % status)
        try:
            return response.json()
        except ValueError:
            LOG.warning('%s answered GET %s with a body that is not JSON',
                        name, url)
            raise exception.ServiceUnavailable(
                service=name, reason=_('its answer was not JSON')) from None


def _describe(error):
    """The kind of connection failure, in words that carry no address."""
    from keystoneauth1 import exceptions as ks_exceptions

    if isinstance(error, (ks_exceptions.ConnectTimeout,
                          ks_exceptions.RequestTimeout)):
        return _('timed out')
    if isinstance(error, ks_exceptions.SSLError):
        return _('TLS failure')
    if isinstance(error, ks_exceptions.ConnectFailure):
        return _('connection refused or failed')
    return type(error).__name__


def user_reader(context, service_type, timeout):
    """A :class:`ServiceReader` of ``service_type`` (``compute``,
    ``image`` or ``network``) acting with the caller's token, waiting
    ``timeout`` seconds for each answer. Raises KeystoneFailure (400)
    when the request carried no token."""
    from magnum.common import keystone

    return ServiceReader(keystone.user_session(context),
                         SERVICES[service_type], float(timeout))
