"""The matching engine's suggestions as plain text, for a coordinator to read without help.

A short table first (who with whom, and the score), then each pair in
words: what each part of the score came from, the rules checked, the next
best mentor and why they were not chosen, anything to check by hand; then
each protégé left unmatched and what stood in the way.
"""
from __future__ import annotations

import textwrap

from .scoring import PART_NAMES, PARTS

_WIDTH = 78


def _who(candidate) -> str:
    name = candidate.record.get("name")
    return f"{name} <{candidate.email}>" if name else candidate.email


def _where(candidate) -> str:
    r = candidate.record
    bits = [r.get("position"), r.get("library_name")]
    kind = r.get("library_type")
    if kind:
        bits.append(f"{kind} library")
    return ", ".join(b for b in bits if b) or "no position or library given"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def format_suggestions(result) -> str:
    """The whole result as plain text: a summary table, each suggestion explained, the unmatched."""
    out = [
        f"Suggested pairs: {len(result.suggestions)}.  Protégés left unmatched: {len(result.unmatched)}.",
        f"Scores run from 0 (no fit) to 1 (best fit); no pair scoring below {result.min_score:.2f} is "
        f"suggested.",
        "These are suggestions: interview both people before confirming a pair.",
        "",
    ]
    if result.suggestions:
        out.append(f"  #  {'Protégé':<30} {'Mentor':<30} Score")
        for n, s in enumerate(result.suggestions, 1):
            who_p = _cell(s.protege.record.get("name") or s.protege.email, 30)
            who_m = _cell(s.mentor.record.get("name") or s.mentor.email, 30)
            out.append(f"{n:>3}  {who_p:<30} {who_m:<30} {s.score:.2f}")
        out.append("")
    for n, s in enumerate(result.suggestions, 1):
        e = s.explanation
        out.append(f"{n}. {_who(s.protege)}")
        out.append(_wrap(_where(s.protege), "   "))
        out.append(f"   with mentor {_who(s.mentor)}")
        out.append(_wrap(_where(s.mentor), "   "))
        out.append(f"   Score {s.score:.2f}, made of (points earned of points possible):")
        parts = e["score"]["parts"]
        for part in PARTS:
            d = parts[part]
            points = f"{d['weighted']:.2f} of {d['weight']:.2f}" if d["applies"] else "not counted"
            line = f"{PART_NAMES[part] + ':':<21}{points:<14}{d['note']}"
            out.append(textwrap.fill(line, _WIDTH, initial_indent="     ", subsequent_indent=" " * 40))
        out.append("   Rules checked:")
        for rule in e["rules_passed"]:
            out.append(_wrap(f"- {rule}", "     "))
        runner = e.get("runner_up")
        if runner:
            out.append(_wrap(f"Next best mentor: {runner['name']} <{runner['mentor']}>, score "
                             f"{runner['score']:.2f}: {runner['why_not']}.", "   "))
        for flag in e.get("flags", []):
            out.append(_wrap(f"PLEASE CHECK: {flag}.", "   "))
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
