"""Loops: does this message answer our own automatic mail, and how soon?

An auto-responder that ignores RFC 3834 answers every email it gets, often quoting it, within
seconds; answering it back starts a loop. A message answers our mail when its In-Reply-To or
References names one of our Message-IDs, or when its text quotes ours (most of our email's
longer lines appear in it, with or without "> " in front). When it came is read from its
received chain (mail-parser). Functions of values; `ledger` looks up our mail, `decide` acts
on what is found here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message

import mailparser

from inbox_worker.mail.headers import header

# An answer this soon after our mail went out was written by a machine, or by a person in an
# unusual hurry; only a second one in a week counts (`decide.MACHINE_AFTER`).
QUICK = timedelta(minutes=5)
# How far back quick answers are counted, and how long a sender found to be a machine stays one.
QUICK_WINDOW = timedelta(days=7)
MACHINE_REMEMBERED = timedelta(days=30)
# A line of ours long enough to say it was quoted, and how many of them must be found.
QUOTED_LINE_CHARS = 24
QUOTED_SHARE = 0.6
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_QUOTE_MARKS = re.compile(r"^[\s>|]+")


@dataclass(frozen=True)
class OurMail:
    """One automatic email of ours, as a reply to it is checked against it."""

    message_id: str
    # What it was, in words ("acknowledgement").
    what: str
    sent_at: datetime | None
    text: str = ""


@dataclass(frozen=True)
class Answering:
    mail: OurMail
    # Within QUICK of our mail going out.
    quick: bool


def named_ids(headers: Message) -> list[str]:
    """The Message-IDs the message says it answers: In-Reply-To, then References, nearest first."""
    ids = _MESSAGE_ID.findall(header(headers, "In-Reply-To"))
    ids += reversed(_MESSAGE_ID.findall(header(headers, "References")))
    return list(dict.fromkeys(ids))[:20]


def _lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        words = " ".join(_QUOTE_MARKS.sub("", line).split()).lower()
        if words:
            out.append(words)
    return out


def quotes(text: str, ours: str) -> bool:
    """Whether `text` quotes most of the longer lines of our email `ours`."""
    wanted = [line for line in _lines(ours) if len(line) >= QUOTED_LINE_CHARS]
    if not wanted:
        return False
    theirs = " ".join(_lines(text))
    found = sum(1 for line in wanted if line in theirs)
    return found >= max(2, QUOTED_SHARE * len(wanted))


def answering(named: list[OurMail], recent: list[OurMail], text: str, headers: Message,
              now: datetime) -> Answering | None:
    """Which of our emails the message answers (one it names, else a recent one it quotes), and
    whether it came within minutes of it."""
    mail = named[0] if named else next((m for m in recent if quotes(text, m.text)), None)
    if mail is None:
        return None
    came = arrival(headers) or now
    # Either way round: the two clocks (theirs wrote `came`, ours `sent_at`) may differ a little.
    return Answering(mail, mail.sent_at is not None and abs(came - mail.sent_at) <= QUICK)


def arrival(headers: Message) -> datetime | None:
    """When the message came (naive UTC): the last hop of its received chain, read by mail-parser,
    else the date its sender's program wrote."""
    try:
        parsed = mailparser.MailParser(headers)
        hops = [hop["date_utc"] for hop in parsed.received if hop.get("date_utc")]
        when = datetime.fromisoformat(hops[-1]) if hops else parsed.date
    except Exception:  # an unreadable chain or date: no time to go by
        return None
    if not isinstance(when, datetime):
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
