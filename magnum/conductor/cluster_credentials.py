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

"""The Keystone application credential of each cluster (no trusts).

- Create (cluster create, before the driver builds anything): with the
  caller's token, an application credential of the caller in the
  cluster's project, named ``magnum-cluster-<uuid>-<time>``, carrying the
  roles the driver declares (``Driver.cloud_credential_roles``, else
  ``[cluster_credentials] roles``) and its access rules, expiring after
  ``[cluster_credentials] lifetime_days``. Magnum authenticates with it at
  once, so a credential that does not work fails the create rather than
  the first use, then stores it: its id, owner, expiry, and its secret
  sealed with the certificate encryption key, bound to the cluster and
  the credential id.
- Only for requests that came with a Keystone token: with ``auth_strategy
  = noauth`` there is no token to create one with, and the cluster gets
  none. Every cluster created with a token gets one, whatever its driver
  (the local Docker driver does not use it), so that every cluster is
  handled the same way.
- Rotate (PATCH /v1/credentials): a new credential with the caller's
  token, stored, handed to the driver, then the old one deleted; when
  any step before the deletion fails, the old one stays in place.
- Delete (cluster removal, after the driver removed everything): with the
  caller's token when the caller owns it, else (another user, an expired
  token, the periodic sync) with Magnum's service user; already gone is
  fine. Credentials an interrupted create or rotation left behind (same
  name prefix) go too.
- CredentialsValid (health pass): from the stored expiry, no Keystone
  call per cluster per period.

Keystone's refusals end as :class:`exception.KeystoneFailure`, whose
message names Keystone's answer. The secret is never logged, shown by the
API, or sent in notifications.
"""

import datetime

from oslo_log import log as logging
from oslo_utils import timeutils

from magnum import conf
from magnum.common import cluster_session
from magnum.common import conditions
from magnum.common import exception
from magnum.common import keystone
from magnum.common.cert_manager import encryption
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

NAME_PREFIX = 'magnum-cluster-'
DATE_FORMAT = '%Y-%m-%d %H:%M:%S UTC'


def _now():
    return timeutils.utcnow(with_timezone=True)


def in_use(context=None):
    """Whether clusters get application credentials (for ``context``:
    whether this request can create one)."""
    if not CONF.cluster_credentials.enabled or \
            CONF.auth_strategy != 'keystone':
        return False
    return context is None or keystone.has_user_token(context)


def name_prefix(cluster_uuid):
    return '%s%s-' % (NAME_PREFIX, cluster_uuid)


def roles_for(driver):
    """The roles the cluster's credential carries: never none, since
    Keystone reads an empty list as every role of the creating user (an
    administrator's cluster would hold admin)."""
    roles = getattr(driver, 'cloud_credential_roles', None)
    if roles is None:
        roles = CONF.cluster_credentials.roles
    roles = [role for role in roles or [] if role]
    if not roles:
        raise exception.ConfigInvalid(error_msg=_(
            'the %s driver asks for an application credential with no '
            'roles, which Keystone would fill with every role of the '
            'creating user') % (getattr(driver, 'name', None) or driver))
    return roles


_bound_to = cluster_session.bound_to


# -- what drivers use (in magnum.common, below the drivers) ---------------

secret_of = cluster_session.secret_of
session_for = cluster_session.session_for


# -- create -------------------------------------------------------------------

def _create(context, cluster, driver):
    """Create and verify a credential; Keystone's record, secret and
    expiry. The caller stores it."""
    key = encryption.encryption_key()  # refuse before creating anything
    url = keystone.identity_url(context)
    session = keystone.user_session(context)
    lifetime = CONF.cluster_credentials.lifetime_days
    now = _now()
    expires_at = now + datetime.timedelta(days=lifetime) if lifetime else \
        None
    name = name_prefix(cluster.uuid) + now.strftime('%Y%m%dT%H%M%S%f')
    description = _('Used by Magnum for cluster %(name)s (%(uuid)s); '
                    'deleted with it.') % {
                        'name': cluster.name or '', 'uuid': cluster.uuid}
    created = keystone.create_application_credential(
        session, url, context.user_id, name, description,
        roles=roles_for(driver), expires_at=expires_at,
        access_rules=getattr(driver, 'cloud_credential_access_rules', None))
    try:
        keystone.authenticate(
            keystone.application_credential_session(
                url, created['id'], created['secret']),
            _('authenticate with the new application credential %s') %
            created['id'])
    except exception.KeystoneFailure:
        _delete_quietly(session, url, context.user_id, created['id'])
        raise
    sealed = encryption.seal(key, created['secret'],
                             _bound_to(cluster.uuid, created['id']))
    return created, sealed, keystone.parse_expiry(created.get('expires_at'))


def _store(cluster, context, created, sealed, expires_at):
    cluster.application_credential_id = created['id']
    cluster.application_credential_secret = sealed
    cluster.application_credential_user_id = context.user_id
    cluster.application_credential_expires_at = expires_at
    record_condition(cluster)


def create_for_cluster(context, cluster, driver):
    """Give a cluster being created its credential (saved at once, so a
    failure later still finds and deletes it). A resumed create keeps the
    one it has; a request without a Keystone token makes none, nor does
    a driver that does not use the cloud (``uses_cloud_credential``)."""
    if cluster.application_credential_id:
        return
    if not getattr(driver, 'uses_cloud_credential', True):
        LOG.debug('Cluster %s gets no application credential: the %s '
                  'driver does not use the cloud', cluster.uuid,
                  getattr(driver, 'name', None))
        return
    if not in_use(context):
        LOG.debug('Cluster %s gets no application credential (no '
                  'Keystone token or [cluster_credentials] enabled = '
                  'False)', cluster.uuid)
        return
    created, sealed, expires_at = _create(context, cluster, driver)
    _store(cluster, context, created, sealed, expires_at)
    cluster.save()


# -- delete -------------------------------------------------------------------

def _delete_quietly(session, url, user_id, credential_id):
    try:
        keystone.delete_application_credential(session, url, user_id,
                                               credential_id)
    except exception.KeystoneFailure as failure:
        LOG.warning('Application credential %s could not be deleted: %s',
                    credential_id, failure)


def _delete_with_best_session(context, user_id, credential_id):
    """Delete with the caller's token when the caller owns the credential,
    else (or when Keystone refuses the caller) with the service user.
    Returns the session that succeeded."""
    url = keystone.identity_url(context)
    if keystone.has_user_token(context) and context.user_id == user_id:
        session = keystone.user_session(context)
        try:
            keystone.delete_application_credential(session, url, user_id,
                                                   credential_id)
            return session
        except exception.KeystoneFailure as failure:
            if keystone.status_of(failure) not in (401, 403):
                raise
            LOG.info('Keystone refused the caller deleting application '
                     'credential %s (%s); using the service user',
                     credential_id, failure)
    session = keystone.service_session()
    keystone.delete_application_credential(session, url, user_id,
                                           credential_id)
    return session


def _delete_leftovers(session, url, cluster_uuid, user_id, keep=None):
    """Credentials of the cluster an interrupted create or rotation left
    behind (best effort: the stored one is what matters)."""
    try:
        listed = keystone.list_application_credentials(session, url,
                                                       user_id)
    except exception.KeystoneFailure as failure:
        LOG.info('Cannot look for leftover application credentials of '
                 'cluster %s: %s', cluster_uuid, failure)
        return
    for credential in listed:
        if credential.get('name', '').startswith(
                name_prefix(cluster_uuid)) and credential['id'] != keep:
            _delete_quietly(session, url, user_id, credential['id'])


def delete_for_cluster(context, cluster):
    """Delete the cluster's credential in Keystone and forget it (saved).
    Raises KeystoneFailure naming Keystone's answer; deleting again
    retries."""
    credential_id = cluster.application_credential_id
    if not credential_id:
        return
    user_id = cluster.application_credential_user_id
    session = _delete_with_best_session(context, user_id, credential_id)
    _delete_leftovers(session, keystone.identity_url(context), cluster.uuid,
                      user_id)
    for field in cluster.CREDENTIAL_FIELDS:
        setattr(cluster, field, None)
    cluster.save()


def delete_before_removal(context, cluster):
    """Called before a deleted cluster's records are removed: True when
    its credential is gone. Otherwise the cluster is DELETE_FAILED with
    Keystone's answer (deleting it again retries) and False."""
    from magnum.common import notifications
    from magnum.objects import fields
    try:
        delete_for_cluster(context, cluster)
        return True
    except exception.MagnumException as failure:
        reason = _('Delete failed while deleting the cluster\'s '
                   'application credential %(id)s in Keystone: %(error)s. '
                   'Delete the cluster again to retry.') % {
                       'id': cluster.application_credential_id,
                       'error': failure}
        LOG.warning('Cluster %s: %s', cluster.uuid, reason)
        cluster.status = fields.ClusterStatus.DELETE_FAILED
        cluster.status_reason = reason
        cluster.save()
        notifications.notify_cluster(context, cluster, 'delete', 'error',
                                     reason)
        return False


# -- rotate -------------------------------------------------------------------

def rotate(context, cluster, driver):
    """Replace the cluster's credential with a new one of the caller's:
    create and verify it, store it, let the driver push it
    (``update_cloud_credential``), then delete the old one. Until the old
    one is deleted, any failure leaves the old one in place (and removes
    the new one)."""
    if not in_use(context):
        raise exception.NotSupported(operation=_(
            'Rotating the application credential without a Keystone token '
            '(or with [cluster_credentials] enabled = False)'))
    old = {field: getattr(cluster, field)
           for field in cluster.CREDENTIAL_FIELDS}
    created, sealed, expires_at = _create(context, cluster, driver)
    _store(cluster, context, created, sealed, expires_at)
    try:
        cluster.save()
        driver.update_cloud_credential(context, cluster)
    except Exception:
        LOG.exception('Cluster %s: the new application credential %s '
                      'could not be put in place; keeping %s',
                      cluster.uuid, created['id'],
                      old['application_credential_id'])
        for field, value in old.items():
            setattr(cluster, field, value)
        record_condition(cluster)
        cluster.save()
        url = keystone.identity_url(context)
        _delete_quietly(keystone.user_session(context), url,
                        context.user_id, created['id'])
        raise
    if old['application_credential_id']:
        try:
            session = _delete_with_best_session(
                context, old['application_credential_user_id'],
                old['application_credential_id'])
        except exception.KeystoneFailure as failure:
            raise exception.KeystoneFailure(
                action=_('delete the replaced application credential '
                         '%(old)s (the new one, %(new)s, is in place; '
                         'rotate again to retry)') % {
                             'old': old['application_credential_id'],
                             'new': created['id']},
                answer=failure.kwargs.get('answer', str(failure)),
                status=keystone.status_of(failure),
                code=failure.code) from None
        _delete_leftovers(session, keystone.identity_url(context),
                          cluster.uuid,
                          old['application_credential_user_id'],
                          keep=created['id'])
    LOG.info('Cluster %s: application credential rotated to %s',
             cluster.uuid, created['id'])


# -- CredentialsValid ---------------------------------------------------------

def credential_status(cluster, now=None):
    """(status, reason, message) of CredentialsValid, from what is stored
    (Keystone verified it at creation or rotation); None when the cluster
    has nothing to tell (Magnum makes no credentials)."""
    if not cluster.application_credential_id:
        if not in_use():
            return None
        return (conditions.FALSE, 'CredentialMissing',
                _('The cluster has no Keystone application credential; '
                  'rotate its credential (PATCH /v1/credentials/%s) to '
                  'create one.') % cluster.uuid)
    expires_at = cluster.application_credential_expires_at
    # The messages name no credential id: the API shows conditions, and
    # never anything of the credential but its expiry.
    if expires_at is None:
        return (conditions.TRUE, 'CredentialsValid',
                _("The cluster's application credential does not "
                  "expire."))
    now = now or _now()
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=datetime.timezone.utc)
    values = {'date': expires_at.strftime(DATE_FORMAT)}
    if expires_at <= now:
        return (conditions.FALSE, 'CredentialExpired',
                _("The cluster's application credential expired on "
                  "%(date)s; rotate it (PATCH /v1/credentials).") % values)
    warning = datetime.timedelta(
        days=CONF.cluster_credentials.expiry_warning_days)
    if expires_at - now <= warning:
        return (conditions.FALSE, 'CredentialExpiring',
                _("The cluster's application credential expires on "
                  "%(date)s; rotate it (PATCH /v1/credentials) before "
                  "then.") % values)
    return (conditions.TRUE, 'CredentialsValid',
            _("The cluster's application credential is valid until "
              "%(date)s.") % values)


def record_condition(cluster, now=None):
    """Set CredentialsValid on ``cluster`` (not saved); True if it
    changed."""
    status = credential_status(cluster, now)
    if status is None:
        return False
    return conditions.set_condition(cluster, conditions.CREDENTIALS_VALID,
                                    *status)


def check_condition(cluster, now=None):
    """The health pass: record CredentialsValid and save if it changed."""
    if record_condition(cluster, now):
        cluster.save()
