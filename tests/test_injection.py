"""What applicants type cannot change our outgoing mail's headers or structure.

GIVEN a message whose name, subject and free text carry CR/LF, header syntax,
jinja2 syntax and HTML
WHEN the worker answers it over the real servers
THEN the answer goes to the applicant alone, with our headers only, and the
text shows up escaped in the HTML part and literally in the text part.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from intake_world import COORDINATOR, NOW, addressed_to, parsed

from inbox_worker.outbound.emails import valid_address
from inbox_worker.worker import MailSource, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "intake"


def test_hostile_text_in_a_form_stays_inert(world):
    """The acknowledgement has one recipient, no injected header, escaped HTML and unrendered jinja2."""
    dovecot, user, smtp, _settings, app = world
    dovecot.append(user, (FIXTURES / "20-injection-attempt.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)

    assert [r.recipients for r in smtp.received] == [["eve.mallory@example.org"]]
    ack = parsed(smtp.received)[0]
    assert ack["Bcc"] is None and ack["Cc"] is None
    assert [a.addr_spec for a in ack["To"].addresses] == ["eve.mallory@example.org"]
    html = ack.get_body(("html",)).get_content()
    text = ack.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "{{ 7*7 }}" in text and "49" not in text
    assert "{{ settings }}" in text
    raw_headers = smtp.received[0].data.split(b"\r\n\r\n", 1)[0]
    assert b"victim@elsewhere.example" not in raw_headers


def test_a_subject_with_line_breaks_reaches_coordinators_as_text_only(world):
    """A question whose encoded subject hides CR/LF and a Bcc: the coordinators' notice carries it inertly."""
    dovecot, user, smtp, _settings, app = world
    raw = (FIXTURES / "12-question.eml").read_bytes().replace(
        b"Subject: Question about mentoring",
        b"Subject: =?utf-8?q?Question=0D=0ABcc=3A_victim=40elsewhere=2Eexample?=")
    dovecot.append(user, raw)
    run_cycle(app, MailSource(), NOW)

    notices = addressed_to(smtp.received, COORDINATOR)
    assert len(notices) == 1 and notices[0].recipients == [COORDINATOR]
    headers = notices[0].data.split(b"\r\n\r\n", 1)[0]
    assert b"victim@elsewhere.example" not in headers


@pytest.mark.parametrize("address,ok", [
    ("eve@example.org", True),
    ("o'brien+mentoring@library.example", True),
    ("eve@example.org\r\nBcc: x@y.example", False),
    ("eve@example.org, x@y.example", False),
    ("<eve@example.org>", False),
    ("eve@localhost", False),
    ("", False),
])
def test_only_a_plain_single_address_is_ever_mailed(address, ok):
    """An address from a form is used only if it is one plain address."""
    assert valid_address(address) is ok
