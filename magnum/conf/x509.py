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
            '(basicConstraints CA:TRUE). Leave it off: such a '
            'certificate could sign further certificates trusted by the '
            'cluster.'
        ),
    ),
    cfg.ListOpt(
        'allowed_extensions',
        default=[
            'keyUsage',
            'extendedKeyUsage',
            'subjectAltName',
            'basicConstraints',
            'subjectKeyIdentifier',
        ],
        help=(
            'X.509 extensions a signing request may carry into the '
            'signed certificate; others are refused. Narrow it to '
            'restrict what users\' certificates can claim.'
        ),
    ),
    cfg.ListOpt(
        'allowed_key_usage',
        default=[
            'Digital Signature',
            'Key Encipherment',
            'Non Repudiation',
        ],
        help=(
            'Key usages a signing request may ask for; others are '
            'refused. Narrow it to restrict what users\' certificates '
            'can be used for.'
        ),
    ),
    cfg.IntOpt(
        'term_of_validity',
        default=1825,
        min=1,
        help=(
            'Days a certificate Magnum signs stays valid. Shorten it '
            'to limit how long a leaked certificate can be used.'
        ),
    ),
    cfg.IntOpt(
        'rsa_key_size',
        default=2048,
        min=1024,
        help=(
            'Size in bits of the RSA keys Magnum generates. Raise it '
            '(e.g. 4096) when a security policy demands longer keys; '
            'generation gets slower.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(x509_group)
    conf.register_opts(x509_opts, group=x509_group)


def list_opts():
    return {x509_group: x509_opts}
