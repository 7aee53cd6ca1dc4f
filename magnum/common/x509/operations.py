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

"""Keys, CA and issued certificates, and CSR signing
(doc/source/contributor/compatibility.rst, "Certificates").

Functions over ``cryptography`` objects and PEM text; nothing here stores
anything. Options not given as arguments come from ``[x509]``.

Certificates Magnum makes for itself (the CAs, its client certificate,
server certificates for drivers) get their extensions from the functions
below. A CSR from a user goes through :func:`sign_csr`, which checks the
request's own signature and key and keeps only the extensions
``[x509]`` allows:

- a request for a CA certificate (basicConstraints CA:TRUE) is refused
  unless ``allow_ca``, critical or not;
- key usages outside ``allowed_key_usage`` (without ``allow_ca``, never
  Certificate Sign or CRL Sign) are cleared, or the request is refused
  when its keyUsage extension is critical;
- extensions outside ``allowed_extensions`` are dropped, or the request
  is refused when they are critical;
- the subject and authority key identifiers are always Magnum's own, and
  basicConstraints CA:FALSE is added when the request has none.
"""

import datetime
import ipaddress
import secrets

from cryptography import exceptions as crypto_exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import ExtensionOID
from cryptography.x509.oid import NameOID

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF

KEY_TYPE_RSA = 'rsa'
KEY_TYPE_ECDSA = 'ecdsa'
RSA_PUBLIC_EXPONENT = 65537

# Keys a CSR may carry. Bigger RSA keys make every handshake slow and are a
# cheap way to make the signer work hard; smaller ones are breakable.
MIN_RSA_KEY_SIZE = 2048
MAX_RSA_KEY_SIZE = 8192
ALLOWED_CURVES = ('secp256r1', 'secp384r1', 'secp521r1')

# Certificates are valid from a day ago, so that a node whose clock is a
# little behind accepts them at once.
BACKDATE = datetime.timedelta(days=1)

# X.509 allows 64 characters in a common name.
MAX_COMMON_NAME_LENGTH = 64

SIGNATURE_HASH = hashes.SHA256

EXTENSION_OIDS = {
    'authorityKeyIdentifier': ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    'subjectKeyIdentifier': ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    'authorityInfoAccess': ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    'basicConstraints': ExtensionOID.BASIC_CONSTRAINTS,
    'cRLDistributionPoints': ExtensionOID.CRL_DISTRIBUTION_POINTS,
    'certificatePolicies': ExtensionOID.CERTIFICATE_POLICIES,
    'extendedKeyUsage': ExtensionOID.EXTENDED_KEY_USAGE,
    'OCSPNoCheck': ExtensionOID.OCSP_NO_CHECK,
    'inhibitAnyPolicy': ExtensionOID.INHIBIT_ANY_POLICY,
    'keyUsage': ExtensionOID.KEY_USAGE,
    'nameConstraints': ExtensionOID.NAME_CONSTRAINTS,
    'subjectAltName': ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    'issuerAltName': ExtensionOID.ISSUER_ALTERNATIVE_NAME,
}
EXTENSION_NAMES = {oid: name for name, oid in EXTENSION_OIDS.items()}

# Key usage names of [x509] allowed_key_usage -> KeyUsage arguments.
KEY_USAGES = {
    'Digital Signature': 'digital_signature',
    'Non Repudiation': 'content_commitment',
    'Key Encipherment': 'key_encipherment',
    'Data Encipherment': 'data_encipherment',
    'Key Agreement': 'key_agreement',
    'Certificate Sign': 'key_cert_sign',
    'CRL Sign': 'crl_sign',
    'Encipher Only': 'encipher_only',
    'Decipher Only': 'decipher_only',
}
CA_KEY_USAGES = ('Certificate Sign', 'CRL Sign')


# -- keys ---------------------------------------------------------------------

def generate_private_key(key_type=None, key_size=None):
    """A new private key: ``[x509] key_type`` (RSA of ``rsa_key_size``
    bits, or ECDSA on P-256) unless given."""
    key_type = key_type or CONF.x509.key_type
    if key_type == KEY_TYPE_RSA:
        return rsa.generate_private_key(
            public_exponent=RSA_PUBLIC_EXPONENT,
            key_size=key_size or CONF.x509.rsa_key_size)
    if key_type == KEY_TYPE_ECDSA:
        return ec.generate_private_key(ec.SECP256R1())
    raise exception.InvalidParameterValue(
        err=_('Unknown key type %r; Magnum generates rsa or ecdsa '
              'keys.') % (key_type,))


def private_key_to_pem(key):
    """Unencrypted PKCS#8 PEM text of ``key``."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode('ascii')


def load_private_key(pem, passphrase=None):
    """The private key of PEM text, decrypted with ``passphrase``.

    Errors never quote the key.
    """
    if isinstance(passphrase, str):
        passphrase = passphrase.encode('utf-8')
    try:
        return serialization.load_pem_private_key(_bytes(pem), passphrase)
    except (ValueError, TypeError, crypto_exceptions.UnsupportedAlgorithm):
        # The library's message may describe the key's content; ours not.
        raise ValueError(_('not a readable PEM private key, or the wrong '
                           'passphrase')) from None


def decrypted_private_key_pem(pem, passphrase=None):
    """PEM text of a possibly encrypted private key, as unencrypted
    PKCS#8 PEM."""
    return private_key_to_pem(load_private_key(pem, passphrase))


# -- certificates -------------------------------------------------------------

def certificate_to_pem(certificate):
    return certificate.public_bytes(
        serialization.Encoding.PEM).decode('ascii')


def load_certificate(pem):
    return x509.load_pem_x509_certificate(_bytes(pem))


def not_valid_after(pem):
    """When the certificate of PEM text expires (aware UTC datetime)."""
    return load_certificate(pem).not_valid_after_utc


def random_serial_number():
    """A positive random 128-bit serial number."""
    return secrets.randbits(128) or 1


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _validity(term_of_validity=None, now=None, limit=None):
    """(not_before, not_after): a day ago until ``term_of_validity`` days
    from now, but never after ``limit`` (the issuer's own expiry)."""
    now = now or _now()
    days = term_of_validity or CONF.x509.term_of_validity
    not_after = now + datetime.timedelta(days=days)
    if limit is not None and not_after > limit:
        not_after = limit
    return now - BACKDATE, not_after


def _name(common_name, organization=None):
    if not common_name or len(common_name) > MAX_COMMON_NAME_LENGTH:
        raise exception.InvalidParameterValue(
            err=_('A certificate\'s common name must have 1 to %(max)d '
                  'characters; %(name)r has %(length)d.') % {
                      'max': MAX_COMMON_NAME_LENGTH, 'name': common_name,
                      'length': len(common_name or '')})
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _signature_hash(key):
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return SIGNATURE_HASH()
    return None  # Ed25519 and Ed448 carry their own hash


def _authority_key_identifier(ca_cert):
    try:
        ski = ca_cert.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_cert.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
        ski.value)


def _issue(subject, public_key, ca_cert, ca_key, extensions,
           term_of_validity=None, now=None):
    """Sign a certificate for ``public_key`` with the CA (or self-sign
    when ``ca_cert`` is None); ``extensions`` are (value, critical)."""
    issuer = ca_cert.subject if ca_cert is not None else subject
    limit = ca_cert.not_valid_after_utc if ca_cert is not None else None
    not_before, not_after = _validity(term_of_validity, now, limit)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer)
               .public_key(public_key)
               .serial_number(random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after))
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(public_key),
        critical=False)
    if ca_cert is not None:
        builder = builder.add_extension(
            _authority_key_identifier(ca_cert), critical=False)
    return builder.sign(ca_key, _signature_hash(ca_key))


def _key_usage(**usages):
    values = dict.fromkeys(KEY_USAGES.values(), False)
    values.update(usages)
    return x509.KeyUsage(**values)


def generate_ca_certificate(common_name, key=None, term_of_validity=None,
                            now=None):
    """A self-signed CA: (certificate, private key).

    It may sign end-entity certificates only (path length 0).
    """
    key = key or generate_private_key()
    subject = _name(common_name)
    certificate = _issue(
        subject, key.public_key(), None, key,
        [(x509.BasicConstraints(ca=True, path_length=0), True),
         (_key_usage(key_cert_sign=True), True)],
        term_of_validity, now)
    return certificate, key


def _end_entity_key_usage(key):
    # Key encipherment is an RSA notion; ECDSA keys only sign.
    return _key_usage(digital_signature=True,
                      key_encipherment=isinstance(key, rsa.RSAPrivateKey))


def generate_client_certificate(ca_cert, ca_key, common_name,
                                organization=None, key=None,
                                term_of_validity=None, now=None):
    """A TLS client certificate signed by the CA: (certificate, key)."""
    key = key or generate_private_key()
    certificate = _issue(
        _name(common_name, organization), key.public_key(), ca_cert, ca_key,
        [(x509.BasicConstraints(ca=False, path_length=None), True),
         (_end_entity_key_usage(key), True),
         (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
        term_of_validity, now)
    return certificate, key


def generate_server_certificate(ca_cert, ca_key, common_name, dns_names=(),
                                ip_addresses=(), key=None,
                                term_of_validity=None, now=None):
    """A TLS server certificate signed by the CA: (certificate, key).

    Its subjectAltName carries ``dns_names`` and ``ip_addresses`` (strings
    or ipaddress objects). It is good for client authentication too, as
    etcd peers and Kubernetes components need.
    """
    key = key or generate_private_key()
    names = []
    for dns_name in dns_names or ():
        names.append(x509.DNSName(str(dns_name)))
    for address in ip_addresses or ():
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            raise exception.InvalidParameterValue(
                err=_('%r is not an IP address.') % (address,)) from None
    extensions = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_end_entity_key_usage(key), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                ExtendedKeyUsageOID.CLIENT_AUTH]), False),
    ]
    if names:
        extensions.append((x509.SubjectAlternativeName(names), False))
    certificate = _issue(_name(common_name), key.public_key(), ca_cert,
                         ca_key, extensions, term_of_validity, now)
    return certificate, key


# -- signing requests ---------------------------------------------------------

def load_csr(csr):
    """The CSR of PEM text (str or bytes) or the CSR itself; 400
    InvalidCsr when it is not a CSR or its signature does not match."""
    if isinstance(csr, x509.CertificateSigningRequest):
        request = csr
    else:
        try:
            request = x509.load_pem_x509_csr(_bytes(csr))
        except (ValueError, TypeError, UnicodeError):
            raise exception.InvalidCsr(
                _('The CSR is not a PEM certificate signing request.')
            ) from None
    check_csr_public_key(request)
    try:
        valid = request.is_signature_valid
    except (ValueError, crypto_exceptions.UnsupportedAlgorithm):
        valid = False
    if not valid:
        raise exception.InvalidCsr(
            _('The CSR\'s signature does not match its public key.'))
    return request


def check_csr_public_key(request):
    """Refuse keys Magnum does not sign (400 CertificateValidationError)."""
    try:
        key = request.public_key()
    except (ValueError, crypto_exceptions.UnsupportedAlgorithm):
        key = None
    if isinstance(key, rsa.RSAPublicKey):
        size = key.key_size
        if not MIN_RSA_KEY_SIZE <= size <= MAX_RSA_KEY_SIZE:
            raise exception.CertificateValidationError(
                _('The CSR\'s RSA key has %(size)d bits; Magnum signs RSA '
                  'keys of %(min)d to %(max)d bits.') % {
                      'size': size, 'min': MIN_RSA_KEY_SIZE,
                      'max': MAX_RSA_KEY_SIZE})
        exponent = key.public_numbers().e
        if exponent < 3 or exponent % 2 == 0 or exponent.bit_length() > 256:
            raise exception.CertificateValidationError(
                _('The CSR\'s RSA key has an unusable public exponent.'))
        return
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ALLOWED_CURVES:
            raise exception.CertificateValidationError(
                _('The CSR\'s key is on curve %(curve)s; Magnum signs ECDSA '
                  'keys on %(allowed)s.') % {
                      'curve': key.curve.name,
                      'allowed': ', '.join(ALLOWED_CURVES)})
        return
    raise exception.CertificateValidationError(
        _('The CSR\'s key is of an unsupported type (%s); Magnum signs RSA '
          'and ECDSA keys.') % (
              type(key).__name__ if key is not None else _('unknown'),))


def _requested_usages(key_usage):
    """The names of the usages a KeyUsage extension sets."""
    requested = set()
    for name, attribute in KEY_USAGES.items():
        if attribute in ('encipher_only', 'decipher_only'):
            # Only meaningful (and only readable) with key agreement.
            if not key_usage.key_agreement:
                continue
        if getattr(key_usage, attribute):
            requested.add(name)
    return requested


def _filtered_key_usage(extension, allowed_usages):
    """The keyUsage extension with disallowed usages cleared (None when
    nothing is left), or 400 when it is critical."""
    requested = _requested_usages(extension.value)
    refused = requested - allowed_usages
    if refused and extension.critical:
        raise exception.CertificateValidationError(
            _('The CSR asks for key usage %s in a critical keyUsage '
              'extension; Magnum does not sign certificates for that '
              'usage.') % ', '.join(sorted(refused)))
    kept = requested - refused
    if 'Key Agreement' not in kept:
        kept -= {'Encipher Only', 'Decipher Only'}
    if not kept:
        return None
    return _key_usage(**{KEY_USAGES[name]: True for name in kept})


def filter_extensions(request, allowed_extensions=None,
                      allowed_key_usage=None, allow_ca=None):
    """The extensions of the CSR that the signed certificate keeps, as
    (value, critical); raises 400 CertificateValidationError for what
    cannot be dropped silently (see the module's doc)."""
    if allowed_extensions is None:
        allowed_extensions = CONF.x509.allowed_extensions
    if allowed_key_usage is None:
        allowed_key_usage = CONF.x509.allowed_key_usage
    if allow_ca is None:
        allow_ca = CONF.x509.allow_ca
    allowed_extensions = set(allowed_extensions)
    allowed_usages = set(allowed_key_usage)
    if not allow_ca:
        allowed_usages -= set(CA_KEY_USAGES)
    try:
        extensions = list(request.extensions)
    except (ValueError, x509.DuplicateExtension) as error:
        raise exception.InvalidCsr(
            _('The CSR\'s extensions cannot be read: %s') % error) from None
    kept = []
    has_basic_constraints = False
    for extension in extensions:
        oid = extension.oid
        name = EXTENSION_NAMES.get(oid, oid.dotted_string)
        if oid in (ExtensionOID.SUBJECT_KEY_IDENTIFIER,
                   ExtensionOID.AUTHORITY_KEY_IDENTIFIER):
            continue  # Magnum sets both itself
        if oid == ExtensionOID.BASIC_CONSTRAINTS and extension.value.ca \
                and not allow_ca:
            raise exception.CertificateValidationError(
                _('The CSR asks for a CA certificate (basicConstraints '
                  'CA:TRUE); Magnum does not sign CA certificates.'))
        if name not in allowed_extensions:
            if extension.critical:
                raise exception.CertificateValidationError(
                    _('The CSR carries the critical extension %s, which '
                      'Magnum does not put into certificates '
                      '([x509] allowed_extensions).') % name,
                    extension=name)
            continue
        if oid == ExtensionOID.KEY_USAGE:
            key_usage = _filtered_key_usage(extension, allowed_usages)
            if key_usage is not None:
                kept.append((key_usage, extension.critical))
            continue
        if oid == ExtensionOID.BASIC_CONSTRAINTS:
            has_basic_constraints = True
        kept.append((extension.value, extension.critical))
    if not has_basic_constraints:
        kept.append((x509.BasicConstraints(ca=False, path_length=None),
                     True))
    return kept


def sign_csr(csr, ca_cert, ca_key, allowed_extensions=None,
             allowed_key_usage=None, allow_ca=None, term_of_validity=None,
             now=None):
    """Sign a user's CSR (PEM or object) with the CA: the certificate.

    Subject and public key come from the CSR, the issuer is the CA's
    subject; see the module's doc for the extensions. Valid from a day
    ago for ``[x509] term_of_validity`` days, but not beyond the CA.
    """
    now = now or _now()
    if ca_cert.not_valid_after_utc <= now:
        raise exception.Invalid(
            _('The cluster\'s CA certificate expired on %s; rotate the '
              'CA before signing certificates.') %
            ca_cert.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ'))
    request = load_csr(csr)
    extensions = filter_extensions(request, allowed_extensions,
                                   allowed_key_usage, allow_ca)
    return _issue(request.subject, request.public_key(), ca_cert, ca_key,
                  extensions, term_of_validity, now)


def _bytes(value):
    if isinstance(value, str):
        return value.encode('utf-8')
    return value
