"""The program's own rules as pure functions: what a coordinator is told before deciding on a match."""
from __future__ import annotations

import pytest

from inbox_worker.program.lifecycle import supervisor_status

SUPERVISOR = {"supervisor_name": "Gail Ostby, Branch Manager", "supervisor_email": "gostby@fcl.example"}


@pytest.mark.parametrize(("record", "words", "consult"), [
    ({"supervisor_support": True, **SUPERVISOR},
     ["support secured", "Gail Ostby", "gostby@fcl.example", "notice before the introduction"], False),
    ({"supervisor_support": True, "supervisor_name": "Gail Ostby", "supervisor_email": None},
     ["support secured", "no supervisor email given, so no notice"], False),
    ({"supervisor_support": False, **SUPERVISOR},
     ["NOT secured", "gostby@fcl.example", "consulted before the match is final"], True),
    ({"supervisor_support": None, **SUPERVISOR},
     ["left blank", "Gail Ostby", "consulted before the match is final"], True),
    ({"supervisor_support": None, "supervisor_name": None, "supervisor_email": None},
     ["question skipped", "no permission needed"], False),
])
def test_the_supervisor_line_says_when_to_consult_before_a_match_is_final(record, words, consult):
    line, must_consult = supervisor_status(record)
    assert must_consult is consult
    for word in words:
        assert word in line


def test_the_calendars_view_of_waiting_proteges_reads_their_library_type_as_the_record_says(database_url):
    """The cycle reads only (id, applied at, library type) of each waiting protégé: the same as
    reading each record whole, whatever the record holds under library_type."""
    from datetime import datetime

    from inbox_worker.program import lifecycle
    from inbox_worker.store.database import Database
    from inbox_worker.store.models import Application

    db = Database(database_url)
    db.upgrade()
    records = [{"library_type": "school"}, {}, {"library_type": None},
               {"library_type": "bibliothèque publique"}, {"library_type": 'a "quoted" type'}]
    try:
        with db.unit_of_work() as s:
            for n, record in enumerate(records):
                s.add(Application(email=f"p{n}@example.org", role="protege", status="received", record=record,
                                  missing=[], name=f"P{n}", version=1, created_at=datetime(2026, 1, n + 1),
                                  updated_at=datetime(2026, 1, n + 1)))
            s.add(Application(email="m@example.org", role="mentor", status="received",
                              record={"library_type": "x"}, missing=[], name="M", version=1,
                              created_at=datetime(2026, 1, 9), updated_at=datetime(2026, 1, 9)))
        with db.unit_of_work() as s:
            light = lifecycle.waiting_protege_types(s)
            whole = [(a.id, a.created_at, a.record.get("library_type")) for a in lifecycle.waiting_proteges(s)]
    finally:
        db.dispose()
    assert light == whole and [t for _id, _at, t in light] == [r.get("library_type") for r in records]
