"""The program's own rules as pure functions: what a coordinator is told before deciding on a match."""
from __future__ import annotations

import pytest

from inbox_worker.program import supervisor_status

SUPERVISOR = {"supervisor_name": "Gail Ostby, Branch Manager", "supervisor_email": "gostby@fcl.example"}


@pytest.mark.parametrize(("record", "words", "consult"), [
    ({"supervisor_support": True, **SUPERVISOR},
     ["support secured", "Gail Ostby", "gostby@fcl.example", "notice when the match is approved"], False),
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
