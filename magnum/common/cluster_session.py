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

"""Acting as a cluster's Keystone application credential.

The conductor creates, rotates and deletes the credential
(``magnum.conductor.cluster_credentials``); drivers only use it, to reach
the cloud on the cluster owner's behalf (Heat, Nova, ...). Both need the
sealed secret opened the same way, so it lives here, below both.
"""

from magnum.common import exception
from magnum.common import keystone
from magnum.common.cert_manager import encryption
from magnum.i18n import _


def bound_to(cluster_uuid, credential_id):
    """What a sealed secret is bound to: it opens for this cluster and
    this credential only."""
    return 'cluster/%s/application_credential/%s' % (cluster_uuid,
                                                     credential_id)


def secret_of(cluster):
    """The cluster's application credential secret, decrypted."""
    if not cluster.application_credential_id:
        raise exception.ObjectNotFound(
            name=_('application credential of cluster'), id=cluster.uuid)
    return encryption.unseal(
        encryption.encryption_key(), cluster.application_credential_secret,
        bound_to(cluster.uuid, cluster.application_credential_id),
        _('the application credential secret of cluster %s') %
        cluster.uuid)


def session_for(cluster, context=None):
    """A keystoneauth session acting as the cluster's application
    credential, for drivers reaching the cloud on its behalf."""
    return keystone.application_credential_session(
        keystone.identity_url(context),
        cluster.application_credential_id, secret_of(cluster))
