"""Reading check-in answers: numbered replies split by number, yes/partly/no, help asked, permission to quote."""
from __future__ import annotations

import pytest

from inbox_worker.config import ScheduleSettings
from inbox_worker.program.outcomes import (
    Questions,
    Track,
    asks_for_help,
    numbered_answers,
    question_numbers,
    yes_or_no,
)

QUESTIONS = ScheduleSettings().assessment_questions


def test_each_default_question_is_known_by_what_it_asks():
    """The default check-in questions: needs 2, went well 3, help 4, quote 5; reordering follows them."""
    assert question_numbers(QUESTIONS) == Questions(needs=2, went_well=3, help=4, quote=5)
    assert question_numbers(QUESTIONS[::-1]) == Questions(needs=4, went_well=3, help=2, quote=1)


@pytest.mark.parametrize(("text", "expected"), [
    ("1. Twice a month.\n2. yes\n3. All good.", {1: "Twice a month.", 2: "yes", 3: "All good."}),
    ("Hi!\n\n1) Weekly\n2) Partly - we lost touch\nin the summer\n4) no",
     {1: "Weekly", 2: "Partly - we lost touch in the summer", 4: "no"}),
    ("Q2: No\nQ5 - Yes", {2: "No", 5: "Yes"}),
    # A question copied into the answer is taken out again.
    ("2. Is the mentoring relationship meeting your needs? (yes / partly / no) Yes, very much",
     {2: "Yes, very much"}),
    ("Thanks, all is well, talk soon.", {}),
])
def test_numbered_answers(text, expected):
    """Answers are split by their numbers, continuation lines joined, greetings before them ignored."""
    assert numbered_answers(text, QUESTIONS) == expected


@pytest.mark.parametrize(("answer", "track"), [
    ("Yes", Track.ON_TRACK), ("yes, very much", Track.ON_TRACK), ("Absolutely!", Track.ON_TRACK),
    ("Partly", Track.PARTLY), ("mostly, yes", Track.PARTLY), ("sort of", Track.PARTLY),
    ("No", Track.OFF_TRACK), ("not really", Track.OFF_TRACK), ("Nope.", Track.OFF_TRACK),
    ("", Track.NOT_SAID), (None, Track.NOT_SAID), ("We meet on Tuesdays", Track.NOT_SAID),
])
def test_yes_or_no(answer, track):
    """How an answer begins says yes, partly or no; anything else is not read as either."""
    assert yes_or_no(answer) is track


@pytest.mark.parametrize(("answer", "asked"), [
    ("No, all good.", None), ("nothing right now", None), ("N/A", None), ("-", None), ("", None),
    ("not at the moment", None), ("We're fine, thanks", None),
    ("Could you help us find a room?", "Could you help us find a room?"),
    ("Not sure how to log our meetings", "Not sure how to log our meetings"),
])
def test_asks_for_help(answer, asked):
    """An answer that asks for nothing is not a request for help; any other answer is, in its own words."""
    assert asks_for_help(answer) == asked
