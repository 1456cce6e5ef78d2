"""Replies: mail from people answering the program's own emails, handled before any form is looked for.

Two kinds of reply are the program's business:

- a coordinator's reply to a digest carrying commands ("APPROVE 7",
  "REJECT 8"). It acts only when it comes from a configured coordinator,
  the program mailbox's own server vouched for it (`authentication`), and
  it carries the digest's signed single-use token (in the body it quotes or
  in the plus-address it was sent to), unused and in date. Then the
  commands run, the coordinators get a confirmation, and the record says
  who did it; the token is spent only if a command was carried out.
  Anything else is refused, reported to the coordinators and recorded too.
- a participant's reply to an assessment reminder (or to the closing
  email), recognised by In-Reply-To/References naming our message, and
  recorded as their answer.
- one of a proposed pair answering their proposal (`consent`): recognised
  by In-Reply-To/References, else by the sender having a proposal open
  (then only a short, plain answer counts). A yes, a no or a wish to talk
  is acted on; anything else goes to a coordinator, never guessed.
- a supervisor's reply to the notice about a match, or a reply to an
  introduction: set aside for a coordinator, who is told what it answers.

`route` returns None for anything else, and intake goes on as usual.
"""
from __future__ import annotations

import enum
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses

import authres
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.headers import header, raw_header, raw_headers
from inbox_worker.outbound import contexts, words
from inbox_worker.outbound.emails import Templates, header_text
from inbox_worker.program import consent, lifecycle, tokens
from inbox_worker.store.models import (
    Application,
    Assessment,
    AssessmentAnswer,
    CommandToken,
    MentoringRelationship,
    OutgoingMessage,
)

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^\s*(approve|reject)\s+#?(\d+)\b[ \t]*(.*)$", re.IGNORECASE)
# Where a reply's own words end and the quoted original begins, in the common mail programs.
QUOTE_START = re.compile(r"^(>|on .{3,200} wrote:\s*$|-{2,}\s*original message\s*-{2,}|from:\s.+@)",
                         re.IGNORECASE)


@dataclass(frozen=True)
class ReplyOutcome:
    kind: str  # coordinator_command | assessment_answer | feedback | consent_answer | supervisor_reply | reply
    state: str  # processed | review
    reason: str
    # True when a coordinator should be told to read the message (a review notice).
    notify: bool = False
    # The relationship the message is about, when it is about one (its review item is linked to it).
    relationship_id: int | None = None


def route(session: Session, msg: EmailMessage, text: str, sender: str, settings: Settings,
          templates: Templates, now: datetime) -> ReplyOutcome | None:
    """Handle the message if it is a reply the program understands; None to let intake read it.

    `msg` needs only its headers; `text` is its body's text (`extract.bodies.body_text`).
    """
    sender = (sender or "").strip().lower()
    own = own_words(text)
    answered = _answered_rows(session, msg)
    for row in answered:
        kind, _, rest = row.idempotency_key.partition(":")
        number = rest.split(":")[0]
        if kind == "assessment":
            return _record_answer(session, rest, sender, own, now)
        if kind == "closing":
            return _record_feedback(session, rest, sender, own, now)
        if kind in ("proposal", "proposal-reminder"):
            rel = session.get(MentoringRelationship, int(number))
            return _heard(consent.answer_by_email(session, settings, templates, rel, sender, text, now), rel.id)
        if kind == "supervisor":
            # The program asks coordinators to consult the supervisor: their answer is for a person.
            whose = "mentor's" if rest.endswith(":mentor") else "protégé's"
            return ReplyOutcome("supervisor_reply", "review", f"the {whose} supervisor answered the notice "
                                f"about relationship {number}: read it before the pair go on", notify=True,
                                relationship_id=int(number))
        if kind in ("introduction", "not-going-ahead"):
            what = "the introduction" if kind == "introduction" else "the note that the match will not go ahead"
            return ReplyOutcome("reply", "review", f"a reply to {what} of relationship {number}",
                                notify=True, relationship_id=int(number))
    if sender and not answered:
        # Only a message that answers none of our mail: a reply to an acknowledgement is about that.
        heard = consent.answer_by_sender(session, settings, templates, sender, text, now)
        if heard is not None:
            return _heard(heard, None)
    commands = [m for m in (COMMAND.match(line) for line in own.splitlines()) if m]
    found = tokens.find_tokens(" ".join([*_recipients(msg), text]))
    to_digest = any(r.idempotency_key.startswith("digest:") for r in answered)
    if not commands and not found and not to_digest:
        return None
    if not commands:
        return ReplyOutcome("reply", "review", "a reply to a digest with no APPROVE or REJECT line in it",
                            notify=True)
    return _run_commands(session, msg, sender, commands, found, settings, templates, now)


def _heard(heard: consent.Heard, relationship_id: int | None) -> ReplyOutcome:
    return ReplyOutcome("consent_answer", heard.state, heard.reason, heard.notify,
                        relationship_id or heard.relationship_id)


# ---------------------------------------------------------------- coordinators' commands
def _run_commands(s: Session, msg: EmailMessage, sender: str, commands: list[re.Match], found,
                  settings: Settings, templates: Templates, now: datetime) -> ReplyOutcome:
    lines = [f"{m.group(1).upper()} {m.group(2)}" for m in commands]
    problem, token = _check_permission(s, msg, sender, found, settings, now)
    # Shown to the coordinators in the result's subject and text: one line, as it decodes.
    subject = header_text(header(msg, "Subject"))[:200]
    # Without a Message-ID, the same mail is known by its headers (all intake parses) and commands.
    identity = header(msg, "Message-ID") or msg.as_string() + "\n".join(lines)
    key = "command:" + hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    if problem:
        lifecycle.record(s, now, sender or "unknown sender", "command_refused", "commands", reason=problem,
                       commands=lines, mail_subject=subject)
        _report(s, settings, templates, key, sender, subject, [], [f"{line}: not done" for line in lines],
                f"Nothing was changed: {problem}. A genuine coordinator can reply again to the latest digest, "
                f"or use `inbox-worker matches approve PROTEGE MENTOR`.", now)
        return ReplyOutcome("coordinator_command", "review", f"reply commands refused: {problem}")
    done, refused = [], []
    actor = f"{sender} (by email)"
    for m, line in zip(commands, lines, strict=True):
        verb, number, note = m.group(1).lower(), int(m.group(2)), m.group(3).strip()
        if number not in token.scope:
            refused.append(f"{line}: number {number} was not among this digest's suggestions")
            continue
        rel = s.get(MentoringRelationship, number)
        try:
            if verb == "approve":
                consent.approve(s, settings, templates, rel, now, actor)
                notes = consult_notes(s, rel)
                done.append(f"{line}: {_pair(s, rel)} approved; each is asked by email whether the match suits "
                            f"them, and they are introduced when both say yes"
                            + (f" (note: {'; '.join(notes)})" if notes else ""))
            else:
                lifecycle.reject(s, rel, now, actor, note or "rejected by reply to the digest")
                done.append(f"{line}: {_pair(s, rel)} rejected; the protégé is back on the waiting list")
        except lifecycle.ProgramError as e:
            refused.append(f"{line}: {e}")
    if done:
        # Spent only by a command carried out: a reply whose every line was refused (a number not
        # in the digest, a pair no longer waiting) leaves the token for a corrected reply.
        token.used_at, token.used_by = now, sender
    lifecycle.record(s, now, actor, "commands_executed", token.target, done=done, refused=refused,
                   mail_subject=subject)
    _report(s, settings, templates, key, sender, subject, done, refused, "", now)
    return ReplyOutcome("coordinator_command", "processed",
                        f"commands from {sender}: {len(done)} done, {len(refused)} refused")


def _check_permission(s: Session, msg: EmailMessage, sender: str, found, settings: Settings,
                      now: datetime) -> tuple[str | None, CommandToken | None]:
    """Why this reply may not act (None when it may), and the token it carries."""
    coordinators = settings.program.coordinators
    if sender not in coordinators:
        return f"{sender or 'the sender'} is not a configured coordinator", None
    trusted = settings.schedule.authserv_id
    auth = authentication(msg, sender, trusted)
    if auth is Authentication.FAILED:
        return (f"the receiving server ({trusted}) could not confirm the sender: its Authentication-Results "
                f"shows no dkim=pass or spf=pass for {sender.rpartition('@')[2]}"), None
    if auth is Authentication.MISSING and settings.schedule.require_authentication_results:
        if not trusted:
            log.warning("reply commands are refused until schedule.authserv_id names the mailbox server "
                        "whose Authentication-Results to believe (Gmail: mx.google.com)")
            return ("the program's settings do not yet name the mail server whose Authentication-Results "
                    "confirm a sender; ask whoever runs the program to set it"), None
        return f"the message carries no Authentication-Results from the receiving server ({trusted})", None
    secret = settings.schedule.token_secret.get_secret_value()
    if not secret:
        return "reply commands are switched off (no schedule.token_secret is set)", None
    if not found:
        return "it carries no digest token (keep the digest's Token line in the reply)", None
    for token_id, given in found:
        row = s.get(CommandToken, token_id)
        if row is None or not tokens.signature_matches(secret, token_id, given, row.action, row.target,
                                                       row.expires_at):
            continue
        if row.used_at is not None:
            used = words.time_for_people(row.used_at, zone=settings.program.zone)
            return f"the digest's token was already used on {used} by {row.used_by}", None
        if now > row.expires_at:
            expired = words.day_for_people(row.expires_at, zone=settings.program.zone)
            return f"the digest's token expired on {expired}", None
        if sender not in [a.lower() for a in row.issued_to]:
            return f"the token was not issued to {sender}", None
        return None, row
    return "its token is not one this program signed", None


class Authentication(enum.Enum):
    """What the program mailbox's own server said of a message's sender."""

    PASSED = "passed"  # DKIM or SPF passed for a domain aligned with the sender's
    FAILED = "failed"  # its header is there, unreadable or showing no such pass
    MISSING = "missing"  # no header of its own


# An Authentication-Results header longer than this is not one a server wrote.
_MAX_RESULTS_LENGTH = 4000
_DOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")


def authentication(msg: EmailMessage, sender: str, authserv_id: str) -> Authentication:
    """What the server named `authserv_id` (the program mailbox's own) says of the sender's domain.

    Anyone can write an Authentication-Results header into a message: only those naming the
    trusted server count, and of those only the topmost, the one it added on receipt (each hop
    adds its own above the earlier ones, and RFC 8601 has a server remove any claiming its
    name that arrived with the message). It is parsed as RFC 8601 says (quoted strings,
    comments) by `authres`; a dkim=pass counts for the domain of header.d (or of header.i,
    which Gmail gives), an spf=pass for the domain of smtp.mailfrom, and that domain must be
    the sender's, or one a subdomain of the other (relaxed alignment).
    """
    trusted = authserv_id.strip().lower()
    if not trusted:
        return Authentication.MISSING
    domain = sender.rpartition("@")[2].lower()
    for text in raw_headers(msg, "Authentication-Results"):
        parsed = _parsed_results(text)
        if parsed is None:
            if _named_server(text) == trusted:
                return Authentication.FAILED
            continue
        if parsed.authserv_id != trusted:
            continue
        passed = any(_aligned_pass(result, domain) for result in parsed.results)
        return Authentication.PASSED if passed else Authentication.FAILED
    return Authentication.MISSING


def _parsed_results(text: str):
    if len(text) > _MAX_RESULTS_LENGTH:
        return None
    try:
        return authres.parse_value(text)
    except Exception:  # a malformed header is one the server did not write; it confirms nothing
        return None


def _named_server(text: str) -> str:
    """The authserv-id an unreadable header begins with, comments aside ('' when none)."""
    words = re.sub(r"\([^()]*\)", " ", text.split(";", 1)[0]).split()
    return words[0].lower() if words else ""


def _aligned_pass(result, domain: str) -> bool:
    if str(getattr(result, "result", "")).lower() != "pass":
        return False
    method = str(getattr(result, "method", "")).lower()
    if method == "dkim":
        signer = _property(result, "header", "d") or _property(result, "header", "i").rpartition("@")[2]
    elif method == "spf":
        signer = _property(result, "smtp", "mailfrom").rpartition("@")[2]
    else:
        return False
    return aligned(signer, domain)


def _property(result, ptype: str, name: str) -> str:
    for p in getattr(result, "properties", []):
        if p.type.lower() == ptype and p.name.lower() == name:
            return str(p.value or "")
    return ""


def aligned(signer: str, domain: str) -> bool:
    """Whether a domain that passed DKIM or SPF stands for the sender's: the same, or one a
    subdomain of the other. Both must be plain host names of two labels or more."""
    signer, domain = signer.strip().lower().rstrip("."), domain.strip().lower()
    if not (_DOMAIN.fullmatch(signer) and _DOMAIN.fullmatch(domain)):
        return False
    return signer == domain or signer.endswith("." + domain) or domain.endswith("." + signer)


def _report(s: Session, settings: Settings, templates: Templates, key: str, sender: str, subject: str,
            done: list[str], refused: list[str], reason: str, now: datetime) -> None:
    if not settings.program.coordinators:
        return
    contexts.queue_mail(
        s, settings, templates, key=key, template="command_result",
        context=contexts.command_result_context(settings, sender=sender or "(unknown)", subject=subject,
                                                     done=done, refused=refused, reason=reason),
        to=list(settings.program.coordinators), now=now)


def consult_notes(s: Session, rel: MentoringRelationship) -> list[str]:
    """The program's supervisor rule, for each of the pair whose form says to consult theirs."""
    notes = []
    for label, app_id in (("protégé's", rel.protege_id), ("mentor's", rel.mentor_id)):
        line, consult = lifecycle.supervisor_status(s.get(Application, app_id).record)
        if consult:
            notes.append(line if label == "protégé's" else line.replace("supervisor:", f"{label} supervisor:", 1))
    return notes


def _pair(s: Session, rel: MentoringRelationship) -> str:
    p, m = s.get(Application, rel.protege_id), s.get(Application, rel.mentor_id)
    return f"{p.name or p.email} with mentor {m.name or m.email}"


# ---------------------------------------------------------------- participants' answers
def _record_answer(s: Session, rest: str, sender: str, own: str, now: datetime) -> ReplyOutcome:
    rel_id, number, _role = [*rest.split(":"), "", "", ""][:3]
    rel = s.get(MentoringRelationship, int(rel_id))
    role = _role_of(s, rel, sender)
    if role is None:
        return ReplyOutcome("assessment_answer", "review",
                            f"a reply to assessment reminder {number} of relationship {rel_id} from {sender}, "
                            f"who is not in that relationship", notify=True)
    assessment = s.scalar(select(Assessment).where(Assessment.relationship_id == rel.id,
                                                   Assessment.number == int(number)))
    s.add(AssessmentAnswer(assessment_id=assessment.id, participant=sender, role=role,
                           text=own.strip() or "(an empty reply)", received_at=now))
    lifecycle.record(s, now, sender, "assessment_answered", lifecycle.rel_subject(rel), number=int(number), role=role)
    return ReplyOutcome("assessment_answer", "processed",
                        f"answer to assessment {number} of relationship {rel.id} from the {role}")


def _record_feedback(s: Session, rest: str, sender: str, own: str, now: datetime) -> ReplyOutcome:
    rel = s.get(MentoringRelationship, int(rest.split(":")[0]))
    role = _role_of(s, rel, sender)
    if role is None:
        return ReplyOutcome("feedback", "review", f"a reply to a closing email from {sender}, who is not in "
                            f"that relationship", notify=True)
    lifecycle.record(s, now, sender, "feedback_received", lifecycle.rel_subject(rel), role=role, text=own.strip())
    return ReplyOutcome("feedback", "processed", f"program feedback from the {role} of relationship {rel.id}")


def _role_of(s: Session, rel: MentoringRelationship | None, sender: str) -> str | None:
    if rel is None:
        return None
    for role, app_id in (("protege", rel.protege_id), ("mentor", rel.mentor_id)):
        if s.get(Application, app_id).email == sender:
            return role
    return None


# ---------------------------------------------------------------- reading a reply
def _answered_rows(s: Session, msg: EmailMessage) -> list[OutgoingMessage]:
    """Our own emails this message answers, nearest first (In-Reply-To, then References backwards)."""
    ids = header(msg, "In-Reply-To").split() + list(reversed(header(msg, "References").split()))
    ids = [i for i in dict.fromkeys(ids) if i.startswith("<") and i.endswith(">")][:20]
    if not ids:
        return []
    rows = {r.message_id: r for r in s.scalars(select(OutgoingMessage).where(OutgoingMessage.message_id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def _recipients(msg: EmailMessage) -> list[str]:
    """The addresses the message was sent to, where a reply token travels (program+TOKEN@...);
    none when no token is written in those headers at all. Nearly every message has none, and
    parsing address headers is slow."""
    raw = [raw_header(msg, h) for h in _RECIPIENT_HEADERS]
    as_read = all(value is not None or h not in msg for value, h in zip(raw, _RECIPIENT_HEADERS, strict=True))
    if as_read and not tokens.TOKEN.search(" ".join(value for value in raw if value)):
        return []
    values = [header(msg, h) for h in _RECIPIENT_HEADERS]
    return [addr for _name, addr in getaddresses([v for v in values if v])]


def own_words(text: str) -> str:
    """What the sender wrote themselves: everything above the quoted original."""
    out = []
    for line in text.splitlines():
        if QUOTE_START.match(line.strip()):
            break
        out.append(line)
    return "\n".join(out).strip()
