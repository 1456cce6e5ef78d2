"""The matching engine, over hand-written scenarios in tests/fixtures/matching/.

Each scenario file holds the protégés, mentors, settings, past pairs and
active counts, and under "expect" what must come out: the pair for each
protégé (null for unmatched), words each unmatched reason must contain, the
runner-up and why it lost, how many mentors each rule blocked, rules a
suggestion must list as passed.
"""
from __future__ import annotations

import importlib.util
import json
import random
import re
from datetime import datetime
from pathlib import Path

import pytest

from inbox_worker.config import MatchingSettings, load_settings
from inbox_worker.form import RECORD_KEYS
from inbox_worker.matching.engine import (
    Candidate,
    MatchResult,
    employer_key,
    format_suggestions,
    level_of,
    suggest_matches,
)

FIXTURES = Path(__file__).parent / "fixtures" / "matching"
SCENARIOS = sorted(p for p in FIXTURES.glob("*.json") if p.stem not in {"employer_keys", "levels"})


def _bench():
    """The benchmark script's people generator, loaded from bench/matching.py."""
    path = Path(__file__).parents[1] / "bench" / "matching.py"
    spec = importlib.util.spec_from_file_location("bench_matching", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _candidate(data: dict) -> Candidate:
    record = {k: ([] if k in ("protege_categories", "mentor_categories") else None) for k in RECORD_KEYS}
    record.update(data["record"])
    record["email"] = data["email"].lower()
    return Candidate(id=data["id"], email=data["email"], record=record, applied_at=_when(data["applied_at"]))


def load_scenario(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        "proteges": [_candidate(c) for c in data["proteges"]],
        "mentors": [_candidate(c) for c in data["mentors"]],
        "settings": MatchingSettings(**data.get("settings", {})),
        "now": _when(data["now"]),
        "past_pairs": {tuple(p) for p in data.get("past_pairs", [])},
        "active_counts": data.get("active_counts", {}),
        "expect": data["expect"],
    }


def run(scenario: dict) -> MatchResult:
    return suggest_matches(scenario["proteges"], scenario["mentors"], settings=scenario["settings"],
                           now=scenario["now"], past_pairs=scenario["past_pairs"],
                           active_counts=scenario["active_counts"])


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path: Path) -> None:
    """Each scenario gives the expected pairs, reasons, runner-ups and passed rules."""
    scenario = load_scenario(path)
    expect = scenario["expect"]
    out = run(scenario).to_json()
    pairs = {s["protege"]: s["mentor"] for s in out["suggestions"]}
    pairs.update({u["protege"]: None for u in out["unmatched"]})
    assert pairs == expect["pairs"]
    reasons = {u["protege"]: " | ".join(u["reasons"]) for u in out["unmatched"]}
    for protege, words in expect.get("unmatched_reasons", {}).items():
        for w in words:
            assert w in reasons[protege], f"{w!r} not in {reasons[protege]!r}"
    explained = {s["protege"]: s["explanation"] for s in out["suggestions"]}
    for protege, runner in expect.get("runner_up", {}).items():
        got = explained[protege]["runner_up"]
        assert got["mentor"] == runner["mentor"]
        assert runner.get("why_not", "") in got["why_not"], got["why_not"]
    for protege, counts in expect.get("mentors_blocked", {}).items():
        assert explained[protege]["mentors_blocked"] == counts
    for protege, rules in expect.get("rules_passed", {}).items():
        passed = " | ".join(explained[protege]["rules_passed"])
        for rule in rules:
            assert rule in passed, passed


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_order_does_not_matter(path: Path) -> None:
    """Shuffling the protégés and mentors gives exactly the same result, explanations included."""
    scenario = load_scenario(path)
    first = json.dumps(run(scenario).to_json(), sort_keys=True)
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(scenario["proteges"])
        rng.shuffle(scenario["mentors"])
        assert json.dumps(run(scenario).to_json(), sort_keys=True) == first


def test_large_run_is_identical_run_to_run() -> None:
    """Two runs over a few hundred generated people, one with inputs reversed, agree to the last digit."""
    bench = _bench()
    proteges, mentors, settings, past, active = bench.make_people(300, 250)
    a = suggest_matches(proteges, mentors, settings=settings, now=bench.NOW, past_pairs=past,
                        active_counts=active)
    b = suggest_matches(proteges[::-1], mentors[::-1], settings=settings, now=bench.NOW, past_pairs=past,
                        active_counts=active)
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)
    assert a.suggestions and a.unmatched


def test_suggestions_keep_every_rule() -> None:
    """No suggestion over generated people breaks a hard rule or falls below the threshold."""
    bench = _bench()
    proteges, mentors, settings, past, active = bench.make_people(200, 200)
    result = suggest_matches(proteges, mentors, settings=settings, now=bench.NOW, past_pairs=past,
                             active_counts=active)
    given: dict[str, int] = {}
    for s in result.suggestions:
        p, m = s.protege, s.mentor
        assert s.score >= settings.min_score
        assert (p.email, m.email) not in past
        assert employer_key(p.record["library_name"], settings.library_systems) != \
            employer_key(m.record["library_name"], settings.library_systems)
        assert level_of(m.record, settings.level_overrides.get(m.email)) >= \
            level_of(p.record, settings.level_overrides.get(p.email))
        given[m.email] = given.get(m.email, 0) + 1
    for email, n in given.items():
        assert n + active.get(email, 0) <= settings.capacities.get(email, settings.default_capacity)


def test_json_shape() -> None:
    """to_json gives exactly the suggestions and unmatched lists, with emails, scores and explanations."""
    out = run(load_scenario(FIXTURES / "capacity.json")).to_json()
    assert set(out) == {"suggestions", "unmatched"}
    s = out["suggestions"][0]
    assert set(s) == {"protege", "mentor", "score", "explanation"}
    assert set(s["explanation"]) >= {"rules_passed", "score", "runner_up", "flags"}
    parts = s["explanation"]["score"]["parts"]
    assert set(parts) == {"library_type", "goals", "wyoming", "waiting"}
    assert sum(p["weighted"] for p in parts.values()) == pytest.approx(s["score"], abs=1e-3)
    assert set(out["unmatched"][0]) == {"protege", "reasons"}
    json.dumps(out)


def test_nothing_to_match() -> None:
    """With no mentors every protégé is unmatched and told so; with no protégés nothing is suggested."""
    scenario = load_scenario(FIXTURES / "capacity.json")
    none = suggest_matches(scenario["proteges"], [], settings=MatchingSettings(), now=scenario["now"])
    assert [u.reasons for u in none.unmatched] == [["no mentors to choose from"]] * 2
    empty = suggest_matches([], scenario["mentors"], settings=MatchingSettings(), now=scenario["now"])
    assert empty.suggestions == [] and empty.unmatched == []


def test_wyoming_part_counts_only_for_protege_new_to_wyoming() -> None:
    """A protégé new to Wyoming prefers the mentor who writes of years in Wyoming libraries; others do not."""
    scenario = load_scenario(FIXTURES / "past_pair.json")
    protege = scenario["proteges"][0]
    strengths = "Circulation and shelving. 15 years in Wyoming libraries, WYLD consortium."
    wy = Candidate(20, "wy@example.org", {**scenario["mentors"][1].record, "name": "Wy Mentor",
                                          "library_name": "Crook County Library", "strengths": strengths},
                   scenario["now"])
    plain = scenario["mentors"][1]
    newcomer = Candidate(protege.id, protege.email,
                         {**protege.record, "protege_categories": ["new_to_wyoming"]}, protege.applied_at)
    settings = MatchingSettings()
    both = [plain, wy]
    local = suggest_matches([protege], both, settings=settings, now=scenario["now"])
    new = suggest_matches([newcomer], both, settings=settings, now=scenario["now"])
    assert new.suggestions[0].mentor.email == "wy@example.org"
    parts = new.suggestions[0].explanation["score"]["parts"]["wyoming"]
    assert parts["applies"] and parts["raw"] == 1.0 and "15 years in Wyoming" in parts["note"]
    assert not local.suggestions[0].explanation["score"]["parts"]["wyoming"]["applies"]


def test_waiting_longer_wins_a_scarce_mentor() -> None:
    """Of two protégés equal in all else, the one who has waited longer gets the only mentor."""
    scenario = load_scenario(FIXTURES / "capacity.json")
    a = scenario["proteges"][0]
    same = {**a.record, "library_name": "Platte County Library"}
    early = Candidate(1, "early@example.org", {**same, "name": "Early"}, _when("2024-10-01T00:00:00Z"))
    late = Candidate(2, "late@example.org", {**same, "name": "Late"}, _when("2025-05-01T00:00:00Z"))
    result = suggest_matches([late, early], scenario["mentors"][:1], settings=MatchingSettings(),
                             now=scenario["now"])
    assert [s.protege.email for s in result.suggestions] == ["early@example.org"]


def _table(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", _table("employer_keys.json"), ids=lambda c: c["name"])
def test_employer_key(case: dict) -> None:
    """Library names reduce to the expected employer key, with library systems mapping branches to one key."""
    systems = json.loads((FIXTURES / "employer_keys.json").read_text(encoding="utf-8"))["library_systems"]
    assert employer_key(case["name"], systems) == case["key"]


@pytest.mark.parametrize("case", _table("levels.json"), ids=lambda c: c["why"])
def test_level_of(case: dict) -> None:
    """Positions and ticked boxes read as the expected level; an override wins."""
    record = {"position": case.get("position"), "protege_categories": case.get("protege_categories", []),
              "mentor_categories": case.get("mentor_categories", [])}
    assert level_of(record, case.get("override")) == case["level"]


def test_coordinator_text_matches_golden_file() -> None:
    """format_suggestions prints the small example exactly as runner_up.txt has it."""
    result = run(load_scenario(FIXTURES / "runner_up.json"))
    golden = FIXTURES / "runner_up.txt"
    assert format_suggestions(result) == golden.read_text(encoding="utf-8")


def test_coordinator_text_explains_unmatched() -> None:
    """The text for coordinators names each unmatched protégé and every reason."""
    result = run(load_scenario(FIXTURES / "capacity.json"))
    text = format_suggestions(result)
    assert "Protégés left unmatched" in text
    assert "Pia Lund <pia@platte.example.org>" in text
    assert "has no free place" in " ".join(text.split())


def test_settings_refuse_unknown_weight() -> None:
    """A misspelt score part in the weights is refused with the list of parts."""
    with pytest.raises(Exception, match="library_type, goals, wyoming"):
        load_settings(overrides={"matching": {"weights": {"goal": 0.5}}})


def test_nobody_mentors_themselves() -> None:
    """Someone who applied as both protégé and mentor is never suggested as their own mentor."""
    scenario = load_scenario(FIXTURES / "past_pair.json")
    protege = scenario["proteges"][0]
    twin = Candidate(99, protege.email.upper(), {**protege.record, "position": "Library Director"},
                     protege.applied_at)
    result = suggest_matches([protege], [twin], settings=MatchingSettings(), now=scenario["now"])
    assert result.suggestions == []
    assert "is the protégé themselves" in result.unmatched[0].reasons[0]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_digest_explains_each_suggestion_in_words(path: Path) -> None:
    """Stored as the program stores it, each explanation reads as lines for a coordinator: the fit in a
    word, every part in points, no field names, Python values or empty lines, the runner-up and the
    blocked counts when there are any; the digest's one line names the library types."""
    from inbox_worker.matching.explanation import explanation_lines, why_line
    from inbox_worker.program.lifecycle import _plain

    for suggestion in run(load_scenario(path)).suggestions:
        stored = json.loads(json.dumps(_plain(suggestion.explanation)))
        lines = explanation_lines(stored)
        text = "\n".join(lines)
        assert re.match(r"A (strong|good|fair) fit \(\d\.\d\d\): the parts below add up to \d+ points of 100", lines[0])
        for name in ("Library type: ", "Goals and strengths: ", "Wyoming experience: ", "Time waiting: "):
            assert sum(line.startswith(name) for line in lines) == 1, (name, lines)
        for jargon in ("raw", "weighted", "applies", "True", "False", "None", "_", "threshold", "level '"):
            assert jargon not in text, (jargon, text)
        assert all(line.strip() and not line.rstrip().endswith(":") for line in lines), lines
        assert ("Next best mentor: " in text) == bool(stored.get("runner_up"))
        assert ("Mentors a program rule ruled out: " in text) == bool(stored.get("mentors_blocked"))
        one = why_line(stored, suggestion.protege.record, suggestion.mentor.record)
        assert "\n" not in one and "librar" in one and "_" not in one, one
    assert explanation_lines({"chosen_by": "coordinator@example.org"}) == ["chosen by coordinator@example.org"]


def test_the_callers_notes_go_with_each_suggestion() -> None:
    """`matches suggest` adds the program's word on each protégé's supervisor under each pair."""
    result = next(r for r in map(run, map(load_scenario, SCENARIOS)) if len(r.suggestions) > 1)
    text = format_suggestions(result, notes=lambda s: [f"supervisor of {s.protege.email}: checked"])
    for s in result.suggestions:
        assert text.count(f"Supervisor of {s.protege.email}: checked.") == 1
