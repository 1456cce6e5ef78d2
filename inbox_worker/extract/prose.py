"""Applications written as a letter, read as a coordinator reads them.

"I would like to be a mentor. I am the director of the Hot Springs County
Library; you can reach me at 307-555-0144." is an application: the writer
says, without condition, which role they want. The role comes from that
sentence (both roles offered at once leaves it undecided); the position
and library from a sentence such as "I am the X at Y" or from the
signature; phone and email from the text and the signature; the supervisor
from a sentence saying they support it; the rest of the letter, less its
greeting, contact details and closing, is the goals (protégé) or strengths
(mentor) answer. A question about the program, a note written in support
of someone else, or a promise to apply later is no application.
"""

from __future__ import annotations

import re

from inbox_worker import form
from inbox_worker.extract.document import Document
from inbox_worker.extract.labelled import SIGN_OFF
from inbox_worker.extract.lines import MAX_CHARS
from inbox_worker.extract.normalize import EMAIL, fold_text, phone
from inbox_worker.extract.places import split_address
from inbox_worker.extract.reading import FormReading
from inbox_worker.extract.wishes import (
    WORKPLACE,
    goals_start,
    roles_in,
    stated_categories,
    stated_library_type,
)

HOW = "a letter"
COMMITS = re.compile(
    r"\b(?:i would like|i'd like|i\u2019d like|i am writing to apply|i'm writing to apply|i am applying|"
    r"i'm applying|i\u2019m applying|please accept|please consider me|this (?:email|e-mail|letter|"
    r"message|note) is my application|i want to|i wish to|i am interested in (?:being|serving|"
    r"becoming|joining)|i'd love to|i would love to|i am hoping to|i'm hoping to|i hope to be|"
    r"i am volunteering|i'm volunteering|i'd be glad|i would be glad|i'd be happy|i would be happy|"
    r"sign me up|count me in)\b", re.I)
APPLYING = re.compile(r"\b(?:apply|applying|application|program|programme|consider me|accept)\b", re.I)
DOUBT = re.compile(r"\?|\b(?:if|whether|thinking (?:about|of)|considering|wondering|not sure|someday|some day|maybe|"
                   r"perhaps|next year|in the future|later|eventually)\b", re.I)
FOR_OTHERS = re.compile(r"\b(?:in support of|on behalf of|my (?:staff|employee|colleague|coworker|co-worker)|"
                        r"(?:her|his|their) application|recommend|endorse|\w+['\u2019]s application)\b|"
                        r"\bI (?:fully |strongly |wholeheartedly |gladly )?support\b", re.I)
# A sentence that takes an application back, or says the writer can no longer take part: with a word of
# the program or a role in it, the letter is no application.
WITHDRAWS = re.compile(r"\b(?:withdraw\w*|rescind\w*|cancel(?:l?ed|l?ing)?|remove me|take me off|drop out|"
                       r"pull (?:my|out)|no longer (?:able|be able|interested|wish|want|participate|take part))\b",
                       re.I)
# "I have worked at the X as a Y": the library first, then the position.
WORKED_AT = re.compile(
    r"\bI(?: have|'ve|\u2019ve)? (?:worked|been working|work) (?:at|for|with|in) (?:the\s+)?"
    r"(?P<library>[A-Z][^.;]{2,90}?)\s+as\s+(?:a|an|the)\s+(?P<position>[A-Za-z][^.;,]{2,60}?)(?=\s+(?:for|since|and)\b|\s*[.;,]|$)")
INTRO = re.compile(
    r"\b(?:I am|I'm|I\u2019m|I work as|I currently work as|I serve as|I currently serve as|I have been|I've been|"
    r"I (?:recently |just )?became|"
    r"I\u2019ve been|I am currently)\s+(?:the\s+|a\s+|an\s+)?(?P<phrase>[A-Za-z][^.;]{4,150})")
LIBRARY_NOUN = re.compile(r"\b(?:Librar(?:y|ies)|College|University|School|Center|Centre|Archives?|Museum|System|"
                          r"Department|Institute)\b")
SUPERVISOR = re.compile(r"\bmy (?:direct |immediate )?(?:supervisor|director|manager|boss|dean|principal|"
                        r"department head)(?:,\s*|\s+is\s+)", re.I)
# Where a supervisor's name ends: an email address, or the words that say they support it.
NAME_ENDS = re.compile(r"\s*\(?[\w.+'-]+@|,?\s+(?:and\s+)?(?:she|he|they|who)\b|,?\s+(?:has|have|supports?|approved|"
                       r"agreed|knows|is)\b")
SUPPORTS = re.compile(r"\b(?:supports?|supportive|approved?|approval|permission|blessing|on board|agreed|"
                      r"signed off|is aware|knows)\b", re.I)
CONTACT = re.compile(r"\b(?:reach me|contact me|call me|email me|e-mail me|phone|cell|my number|my email|"
                     r"my e-mail|by email|by phone|text me)\b", re.I)
ADDRESS = re.compile(r"\b(?:mailing |home |street |postal )?address is\s+(?P<address>.+?)\.?$", re.I)
GREETING = re.compile(r"^(?:dear|hello|hi|hey|good (?:morning|afternoon|evening)|greetings|to whom|to the)\b", re.I)
CLOSING = re.compile(r"\b(?:thank you|thanks|look forward|looking forward|appreciate|let me know|hear from you|"
                     r"questions)\b", re.I)
ORGANISATION_NUMBER = re.compile(r"\b(?:fax|main|desk|front desk|library:|office:|reference desk)\b", re.I)
# Full stops that do not end a sentence: abbreviations, initials, the program's own L.E.A.D.
ABBREVIATION = re.compile(r"\b(?:St|Ave|Dr|Rd|Blvd|Ln|Mr|Mrs|Ms|Mx|Jr|Sr|Apt|No|Wyo|Mont|Colo|etc|e\.g|i\.e|"
                          r"Ph\.D|M\.L\.S|M\.L\.I\.S|L\.E\.A\.D|[A-Z])\.$")


def read_letter(doc: Document) -> FormReading | None:
    """The record a letter of application gives, or None when the text is no application."""
    text = "\n".join(line.text for line in doc.lines)[:MAX_CHARS]
    body, signature = _split_signature(text)
    paragraphs = [sentences_of(p) for p in _paragraphs(body)]
    sentences = [s for p in paragraphs for s in p]
    role_sentences = [s for s in sentences if _commits_to_a_role(s)]
    if not role_sentences or FOR_OTHERS.search(body) or any(_withdraws(s) for s in sentences):
        return None
    roles = set()
    for s in role_sentences:
        roles |= roles_in(s)
    reading = FormReading(doc.source, letter=True)
    reading.evidence += 1
    if len(roles) == 1:
        reading.put("role", roles.pop(), 0.85, HOW)
    # A sentence that only says which role (and that this is an application) is not part of the
    # answer; one that goes on to say why ("I would like a mentor who can help me...") is.
    used = {s for s in role_sentences if len(s.split()) < 12 or APPLYING.search(s)}
    used |= _read_intro(sentences, signature, reading)
    about_supervisor = _read_supervisor(sentences, reading)
    used |= about_supervisor
    used |= _read_contact([x for x in sentences if x not in about_supervisor], signature, reading)
    name = _signed_name(signature) or _named_in(sentences)
    if name is None:
        return None
    reading.put("name", name, 0.85, HOW)
    key = {"protege": "goals", "mentor": "strengths"}.get(str(getattr(reading.readings.get("role"), "value", "")))
    questions = [s for s in sentences if s.rstrip().endswith("?")]
    rest = [s for s in sentences if s not in used and s not in questions and not GREETING.match(s)
            and not _closing(s)]
    if questions and not rest:
        return None  # "I'd like to apply as a protégé. How do I start?": a question, with nothing of an application
    _read_stated(sentences, reading)
    rest = _answer(rest, paragraphs, role_sentences)
    if key and rest:
        reading.put(key, fold_text(" ".join(rest)), 0.8, HOW)
    return reading


def _read_stated(sentences: list[str], reading: FormReading) -> None:
    """The kind of library and the categories the letter states of the writer."""
    kind = stated_library_type(sentences)
    if kind:
        reading.put("library_type", kind, 0.75, HOW)
    role = getattr(reading.readings.get("role"), "value", None)
    categories = stated_categories(sentences, role)
    if categories:
        reading.put(f"{role}_categories", categories, 0.75, HOW)


def _answer(rest: list[str], paragraphs: list[list[str]], role_sentences: list[str]) -> list[str]:
    """The sentences that answer the goals (or strengths) question.

    The paragraph that says which role often introduces the writer ("I'd like to be mentored. I work
    at a small rural library."): where the letter goes on in paragraphs of its own, those sentences
    are no answer; where a sentence opens the answer in so many words ("My goals for this year
    are..."), the answer starts there.
    """
    opening = next((p for p in paragraphs if any(s in role_sentences for s in p)), [])
    start = goals_start(opening)
    if start is not None:
        dropped = set(opening[:start])
    elif any(s not in opening for s in rest):
        dropped = {s for s in opening if INTRO.search(s) or WORKED_AT.search(s) or WORKPLACE.search(s)}
    else:
        dropped = set()
    return [s for s in rest if s not in dropped]


# ---------------------------------------------------------------- text into sentences


def _split_signature(text: str) -> tuple[str, list[str]]:
    """The letter's body, and the lines of its signature (after "Sincerely," or the like)."""
    lines = text.split("\n")
    for n in range(len(lines) - 1, -1, -1):
        line = lines[n].strip()
        if (line and len(line) < 40 and SIGN_OFF.match(line) and line.endswith((",", "!", "."))) or line == "--":
            return "\n".join(lines[:n]), [x.strip() for x in lines[n + 1 :] if x.strip()]
    # No closing: the last lines that are short and not sentences.
    tail: list[str] = []
    while lines and (not lines[-1].strip() or (len(lines[-1].strip()) < 60 and not lines[-1].strip().endswith("."))):
        if lines[-1].strip():
            tail.insert(0, lines[-1].strip())
        lines.pop()
    return "\n".join(lines), tail


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def sentences_of(paragraph: str) -> list[str]:
    """A paragraph's sentences, not broken after abbreviations, initials or inside addresses."""
    out: list[str] = []
    start = 0
    for m in re.finditer(r"[.!?](?=\s+[A-Z\"\u201c(])", paragraph):
        # Only the word that ends here can be an abbreviation: look at no more than that.
        if ABBREVIATION.search(paragraph[max(start, m.end() - 12) : m.end()]):
            continue
        out.append(paragraph[start : m.end()].strip())
        start = m.end()
    if paragraph[start:].strip():
        out.append(paragraph[start:].strip())
    return out


def _closing(sentence: str) -> bool:
    return len(sentence) < 90 and bool(CLOSING.search(sentence)) and not re.search(r"\d|@", sentence)


# ---------------------------------------------------------------- the role


def _withdraws(sentence: str) -> bool:
    return bool(WITHDRAWS.search(sentence)) and bool(APPLYING.search(sentence) or roles_in(sentence))


def _commits_to_a_role(sentence: str) -> bool:
    """The writer says, without condition or question, that they apply for a role."""
    if not roles_in(sentence) or DOUBT.search(sentence):
        return False
    if COMMITS.search(sentence):
        return True
    return bool(re.search(r"\b(?:my application|I am applying|I'm applying|I\u2019m applying|I apply|"
                          r"I (?:would|want to|wish to) apply)\b", sentence, re.I))


# ---------------------------------------------------------------- details


def _read_intro(sentences: list[str], signature: list[str], reading: FormReading) -> set[str]:
    """Position and library from "I am the X at Y", or from the signature's lines."""
    for s in sentences:
        worked = WORKED_AT.search(s)
        if worked and _library_rank(worked.group("library")) and not re.search(r"\d|@", worked.group("position")):
            reading.put("position", worked.group("position").strip(), 0.8, HOW)
            reading.put("library_name", worked.group("library").strip(" ,."), 0.8, HOW)
            return {s} if not roles_in(s) else set()
        m = INTRO.search(s)
        found = _position_and_library(m.group("phrase")) if m else None
        if found is not None:
            reading.put("position", found[0], 0.8, HOW)
            reading.put("library_name", found[1], 0.8, HOW)
            return {s} if not roles_in(s) else set()
    lines = [x for x in signature[1:] if not re.search(r"\d{3}|@|https?:|www\.", x)]
    ranked = sorted((_library_rank(x), n) for n, x in enumerate(lines) if _library_rank(x))
    if not ranked:
        return set()
    library = lines[ranked[-1][1]]
    head, sep, tail = library.partition(",")
    if sep and _library_rank(tail) and not _library_rank(head):
        reading.put("position", head.strip(), 0.75, HOW)
        library = tail.strip()
    reading.put("library_name", library, 0.75, HOW)
    position = next((x for x in lines if x is not lines[ranked[-1][1]] and _signed_name([x, x]) is None), None)
    if position is None:
        position = next((x for x in lines if x is not lines[ranked[-1][1]]), None)
    if position is not None and "position" not in reading.readings:
        reading.put("position", position, 0.75, HOW)
    return set()


def _position_and_library(phrase: str) -> tuple[str, str] | None:
    """ "Head of Technical Services at the Crook County Library": the position, then the library."""
    phrase = re.split(r",\s+(?:where|and|which|in|since)\b|\s+in\s+(?=[A-Z][a-z]+(?:,|$))", phrase)[0].strip(" ,")
    for joiner in (" at ", " for ", " with ", " of ", " in "):
        at = phrase.rfind(joiner) if joiner != " of " else phrase.find(joiner)
        if at <= 0:
            continue
        position, library = phrase[:at].strip(), re.sub(r"^the\s+", "", phrase[at + len(joiner):].strip(), flags=re.I)
        # "Director of Library Services at X": after "at" the position may hold library words; after "of" not.
        loose = joiner in (" at ", " for ", " with ")
        if (_library_rank(library) and library[:1].isupper() and not re.search(r"\d|@", position)
                and (loose or not _library_rank(position)) and len(position.split()) <= 6):
            return position, library.strip(" ,.")
    return None


def _library_rank(text: str) -> int:
    """How surely a line names a library: "... Library" most, a school or college next, an archive or center last."""
    if re.search(r"\bLibrar(?:y|ies)\b", text):
        return 3
    if re.search(r"\b(?:College|University|School|Institute)\b", text):
        return 2
    return 1 if LIBRARY_NOUN.search(text) and not re.search(r"\b(?:Technician|Assistant|Clerk)\b", text) else 0


def _read_supervisor(sentences: list[str], reading: FormReading) -> set[str]:
    """The supervisor from "My supervisor, X (x@y), has approved..." or "My supervisor is X, and she supports..."."""
    for s in sentences:
        m = SUPERVISOR.search(s)
        if m is None or not SUPPORTS.search(s):
            continue
        rest = s[m.end():]
        end = NAME_ENDS.search(rest)
        name = (rest[: end.start()] if end else rest).strip(" ,.;")
        reading.put("supervisor_support", True, 0.8, HOW)
        if name[:1].isupper() and len(name) <= 80:
            reading.put("supervisor_name", name, 0.75, HOW, certain=False)
        mail = EMAIL.search(rest)
        if mail:
            reading.put("supervisor_email", mail.group(0), 0.8, HOW)
        return {s}
    return set()


def _read_contact(sentences: list[str], signature: list[str], reading: FormReading) -> set[str]:
    """Phone, email and address from the sentences that give them, then from the signature."""
    used = set()
    for s in sentences:
        # A sentence that gives a number, an address or an email address is contact details, not an answer.
        if CONTACT.search(s) or ADDRESS.search(s) or EMAIL.search(s) or phone(EMAIL.sub(" ", s)):
            _contact_values(s, reading)
            used.add(s)
    for line in signature:
        if not ORGANISATION_NUMBER.search(line):
            _contact_values(line, reading, 0.75)
    return used


def _contact_values(text: str, reading: FormReading, confidence: float = 0.8) -> None:
    address = ADDRESS.search(text)
    if address:
        place = split_address(address.group("address"))
        for key, value in (place.items() if place else [("address", address.group("address"))]):
            reading.put(key, value, confidence, HOW, place.certain if place else True)
    number = phone(EMAIL.sub(" ", text)) if re.search(r"\d{3}", text) else None
    if number:
        reading.put("phone", number, confidence, HOW)
    for found in EMAIL.findall(text):
        if found.lower() != form.PROGRAM_INBOX:
            reading.put("email", found, confidence, HOW)
            break


def _signed_name(signature: list[str]) -> str | None:
    for line in signature[:3]:
        words = line.split()
        if (1 < len(words) <= 5 and not re.search(r"[\d@:]", line) and not LIBRARY_NOUN.search(line)
                and all(w[:1].isupper() or w.lower() in ("de", "van", "der", "von", "la", "le") for w in words)):
            return line
    return None


def _named_in(sentences: list[str]) -> str | None:
    for s in sentences:
        m = re.search(r"\bmy name is ([A-Z][\w'\u2019-]+(?: [A-Z][\w'\u2019.-]+){1,3})", s)
        if m:
            return m.group(1)
    return None
