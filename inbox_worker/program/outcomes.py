"""Outcomes: what participants said at check-ins and at the end, read so a coordinator sees it at a glance.

Answers are kept as people wrote them (`AssessmentAnswer.text`, and the
closing feedback's `feedback_received` event). Here they are read, never
changed: a reply that numbers its answers ("1. Twice a month", "2. yes")
is split by number, and each question is known by what it asks: whether the
relationship meets their needs, what has gone well, whether the
coordinators could help, and whether the answer may be quoted. A quote is
shown only when its writer said yes to that last question, and never with
their name. A reply that does not number its answers is counted as
answered and left for a person to read.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.store.models import Application, AssessmentAnswer, Event, MentoringRelationship

_NUMBERED = re.compile(r"^\s*(?:q(?:uestion)?\s*)?(\d{1,2})\s*[.):-]\s*(.*)$", re.IGNORECASE)
_PARTLY = re.compile(r"^(partly|partially|somewhat|sort of|kind of|mostly|in part|more or less|so-so|it'?s ok)\b")
_NO = re.compile(r"^(no|nope|not really|not yet|not at all|not quite|not so much|nah)\b")
_YES = re.compile(r"^(yes|yeah|yep|yup|absolutely|definitely|certainly|sure|of course|very much|indeed|"
                  r"it is|it does|we are|i would|i will|gladly|happy to|please do|fine by me|ok|okay)\b")
# An answer to "could the coordinators help?" that asks for nothing.
_NOTHING = re.compile(r"^(no|nope|none|nothing|n/?a|not (now|really|yet|at (the|this) (moment|time)|right now)|"
                      r"all good|no thanks?|we('| a)re (fine|good|ok)|i'?m (fine|good|ok))\b|^-+$", re.IGNORECASE)
QUOTE_LIMIT = 300

# The closing email's questions (templates/closing/body.txt), by number.
CLOSING_GAVE, CLOSING_AGAIN, CLOSING_QUOTE = 1, 3, 4


class Track(enum.Enum):
    """Is the relationship meeting this person's needs, in their own word."""

    ON_TRACK = "on track"
    PARTLY = "partly"
    OFF_TRACK = "not meeting their needs"
    NOT_SAID = "not said"


@dataclass(frozen=True)
class Questions:
    """Which check-in question (numbered from 1) asks what; 0 where none does."""

    needs: int = 0
    went_well: int = 0
    help: int = 0
    quote: int = 0


def question_numbers(questions: list[str]) -> Questions:
    """Know each configured check-in question by what it asks, so a coordinator may reword or reorder them."""
    found = {}
    for number, text in enumerate(questions, 1):
        words = text.lower()
        for role, cue in (("quote", r"\bquot"), ("needs", r"\bneeds?\b|\bon track\b"),
                          ("went_well", r"\b(gone|went|going) well\b"), ("help", r"\bhelp\b")):
            if role not in found and re.search(cue, words):
                found[role] = number
                break
    return Questions(**found)


def numbered_answers(text: str, questions: list[str] = ()) -> dict[int, str]:
    """A reply's answers by number; a question copied into its answer is taken out again."""
    answers: dict[int, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = _NUMBERED.match(line)
        if m and 1 <= int(m.group(1)) <= 20:
            current = int(m.group(1))
            answers.setdefault(current, [])
            line = m.group(2)
        if current is not None and line.strip():
            answers[current].append(line.strip())
    out = {}
    for number, lines in answers.items():
        answer = " ".join(lines)
        if 0 < number <= len(questions):
            question = " ".join(questions[number - 1].split())
            if answer.lower().startswith(question.lower()):
                answer = answer[len(question):]
        out[number] = answer.strip(" :-\u2013")
    return out


def yes_or_no(answer: str | None) -> Track:
    """A yes, a partly or a no, read from how an answer begins."""
    words = (answer or "").strip().lower().lstrip("(\"'")
    if _PARTLY.match(words):
        return Track.PARTLY
    if _NO.match(words):
        return Track.OFF_TRACK
    if _YES.match(words):
        return Track.ON_TRACK
    return Track.NOT_SAID


def asks_for_help(answer: str | None) -> str | None:
    """What the writer asks the coordinators for, or None when they ask for nothing."""
    text = (answer or "").strip()
    if not text or _NOTHING.match(text):
        return None
    return text


def quote(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    if len(text) < 3:
        return None
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rsplit(" ", 1)[0] + "\u2026"


# ---------------------------------------------------------------- what was received
@dataclass(frozen=True)
class Reply:
    relationship_id: int
    role: str  # protege | mentor
    name: str
    other_name: str
    received_at: datetime


@dataclass
class Outcomes:
    """Check-in answers and closing feedback received in a period, summed up."""

    checkin_answers: int = 0
    tracks: dict[Track, int] = field(default_factory=lambda: dict.fromkeys(Track, 0))
    # (who, what they asked) for each answer that asks the coordinators for something.
    help: list[tuple[Reply, str]] = field(default_factory=list)
    feedback: int = 0
    would_return: int = 0
    # (role, words) the writer allowed to be quoted, without their name.
    quotes: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.checkin_answers or self.feedback)


def gather(s: Session, questions: list[str], since: datetime | None, until: datetime | None = None) -> Outcomes:
    """The outcomes of every check-in answer and closing feedback received after `since` (all when None)."""
    out = Outcomes()
    roles = question_numbers(questions)
    names = {}

    def reply(rel_id: int, role: str, at: datetime) -> Reply:
        if rel_id not in names:
            rel = s.get(MentoringRelationship, rel_id)
            p, m = s.get(Application, rel.protege_id), s.get(Application, rel.mentor_id)
            names[rel_id] = {"protege": p.name or p.email, "mentor": m.name or m.email}
        other = "mentor" if role == "protege" else "protege"
        return Reply(rel_id, role, names[rel_id][role], names[rel_id][other], at)

    answers = select(AssessmentAnswer).order_by(AssessmentAnswer.received_at, AssessmentAnswer.id)
    feedback = select(Event).where(Event.action == "feedback_received").order_by(Event.at, Event.id)
    if since is not None:
        answers = answers.where(AssessmentAnswer.received_at > since)
        feedback = feedback.where(Event.at > since)
    if until is not None:
        answers = answers.where(AssessmentAnswer.received_at <= until)
        feedback = feedback.where(Event.at <= until)
    for a in s.scalars(answers):
        out.checkin_answers += 1
        parts = numbered_answers(a.text, questions)
        out.tracks[yes_or_no(parts.get(roles.needs)) if roles.needs else Track.NOT_SAID] += 1
        wanted = asks_for_help(parts.get(roles.help)) if roles.help else None
        if wanted:
            out.help.append((reply(a.assessment.relationship_id, a.role, a.received_at), wanted))
        if roles.quote and roles.went_well and yes_or_no(parts.get(roles.quote)) is Track.ON_TRACK:
            words = quote(parts.get(roles.went_well))
            if words:
                out.quotes.append((a.role, words))
    for e in s.scalars(feedback):
        out.feedback += 1
        parts = numbered_answers(str(e.detail.get("text") or ""))
        out.would_return += yes_or_no(parts.get(CLOSING_AGAIN)) is Track.ON_TRACK
        if yes_or_no(parts.get(CLOSING_QUOTE)) is Track.ON_TRACK:
            words = quote(parts.get(CLOSING_GAVE))
            if words:
                out.quotes.append((str(e.detail.get("role") or ""), words))
    return out
