"""The key that signs SNS messages, and the certificate a receiver checks them with.

One PEM file holds the RSA private key and a self-signed X.509 certificate of it. It is made
on first use (mode 0600). Replicas that share a PostgreSQL database should be given the same
file (`--signing-key`), so a receiver that caches one replica's certificate trusts them all;
a file with only a key gets a fresh self-signed certificate at each start, which verifies
the same signatures.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from transom.domain.secret_files import read_or_create

_KEY_BITS = 2048
_VALIDITY = timedelta(days=3650)


class SigningKey:
    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The key and certificate in `path`, made there first (0600) if it does not exist;
        `ValueError` when the file holds no RSA private key. The file appears whole or not
        at all (written aside, then linked into place), so servers starting together, or one
        killed while making it, never leave or read a partial key: they all use the first
        one linked (see `transom.domain.secret_files`)."""
        return cls.from_pem(read_or_create(path, lambda: cls.generate().pem()))

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
        return cls(key, _self_signed(key))

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the signing key must be an RSA private key")
        certificates = x509.load_pem_x509_certificates(pem) if b"CERTIFICATE-" in pem else []
        return cls(key, certificates[0] if certificates else _self_signed(key))

    def pem(self) -> bytes:
        """The key (unencrypted PKCS#8) followed by the certificate."""
        key = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return key + self.certificate_pem()

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, text: str) -> str:
        """SNS's SignatureVersion 2: RSA PKCS#1 v1.5 over SHA-256 of the UTF-8 text, base64."""
        signature = self._key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    """A self-signed certificate of `key`. Built here rather than with
    `transom.crypto.certificates` (which builds the private CA's the same way): the layer
    table in README.md lets `events` import `domain` and the store ports, not `crypto`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Transom SNS message signing")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .sign(key, hashes.SHA256())
    )
