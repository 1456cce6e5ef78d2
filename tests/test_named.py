"""Named form fields (AcroForm, content controls, web inputs) mapped to record keys whatever their names."""

from __future__ import annotations

import pytest

from inbox_worker.extract.named import read_fields

CASES = [
    (
        {"Name": "Margo Tillman", "Phone": "307-555-0144", "Zip": "82633", "LibraryType": "County library"},
        {"name": "Margo Tillman", "phone": "307-555-0144", "zip": "82633", "library_type": "public"},
    ),
    (
        {
            "Applicant Name": "Ann Lee",
            "txtPhone": "307 555 0100",
            "E-mail Address": "Ann@X.example",
            "SupervisorName": "Bo Dix",
            "txtSupervisorEmail[0]": "BO@x.example",
        },
        {
            "name": "Ann Lee",
            "phone": "307 555 0100",
            "email": "ann@x.example",
            "supervisor_name": "Bo Dix",
            "supervisor_email": "bo@x.example",
        },
    ),
    ({"Text1": "Cy Park", "Name": "Cy Park", "Text2": "82001"}, {"name": "Cy Park"}),
    (
        {
            "Mentor": True,
            "Protege": False,
            "MLSLibrarian": True,
            "LibraryDirector": True,
            "NewToWyoming": False,
            "SupervisorSupport": True,
        },
        {
            "role": "mentor",
            "mentor_categories": ["mls_librarian", "library_director"],
            "supervisor_support": True,
        },
    ),
    (
        {"chkProtege": True, "cbNewToLibrary": True, "New MLS degreed individual": True, "Yes": False},
        {"role": "protege", "protege_categories": ["new_to_library", "new_mls"]},
    ),
    (
        {"Role": "/Mentor", "Position": "Branch Manager", "Goals": "Line one\nline two"},
        {"role": "mentor", "position": "Branch Manager", "goals": "Line one line two"},
    ),
    (
        {"Position": "Protégé", "Library": "Teton County Library"},
        {"role": "protege", "library_name": "Teton County Library"},
    ),
    ({"Protege": True, "Mentor": True}, {}),
    ({"Name": "____", "Zip": "", "Mentor": False}, {}),
]


@pytest.mark.parametrize(("fields", "want"), CASES)
def test_read_fields(fields, want):
    """Each field lands on the key its name (or tooltip) means; unknown names and blanks are ignored."""
    got = read_fields(fields, "test").values()
    norm = {k: sorted(v) if isinstance(v, list) else v for k, v in got.items()}
    assert norm == {k: sorted(v) if isinstance(v, list) else v for k, v in want.items()}
