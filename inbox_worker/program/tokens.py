"""Command tokens: the signed, single-use permission a digest gives its coordinators to act by reply.

A token reads `iw1-<id>-<signature>`: the id names a row in `command_tokens`
(what it allows, on what, for whom, until when, and whether it was used) and
the signature is HMAC-SHA256 over those facts with `schedule.token_secret`.
Someone who saw a digest cannot make a token for another digest, change what
one allows, or use it twice. The functions here are pure; the row is read
and marked used by `replies`.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

TOKEN = re.compile(r"\biw1-([0-9a-f]{16})-([0-9a-f]{32})\b", re.IGNORECASE)


def new_token_id() -> str:
    return secrets.token_hex(8)


def signature(secret: str, token_id: str, action: str, target: str, expires_at: datetime) -> str:
    message = f"{token_id}|{action}|{target}|{expires_at.isoformat()}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def token_text(secret: str, token_id: str, action: str, target: str, expires_at: datetime) -> str:
    return f"iw1-{token_id}-{signature(secret, token_id, action, target, expires_at)}"


def find_tokens(text: str) -> list[tuple[str, str]]:
    """Every (id, signature) written in a text or an address, in order, without repeats."""
    seen: list[tuple[str, str]] = []
    for m in TOKEN.finditer(text or ""):
        pair = (m.group(1).lower(), m.group(2).lower())
        if pair not in seen:
            seen.append(pair)
    return seen


def signature_matches(secret: str, token_id: str, given: str, action: str, target: str,
                      expires_at: datetime) -> bool:
    if not secret:
        return False
    return hmac.compare_digest(signature(secret, token_id, action, target, expires_at), given.lower())


def plus_address(mailbox: str, token: str) -> str:
    """program@example.org -> program+iw1-...@example.org: replies carry the token in their To."""
    local, _, domain = mailbox.partition("@")
    return f"{local}+{token}@{domain}"
