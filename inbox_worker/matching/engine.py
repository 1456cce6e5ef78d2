"""The matching engine: suggest a mentor for each waiting protégé, and say why.

A pure function. It takes the protégés and mentors (their application
records), the program's settings, `now`, the pairs made before and each
mentor's count of active protégés, and returns suggestions for a
coordinator to act on; it changes nothing.

Every pair is first checked against the hard rules (`eligibility`), then
scored (`scoring`). One optimal assignment is made over all protégés at
once: each mentor appears as many times as they have free places, and each
protégé may instead take an "unmatched" place worth exactly the threshold,
so a pair below `min_score` is never forced and a pair that breaks a rule is
never chosen. The assignment maximises the sum of (score - threshold) over
the pairs made. Inputs are sorted by email, then id, so the same inputs give
the same suggestions whatever their order.

Each suggestion lists the rules it passed, its score by part, and the
runner-up mentor with the reason it lost; each protégé left unmatched is
told which rules or scores stood in the way.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.optimize import linear_sum_assignment

from inbox_worker.config import MatchingSettings
from inbox_worker.matching.explanation import format_suggestions
from inbox_worker.matching.rules import (
    EMPLOYER_UNKNOWN,
    LEVEL_BELOW,
    NO_CAPACITY,
    NO_LEVEL_GIVEN,
    PAIRED_BEFORE,
    POSSIBLY_SAME_EMPLOYER,
    SAME_EMPLOYER,
    SAME_PERSON,
    EmployerIndex,
    Employers,
    Side,
    blocked_reasons,
    compare_employers,
    describe_side,
    employer_key,
    level_of,
    passed_rules,
    rule_flags,
)
from inbox_worker.matching.scoring import Scores, describe_parts, score_pairs

__all__ = ["Candidate", "MatchResult", "Suggestion", "Unmatched", "employer_key", "format_suggestions",
           "level_of", "suggest_matches"]

# A pair that breaks a rule costs more than leaving the protégé unmatched (at most 0), so it is never
# chosen: an "unmatched" place is always free, there being one per protégé. No huge number is needed.
BLOCKED_COST = 10.0
# Scores are rounded before the assignment so equal fits are exactly equal, and ties fall the same way.
PRECISION = 9


@dataclass(frozen=True)
class Candidate:
    """A protégé or mentor: their id, email and application record (the contract's keys)."""

    id: int
    email: str
    record: dict = field(hash=False)
    applied_at: datetime


@dataclass(frozen=True)
class Suggestion:
    """A suggested pair, its score (0 to 1) and why."""

    protege: Candidate
    mentor: Candidate
    score: float
    explanation: dict


@dataclass(frozen=True)
class Unmatched:
    """A protégé no pair was suggested for, and what stood in the way."""

    protege: Candidate
    reasons: list[str]
    # Every mentor who would fit went to other protégés: mentors are short, nothing else is wrong.
    outnumbered: bool = False


@dataclass(frozen=True)
class MatchResult:
    """The suggestions and the unmatched protégés, each in protégé email order."""

    suggestions: list[Suggestion]
    unmatched: list[Unmatched]
    min_score: float = 0.3

    def to_json(self) -> dict:
        """Plain JSON values: emails, scores and explanations."""
        return {
            "suggestions": [{"protege": _email(s.protege), "mentor": _email(s.mentor),
                             "score": round(s.score, 4), "explanation": s.explanation}
                            for s in self.suggestions],
            "unmatched": [{"protege": _email(u.protege), "reasons": list(u.reasons)} for u in self.unmatched],
        }


def _email(c: Candidate) -> str:
    # Emails are compared, sorted and reported lower case, as the record contract keeps them.
    return c.email.strip().lower()


def _ordered(people: list[Candidate]) -> list[Candidate]:
    return sorted(people, key=lambda c: (_email(c), c.id))


def suggest_matches(proteges: list[Candidate], mentors: list[Candidate], *, settings: MatchingSettings,
                    now: datetime, past_pairs: set[tuple[str, str]] = frozenset(),
                    active_counts: Mapping[str, int] | None = None) -> MatchResult:
    """Suggest the best set of pairs over all protégés at once, each with its explanation."""
    active_counts = {k.strip().lower(): v for k, v in (active_counts or {}).items()}
    proteges, mentors = _ordered(proteges), _ordered(mentors)
    p_emails = [_email(c) for c in proteges]
    m_emails = [_email(c) for c in mentors]
    p_records = [c.record for c in proteges]
    m_records = [c.record for c in mentors]

    index = EmployerIndex(settings.library_systems)
    p_side = describe_side(p_records, p_emails, index, settings.level_overrides)
    m_side = describe_side(m_records, m_emails, index, settings.level_overrides)
    distinct = [(index.key(a), index.key(b)) for a, b in settings.distinct_employers]
    employers = compare_employers(p_side, m_side, settings.near_match_threshold, distinct)

    capacity = np.array([settings.capacities.get(e, settings.default_capacity) for e in m_emails],
                        dtype=np.int64)
    active = np.array([active_counts.get(e, 0) for e in m_emails], dtype=np.int64)
    free = np.maximum(capacity - active, 0)
    flags = rule_flags(p_side, m_side, employers, free, past_pairs)

    scores = score_pairs(p_records, [c.applied_at for c in proteges], m_records, weights=settings.weights,
                         related_types=settings.related_library_types,
                         waiting_full_days=settings.waiting_full_days, now=now)
    total = np.round(scores.total, PRECISION)
    threshold = float(settings.min_score)
    allowed = (flags == 0) & (total >= threshold)

    chosen = _assign(total, allowed, free, threshold)

    ctx = _Context(proteges, mentors, p_side, m_side, employers, flags, total, scores, capacity, active,
                   chosen, threshold)
    suggestions, unmatched = [], []
    for i in range(len(proteges)):
        j = chosen[i]
        if j >= 0:
            suggestions.append(Suggestion(proteges[i], mentors[j], float(total[i, j]), ctx.explain(i, j)))
        else:
            reasons = ctx.why_unmatched(i)
            unmatched.append(Unmatched(proteges[i], reasons, outnumbered=ctx.outnumbered(i)))
    return MatchResult(suggestions, unmatched, threshold)


def _assign(total: np.ndarray, allowed: np.ndarray, free: np.ndarray, threshold: float) -> np.ndarray:
    """The mentor index chosen for each protégé (-1 for none), by one optimal assignment."""
    n_p = total.shape[0]
    chosen = np.full(n_p, -1, dtype=np.int64)
    rows = np.flatnonzero(allowed.any(axis=1))
    if rows.size == 0:
        return chosen
    sub = allowed[rows]
    # A mentor needs no more copies than there are protégés who could have them.
    copies = np.minimum(free, sub.sum(axis=0))
    cols = np.repeat(np.arange(total.shape[1]), copies)
    cost = np.where(sub[:, cols], -total[np.ix_(rows, cols)], BLOCKED_COST)
    # One "unmatched" place per protégé, worth the threshold: only a pair above it gains anything.
    # A pair exactly at the threshold is still made (the rule says "below" is never suggested).
    unmatched = np.full((rows.size, rows.size), -threshold + 10.0 ** -(PRECISION + 1))
    r, c = linear_sum_assignment(np.hstack([cost, unmatched]))
    for row, col in zip(r, c, strict=True):
        if col < cols.size:
            chosen[rows[row]] = cols[col]
    return chosen


# Short names of the hard rules, for counts in an explanation.
_RULE_NAMES = (
    (SAME_PERSON, "same person"),
    (SAME_EMPLOYER, "same employer"),
    (POSSIBLY_SAME_EMPLOYER, "possibly the same employer"),
    (EMPLOYER_UNKNOWN, "employer not known"),
    (LEVEL_BELOW, "level below the protégé's"),
    (PAIRED_BEFORE, "paired before"),
    (NO_CAPACITY, "no free place"),
)

# Rules that leave a protégé unmatched, tallied over the mentors at or above the protégé's level.
_TALLIES = (
    (SAME_PERSON, "is the protégé themselves", "are the protégé themselves"),
    (SAME_EMPLOYER, "works for the same employer", "work for the same employer"),
    (POSSIBLY_SAME_EMPLOYER, "may work for the same employer (the library names look alike; a coordinator "
                             "should check)", "may work for the same employer (the library names look alike; "
                             "a coordinator should check)"),
    (EMPLOYER_UNKNOWN, "gave no library name, so the same-employer rule cannot be checked",
     "gave no library name, so the same-employer rule cannot be checked"),
    (PAIRED_BEFORE, "was paired with this protégé before", "were paired with this protégé before"),
    (NO_CAPACITY, "has no free place", "have no free place"),
)


@dataclass
class _Context:
    """Everything the explanations read, computed once for all pairs."""

    proteges: list[Candidate]
    mentors: list[Candidate]
    p_side: Side
    m_side: Side
    employers: Employers
    flags: np.ndarray
    total: np.ndarray
    scores: Scores
    capacity: np.ndarray
    active: np.ndarray
    chosen: np.ndarray
    threshold: float

    def __post_init__(self) -> None:
        self.taken_by: dict[int, list[int]] = {}
        for i, j in enumerate(self.chosen):
            if j >= 0:
                self.taken_by.setdefault(int(j), []).append(i)

    def _name(self, c: Candidate) -> str:
        return c.record.get("name") or c.email

    def _blocked(self, i: int, j: int) -> list[str]:
        return blocked_reasons(int(self.flags[i, j]), i, j, self.p_side, self.m_side, int(self.capacity[j]),
                               int(self.active[j]))

    def explain(self, i: int, j: int) -> dict:
        """Rules passed, the score by part, the runner-up and any flag for a coordinator."""
        p, m = self.proteges[i], self.mentors[j]
        flags = []
        for side, who, k in ((self.p_side, "protégé", i), (self.m_side, "mentor", j)):
            if side.levels[k].source == NO_LEVEL_GIVEN:
                flags.append(f"the {who}'s level could not be read (no position given); taken as staff")
        if not p.record.get("goals"):
            flags.append("the protégé wrote no goals, so goals could not be compared")
        return {
            "rules_passed": passed_rules(i, j, self.p_side, self.m_side, int(self.capacity[j]),
                                         int(self.active[j])),
            "score": {"total": round(float(self.total[i, j]), 4), "threshold": self.threshold,
                      "parts": describe_parts(self.scores, i, j, p.record, m.record)},
            "levels": {"protege": self.p_side.levels[i].name, "mentor": self.m_side.levels[j].name},
            "runner_up": self._runner_up(i, j),
            "mentors_blocked": self._blocked_counts(i),
            "flags": flags,
        }

    def _blocked_counts(self, i: int) -> dict[str, int]:
        """How many mentors each hard rule kept from protégé i (a mentor may fail several)."""
        row = self.flags[i]
        counts = {name: int(((row & bit) != 0).sum()) for bit, name in _RULE_NAMES}
        return {name: n for name, n in counts.items() if n}

    def _runner_up(self, i: int, j: int) -> dict | None:
        """The next-best mentor for protégé i, and why they were not the one suggested.

        The best other mentor who passes every rule; only when there is none,
        the best-scoring mentor a rule blocked, so the coordinator sees the
        nearest miss.
        """
        n_m = len(self.mentors)
        if n_m < 2:
            return None
        row = self.total[i].copy()
        row[j] = -np.inf
        passing = self.flags[i] == 0
        passing[j] = False
        pool = np.where(passing, row, -np.inf)
        # argmax takes the first of equal scores: the lowest email, as the inputs are sorted.
        k = int(np.argmax(pool)) if passing.any() else int(np.argmax(row))
        m = self.mentors[k]
        score, mine = float(self.total[i, k]), float(self.total[i, j])
        out = {"mentor": _email(m), "name": self._name(m), "score": round(score, 4)}
        if not passing[k]:
            out["why_not"] = "ruled out: " + "; ".join(self._blocked(i, k))
        elif score < mine:
            weak = "; too weak a fit to suggest" if score < self.threshold else ""
            out["why_not"] = f"a weaker fit ({score:.2f} against {mine:.2f}{weak})"
        elif k in self.taken_by and len(self.taken_by[k]) >= self.capacity[k] - self.active[k]:
            others = ", ".join(
                f"{self._name(self.proteges[o])} ({float(self.total[o, k]):.2f} with them)"
                for o in self.taken_by[k])
            out["taken_by"] = [_email(self.proteges[o]) for o in self.taken_by[k]]
            out["why_not"] = (f"a better fit ({score:.2f} against {mine:.2f}), but their only free "
                              f"place went to {others}, which suits the protégés better overall")
        else:
            out["why_not"] = "an equally good fit; either would do"
        return out

    def outnumbered(self, i: int) -> bool:
        """Protégé i was left out only because mentors are short: some mentor who would fit well
        enough passes every rule but has no place left (or gave it to another protégé)."""
        fits = ((self.flags[i] & ~np.uint8(NO_CAPACITY)) == 0) & (self.total[i] >= self.threshold)
        return bool(len(self.mentors) and fits.any())

    def why_unmatched(self, i: int) -> list[str]:
        """Which rules or scores left protégé i without a mentor, in plain words."""
        n_m = len(self.mentors)
        if n_m == 0:
            return ["no mentors to choose from"]
        level = self.p_side.levels[i]
        row_flags = self.flags[i]
        at_level = (row_flags & LEVEL_BELOW) == 0
        reasons = []
        if not self.proteges[i].record.get("library_name"):
            reasons.append("the protégé gave no library name, so the same-employer rule cannot be checked; "
                           "ask for it")
        n_level = int(at_level.sum())
        level_words = f"at the protégé's level of responsibility ({level.name}) or above"
        if n_level == 0:
            reasons.append(f"no mentor {level_words} (the protégé's level is read from {level.source})")
            return reasons
        for bit, singular, plural in _TALLIES:
            if bit == EMPLOYER_UNKNOWN and not self.p_side.employer_keys[i]:
                continue  # already said: the protégé's own library name is missing
            hit = np.flatnonzero(((row_flags & bit) != 0) & at_level)
            if hit.size == 0:
                continue
            verb = singular if hit.size == 1 else plural
            if n_level == 1:
                head = f"the only mentor {level_words}"
            elif hit.size == n_level:
                head = f"all {n_level} mentors {level_words}"
            else:
                head = f"{hit.size} of the {n_level} mentors {level_words}"
            named = ""
            if hit.size <= 3:
                named = ": " + "; ".join(
                    f"{self._name(self.mentors[k])} ({self.m_side.employer_names[k] or 'no library given'})"
                    for k in hit)
            reasons.append(f"{head} {verb}{named}")
        passing = row_flags == 0
        if not passing.any():
            if not reasons:
                reasons.append(f"no mentor {level_words} passes every rule")
            return reasons
        candidates = np.flatnonzero(passing)
        best = int(candidates[np.argmax(self.total[i, candidates])])
        best_score = float(self.total[i, best])
        if best_score < self.threshold:
            reasons.append(f"the best fit available, with {self._name(self.mentors[best])}, is too weak to "
                           f"suggest ({best_score:.2f}; suggestions start at {self.threshold:.2f})")
            return reasons
        good = [int(k) for k in candidates if self.total[i, k] >= self.threshold]
        given = "; ".join(
            f"{self._name(self.mentors[k])} to "
            + ", ".join(self._name(self.proteges[o]) for o in self.taken_by.get(k, []))
            for k in sorted(good, key=lambda k: (-self.total[i, k], k))[:3])
        more = ", ..." if len(good) > 3 else ""
        reasons.append(f"{'the one mentor' if len(good) == 1 else f'all {len(good)} mentors'} who would fit "
                       f"well enough went to other protégés, which suits the protégés better overall "
                       f"({given}{more})")
        return reasons

