"""The private CA and server certificate of `transom up --tls`.

In a folder of the data directory: `ca.pem` (the CA's certificate, which agents and API
clients trust), `ca-key.pem`, `server.pem` and `server-key.pem` (the keys mode 0600, ECDSA
P-256). The CA is made once and kept: agents registered with `--ca-file` trust every server
certificate it signs. The server certificate is made again when it lacks a name asked for
(`--tls-name`, a new host name) or expires within 30 days, signed by the same CA.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from transom.domain.secret_files import read_or_create, replace_private

_CA_VALIDITY = timedelta(days=3650)
_SERVER_VALIDITY = timedelta(days=397)
_RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    """The CA's certificate: what agents (`--ca-file`) and API clients (`--ca-bundle`) trust."""
    certificate: Path
    key: Path


def ensure_server_certificate(folder: Path, names: Iterable[str]) -> TlsFiles:
    """The CA (made once) and a server certificate for every one of `names` (host names or
    IP addresses) in `folder`, made or made again as the module says."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    ca_key = _load_key(read_or_create(folder / "ca-key.pem", _new_key_pem))
    ca = x509.load_pem_x509_certificate(
        read_or_create(files.ca, lambda: _ca_certificate(ca_key).public_bytes(_PEM))
    )
    wanted = sorted(set(names))
    if not _covers(files, ca, wanted):
        key = ec.generate_private_key(ec.SECP256R1())
        replace_private(files.key, _key_pem(key))
        certificate = _server_certificate(key, ca, ca_key, wanted)
        replace_private(files.certificate, certificate.public_bytes(_PEM))
    return files


_PEM = serialization.Encoding.PEM


def _covers(files: TlsFiles, ca: x509.Certificate, names: list[str]) -> bool:
    """Whether the server certificate there, signed by `ca`, names all of `names` and is good
    for 30 days more."""
    try:
        certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
        files.key.stat()
    except (FileNotFoundError, ValueError):
        return False
    if certificate.issuer != ca.subject:
        return False
    if certificate.not_valid_after_utc - datetime.now(UTC) < _RENEW_BEFORE:
        return False
    held = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(_alternative_names(names)) <= set(held)


def _alternative_names(names: Iterable[str]) -> list[x509.GeneralName]:
    found: list[x509.GeneralName] = []
    for name in names:
        try:
            found.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            found.append(x509.DNSName(name))
    return found


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Transom private CA")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + _CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    names: list[str],
) -> x509.Certificate:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + _SERVER_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(_alternative_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _new_key_pem() -> bytes:
    return _key_pem(ec.generate_private_key(ec.SECP256R1()))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key must be an ECDSA private key")
    return key
