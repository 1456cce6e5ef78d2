"""The generated form, filled in, reads back as the record that was typed into it."""
from __future__ import annotations

import pytest

from inbox_worker import form
from inbox_worker.extract import extract_path
from inbox_worker.extract.docx import read_docx
from inbox_worker.extract.pdf import read_pdf
from inbox_worker.extract.text import read_text
from inbox_worker.outbound.blank_form import fill_form, write_form

MENTOR = {
    "role": "mentor", "name": "Desmond Achterberg", "phone": "(307) 555-0153", "address": "1207 Meadow Lark Ln",
    "city": "Rock Springs", "state": "WY", "zip": "82901-4410", "email": "dachterberg@westernwyoming.example",
    "library_name": "Western Wyoming Community College Hay Library", "position": "Library Director",
    "library_type": "academic", "supervisor_support": True,
    "supervisor_name": "Renata Solis, Vice President for Academic Affairs",
    "supervisor_email": "rsolis@westernwyoming.example", "protege_categories": [],
    "mentor_categories": ["mls_librarian", "library_director"], "goals": None,
    "strengths": "Twenty-two years in academic libraries, nine as director here. I enjoy coaching new managers.",
}
PROTEGE = {
    "role": "protege", "name": "Noëlle Brisbois", "phone": "307-555-0146", "address": "905 Kendrick Ave",
    "city": "Sheridan", "state": "WY", "zip": "82801", "email": "nbrisbois@sheridan.example",
    "library_name": "Sheridan College Griffith Memorial Library", "position": "Evening Circulation Supervisor",
    "library_type": "public", "supervisor_support": None, "supervisor_name": None, "supervisor_email": None,
    "protege_categories": ["new_supervisor", "new_mls"], "mentor_categories": [],
    "goals": "I finished my MLS in December. I\u2019d like help with \u201chard conversations\u201d.",
    "strengths": None,
}
READERS = {"docx": read_docx, "pdf": read_pdf}


@pytest.mark.parametrize("fmt", ["docx", "pdf", "txt"])
def test_blank_form_is_reproducible_and_carries_the_wording(fmt):
    """The same bytes each time, with the form's title, questions and every option from form.py."""
    data = write_form(fmt)
    assert data == write_form(fmt)
    text = read_text(data, "form").text if fmt == "txt" else READERS[fmt](data, "form").text
    for words in (form.TITLE, form.ROLE_QUESTION, form.PROTEGE_HEADING, form.MENTOR_HEADING, form.PROGRAM_INBOX):
        assert words in text
    for choice in form.CHOICES:
        for option in choice.options:
            assert option.label in text


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_fields_are_named_by_record_key(fmt):
    """Each blank and box of the generated form is found under its record or option key."""
    doc = READERS[fmt](fill_form(fmt, MENTOR), "form")
    for key in ("name", "phone", "address", "city", "state", "zip", "email", "library_name", "position",
                "supervisor_name", "supervisor_email", "strengths"):
        assert doc.fields[key] == MENTOR[key]
    assert doc.fields["library_type"] == "academic"
    assert doc.fields["mentor"] is True and doc.fields["protege"] is False
    assert doc.fields["supervisor_support"] is True
    assert doc.fields["mls_librarian"] is True and doc.fields["experienced_staff"] is False
    assert "☒ Mentor" in doc.text and "☐ Protégé" in doc.text


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("record", [MENTOR, PROTEGE], ids=["mentor", "protege"])
def test_filled_form_round_trips(tmp_path, fmt, record):
    """A generated form filled with a record parses back to that record."""
    path = tmp_path / f"application.{fmt}"
    path.write_bytes(fill_form(fmt, record))
    extraction = extract_path(path)
    assert extraction.kind == "application", extraction.reason
    got = extraction.record.contract_dict()
    # The contract compares category lists as sets.
    for key in form.LIST_KEYS:
        assert sorted(got.pop(key)) == sorted(record[key])
    assert got == {k: v for k, v in record.items() if k not in form.LIST_KEYS}


@pytest.mark.parametrize("fmt", ["docx", "pdf", "txt"])
def test_blank_form_is_no_application(tmp_path, fmt):
    """The blank form sent back unfilled holds no application."""
    path = tmp_path / f"form.{fmt}"
    path.write_bytes(write_form(fmt))
    assert extract_path(path).kind == "no_application"
