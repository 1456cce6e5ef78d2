"""The one function that sets an outgoing email's headers: whatever it is given, it writes the headers
meant and nothing else."""
from __future__ import annotations

import base64
import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_worker.mail.outgoing import (
    POLICY,
    Envelope,
    header_text,
    valid_message_id,
    valid_message_ids,
    write_email,
)

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAMES = ["From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress",
         "X-Inbox-Worker", "MIME-Version", "Content-Type"]


def _q(text: str) -> str:
    return "=?utf-8?q?" + "".join(f"={b:02X}" for b in text.encode()) + "?="


def _b(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


# Pieces a hostile value is made of: line breaks raw and encoded (once, twice, in either encoding),
# header syntax, and ordinary text.
PIECES = st.sampled_from([
    "\r\n", "\n", "\r", "\0", "\t", "\x85", "\u2028", " ", "Bcc: evil@example.org", "Reply-To:", "=?", "?=",
    "=?utf-8?q?", "=0D=0A", "=?utf-8?b?", _q("\r\nBcc: evil@example.org"), _b("\r\n\r\nINJECTED"),
    _q(_q("\r\nBcc: evil@example.org")), _b(_q("\r\n")), _q(_b(_q("\n"))), "<a@b.example>", "Ana\u00efs", "x",
])
VALUES = st.lists(PIECES | st.text(max_size=5), max_size=12).map("".join)


@settings(max_examples=150, deadline=None)
@given(VALUES)
def test_header_text_is_one_line_that_decodes_to_itself(value):
    """Cleaned text holds no control character, does not change when cleaned again, and is what
    the email package reads back from it, so nothing is decoded into a line break later."""
    text = header_text(value)
    assert not CONTROL.search(text)
    assert header_text(text) == text
    assert str(POLICY.header_factory("subject", text)) == text


@settings(max_examples=100, deadline=None)
@given(subject=VALUES, name=VALUES, their_id=VALUES, references=st.lists(VALUES, max_size=3))
def test_no_value_adds_a_header_or_a_line(subject, name, their_id, references):
    """Any subject, sender's name, In-Reply-To and References: the email has exactly the headers
    set, ids only where they are msg-ids, and its text as given."""
    envelope = Envelope("program@example.org", name, ["ann@example.org"], in_reply_to=their_id,
                        references=references)
    message = write_email(envelope, subject=subject, text="Hello.\n", html="<p>Hello.</p>\n",
                          message_id="<ack-1.x@example.org>", date=datetime(2026, 4, 10, 9))
    head, _, body = message.raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    names = [line.split(b":", 1)[0].decode() for line in lines if line[:1] not in (b" ", b"\t")]
    ids = [n for n in names if n in ("In-Reply-To", "References")]
    assert [n for n in names if n not in ids] == NAMES
    assert ids in ([], ["References"], ["In-Reply-To", "References"])
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    assert body.startswith(b"--")
    read = message.parsed()
    assert [p.get_content().replace("\r\n", "\n") for p in read.walk() if not p.is_multipart()] == \
        ["Hello.\n", "<p>Hello.</p>\n"]


@pytest.mark.parametrize(("value", "kept"), [
    ("<CAF=x+y@mail.gmail.com>", "<CAF=x+y@mail.gmail.com>"),
    ("  <a.b@[192.0.2.1]>  ", "<a.b@[192.0.2.1]>"),
    ("<a@b>", "<a@b>"),
    ("<a b@c>", None),
    ("<a@b> <c@d>", None),
    ("a@b", None),
    ("<a@b>\r\nBcc: evil@example.org", None),
    ("<=?utf-8?q?x=0D=0ABcc=3A_evil=40example=2Eorg?=@attacker.example>", None),
    (_q("<a@b>\r\nBcc: evil@example.org"), None),
    (f"<{'x' * 300}@example.org>", None),
    ("<a..b@c>", None),
    ("", None),
    (None, None),
])
def test_only_a_msg_id_is_kept(value, kept):
    """RFC 5322's msg-id grammar, after decoding and cleaning: anything else is dropped."""
    assert valid_message_id(value) == kept


def test_references_keep_their_msg_ids_in_order_once():
    """Each value may hold several ids, read once decoded and cleaned; what is not one is dropped
    (the header after a line break too), and a repeat is kept once."""
    assert valid_message_ids(["<a@b> junk <c@d>", _q("<e@f>\r\nBcc: <x@y"), "<a@b>", "<g@h>"]) == \
        ["<a@b>", "<c@d>", "<e@f>", "<g@h>"]


@pytest.mark.parametrize(("change", "error"), [
    ({"to": ["ann@example.org, bob@example.org"]}, "not one address"),
    ({"to": ["ann@example.org\r\nBcc: evil@example.org"]}, "not one address|CR or LF|Invalid"),
    ({"to": []}, "at least one recipient"),
    ({"auto_submitted": "no"}, "Auto-Submitted"),
])
def test_an_envelope_that_would_address_anyone_else_is_refused(change, error):
    """A recipient that is not one address, no recipient, or an Auto-Submitted of another kind: refused."""
    envelope = Envelope(**({"from_address": "program@example.org", "from_name": "Program",
                            "to": ["ann@example.org"]} | change))
    with pytest.raises(ValueError, match=error):
        write_email(envelope, subject="Hello", text="x", html="x", message_id="<a@example.org>",
                    date=datetime(2026, 4, 10, 9))


def test_our_own_message_id_must_be_one():
    """A Message-ID of ours that is not a msg-id is a bug, refused rather than written."""
    with pytest.raises(ValueError, match="not a Message-ID"):
        write_email(Envelope("program@example.org", "Program", ["ann@example.org"]), subject="Hello",
                    text="x", html="x", message_id="<a@example.org>\r\nBcc: x@y", date=datetime(2026, 4, 10, 9))
