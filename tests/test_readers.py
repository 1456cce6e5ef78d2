"""The format readers turn each kind of file into the lines and fields a person would see.

Fixture files live in tests/fixtures/readers/ (made by make_reader_fixtures.py).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from inbox_worker.extract.docx import read_docx
from inbox_worker.extract.html import read_html
from inbox_worker.extract.odt import read_odt
from inbox_worker.extract.pdf import read_pdf
from inbox_worker.extract.sniff import sniff
from inbox_worker.extract.text import read_text
from inbox_worker.record import RefusedInput, UnreadableInput

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
# The public samples sit beside the checkout (../shared/samples), when they are there.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
READERS = {"docx": read_docx, "pdf": read_pdf, "odt": read_odt, "html": read_html, "text": read_text}


def read(name: str):
    data = (FIXTURES / name).read_bytes()
    return READERS[sniff(data, name)](data, name)


def texts(doc) -> list[str]:
    return [line.text for line in doc.lines]


def emphasised(doc) -> list[str]:
    return [line.text for line in doc.lines if line.emphasis]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("form.docx", "docx"), ("acroform.pdf", "pdf"), ("printed.pdf", "pdf"), ("form.odt", "odt"),
     ("word-saved.htm", "html"), ("webform.html", "html"), ("utf16.txt", "text"), ("latin1.txt", "text"),
     ("cp1252.txt", "text")],
)
def test_sniff_tells_kind_by_content(name, kind):
    """Each fixture is recognised from its bytes, and a misleading name does not change that."""
    data = (FIXTURES / name).read_bytes()
    assert sniff(data, name) == kind
    assert sniff(data, "attachment.bin") == kind


def test_sniff_edge_cases():
    """Legacy .doc, mail, empty and binary input are told apart."""
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == "doc"
    assert sniff(b"From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n\r\nbody") == "eml"
    assert sniff(b"") is None
    assert sniff(bytes(range(256)) * 4) is None
    assert sniff(b"Hello <b>there</b>", "note.htm") == "html"
    assert sniff(b"Hello <b>there</b>", "note.txt") == "text"


def test_docx_tables_controls_and_marks():
    """Word: tables as tab-joined rows, content controls and boxes in place, deletions gone."""
    doc = read("form.docx")
    lines = texts(doc)
    assert "Name:\tJane Roe" in lines
    assert "City:\tLaramie" in lines  # from a table nested in a cell
    assert "☐ Protégé" in lines and "☒ Mentor" in lines
    assert "☒ New to Wyoming" in lines and "☐ New MLS degreed" in lines
    assert "☒ Emerging library leader   Zip: 82070" in lines
    assert "Goals: learn cataloging" in lines
    assert "Tabs:\tkept" in lines
    assert not any("MLS librarian" in t or "old words" in t or "Click or tap" in t for t in lines)
    assert emphasised(doc) == ["Library Director", "Library supervisor"]
    assert doc.fields == {"name": "Jane Roe", "Name field": "Jane Roe", "phone": "", "Phone field": "",
                          "protege": False, "Protege": False, "mentor": True, "Mentor": True,
                          "Check1": True, "Zip": "82070"}


def test_pdf_acroform_fields_and_radio_group():
    """A fillable PDF: fields by name and tooltip, the radio group's export value, boxes laid out in place."""
    doc = read("acroform.pdf")
    assert doc.fields["Name"] == doc.fields["Applicant name"] == "Jane Roe"
    assert doc.fields["Role"] == "mentor"
    assert doc.fields["Director"] is True and doc.fields["NewToWyoming"] is False
    assert texts(doc) == ["Fillable test form", "Jane Roe", "Name", "Position you are applying for:",
                          "☐ Protégé", "☒ Mentor", "☐ New to Wyoming", "☒ Library Director"]


def test_pdf_printed_is_text_only():
    """A printed PDF gives its text, page after page, and no fields."""
    doc = read("printed.pdf")
    assert doc.fields == {}
    assert [t for t in texts(doc) if t] == ["Mentoring Program Application", "Name: Jane Roe", "City: Casper",
                                            "X Mentor", "Library Director", "Page two: strengths"]


def test_odt_paragraphs_tables_controls_and_styles():
    """OpenDocument: explicit spaces and tabs kept, table rows joined, controls in place, styles as emphasis."""
    doc = read("form.odt")
    assert texts(doc) == ["Mentoring Program Application", "Name:\tJane   Roe", "Email: jane@example.org",
                          "Casper\tWY", "City\tState", "☒ Mentor", "☐ Protégé", "Experienced library staff",
                          "Library Director", "Library supervisor", "Strengths:", "Ten years at the desk."]
    assert emphasised(doc) == ["Library Director", "Library supervisor"]
    assert doc.fields == {"email": "jane@example.org", "mentor_box": True, "Mentor": True,
                          "protege_box": False, "Protégé": False}


def test_html_saved_from_word():
    """A page saved from Word: its charset from <meta>, conditional comments, Wingdings boxes, highlight."""
    doc = read("word-saved.htm")
    assert texts(doc) == ["Wyoming Library Association’s Mentoring Program Application", "Name: Noëlle Brisbois",
                          "Sheridan\tWY", "City\tState", "·    Protégé", "Mentor", "☒ New to Wyoming",
                          "☐ New MLS degreed individual", "“Hard conversations” matter."]
    assert emphasised(doc) == ["Wyoming Library Association’s Mentoring Program Application", "Mentor"]


def test_html_saved_web_form():
    """A saved web form: answers by name, id and label, written in place; scripts and hidden inputs ignored."""
    doc = read("webform.html")
    assert texts(doc) == ["Name: Jane Roe", "Phone # 307-555-0100", "Position you are applying for:",
                          "☐ Protégé", "☒ Mentor", "☒ Library Director", "☐ Library supervisor",
                          "Library Type Academic", "Strengths:", "Twelve years in academic libraries.",
                          "I like coaching."]
    f = doc.fields
    assert f["applicant_name"] == f["nm"] == f["Name"] == "Jane Roe"
    assert f["Phone #"] == "307-555-0100"
    assert f["role"] == "Mentor" and f["r2"] is True and f["r1"] is False
    assert f["cat_director"] is True and f["Library Director"] is True
    assert f["cat_supervisor"] is False and f["Library supervisor"] is False
    assert f["library_type"] == "Academic"
    assert f["strengths"] == "Twelve years in academic libraries.\nI like coaching."
    assert "csrf" not in f


@pytest.mark.parametrize(("name", "expected"), [
    ("utf16.txt", ["Name: Noëlle Brisbois", "City: Sheridan", "☒ Mentor"]),
    ("latin1.txt", ["Name: Noëlle Brisbois", "City: Sheridan", "[x] Mentor"]),
    ("cp1252.txt", ["Name: Noëlle Brisbois", "Goals: “hard conversations” – and training."]),
])
def test_text_without_declared_charset(name, expected):
    """Text files decode right with no charset given: BOM, then UTF-8, then windows-1252."""
    assert texts(read(name)) == expected


def test_text_declared_latin1_holding_windows_1252():
    """A part labelled iso-8859-1 that carries Windows curly quotes is read as windows-1252."""
    doc = read_text("“quoted”".encode("windows-1252"), "body", "iso-8859-1")
    assert texts(doc) == ["“quoted”"]


def test_html_string_input_and_broken_markup():
    """Broken HTML still reads; str input is accepted."""
    doc = read_html("<div>one<p>two<table><tr><td>a<td>b</table><b>three", "body")
    assert texts(doc) == ["one", "two", "a\tb", "three"]
    assert emphasised(doc) == ["three"]


@pytest.mark.parametrize("reader", [read_docx, read_pdf, read_odt])
@pytest.mark.parametrize("data", [b"", b"garbage" * 100, b"PK\x03\x04" + b"\0" * 200, b"%PDF-1.7\n%%EOF"])
def test_broken_files_raise_unreadable(reader, data):
    """Broken input gives UnreadableInput, never a library's own exception."""
    with pytest.raises(UnreadableInput):
        reader(data, "attachment")


def test_truncated_files_raise_unreadable():
    """A file cut short in transit is unreadable, not a crash."""
    for name, reader in (("form.docx", read_docx), ("acroform.pdf", read_pdf), ("form.odt", read_odt)):
        data = (FIXTURES / name).read_bytes()
        for cut in (len(data) // 3, len(data) // 2, len(data) - 40):
            with contextlib.suppress(UnreadableInput):
                reader(data[:cut], name)


def test_encrypted_pdf_with_password_is_unreadable():
    """A PDF locked with a password says so."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "printed.pdf"))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(UnreadableInput, match="password") as info:
        read_pdf(buf.getvalue(), "locked.pdf")
    assert not isinstance(info.value, RefusedInput)


def test_sample_docx_and_acroform_pdf_read_like_the_form():
    """The shared samples' attachments read as the form's rows, values above labels."""
    import email
    from email import policy

    def attachment(name):
        msg = email.message_from_bytes((SAMPLES / name).read_bytes(), policy=policy.default)
        return next(msg.iter_attachments()).get_payload(decode=True)

    if not SAMPLES.exists():
        pytest.skip("shared samples not present")
    doc = read_docx(attachment("001-docx-typed-over.eml"), "sample")
    assert "Margo Tillman\t307-555-0144" in texts(doc)
    assert "☒ New to Wyoming" in texts(doc)
    doc = read_pdf(attachment("002-acroform-pdf.eml"), "sample")
    assert "Desmond Achterberg\t(307) 555-0153" in texts(doc)
    assert "☒ MLS librarian" in texts(doc)
    assert doc.fields["MLSLibrarian"] is True and doc.fields["Zip Code"] == "82901-4410"
