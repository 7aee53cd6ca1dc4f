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

"""A cluster's PKI, for the conductor's handlers and the drivers.

Every cluster has three CAs (the main "kubernetes" CA, the etcd CA and the
front-proxy CA) and a client certificate Magnum uses to talk to the
cluster (CN=admin, O=system:masters), each stored through the configured
certificate manager, their references in the cluster's ``ca_cert_ref``,
``etcd_ca_cert_ref``, ``front_proxy_ca_cert_ref`` and ``magnum_cert_ref``
(doc/source/contributor/compatibility.rst, "Certificates"). Nothing here
saves the cluster, except ``commit_ca_rotation``.

CA rotation is done in three steps, so that nothing is replaced unless the
driver has taken the new certificates::

    new_set = certificates.prepare_ca_rotation(context, cluster)
    with certificates.pending_rotation(cluster, new_set):
        driver.rotate_ca_certificate(context, cluster)
    certificates.commit_ca_rotation(context, cluster, new_set)

While the driver runs, ``get_pending_rotation(cluster)`` gives it the new
set; the functions reading the cluster's certificates still give the
current (old) ones.

Certificates are stored with the project and user of the cluster, whoever
asks; private keys never reach a log line, a notification or an answer of
the API.
"""

import contextlib
import dataclasses
import datetime
import threading

from oslo_log import log as logging

from magnum import conf
from magnum.common import cert_manager
from magnum.common import conditions
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common.cert_manager import base as cert_manager_base
from magnum.common.x509 import operations
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

CA_KUBERNETES = 'kubernetes'
CA_ETCD = 'etcd'
CA_FRONT_PROXY = 'front_proxy'

# The cluster's reference columns, in the order certificates are made.
CA_REF_FIELDS = {
    CA_KUBERNETES: 'ca_cert_ref',
    CA_ETCD: 'etcd_ca_cert_ref',
    CA_FRONT_PROXY: 'front_proxy_ca_cert_ref',
}
MAGNUM_CERT_FIELD = 'magnum_cert_ref'
REF_FIELDS = tuple(CA_REF_FIELDS.values()) + (MAGNUM_CERT_FIELD,)

MAGNUM_CERT_NAME = 'Magnum-Conductor'
CLIENT_COMMON_NAME = 'admin'
CLIENT_ORGANIZATION = 'system:masters'

DATE_FORMAT = '%Y-%m-%dT%H:%M:%SZ'

CertificateNotFound = cert_manager_base.CertificateNotFound


# In magnum.common.exception, so that it crosses RPC to the API as itself.
CertificateNotAvailable = exception.CertificateNotAvailable


def _labels():
    return {
        'ca_cert_ref': _('CA certificate'),
        'etcd_ca_cert_ref': _('etcd CA certificate'),
        'front_proxy_ca_cert_ref': _('front-proxy CA certificate'),
        MAGNUM_CERT_FIELD: _('Magnum client certificate'),
    }


@dataclasses.dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key, PEM; the key is never shown."""

    certificate: str
    private_key: str = dataclasses.field(repr=False)

    @classmethod
    def of(cls, certificate, key):
        return cls(operations.certificate_to_pem(certificate),
                   operations.private_key_to_pem(key))


@dataclasses.dataclass(frozen=True)
class CertificateSet:
    """A cluster's three CAs and Magnum's client certificate."""

    ca: IssuedCertificate
    etcd_ca: IssuedCertificate
    front_proxy_ca: IssuedCertificate
    magnum: IssuedCertificate

    def by_field(self):
        return {'ca_cert_ref': self.ca, 'etcd_ca_cert_ref': self.etcd_ca,
                'front_proxy_ca_cert_ref': self.front_proxy_ca,
                MAGNUM_CERT_FIELD: self.magnum}

    def ca_certificate(self, ca_cert_type=None):
        """The PEM of the CA ``ca_cert_type`` selects."""
        field = CA_REF_FIELDS[ca_kind(ca_cert_type)]
        return self.by_field()[field].certificate


# -- helpers ------------------------------------------------------------------

def ca_kind(ca_cert_type):
    """etcd, front_proxy (also spelled front-proxy), else kubernetes."""
    if ca_cert_type == CA_ETCD:
        return CA_ETCD
    if ca_cert_type in (CA_FRONT_PROXY, 'front-proxy'):
        return CA_FRONT_PROXY
    return CA_KUBERNETES


def issuer_name(cluster):
    """The CAs' common name: the cluster's name, or its uuid when it has
    none or the name is too long for a common name."""
    name = cluster.name
    if name and len(name) <= operations.MAX_COMMON_NAME_LENGTH:
        return name
    return cluster.uuid


def _owner_context(cluster):
    """A context of the cluster's owner: certificates belong to the
    cluster's project whoever acts on the cluster."""
    if not cluster.project_id and not cluster.user_id:
        return magnum_context.get_admin_context()
    return magnum_context.make_context(
        project_id=cluster.project_id, user_id=cluster.user_id,
        overwrite=False)


def _manager():
    return cert_manager.get_backend()


def _get_cert(cluster, field):
    ref = getattr(cluster, field)
    if not ref:
        raise CertificateNotAvailable(cluster=cluster.uuid,
                                      certificate=_labels()[field])
    return _manager().get_cert(ref, context=_owner_context(cluster),
                               resource_ref=cluster.uuid)


def _names(cluster):
    name = issuer_name(cluster)
    return {'ca_cert_ref': '%s kubernetes CA' % name,
            'etcd_ca_cert_ref': '%s etcd CA' % name,
            'front_proxy_ca_cert_ref': '%s front-proxy CA' % name,
            MAGNUM_CERT_FIELD: MAGNUM_CERT_NAME}


def _store(cluster, issued):
    """Store {field: IssuedCertificate}; {field: ref}. All or nothing."""
    manager = _manager()
    context = _owner_context(cluster)
    names = _names(cluster)
    refs = {}
    try:
        for field, certificate in issued.items():
            refs[field] = manager.store_cert(
                certificate.certificate, certificate.private_key,
                name=names[field], context=context)
    except Exception:
        _delete_refs(cluster, refs.values())
        raise
    return refs


def _delete_refs(cluster, refs):
    """Delete ``refs``; those already gone are fine, other failures are
    logged. The first such failure, or None."""
    manager = _manager()
    context = _owner_context(cluster)
    failure = None
    for ref in refs:
        if not ref:
            continue
        try:
            manager.delete_cert(ref, context=context,
                                resource_ref=cluster.uuid)
        except CertificateNotFound:
            LOG.debug('Certificate %s of cluster %s was already gone',
                      ref, cluster.uuid)
        except Exception as error:
            LOG.warning('Cluster %s: could not delete certificate %s: %s',
                        cluster.uuid, ref, error)
            failure = failure or error
    return failure


def _load_pair(cluster, field):
    cert = _get_cert(cluster, field)
    return (operations.load_certificate(cert.get_certificate()),
            operations.load_private_key(cert.get_private_key()))


def _new_ca(cluster):
    return operations.generate_ca_certificate(issuer_name(cluster))


def _new_client(ca_cert, ca_key):
    return operations.generate_client_certificate(
        ca_cert, ca_key, CLIENT_COMMON_NAME, CLIENT_ORGANIZATION)


def generate_certificate_set(cluster):
    """New CAs and client certificate for ``cluster``, not stored."""
    ca_cert, ca_key = _new_ca(cluster)
    return CertificateSet(
        ca=IssuedCertificate.of(ca_cert, ca_key),
        etcd_ca=IssuedCertificate.of(*_new_ca(cluster)),
        front_proxy_ca=IssuedCertificate.of(*_new_ca(cluster)),
        magnum=IssuedCertificate.of(*_new_client(ca_cert, ca_key)))


# -- cluster create and delete ------------------------------------------------

def generate_certificates_to_cluster(context, cluster):
    """Make and store the certificates the cluster lacks, and set its
    references (the caller saves the cluster).

    A cluster that has all four keeps them (a repeated create); a new
    main CA always comes with a new client certificate.
    CertificatesToClusterFailed when any step fails; nothing is left
    stored then.
    """
    missing = [field for field in REF_FIELDS if not getattr(cluster, field)]
    if not missing:
        LOG.info('Cluster %s already has its certificates', cluster.uuid)
        return
    stale_client = None
    if 'ca_cert_ref' in missing and MAGNUM_CERT_FIELD not in missing:
        stale_client = cluster.magnum_cert_ref
        missing.append(MAGNUM_CERT_FIELD)
    try:
        issued = {}
        ca_cert = ca_key = None
        for field in missing:
            if field == MAGNUM_CERT_FIELD:
                continue
            cert, key = _new_ca(cluster)
            issued[field] = IssuedCertificate.of(cert, key)
            if field == 'ca_cert_ref':
                ca_cert, ca_key = cert, key
        if MAGNUM_CERT_FIELD in missing:
            if ca_cert is None:
                ca_cert, ca_key = _load_pair(cluster, 'ca_cert_ref')
            issued[MAGNUM_CERT_FIELD] = IssuedCertificate.of(
                *_new_client(ca_cert, ca_key))
        refs = _store(cluster, issued)
    except Exception as error:
        LOG.exception('Cluster %s: could not create its certificates',
                      cluster.uuid)
        raise exception.CertificatesToClusterFailed(
            cluster_uuid=cluster.uuid, reason=str(error) or
            type(error).__name__) from error
    for field, ref in refs.items():
        setattr(cluster, field, ref)
    if stale_client:
        _delete_refs(cluster, [stale_client])
    LOG.info('Cluster %s: created its %s', cluster.uuid,
             ', '.join(_labels()[field] for field in refs))


def delete_certificates(context, cluster):
    """Delete all four certificates of the cluster and
    clear its references (not saved). References already gone are fine;
    any other failure is raised after trying every one."""
    refs = [getattr(cluster, field) for field in REF_FIELDS]
    failure = _delete_refs(cluster, refs)
    if failure is not None:
        raise failure
    for field in REF_FIELDS:
        setattr(cluster, field, None)


# -- reading ------------------------------------------------------------------

def get_ca_certificate(context, cluster, ca_cert_type=None):
    """The PEM of the CA ``ca_cert_type`` selects."""
    field = CA_REF_FIELDS[ca_kind(ca_cert_type)]
    return _get_cert(cluster, field).get_certificate()


def get_ca_key_pair(context, cluster, ca_cert_type=None):
    """(certificate PEM, private key PEM) of a CA of the cluster, for
    drivers whose control plane signs certificates itself."""
    cert = _get_cert(cluster, CA_REF_FIELDS[ca_kind(ca_cert_type)])
    return cert.get_certificate(), cert.get_private_key()


def get_cluster_magnum_cert(context, cluster):
    """(certificate PEM, private key PEM) Magnum authenticates with to the
    cluster's API; the CA to trust is ``get_ca_certificate``."""
    cert = _get_cert(cluster, MAGNUM_CERT_FIELD)
    return cert.get_certificate(), cert.get_private_key()


# -- issuing ------------------------------------------------------------------

def sign_certificate(context, cluster, csr_pem, ca_cert_type=None):
    """Sign a user's CSR with a CA of the cluster: the PEM,
    without its trailing newline. 400 for a CSR Magnum does not sign."""
    kind = ca_kind(ca_cert_type)
    # A bad CSR is refused before any private key is read.
    request = operations.load_csr(csr_pem)
    ca_cert, ca_key = _load_pair(cluster, CA_REF_FIELDS[kind])
    signed = operations.sign_csr(request, ca_cert, ca_key)
    LOG.info('Cluster %(cluster)s: signed a certificate for %(subject)s '
             '(serial %(serial)x) with its %(kind)s CA for user %(user)s '
             'of project %(project)s', {
                 'cluster': cluster.uuid,
                 'subject': signed.subject.rfc4514_string(),
                 'serial': signed.serial_number, 'kind': kind,
                 'user': getattr(context, 'user_id', None),
                 'project': getattr(context, 'project_id', None)})
    return operations.certificate_to_pem(signed).rstrip('\n')


def issue_server_certificate(context, cluster, common_name, dns_names=(),
                             ip_addresses=(), ca_cert_type=None):
    """A server certificate for a node of the cluster, signed by its CA
    (the main CA unless ``ca_cert_type`` says etcd or front_proxy):
    (certificate PEM, private key PEM). Its subjectAltName carries
    ``dns_names`` and ``ip_addresses``; it serves client authentication
    too. Magnum does not store it. Clients check the subjectAltName, not
    the common name, so a name longer than a common name may be (64
    characters) is cut there."""
    kind = ca_kind(ca_cert_type)
    ca_cert, ca_key = _load_pair(cluster, CA_REF_FIELDS[kind])
    certificate, key = operations.generate_server_certificate(
        ca_cert, ca_key, common_name[:operations.MAX_COMMON_NAME_LENGTH],
        dns_names, ip_addresses)
    LOG.info('Cluster %s: issued a server certificate for %s (%s) with its '
             '%s CA', cluster.uuid, common_name,
             ', '.join([str(name) for name in dns_names or ()] +
                       [str(address) for address in ip_addresses or ()]),
             kind)
    issued = IssuedCertificate.of(certificate, key)
    return issued.certificate, issued.private_key


# -- CA rotation --------------------------------------------------------------

_pending = {}
_pending_lock = threading.Lock()


@contextlib.contextmanager
def pending_rotation(cluster, new_set):
    """Offer ``new_set`` to ``get_pending_rotation`` while in the block."""
    with _pending_lock:
        _pending[cluster.uuid] = new_set
    try:
        yield new_set
    finally:
        with _pending_lock:
            _pending.pop(cluster.uuid, None)


def get_pending_rotation(cluster):
    """The CertificateSet being rotated in for the cluster, or None."""
    with _pending_lock:
        return _pending.get(cluster.uuid)


def prepare_ca_rotation(context, cluster):
    """New CAs and client certificate for the cluster; nothing stored."""
    return generate_certificate_set(cluster)


def commit_ca_rotation(context, cluster, new_set):
    """Store ``new_set``, point the cluster at it and save the cluster
    (with whatever else was changed on it), then delete the old
    certificates. If storing or saving fails, the cluster keeps its old
    certificates and nothing new stays stored."""
    old = {field: getattr(cluster, field) for field in REF_FIELDS}
    refs = _store(cluster, new_set.by_field())
    try:
        for field, ref in refs.items():
            setattr(cluster, field, ref)
        cluster.save()
    except Exception:
        for field, ref in old.items():
            setattr(cluster, field, ref)
        _delete_refs(cluster, refs.values())
        raise
    failure = _delete_refs(cluster, [ref for ref in old.values()
                                     if ref and ref not in refs.values()])
    if failure is not None:
        LOG.warning('Cluster %s: some of its old certificates could not be '
                    'deleted after the CA rotation (%s)', cluster.uuid,
                    failure)
    LOG.info('Cluster %s: rotated its CA and client certificates',
             cluster.uuid)


# -- status -------------------------------------------------------------------

def certificate_status(context, cluster, now=None):
    """(status, reason, message) of the cluster's CertificatesValid
    condition: False, naming the date, once the CA or client certificate
    that expires first is within ``[x509] expiry_warning_days`` of its
    expiry or past it; True otherwise; Unknown when there is nothing to
    tell (no certificates yet, or the storage cannot be read)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    labels = _labels()
    present = [field for field in REF_FIELDS if getattr(cluster, field)]
    if not present:
        return (conditions.UNKNOWN, 'CertificatesNotGenerated',
                _('The cluster has no certificates yet.'))
    expiries = []
    for field in present:
        try:
            pem = _get_cert(cluster, field).get_certificate()
            expiries.append((operations.not_valid_after(pem), field))
        except CertificateNotFound:
            return (conditions.FALSE, 'CertificateMissing',
                    _('The %(label)s of the cluster (%(ref)s) is missing; '
                      'rotate the CA to replace it.') % {
                          'label': labels[field],
                          'ref': getattr(cluster, field)})
        except Exception as error:
            LOG.warning('Cluster %s: cannot read its %s: %s', cluster.uuid,
                        labels[field], error)
            return (conditions.UNKNOWN, 'CertificateUnreadable',
                    _('The %(label)s of the cluster cannot be read: '
                      '%(error)s') % {'label': labels[field],
                                      'error': error})
    not_after, field = min(expiries)
    values = {'label': labels[field],
              'date': not_after.strftime(DATE_FORMAT)}
    if not_after <= now:
        return (conditions.FALSE, 'CertificateExpired',
                _('The %(label)s expired on %(date)s; rotate the CA.') %
                values)
    warning = datetime.timedelta(days=CONF.x509.expiry_warning_days)
    if not_after - now <= warning:
        return (conditions.FALSE, 'CertificateExpiring',
                _('The %(label)s expires on %(date)s; rotate the CA '
                  'before then.') % values)
    return (conditions.TRUE, 'CertificatesValid',
            _('The certificates are valid until %(date)s.') % values)
