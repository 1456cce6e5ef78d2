"""How well the parser reads applications it has never seen: generated ones, on a seed of your choosing.

    .venv/bin/python bench/accuracy.py --seed 90210 --count 500 [--show 20] [--out DIR]

Makes COUNT messages with bench/formgen (an applicant each, rendered in
independent ways: formats, layouts, label positions, wrapping, marks,
value styles, forwarding, replies, charsets, letters, and messages that are
no application), reads each with `inbox_worker.extract.extract_message`,
and compares field by field with the record the generator says it holds,
by the scorer's rules (tests/fieldcompare.py, as shared/tools/score.py).

Prints field accuracy, whole records, wrong roles and wrong values (a
non-empty value that is not the applicant's; an empty field is a miss,
never a wrong value), negatives refused and crashes, then the misses by
kind. `--out DIR` also writes the cases as NAME.eml + NAME.expected.json,
for `shared/tools/score.py`. Measure on a seed you have not looked at.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fieldcompare import compare, is_empty
from formgen import Case, generate

from inbox_worker.extract import extract_message

KEYS = ["role", "name", "phone", "address", "city", "state", "zip", "email", "library_name", "position",
        "library_type", "supervisor_support", "supervisor_name", "supervisor_email", "protege_categories",
        "mentor_categories", "goals", "strengths"]


@dataclass
class Tally:
    """The figures over a run."""

    fields: int = 0
    fields_right: int = 0
    records: int = 0
    records_whole: int = 0
    wrong_roles: int = 0
    wrong_values: int = 0
    missed_applications: int = 0
    negatives: int = 0
    negatives_refused: int = 0
    crashes: int = 0
    seconds: float = 0.0
    misses: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.fields_right / self.fields if self.fields else 0.0

    @property
    def wrong_value_rate(self) -> float:
        return self.wrong_values / self.fields if self.fields else 0.0


def _kind(case: Case) -> str:
    """The case's family: its format and layout, without the number."""
    return case.name.split("-", 1)[1]


def measure(cases: list[Case]) -> Tally:
    """Read every case and count what was right, what was missed and what was wrong."""
    tally = Tally()
    for case in cases:
        start = time.perf_counter()
        try:
            extraction = extract_message(case.raw)
        except Exception as exc:  # a crash is counted and reported, not raised
            tally.crashes += 1
            tally.notes.append(f"{case.name}: crashed: {type(exc).__name__}: {exc}")
            continue
        finally:
            tally.seconds += time.perf_counter() - start
        if case.expected is None:
            tally.negatives += 1
            if extraction.kind == "no_application":
                tally.negatives_refused += 1
            else:
                tally.misses[_kind(case) + ": read as an application"] += 1
                tally.notes.append(f"{case.name}: no application, read as one ({case.how})")
            continue
        tally.records += 1
        tally.fields += len(KEYS)
        if extraction.kind != "application":
            tally.missed_applications += 1
            tally.misses[_kind(case) + ": no application found"] += 1
            tally.notes.append(f"{case.name}: no application found: {extraction.reason} ({case.how})")
            tally.fields_right += sum(is_empty(case.expected[k]) for k in KEYS)
            continue
        got = extraction.output()
        wrong = compare({k: case.expected[k] for k in KEYS}, got)
        tally.fields_right += len(KEYS) - len(wrong)
        tally.records_whole += not wrong
        for miss in wrong:
            key = miss["field"]
            is_wrong = not is_empty(miss["got"])
            tally.wrong_values += is_wrong
            tally.wrong_roles += is_wrong and key == "role"
            tally.misses[f"{_kind(case)}: {key} {'wrong' if is_wrong else 'missed'}"] += 1
            tally.notes.append(f"{case.name}: {key} {'WRONG' if is_wrong else 'missed'}: expected "
                               f"{json.dumps(miss['expected'], ensure_ascii=False)[:70]}, got "
                               f"{json.dumps(miss['got'], ensure_ascii=False)[:70]} ({case.how})")
    return tally


def report(tally: Tally, seed: int, count: int) -> str:
    lines = [
        f"seed {seed}: {count} generated messages ({tally.records} applications, {tally.negatives} not applications)",
        f"field accuracy {tally.accuracy:.4f} ({tally.fields_right}/{tally.fields})",
        f"whole records {tally.records_whole}/{tally.records}",
        f"wrong roles {tally.wrong_roles}",
        f"wrong values {tally.wrong_values} (1 in {tally.fields // max(tally.wrong_values, 1)} fields)",
        f"applications not found {tally.missed_applications}/{tally.records}",
        f"negatives refused {tally.negatives_refused}/{tally.negatives}",
        f"crashes {tally.crashes}",
        f"reading time {tally.seconds:.1f} s ({1000 * tally.seconds / max(count, 1):.0f} ms a message)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, required=True, help="the generator's seed; use one you never looked at")
    parser.add_argument("--count", type=int, default=500, help="how many messages (default 500)")
    parser.add_argument("--show", type=int, default=0, help="print this many of the misses, one a line")
    parser.add_argument("--kinds", action="store_true", help="print the misses counted by kind")
    parser.add_argument("--out", type=Path, help="also write the cases here as .eml and .expected.json")
    args = parser.parse_args(argv)
    cases = generate(args.seed, args.count)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for case in cases:
            (args.out / f"{case.name}.eml").write_bytes(case.raw)
            expected = case.expected if case.expected is not None else {"no_application": True}
            (args.out / f"{case.name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2))
    tally = measure(cases)
    if args.kinds:
        for kind, n in tally.misses.most_common():
            print(f"{n:4d}  {kind}")
    for note in tally.notes[: args.show]:
        print(note)
    print(report(tally, args.seed, args.count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
