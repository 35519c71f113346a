"""RSA key pairs made at test time (a key file is never committed)."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # GitHub hands out PKCS#1 keys
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


@functools.cache
def generate_rsa_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) of a 2048-bit RSA key, the same for the whole process."""
    return _pair()


def generate_other_rsa_keypair() -> tuple[str, str]:
    """A fresh key pair unrelated to :func:`generate_rsa_keypair` (for wrong-key tests)."""
    return _pair()
