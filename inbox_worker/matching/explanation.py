"""The matching engine's suggestions as plain text, for a coordinator to read without help.

A short table first (who with whom, and the score), then each pair in
words: what each part of the score came from, the rules checked, the next
best mentor and why they were not chosen, anything to check by hand; then
each protégé left unmatched and what stood in the way.
"""
from __future__ import annotations

import textwrap

from inbox_worker.matching.scoring import PART_NAMES, PARTS

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


def format_suggestions(result, notes=lambda suggestion: []) -> str:
    """The whole result as plain text: a summary table, each suggestion explained, the unmatched.

    `notes(suggestion)` gives lines of the caller's own to add to each suggestion (the
    program's word on the protégé's supervisor, say).
    """
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


def explanation_lines(explanation: dict) -> list[str]:
    """A stored suggestion's explanation as a few lines in words, for the digest.

    The same parts as `format_suggestions`, one line each; empty parts are left
    out, and a part of a shape this version does not know is shown as it is.
    """
    if not explanation:
        return []
    if explanation.get("chosen_by"):
        return [f"chosen by {explanation['chosen_by']}"]
    lines = []
    if explanation.get("rules_passed"):
        lines.append("rules: " + "; ".join(map(str, explanation["rules_passed"])))
    parts = (explanation.get("score") or {}).get("parts") or {}
    scored = []
    for part in PARTS:
        d = parts.get(part)
        if not isinstance(d, dict):
            continue
        points = f"{d.get('weighted', 0):.2f} of {d.get('weight', 0):.2f}" if d.get("applies") else "not counted"
        scored.append(f"{PART_NAMES[part]} {points}" + (f" ({d['note']})" if d.get("note") else ""))
    if scored:
        lines.append("score by part: " + "; ".join(scored))
    levels = explanation.get("levels") or {}
    if levels.get("protege") and levels.get("mentor"):
        lines.append(f"levels: protégé {levels['protege']}, mentor {levels['mentor']}")
    runner = explanation.get("runner_up")
    if isinstance(runner, dict) and runner.get("mentor"):
        name = f"{runner['name']} <{runner['mentor']}>" if runner.get("name") else runner["mentor"]
        lines.append(f"next best mentor: {name}, score {runner.get('score', 0):.2f}: {runner.get('why_not', '')}")
    blocked = explanation.get("mentors_blocked") or {}
    if isinstance(blocked, dict) and blocked:
        lines.append("mentors ruled out by a rule: " + ", ".join(f"{rule} {n}" for rule, n in blocked.items()))
    lines += [f"PLEASE CHECK: {flag}" for flag in explanation.get("flags") or []]
    known = {"rules_passed", "score", "levels", "runner_up", "mentors_blocked", "flags"}
    lines += [f"{key.replace('_', ' ')}: {value}" for key, value in explanation.items()
              if key not in known and value not in (None, "", [], {})]
    return lines
