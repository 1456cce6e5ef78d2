"""What strangers send cannot change our outgoing mail's headers or structure.

GIVEN messages whose names, subjects, message ids and free text carry CR/LF
(encoded words in quoted-printable and base64, split over folded lines),
header syntax, jinja2 syntax and HTML (tests/fixtures/injection/)
WHEN the worker answers them over the real servers, through every email that
copies such a value: the acknowledgement, the digest, the command result, the
supervisor notice, the introduction and the review notice
THEN each email goes to the recipients meant, with exactly the headers meant,
and no body gains a line; the text shows up escaped in the HTML part and
literally in the text part.
"""
from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from intake_world import COORDINATOR, NOW, addressed_to, parsed
from program_world import JANUARY_5, PROGRAM, SECOND_COORDINATOR, Year, text_of
from sqlalchemy import select

from inbox_worker.outbound.emails import valid_address
from inbox_worker.store.models import OutgoingMessage
from inbox_worker.worker import MailSource, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
CRAFTED = Path(__file__).parent / "fixtures" / "injection"
PROTEGE, MENTOR, SUPERVISOR = "eve.protege@attacker.example", "zed.mentor@attacker.example", "boss@attacker.example"
YEAR_COORDINATORS = ["coordinator@wla.example", SECOND_COORDINATOR]
# What every email of each kind carries, in order; In-Reply-To and References follow Message-ID
# where the email answers a message.
ANSWER = ["From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress",
          "X-Inbox-Worker", "MIME-Version", "Content-Type"]
PROGRAM_MAIL = ["From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted",
                "X-Auto-Response-Suppress", "X-Inbox-Worker", "MIME-Version", "Content-Type"]
# A message id as a mail program reads one: <left@right>, printable ASCII, no space.
MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")


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


def _header_names(raw: bytes) -> list[str]:
    """The names of an email's headers as written, in order (continuation lines belong to the one above)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].decode() for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]


def _expected(template: str, msg) -> dict:
    """Who each kind of email goes to, with which headers and parts, in the world of this test."""
    if template in ("acknowledgement", "acknowledgement_update"):
        answered = {PROTEGE: (None, ["<thread-1@attacker.example>"]),
                    MENTOR: ("<mentor-1@attacker.example>",
                             ["<ok-1@attacker.example>", "<mentor-1@attacker.example>"])}
        to = msg["To"].addresses[0].addr_spec
        in_reply_to, references = answered[to]
        names = ANSWER[:5] + (["In-Reply-To"] if in_reply_to else []) + ["References"] + ANSWER[5:]
        return {"to": [to], "cc": [], "names": names, "auto": "auto-replied", "in_reply_to": in_reply_to,
                "references": references}
    if template == "review_notice":
        return {"to": YEAR_COORDINATORS, "cc": [], "names": ANSWER, "auto": "auto-generated"}
    expected = {"to": YEAR_COORDINATORS, "cc": [], "names": PROGRAM_MAIL, "auto": "auto-generated"}
    if template == "supervisor_notice":
        expected["to"] = [SUPERVISOR]
    if template == "proposal":
        expected["to"] = [msg["To"].addresses[0].addr_spec]
        assert expected["to"] in ([PROTEGE], [MENTOR])
    if template == "introduction":
        expected |= {"to": [PROTEGE, MENTOR], "cc": YEAR_COORDINATORS,
                     "names": [*PROGRAM_MAIL[:2], "Cc", *PROGRAM_MAIL[2:]]}
    return expected


def _check_one(received, template: str) -> None:
    """One email as aiosmtpd received it: its recipients, exactly its headers, and bodies that
    start where the structure says, with no line of a header or of the hidden text."""
    msg = email.message_from_bytes(received.data, policy=email.policy.default)
    want = _expected(template, msg)
    assert _header_names(received.data) == want["names"], template
    assert received.recipients == want["to"] + want["cc"], template
    assert [a.addr_spec for a in msg["To"].addresses] == want["to"]
    assert ([a.addr_spec for a in msg["Cc"].addresses] if msg["Cc"] else []) == want["cc"]
    assert msg["From"].addresses[0].addr_spec == PROGRAM
    if "Reply-To" in want["names"]:
        # Replies come to the program mailbox; the digest's carry its token in the address.
        [reply_to] = [a.addr_spec for a in msg["Reply-To"].addresses]
        assert reply_to == PROGRAM or (template == "digest" and re.fullmatch(r"program\+iw1-[0-9a-f-]+@example\.org",
                                                                             reply_to)), reply_to
    assert msg["Auto-Submitted"] == want["auto"]
    assert msg["In-Reply-To"] == want.get("in_reply_to")
    references = str(msg["References"] or "").split()
    assert references == want.get("references", []) and all(MESSAGE_ID.fullmatch(r) for r in references)
    subject = str(msg["Subject"]).strip()
    assert subject and not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", subject), subject
    # The structure: nothing before the first part, and only the parts the template makes.
    assert not (msg.preamble or "").strip() and not (msg.epilogue or "").strip()
    assert not msg.defects
    leaves = [p.get_content_type() for p in msg.walk() if not p.is_multipart()]
    assert leaves[:2] == ["text/plain", "text/html"], template
    # The digest's chart is shown in place; the monthly email carries the report's page.
    assert leaves[2:] in ([], ["text/calendar"], ["application/octet-stream"], ["image/png"], ["text/html"],
                          ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]), leaves
    for part in ("plain", "html"):
        lines = msg.get_body((part,)).get_content().splitlines()
        injected = [line for line in lines if re.match(r"\s*(Bcc|Reply-To|INJECTED)\b", line, re.IGNORECASE)]
        assert injected == [], (template, part, injected)


def _template_of(year: Year) -> dict[str, str]:
    with year.app.db.unit_of_work() as s:
        return dict(s.execute(select(OutgoingMessage.message_id, OutgoingMessage.template)).all())


def _command_reply(digest, number: int) -> bytes:
    """The crafted reply to the digest (its token, its Message-ID, one of its numbers filled in)."""
    token = re.search(r"Token: (iw1-\S+)", text_of(digest)).group(1)
    raw = (CRAFTED / "command-reply.eml.template").read_text()
    raw = (raw.replace("{token}", token).replace("{digest_message_id}", digest["Message-ID"])
           .replace("{number}", str(number)))
    return raw.replace("\n", "\r\n").encode()


def test_encoded_line_breaks_reach_no_header_and_no_body_of_any_email(year: Year):
    """Encoded CR/LF in a Message-ID, References, a reply's Subject, a question's Subject and in the
    names and supervisor on a form: every email the worker sends because of them (acknowledgements,
    digest, monthly report, command result, proposals, supervisor notice, introduction, review notice) reaches
    aiosmtpd with
    exactly the recipients and headers meant, Auto-Submitted where it belongs, and no added line."""
    y = year
    for name in ("protege.eml", "mentor.eml", "question.eml"):
        y.dovecot.append(y.user, (CRAFTED / name).read_bytes())
    y.cycle(JANUARY_5)
    [(_rcpts, digest)] = y.mail("digest")
    [number] = [int(n) for n in re.findall(r"Reply with: +APPROVE (\d+)", text_of(digest))]

    y.dovecot.append(y.user, _command_reply(digest, number))
    y.cycle(JANUARY_5 + timedelta(hours=2))
    y.agree(number, (JANUARY_5 + timedelta(hours=3)).isoformat())  # both said yes to a coordinator
    y.cycle(JANUARY_5 + timedelta(hours=3))

    templates = _template_of(y)
    # An email whose headers were cut short by a line break has no Message-ID left to know it by.
    sent = [(r, templates.get(email.message_from_bytes(r.data, policy=email.policy.default)["Message-ID"],
                              "an email without its Message-ID")) for r in y.smtp.received]
    assert sorted(t for _r, t in sent) == sorted(["acknowledgement", "acknowledgement", "review_notice", "digest",
                                                  "monthly_report", "command_result", "proposal", "proposal",
                                                  "supervisor_notice", "introduction"])
    for received, template in sent:
        _check_one(received, template)

    # The values did reach the emails, as one line of inert text.
    [(_r, result)] = y.mail("command_result")
    assert result["Subject"].startswith('[WLA Mentoring Program] Done: your reply "Re: x Bcc: evil@example.org')
    assert "INJECTED" in result["Subject"]
    [(_r, notice)] = y.mail("supervisor_notice")
    assert notice["Subject"].startswith("Eve x Bcc: evil@example.org INJECTED Protege is joining")
    [(_r, introduction)] = y.mail("introduction")
    assert "Zed Reply-To: evil@example.org INJECTED Mentor" in introduction["Subject"]
    [(_r, review)] = y.mail("review_notice")
    assert "Subject:  Question Bcc: evil@example.org INJECTEDx Bcc: evil@example.org" in text_of(review)
    # The digest wraps its lines; the subject is there as one run of words.
    assert '"Question Bcc: evil@example.org INJECTEDx Bcc: evil@example.org"' in " ".join(text_of(digest).split())
