"""Every email template renders, escapes what applicants typed, and can be overridden."""
from __future__ import annotations

import email
import email.policy
import os
from datetime import datetime

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


def _leaves(msg) -> list:
    """Each leaf of an email as read back: type, charset, file name, content (a line break in text is
    CRLF or LF, as the body's encoding carries it)."""
    leaves = []
    for p in msg.walk():
        if not p.is_multipart():
            content = p.get_content()
            leaves.append((p.get_content_type(), p.get_param("charset"), p.get_filename(),
                           content.replace("\r\n", "\n") if isinstance(content, str) else content))
    return leaves


def test_emails_read_back_as_they_were_given():
    """Every template, and text made to be awkward, with and without attachments, reads back with
    the headers set and each part's type, charset, file name and content as given; every line ends
    in CRLF and none is over SMTP's 998."""
    from inbox_worker.intake.notify import blank_form as _blank_form
    from inbox_worker.outbound.emails import Attachment, Rendered

    envelope = Envelope(
        from_address="program@example.org", from_name="Wyoming Library Association — Mentoring",
        to=["Anaïs Díaz <anais@example.org>", "bo@example.org"], cc=["coord@example.org"],
        in_reply_to="<their@example.net>", references=["<a@b>"], reply_to="program@example.org")
    pdf = Attachment("formulaire d'adhésion.pdf", "application/pdf", b"%PDF-1.4\n\xff" * 50)
    awkward = "\n".join(["plain", "trailing space ", "tab\tinside\t", "From the start", ".a dot", "",
                         "é" * 300, "x" * 1200, "=?utf-8?q?not_a_header?=", "crlf\r\nend", "last"])
    cases = [Templates().render(name, sample_context(name, Settings())) for name in TEMPLATES]
    cases += [Rendered("A subject that is rather long, " * 5 + "and ends here", awkward, f"<p>{awkward}</p>"),
              Rendered("Plain", "short ascii\n", "<p>short</p>\n")]
    date = datetime(2026, 4, 10, 9)
    for rendered in cases:
        for files in ([], [*_blank_form(), pdf]):
            ours = build_message(rendered, envelope, message_id="<ack-1.x@example.org>", date=date,
                                 attachments=files)
            read = ours.parsed()
            headers = {name: " ".join(str(value).split()) for name, value in read.items()}
            assert headers == {
                "From": "Wyoming Library Association — Mentoring <program@example.org>",
                "To": "Anaïs Díaz <anais@example.org>, bo@example.org", "Cc": "coord@example.org",
                "Reply-To": "program@example.org", "Subject": rendered.subject,
                "Date": "Fri, 10 Apr 2026 09:00:00 +0000", "Message-ID": "<ack-1.x@example.org>",
                "In-Reply-To": "<their@example.net>", "References": "<a@b> <their@example.net>",
                "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "X-Inbox-Worker": "1",
                "MIME-Version": "1.0", "Content-Type": headers["Content-Type"]}
            # A body ends with a line break, as the email package writes it.
            expected = [("text/plain", "utf-8", None, rendered.text.replace("\r\n", "\n").removesuffix("\n") + "\n"),
                        ("text/html", "utf-8", None, rendered.html.replace("\r\n", "\n").removesuffix("\n") + "\n")]
            expected += [(f.content_type, None, f.filename, f.data) for f in files]
            assert _leaves(read) == expected, rendered.subject
            assert ours.recipients == ["anais@example.org", "bo@example.org", "coord@example.org"]
            lines = ours.raw.split(b"\r\n")
            assert not any(b"\n" in line or b"\r" in line for line in lines)
            assert max(map(len, lines)) <= 998


def test_a_message_id_too_long_for_a_line_is_written_as_it_is():
    """In-Reply-To and References carry long ids unencoded, one to a line (RFC 2047 forbids encoded
    words in a msg-id, and mail programs thread by them)."""
    long_id = f"<{'x' * 90}.{'y' * 40}@mail.example.org>"
    envelope = Envelope("program@example.org", "Program", ["ann@example.org"], in_reply_to=long_id,
                        references=["<a@example.org>"])
    from inbox_worker.outbound.emails import Rendered

    message = build_message(Rendered("Hello", "hello\n", "<p>hello</p>\n"), envelope,
                            message_id="<ack-1.x@example.org>", date=datetime(2026, 4, 10, 9))
    head = message.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert f"In-Reply-To: {long_id}\r\n" in head
    assert f"References: <a@example.org>\r\n {long_id}\r\n" in head
    assert "=?" not in head


def test_an_email_with_an_attachment_reads_back_part_for_part():
    """The boundaries the program picks (one per multipart, none the same) give back, parsed,
    the text, the HTML and the attached form exactly as they went in."""
    from inbox_worker.intake.notify import blank_form as _blank_form

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
