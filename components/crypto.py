"""Key material, made with `cryptography`. Pure functions: the resources in keys.py call
them once, on create, and keep the results as secrets in state."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

PASSWORD_ALPHABET = string.ascii_letters + string.digits


def ssh_keypair(comment: str) -> tuple[str, str]:
    """An Ed25519 key: (private key in OpenSSH format, `ssh-ed25519 AAAA… comment`)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return private, f"{public} {comment}"


def fingerprint(public_key: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key line."""
    blob = base64.b64decode(public_key.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def password(length: int = 32) -> str:
    """Letters and digits only, so it survives INI files, URLs and shell quoting."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
