"""The soft score of a mentor for a protégé: how good a fit, from 0 to 1, by four parts.

- library type: the program hopes mentors and protégés "will be partnered with
  library staff from a similar library type" (same type 1, related types
  such as public and state part-way, otherwise 0);
- goals: the protégé's goals against the mentor's strengths (TF-IDF cosine);
- Wyoming experience: for a protégé new to Wyoming, a mentor whose strengths
  speak of Wyoming libraries, years here or the WYLD consortium, since the
  mentor should "facilitate acclimation to the unique Wyoming Libraries
  dynamics"; for anyone else this part does not apply and its weight is
  shared among the others, so every protégé is scored on the same 0-1 scale;
- waiting: days since the protégé applied, full at `waiting_full_days`, so
  someone who has waited long is placed first when mentors are scarce.

The score is the weighted mean of the parts that apply.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from inbox_worker.form import LIBRARY_TYPES
from inbox_worker.matching.similarity import TfIdf

PARTS = ("library_type", "goals", "wyoming", "waiting")
PART_NAMES = {
    "library_type": "library type",
    "goals": "goals and strengths",
    "wyoming": "Wyoming experience",
    "waiting": "time waiting",
}

_WYOMING = re.compile(r"\b(wyoming|wyo|wy)\b", re.IGNORECASE)
_CONSORTIUM = re.compile(r"\b(wyld|gowyld|consortium)\b", re.IGNORECASE)
_YEARS = re.compile(r"\b(\d{1,2})\+?\s*(?:years?|yrs?)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n")


@dataclass(frozen=True)
class WyomingReading:
    """How much a mentor's strengths say about Wyoming libraries, and in what words."""

    value: float
    note: str


def read_wyoming(strengths: str | None) -> WyomingReading:
    """Score a mentor's written Wyoming experience: a mention, years here, the WYLD consortium."""
    text = strengths or ""
    if not _WYOMING.search(text) and not _CONSORTIUM.search(text):
        return WyomingReading(0.0, "strengths do not mention Wyoming")
    value, notes = 0.5, ["mentions Wyoming"]
    years = 0
    for sentence in _SENTENCE.split(text):
        if _WYOMING.search(sentence) or _CONSORTIUM.search(sentence):
            years = max([years, *(int(y) for y in _YEARS.findall(sentence))])
    if years:
        # Ten years in Wyoming libraries is as much as this part can tell.
        value += 0.25 * min(years, 10) / 10
        notes.append(f"{years} years in Wyoming")
    if _CONSORTIUM.search(text):
        value += 0.25
        notes.append("knows the WYLD consortium")
    return WyomingReading(min(value, 1.0), ", ".join(notes))


def type_table(related: Mapping[str, float]) -> np.ndarray:
    """Likeness of every pair of library types (the last row and column: type not given)."""
    n = len(LIBRARY_TYPES)
    table = np.zeros((n + 1, n + 1))
    for i, t in enumerate(LIBRARY_TYPES):
        # "other" is a type nobody can be sure is like anything, itself included.
        table[i, i] = 0.0 if t == "other" else 1.0
    for pair, value in related.items():
        a, _, b = pair.partition("/")
        if a in LIBRARY_TYPES and b in LIBRARY_TYPES:
            table[LIBRARY_TYPES.index(a), LIBRARY_TYPES.index(b)] = value
            table[LIBRARY_TYPES.index(b), LIBRARY_TYPES.index(a)] = value
    return table


def _type_index(t: str | None) -> int:
    return LIBRARY_TYPES.index(t) if t in LIBRARY_TYPES else len(LIBRARY_TYPES)


def _aware(moment: datetime) -> datetime:
    # A time without a zone is taken as UTC, so naive and aware inputs can be compared.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Scores:
    """Every part for every pair, and the total: protégés by mentors."""

    parts: dict[str, np.ndarray]   # raw 0-1 values, each broadcastable to (protégés, mentors)
    shares: dict[str, np.ndarray]  # each part's share of the total per protégé (weight / applicable total)
    total: np.ndarray
    wyoming_applies: np.ndarray    # bool per protégé
    wyoming: list[WyomingReading]  # per mentor
    waiting_days: np.ndarray       # per protégé
    text: TfIdf


def score_pairs(proteges: Sequence[Mapping], protege_applied: Sequence[datetime], mentors: Sequence[Mapping],
                *, weights: Mapping[str, float], related_types: Mapping[str, float], waiting_full_days: int,
                now: datetime) -> Scores:
    """Score every protégé against every mentor."""
    n_p = len(proteges)
    table = type_table(related_types)
    p_types = np.array([_type_index(r.get("library_type")) for r in proteges], dtype=np.int64)
    m_types = np.array([_type_index(r.get("library_type")) for r in mentors], dtype=np.int64)
    library_type = table[np.ix_(p_types, m_types)]

    text = TfIdf([r.get("goals") for r in proteges], [r.get("strengths") for r in mentors])
    goals = np.clip(text.cosine(), 0.0, 1.0)

    wyoming = [read_wyoming(r.get("strengths")) for r in mentors]
    wy_values = np.array([w.value for w in wyoming], dtype=np.float64)[None, :]
    applies = np.array(["new_to_wyoming" in (r.get("protege_categories") or []) for r in proteges],
                       dtype=bool)

    now = _aware(now)
    days = np.array([max((now - _aware(a)).total_seconds() / 86400.0, 0.0) for a in protege_applied],
                    dtype=np.float64)
    full = max(waiting_full_days, 1)
    waiting = (np.minimum(days, full) / full)[:, None]

    w = {p: float(weights.get(p, 0.0)) for p in PARTS}
    always = w["library_type"] + w["goals"] + w["waiting"]
    applicable = np.full(n_p, always) + np.where(applies, w["wyoming"], 0.0)
    denom = np.where(applicable > 0, applicable, 1.0)
    shares = {p: np.full(n_p, w[p]) / denom for p in PARTS}
    shares["wyoming"] = np.where(applies, shares["wyoming"], 0.0)
    parts = {"library_type": library_type, "goals": goals, "wyoming": wy_values, "waiting": waiting}
    total = sum(shares[p][:, None] * parts[p] for p in PARTS)
    total = np.broadcast_to(total, (n_p, len(mentors))).copy()
    return Scores(parts=parts, shares=shares, total=np.clip(total, 0.0, 1.0), wyoming_applies=applies,
                  wyoming=wyoming, waiting_days=days, text=text)


def describe_parts(scores: Scores, i: int, j: int, protege: Mapping, mentor: Mapping) -> dict:
    """Each part of one pair's score: raw value, its weight (share), weighted value and a note."""
    out = {}
    for part in PARTS:
        values = scores.parts[part]
        raw = float(values[min(i, values.shape[0] - 1), min(j, values.shape[1] - 1)])
        share = float(scores.shares[part][i])
        if part == "library_type":
            a, b = protege.get("library_type"), mentor.get("library_type")
            note = (f"both {a}" if a == b and a else
                    f"{a or 'not given'} and {b or 'not given'}" + (" (related)" if 0 < raw < 1 else ""))
        elif part == "goals":
            if not protege.get("goals"):
                note = "protégé wrote no goals"
            elif not mentor.get("strengths"):
                note = "mentor wrote no strengths"
            else:
                words = scores.text.shared_words(i, j)
                note = "shared words: " + ", ".join(words) if words else "no words in common"
        elif part == "wyoming":
            note = "the protégé is not new to Wyoming" if not scores.wyoming_applies[i] else scores.wyoming[j].note
        else:
            note = f"{int(scores.waiting_days[i])} days since applying"
        out[part] = {"raw": round(raw, 4), "weight": round(share, 4), "weighted": round(raw * share, 4),
                     "applies": part != "wyoming" or bool(scores.wyoming_applies[i]), "note": note}
    return out
