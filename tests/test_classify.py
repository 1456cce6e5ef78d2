"""The classifier tells people's mail from machines' (RFC 3834), on real message files."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from inbox_worker.extract.message import parse_headers, parse_message
from inbox_worker.intake.classify import classify, is_delivery_report
from inbox_worker.mail.headers import header, parsed_sender_address, sender_address
from inbox_worker.record import UnreadableInput

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
KINDS = {
    "01-protege-inline.eml": "person",
    "12-question.eml": "person",
    "10-out-of-office.eml": "auto_reply",
    "11-newsletter.eml": "list",
    "13-bounce.eml": "bounce",
}


def load(name: str):
    return email.message_from_bytes((FIXTURES / name).read_bytes(), policy=email.policy.default)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_message_is_classified_by_its_headers(name):
    """Each fixture gets the kind its headers and structure say."""
    assert classify(load(name)).kind == KINDS[name]


def test_mail_from_the_programs_own_address_is_never_answered():
    """Our own mail coming back (a loop) is recognised as ours."""
    msg = load("01-protege-inline.eml")
    assert classify(msg, frozenset({"rokafor@campbellcounty.example"})).kind == "own"


def test_a_message_with_unreadable_headers_is_still_classified():
    """Broken header syntax does not stop classification."""
    raw = (FIXTURES / "12-question.eml").read_bytes().replace(b"From: Felicity", b"From: =?bogus?Q?Felicity")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert classify(msg).kind == "person"


EVERY_MESSAGE = sorted((Path(__file__).parent / "fixtures").rglob("*.eml"))


@pytest.mark.parametrize("path", EVERY_MESSAGE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_headers_alone_read_as_the_whole_message_reads_them(path: Path):
    """Intake parses only the header block of a message read in another process: on every message
    file, hostile ones included, it must give the same headers, kind and sender as the whole parse."""
    raw = path.read_bytes()
    try:
        whole = parse_message(raw)
    except UnreadableInput:
        with pytest.raises(UnreadableInput):
            parse_headers(raw)
        return
    headers = parse_headers(raw)
    assert headers.keys() == whole.keys()
    assert [header(headers, k) for k in headers] == [header(whole, k) for k in whole]
    assert headers.get_content_type() == whole.get_content_type()
    own = frozenset({"program@example.org"})
    assert classify(headers, own) == classify(whole, own)
    assert sender_address(headers) == sender_address(whole)


@pytest.mark.parametrize("path", EVERY_MESSAGE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_shortcuts_of_classification_agree_with_the_parser_on_every_message(path: Path):
    """The From address read off a plain header, and a Content-Type not taken for a report
    without parsing it, are what the email package's parsers make of them."""
    try:
        messages = [parse_message(path.read_bytes()), parse_headers(path.read_bytes())]
    except UnreadableInput:
        return
    for msg in messages:
        assert sender_address(msg) == parsed_sender_address(msg)
        assert is_delivery_report(msg) == (msg.get_content_type() == "multipart/report")


def from_headers() -> list[bytes]:
    """tests/fixtures/classify/from-headers.txt: one From header an entry, awkward ones mostly;
    a line starting with white space continues the header above it."""
    entries: list[bytes] = []
    text = (Path(__file__).parent / "fixtures" / "classify" / "from-headers.txt").read_bytes()
    for line in text.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and entries:
            entries[-1] += b"\r\n" + line
        elif line:
            entries.append(line)
    return entries


@pytest.mark.parametrize("from_header", from_headers(), ids=lambda h: h.decode("utf-8", "replace")[6:50])
def test_the_from_address_read_off_a_plain_header_is_the_parsers(from_header: bytes):
    """Whatever the From holds, sender_address gives what the email package's parser gives."""
    raw = from_header + b"\r\nSubject: a question\r\nMessage-ID: <q@example.org>\r\n\r\nHello.\r\n"
    for msg in (parse_message(raw), parse_headers(raw)):
        assert sender_address(msg) == parsed_sender_address(msg)
