"""Answers: what a person's reply to a proposed match says, read from their own words.

A reply's own words are what they wrote above the quoted original and above
their signature. `mail-parser-reply` knows the quote headers of many mail
programs in many languages ("On ... wrote:", "Le ... a écrit :", "Am ...
schrieb ...:", Outlook's "From: / Sent:" block) and the common sign-offs;
a line ending in ":" just above a "> " quote, and a quote itself, end the
own words too, whatever the language. Nothing in the quote counts: it holds
our own proposal, "reply yes", and all.

In those words an answer is read only when it is plain: a yes ("Yes, happy
to!", "Sounds great", "I accept and agree to keep our talks confidential"),
a no ("I'd rather not this year", "no thanks"), or a wish to talk to a
coordinator first ("Can we talk first?", "I have a few questions"). A wish
to talk wins over a yes in the same reply; a yes and a no together, or
neither, is UNCLEAR, and a person reads it. Nothing here is guessed.
Pure functions of text.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from mailparser_reply.parser import EmailMessage as ReplyText

# Quote headers in these languages are known besides English.
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs", "ja", "ko", "zh"]
# A reply longer than this is read no further: an answer comes first, and a huge body is no answer.
READ_LIMIT = 20_000
# Where a reply's own words end, when the parser did not see it: a quote, a quote header in a
# common language, or the line just above a quote that ends in ":" (most headers do).
_QUOTE_LINE = re.compile(r"^\s*>")
_WROTE = re.compile(r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef|skrev|napisał|kirjoitti|escreveu"
                    r"|написал|wrote the following)\s*:\s*$|^-{2,}\s*(original message|message d'origine|"
                    r"ursprüngliche nachricht|mensaje original)\s*-{2,}", re.IGNORECASE)
_SIGNATURE = re.compile(r"^\s*(--\s*$|sent from my |get outlook for )", re.IGNORECASE)


class Answer(enum.Enum):
    """What a reply to a proposal says."""

    YES = "yes"
    NO = "no"
    TALK = "talk"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Reading:
    answer: Answer
    # Their own words, the quote and signature left out.
    words: str
    # For a no: their words, when they say more than the refusal itself; "" when they do not.
    reason: str = ""


def own_text(text: str) -> str:
    """The reply's own words: above the quoted original, above the signature."""
    text = (text or "")[:READ_LIMIT].replace("\r\n", "\n")
    parsed = ReplyText(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    first = parsed.replies[0] if parsed.replies else None
    # A reply that begins with a quote header has no words of its own before it: the first part
    # the parser gives is then the quote.
    body = first.body if first is not None and not first.headers else ""
    lines = body.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        following = next((x for x in lines[i + 1:] if x.strip()), "")
        if (_QUOTE_LINE.match(line) or _WROTE.search(line.strip()) or _SIGNATURE.match(line)
                or (line.rstrip().endswith(":") and _QUOTE_LINE.match(following))):
            break
        out.append(line)
    return "\n".join(out).strip()


# ---------------------------------------------------------------- reading the words
def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_TALK = _any(
    r"\b(can|could|may|might|shall) (we|i) (first )?(talk|speak|chat|discuss|meet|call|have a (call|chat))\b",
    r"\b(talk|speak|chat) (to|with) (a|the|one of the|one of your|you|your|someone|somebody|a person)\b"
    r"(?! (mentor|protégé|protege)\b)",
    r"\b(talk|speak|chat|discuss)(ed|ing)? (it |this |things |that )?(over |through )?(first|before)\b",
    r"\b(want|like|prefer|love|need|wish|hope|hoping|glad) to (talk|speak|chat|discuss)\b",
    r"\b(call|phone|ring) me\b", r"\bgive me a (call|ring)\b",
    r"\b(have|got|had) (a|some|one|two|a few|few|several|a couple of) (quick |small )?questions?\b",
    r"\bquestions? (first|before)\b", r"\bnot (yet |quite |entirely |so |too )?sure\b", r"\bunsure\b",
    r"\bbefore i (decide|commit|agree|say|answer|accept|reply)\b", r"\btell me more\b",
    r"\bmore (information|details|info)\b",
)
_YES = _any(
    r"\byes\b", r"\byep\b", r"\byeah\b", r"\byup\b", r"\bi (accept|agree|consent)\b", r"\bagreed\b",
    r"\baccepted\b", r"\b(happy|glad|delighted|thrilled|excited|pleased|honou?red) to\b",
    r"\bsounds? (great|good|wonderful|perfect|lovely|fine|excellent|fantastic|like a great)\b",
    r"\bcount me in\b", r"\b(absolutely|definitely|certainly|gladly)\b", r"\bof course\b", r"\bsure\b",
    r"\bi'?m in\b", r"\blooking forward\b", r"\bcan'?t wait\b", r"\bi('d| would) (love|like|be glad|"
    r"be happy|be delighted) to\b", r"\b(please )?go ahead\b", r"\bworks for me\b", r"\bthat works\b",
    r"\bok(ay)?\b", r"\bperfect\b", r"\bwonderful\b", r"\bwould be (great|lovely|wonderful)\b",
)
_NO = _any(
    r"\bno\b(?!\s+(problem|problems|worries|doubt|question|questions|trouble)\b)", r"\bnope\b",
    r"\bnot (this|at this) (year|time|round|season)\b", r"\brather not\b", r"\bdecline\b",
    r"\bcan'?t\b(?! wait)", r"\bcannot\b", r"\bunable\b", r"\bnot (be )?able\b", r"\bwon'?t be\b",
    r"\bnot (a good|the right|a great|a) (fit|match|time)\b", r"\bpass\b(?! (it|this|that|them) (on|along))",
    r"\bnot interested\b", r"\bno longer\b", r"\bwithdraw\b", r"\bnot for me\b", r"\bdon'?t think so\b",
    r"\bunfortunately\b", r"\bregret", r"\bnot (right )?now\b", r"\bdon'?t want\b", r"\bbow out\b",
    r"\bnot available\b", r"\btoo busy\b", r"\bnot (going|willing) to\b", r"\bhave to say no\b",
)
# A refusal with nothing more said: there is no reason to pass on.
_BARE_NO = re.compile(r"^(no|nope|no,? thanks?( you)?|no,? sorry|sorry,? no|i decline)[\s.!,]*$")


def _normal(words: str) -> str:
    return " ".join(words.lower().replace("\u2019", "'").replace("\u2018", "'").split())


def read_answer(text: str) -> Reading:
    """A reply's answer to a proposed match, read from its own words only."""
    words = own_text(text)
    plain = _normal(words)
    if not plain:
        return Reading(Answer.UNCLEAR, words)
    if _TALK.search(plain):
        return Reading(Answer.TALK, words)
    yes, no = bool(_YES.search(plain)), bool(_NO.search(plain))
    if yes and not no:
        return Reading(Answer.YES, words)
    if no and not yes:
        return Reading(Answer.NO, words, "" if _BARE_NO.match(plain) else words)
    return Reading(Answer.UNCLEAR, words)
