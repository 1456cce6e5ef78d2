"""The program's hard rules for a mentor and a protégé, checked for every pair at once.

From the program's "Criteria for Mentor Selection": a mentor "should not be
employed by the same employer as the protégé" and "should be at the same
level of responsibility or above that of the protégé". Added to those: a
pair is not made twice, a mentor takes no more protégés than their
capacity, and nobody mentors themselves.

Employers are compared by a key made from the library name (generic words
such as "county", "public", "library", "branch" removed) and by the
coordinators' table of library systems and their branches. Two names that
are alike but not equal ("Cambell County Library" and "Campbell County Public
Library") are *blocked* as "possibly the same employer": a suggestion must be
safe to act on, and the coordinator who knows they differ says so once in
`MatchingSettings.distinct_employers`, which lifts the block for good.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from inbox_worker.matching.similarity import name_likeness, token_containment

LEVEL_NAMES = ("staff", "librarian", "supervisor", "director")
# Where a level comes from when the form gives nothing to read it from.
NO_LEVEL_GIVEN = "no position or box given"
STAFF, LIBRARIAN, SUPERVISOR, DIRECTOR = range(4)

# Words that do not tell one employer from another. "school", "college",
# "university", "state" and place names stay: they do.
_GENERIC_TEXT = """
the of and at a an library libraries lib libr county cnty co public pub branch br system systems district
dist no number inc
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())

# Boxes on the form that say a level outright.
_CATEGORY_LEVELS = {
    "new_director": DIRECTOR, "library_director": DIRECTOR,
    "new_supervisor": SUPERVISOR, "library_supervisor": SUPERVISOR,
    "new_mls": LIBRARIAN, "mls_librarian": LIBRARIAN,
}
_CATEGORY_WORDS = {
    "new_director": "New Library Director", "library_director": "Library Director",
    "new_supervisor": "New library supervisor", "library_supervisor": "Library supervisor",
    "new_mls": "New MLS degreed individual", "mls_librarian": "MLS librarian",
}

# Position titles, tried in order; the first that fits gives the level.
_POSITION_LEVELS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(assistant|associate|deputy|vice)\s+(library\s+)?(director|dean|state librarian)\b"),
     SUPERVISOR),
    (re.compile(r"\b(director|dean|state librarian|county librarian|city librarian|head librarian|"
                r"library head)\b"), DIRECTOR),
    (re.compile(r"\b(manager|supervisor|head of|department head|branch head|chair|administrator)\b"),
     SUPERVISOR),
    (re.compile(r"\b(librarian|mls|mlis|media specialist|archivist|teacher[- ]librarian)\b"), LIBRARIAN),
)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def normalise_employer(name: str) -> str:
    """A library name without case, accents, punctuation or generic words ("the", "county", "library")."""
    text = _fold(name).replace("&", " and ").replace("'", "").replace("\u2019", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    kept = [w for w in words if w not in _GENERIC]
    # A name made only of generic words ("The Library") keeps them rather than vanish.
    return " ".join(kept or words)


class EmployerIndex:
    """The library-systems table, normalised once: any system or branch name -> the system's key."""

    def __init__(self, library_systems: Mapping[str, Iterable[str]] | None):
        self._keys: dict[str, str] = {}
        for system in sorted(library_systems or {}):
            key = normalise_employer(system)
            self._keys.setdefault(key, key)
            for branch in library_systems[system]:
                b = normalise_employer(branch)
                # "Laramie County Library System - Pine Bluffs Branch" reads as system + branch.
                for spelling in (b, f"{key} {b}", f"{b} {key}"):
                    self._keys.setdefault(spelling, key)

    def key(self, name: str | None) -> str:
        """The employer key of a library name; "" when no name was given."""
        if not name or not name.strip():
            return ""
        norm = normalise_employer(name)
        return self._keys.get(norm, norm)


def employer_key(name: str, library_systems: Mapping[str, Iterable[str]] | None = None) -> str:
    """The key two library names share when they are the same employer ("" for no name)."""
    return EmployerIndex(library_systems).key(name)


@dataclass(frozen=True)
class LevelReading:
    """A person's level of responsibility and what it was read from, for the explanation."""

    level: int
    source: str

    @property
    def name(self) -> str:
        return LEVEL_NAMES[self.level]


def read_level(record: Mapping, override: int | None = None) -> LevelReading:
    """The level of responsibility from the override, the form's boxes and the position's title."""
    if override is not None:
        level = max(STAFF, min(DIRECTOR, int(override)))
        return LevelReading(level, "a coordinator's setting")
    readings = []
    position = record.get("position") or ""
    folded = _fold(position)
    for pattern, level in _POSITION_LEVELS:
        if pattern.search(folded):
            readings.append(LevelReading(level, f"the position \u201c{position}\u201d"))
            break
    boxes = set(record.get("protege_categories") or []) | set(record.get("mentor_categories") or [])
    for cat in sorted(boxes):
        if cat in _CATEGORY_LEVELS:
            readings.append(LevelReading(_CATEGORY_LEVELS[cat], f"the box \u201c{_CATEGORY_WORDS[cat]}\u201d"))
    if not readings:
        return LevelReading(STAFF, f"the position \u201c{position}\u201d" if position else NO_LEVEL_GIVEN)
    # The highest claim wins: a box ticked for "New Library Director" outranks a modest title.
    # On a tie the position, read first, is named.
    return max(readings, key=lambda r: r.level)


def level_of(record: Mapping, override: int | None = None) -> int:
    """The level of responsibility: 0 staff, 1 librarian/MLS, 2 supervisor, 3 director."""
    return read_level(record, override).level


# Why a pair is blocked, one bit each, so a whole table of pairs is one small integer array.
SAME_PERSON = 1
SAME_EMPLOYER = 2
POSSIBLY_SAME_EMPLOYER = 4
EMPLOYER_UNKNOWN = 8
LEVEL_BELOW = 16
PAIRED_BEFORE = 32
NO_CAPACITY = 64


@dataclass(frozen=True)
class Side:
    """What the rules need to know about one group (protégés or mentors), in a fixed order."""

    emails: tuple[str, ...]
    employer_names: tuple[str, ...]
    employer_keys: tuple[str, ...]
    levels: tuple[LevelReading, ...]


def describe_side(records: Sequence[Mapping], emails: Sequence[str], index: EmployerIndex,
                  level_overrides: Mapping[str, int]) -> Side:
    """Read the employer key and level of each person once."""
    names = tuple((r.get("library_name") or "").strip() for r in records)
    return Side(
        emails=tuple(emails),
        employer_names=names,
        employer_keys=tuple(index.key(n) for n in names),
        levels=tuple(read_level(r, level_overrides.get(e)) for r, e in zip(records, emails, strict=True)),
    )


@dataclass(frozen=True)
class Employers:
    """How every protégé's employer compares with every mentor's."""

    same: np.ndarray        # bool, equal keys
    possibly: np.ndarray    # bool, alike but not equal (and not confirmed distinct)
    unknown: np.ndarray     # bool, either side gave no library name


def compare_employers(proteges: Side, mentors: Side, near_threshold: float,
                      distinct: Iterable[tuple[str, str]] = ()) -> Employers:
    """Compare employers by key, over the distinct keys only (there are far fewer keys than people)."""
    pk = sorted(set(proteges.employer_keys))
    mk = sorted(set(mentors.employer_keys))
    p_idx = np.array(_positions(proteges.employer_keys, pk), dtype=np.int64)
    m_idx = np.array(_positions(mentors.employer_keys, mk), dtype=np.int64)
    like = name_likeness(pk, mk)
    contained = token_containment(pk, mk)
    equal = np.array(pk, dtype=object)[:, None] == np.array(mk, dtype=object)[None, :]
    near = ((like >= near_threshold) | contained) & ~equal
    p_at, m_at = {k: i for i, k in enumerate(pk)}, {k: j for j, k in enumerate(mk)}
    for a, b in distinct:
        for x, y in ((a, b), (b, a)):
            if x in p_at and y in m_at:
                near[p_at[x], m_at[y]] = False
    blank_p = np.array([k == "" for k in pk], dtype=bool)
    blank_m = np.array([k == "" for k in mk], dtype=bool)
    unknown = blank_p[:, None] | blank_m[None, :]
    grid = np.ix_(p_idx, m_idx)
    return Employers(same=(equal & ~unknown)[grid], possibly=(near & ~unknown)[grid], unknown=unknown[grid])


def _positions(values: Sequence[str], ordered: list[str]) -> list[int]:
    where = {k: i for i, k in enumerate(ordered)}
    return [where[v] for v in values]


def rule_flags(proteges: Side, mentors: Side, employers: Employers, free_places: np.ndarray,
               past_pairs: set[tuple[str, str]]) -> np.ndarray:
    """A uint8 table, protégés by mentors: 0 where a pair passes every hard rule, else the failing bits."""
    n_p, n_m = len(proteges.emails), len(mentors.emails)
    flags = np.zeros((n_p, n_m), dtype=np.uint8)
    p_email = np.array(proteges.emails, dtype=object)
    m_email = np.array(mentors.emails, dtype=object)
    flags[p_email[:, None] == m_email[None, :]] |= SAME_PERSON
    flags[employers.same] |= SAME_EMPLOYER
    flags[employers.possibly] |= POSSIBLY_SAME_EMPLOYER
    flags[employers.unknown] |= EMPLOYER_UNKNOWN
    p_level = np.array([r.level for r in proteges.levels], dtype=np.int64)
    m_level = np.array([r.level for r in mentors.levels], dtype=np.int64)
    flags[m_level[None, :] < p_level[:, None]] |= LEVEL_BELOW
    if past_pairs:
        p_at = {e: i for i, e in enumerate(proteges.emails)}
        m_at = {e: j for j, e in enumerate(mentors.emails)}
        for pe, me in past_pairs:
            i, j = p_at.get(pe.strip().lower()), m_at.get(me.strip().lower())
            if i is not None and j is not None:
                flags[i, j] |= PAIRED_BEFORE
    flags[:, free_places <= 0] |= NO_CAPACITY
    return flags


def blocked_reasons(bits: int, i: int, j: int, proteges: Side, mentors: Side, capacity: int,
                    active: int) -> list[str]:
    """Each rule a pair fails, in words a coordinator reads without help."""
    out = []
    if bits & SAME_PERSON:
        out.append("same person (applied as both protégé and mentor)")
    if bits & SAME_EMPLOYER:
        out.append(f"same employer ({proteges.employer_names[i]} and {mentors.employer_names[j]})")
    if bits & POSSIBLY_SAME_EMPLOYER:
        out.append(f"possibly the same employer ({proteges.employer_names[i]} and "
                   f"{mentors.employer_names[j]} look alike); a coordinator should check, and if they are "
                   f"different employers, ask whoever runs inbox-worker to list them as different in its "
                   f"matching settings")
    if bits & EMPLOYER_UNKNOWN:
        who = "protégé" if not proteges.employer_keys[i] else "mentor"
        out.append(f"employer not known (the {who} gave no library name), so the same-employer rule "
                   f"cannot be checked")
    if bits & LEVEL_BELOW:
        out.append(f"the mentor's level of responsibility ({mentors.levels[j].name}) is below the "
                   f"protégé's ({proteges.levels[i].name})")
    if bits & PAIRED_BEFORE:
        out.append("paired before")
    if bits & NO_CAPACITY:
        out.append(f"the mentor has no free place ({active} of {capacity} taken)")
    return out


def passed_rules(i: int, j: int, proteges: Side, mentors: Side, capacity: int, active: int) -> list[str]:
    """Each rule a suggested pair passes, with what was compared."""
    pl, ml = proteges.levels[i], mentors.levels[j]
    return [
        f"different employers ({proteges.employer_names[i]} and {mentors.employer_names[j]})",
        f"the mentor's level of responsibility ({ml.name}, from {ml.source}) is at or above the "
        f"protégé's ({pl.name}, from {pl.source})",
        "not paired before",
        f"the mentor has a free place ({active} of {capacity} taken before this suggestion)",
    ]
