"""Invented applications, rendered in many independent ways, with the record each should read as.

    from formgen import generate
    for case in generate(seed=7, count=500): case.raw, case.expected, case.how

Each case draws an applicant (`people`), a way of filling the form in
(`layouts`: the printed form with its labels below, above or on lines of
their own, "Label: value" lines, tables), a format (plain or HTML body,
Word with paragraphs or tables, printed or fillable PDF, OpenDocument, a
text attachment) and an envelope (sent directly, forwarded inline or as an
attachment, in a reply, with cover notes, signatures, charsets and
wrapping), independently. Some cases are letters (`letters`), and some
are no application at all. Written from the program's form and the record
contract, never from the reader's code. A seed always gives the same cases
(byte for byte, but for the order of XML attributes odfpy writes in .odt files).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from email.message import EmailMessage

from formgen import layouts, letters, mail, office, pdfs, web
from formgen.blocks import to_text
from formgen.people import Applicant, make_applicant

FORMATS = {"plain": 22, "html": 14, "docx": 14, "docx_table": 6, "pdf_printed": 8, "pdf_fillable": 6, "odt": 6,
           "txt": 6, "letter": 7, "negative": 7}
ENVELOPES = {"direct": 74, "forward_inline": 9, "forward_attached": 8, "reply_above_quote": 5, "resent_quoted": 4}


@dataclass
class Case:
    """One generated message: its bytes, the record it should read as (or None: no application), how it was made."""

    name: str
    raw: bytes
    expected: dict | None
    how: str


def generate(seed: int, count: int) -> list[Case]:
    """`count` cases from `seed`; the same seed always gives the same cases."""
    rng = random.Random(seed)
    return [_case(random.Random(rng.getrandbits(64)), n) for n in range(count)]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _layout(rng: random.Random, fmt: str, a: Applicant) -> tuple[str, list]:
    rich = fmt in ("html", "docx", "docx_table", "odt")
    tables = fmt in ("html", "docx", "docx_table", "odt", "pdf_printed")
    if fmt == "docx_table" or (tables and rng.random() < 0.15):
        return "table", layouts.table_form(a, rng, rich)
    if rng.random() < 0.55:
        return "printed", layouts.printed(a, rng, rich, tables)
    return "label_value", layouts.label_value(a, rng, rich)


def _case(rng: random.Random, n: int) -> Case:
    a = make_applicant(rng)
    fmt = _pick(rng, FORMATS)
    if fmt == "negative":
        return _negative(rng, a, n)
    if fmt == "letter":
        text, expected = letters.letter(a, rng)
        msg = EmailMessage()
        mail.headers(msg, a.record["name"], a.sender, mail.subject(rng), rng)
        mail.text_part(msg, text, rng)
        return _enveloped(rng, a, msg, expected, f"{n:03d}-letter", attached=False)
    layout, blocks = _layout(rng, fmt, a)
    msg = EmailMessage()
    mail.headers(msg, a.record["name"], a.sender, mail.subject(rng), rng)
    attached = fmt not in ("plain", "html")
    note = [] if (not attached and rng.random() < 0.4) else mail.cover_note(a, rng, attached)
    sign = mail.signature(a, rng)
    if fmt == "plain":
        body = "\n".join(note + ([""] if note else [])) + to_text(blocks) + "\n".join(sign)
        mail.text_part(msg, body, rng)
    elif fmt == "html":
        html = web.to_html(blocks, rng)
        html = html.replace("<body>\n", "<body>\n" + web.html_paragraphs(note), 1)
        if rng.random() < 0.5:
            mail.text_part(msg, "\n".join(note) + "\n" + to_text(blocks) + "\n".join(sign), rng, allow_flowed=False)
            msg.add_alternative(html, subtype="html")
        else:
            msg.set_content(html, subtype="html", charset="utf-8",
                            cte=rng.choice(["quoted-printable", "base64", "8bit"]))
    else:
        mail.text_part(msg, "\n".join(note + sign) + "\n", rng)
        data, ctype, filename = _attachment(rng, fmt, blocks, a)
        maintype, subtype = ctype.split("/")
        if rng.random() < 0.1:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    expected = dict(a.record)
    return _enveloped(rng, a, msg, expected, f"{n:03d}-{fmt}-{layout}", attached)


def _attachment(rng: random.Random, fmt: str, blocks: list, a: Applicant) -> tuple[bytes, str, str]:
    stem = rng.choice(["Mentoring Application", "application", f"{a.last} mentoring form", "WLA form filled"])
    if fmt in ("docx", "docx_table"):
        return (office.to_docx(blocks, rng),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f"{stem}.docx")
    if fmt == "odt":
        return office.to_odt(blocks, rng), "application/vnd.oasis.opendocument.text", f"{stem}.odt"
    if fmt == "pdf_printed":
        return pdfs.printed_pdf(blocks), "application/pdf", f"{stem}.pdf"
    if fmt == "pdf_fillable":
        return pdfs.fillable_pdf(a, rng), "application/pdf", f"{stem}.pdf"
    text = to_text(blocks)
    encoding = rng.choice(["utf-8", "utf-8", "utf-16", "windows-1252"])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    if rng.random() < 0.3:
        data = data.replace(b"\n", b"\r\n") if encoding != "utf-16" else text.replace("\n", "\r\n").encode(encoding)
    return data, "text/plain", f"{stem}.txt"


def _enveloped(rng: random.Random, a: Applicant, msg: EmailMessage, expected: dict, name: str,
               attached: bool) -> Case:
    envelope = _pick(rng, ENVELOPES)
    if envelope == "direct" or (envelope in ("reply_above_quote", "resent_quoted") and attached):
        return Case(name, mail.as_bytes(msg), expected, f"{name} direct")
    if envelope == "forward_attached":
        who = mail.someone(rng)
        outer = EmailMessage()
        mail.headers(outer, who[0], who[1], f"Fwd: {msg['Subject']}", rng)
        mail.text_part(outer, "\n".join(mail.forward_note(rng, who)) + "\n", rng)
        outer.add_attachment(msg, filename="application.eml") if rng.random() < 0.3 else outer.add_attachment(msg)
        return Case(name, mail.as_bytes(outer), expected, f"{name} forwarded as attachment")
    body = msg.get_body(("plain",)) if not msg.is_multipart() or msg.get_body(("plain",)) else None
    text = body.get_content() if body is not None else None
    if text is None:
        return Case(name, mail.as_bytes(msg), expected, f"{name} direct")
    if envelope == "forward_inline":
        who = mail.someone(rng)
        lines = [*mail.forward_note(rng, who), "", *mail.forward_header(a, msg, rng), *text.split("\n")]
        outer = _rebuilt(msg, who[0], who[1], f"Fwd: {msg['Subject']}", "\n".join(lines), rng)
        return Case(name, mail.as_bytes(outer), expected, f"{name} forwarded inline")
    if envelope == "reply_above_quote":
        coordinator = f"{mail.COORDINATOR[0]} <{mail.COORDINATOR[1]}>"
        quote_with = mail.quoted if rng.random() < 0.6 else mail.outlook_quoted
        quote = quote_with(mail.coordinator_question(), coordinator, "Mon, Feb 2, 2026")
        lines = [*text.split("\n"), "", *quote]
        outer = _rebuilt(msg, a.record["name"], a.sender, f"Re: {msg['Subject']}", "\n".join(lines), rng)
        return Case(name, mail.as_bytes(outer), expected, f"{name} reply above a quote")
    sender = f"{a.record['name']} <{a.sender}>"
    lines = ["Resending in case my application did not come through.", "", a.first, ""]
    lines += mail.quoted(text, sender, "Tue, Feb 3, 2026 at 9:14 AM")
    outer = _rebuilt(msg, a.record["name"], a.sender, f"Re: {msg['Subject']}", "\n".join(lines), rng)
    return Case(name, mail.as_bytes(outer), expected, f"{name} resent, quoted")


def _rebuilt(msg: EmailMessage, name: str, sender: str, subject: str, text: str, rng: random.Random) -> EmailMessage:
    outer = EmailMessage()
    mail.headers(outer, name, sender, subject, rng)
    mail.text_part(outer, text, rng)
    for part in msg.iter_attachments():
        outer.add_attachment(part.get_payload(decode=True), maintype=part.get_content_maintype(),
                             subtype=part.get_content_subtype(), filename=part.get_filename())
    return outer


def _negative(rng: random.Random, a: Applicant, n: int) -> Case:
    msg = EmailMessage()
    kind = rng.random()
    if kind < 0.5:
        mail.headers(msg, a.record["name"], a.sender, rng.choice(["Question", "mentoring program?", "Hi"]), rng)
        mail.text_part(msg, letters.question(a, rng), rng)
        return Case(f"{n:03d}-negative-question", mail.as_bytes(msg), None, "question")
    text, extra = letters.other_message(a, rng)
    subject = "Out of office" if extra else rng.choice(["Thanks", "Mentoring", "Re: mentoring program"])
    mail.headers(msg, a.record["name"], a.sender, subject, rng)
    for key, value in extra.items():
        msg[key] = value
    mail.text_part(msg, text, rng)
    return Case(f"{n:03d}-negative-note", mail.as_bytes(msg), None, "note")
