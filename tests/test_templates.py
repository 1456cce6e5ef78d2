"""Every email template renders, escapes what applicants typed, and can be overridden."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime

import pytest

from inbox_worker.config import Settings
from inbox_worker.decide import acknowledgement_context
from inbox_worker.emails import TEMPLATES, Envelope, Templates, build_message
from inbox_worker.samples import SAMPLE_RECORD, sample_context


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_renders_text_and_html(name):
    """Each template in the table renders a one-line subject and both bodies with sample data."""
    rendered = Templates().render(name, sample_context(name, Settings()))
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip()
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")


def test_applicant_text_cannot_change_headers_or_markup():
    """A name carrying CR/LF, header syntax, HTML and jinja2 syntax stays inert text."""
    hostile = dict(SAMPLE_RECORD, name="Eve\r\nBcc: victim@example.org <script>alert(1)</script> {{ 7*7 }}")
    context = acknowledgement_context(Settings().program, hostile, [], form_attached=False)
    rendered = Templates().render("acknowledgement", context)
    message = build_message(rendered, Envelope("program@example.org", "Program", ["eve@example.org"]),
                            message_id="<x@example.org>", date=datetime(2026, 4, 1))
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["eve@example.org"]
    html = parsed.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in parsed.get_body(("plain",)).get_content()
    assert "49" not in html


def test_an_override_folder_replaces_a_bundled_file(tmp_path):
    """A coordinator's override of one file wins; the other files still come from the bundle."""
    (tmp_path / "acknowledgement").mkdir()
    (tmp_path / "acknowledgement" / "subject.txt").write_text("Thanks, {{ greeting_name }}!")
    rendered = Templates(tmp_path).render("acknowledgement", sample_context("acknowledgement", Settings()))
    assert rendered.subject == "Thanks, Avery Sample!"
    assert "Thank you for applying" in rendered.text


def test_an_unknown_variable_in_a_template_is_an_error(tmp_path):
    """A typo in an override fails loudly instead of sending a blank."""
    (tmp_path / "acknowledgement").mkdir()
    (tmp_path / "acknowledgement" / "subject.txt").write_text("Hi {{ no_such_thing }}")
    with pytest.raises(Exception, match="no_such_thing"):
        Templates(tmp_path).render("acknowledgement", sample_context("acknowledgement", Settings()))


def test_emails_built_with_remembered_headers_are_the_emails_built_without(monkeypatch):
    """Every template, built twice with the header cache (cold, then warm) and once with plain
    policy.default (written out by plain policy.SMTP), gives the same bytes (MIME boundaries
    aside); a header carrying a line break is still refused."""
    import re

    from inbox_worker import emails
    from inbox_worker.intake import _blank_form
    from inbox_worker.outbox import WIRE

    envelope = Envelope(from_address="program@example.org", from_name="Wyoming Library Association — Mentoring",
                        to=["anaïs.díaz@example.org"], in_reply_to="<their@example.net>", references=["<a@b>"])

    def built(name: str, wire=WIRE) -> bytes:
        rendered = Templates().render(name, sample_context(name, Settings()))
        msg = build_message(rendered, envelope, message_id="<ack-1.x@example.org>", date=datetime(2026, 4, 10, 9),
                            attachments=_blank_form())
        return re.sub(rb"=_inbox-worker_[0-9a-f]{32}", b"BOUNDARY", msg.as_bytes(policy=wire))

    for name in TEMPLATES:
        cold, warm = built(name), built(name)
        with monkeypatch.context() as m:
            m.setattr(emails, "POLICY", email.policy.default)
            plain = built(name, email.policy.SMTP.clone(max_line_length=998))
        assert cold == warm == plain, name
    for _ in range(2):  # refused again when asked again: a refusal is not remembered as a value
        with pytest.raises(ValueError):
            email.message.EmailMessage(policy=emails.POLICY)["Subject"] = "Hello\r\nBcc: evil@example.net"


def test_headers_written_as_given_are_the_headers_fold_writes():
    """A header written out as it was given (a short line of plain ASCII) is byte for byte what
    policy.SMTP's fold writes, for awkward values too: quoted names, comments, groups, text that
    looks like an encoded word, tabs, non-ASCII, lines too long for the limit."""
    import random

    from inbox_worker.mailpolicy import POLICY

    values = {
        "From": ['"Dr. Ann O\'Neil" <ann@example.org>', "Ann (the mentor) <ann@example.org>",
                 "ann@example.org", "Ann  Lee <ann@example.org>", "undisclosed-recipients:;",
                 "Anaïs <anais@example.org>", '"=?utf-8?q?x?=" <a@b.example>'],
        "Subject": ["Your application", "=?utf-8?q?caf=C3=A9?=", "tab\there", "  leading spaces",
                    "x" * 120, "Re: [list] (note) <tag> \"quoted\"", "café"],
        "Message-ID": ["<ack-1.abc@example.org>", "<a b@c>"],
        "In-Reply-To": ["<their@example.net>"],
        "Date": ["Fri, 10 Apr 2026 09:00:00 +0000"],
        "Auto-Submitted": ["auto-replied"],
    }
    rng = random.Random(3834)
    alphabet = "abcXYZ019 .,;:@<>()[]\"\\=?_-'\t"
    values["Subject"] += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 90)))
                          for _ in range(200)]
    values["To"] = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))) + "@example.org"
                    for _ in range(200)]
    compared = as_given = 0
    for limit in (78, 998):
        ours = POLICY.clone(linesep="\r\n", max_line_length=limit)
        plain = email.policy.SMTP.clone(max_line_length=limit)
        for name, texts in values.items():
            for text in texts:
                msg = email.message.EmailMessage(policy=POLICY)
                try:
                    msg[name] = text
                except Exception:  # noqa: S112 - refused when set (a few random ones), however written
                    continue
                expected = msg.as_bytes(policy=plain)
                assert msg.as_bytes(policy=ours) == expected, (name, text)
                compared += 1
                as_given += getattr(msg[name], "_inbox_worker_as_given", False)
    # Both ways were compared: many headers were written as given, and many folded.
    assert compared > 800 and 100 < as_given < compared - 100


def test_an_email_with_an_attachment_reads_back_part_for_part():
    """The boundaries the program picks (one per multipart, none the same) give back, parsed,
    the text, the HTML and the attached form exactly as they went in."""
    from inbox_worker.intake import _blank_form

    rendered = Templates().render("acknowledgement", sample_context("acknowledgement", Settings()))
    form = _blank_form()
    message = build_message(rendered, Envelope("program@example.org", "Program", ["ann@example.org"]),
                            message_id="<ack-1.x@example.org>", date=datetime(2026, 4, 10, 9),
                            attachments=form)
    boundaries = [part.get_boundary() for part in message.walk() if part.is_multipart()]
    assert len(boundaries) == 2 and len(set(boundaries)) == 2

    read = email.message_from_bytes(message.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)
    leaves = [part for part in read.walk() if not part.is_multipart()]
    assert [p.get_content_type() for p in leaves] == ["text/plain", "text/html", form[0].content_type]
    assert leaves[0].get_content().replace("\r\n", "\n") == rendered.text
    assert leaves[1].get_content().replace("\r\n", "\n") == rendered.html
    assert leaves[2].get_content() == form[0].data


def test_a_boundary_found_in_the_text_is_not_used(monkeypatch):
    """Were the random boundary in the email's own text, another is drawn."""
    from inbox_worker import emails

    drawn = iter(["a" * 32, "b" * 32])
    monkeypatch.setattr(emails.secrets, "token_hex", lambda _n: next(drawn))
    rendered = emails.Rendered("Subject", f"text quoting =_inbox-worker_{'a' * 32}", "<p>html</p>")
    assert emails._boundary(rendered) == f"=_inbox-worker_{'b' * 32}"
