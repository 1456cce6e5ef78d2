"""The parser over the fixture corpus in tests/fixtures/applications/, and the probe corpus.

Every case is an input (a message .eml, or a bare .docx/.pdf/.odt/.txt/.html/.htm)
with NAME.expected.json beside it: the record `inbox-worker parse` should print,
or {"no_application": true}.  Fields are compared with the scorer's rules
(tests/fieldcompare.py).  The corpus is made by tests/fixtures/make_fixtures.py
from the people it invents, never from parser output.

tests/fixtures/probe/ is a second, independent corpus (tests/fixtures/make_probe.py)
in other wordings and layouts; each of its cases is run the same way, under the
same rule of no wrong guess.

tests/fixtures/kinds/ holds one case for each kind of input the parser once got
wrong on forms it had never seen (a mark before an option on its own line, two
blanks filled as one, labels above or on lines of their own, re-wrapped mail,
tables, forwarded forms, letters, N/A, reworded labels, re-wrapped quotes),
written by hand as a person's mail program or editor would have sent them
(make_binary.py writes the two Word and PDF cases from what was typed).

The last tests print a corpus summary (field accuracy, records, negatives, wrong
non-null guesses) and require no wrong guess: a value where the applicant left
the field empty is worse than a missing one.
"""
from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fieldcompare import compare, is_empty

HERE = Path(__file__).parent
CASES_DIR = HERE / "fixtures" / "applications"
PROBE_DIR = HERE / "fixtures" / "probe"
KINDS_DIR = HERE / "fixtures" / "kinds"
INPUT_EXTS = (".eml", ".docx", ".pdf", ".odt", ".txt", ".html", ".htm")
RECORD_KEYS = ["role", "name", "phone", "address", "city", "state", "zip", "email", "library_name", "position",
               "library_type", "supervisor_support", "supervisor_name", "supervisor_email", "protege_categories",
               "mentor_categories", "goals", "strengths"]


def _cases(folder: Path, prefix: str = "") -> dict[str, Path]:
    out = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in INPUT_EXTS and not p.name.endswith(".expected.json"):
            out[prefix + p.stem] = p
    return out


CASES = _cases(CASES_DIR)
PROBE_CASES = _cases(PROBE_DIR, "probe/")
KIND_CASES = _cases(KINDS_DIR, "kinds/")
ALL_CASES = {**CASES, **PROBE_CASES, **KIND_CASES}


def _expected(name: str) -> dict:
    path = ALL_CASES[name]
    return json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))


def _is_negative(expected: dict) -> bool:
    return expected == {"no_application": True}


@functools.cache
def _outcome(name: str) -> dict:
    """Run the extractor once per case: {"kind", "record", "error"}."""
    from inbox_worker.extract import extract_path

    try:
        ex = extract_path(ALL_CASES[name])
    except Exception as e:  # an exception is a wrong answer, reported as such
        return {"kind": None, "record": None, "error": f"{type(e).__name__}: {e}"}
    record = ex.output() if ex.kind == "application" else None
    return {"kind": ex.kind, "record": record, "error": None}


def _short(v, n=70) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[: n - 3] + "..."


# ---------------------------------------------------------------- the corpus itself
def test_corpus_is_well_formed():
    """Every generated case has its expected record with exactly the contract's keys, or is a negative."""
    assert len(CASES) >= 100
    for name in CASES:
        exp = _expected(name)
        assert _is_negative(exp) or list(exp) == RECORD_KEYS, name
    stems = {p.name[: -len(".expected.json")] for p in CASES_DIR.glob("*.expected.json")}
    assert stems == set(CASES), "every expected file needs its input and every input its expected file"


def test_corpus_matches_its_generator():
    """The committed files are exactly what make_fixtures.py makes (deterministic, not hand-edited)."""
    proc = subprocess.run([sys.executable, str(HERE / "fixtures" / "make_fixtures.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- the parser, case by case
def test_probe_corpus_is_well_formed():
    """Every probe case has its expected record with exactly the contract's keys, or is a negative."""
    assert len(PROBE_CASES) >= 50
    for name in PROBE_CASES:
        exp = _expected(name)
        assert _is_negative(exp) or list(exp) == RECORD_KEYS, name
    stems = {p.name[: -len(".expected.json")] for p in PROBE_DIR.glob("*.expected.json")}
    assert {"probe/" + s for s in stems} == set(PROBE_CASES), "every expected file needs its input and vice versa"


def test_kinds_corpus_is_well_formed():
    """Every kind case has its expected record with exactly the contract's keys, or is a negative."""
    assert len(KIND_CASES) >= 20
    for name in KIND_CASES:
        exp = _expected(name)
        assert _is_negative(exp) or list(exp) == RECORD_KEYS, name
    stems = {p.name[: -len(".expected.json")] for p in KINDS_DIR.glob("*.expected.json")}
    assert {"kinds/" + s for s in stems} == set(KIND_CASES), "every expected file needs its input and vice versa"


@pytest.mark.parametrize("name", list(CASES) + list(PROBE_CASES) + list(KIND_CASES))
def test_fixture(name):
    """The case reads as its expected record, field by field by the scorer's rules (or as no application)."""
    expected = _expected(name)
    out = _outcome(name)
    if _is_negative(expected):
        assert out["error"] is None, f"{name}: raised {out['error']} (expected no_application)"
        assert out["kind"] == "no_application", f"{name}: read an application where there is none: {out['record']}"
        return
    assert out["error"] is None, f"{name}: raised {out['error']}"
    assert out["kind"] == "application", f"{name}: found no application (expected one)"
    wrong = compare(expected, out["record"])
    assert not wrong, f"{name}: {len(wrong)} wrong field(s):\n" + "\n".join(
        f"  {w['field']}: expected {_short(w['expected'])}, got {_short(w['got'])}"
        + ("  <- a guess where null was expected" if w["guess"] else "") for w in wrong)


# ---------------------------------------------------------------- the corpus as a whole
@functools.cache
def _summary() -> dict:
    fields_ok = fields_all = records_ok = apps = negs = negs_ok = errors = false_apps = 0
    guesses, missed, per_field = [], 0, {}
    for name in CASES:
        expected = _expected(name)
        out = _outcome(name)
        errors += out["error"] is not None
        if _is_negative(expected):
            negs += 1
            negs_ok += out["kind"] == "no_application"
            false_apps += out["kind"] == "application"
            continue
        apps += 1
        wrong = compare(expected, out["record"]) if out["kind"] == "application" else [
            {"field": k, "expected": v, "got": None, "guess": False} for k, v in expected.items()]
        fields_all += len(expected)
        fields_ok += len(expected) - len(wrong)
        records_ok += not wrong
        bad = {w["field"] for w in wrong}
        for k in expected:
            c = per_field.setdefault(k, [0, 0])
            c[0] += k not in bad
            c[1] += 1
        for w in wrong:
            if w["guess"]:
                guesses.append(f"{name}: {w['field']} = {_short(w['got'])}")
            elif out["kind"] == "application" and not is_empty(w["expected"]) and is_empty(w["got"]):
                missed += 1
    return {"fields_ok": fields_ok, "fields_all": fields_all, "records_ok": records_ok, "apps": apps,
            "negs": negs, "negs_ok": negs_ok, "false_apps": false_apps, "errors": errors, "guesses": guesses,
            "missed": missed, "per_field": per_field}


def test_corpus_summary(capsys):
    """The corpus's figures are printed: field accuracy, whole records, negatives, wrong guesses."""
    s = _summary()
    acc = s["fields_ok"] / s["fields_all"] if s["fields_all"] else 0.0
    lines = [
        "",
        f"fixture corpus: {len(CASES)} cases in {CASES_DIR.relative_to(HERE.parent)}",
        "per field: " + ", ".join(f"{k} {c[0]}/{c[1]}" for k, c in s["per_field"].items()),
        f"field accuracy: {acc:.3f} ({s['fields_ok']}/{s['fields_all']} fields over {s['apps']} application cases)",
        f"records fully correct: {s['records_ok']}/{s['apps']}",
        f"negatives correctly refused: {s['negs_ok']}/{s['negs']} ({s['false_apps']} returned a record)",
        f"exceptions: {s['errors']}",
        f"wrong non-null guesses: {len(s['guesses'])}; missed values: {s['missed']}",
    ]
    with capsys.disabled():
        print("\n".join(lines))
    assert s["fields_all"] > 0


def test_no_wrong_guesses():
    """Never a value where the applicant left the field empty."""
    guesses = _summary()["guesses"]
    assert not guesses, f"{len(guesses)} wrong non-null guess(es):\n" + "\n".join(guesses)


def test_no_negative_read_as_application():
    """No message that holds no application is read as one."""
    s = _summary()
    assert s["false_apps"] == 0, f"{s['false_apps']} non-application(s) returned a record"


def test_probe_no_wrong_guesses():
    """The probe and kinds corpora under the same rule: never a value where null was expected."""
    guesses = []
    for name in [*PROBE_CASES, *KIND_CASES]:
        expected, out = _expected(name), _outcome(name)
        if _is_negative(expected) or out["kind"] != "application":
            continue
        wrong = compare(expected, out["record"])
        guesses += [f"{name}: {w['field']} = {_short(w['got'])}" for w in wrong if w["guess"]]
    assert not guesses, f"{len(guesses)} wrong non-null guess(es):\n" + "\n".join(guesses)
