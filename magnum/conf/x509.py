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
from oslo_config import types

# The extension and key usage names the options accept;
# magnum.common.x509.operations maps each to its X.509 object.
EXTENSION_NAMES = (
    'authorityKeyIdentifier',
    'subjectKeyIdentifier',
    'authorityInfoAccess',
    'basicConstraints',
    'cRLDistributionPoints',
    'certificatePolicies',
    'extendedKeyUsage',
    'OCSPNoCheck',
    'inhibitAnyPolicy',
    'keyUsage',
    'nameConstraints',
    'subjectAltName',
    'issuerAltName',
)

KEY_USAGE_NAMES = (
    'Digital Signature',
    'Non Repudiation',
    'Key Encipherment',
    'Data Encipherment',
    'Key Agreement',
    'Certificate Sign',
    'CRL Sign',
    'Encipher Only',
    'Decipher Only',
)

x509_group = cfg.OptGroup(
    'x509',
    title='X.509 signing',
    help=(
        'What Magnum accepts and produces when it signs certificates '
        'with a cluster\'s CA.'
    ),
)

x509_opts = [
    cfg.BoolOpt(
        'allow_ca',
        default=False,
        help=(
            'Allow a signing request to ask for a CA certificate '
            '(basicConstraints CA:TRUE, or the Certificate Sign and CRL '
            'Sign key usages). Leave it off: such a certificate could '
            'sign further certificates trusted by the cluster. While it '
            'is off, such requests are refused.'
        ),
    ),
    cfg.ListOpt(
        'allowed_extensions',
        item_type=types.String(choices=EXTENSION_NAMES),
        default=[
            'keyUsage',
            'extendedKeyUsage',
            'subjectAltName',
            'basicConstraints',
            'subjectKeyIdentifier',
        ],
        help=(
            'X.509 extensions a signing request may carry into the '
            'signed certificate. Others are dropped, or the request is '
            'refused when it marks them critical. Narrow it to '
            'restrict what users\' certificates can claim.'
        ),
    ),
    cfg.ListOpt(
        'allowed_key_usage',
        item_type=types.String(choices=KEY_USAGE_NAMES),
        default=[
            'Digital Signature',
            'Key Encipherment',
            'Non Repudiation',
        ],
        help=(
            'Key usages a signing request may ask for. Others are '
            'cleared, or the request is refused when its key usage '
            'extension is critical. Narrow it to restrict what users\' '
            'certificates can be used for.'
        ),
    ),
    cfg.IntOpt(
        'term_of_validity',
        default=1825,
        min=1,
        help=(
            'Days a certificate Magnum generates or signs stays valid. '
            'Shorten it to limit how long a leaked certificate can be '
            'used; clusters then need their CA rotated more often.'
        ),
    ),
    cfg.StrOpt(
        'key_type',
        default='rsa',
        choices=[
            ('rsa', 'RSA keys of rsa_key_size bits'),
            ('ecdsa', 'ECDSA keys on the NIST P-256 curve'),
        ],
        help=(
            'Type of the keys Magnum generates for cluster CAs and for '
            'the certificates it issues itself. ECDSA keys are much '
            'faster to generate and smaller; choose rsa when something '
            'that talks to the clusters does not support ECDSA.'
        ),
    ),
    cfg.IntOpt(
        'rsa_key_size',
        default=2048,
        min=2048,
        max=8192,
        help=(
            'Size in bits of the RSA keys Magnum generates. Raise it '
            '(e.g. 4096) when a security policy demands longer keys; '
            'generation gets slower (a 4096-bit key takes about ten '
            'times as long as a 2048-bit one, and a cluster needs four).'
        ),
    ),
    cfg.IntOpt(
        'expiry_warning_days',
        default=30,
        min=0,
        help=(
            'Days before a cluster\'s CA or Magnum client certificate '
            'expires from which the cluster\'s CertificatesValid '
            'condition turns False, naming the expiry date, so that '
            'the CA is rotated in time.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(x509_group)
    conf.register_opts(x509_opts, group=x509_group)


def list_opts():
    return {x509_group: x509_opts}
