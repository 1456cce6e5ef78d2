"""What people call the form's blanks when they write the labels themselves.

The form's own labels and the aliases in `inbox_worker.form` are matched
exactly (`labels.py`). People also reword and abbreviate: "Daytime phone",
"Lib. name", "Mailing addr", "Supv. email", "Workplace". `label_key` reads
such a short phrase by the words that carry its meaning (the head nouns:
phone, mail, zip, street, library, supervisor...) and the words that qualify
them, and names the record key it asks for; anything longer than a label,
or that names no blank, is None.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from inbox_worker.extract.labels import CATEGORIES, PLACE, SUPPORT, key_for, label_table
from inbox_worker.extract.normalize import fold_key

# Words that say nothing about which blank is meant.
FILLER = {"your", "my", "the", "a", "an", "please", "enter", "list", "current", "currently", "best", "preferred",
          "primary", "daytime", "day", "work", "home", "personal", "contact", "mailing", "full", "of", "and", "or",
          "here", "to", "reach", "you", "me", "at", "applicant", "applicants", "s", "official", "office", "direct",
          "immediate", "i", "am", "is", "no", "nr"}
# Abbreviations, as words: "Lib." is library, "Addr" address, "Supv" supervisor.
SHORT = {"lib": "library", "libr": "library", "addr": "address", "add": "address", "supv": "supervisor",
         "supvr": "supervisor", "sup": "supervisor", "super": "supervisor", "tel": "phone", "telephone": "phone",
         "ph": "phone", "phn": "phone", "cell": "phone", "mobile": "phone", "cellphone": "phone", "fone": "phone",
         "e": "email", "mail": "email", "emailaddress": "email", "zipcode": "zip", "postal": "zip", "postcode": "zip",
         "pos": "position", "posn": "position", "org": "organization", "organisation": "organization",
         "st": "state", "phone#": "phone", "yrs": "years", "expertise": "strengths", "mentee": "protege"}
PHONE = {"phone", "number", "#"}
LIBRARY = {"library", "employer", "institution", "organization", "workplace", "agency", "system", "branch",
           "school", "college", "university", "company"}
POSITION = {"position", "title", "job", "role", "occupation"}
SUPPORT_WORDS = {"support", "approval", "approved", "permission", "consent", "ok", "okay", "secured", "agrees",
                 "agreed", "signoff", "aware", "supports", "approve"}
GOAL_WORDS = {"goals", "goal", "topics", "problems", "hope", "hoping", "learn", "gain", "objectives", "interests"}
STRENGTH_WORDS = {"strengths", "strength", "experience", "expertise", "skills", "background", "qualifications"}


def words(phrase: str) -> list[str]:
    """The meaningful words of a label phrase, abbreviations spelled out, filler dropped."""
    folded = fold_key(phrase.replace("e-mail", "email").replace("E-mail", "email").replace("E-Mail", "email"))
    out = []
    for word in folded.split():
        word = SHORT.get(word, _respelled(word))
        if word not in FILLER:
            out.append(word)
    return out


# Head nouns a typed label is often misspelt in ("Adress", "Librray", "Positon", "Strenghts").
HEADS = ("address", "library", "position", "strengths", "supervisor", "phone", "email", "goals", "mentors",
         "proteges", "categories", "category", "applying", "street", "number", "title")
_KNOWN = FILLER | set(SHORT) | set(SHORT.values()) | PHONE | LIBRARY | POSITION | SUPPORT_WORDS | GOAL_WORDS \
    | STRENGTH_WORDS | set(HEADS)


@lru_cache(maxsize=1)
def _label_words() -> frozenset[str]:
    return frozenset(w for name in label_table()[1] for w in name.split())


@lru_cache(maxsize=4096)
def _respelled(word: str) -> str:
    """A misspelt head noun as the word meant: one or two letters swapped, doubled or dropped."""
    if len(word) < 5 or word in _KNOWN or word in _label_words():
        return word
    # A plural or singular is another word, not a slip: "mentor" is no "Mentors" heading.
    same_start = [h for h in HEADS if h[0] == word[0] and word not in (h + "s", h[:-1], h + "es")]
    swapped = [h for h in same_start if sorted(h) == sorted(word)]  # two letters transposed: "Emial"
    close = swapped or difflib.get_close_matches(word, same_start, n=1, cutoff=0.85)
    return close[0] if close and abs(len(close[0]) - len(word)) <= 2 else word


@lru_cache(maxsize=4096)
def label_key(phrase: str) -> str | None:
    """The record key a short label phrase names, or None when it is no label.

    Exact labels and aliases first; then the phrase's head words. The
    phrase must be short (a label, not a sentence) and every word must be
    accounted for, so "I have worked with the public" names nothing.
    """
    phrase = phrase.strip().strip(":.-*#\u2013").strip()
    if not phrase or len(phrase) > 48 or re.search(r"[@\d:\t\uff1a]", phrase.replace("#", "")):
        return None
    exact = key_for(" ".join(fold_key(phrase).split()))
    if exact:
        return exact
    found = words(phrase)
    if not found or len(found) > 4:
        return None
    return _by_words(set(found), found)


def _by_words(have: set[str], ordered: list[str]) -> str | None:
    if "supervisor" in have or "boss" in have or ("director" in have and len(have) <= 3):
        rest = have - {"supervisor", "boss", "director", "s"}
        if "email" in rest:
            return "supervisor_email"
        if rest & SUPPORT_WORDS:
            return SUPPORT
        if rest <= {"name", "title", "position", "job", "role"} and ("supervisor" in have or "boss" in have):
            return "supervisor_name"
        return None
    if "email" in have and have <= {"email", "address", "addr"}:
        return "email"
    if (have & {"phone"} or have == {"number"}) and have <= PHONE:
        return "phone"
    if have == {"#"}:
        return None
    if "zip" in have and have <= {"zip", "code", "+4", "4"}:
        return "zip"
    if "city" in have or "town" in have:
        rest = have - {"city", "town"}
        if rest & {"state", "zip"}:
            return PLACE
        return "city" if not rest else None
    if "address" in have or "street" in have:
        if have & {"city", "state", "zip"}:
            return None
        return "address" if have <= {"address", "street", "line", "1"} else None
    if "type" in have or "kind" in have:
        return "library_type" if have <= {"type", "kind", "library"} else None
    if have & {"goals", "goal", "objectives"} and have <= GOAL_WORDS | {"protege", "program", "what", "want"}:
        return "goals"
    if have & STRENGTH_WORDS and have <= STRENGTH_WORDS | {"mentor", "years", "why", "good"} and len(have) <= 3:
        return "strengths"
    if have & LIBRARY:
        if have & POSITION:
            return "position" if ordered[0] in POSITION and have <= POSITION | LIBRARY | {"name"} else None
        return "library_name" if have <= LIBRARY | {"name"} else None
    if have & POSITION:
        if have & {"applying", "apply", "program"}:
            return "role"
        return "position" if have <= POSITION else None
    if have & {"applying", "apply"} and have <= {"applying", "apply", "as", "for", "be", "program"}:
        return "role"
    if have & {"categories", "category"} and have <= {"categories", "category", "protege", "mentor", "check", "all",
                                                      "that", "apply", "which"}:
        return CATEGORIES
    if have & {"mentors", "proteges"} and have <= {"mentors", "proteges", "categories", "check", "all", "that",
                                                   "apply"}:
        return "mentor_categories" if "mentors" in have else "protege_categories"
    if have <= {"name", "names"} or have == {"applicant"}:
        return "name"
    return None
