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

"""/v1/certificates: a cluster's CA certificate, signing a CSR with it, and
rotating it (api-ref/source/certificates.inc; the signing rules are in
doc/source/contributor/compatibility.rst, "Certificates").

The API finds the cluster and applies the policy; the certificates
themselves are the conductor's business (synchronous RPC calls whose
errors reach the caller with their own status).

Administrators: there is no ``certificate:*_all_projects`` rule, so an
administrator may act on a cluster of any project once the very rule of
the operation (``certificate:get``, ``certificate:create`` or
``certificate:rotate_ca``) allows the administrator at all; the lookup is
then widened to every project and the rule is checked again against the
cluster found.
"""

import re

import pecan
from pecan import rest
import wsme
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from magnum import objects
from magnum.api import utils as api_utils
from magnum.api.controllers import base
from magnum.api.controllers import link
from magnum.api.controllers.v1 import types
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _
from magnum.objects import fields

# A CSR of a few kilobytes is already generous; anything beyond this is not
# a certificate request.
MAX_CSR_LENGTH = 64 * 1024

_CSR_PEM = re.compile(
    r'-----BEGIN (NEW )?CERTIFICATE REQUEST-----'
    r'[A-Za-z0-9+/=\s]+'
    r'-----END (NEW )?CERTIFICATE REQUEST-----')

Link = wtypes.DictType(wtypes.text, wtypes.text)


class CsrType(wtypes.UserType):
    """A non-empty string of at most MAX_CSR_LENGTH characters. Errors
    do not echo the value back (it may be 64 KiB of anything)."""
    basetype = wtypes.text
    name = 'csr'

    @staticmethod
    def validate(value):
        if not isinstance(value, str):
            raise exception.Invalid(
                _('csr must be a string, not %s.') % type(value).__name__)
        if not value:
            raise exception.Invalid(_('csr must not be empty.'))
        if len(value) > MAX_CSR_LENGTH:
            raise exception.Invalid(
                _('csr is %(length)d characters long; the limit is '
                  '%(limit)d.') % {'length': len(value),
                                   'limit': MAX_CSR_LENGTH})
        return value

    @staticmethod
    def frombasetype(value):
        return None if value is None else CsrType.validate(value)


class Certificate(base.APIBase):
    """A CSR to sign (request) or a certificate of a cluster (response)."""

    cluster_uuid = wtypes.StringType(min_length=1, max_length=255)
    """The cluster, by uuid or name on input; always the uuid on output."""

    bay_uuid = wtypes.StringType(min_length=1, max_length=255)
    """Legacy alias of cluster_uuid (2015-2021 clients)."""

    csr = CsrType()
    """A PEM certificate signing request."""

    pem = wtypes.text
    """The signed certificate or the CA certificate, PEM."""

    ca_cert_type = wtypes.StringType(max_length=255)
    """Which CA of the cluster: etcd, front_proxy (front-proxy), or the main
    (kubernetes) CA for anything else or nothing."""

    links = wtypes.wsattr([Link], readonly=True)
    """Self and bookmark links of the cluster's certificate."""

    @classmethod
    def view(cls, cluster_uuid, pem, **extra):
        certificate = cls(cluster_uuid=cluster_uuid, pem=pem, **extra)
        certificate.links = link.self_and_bookmark(
            link.base_url(), 'certificates', cluster_uuid)
        return certificate


class ClusterID(wtypes.Base):
    """The answer to an accepted asynchronous cluster operation."""

    uuid = types.uuid

    def __init__(self, uuid=wtypes.Unset):
        super().__init__(uuid=uuid)


def find_cluster(context, ident, rule):
    """The cluster ``ident`` (uuid or name) names, for the operation of
    ``rule``. Administrators whom ``rule`` allows see every project; others
    their own. 404 when not found."""
    api_utils.scope_admin(context, rule)
    if api_utils.is_uuid(ident):
        return objects.Cluster.get_by_uuid(context, ident)
    return objects.Cluster.get_by_name(context, ident)


def cluster_target(cluster):
    """The policy target of a cluster: its attributes, among them the
    project_id and user_id ownership rules compare with."""
    target = cluster.as_dict()
    target.setdefault('project_id', None)
    target.setdefault('user_id', None)
    return target


def authorize_cluster(context, rule, cluster):
    policy.authorize(context, rule, target=cluster_target(cluster))


def ensure_no_body(operation):
    """Body-less PATCHes: no body, or an empty JSON object, and no query
    parameters (which WSME would otherwise read as arguments)."""
    request = pecan.request
    if request.body.strip() not in (b'', b'{}', b'null'):
        raise exception.InvalidParameterValue(
            err=_('%s takes no request body.') % operation)
    if request.GET:
        raise exception.InvalidParameterValue(
            err=_('%(operation)s takes no query parameters; got '
                  '%(params)s.') % {'operation': operation,
                                    'params': ', '.join(sorted(request.GET))})


def pem_of(answer):
    """The PEM in the conductor's answer (a Certificate object)."""
    if answer is None or isinstance(answer, str):
        return answer
    if isinstance(answer, dict):
        return answer.get('pem')
    return answer.pem


def looks_like_csr(csr):
    return _CSR_PEM.search(csr) is not None


def _short(text, limit=64):
    return text if len(text) <= limit else text[:limit] + '...'


class CertificateController(rest.RestController):
    """/v1/certificates; not microversion-gated (rotation meant 1.5 but
    was never enforced, and clients at 1.1 use it)."""

    @wsme_pecan.wsexpose(Certificate, wtypes.text, wtypes.text)
    def get_one(self, cluster_ident, ca_cert_type=None):
        """The CA certificate of a cluster (``ca_cert_type`` picks which)."""
        context = pecan.request.context
        cluster = find_cluster(context, cluster_ident, 'certificate:get')
        authorize_cluster(context, 'certificate:get', cluster)
        answer = pecan.request.rpcapi.get_ca_certificate(
            context, cluster, ca_cert_type)
        return Certificate.view(cluster.uuid, pem_of(answer))

    @wsme_pecan.wsexpose(Certificate, body=Certificate, status_code=201)
    def post(self, certificate):
        """Sign a CSR with a CA of the cluster."""
        context = pecan.request.context
        ident = _cluster_ident_of(certificate)
        csr = certificate.csr
        if csr is wtypes.Unset or csr is None:
            raise wsme.exc.InvalidInput('csr', csr,
                                        _('Mandatory field missing.'))
        ca_cert_type = certificate.ca_cert_type
        if ca_cert_type is wtypes.Unset:
            ca_cert_type = None
        try:
            cluster = find_cluster(context, ident, 'certificate:create')
        except exception.ClusterNotFound:
            # A reference inside a create body: 400, not 404 (see
            # doc/source/contributor/compatibility.rst, "Errors").
            raise exception.InvalidParameterValue(
                err=_('Cluster %s could not be found.') % ident)
        authorize_cluster(context, 'certificate:create', cluster)
        if not looks_like_csr(csr):
            raise exception.InvalidCsr(csr=_short(csr))
        request = objects.Certificate(
            context=context, project_id=context.project_id,
            user_id=context.user_id, cluster_uuid=cluster.uuid, csr=csr,
            ca_cert_type=ca_cert_type)
        answer = pecan.request.rpcapi.sign_certificate(context, cluster,
                                                       request)
        extra = {'csr': csr}
        if ca_cert_type is not None:
            extra['ca_cert_type'] = ca_cert_type
        if certificate.bay_uuid not in (wtypes.Unset, None):
            extra['bay_uuid'] = cluster.uuid
        return Certificate.view(cluster.uuid, pem_of(answer), **extra)

    @wsme_pecan.wsexpose(ClusterID, wtypes.text, status_code=202)
    def patch(self, cluster_ident):
        """Replace every CA and client certificate of a cluster.

        Clients send no body and Content-Type application/octet-stream.
        """
        ensure_no_body(_('Rotating the CA certificate'))
        context = pecan.request.context
        cluster = find_cluster(context, cluster_ident,
                               'certificate:rotate_ca')
        authorize_cluster(context, 'certificate:rotate_ca', cluster)
        if cluster.cluster_template.tls_disabled:
            raise exception.NotSupported(
                _('Rotating the CA certificate of cluster %s is not '
                  'supported on a non-TLS cluster.') % cluster.uuid)
        if cluster.status not in fields.ClusterStatus.STATUS_STABLE:
            raise exception.NotSupported(
                _('Rotating the CA certificate of cluster %(uuid)s is not '
                  'supported while its status is %(status)s.') %
                {'uuid': cluster.uuid, 'status': cluster.status})
        pecan.request.rpcapi.rotate_ca_certificate(context, cluster)
        return ClusterID(cluster.uuid)


def _cluster_ident_of(certificate):
    cluster_uuid = certificate.cluster_uuid
    bay_uuid = certificate.bay_uuid
    given = [value for value in (cluster_uuid, bay_uuid)
             if value not in (wtypes.Unset, None)]
    if not given:
        raise wsme.exc.InvalidInput('cluster_uuid', None,
                                    _('Mandatory field missing.'))
    if len(given) == 2 and cluster_uuid != bay_uuid:
        raise exception.InvalidParameterValue(
            err=_('cluster_uuid %(cluster)s and its legacy alias bay_uuid '
                  '%(bay)s name different clusters.') %
            {'cluster': cluster_uuid, 'bay': bay_uuid})
    return given[0]
