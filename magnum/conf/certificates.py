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

from oslo_config import cfg

certificates_group = cfg.OptGroup(
    'certificates',
    title='Certificate storage',
    help='Where Magnum stores the CA and client certificates of clusters.',
)

certificates_opts = [
    # Deviation from the contract (default "barbican"): no Barbican
    # certificate manager ships yet, so the default is the one that does.
    cfg.StrOpt(
        'cert_manager_type',
        default='x509keypair',
        help=(
            'Certificate manager that stores cluster certificates: '
            '"x509keypair" keeps them in Magnum\'s database, "barbican" '
            'in the Barbican key manager, "local" in files under '
            'storage_path (testing only). Choose barbican where it is '
            'available so private keys stay out of Magnum\'s database.'
        ),
    ),
    cfg.StrOpt(
        'storage_path',
        default='/var/lib/magnum/certificates/',
        help=(
            'Directory where the "local" certificate manager writes '
            'certificates and keys. Must be private to the Magnum '
            'services.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(certificates_group)
    conf.register_opts(certificates_opts, group=certificates_group)


def list_opts():
    return {certificates_group: certificates_opts}
