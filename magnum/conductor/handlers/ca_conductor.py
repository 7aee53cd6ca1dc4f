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

"""Certificates of a cluster: the conductor side of the RPC calls of
/v1/certificates (read the CA, sign a CSR, rotate the CA).

All three are RPC calls; their errors reach the API with their own
status (400 for a CSR Magnum does not sign, for instance). A CA rotation
answers once accepted and goes on after the answer: its outcome is the
cluster's status.
"""


from oslo_log import log as logging
import oslo_messaging as messaging

from magnum import objects
from magnum.common import certificates
from magnum.common import cluster_status
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import notifications
from magnum.conductor import background as background_threads
from magnum.conductor import locks
from magnum.drivers.common import driver as driver_base
from magnum.i18n import _
from magnum.objects import fields

LOG = logging.getLogger(__name__)

STATUS = fields.ClusterStatus

ROTATE_OPERATION = 'rotate_ca'


def _current(cluster):
    """The cluster as stored now (the caller's copy may be stale)."""
    return objects.Cluster.get_by_uuid(magnum_context.get_admin_context(),
                                       cluster.uuid)


# A cluster in these has its certificates deleted (or about to be): to a
# reader it is gone.
DELETING = (STATUS.DELETE_IN_PROGRESS, STATUS.DELETE_COMPLETE)


def _refs(cluster):
    return tuple(getattr(cluster, field) for field in
                 certificates.REF_FIELDS)


def _with_current_certificates(cluster, read):
    """``read(cluster)`` on the cluster as stored, with the certificates
    it points to when read.

    A reader loads the cluster, then its certificates. A CA rotation
    that committed in between stored new certificates and deleted the
    ones the reader was pointed at (a GET of the CA followed by a signing
    request, next to a PATCH, once answered 404 "A key pair ... could not
    be found"): the reader then reads again with the references as
    stored now. A cluster being deleted (its certificates deleted before
    its row) is a ClusterNotFound, as once its row is gone; a reference
    to a certificate that is missing for good is CertificateNotAvailable
    (409) naming the cluster, never the storage's reference.
    """
    current = _current(cluster)
    while True:
        try:
            return read(current)
        except (exception.CertificateNotFound,
                exception.X509KeyPairNotFound) as missing:
            stored = _current(current)  # ClusterNotFound once it is gone
            if stored.status in DELETING:
                raise exception.ClusterNotFound(cluster=stored.uuid) \
                    from None
            if _refs(stored) == _refs(current):
                LOG.warning('Cluster %s points to a certificate that is '
                            'missing: %s', stored.uuid, missing)
                raise exception.CertificateNotAvailable(
                    cluster=stored.uuid,
                    certificate=_('readable certificate; rotate its CA')) \
                    from None
            LOG.info('Cluster %s: its certificates changed while they '
                     'were read (a CA rotation); reading the new ones',
                     stored.uuid)
            current = stored


def _field(obj, name):
    return getattr(obj, name) if obj.obj_attr_is_set(name) else None


def _check_rotatable(cluster):
    if cluster.cluster_template.tls_disabled:
        raise exception.NotSupported(
            _('Rotating the CA certificate of cluster %s is not supported '
              'on a non-TLS cluster.') % cluster.uuid)
    if cluster.status not in STATUS.STATUS_STABLE:
        raise exception.NotSupported(
            _('Rotating the CA certificate of cluster %(uuid)s is not '
              'supported while its status is %(status)s.') % {
                  'uuid': cluster.uuid, 'status': cluster.status})


def _rotates_ca(driver):
    """Whether the driver implements CA rotation at all (the base class
    only refuses it)."""
    return type(driver).rotate_ca_certificate is not \
        driver_base.Driver.rotate_ca_certificate


class CertificateHandler:
    """sign_certificate, get_ca_certificate, rotate_ca_certificate."""

    target = messaging.Target(version='1.0')

    def __init__(self, host, background=None):
        self.host = host
        # How an accepted rotation is carried on after the call answered:
        # a thread of this conductor (tests pass one that runs it at once).
        self._threads = background_threads.Threads('magnum-rotate-ca')
        self._background = background or self._threads.start

    def sign_certificate(self, context, cluster, certificate):
        """Sign ``certificate.csr`` with the CA ``certificate.ca_cert_type``
        selects; ``certificate`` with ``pem`` set."""
        csr = _field(certificate, 'csr')
        ca_cert_type = _field(certificate, 'ca_cert_type')
        certificate.pem = _with_current_certificates(
            cluster, lambda current: certificates.sign_certificate(
                context, current, csr, ca_cert_type))
        return certificate

    def get_ca_certificate(self, context, cluster, ca_cert_type=None):
        """The CA certificate ``ca_cert_type`` selects, as a Certificate."""
        read = {}

        def ca(current):
            read['cluster'] = current
            return certificates.get_ca_certificate(context, current,
                                                   ca_cert_type)

        pem = _with_current_certificates(cluster, ca)
        answer = objects.Certificate.from_object_cluster(read['cluster'])
        answer.pem = pem
        answer.ca_cert_type = ca_cert_type
        return answer

    def rotate_ca_certificate(self, context, cluster):
        """Accept a rotation of the cluster's CAs and Magnum's client
        certificate, and carry it out after answering.

        The call answers once the rotation is accepted: the cluster is
        stable and TLS, its driver rotates CAs, its lock is taken and
        UPDATE_IN_PROGRESS recorded. Refusals are raised to the caller
        (NotSupported, a 400; OperationInProgress when busy) with the
        cluster untouched. The rotation itself (on a big cluster, longer
        than any RPC timeout) runs on in this conductor under the lock;
        its outcome is the cluster's status: UPDATE_FAILED with a reason
        naming the step, or the driver's end observed by the status sync.
        A conductor that dies meanwhile leaves the lock to the next one,
        which finishes it (the driver's resume_operation).
        """
        current = _current(cluster)
        _check_rotatable(current)
        try:
            lock = locks.ClusterLock(current.uuid, self.host,
                                     ROTATE_OPERATION).acquire()
        except locks.ClusterBusy as busy:
            LOG.info('Cluster %s: not rotating its CA, %s', current.uuid,
                     busy)
            raise exception.OperationInProgress(
                cluster_name=current.name or current.uuid) from None
        try:
            accepted, driver = self._accept(context, current)
        except BaseException:
            lock.release()
            raise

        def carry_out():
            try:
                self._rotate(context, accepted, driver)
            except Exception:
                pass  # recorded in the cluster's status, and logged
            finally:
                lock.release()

        self._background(carry_out)

    def wait(self, timeout=None):
        """Wait for the rotations under way (service stop, tests)."""
        self._threads.wait(timeout)

    def _accept(self, context, cluster):
        """Under the lock: check again, and record UPDATE_IN_PROGRESS.
        (the cluster as saved, its driver)."""
        cluster = _current(cluster)  # what changed before the lock
        _check_rotatable(cluster)
        # Refused before anything changes: a driver without CA rotation
        # leaves the cluster as it was and the caller gets the 400.
        driver = driver_base.registry().for_template(cluster.cluster_template)
        if not _rotates_ca(driver):
            raise exception.NotSupported(operation=_(
                'CA certificate rotation by the %s driver') % driver.name)
        before = cluster.status
        cluster.status = STATUS.UPDATE_IN_PROGRESS
        cluster.status_reason = _('Rotating the CA certificates')
        try:
            # Only from the status checked: a delete asked for meanwhile
            # wins.
            cluster.save(expected={'status': before})
        except exception.ConcurrentUpdate:
            raise exception.OperationInProgress(
                cluster_name=cluster.name or cluster.uuid) from None
        notifications.notify_cluster(context, cluster, 'update', 'start')
        return cluster, driver

    def _rotate(self, context, cluster, driver):
        step = _('generating the new certificates')
        try:
            new_set = certificates.prepare_ca_rotation(context, cluster)
            step = _('asking the %s driver to rotate the CA certificate') % (
                driver.name,)
            with certificates.pending_rotation(cluster, new_set):
                driver.rotate_ca_certificate(context, cluster)
            step = _('storing the new certificates')
            cluster.status_reason = None
            certificates.commit_ca_rotation(context, cluster, new_set)
        except Exception as error:
            LOG.exception('Cluster %s: CA rotation failed while %s',
                          cluster.uuid, step)
            try:
                self._fail(context, cluster, step, error)
            except Exception:
                LOG.exception('Cluster %s: could not record the failed CA '
                              'rotation', cluster.uuid)
            raise

    @staticmethod
    def _fail(context, cluster, step, error):
        reason = _('CA rotation failed while %(step)s: %(error)s') % {
            'step': step, 'error': str(error) or type(error).__name__}
        try:
            stored = _current(cluster)
        except exception.ClusterNotFound:
            return
        # Not over a delete asked for meanwhile.
        cluster_status.fail(context, stored, reason,
                            expected_status=STATUS.UPDATE_IN_PROGRESS,
                            failed_status=STATUS.UPDATE_FAILED)
