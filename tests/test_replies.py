"""The pure parts of reading replies: tokens, Authentication-Results, and a reply's own words."""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import pytest

from inbox_worker.program import tokens
from inbox_worker.program.replies import authentication, own_words

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


@pytest.mark.parametrize(("headers", "expected"), [
    ((), None),
    (("mx.google.com; dkim=pass header.i=@wla.example header.s=s1; spf=neutral",), True),
    (("mx.google.com; dkim=none; spf=pass (google.com: domain of c@wla.example designates 1.2.3.4) "
      "smtp.mailfrom=c@wla.example",), True),
    (("mx.google.com; dkim=pass header.d=evil.example; spf=fail smtp.mailfrom=c@wla.example",), False),
    (("mx.google.com; dkim=fail header.d=wla.example; spf=softfail smtp.mailfrom=c@wla.example",), False),
    # Only the topmost header, the receiving server's own, is believed.
    (("mx.google.com; dkim=fail header.d=wla.example",
      "forged.example; dkim=pass header.d=wla.example"), False),
])
def test_authentication_results_for_the_senders_domain(headers, expected):
    """dkim=pass or spf=pass must be for the sender's own domain, in the receiving server's header."""
    assert authentication(message(*headers), "c@wla.example") is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("APPROVE 7\n\n> Reply with: APPROVE 8", "APPROVE 7"),
    ("yes, fine\nOn Mon, Jan 5, 2026 at 9:00 AM Program <p@example.org> wrote:\n> APPROVE 8", "yes, fine"),
    ("REJECT 3\n-----Original Message-----\nAPPROVE 4", "REJECT 3"),
    ("1. Monthly\n2. yes", "1. Monthly\n2. yes"),
])
def test_own_words_stop_where_the_quote_begins(text, expected):
    """Commands and answers are read from what the sender wrote, never from the quoted original."""
    assert own_words(text) == expected
