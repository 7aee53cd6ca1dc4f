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

"""Keys, cluster CAs, issued certificates and CSR signing
(magnum/common/x509/operations.py; compatibility.rst, "Certificates").

Certificates are checked with the real ``openssl`` command: CSRs made by
``openssl req`` are signed and the chain is verified with ``openssl
verify -x509_strict``. The helpers here serve the conductor tests too.
"""

import base64
import datetime
import ipaddress
import os
import shutil
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import ExtensionOID
from cryptography.x509.oid import NameOID
import pytest

from magnum.common import exception
from magnum.common.x509 import operations
from magnum.conf import x509 as x509_conf

OPENSSL = shutil.which('openssl')

# openssl req reads a configuration; this one adds nothing to requests.
MINIMAL_OPENSSL_CONFIG = '[req]\ndistinguished_name = dn\n[dn]\n'

# A CSR for a 16384-bit RSA key, made once with
# "openssl req -new -newkey rsa:16384 -nodes -subj /CN=huge" (making such a
# key takes minutes, so it is not made at each run).
HUGE_RSA_CSR = (
    '-----BEGIN CERTIFICATE REQUEST-----\n'
    'MIIQVDCCCDwCAQAwDzENMAsGA1UEAwwEaHVnZTCCCCIwDQYJKoZIhvcNAQEBBQAD\n'
    'gggPADCCCAoCgggBALIPr/6zKlc3Iux5igd23Jne5Jy2slP9Fa77YjC42Zb04EnX\n'
    'vY1al/2kyl4T3UKVq9iSK/v+pX+o1bOkSCuXOErzboJ+9ZkyTksZ9FXhVXXtEMJX\n'
    '7QHnmLl23MbzgjInkaoAXpOa03oXbBYjiWEOn0MRdGPPM+bySVglYmNx1JiWM/ws\n'
    'IhVlFjjPAgY89jsxxpboqEe5dJQyw+C4I2Lu5Anuand9Qo9VzpL74s96dKMoXyve\n'
    'DxrYPMbAq+pH5mbY0ZnJa1VesbJkhzlBAA3n+TA9L8pocPBuOwNv4BGRFkUTPt3x\n'
    'z2AlZpnszzOc01y02eoku7f8kTtae2tdI8b5F3sY4AWTDYR40G48YHAjUiD0AuhT\n'
    'TO0Q0zxJ1bKt0KnceaIc1wMoxu1lwFViDCGUMMKy0nLFhN2HnTm8Z9szzw112I/K\n'
    'WEc6gOSkC+lUny05l/tu1cn/DZXsbcUwB2myeZ4zyzrLpXLkEArL+F5ucMkfnI8M\n'
    '1nz+tr//NvbZl0FoO5CheUNa3lGH2hHZ+cYBz1TZMsMfd1pLYc7em/9gEIVaMxwz\n'
    'wrI9WVWHIskRZ5nOZxVfXtoZzpLNxNjqbLCJWdRnNoDn66C2ML7/qvmaPaWdmJxe\n'
    '5UVe1ON3XsUkZBYz7JF0LWK86YXOqEqrcm4XvzpYVY3yjfmEwksgurE26j/AVZDg\n'
    'KSsSuXutg8hu7PnjIG90hQP2CnLIA+rogPfVwba/UQYxphftbu3qAcefJzaX0akY\n'
    'pxo8SQYmBOzk8Arnw5VuwDmLIMXWz7/1mbiOWXDusyCUo3uY01Z04mi48q/tyQ9g\n'
    'FXk8HiY7hvdRsFKU8vmbBe7DNdymYDTCjp8ZBBI99KhNpcL9Hvvxs1y2Y/6iAAfJ\n'
    'Z6GHIv6nxgwxnk8MruDiOinkjNEdpxHI+YU+oSUC/kjlohgFWdafK+p9Uz03dj26\n'
    'Lp5uKtuO+v/vA0KxsbQ8yeUwpVwYD5gS8EdiFy3cuVW5IMGMPz9nHRAERPp3QWa/\n'
    'OFuH1n6j9LUoIdT3+uptjr+i3gBJRnzXcVbIe9pwGmncs3tTlqSMdm4gOTFrJz4J\n'
    'RzkMkjXrJJ2fg3eEcAfsE6GNI8VesDeAKqzrbUcYdb31s1i+pHHBKrEiCreqbhoK\n'
    'WS/OPR9zL4MGcn207ff0l24h2EpgfoeTU2c6TgKye89tKjAz7YSYDXArPs3JZuZC\n'
    'EuB4nHE1IEUITaCOWKxuDkcZnfwxOKKXriAZVMOJ/++PdPbSmDqZl0KS3OnI4Sjy\n'
    'mwcOD1gQ7lsZ80CexKrgEvvnab9o5Yv+2P85l9/X3vEiPEsl3ercVZUFBs428yw8\n'
    'OT2YQE8G+d0Gva8pvxeMYqgB7LRMsiayFlRbiXn1rhMo43d9P9i1Bm6VGPG846dZ\n'
    'H5Y0YWozWYAs8Kdtch0aNa2OsBBWN24hvD5kB88S9l72jdWUf731fxwT+fvXDpTr\n'
    '9KxbAwhJWY2iQwdVT/EWsevq0mA2Pme0q2VoFb8h8sO+8zjpACR3ilq5XvyRMB9q\n'
    'dXk3oBlwBv4APvL5qU/LXG2/+uGhzgJcxbk8QcDqTh3rjjFCfwkkaIdiYtGNdmuR\n'
    'IrP6QTePNBjdEyIdBynsHmE+1Fa5aq6jXxPskAp6rUq+hcdV2HN5Rytbm6Q1AkPh\n'
    '1iOn7JRsYCZ+k/mGssWyfud7LPGmOYxHrD6pIEZDoYHmItcgc5LXvMXb54IHeZ0o\n'
    'ff8cLrYKalaqh+Uk7xz+1o+u7ivDhpCz80oa2MSJDhltYDNWRlUmiUWWGrrguahm\n'
    'A3T3dt/rfj5QmUGbytjGx+cfXU2xAjiAclA5i2uBqkIQU8VFweAnWvp8edRaxY+w\n'
    'hbJ4ddO4u6GoWry5dx9YMKprxtDv4+Pt/lkISkO/b07eAA3TrRlpK/31STr2Sc3M\n'
    'iBzUMfOkUEtDLYFcelIsYRoDdogfn7FRT7mrYw50pxwpuEI3m9n1bzcdjaG5cLbD\n'
    'i3YkcPoyg2PrRmATtcNI4L9qt1jgmeKMjBZIVb4IUJsYq7hbzvEleFObRLNN0Upu\n'
    'H1G8gyoMkpWoeHBPpZSLGDOc6Li4wmA+9h4E1QKKfrRsUSmB2xzXHCiQ1imyrXyR\n'
    '3IyealU090e2ysQwFJzLTb9YpkNDpYe2sBouU8NZz6FEdGzurXbvbZny4P9PFgaj\n'
    'fk3ulgGYR5AaQ9o453UMNiEv1oUx4bFZMQNbXSMEO+9BL8UidCv/JC2qKdXye0lB\n'
    'GqaW5HlSSLfBWdCpua4q0NM62HahS/FRulB9xj9AVmsUauDAPEW9LHGtCZ3o/rMd\n'
    'LLKzPpz6kb5cThQv+ObSshoj81oiFY4Rus1XYpGj3QWwKaN7bitZQ0cclk2g0GuF\n'
    'a6xwmndPHggM8kd4w3D3aiqFdryt1aWYyZanjPPo/jMtAB4MesI5terAqg3s3GMG\n'
    'WE306zlskPxGTbxNlktK/OvxA77NG+yQ/ogJDtL7l8PpkY76L7pHHeztok07MG+y\n'
    'kNSFCnzH9oiG0WeCWnQXa7/pbfyyoQIvErYquVQprsxqwi0WhsXHbBsy1u11tO1N\n'
    'JoIcugRYMkHpZ6wpKjEUblXQvZ4jrCgQ520/jgkGXpbglsZImiGztlxLcvoXJgks\n'
    '6gnLf1gYC3LNMpfoudNb5BCVLOyICqbLyi1jLXMIjTduLOPRXl2KTYimrVNXlGgV\n'
    'LlVO2pMwPappbPRMlZOB5AnX4glIa0U1Eru8KHAt/9ot6A/2Gv8WM7NC8/4tAgMB\n'
    'AAGgADANBgkqhkiG9w0BAQsFAAOCCAEAOxyGFk+dAxNU+AcBtnQe9DiIpVHkyDW6\n'
    'hz7Kjetjfo/UaEAG9DG5j12mbcOyiCWxdc2h7MaYb4sCehjNZSaXJPo8HOkPwPoi\n'
    'kf9km903Zm2716EEErJpKb9QOsOd47Ktk+WEek03Nr7gODnYwJsxHHnPzoppu4QL\n'
    'KIWx0A6PuSd0bG1CnRNhGCuiuL9rL61GNUdc+OReAHF+zccq340QemA4DmZVwDXS\n'
    'v25/vkov5AtaSCuXiZSlwmWEEIz67NkxkgVhnteKBrjWf0qhiuY0mMgVY9q/TJBs\n'
    '+VyhSAK0FCAPmtWHNhbMMKXh7JXARsbo6j7i09Nfdufb205Ti3Tihg1t91DQEUTM\n'
    'p4kZpmrw4xTA/p00cle45nZZGYwkMN+h1jjQSnDw5If5KiFZdvOQo+5TfVEBMc/L\n'
    'r9t5/hxNN4S3bGcNrm6BKPaQgGVoiO34qgY7m0IhZJ4gQL6Y3vRzYu+pVqq9h2xe\n'
    'Lufh65HPEYuzkLuKkm20noJ2+poDFiYwfZqtG+Tw95tskddns0665qYYxXMzvSZf\n'
    'oRTEh5CP5Ub1X4W5L1Qo+rRw9Eakw7aOPyoSQkvIKfLKmxWbNLNiSrz3Vw40OwWE\n'
    'XTVu0ru2IjWoPB3WresfUIdUPmDr5sYjZx0MYpzdtgUbpuTG/Lw6aowbJJiyjVps\n'
    'C8ob5QdUwByzoOLwlOdJO2puIi9kPiZvYmL9PIo6PNJMAQbpWOd4lENa9I6QJGof\n'
    'KSSJzY7ktddc96JJSs85BXYRDH9sB/xLF8xw82szeyWsrg9GYtXUiLWPJX3Jcmjw\n'
    'C6W9w20pmk7QUjZ2YXn6AVZesVKwyYnQ+nhaDEJSvBr51qnk0RWbAGP5XGJaoQcI\n'
    'C5a3lvTdiBblEE5sWNo+cs52iQhgNKPeWCvgLHv/QchKkX+s+lWzVbXl2LJLPYXA\n'
    'Fxls+LJ5AdIBWVFXG7Sld4WKnWalfnOTh1aJIzwSHHhC5oY5k/Ech+4SooNsKD5Z\n'
    'NK6GraZzVOjdxfURA9v9r0wZ56tbKqX9bv7kFGFeSsn5H5MMUtcHa2mIRfhI+9na\n'
    '3tzPSil2+G20QUwMCjKwkPEJN12LGlPYcGyQqcPa/QDlBIVkdZnhF1+WyoSJ6Y1M\n'
    'z+9FUDm71UlKln+0JMf9SqTommtXai0f93E9GqV6egr1Jgskvy+P2kSZXNyAtWMq\n'
    '4BYaNsT7LvlswvEr6cg8tVZ1NKkf+a09A7DZ9Pbwy6A6TiDY/6Zu6JWwgC09K73V\n'
    'TdyNGnD+mpZaA2Ww82E1rsVyTQKIazxbvQHJxhD8PPwHdh3EwqQqzW2w74Em4YRl\n'
    'gSTZdsrjtEb/12Q10KPLpb7pXL9sb2aqb8K01wlnkxVPtQcVRf4fYe2NwotE30Ub\n'
    'G7Dym8Udzc+pgpSK13MCXHCGXsJuHliaLl6YowmS29Rsqr6DAG+PGUKw6+rH896D\n'
    'SE9/yqhdEfov4+X7V6eyZSpSiJb7E8Vqbp4S6wjs3MMqrSSYUVFLkUDXDXSB7t8r\n'
    'DyhZ/Zm4hvBvcbpcPoKNsAjNZ8qXRbv9YDro4sU7E+SDJsZ816/wFw4k8mpIGIxF\n'
    'z/UUSl3BJCybdQH3NtWpdZmzvGbrGO4G9nJaSvDrbvaP1TBIGtZkLmG0fw8dO05+\n'
    'd6BSEt/Z+yc0ctNwg0bZBsQBWUwLOdWrQ71GkfTocRxVliYV8ZM7I15fvYHnSI8L\n'
    '4RKdggJSHALvcyYpuNq1ijw3a8fuuBGNNeS+1cZgVSs0mwJBmZ7WLLF94aQngxQV\n'
    'o1ycWlkba16qg+n8AjJveRnphS6KuNJ1OozrjlGY3f+U4swSe9g0vTLsj9l+ngQF\n'
    'ibZUv0OiW+f2EfJ6fvAUgXU9okb1pOmCmP6WvGbA3DDSSmtRf1eFAdQ90OiAWJVE\n'
    'OwlCy22/WWKVbXOlGUDZpcBn67Svht4kcnxDbnweAVklL7uFB0f2RbCMdoB4D0cR\n'
    '0PVCpqGr35Z22YsBejtSg6DvAUpB06g6HLYFBrFAhEHynmTdNsqwWbNkyggWWhvR\n'
    'KTgOrjljhXYsdEtCiYra8f4PCf7cEYdfAwLRrcQWdDWe+UvPO0Bzo+rU/yb5HPxv\n'
    'r2LbzyRjFn6BgLW3oQl2QsvnZSQpuaeL8T0oweM6OmJUcCNry7uj2hjyJgza/55v\n'
    'gEfod5+WWotNpSYskTpqL0WQkltDY5uJerSSArbMlL807aM0T9kcv9dWsCyAmoBX\n'
    'q9cKDNUKBn0xVs70HYvnVtbtYV3nqgc7DHuA3Z3MnGbdH/X7YGJUYnk6CiDr8Ird\n'
    '1XS3bGqszZiEznERbULa+8E5MQr+sKoTxGaMt4MBSsByFKDxE53PA246yQs2xOhh\n'
    'RXRlv682AGfLCFUItxehoVTdszPtrq0I0YPyLi+ifBJMYVZfS7F9E7zJioUgJh7L\n'
    'NvMcryCL/hONtVUpsc/KBVLVCIaoR1O8JyKr9s+uKli+m4UaclqfFO5POhHLLvRc\n'
    '7yoUrmWFQcBRxhARtFDW5Mu5Rw2joes0m+tH8ZT4/xRVbJZXwx/aEiLbymc7jA/+\n'
    'DVzy4cTHatNCgs71+oKEYFI+u1jLj2PXqVPOuWgJMjWWyHRhW3lXpUIBwJOkS+6k\n'
    '3foUPS0mApsSCnFR7x+te0QSEhHSoW/uFJ71b9OnucSg2mQwCBkc/bJ5ZkC0Icex\n'
    '9xgHW/00S5c1o8+jMZQDBa0RtEvLxSd8ew1Vo2u0zIu6qP7My0SgsDOU3/XJAZQO\n'
    'KNaj/gWXFB8=\n'
    '-----END CERTIFICATE REQUEST-----\n')


# -- helpers (the conductor tests use them too) -------------------------------

class OpenSSL:
    """The openssl command, working in a directory of its own."""

    def __init__(self, directory):
        assert OPENSSL, ('these tests need the openssl command '
                         '(apt-get install openssl)')
        self.directory = str(directory)
        self._files = 0
        self.config = self.write('openssl.cnf', MINIMAL_OPENSSL_CONFIG)

    def run(self, *args, check=True):
        result = subprocess.run([OPENSSL, *args], cwd=self.directory,
                                capture_output=True, text=True, timeout=300,
                                check=False)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def write(self, name, text):
        self._files += 1
        path = os.path.join(self.directory, '%d-%s' % (self._files, name))
        with open(path, 'w') as stream:
            stream.write(text)
        return path

    def new_key(self, kind='rsa:2048'):
        """A key file: rsa:<bits>, ec (P-256) or ed25519."""
        self._files += 1
        path = os.path.join(self.directory, '%d-key.pem' % self._files)
        if kind.startswith('rsa:'):
            options = ['-algorithm', 'RSA', '-pkeyopt',
                       'rsa_keygen_bits:%s' % kind.split(':')[1]]
        elif kind == 'ec':
            options = ['-algorithm', 'EC', '-pkeyopt',
                       'ec_paramgen_curve:P-256']
        else:
            options = ['-algorithm', kind.upper()]
        self.run('genpkey', *options, '-out', path)
        return path

    def csr(self, key_path, subject='/CN=admin/O=system:masters',
            extensions=()):
        """A CSR made by ``openssl req`` (PEM); ``extensions`` as for
        -addext."""
        args = ['req', '-config', self.config, '-new', '-key', key_path,
                '-subj', subject]
        for extension in extensions:
            args += ['-addext', extension]
        return self.run(*args).stdout

    def verify(self, ca_pem, cert_pem, *options):
        """``openssl verify -x509_strict`` of the certificate against the
        CA (the completed process; returncode 0 when it verifies)."""
        ca_path = self.write('ca.pem', ca_pem)
        cert_path = self.write('cert.pem', cert_pem + '\n')
        return self.run('verify', '-x509_strict', '-CAfile', ca_path,
                        *options, cert_path, check=False)

    def text(self, cert_pem):
        path = self.write('show.pem', cert_pem + '\n')
        return self.run('x509', '-noout', '-text', '-in', path).stdout


def assert_verifies(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(': OK')


def magnumclient_csr(extended_key_usage=False):
    """A CSR as python-magnumclient makes one for a kubeconfig: RSA 2048,
    CN=admin, O=system:masters (optionally asking for clientAuth)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'admin'),
                   x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                      'system:masters')]))
    if extended_key_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False)
    request = builder.sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode()


def with_broken_signature(csr_pem):
    """The CSR with one byte of its signature flipped."""
    der = bytearray(x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(
        serialization.Encoding.DER))
    der[-1] ^= 0x01
    body = base64.encodebytes(bytes(der)).decode()
    return ('-----BEGIN CERTIFICATE REQUEST-----\n%s'
            '-----END CERTIFICATE REQUEST-----\n' % body)


def extension(certificate, oid):
    return certificate.extensions.get_extension_for_oid(oid)


def has_extension(certificate, oid):
    try:
        extension(certificate, oid)
    except x509.ExtensionNotFound:
        return False
    return True


@pytest.fixture(scope='session')
def openssl(tmp_path_factory):
    return OpenSSL(tmp_path_factory.mktemp('openssl'))


@pytest.fixture(scope='session')
def rsa_key_file(openssl):
    return openssl.new_key('rsa:2048')


@pytest.fixture(scope='session')
def ec_key_file(openssl):
    return openssl.new_key('ec')


@pytest.fixture(scope='session')
def hostile_csrs(openssl, rsa_key_file):
    """CSRs Magnum must refuse: name -> (PEM, expected exception)."""
    def csr(*extensions):
        return openssl.csr(rsa_key_file, '/CN=mallory', extensions)

    invalid = exception.InvalidCsr
    refused = exception.CertificateValidationError
    return {
        'ca_true': (csr('basicConstraints=CA:TRUE'), refused),
        'ca_true_critical': (csr('basicConstraints=critical,CA:TRUE'),
                             refused),
        'key_cert_sign_critical': (csr('keyUsage=critical,keyCertSign'),
                                   refused),
        'crl_sign_critical': (
            csr('keyUsage=critical,digitalSignature,cRLSign'), refused),
        'critical_disallowed_extension': (
            csr('nameConstraints=critical,permitted;DNS:example.com'),
            refused),
        'bad_signature': (with_broken_signature(csr()), invalid),
        'huge_rsa_key': (HUGE_RSA_CSR, refused),
        'small_rsa_key': (openssl.csr(openssl.new_key('rsa:1024'),
                                      '/CN=small'), refused),
        'ed25519_key': (openssl.csr(openssl.new_key('ed25519'), '/CN=ed'),
                        refused),
        'garbage': ('this is not a certificate request', invalid),
        'garbage_pem': ('-----BEGIN CERTIFICATE REQUEST-----\nAAAAAAAA\n'
                        '-----END CERTIFICATE REQUEST-----\n', invalid),
        'certificate_instead': (
            operations.certificate_to_pem(operations.generate_ca_certificate(
                'not-a-csr', key=ec.generate_private_key(ec.SECP256R1()),
                term_of_validity=1)[0]), invalid),
    }


HOSTILE = ['ca_true', 'ca_true_critical', 'key_cert_sign_critical',
           'crl_sign_critical', 'critical_disallowed_extension',
           'bad_signature', 'huge_rsa_key', 'small_rsa_key', 'ed25519_key',
           'garbage', 'garbage_pem', 'certificate_instead']


@pytest.fixture(scope='module')
def ca():
    """A cluster CA (certificate, key) made once for the module."""
    return operations.generate_ca_certificate(
        'test-cluster', key=rsa.generate_private_key(65537, 2048),
        term_of_validity=3650)


@pytest.fixture(scope='module')
def ca_pem(ca):
    return operations.certificate_to_pem(ca[0])


@pytest.fixture
def issued(monkeypatch):
    """How many certificates were signed during the test."""
    calls = []
    original = operations._issue

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(operations, '_issue', spy)
    return calls


def sign(ca, csr, **kwargs):
    return operations.sign_csr(csr, ca[0], ca[1], **kwargs)


def pem(certificate):
    return operations.certificate_to_pem(certificate)


# -- keys ---------------------------------------------------------------------

class TestKeys:

    def test_rsa_2048_by_default(self):
        key = operations.generate_private_key()
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.key_size == 2048
        assert key.public_key().public_numbers().e == 65537

    def test_rsa_size_from_config(self, magnum_config):
        magnum_config.config(group='x509', rsa_key_size=4096)
        assert operations.generate_private_key().key_size == 4096

    def test_ecdsa_p256_from_config(self, magnum_config):
        magnum_config.config(group='x509', key_type='ecdsa')
        key = operations.generate_private_key()
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert key.curve.name == 'secp256r1'

    def test_config_refuses_weak_or_unknown_keys(self, magnum_config):
        with pytest.raises(ValueError):
            magnum_config.config(group='x509', rsa_key_size=1024)
        with pytest.raises(ValueError):
            magnum_config.config(group='x509', key_type='dsa')
        with pytest.raises(exception.InvalidParameterValue):
            operations.generate_private_key('dsa')

    def test_private_key_pem_is_pkcs8_and_loads_back(self):
        key = ec.generate_private_key(ec.SECP256R1())
        text = operations.private_key_to_pem(key)
        assert text.startswith('-----BEGIN PRIVATE KEY-----')
        loaded = operations.load_private_key(text)
        assert loaded.private_numbers() == key.private_numbers()

    def test_encrypted_key_is_decrypted_with_its_passphrase(self):
        key = ec.generate_private_key(ec.SECP256R1())
        encrypted = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b'sesame')).decode()
        text = operations.decrypted_private_key_pem(encrypted, 'sesame')
        assert 'ENCRYPTED' not in text
        with pytest.raises(ValueError) as error:
            operations.load_private_key(encrypted, 'wrong')
        assert 'sesame' not in str(error.value)

    def test_unreadable_key_error_does_not_quote_it(self):
        secret = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n' \
                 '-----END PRIVATE KEY-----\n'
        with pytest.raises(ValueError) as error:
            operations.load_private_key(secret)
        assert 'c2VjcmV0' not in str(error.value)


# -- certificates Magnum makes itself -----------------------------------------

class TestCertificateAuthority:

    def test_is_a_signing_only_ca(self, ca, ca_pem, openssl):
        certificate, key = ca
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                             'test-cluster')])
        assert certificate.subject == name
        assert certificate.issuer == name
        constraints = extension(certificate, ExtensionOID.BASIC_CONSTRAINTS)
        assert constraints.critical
        assert constraints.value.ca and constraints.value.path_length == 0
        usage = extension(certificate, ExtensionOID.KEY_USAGE)
        assert usage.critical
        assert usage.value == operations._key_usage(key_cert_sign=True)
        ski = extension(certificate, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        assert not ski.critical
        assert ski.value == x509.SubjectKeyIdentifier.from_public_key(
            key.public_key())
        assert isinstance(certificate.signature_hash_algorithm,
                          hashes.SHA256)
        assert_verifies(openssl.verify(ca_pem, ca_pem))
        assert 'CA:TRUE, pathlen:0' in openssl.text(ca_pem)

    def test_valid_from_a_day_ago_for_the_configured_term(
            self, magnum_config):
        magnum_config.config(group='x509', term_of_validity=30)
        now = datetime.datetime(2030, 1, 2, 3, 4, 5,
                                tzinfo=datetime.timezone.utc)
        certificate, _ = operations.generate_ca_certificate(
            'c', key=ec.generate_private_key(ec.SECP256R1()), now=now)
        assert certificate.not_valid_before_utc == \
            now - datetime.timedelta(days=1)
        assert certificate.not_valid_after_utc == \
            now + datetime.timedelta(days=30)

    def test_serial_numbers_are_random_128_bit(self):
        serials = {operations.random_serial_number() for _ in range(64)}
        assert len(serials) == 64
        assert all(0 < serial < 2 ** 128 for serial in serials)
        assert max(serial.bit_length() for serial in serials) > 120

    def test_ecdsa_ca(self, openssl):
        certificate, key = operations.generate_ca_certificate(
            'ec-cluster', key=ec.generate_private_key(ec.SECP256R1()))
        assert isinstance(certificate.signature_hash_algorithm,
                          hashes.SHA256)
        assert_verifies(openssl.verify(pem(certificate), pem(certificate)))

    @pytest.mark.parametrize('name', ['', 'x' * 65])
    def test_common_name_must_fit(self, name):
        with pytest.raises(exception.InvalidParameterValue):
            operations.generate_ca_certificate(
                name, key=ec.generate_private_key(ec.SECP256R1()))


class TestIssuedCertificates:

    def test_client_certificate(self, ca, ca_pem, openssl):
        certificate, key = operations.generate_client_certificate(
            ca[0], ca[1], 'admin', 'system:masters')
        assert certificate.subject.rfc4514_string() == \
            'O=system:masters,CN=admin'
        assert certificate.issuer == ca[0].subject
        assert extension(certificate, ExtensionOID.BASIC_CONSTRAINTS) \
            .value.ca is False
        usage = extension(certificate, ExtensionOID.KEY_USAGE)
        assert usage.critical
        assert usage.value.digital_signature and \
            usage.value.key_encipherment
        assert not usage.value.key_cert_sign
        assert list(extension(certificate,
                              ExtensionOID.EXTENDED_KEY_USAGE).value) == [
            ExtendedKeyUsageOID.CLIENT_AUTH]
        aki = extension(certificate, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        assert aki.value.key_identifier == extension(
            ca[0], ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
        assert_verifies(openssl.verify(ca_pem, pem(certificate),
                                       '-purpose', 'sslclient'))
        assert openssl.verify(ca_pem, pem(certificate), '-purpose',
                              'sslserver').returncode != 0

    def test_server_certificate_names_its_addresses(self, ca, ca_pem,
                                                    openssl):
        certificate, key = operations.generate_server_certificate(
            ca[0], ca[1], 'master-0', ['master-0', 'master-0.example.org'],
            ['10.0.0.5', ipaddress.ip_address('fd00::5')])
        names = extension(certificate,
                          ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        assert names.get_values_for_type(x509.DNSName) == [
            'master-0', 'master-0.example.org']
        assert names.get_values_for_type(x509.IPAddress) == [
            ipaddress.ip_address('10.0.0.5'), ipaddress.ip_address('fd00::5')]
        text = pem(certificate)
        for check in (['-verify_ip', '10.0.0.5'],
                      ['-verify_ip', 'fd00::5'],
                      ['-verify_hostname', 'master-0.example.org']):
            assert_verifies(openssl.verify(ca_pem, text, '-purpose',
                                           'sslserver', *check))
        assert_verifies(openssl.verify(ca_pem, text, '-purpose',
                                       'sslclient'))
        assert openssl.verify(ca_pem, text, '-verify_ip',
                              '10.0.0.6').returncode != 0

    def test_ecdsa_server_key_only_signs(self, ca):
        certificate, _ = operations.generate_server_certificate(
            ca[0], ca[1], 'node', ['node'], [],
            key=ec.generate_private_key(ec.SECP256R1()))
        usage = extension(certificate, ExtensionOID.KEY_USAGE).value
        assert usage.digital_signature and not usage.key_encipherment

    def test_a_bad_address_is_refused(self, ca):
        with pytest.raises(exception.InvalidParameterValue):
            operations.generate_server_certificate(
                ca[0], ca[1], 'node', [], ['10.0.0.300'])

    def test_never_outlives_its_ca(self, magnum_config):
        ca_cert, ca_key = operations.generate_ca_certificate(
            'short', key=ec.generate_private_key(ec.SECP256R1()),
            term_of_validity=10)
        magnum_config.config(group='x509', term_of_validity=1000)
        certificate, _ = operations.generate_client_certificate(
            ca_cert, ca_key, 'admin',
            key=ec.generate_private_key(ec.SECP256R1()))
        assert certificate.not_valid_after_utc == ca_cert.not_valid_after_utc


# -- signing users' CSRs ------------------------------------------------------

class TestSigning:

    def test_openssl_csr_is_signed_and_verifies(self, ca, ca_pem, openssl,
                                                rsa_key_file):
        csr_pem = openssl.csr(
            rsa_key_file, '/C=DE/O=system:masters/OU=ops/CN=admin',
            ['subjectAltName=DNS:admin.example.org,IP:192.0.2.7',
             'extendedKeyUsage=clientAuth,serverAuth',
             'keyUsage=critical,digitalSignature,keyEncipherment'])
        request = x509.load_pem_x509_csr(csr_pem.encode())
        certificate = sign(ca, csr_pem)
        assert certificate.subject == request.subject
        assert certificate.issuer == ca[0].subject
        assert certificate.public_key() == request.public_key()
        assert isinstance(certificate.signature_hash_algorithm,
                          hashes.SHA256)
        assert extension(certificate, ExtensionOID.SUBJECT_ALTERNATIVE_NAME
                         ).value == extension(
            request, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        assert set(extension(certificate, ExtensionOID.EXTENDED_KEY_USAGE
                             ).value) == {ExtendedKeyUsageOID.CLIENT_AUTH,
                                          ExtendedKeyUsageOID.SERVER_AUTH}
        usage = extension(certificate, ExtensionOID.KEY_USAGE)
        assert usage.critical and usage.value.key_encipherment
        assert extension(certificate, ExtensionOID.SUBJECT_KEY_IDENTIFIER
                         ).value == x509.SubjectKeyIdentifier.from_public_key(
            request.public_key())
        assert extension(certificate, ExtensionOID.AUTHORITY_KEY_IDENTIFIER
                         ).value.key_identifier == extension(
            ca[0], ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
        constraints = extension(certificate, ExtensionOID.BASIC_CONSTRAINTS)
        assert constraints.critical and not constraints.value.ca
        text = pem(certificate)
        assert_verifies(openssl.verify(ca_pem, text, '-purpose',
                                       'sslclient'))
        assert_verifies(openssl.verify(ca_pem, text, '-purpose',
                                       'sslserver', '-verify_ip',
                                       '192.0.2.7'))

    def test_ecdsa_csr(self, ca, ca_pem, openssl, ec_key_file):
        certificate = sign(ca, openssl.csr(ec_key_file, '/CN=kubelet'))
        assert isinstance(certificate.public_key(),
                          ec.EllipticCurvePublicKey)
        assert_verifies(openssl.verify(ca_pem, pem(certificate)))

    @pytest.mark.parametrize('with_eku', [False, True])
    def test_magnumclient_csr(self, ca, ca_pem, openssl, with_eku):
        certificate = sign(ca, magnumclient_csr(with_eku))
        assert certificate.subject.rfc4514_string() == \
            'O=system:masters,CN=admin'
        if with_eku:
            assert list(extension(
                certificate, ExtensionOID.EXTENDED_KEY_USAGE).value) == [
                ExtendedKeyUsageOID.CLIENT_AUTH]
        assert_verifies(openssl.verify(ca_pem, pem(certificate), '-purpose',
                                       'sslclient'))

    @pytest.mark.parametrize('name', HOSTILE)
    def test_hostile_csr_is_refused_and_nothing_signed(
            self, ca, hostile_csrs, issued, name):
        csr_pem, error = hostile_csrs[name]
        with pytest.raises(error) as raised:
            sign(ca, csr_pem)
        assert raised.value.code == 400
        assert issued == []

    def test_huge_key_is_refused_by_size(self, ca):
        with pytest.raises(exception.CertificateValidationError) as error:
            sign(ca, HUGE_RSA_CSR)
        assert '16384 bits' in str(error.value)

    def test_a_csr_is_refused_before_the_ca_is_used(self, ca, hostile_csrs):
        with pytest.raises(exception.InvalidCsr):
            operations.load_csr(hostile_csrs['bad_signature'][0])

    def test_ca_allowed_when_configured(self, ca, openssl, rsa_key_file,
                                        magnum_config):
        magnum_config.config(group='x509', allow_ca=True)
        magnum_config.config(group='x509', allowed_key_usage=[
            'Digital Signature', 'Certificate Sign'])
        certificate = sign(ca, openssl.csr(
            rsa_key_file, '/CN=sub',
            ['basicConstraints=critical,CA:TRUE',
             'keyUsage=critical,keyCertSign,digitalSignature']))
        assert extension(certificate,
                         ExtensionOID.BASIC_CONSTRAINTS).value.ca
        assert extension(certificate,
                         ExtensionOID.KEY_USAGE).value.key_cert_sign

    def test_non_critical_ca_usages_are_cleared(self, ca, openssl,
                                                rsa_key_file):
        certificate = sign(ca, openssl.csr(
            rsa_key_file, '/CN=x',
            ['keyUsage=digitalSignature,keyCertSign,cRLSign,dataEncipherment'
             ]))
        usage = extension(certificate, ExtensionOID.KEY_USAGE)
        assert not usage.critical
        assert usage.value == operations._key_usage(digital_signature=True)

    def test_key_usage_with_nothing_allowed_is_dropped(self, ca, openssl,
                                                       rsa_key_file):
        certificate = sign(ca, openssl.csr(rsa_key_file, '/CN=x',
                                           ['keyUsage=keyCertSign']))
        assert not has_extension(certificate, ExtensionOID.KEY_USAGE)

    def test_encipher_only_needs_key_agreement(self, ca, openssl,
                                               ec_key_file, magnum_config):
        csr_pem = openssl.csr(ec_key_file, '/CN=x',
                              ['keyUsage=keyAgreement,encipherOnly'])
        magnum_config.config(group='x509', allowed_key_usage=[
            'Key Agreement', 'Encipher Only'])
        usage = extension(sign(ca, csr_pem), ExtensionOID.KEY_USAGE).value
        assert usage.key_agreement and usage.encipher_only
        magnum_config.config(group='x509',
                             allowed_key_usage=['Encipher Only'])
        assert not has_extension(sign(ca, csr_pem), ExtensionOID.KEY_USAGE)

    def test_disallowed_non_critical_extensions_are_dropped(
            self, ca, openssl, rsa_key_file):
        certificate = sign(ca, openssl.csr(
            rsa_key_file, '/CN=x',
            ['issuerAltName=DNS:evil.example',
             'authorityInfoAccess=OCSP;URI:http://evil.example',
             'subjectAltName=DNS:x.example']))
        assert not has_extension(certificate,
                                 ExtensionOID.ISSUER_ALTERNATIVE_NAME)
        assert not has_extension(certificate,
                                 ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
        assert has_extension(certificate,
                             ExtensionOID.SUBJECT_ALTERNATIVE_NAME)

    def test_narrowed_extension_list(self, ca, openssl, rsa_key_file,
                                     magnum_config):
        magnum_config.config(group='x509', allowed_extensions=['keyUsage'])
        certificate = sign(ca, openssl.csr(
            rsa_key_file, '/CN=x', ['subjectAltName=DNS:x.example']))
        assert not has_extension(certificate,
                                 ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        with pytest.raises(exception.CertificateValidationError) as error:
            sign(ca, openssl.csr(rsa_key_file, '/CN=x',
                                 ['subjectAltName=critical,DNS:x.example']))
        assert 'subjectAltName' in str(error.value)

    def test_the_csr_cannot_choose_its_key_identifiers(self, ca, openssl,
                                                       rsa_key_file):
        certificate = sign(ca, openssl.csr(
            rsa_key_file, '/CN=x', ['subjectKeyIdentifier=0102030405060708']))
        ski = extension(certificate, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        assert ski.value.digest != bytes.fromhex('0102030405060708')
        assert ski.value == x509.SubjectKeyIdentifier.from_public_key(
            certificate.public_key())

    def test_validity_and_serial(self, ca, magnum_config):
        magnum_config.config(group='x509', term_of_validity=10)
        now = datetime.datetime.now(datetime.timezone.utc).replace(
            microsecond=0)
        first = operations.sign_csr(magnumclient_csr(), ca[0], ca[1],
                                    now=now)
        second = operations.sign_csr(magnumclient_csr(), ca[0], ca[1],
                                     now=now)
        assert first.not_valid_before_utc == now - datetime.timedelta(days=1)
        assert first.not_valid_after_utc == now + datetime.timedelta(days=10)
        assert first.serial_number != second.serial_number
        assert 0 < first.serial_number < 2 ** 128

    def test_an_expired_ca_signs_nothing(self, issued):
        past = datetime.datetime.now(datetime.timezone.utc) - \
            datetime.timedelta(days=30)
        old_ca = operations.generate_ca_certificate(
            'old', key=ec.generate_private_key(ec.SECP256R1()),
            term_of_validity=2, now=past)
        issued.clear()
        with pytest.raises(exception.Invalid) as error:
            sign(old_ca, magnumclient_csr())
        assert 'expired' in str(error.value)
        assert issued == []


def test_option_choices_match_the_signing_rules():
    assert set(x509_conf.EXTENSION_NAMES) == set(operations.EXTENSION_OIDS)
    assert set(x509_conf.KEY_USAGE_NAMES) == set(operations.KEY_USAGES)
