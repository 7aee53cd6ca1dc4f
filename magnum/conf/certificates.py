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
    # Earlier releases defaulted to "barbican"; no Barbican
    # certificate manager ships yet, so the default is the one that does.
    cfg.StrOpt(
        'cert_manager_type',
        default='x509keypair',
        help=(
            'Certificate manager that stores cluster certificates: '
            '"x509keypair" keeps them in Magnum\'s database with the '
            'private keys encrypted (see encryption_key), "local" in '
            'files under storage_path (testing only), or the name of a '
            'manager installed in the entry-point group '
            'magnum.cert_manager.backend (such as "barbican", which '
            'keeps private keys in the Barbican key manager, where one '
            'is installed).'
        ),
    ),
    cfg.StrOpt(
        'storage_path',
        default='/var/lib/magnum/certificates/',
        help=(
            'Directory where the "local" certificate manager writes '
            'certificates and keys. Magnum creates it with mode 0700 '
            'and every file in it with mode 0600; it must be private '
            'to the Magnum services.'
        ),
    ),
    cfg.StrOpt(
        'encryption_key',
        secret=True,
        help=(
            'Key that encrypts the private keys the "x509keypair" '
            'certificate manager stores in the database (AES-256-GCM), '
            'so that a copy of the database alone yields no usable key. '
            'A random 32-byte value in base64; generate one with '
            '"openssl rand -base64 32" (or python3 -c "import base64, '
            'os; print(base64.urlsafe_b64encode(os.urandom(32)).'
            'decode())"). Set the same value on every conductor and '
            'keep a backup of it: without it, no stored private key can '
            'be read and every cluster\'s CA must be rotated. When '
            'unset, the key in encryption_key_file is used.'
        ),
    ),
    cfg.StrOpt(
        'encryption_key_file',
        default='$state_path/certificate-encryption.key',
        help=(
            'File holding the key that encrypts stored private keys, '
            'used when encryption_key is unset. If the file does not '
            'exist, the conductor creates it on first use with a new '
            'random key, mode 0600 (convenient for a single-host '
            'installation; back the file up). It must not be readable '
            'by other users: Magnum refuses a key file with any '
            'permission for "other". With conductors on several hosts, '
            'set encryption_key instead (or give every host the same '
            'file), or each host encrypts with a key of its own that '
            'the others cannot read. Set it empty to forbid creating a '
            'key: then Magnum refuses to store private keys until '
            'encryption_key is set.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(certificates_group)
    conf.register_opts(certificates_opts, group=certificates_group)


def list_opts():
    return {certificates_group: certificates_opts}
