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

"""Magnum's exceptions.

Every exception a request can end in carries the HTTP status it maps to in
``code`` (doc/source/contributor/compatibility.rst, "Errors"), so the
API layer turns them into the
OpenStack error body without a table of its own. Messages are templates
filled from keyword arguments; a template that cannot be filled still yields
a readable message rather than a second exception.
"""

import logging

from magnum.i18n import _

LOG = logging.getLogger(__name__)


class MagnumException(Exception):
    """Base class of Magnum's exceptions.

    Subclasses set ``message`` to a %-template over their keyword arguments
    and ``code`` to the HTTP status the API answers with.
    """

    message = _("An unknown exception occurred.")
    code = 500
    # Whether the message may be shown to the caller as is. Server errors
    # keep their details in the log instead.
    safe = True

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if 'code' not in kwargs:
            kwargs['code'] = self.code
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError, ValueError):
                # A missing or ill-typed argument must not hide the original
                # problem behind a formatting error.
                LOG.warning("Could not format %s with %s",
                            type(self).__name__, sorted(kwargs))
                message = self.message
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def format_message(self):
        return self.message


# 400 -----------------------------------------------------------------------

class Invalid(MagnumException):
    message = _("Unacceptable parameters.")
    code = 400


class ConfigInvalid(MagnumException):
    """A setting a service must not run with."""
    message = _("Invalid configuration: %(error_msg)s")


class InvalidUUID(Invalid):
    message = _("Expected a UUID but received %(uuid)s.")


class InvalidName(Invalid):
    message = _("Expected a name but received %(name)s.")


class InvalidIdentity(Invalid):
    message = _("Expected a UUID or int but received %(identity)s.")


class InvalidParameterValue(Invalid):
    message = _("%(err)s")


class InvalidSortKey(Invalid):
    message = _("Invalid sort key %(key)s; valid keys are: %(valid)s.")


class InvalidSortDirection(Invalid):
    message = _("Invalid sort direction %(direction)s; use 'asc' or "
                "'desc'.")


class InvalidLimit(Invalid):
    message = _("Limit must be positive.")


class PatchError(Invalid):
    message = _("Couldn't apply patch '%(patch)s'. Reason: %(reason)s")


class InvalidCsr(Invalid):
    message = _("Received invalid csr %(csr)s.")


class CertificateValidationError(Invalid):
    message = _("Extension '%(extension)s' not allowed")


class OperationInProgress(Invalid):
    message = _("Cluster %(cluster_name)s already has an operation in "
                "progress.")


class ClusterTemplateReferenced(Invalid):
    message = _("ClusterTemplate %(clustertemplate)s is referenced by one "
                "or more clusters: %(clusters)s.")


class NotSupported(Invalid):
    message = _("%(operation)s is not supported.")


class ClusterTypeNotSupported(NotSupported):
    message = _("Cluster type (%(server_type)s, %(os)s, %(coe)s) not "
                "supported; installed drivers provide: %(available)s.")


class ClusterDriverNotSupported(NotSupported):
    message = _("Cluster driver (%(driver_name)s) not supported; installed "
                "drivers: %(available)s.")


class ZeroNodeCountNotSupported(NotSupported):
    message = _("Resizing a nodegroup to zero is not supported in the "
                "provided microversion.")


class FlavorZeroRootVolumeNotSupported(NotSupported):
    message = _("Boot volume size must be greater than 0 for flavor "
                "%(flavor)s, which has no root disk.")


class ClusterUpgradeNotSupported(NotSupported):
    message = _("Cluster upgrade is not supported: %(reason)s")


class DeletingDefaultNGNotSupported(NotSupported):
    message = _("Deleting a default nodegroup is not supported.")


class CreateMasterNodeGroup(NotSupported):
    message = _("Creating master nodegroups is currently not supported.")


class MasterNGResizeNotSupported(NotSupported):
    message = _("Resizing a master nodegroup is not supported.")


class NGResizeOutBounds(Invalid):
    message = _("Resizing %(nodegroup)s outside the allowed range: "
                "min_node_count = %(min_nc)s, max_node_count = %(max_nc)s.")


class MasterNGSizeInvalid(Invalid):
    message = _("master_count must be an odd number and at least 1, not "
                "%(requested_size)s.")


class ImageNotFound(Invalid):
    message = _("Image %(image_id)s could not be found.")


class OSDistroFieldNotFound(Invalid):
    message = _("Image %(image_id)s doesn't contain the os_distro field.")


class FlavorNotFound(Invalid):
    message = _("Unable to find flavor %(flavor)s.")


class ExternalNetworkNotFound(Invalid):
    message = _("Unable to find external network %(network)s.")


class FixedNetworkNotFound(Invalid):
    message = _("Unable to find fixed network %(network)s.")


class FixedSubnetNotFound(Invalid):
    message = _("Unable to find fixed subnet %(subnet)s.")


class VolumeTypeNotFound(Invalid):
    message = _("Valid volume types could not be found in Cinder.")


class CertificatesToClusterFailed(MagnumException):
    message = _("Failed to create certificates for cluster %(cluster_uuid)s:"
                " %(reason)s")


# 403 -----------------------------------------------------------------------

class NotAuthorized(MagnumException):
    message = _("Not authorized.")
    code = 403


class PolicyNotAuthorized(NotAuthorized):
    message = _("Policy doesn't allow %(action)s to be performed.")


class ClusterTemplatePublishDenied(NotAuthorized):
    message = _("Not authorized to set public or hidden flag for cluster "
                "template.")


class ImageNotAuthorized(NotAuthorized):
    message = _("Not authorized for image %(image_id)s.")


class DriverNotAllowed(NotAuthorized):
    """The caller's project may not use a driver that gives its clusters'
    users more than a tenant should have (say why and what to set)."""
    message = _("%(reason)s")


class ResourceLimitExceeded(NotAuthorized):
    message = _("Resource limit exceeded: %(msg)s")


class AuthorizationFailure(NotAuthorized):
    message = _("%(client)s connection failed. %(message)s")


# 404 -----------------------------------------------------------------------

class ObjectNotFound(MagnumException):
    message = _("The %(name)s %(id)s could not be found.")
    code = 404


class ResourceNotFound(ObjectNotFound):
    message = _("The %(name)s resource %(id)s could not be found.")


class ClusterNotFound(ResourceNotFound):
    message = _("Cluster %(cluster)s could not be found.")


class ClusterTemplateNotFound(ResourceNotFound):
    message = _("ClusterTemplate %(clustertemplate)s could not be found.")


class NodeGroupNotFound(ResourceNotFound):
    message = _("Nodegroup %(nodegroup)s could not be found.")


class FederationNotFound(ResourceNotFound):
    message = _("Federation %(federation)s could not be found.")


class QuotaNotFound(ResourceNotFound):
    message = _("Quota could not be found: %(msg)s")


class ProjectNotFound(ResourceNotFound):
    message = _("Project %(name)s could not be found.")


class KeyPairNotFound(ResourceNotFound):
    message = _("Unable to find keypair %(keypair)s.")


class X509KeyPairNotFound(ResourceNotFound):
    message = _("A key pair %(x509keypair)s could not be found.")


class MagnumServiceNotFound(ResourceNotFound):
    message = _("A magnum service %(magnum_service_id)s could not be found.")


class MarkerNotFound(ResourceNotFound):
    message = _("Marker %(marker)s could not be found.")


# 409 -----------------------------------------------------------------------

class Conflict(MagnumException):
    message = _("Conflict.")
    code = 409


class NameNotUnique(Conflict):
    message = _("Multiple %(resource)s exist with the same name "
                "%(name)s. Please use the %(resource)s uuid instead.")


class ClusterAlreadyExists(Conflict):
    message = _("A cluster with UUID %(uuid)s already exists.")


class ClusterTemplateAlreadyExists(Conflict):
    message = _("A ClusterTemplate with UUID %(uuid)s already exists.")


class NodeGroupAlreadyExists(Conflict):
    message = _("A nodegroup with name %(name)s already exists in cluster "
                "%(cluster_id)s.")


class NodeGroupInvalidInput(Conflict):
    message = _("%(attr)s for %(nodegroup)s is invalid (%(expl)s).")


class X509KeyPairAlreadyExists(Conflict):
    message = _("A key pair with UUID %(uuid)s already exists.")


class MagnumServiceAlreadyExists(Conflict):
    message = _("A magnum service with ID %(id)s already exists.")


class QuotaAlreadyExists(Conflict):
    message = _("Quota for project %(project_id)s already exists for "
                "resource %(resource)s.")


class FederationAlreadyExists(Conflict):
    message = _("A federation with UUID %(uuid)s already exists.")


class MemberAlreadyExists(Conflict):
    message = _("A cluster with UUID %(uuid)s is already a member of the "
                "federation %(federation_name)s.")


class InvalidClusterTemplateForUpgrade(Conflict):
    message = _("Cluster template is not valid for upgrade: %(reason)s")


class ClusterAPIAddressUnavailable(Conflict):
    message = _("Cluster API address is not available yet, try again after "
                "the cluster has finished being created.")


class PreDeletionFailed(Conflict):
    message = _("Failed to pre-delete resources for cluster %(cluster_uuid)s"
                ", error: %(msg)s.")


class ConcurrentUpdate(Conflict):
    """A compare-and-set update lost the race against another writer."""
    message = _("%(resource)s %(id)s was changed by another request "
                "(expected %(expected)s); retry with its current state.")


# Certificates (the conductor raises them for the API) -----------------------

class CertificateNotFound(ResourceNotFound):
    message = _('Certificate %(ref)s could not be found.')


class CertificateNotAvailable(Conflict):
    """The cluster has no such certificate yet (its create has not made
    them), or not any more (it is being deleted)."""
    message = _('Cluster %(cluster)s has no %(certificate)s (yet).')


class CertificateStorageError(MagnumException):
    """The manager cannot store or read certificates as configured."""
    message = _('Certificate storage failed: %(reason)s')
    # A server-side problem; its details (paths, key ids) are for the log.
    safe = False


# 503 -----------------------------------------------------------------------

class ServiceUnavailable(MagnumException):
    message = _("%(service)s is unavailable: %(reason)s")
    code = 503


class ConductorError(MagnumException):
    """The conductor failed in a way it did not mean to tell the API
    about (an error of another kind than these): the caller gets a 500
    naming the request, the conductor's words go to the API's log."""
    message = _("The conductor could not %(method)s; the error is logged "
                "with request id %(request_id)s.")


class ConductorUnavailable(ServiceUnavailable):
    message = _("No magnum-conductor answered within %(timeout)s seconds; "
                "check that magnum-conductor is running and can reach the "
                "message broker.")


# Containers and nodes (API 1.16) --------------------------------------------

class ContainerNotFound(ResourceNotFound):
    message = _("Container %(container)s could not be found.")


class ContainerAlreadyExists(Conflict):
    message = _("A container with UUID %(uuid)s already exists.")


class ImageNotOnCluster(Invalid):
    """The image is in none of the cluster's nodes (no registry is
    reachable: an operator loads it with the load_image action)."""
    message = _("The image %(image)s is not present on the nodes of "
                "cluster %(cluster)s; an operator can import it with "
                "POST /v1/clusters/%(cluster)s/actions/load_image.")


class RequestBodyTooLarge(MagnumException):
    """A request body over the limit an option sets; the message names
    the option (magnum.api.middleware.body_size)."""
    message = _("%(what)s is larger than %(limit)s bytes, the limit "
                "%(option)s sets on magnum-api.%(hint)s")
    code = 413


# Keystone's own status, chosen per answer -----------------------------------

class KeystoneFailure(MagnumException):
    """Keystone refused or failed a request Magnum made on a cluster's
    behalf. The message names Keystone's answer; ``code`` follows it: the
    caller's own lack of rights stays 403, a request Keystone found
    invalid 400, Keystone unreachable or failing 503."""
    message = _("Keystone could not %(action)s: %(answer)s")
    code = 503

    def __init__(self, message=None, **kwargs):
        super().__init__(message, **kwargs)
        # Per instance, and kept when the conductor's error is rebuilt
        # from its keyword arguments on the API's side.
        self.code = self.kwargs['code']
