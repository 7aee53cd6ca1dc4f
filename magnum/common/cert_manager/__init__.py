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

"""Certificate managers: where cluster certificates and keys are kept.

``get_backend()`` gives the manager ``[certificates] cert_manager_type``
names. The managers shipped here are known by name; others are found in
the entry-point group ``magnum.cert_manager.backend``.
"""

import importlib

from stevedore import driver as stevedore_driver

from magnum import conf
from magnum.common.cert_manager import base
from magnum.i18n import _

CONF = conf.CONF

NAMESPACE = 'magnum.cert_manager.backend'

# name -> 'module:Class'; the same as this package's entry points.
BUILTIN = {
    'x509keypair': 'magnum.common.cert_manager.x509keypair_cert_manager:'
                   'X509KeyPairCertManager',
    'local': 'magnum.common.cert_manager.local_cert_manager:'
             'LocalCertManager',
}


def _import(target):
    module_name, class_name = target.split(':')
    return getattr(importlib.import_module(module_name), class_name)


def get_backend_class(name=None):
    """The manager class ``name`` (default: the configured one)."""
    name = name or CONF.certificates.cert_manager_type
    if name in BUILTIN:
        return _import(BUILTIN[name])
    try:
        return stevedore_driver.DriverManager(
            NAMESPACE, name, invoke_on_load=False).driver
    except Exception as error:
        raise base.CertificateStorageError(reason=_(
            'certificate manager %(name)r ([certificates] '
            'cert_manager_type) is not available (%(error)s); available: '
            '%(available)s.') % {
                'name': name, 'error': error,
                'available': ', '.join(sorted(BUILTIN))}) from None


def get_backend(name=None):
    """A manager instance (see base.CertManager)."""
    return get_backend_class(name)()
