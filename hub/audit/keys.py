"""The checkpoint signing key: made at set-up, kept outside the repository, rotatable.

The private key lives in one PEM file (mode 0600). Rotation writes a new key and destroys the
old private key; the old public key stays (in `retired/` beside it and in the database), so
every checkpoint it signed still verifies.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.checkpoint import (
    generate_signing_key,
    key_id,
    load_private_key,
    public_key_base64,
    save_private_key,
)
from hub.errors import HubError


class SigningKeyError(HubError):
    pass


def public_key_path(private_path: Path) -> Path:
    return private_path.with_suffix(".pub")


def generate(path: Path) -> str:
    """Create the signing key at `path`; refuse to replace one (that is what rotate is for)."""
    if path.exists():
        raise SigningKeyError(f"an audit signing key already exists at {path}; use rotate-key")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_key = generate_signing_key()
    save_private_key(private_key, path)
    public_key_path(path).write_text(public_key_base64(private_key.public_key()) + "\n")
    return key_id(private_key.public_key())


def load(path: Path) -> Ed25519PrivateKey:
    if not path.is_file():
        raise SigningKeyError(
            f"no audit signing key at {path}; create one with `hub audit keygen` "
            "(or set HUB_AUDIT_SIGNING_KEY)"
        )
    try:
        return load_private_key(path)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not an Ed25519 private key: {exc}") from None


def rotate(path: Path) -> tuple[str, str]:
    """Replace the key at `path`. Returns (old key id, new key id)."""
    old = load(path)
    old_id = key_id(old.public_key())
    retired = path.parent / "retired"
    retired.mkdir(exist_ok=True, mode=0o700)
    (retired / f"{old_id}.pub").write_text(public_key_base64(old.public_key()) + "\n")
    fresh = generate_signing_key()
    staging = path.with_suffix(".new")
    save_private_key(fresh, staging)
    os.replace(staging, path)  # atomic: the hub never sees a missing key
    public_key_path(path).write_text(public_key_base64(fresh.public_key()) + "\n")
    return old_id, key_id(fresh.public_key())
