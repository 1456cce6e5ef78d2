"""Corrections: what an applicant's reply to our mail asks us to put right, read from their own words.

Two ways of writing a correction are understood. A line in the form's own words ("Phone #: 307-555-0188",
"Library Name: ...", "Applying as: Mentor") is read by the form reader itself (`textform.read_form`), so
its labels and options are exactly the form's. A plain sentence that corrects one field is read here: a
field named as people name the form's blanks (`vocabulary.label_key`: "my phone number", "the library
type", "my email address"), then words that say what it is now ("is actually", "should be", "has changed
to", "please change ... to"), then the value; and a few sentences that say it without naming a field:
"I work at Teton County Library now", "I meant to apply as a mentor", "I've moved to 12 Elm St, Lander, WY
82520", "you can reach me at 307-555-0188". Each value is put in the record's normal form by the form
reader's own rules (`labelled.put_labelled`), so it is stored exactly as a form's would be.

A sentence that reads like a correction ("the phone number is wrong", "I made a typo") but cannot be read
is handed back as unclear, with the fields it names, for a person; nothing is guessed. The text given is
the reply's own words: the caller leaves the quoted original out. Pure functions of text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inbox_worker import form
from inbox_worker.extract.document import Document
from inbox_worker.extract.labelled import put_labelled
from inbox_worker.extract.labels import CATEGORIES, PLACE, SUPPORT
from inbox_worker.extract.layout import labelled_line
from inbox_worker.extract.normalize import EMAIL
from inbox_worker.extract.places import split_blanks
from inbox_worker.extract.reading import FormReading
from inbox_worker.extract.textform import read_form
from inbox_worker.extract.vocabulary import label_key
from inbox_worker.record import CONFIDENT

# Own words longer than this are no correction; what is past it is not read.
READ_LIMIT = 5_000
SENTENCE_HOW = "a sentence in a reply"
LABEL_HOW = "a labelled line in a reply"

# Words in a field's name that say which value, not which field: "my NEW phone", "the CORRECT address".
_QUALIFIERS = r"(?:new|updated|correct|corrected|right|actual|real|proper|current|old|present|best|main)"
_FIELD = r"(?P<field>(?:[\w'#.&-]+\s+){0,3}?[\w'#.&-]+)"
# What may stand between a field and the word that gives its value: "my phone number ON THE FORM is ...".
_ASIDE = (r"(?:\s*,?\s*(?:on (?:the|my) (?:form|application)|that i (?:gave|wrote|put|listed)(?: you| down)?|"
          r"i (?:gave|wrote|put|listed)(?: you| down)?|you have(?: on file| for me)?|on file|for me|"
          r"to reach me|listed|given|below|above)\s*,?)?")
_IS = (r"(?P<link>is actually|is really|is in fact|"
       r"should (?:actually |really )?(?:be|read|say|have (?:been|said|read))|has (?:now )?changed to|"
       r"changed to|was changed to|is now|now is|will be|needs to be|ought to be|is spelled|is spelt|is|=|:|-)")
# After "my", "the", "our" or at a clause's start: "phone number is actually (307) 555-0188".
_FIELD_IS = re.compile(rf"(?:{_QUALIFIERS}\s+)*{_FIELD}{_ASIDE}\s*{_IS}\s+(?P<value>.+)", re.IGNORECASE)
# "... phone number is wrong, it should be ..."
_WRONG_THEN = re.compile(rf"(?:{_QUALIFIERS}\s+)*{_FIELD}{_ASIDE}\s+(?:is|was)\s+"
                         r"(?:wrong|incorrect|a typo|mistyped|misspelled|not right|out of date|old)\W+"
                         r"(?:and\s+)?(?:it(?:'s| is| should be)|(?:the )?(?:right|correct|new) one is|it's actually|"
                         r"should be|use|please use)\s+(?P<value>.+)", re.IGNORECASE)
# The sentence after one that names a field it says is wrong: "It's 307-555-0177."
_IT_IS = re.compile(r"^(?:and\s+)?(?:it(?:'s| is| should be| should read)|(?:the )?(?:right|correct|new) one is|"
                    r"(?:it )?should be|correct is|please use|use)\s+(?P<value>.+)", re.IGNORECASE)
_FIELD_START = re.compile(r"\b(?:my|the|our)\s+", re.IGNORECASE)
# "please change my phone number to ...", "could you update the library type to academic"
_CHANGE = re.compile(r"\b(?:change|update|correct|fix|amend|switch|set|put)\s+(?:my|the|our)\s+", re.IGNORECASE)
_FIELD_TO = re.compile(rf"(?:{_QUALIFIERS}\s+)*{_FIELD}\s+(?:to read|to say|to be|to|as)\s*:?\s+(?P<value>.+)",
                       re.IGNORECASE)
# Sentences that say it without naming a field.
_WORK_AT = re.compile(r"\bi(?:'m| am|'ve| have)?\s+(?:now\s+|just\s+|recently\s+)*(?:work(?:ing)?|employed|started)"
                      r"\s+(?:now\s+)?(?:at|for|with)\s+(?P<value>.+)", re.IGNORECASE)
_NEW_JOB = re.compile(r"\b(?:new (?:job|position|role) (?:is )?(?:at|with)|moved (?:over )?to|transferred to|"
                      r"switched to)\s+(?P<value>.+)", re.IGNORECASE)
_REACH_ME = re.compile(r"\b(?:reach|call|text|email|e-mail|write to|contact)\s+me\s+(?:at|on|via)\s+(?P<value>.+)",
                       re.IGNORECASE)
_PLEASE_USE = re.compile(r"\b(?:please )?use\s+(?P<value>\S+@\S+)", re.IGNORECASE)
_PROMOTED = re.compile(r"\b(?:promoted to|new (?:job )?title is|now (?:work|working) as)\s+(?P<value>.+)",
                       re.IGNORECASE)
# A role chosen in words: "apply as a mentor", "I meant protégé", "be a mentor instead".
_ROLE = r"(mentor|prot[eé]g[eé]e?|mentee)s?\b"
_CHOSEN_ROLE = re.compile(
    rf"\b(?:(?:as|be|being|become)\s+(?:an?\s+)?{_ROLE}|"
    rf"(?:meant|mean|picked|chose|choose|checked|selected|ticked)\s+(?:to\s+\w+\s+)?(?:the\s+)?(?:an?\s+)?{_ROLE}|"
    rf"(?:switch|change|move)\s+(?:me|my application|my role|my position|it|this|that)\s+(?:to|into)\s+"
    rf"(?:an?\s+|the\s+)?{_ROLE}|"
    rf"(?:apply|applying|applied|application)\s+(?:\w+\s+){{0,3}}?(?:as|for)\s+(?:an?\s+|the\s+)?{_ROLE}|"
    rf"{_ROLE}\s+(?:instead|rather))", re.IGNORECASE)
_NOT_ROLE = re.compile(rf"\b(?:not|instead of|rather than|no longer)\s+(?:as\s+|be\s+)?(?:an?\s+)?{_ROLE}",
                       re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|never|no longer|cannot)\b|n't\b", re.IGNORECASE)
_ROLE_WORD = re.compile(rf"(?:an?\s+|the\s+)?{_ROLE}", re.IGNORECASE)
# Where a value ends: "(307) 555-0188, not 307-555-0100", "academic instead", "X now. Thanks".
_VALUE_END = re.compile(r"\s*(?:,\s*|\s+)(?:not\b|instead\b|rather than\b|thanks\b|thank you\b|please\b|if\b|"
                        r"as of\b|starting\b|from now on\b|now\b|going forward\b|sorry\b|"
                        r"(?:last|this|next) (?:week|month|year)\b|yesterday\b|today\b|recently\b|effective\b)|"
                        r"\s*\(not\b|\s+-\s+|[!?]|"
                        r"\.(?:\s|$)", re.IGNORECASE)
_AS_POSITION = re.compile(r"\s+as\s+(?:an?\s+|the\s+|our\s+)?(?P<position>.+)$", re.IGNORECASE)
# A sentence that reads like a correction, whether or not it can be read: these words say so alone;
# the weaker ones only beside a field's name or a value (a digit, an address).
_CUE = re.compile(r"\b(wrong|incorrect|mistakes?|typos?|mistyped|misspel\w*|meant|should (?:be|read|say|have)|"
                  r"instead|moved|not right|errors?|fix)\b", re.IGNORECASE)
_WEAK_CUE = re.compile(r"\b(correct\w*|chang\w+|updat\w+|out of date|new)\b", re.IGNORECASE)
# A library name that is only a kind of library ("a public library"): every kind but the catch-all.
_KINDS = "|".join(kind for kind in form.LIBRARY_TYPES if kind != "other")
_LIBRARY_TYPE = re.compile(rf"^(?:an?\s+)?({_KINDS})(?:\s+library)?$", re.IGNORECASE)
_STREET = re.compile(r"^(?:\d+\w*\s+\S|p\.?\s*o\.?\s+box\b)", re.IGNORECASE)
_ABBREVIATIONS = re.compile(r"\b(St|Ave|Rd|Dr|Blvd|Ln|Ct|Mr|Mrs|Ms|Jr|Sr|Hwy|Apt|Ste|P\.O|No)\.$")
_CLAUSES = re.compile(r"\s*(?:;|,?\s+and also\s+|,?\s+also,?\s+|,\s+and\s+(?=(?:my|the|i|it|please)\b)|"
                      r"\s+and\s+(?=(?:my|the)\b))\s*", re.IGNORECASE)
# Keys a sentence may set (the free-text answers and the supervisor question are a person's to read).
SENTENCE_KEYS = frozenset({"role", "name", "phone", "address", "city", "state", "zip", "email", "library_name",
                           "position", "library_type", "supervisor_name", "supervisor_email", PLACE})


@dataclass(frozen=True)
class Correction:
    """One field put right: its record key, its value in the record's normal form, the words it came from."""

    key: str
    value: object
    written: str
    how: str


@dataclass(frozen=True)
class Corrections:
    """What a reply's own words correct, and what in them reads like a correction but could not be read."""

    found: tuple[Correction, ...] = ()
    # Sentences that read like a correction and were not understood, as written.
    unclear: tuple[str, ...] = ()
    # The record keys the unclear sentences name, in the record's order.
    named: tuple[str, ...] = ()

    def values(self) -> dict[str, object]:
        return {c.key: c.value for c in self.found}


@dataclass
class _Sentence:
    text: str
    reading: FormReading = field(default_factory=lambda: FormReading("reply"))


def read_corrections(own_words: str) -> Corrections:
    """The corrections in a reply's own words (its quote and signature already left out)."""
    text = (own_words or "")[:READ_LIMIT].replace("\r\n", "\n")
    lines = text.splitlines()
    labelled = [line for line in lines if labelled_line(line) is not None]
    found: dict[str, Correction] = {}
    if labelled:
        reading = read_form(Document.from_text("reply", text))
        for key, got in reading.readings.items():
            if got.confidence >= CONFIDENT and got.value not in (None, "", []):
                found[key] = Correction(key, got.value, got.written or "", LABEL_HOW)
    unclear: list[str] = []
    last_unclear: list[str] = []
    for sentence in sentences(line for line in lines if labelled_line(line) is None):
        read = read_sentence(sentence)
        if not read and len(last_unclear) == 1 and (m := _IT_IS.match(sentence)) is not None:
            # "I typed my cell wrong. It's 307-555-0177.": the field is the one just named.
            read = _put(last_unclear[0], m.group("value"))
            if read:
                unclear.pop()
        last_unclear = []
        for key, value in read.items():
            found.setdefault(key, Correction(key, value, sentence, SENTENCE_HOW))
        if not read and reads_like_a_correction(sentence):
            unclear.append(sentence)
            last_unclear = fields_named(sentence)
    if found:
        # "We moved last month." before the new address, "I made a typo." before the line that puts it
        # right: a sentence that names no field and gives no value leads into the corrections read.
        unclear = [s for s in unclear if fields_named(s) or re.search(r"\d|@", s)]
    named = {key for sentence in unclear for key in fields_named(sentence)}
    order = [*form.RECORD_KEYS]
    return Corrections(tuple(sorted(found.values(), key=lambda c: order.index(c.key))), tuple(unclear),
                       tuple(k for k in order if k in named))


def sentences(lines) -> list[str]:
    """The words as sentences: split at line breaks that end one, at . ! ? before a capital."""
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    out = []
    for paragraph in paragraphs:
        start = 0
        for m in re.finditer(r"[.!?]+\s+(?=[A-Z\"'(])", paragraph):
            if _ABBREVIATIONS.search(paragraph[start:m.start() + 1]):
                continue
            out.append(paragraph[start:m.end()].strip())
            start = m.end()
        out.append(paragraph[start:].strip())
    return [s for s in out if s]


def read_sentence(sentence: str) -> dict[str, object]:
    """The fields one sentence corrects, in the record's normal form ({} when it corrects none plainly)."""
    plain = " ".join(sentence.replace("\u2019", "'").replace("\u2018", "'").split())
    out: dict[str, object] = {}
    for clause in _CLAUSES.split(plain):
        for key, value in _read_clause(clause).items():
            out.setdefault(key, value)
    return out


def reads_like_a_correction(sentence: str) -> bool:
    """Whether a sentence says something is to be put right, whether or not it can be read."""
    if _CUE.search(sentence):
        return True
    return bool(_WEAK_CUE.search(sentence) and (fields_named(sentence) or re.search(r"\d|@", sentence)))


def _read_clause(clause: str) -> dict[str, object]:
    named = [(_FIELD_IS, m.end()) for m in _FIELD_START.finditer(clause)]
    named += [(_WRONG_THEN, m.end()) for m in _FIELD_START.finditer(clause)]
    named += [(_FIELD_TO, m.end()) for m in _CHANGE.finditer(clause)]
    for pattern, at in [(_WRONG_THEN, 0), (_FIELD_IS, 0), *named]:
        m = pattern.match(clause, at)
        if m is None:
            continue
        key = label_key(m.group("field"))
        if key is None or key in (CATEGORIES, SUPPORT):
            continue
        # "My name is Jane" introduces; only "my name is spelled ..." or "should be ..." corrects.
        if key == "name" and m.groupdict().get("link", "is").lower() in ("is", ":", "-", "="):
            continue
        got = _put(key, m.group("value"))
        if got:
            return got
    m = _WORK_AT.search(clause) or _NEW_JOB.search(clause)
    if m is not None and (got := _workplace(m.group("value"))):
        return got
    if (m := _REACH_ME.search(clause) or _PLEASE_USE.search(clause)) is not None:
        value = _value(m.group("value"))
        return _put("email" if EMAIL.search(value) else "phone", value)
    if (m := _PROMOTED.search(clause)) is not None:
        return _put("position", m.group("value"))
    return _role(clause)


def _put(key: str, raw: str) -> dict[str, object]:
    """A value for `key` read by the form reader's rules, with the guesses people make about which
    blank is which put right ("my position should be mentor" is the role)."""
    value = _value(raw) if key not in ("address", PLACE) else _value(raw, keep_commas=True)
    if not value:
        return {}
    if key == "library_name" and _LIBRARY_TYPE.match(value):
        key = "library_type"
    if key in ("position", "role") and (m := _ROLE_WORD.fullmatch(value)) is not None:
        return {"role": _role_key(m.group(1))}
    if key == "role":
        return {}
    if key == "position" and (m := re.match(r"(?:at|with)\s+", value, re.IGNORECASE)) is not None:
        return _workplace(value[m.end():])  # "my new job is at ...": where, not what
    if key not in SENTENCE_KEYS:
        return {}
    if key == "address" and not _STREET.match(value):
        return {}
    if key in ("email", "supervisor_email") and not EMAIL.fullmatch(value.strip("<>")):
        return {}
    reading = FormReading("reply")
    put_labelled(key, value, reading, False, SENTENCE_HOW)
    split_blanks(reading)
    return {k: r.value for k, r in reading.readings.items() if r.confidence >= CONFIDENT and r.certain}


def _value(raw: str, *, keep_commas: bool = False) -> str:
    """The value a sentence gives, without what follows it ("..., not the old one", "now. Thanks")."""
    value = raw.strip().lstrip(":").strip()
    value = re.sub(r"^(?:actually|now|really|in fact)\s+", "", value, flags=re.IGNORECASE)
    end = _VALUE_END.search(value)
    if end is not None:
        value = value[:end.start()]
    if not keep_commas and EMAIL.search(value) is None and "," in value and not re.search(r"\d,\s*\d", value):
        value = value.split(",")[0]
    return value.strip().strip("\"'“”").rstrip(".,;:").strip()


def _workplace(raw: str) -> dict[str, object]:
    """Where someone works now: a library, perhaps with their position there ("X Library as the branch manager")."""
    value = _value(raw)
    if _STREET.match(value):
        return _put("address", raw)
    position = None
    if (m := _AS_POSITION.search(value)) is not None:
        value, position = value[:m.start()], m.group("position")
    value = re.sub(r"^the\s+(?=\w+\s+\w)", "", value, flags=re.IGNORECASE)
    if not re.search(r"\b(librar(?:y|ies)|college|university|school|district|system|branch|center|centre|"
                     r"institute|museum|archives?|hospital|college)\b", value, re.IGNORECASE):
        return {}
    out = _put("library_name", value)
    if position and out:
        out |= _put("position", position)
    return out


def _role(clause: str) -> dict[str, object]:
    """A role chosen in plain words, when exactly one is chosen and it is not said the other way."""
    negated = {_role_key(m.group(1)) for m in _NOT_ROLE.finditer(clause)}
    chosen = set()
    for m in _CHOSEN_ROLE.finditer(clause):
        # "I can't be a mentor this year" chooses nothing.
        if not _NEGATED.search(clause[max(0, m.start() - 24):m.start()]):
            chosen.add(_role_key(next(g for g in m.groups() if g)))
    chosen -= negated
    return {"role": chosen.pop()} if len(chosen) == 1 else {}


def _role_key(word: str) -> str:
    return "mentor" if word.lower().startswith("mentor") else "protege"


def fields_named(sentence: str) -> list[str]:
    """The record keys a sentence names by a field's name ("the zip code", "my phone"), for the
    coordinators' ready command."""
    words = re.findall(r"[\w'#-]+", sentence)
    named = []
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i:i + size])
            key = label_key(phrase)
            if key in form.RECORD_KEYS and key != "name" and phrase.lower() not in ("i", "me", "my"):
                named.append(key)
    return list(dict.fromkeys(named))
