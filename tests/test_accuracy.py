"""The parser on applications it has never seen: generated ones, on a fixed set of seeds, against thresholds.

bench/formgen renders invented applicants in many independent ways (formats,
layouts, label positions, wrapping, marks, value styles, forwarding, replies,
charsets, letters, messages that are no application); bench/accuracy.py
reads them and compares with the record each should give. Here a small fixed
set of seeds runs in the suite and its figures are printed; a fresh seed is
what measures the parser (`bench/accuracy.py --seed N`).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from accuracy import measure, report  # noqa: E402
from formgen import generate  # noqa: E402

SEEDS = (101, 202, 303)
PER_SEED = 120


@pytest.fixture(scope="module")
def tallies():
    return {seed: measure(generate(seed, PER_SEED)) for seed in SEEDS}


def test_figures_are_printed(tallies, capsys):
    """Each seed's field accuracy, whole records, wrong roles and wrong values are shown with the test run."""
    with capsys.disabled():
        for seed, tally in tallies.items():
            print("\n" + report(tally, seed, PER_SEED))
    assert all(t.records for t in tallies.values())


def test_fields_are_read_right(tallies):
    """At least 99% of fields are right on every seed."""
    for seed, tally in tallies.items():
        assert tally.accuracy >= 0.99, (seed, tally.notes[:20])


def test_no_role_is_wrong(tallies):
    """A mentor is never recorded as a protégé, nor the other way round."""
    for seed, tally in tallies.items():
        assert tally.wrong_roles == 0, (seed, [n for n in tally.notes if "role WRONG" in n])


def test_at_most_one_wrong_value_in_two_hundred_fields(tallies):
    """A value that is not the applicant's is rarer than one field in 200; an empty field is not counted."""
    for seed, tally in tallies.items():
        assert tally.wrong_values * 200 <= tally.fields, (seed, [n for n in tally.notes if "WRONG" in n])


def test_every_message_is_read_and_no_question_becomes_an_application(tallies):
    """No message crashes the reader, every application is found, and every non-application is refused."""
    for seed, tally in tallies.items():
        assert tally.crashes == 0, (seed, tally.notes)
        assert tally.missed_applications == 0, (seed, [n for n in tally.notes if "no application found" in n])
        assert tally.negatives_refused == tally.negatives, (seed, [n for n in tally.notes if "read as one" in n])
