"""The matching engine's suggestions in plain words, for a coordinator to read without help.

A score is said as a word with the number after it ("a good fit (0.62)"),
and each part of it as points out of a hundred ("library type: 35 of 35
points, both in public libraries"), so the parts add up to the score.
`why_line` is the one line the digest gives each suggestion;
`explanation_lines` and `format_suggestions` are the whole story, behind
`inbox-worker matches suggest`: the parts, the rules checked, the next
best mentor and why they were not chosen, anything to check by hand; then
each protégé left unmatched and what stood in the way.
"""
from __future__ import annotations

import textwrap

from inbox_worker.matching.scoring import PART_NAMES, PARTS

_WIDTH = 78
# Where a score's word changes. Scores run from 0 (no fit) to 1; few pairs reach 0.8.
FIT_WORDS = ((0.65, "a strong fit"), (0.45, "a good fit"), (0.0, "a fair fit"))
LIBRARY_TYPE_WORDS = {"public": "public", "academic": "academic", "school": "school", "special": "special",
                      "state": "state", "tribal": "tribal", "other": "another kind of"}


def fit_words(score: float | None) -> str:
    """A score as a word a person understands, with the number after it: "a good fit (0.62)"."""
    if score is None:
        return "chosen by a coordinator"
    # The word follows the number as shown, so "0.65" is never called merely good.
    word = next(w for floor, w in FIT_WORDS if round(score, 2) >= floor)
    return f"{word} ({score:.2f})"


def library_words(library_type: str | None) -> str:
    """ "public library", "another kind of library", or that the type was not given."""
    if not library_type:
        return "library type not given"
    return f"{LIBRARY_TYPE_WORDS.get(library_type, library_type)} library"


def _who(candidate) -> str:
    name = candidate.record.get("name")
    return f"{name} <{candidate.email}>" if name else candidate.email


def _where(candidate) -> str:
    r = candidate.record
    bits = [r.get("position"), r.get("library_name")]
    if r.get("library_type"):
        bits.append(library_words(r["library_type"]))
    return ", ".join(b for b in bits if b) or "no position or library given"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _points(value: float) -> int:
    return round(value * 100)


def part_lines(parts: dict) -> list[str]:
    """Each part of a score as points out of a hundred, and what it came from."""
    out = []
    for part in PARTS:
        d = parts.get(part)
        if not isinstance(d, dict):
            continue
        name = PART_NAMES[part][:1].upper() + PART_NAMES[part][1:]
        note = f" ({d['note']})" if d.get("note") else ""
        if d.get("applies"):
            out.append(f"{name}: {_points(d.get('weighted', 0))} of {_points(d.get('weight', 0))} points{note}")
        else:
            out.append(f"{name}: does not count{note}")
    return out


def why_line(explanation: dict, protege: dict, mentor: dict) -> str:
    """One line of why, for the digest: the library types, the words goals and strengths share,
    and Wyoming experience where it counts."""
    if not explanation or explanation.get("chosen_by"):
        return "the coordinators' own choice"
    parts = (explanation.get("score") or {}).get("parts") or {}
    a, b = protege.get("library_type"), mentor.get("library_type")
    bits = [f"both in {LIBRARY_TYPE_WORDS.get(a, a)} libraries" if a and a == b and a != "other"
            else f"{library_words(a)} and {library_words(b)}"]
    goals = (parts.get("goals") or {}).get("note") or ""
    if goals.startswith("shared words: "):
        bits.append("goals and strengths share \u201c" + "\u201d, \u201c".join(
            goals.removeprefix("shared words: ").split(", ")[:4]) + "\u201d")
    elif goals:
        bits.append(goals)
    wyoming = parts.get("wyoming") or {}
    if wyoming.get("applies") and wyoming.get("note"):
        bits.append(f"new to Wyoming; the mentor's strengths: {wyoming['note']}")
    # The time waited is told beside it, as of today (the note is as of the suggestion).
    return "; ".join(bits)


def explanation_lines(explanation: dict) -> list[str]:
    """A stored suggestion's whole explanation as lines in words: the score and its parts, the
    rules met, the next best mentor, what to check. A part of a shape this version does not
    know is left out rather than shown as data."""
    if not explanation:
        return []
    if explanation.get("chosen_by"):
        return [f"chosen by {explanation['chosen_by']}"]
    score = explanation.get("score") or {}
    lines = []
    if isinstance(score.get("total"), (int, float)):
        fit = fit_words(score["total"])
        lines.append(f"{fit[0].upper()}{fit[1:]}: the parts below add up to {_points(score['total'])} points of 100"
                     + (f"; pairs under {_points(score['threshold'])} points are never suggested"
                        if isinstance(score.get("threshold"), (int, float)) else ""))
    lines += part_lines(score.get("parts") or {})
    if explanation.get("rules_passed"):
        lines.append("Program rules met: " + "; ".join(map(str, explanation["rules_passed"])))
    runner = explanation.get("runner_up")
    if isinstance(runner, dict) and runner.get("mentor"):
        name = f"{runner['name']} <{runner['mentor']}>" if runner.get("name") else runner["mentor"]
        lines.append(f"Next best mentor: {name}: {runner.get('why_not', '')}")
    blocked = explanation.get("mentors_blocked") or {}
    if isinstance(blocked, dict) and blocked:
        lines.append("Mentors a program rule ruled out: " + ", ".join(
            f"{n} for {rule}" for rule, n in blocked.items()))
    lines += [f"Please check: {flag}" for flag in explanation.get("flags") or []]
    return lines


def format_suggestions(result, notes=lambda suggestion: []) -> str:
    """The whole result as plain text: a summary table, each suggestion explained, the unmatched.

    `notes(suggestion)` gives lines of the caller's own to add to each suggestion (the
    program's word on the protégé's supervisor, say).
    """
    out = [
        f"Suggested pairs: {len(result.suggestions)}.  Protégés left unmatched: {len(result.unmatched)}.",
        f"A fit is scored in points out of 100 (shown as 0 to 1): strong from 0.65, good from 0.45; no pair "
        f"under {result.min_score:.2f} is suggested.",
        "These are suggestions: interview both people before confirming a pair.",
        "",
    ]
    if result.suggestions:
        out.append(f"  #  {'Protégé':<30} {'Mentor':<30} Fit")
        for n, s in enumerate(result.suggestions, 1):
            who_p = _cell(s.protege.record.get("name") or s.protege.email, 30)
            who_m = _cell(s.mentor.record.get("name") or s.mentor.email, 30)
            out.append(f"{n:>3}  {who_p:<30} {who_m:<30} {fit_words(s.score)}")
        out.append("")
    for n, s in enumerate(result.suggestions, 1):
        out.append(f"{n}. {_who(s.protege)}")
        out.append(_wrap(_where(s.protege), "   "))
        out.append(f"   with mentor {_who(s.mentor)}")
        out.append(_wrap(_where(s.mentor), "   "))
        for line in explanation_lines(s.explanation):
            out.append(_wrap(line, "   "))
        for note in notes(s):
            out.append(_wrap(note[:1].upper() + note[1:] + ".", "   "))
        out.append("")
    if result.unmatched:
        out.append("Protégés left unmatched")
        out.append("")
        for u in result.unmatched:
            out.append(f"- {_who(u.protege)}")
            out.append(_wrap(_where(u.protege), "  "))
            for reason in u.reasons:
                out.append(_wrap(f"* {reason}", "    "))
            out.append("")
    return "\n".join(out).rstrip() + "\n"
