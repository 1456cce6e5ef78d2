"""OAuth2 for the mailbox: an access token from a command, or from a refresh token (RFC 6749).

Where the account's owner turned app passwords off, IMAP logs in with
XOAUTH2. The token comes from `token_command` (any program that prints one)
or is refreshed at `token_url` with the client's id and secret; either way
no secret ever reaches a message meant for a person.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from inbox_worker.config import OAuth2Settings
from inbox_worker.mail.mailbox import MailboxError


def oauth2_access_token(oauth2: OAuth2Settings, timeout: float) -> str:
    """A fresh access token from `token_command` or from a refresh-token exchange."""
    if oauth2.token_command:
        return _token_from_command(oauth2.token_command, timeout)
    if oauth2.client_id and oauth2.client_secret and oauth2.refresh_token:
        return _token_from_refresh(oauth2, timeout)
    raise MailboxError("imap.auth is oauth2 but no way to get a token is configured: set "
                       "imap.oauth2.token_command, or client_id, client_secret and refresh_token")


def _token_from_command(command: str, timeout: float) -> str:
    argv = shlex.split(command)
    name = argv[0] if argv else command
    try:
        # No shell, and stderr is not echoed anywhere: a helper may print secrets on it.
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except (OSError, ValueError) as e:
        raise MailboxError(f"could not run the OAuth2 token command {name}: {e.__class__.__name__}: "
                           f"{getattr(e, 'strerror', None) or e}; check imap.oauth2.token_command") from None
    except subprocess.TimeoutExpired:
        raise MailboxError(f"the OAuth2 token command {name} did not finish within {timeout:g} s; "
                           f"run it by hand to see what it waits for") from None
    token = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not token:
        raise MailboxError(f"the OAuth2 token command {name} failed (exit status {done.returncode}, "
                           f"{'no' if not token else 'some'} output); run it by hand to see its error")
    return token


def _token_from_refresh(oauth2: OAuth2Settings, timeout: float) -> str:
    assert oauth2.client_secret is not None and oauth2.refresh_token is not None
    body = urllib.parse.urlencode({
        "client_id": oauth2.client_id,
        "client_secret": oauth2.client_secret.get_secret_value(),
        "refresh_token": oauth2.refresh_token.get_secret_value(),
        "grant_type": "refresh_token",
    }).encode()
    request = urllib.request.Request(oauth2.token_url, data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - URL from config
            payload = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        # Google answers {"error": "invalid_grant", "error_description": ...}: safe to show.
        try:
            detail = json.loads(e.read())
            reason = f"{detail.get('error')}: {detail.get('error_description', '')}".strip(": ")
        except ValueError:
            reason = f"HTTP {e.code}"
        raise MailboxError(f"{oauth2.token_url} refused the refresh token ({reason}); the refresh "
                           f"token may be revoked or expired: create a new one") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise MailboxError(f"could not exchange the refresh token at {oauth2.token_url}: "
                           f"{getattr(e, 'reason', e)}; check the network and imap.oauth2.token_url"
                           ) from None
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not token:
        raise MailboxError(f"{oauth2.token_url} answered without an access_token; check imap.oauth2")
    return str(token)


def scrub(text: str, *secrets: str) -> str:
    """Remove any secret from text meant for a person; a server may echo what it was sent."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "**********")
    return text
