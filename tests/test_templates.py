"""Every email template renders, escapes what applicants typed, and can be overridden."""
from __future__ import annotations

import email
import email.policy
import os
from datetime import UTC, datetime
from email.utils import getaddresses

import pytest

from inbox_worker.cli.samples import SAMPLE_RECORD, sample_context
from inbox_worker.config import Settings
from inbox_worker.outbound.contexts import acknowledgement_context
from inbox_worker.outbound.emails import TEMPLATES, Envelope, Templates, build_message


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
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
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


def test_an_override_edited_while_the_worker_runs_is_read_again_at_the_next_cycle(tmp_path):
    """Templates are read once; `refresh` (at the start of every cycle) reads a changed one again."""
    (tmp_path / "acknowledgement").mkdir()
    subject = tmp_path / "acknowledgement" / "subject.txt"
    subject.write_text("Thanks, {{ greeting_name }}!")
    templates = Templates(tmp_path)
    context = sample_context("acknowledgement", Settings())
    assert templates.render("acknowledgement", context).subject == "Thanks, Avery Sample!"
    subject.write_text("Received, {{ greeting_name }}.")
    os.utime(subject, (subject.stat().st_atime, subject.stat().st_mtime + 5))
    assert templates.render("acknowledgement", context).subject == "Thanks, Avery Sample!"
    templates.refresh()
    assert templates.render("acknowledgement", context).subject == "Received, Avery Sample."


def test_an_unknown_variable_in_a_template_is_an_error(tmp_path):
    """A typo in an override fails loudly instead of sending a blank."""
    (tmp_path / "acknowledgement").mkdir()
    (tmp_path / "acknowledgement" / "subject.txt").write_text("Hi {{ no_such_thing }}")
    with pytest.raises(Exception, match="no_such_thing"):
        Templates(tmp_path).render("acknowledgement", sample_context("acknowledgement", Settings()))


def _built_by_the_email_package(rendered, envelope, message_id, date, attachments) -> bytes:
    """The same email built with the email package alone, as the program built it before."""
    from email.message import EmailMessage
    from email.utils import format_datetime, formataddr

    msg = EmailMessage(policy=email.policy.default)
    msg["From"] = formataddr((envelope.from_name, envelope.from_address))
    msg["To"] = ", ".join(envelope.to)
    if envelope.cc:
        msg["Cc"] = ", ".join(envelope.cc)
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(date.replace(tzinfo=UTC))
    msg["Message-ID"] = message_id
    if envelope.in_reply_to:
        msg["In-Reply-To"] = envelope.in_reply_to
        msg["References"] = " ".join([*envelope.references, envelope.in_reply_to])
    msg["Auto-Submitted"] = envelope.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Inbox-Worker"] = "1"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))


def _as_read(raw: bytes) -> tuple[list, list]:
    """An email's headers and leaves, as the email package reads them back (a line break in text
    is CRLF or LF, as the body's encoding carries it)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = sorted((name, str(value)) for name, value in msg.items() if name != "Content-Type")
    leaves = []
    for p in msg.walk():
        if not p.is_multipart():
            content = p.get_content()
            leaves.append((p.get_content_type(), p.get_param("charset"), p.get_filename(),
                           content.replace("\r\n", "\n") if isinstance(content, str) else content))
    return headers, leaves


def test_emails_read_back_as_the_email_package_would_have_written_them():
    """Every template, and text made to be awkward, written by the program and built by the email
    package alone, read back the same: every header, and every part's type, charset, file name
    and content."""
    from inbox_worker.intake.pipeline import _blank_form
    from inbox_worker.outbound.emails import Attachment, Rendered

    envelope = Envelope(
        from_address="program@example.org", from_name="Wyoming Library Association — Mentoring",
        to=["Anaïs Díaz <anais@example.org>", "bo@example.org"], cc=["coord@example.org"],
        in_reply_to="<their@example.net>", references=["<a@b>"], reply_to="program@example.org")
    pdf = Attachment("formulaire d'adhésion.pdf", "application/pdf", b"%PDF-1.4\n\xff" * 50)
    awkward = "\n".join(["plain", "trailing space ", "tab\tinside\t", "From the start", ".a dot", "",
                         "é" * 300, "x" * 1200, "=?utf-8?q?not_a_header?=", "lone\rcarriage", "crlf\r\nend",
                         "last"])
    cases = [Templates().render(name, sample_context(name, Settings())) for name in TEMPLATES]
    cases += [Rendered("A subject that is rather long, " * 5 + "and ends here", awkward, f"<p>{awkward}</p>"),
              Rendered("Plain", "short ascii\n", "<p>short</p>\n")]
    date = datetime(2026, 4, 10, 9)
    for rendered in cases:
        for files in ([], [*_blank_form(), pdf]):
            ours = build_message(rendered, envelope, message_id="<ack-1.x@example.org>", date=date,
                                 attachments=files)
            theirs = _built_by_the_email_package(rendered, envelope, "<ack-1.x@example.org>", date, files)
            assert _as_read(ours.raw) == _as_read(theirs), rendered.subject
            assert ours.recipients == ["anais@example.org", "bo@example.org", "coord@example.org"]
            lines = ours.raw.split(b"\r\n")
            assert not any(b"\n" in line or b"\r" in line for line in lines)
            assert max(map(len, lines)) <= 998
    # Plain addresses alone are taken as they are: the same as the parser of address headers gives.
    plain = Envelope(from_address="program@example.org", from_name="Mentoring",
                     to=["bo@example.org"], cc=["Coord.Two+digest@example.org"])
    built = build_message(cases[0], plain, message_id="<ack-1.x@example.org>", date=date)
    assert built.recipients == [addr for _name, addr in getaddresses(plain.to + plain.cc)]
    assert built.recipients == ["bo@example.org", "Coord.Two+digest@example.org"]


def test_a_header_is_written_as_the_email_package_writes_it():
    """A header written out as it was given (a line of plain ASCII) is byte for byte what
    policy.SMTP's fold writes whenever the email package reads the value back as given, for
    awkward values too: quoted names, comments, groups, text that looks like an encoded word,
    tabs, non-ASCII, lines too long for the limit. A line break is refused."""
    import random

    from inbox_worker.mail.outgoing import header_line

    values = {
        "From": ['"Dr. Ann O\'Neil" <ann@example.org>', "Ann (the mentor) <ann@example.org>",
                 "ann@example.org", "undisclosed-recipients:;", "Anaïs <anais@example.org>",
                 '"=?utf-8?q?x?=" <a@b.example>'],
        "Subject": ["Your application", "=?utf-8?q?caf=C3=A9?=", "tab\there", "  leading spaces",
                    "x" * 1200, "Re: [list] (note) <tag> \"quoted\"", "café"],
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
    smtp = email.policy.SMTP.clone(max_line_length=998)
    compared = as_given = 0
    for name, texts in values.items():
        for text in texts:
            try:
                header = smtp.header_store_parse(name, text)[1]
            except Exception:  # noqa: S112 - values the email package refuses are not compared
                continue
            if str(header) == text:
                line = header_line(name, text)
                assert line == smtp.fold_binary(name, header), (name, text)
                compared += 1
                as_given += line == f"{name}: {text}\r\n".encode()
    # Both ways were compared: many headers were written as given, and some folded or encoded.
    assert compared > 200 and 100 < as_given < compared
    for _ in range(2):
        with pytest.raises(ValueError):
            header_line("Subject", "Hello\r\nBcc: evil@example.net")


def test_an_email_with_an_attachment_reads_back_part_for_part():
    """The boundaries the program picks (one per multipart, none the same) give back, parsed,
    the text, the HTML and the attached form exactly as they went in."""
    from inbox_worker.intake.pipeline import _blank_form

    rendered = Templates().render("acknowledgement", sample_context("acknowledgement", Settings()))
    form = _blank_form()
    message = build_message(rendered, Envelope("program@example.org", "Program", ["ann@example.org"]),
                            message_id="<ack-1.x@example.org>", date=datetime(2026, 4, 10, 9),
                            attachments=form)
    read = message.parsed()
    boundaries = [part.get_boundary() for part in read.walk() if part.is_multipart()]
    assert len(boundaries) == 2 and len(set(boundaries)) == 2
    leaves = [part for part in read.walk() if not part.is_multipart()]
    assert [p.get_content_type() for p in leaves] == ["text/plain", "text/html", form[0].content_type]
    assert leaves[0].get_content().replace("\r\n", "\n") == rendered.text
    assert leaves[1].get_content().replace("\r\n", "\n") == rendered.html
    assert leaves[2].get_content() == form[0].data
    assert leaves[2].get_filename() == form[0].filename


def test_a_boundary_found_in_the_text_is_not_used(monkeypatch):
    """Were the random boundary in the email's own text, another is drawn."""
    from inbox_worker.outbound import emails

    drawn = iter(["a" * 32, "b" * 32])
    monkeypatch.setattr(emails.secrets, "token_hex", lambda _n: next(drawn))
    rendered = emails.Rendered("Subject", f"text quoting =_inbox-worker_{'a' * 32}", "<p>html</p>")
    assert emails._boundary(rendered) == f"=_inbox-worker_{'b' * 32}"


@pytest.mark.parametrize("name", ["acknowledgement", "acknowledgement_update"])
def test_an_uncertain_value_is_asked_to_be_confirmed_by_its_label(name):
    """A field read but not beyond doubt is shown with "please confirm", by the form's label and the value read."""
    record = dict(SAMPLE_RECORD, city="Thermopolis")
    context = acknowledgement_context(Settings().program, record, [], form_attached=False, uncertain_keys=["city"])
    rendered = Templates().render(name, context)
    assert "City: Thermopolis   (please confirm)" in rendered.text
    assert "Please reply to confirm them" in rendered.text and "  - City: Thermopolis" in rendered.text
    assert "everything we need" not in rendered.text
    assert "please confirm a detail" in rendered.subject
    assert "Thermopolis <em>(please confirm)</em>" in rendered.html


def test_without_uncertain_values_nothing_is_asked_to_be_confirmed():
    """The current callers, which pass no uncertain fields, get the acknowledgement as before."""
    context = acknowledgement_context(Settings().program, SAMPLE_RECORD, [], form_attached=False)
    rendered = Templates().render("acknowledgement", context)
    assert "confirm" not in rendered.text.lower()
    assert "Your form has everything we need." in rendered.text
