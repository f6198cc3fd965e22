"""Registering agency client systems: create, list, disable, rotate their credentials.

Services in the hub's sense: they take a session, flush, never commit, and audit.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import hub_actor
from hub.audit import AuditEntry, record
from hub.db import utcnow
from hub.errors import InvalidInput, NotFound
from hub.models import Agency
from hub.oauth import client_secret
from hub.oauth.model import ClientAuthMethod, ClientRedirectUri, OAuthClient
from hub.oauth.scopes import parse_scopes, scope_string
from hub.oauth.signing import ensure_key
from hub.vocabulary import AuditOperation

# Public-key types a client may sign its assertions with; a symmetric or private key in a
# "public" JWKS is a registration mistake that would leak a credential, so it is refused.
_PUBLIC_KTY = {"EC": {"P-256", "P-384"}, "RSA": None, "OKP": {"Ed25519"}}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@dataclass(frozen=True)
class Registered:
    client: OAuthClient
    secret: str | None  # shown once, then only its hash exists


def create_client(
    session: Session,
    *,
    agency_code: str,
    name: str,
    auth_method: str,
    scopes: str,
    jwks: str | None = None,
    redirect_uris: Sequence[str] = (),
) -> Registered:
    agency = session.scalars(select(Agency).where(Agency.code == agency_code)).first()
    if agency is None:
        raise InvalidInput("agency", f"no agency with code {agency_code!r}")
    if not _NAME.match(name):
        raise InvalidInput("name", "must be 1 to 200 printable characters")
    method = _method(auth_method)
    granted = parse_scopes(scopes)
    client = OAuthClient(
        client_id=f"{agency.code.lower()}-{secrets.token_hex(8)}",
        agency_id=agency.id,
        name=name,
        auth_method=method,
        scopes=scope_string(granted),
    )
    secret = _set_credential(client, jwks)
    uris = [validate_redirect_uri(u, f"redirect_uris[{i}]") for i, u in enumerate(redirect_uris)]
    session.add(client)
    ensure_key(session)  # a new hub gets its first signing key with its first client
    session.flush()
    session.add_all(
        ClientRedirectUri(client_id=client.client_id, redirect_uri=u) for u in dict.fromkeys(uris)
    )
    session.flush()
    _audit(session, AuditOperation.ALTER, client, "create", redirect_uris=uris)
    return Registered(client, secret)


def list_clients(session: Session) -> list[OAuthClient]:
    return list(session.scalars(select(OAuthClient).order_by(OAuthClient.client_id)))


def disable_client(session: Session, client_id: str) -> OAuthClient:
    client = _get(session, client_id)
    if client.disabled_at is None:
        client.disabled_at = utcnow()
        session.flush()
        _audit(session, AuditOperation.ALTER, client, "disable")
    return client


def rotate_credentials(session: Session, client_id: str, jwks: str | None = None) -> Registered:
    """A new secret, or a new public JWKS; the old one stops working at once."""
    client = _get(session, client_id)
    if client.auth_method is ClientAuthMethod.PRIVATE_KEY_JWT and jwks is None:
        raise InvalidInput("jwks", "a private_key_jwt client needs its new JWKS")
    if client.auth_method is ClientAuthMethod.CLIENT_SECRET_BASIC and jwks is not None:
        raise InvalidInput("jwks", "a client_secret_basic client has a secret, not a JWKS")
    secret = _set_credential(client, jwks)
    session.flush()
    _audit(session, AuditOperation.KEY_ROTATION, client, "rotate")
    return Registered(client, secret)


def validate_jwks(raw: str, field: str = "jwks") -> str:
    """The client's public JWKS, checked and normalised; errors name the key at fault."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise InvalidInput(field, "is not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= 5:
        raise InvalidInput(field, 'must be {"keys": [...]} with 1 to 5 public keys')
    for index, key in enumerate(keys):
        where = f"{field}.keys[{index}]"
        if not isinstance(key, dict):
            raise InvalidInput(where, "must be a JSON object")
        if _PRIVATE_MEMBERS & key.keys():
            raise InvalidInput(where, "holds private key material: register the public key")
        kty = key.get("kty")
        if kty not in _PUBLIC_KTY:
            raise InvalidInput(f"{where}.kty", f"must be one of {', '.join(_PUBLIC_KTY)}")
        curves = _PUBLIC_KTY[kty]
        if curves is not None and key.get("crv") not in curves:
            raise InvalidInput(f"{where}.crv", f"must be one of {', '.join(sorted(curves))}")
    try:
        KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidInput(field, f"is not a valid JWKS ({type(exc).__name__})") from None
    return json.dumps({"keys": keys}, sort_keys=True)


def validate_redirect_uri(raw: str, field: str) -> str:
    """An absolute https URI, or http on the loopback for a desktop client (RFC 8252 §7.3);
    no fragment (RFC 6749 §3.1.2). It will be matched exactly, never by prefix."""
    uri = raw.strip()
    parts = urlsplit(uri)
    loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost")
    if len(uri) > 500 or not parts.netloc or not (parts.scheme == "https" or loopback):
        raise InvalidInput(field, "must be an https URL (or http on the loopback), at most 500")
    if parts.fragment or "#" in uri:
        raise InvalidInput(field, "must not have a fragment")
    return uri


def _set_credential(client: OAuthClient, jwks: str | None) -> str | None:
    if client.auth_method is ClientAuthMethod.PRIVATE_KEY_JWT:
        if jwks is None:
            raise InvalidInput("jwks", "private_key_jwt needs the client's public JWKS")
        client.jwks, client.secret_hash = validate_jwks(jwks), None
        return None
    if jwks is not None:
        raise InvalidInput("jwks", "only a private_key_jwt client registers a JWKS")
    secret = client_secret.new_secret()
    client.secret_hash, client.jwks = client_secret.hash_secret(secret), None
    return secret


def _method(raw: str) -> ClientAuthMethod:
    try:
        return ClientAuthMethod(raw)
    except ValueError:
        known = ", ".join(m.value for m in ClientAuthMethod)
        raise InvalidInput("auth_method", f"must be one of {known}; got {raw!r}") from None


def _get(session: Session, client_id: str) -> OAuthClient:
    client = session.get(OAuthClient, client_id)
    if client is None:
        raise NotFound("client")
    return client


def _audit(
    session: Session,
    operation: AuditOperation,
    client: OAuthClient,
    action: str,
    *,
    redirect_uris: Sequence[str] = (),
) -> None:
    extra = {
        "action": action,
        "agency": str(client.agency_id),
        "auth_method": client.auth_method.value,
        "scopes": client.scopes,
    }
    if redirect_uris:
        extra["redirect_uris"] = " ".join(redirect_uris)
    record(
        session,
        AuditEntry(
            operation=operation,
            actor=hub_actor(),
            record_type="oauth_client",
            record_ids=(client.client_id,),
            extra=extra,
        ),
    )
