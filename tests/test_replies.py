"""The pure parts of reading replies: tokens, Authentication-Results, and a reply's own words."""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import pytest

from inbox_worker.program import tokens
from inbox_worker.program.replies import Authentication, aligned, authentication, own_words

EXPIRES = datetime(2026, 5, 1, 9, 0)


def test_a_token_verifies_only_with_its_own_facts_and_secret():
    """Changing the secret, the target, the action or the expiry breaks the signature."""
    text = tokens.token_text("s3cret", "0123456789abcdef", "digest_commands", "digest:2026-W15", EXPIRES)
    [(tid, sig)] = tokens.find_tokens(f"> Token: {text}\n")
    assert tokens.signature_matches("s3cret", tid, sig, "digest_commands", "digest:2026-W15", EXPIRES)
    assert not tokens.signature_matches("other", tid, sig, "digest_commands", "digest:2026-W15", EXPIRES)
    assert not tokens.signature_matches("s3cret", tid, sig, "digest_commands", "digest:2026-W16", EXPIRES)
    assert not tokens.signature_matches("s3cret", tid, sig, "other", "digest:2026-W15", EXPIRES)
    assert not tokens.signature_matches("s3cret", tid, sig, "digest_commands", "digest:2026-W15",
                                        datetime(2026, 6, 1))
    assert not tokens.signature_matches("", tid, sig, "digest_commands", "digest:2026-W15", EXPIRES)


def test_a_token_travels_in_a_plus_address():
    """The digest's Reply-To carries the token; a reply's To gives it back."""
    text = tokens.token_text("k", "00000000000000ff", "a", "t", EXPIRES)
    address = tokens.plus_address("program@example.org", text)
    assert address == f"program+{text}@example.org"
    assert tokens.find_tokens(address) == [("00000000000000ff", text.rsplit("-", 1)[1])]


def message(*results: str) -> EmailMessage:
    m = EmailMessage()
    for r in results:
        m["Authentication-Results"] = r
    return m


TRUSTED = "mx.google.com"


@pytest.mark.parametrize(("headers", "expected"), [
    ((), Authentication.MISSING),
    (("mx.google.com; dkim=pass header.i=@wla.example header.s=s1; spf=neutral",), Authentication.PASSED),
    (("MX.Google.com; dkim=pass header.d=wla.example",), Authentication.PASSED),
    (("mx.google.com; dkim=none; spf=pass (google.com: domain of c@wla.example designates 1.2.3.4) "
      "smtp.mailfrom=c@wla.example",), Authentication.PASSED),
    (("mx.google.com; dkim=pass header.d=evil.example; spf=fail smtp.mailfrom=c@wla.example",),
     Authentication.FAILED),
    (("mx.google.com; dkim=fail header.d=wla.example; spf=softfail smtp.mailfrom=c@wla.example",),
     Authentication.FAILED),
    # Relaxed alignment: a subdomain either way passes; a look-alike or a bare top-level domain does not.
    (("mx.google.com; dkim=pass header.d=mail.wla.example",), Authentication.PASSED),
    (("mx.google.com; dkim=pass header.d=notwla.example",), Authentication.FAILED),
    (("mx.google.com; dkim=pass header.d=wla.example.evil.test",), Authentication.FAILED),
    (("mx.google.com; dkim=pass header.d=example",), Authentication.FAILED),
    # Only the topmost header of the trusted server counts; one below it was written by someone else.
    (("mx.google.com; dkim=fail header.d=wla.example",
      "mx.google.com; dkim=pass header.d=wla.example"), Authentication.FAILED),
    # Another server's header counts for nothing, above or below.
    (("forged.example; dkim=pass header.d=wla.example",), Authentication.MISSING),
    (("forged.example; dkim=pass header.d=wla.example",
      "mx.google.com; dkim=pass header.d=wla.example"), Authentication.PASSED),
    # RFC 8601's grammar: a quoted string is one value, a comment is no result.
    (('mx.google.com; dkim=pass header.d="evil.example (wla.example)"',), Authentication.FAILED),
    (('mx.google.com; dkim=pass header.d="wla.example"; spf=fail',), Authentication.PASSED),
    (("mx.google.com; dkim=fail (dkim=pass header.d=wla.example) header.d=wla.example",), Authentication.FAILED),
    (("mx.google.com (dkim=pass header.d=wla.example); none",), Authentication.FAILED),
    # The trusted server's header, unreadable: it confirms nothing.
    (("mx.google.com; dkim=pass header.d=wla.example; ((",), Authentication.FAILED),
])
def test_authentication_results_of_the_trusted_server_for_the_senders_domain(headers, expected):
    """dkim=pass or spf=pass must be for a domain aligned with the sender's, in the trusted server's
    topmost header, read as RFC 8601 says."""
    assert authentication(message(*headers), "c@wla.example", TRUSTED) is expected


def test_no_trusted_server_named_means_no_header_is_believed():
    """Without an authserv-id in the settings, even a passing header counts for nothing."""
    assert authentication(message("mx.google.com; dkim=pass header.d=wla.example"), "c@wla.example", "") \
        is Authentication.MISSING


@pytest.mark.parametrize(("signer", "domain", "expected"), [
    ("wla.example", "wla.example", True), ("mail.wla.example", "wla.example", True),
    ("wla.example", "lists.wla.example", True), ("WLA.example.", "wla.example", True),
    ("awla.example", "wla.example", False), ("example", "wla.example", False), ("", "wla.example", False),
    ("evil.example (wla.example)", "wla.example", False),
])
def test_relaxed_alignment(signer, domain, expected):
    """The same domain, or one a subdomain of the other, both real host names."""
    assert aligned(signer, domain) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("APPROVE 7\n\n> Reply with: APPROVE 8", "APPROVE 7"),
    ("yes, fine\nOn Mon, Jan 5, 2026 at 9:00 AM Program <p@example.org> wrote:\n> APPROVE 8", "yes, fine"),
    ("REJECT 3\n-----Original Message-----\nAPPROVE 4", "REJECT 3"),
    ("1. Monthly\n2. yes", "1. Monthly\n2. yes"),
])
def test_own_words_stop_where_the_quote_begins(text, expected):
    """Commands and answers are read from what the sender wrote, never from the quoted original."""
    assert own_words(text) == expected
