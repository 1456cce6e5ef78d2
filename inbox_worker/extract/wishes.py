"""What an applicant says in their own sentences instead of ticking the form.

A letter, or a blank answered in words ("Position you are applying for: I'd
like a mentor"), names the role by what the writer wants: to mentor, or to
be mentored, to have a mentor, to join as a mentee or protégé. A letter
also states, as a coordinator reads it, the kind of library the writer
works at ("I work at a small rural public library"), the program's
categories ("I'm new to Wyoming", "I was recently promoted", "I have my
MLS") and where its answer to the goals question starts ("My goals for this
year are...", "What I hope to get out of mentoring is...").
"""

from __future__ import annotations

import re

from inbox_worker.extract.normalize import library_type

# The mentor's role: being, becoming or serving as a mentor, or mentoring someone.
MENTOR = re.compile(
    r"\b(?:be|being|become|becoming|serve|serving|volunteer|volunteering|apply|applying|application|sign up|"
    r"join|take part|participate|participating|as)\s+(?:(?:as|to be|either|both|also|one|a|an)\s+){0,3}mentors?\b"
    r"|\bto mentor\b|\bmentor (?:a|someone|others|another|new|newer)\b", re.I)
# The protégé's: the word itself (protégée, mentee), being mentored, or wanting, finding or being matched
# with a mentor.
PROTEGE = re.compile(
    r"\b(?:prot[eé]g[eé]e?s?|mentees?)\b|\b(?:to be|being|get|getting) mentored\b"
    r"|\b(?:paired|matched|partnered|connected) (?:up )?with (?:a|an|my own|an experienced) mentor\b"
    r"|\b(?:find|get|have|would like|(?:'|\u2019)d like|want|need|hope for|looking for|seeking|request|"
    r"requesting) (?:me )?(?:a|an) (?:\w+ )?mentor\b", re.I)


# Boxes, brackets or a lone X: options offered and marked, not words.
MARKED_OPTIONS = re.compile(r"[\[\]()\u2610-\u2612\u2713\u2714\u25a0\u25a1]|\bX\b")


def roles_in(sentence: str) -> set[str]:
    """The roles a sentence names: both when it offers either ("a mentor or a protégé")."""
    found = set()
    if PROTEGE.search(sentence):
        found.add("protege")
    if MENTOR.search(PROTEGE.sub(" ", sentence)):
        found.add("mentor")
    return found


def wished_role(answer: str) -> str | None:
    """The one role a worded answer asks for ("I'd like a mentor" is the protégé's), else None."""
    if len(answer.split()) < 3 or MARKED_OPTIONS.search(answer):
        return None  # "[x] Protégé [ ] Mentor" is a choice of options, read as one
    roles = roles_in(answer)
    return roles.pop() if len(roles) == 1 else None


# ---------------------------------------------------------------- what a letter states

# Where the writer works, described rather than named: "at a small rural public library",
# "our school library", "a K-12 school", "a community college library". Lower case: a library's own
# name ("Laramie County Library") is its name, not a statement of its kind.
WORKPLACE = re.compile(
    r"(?:\bI(?i:'m|\u2019m| am| work| currently work| serve|'ve been|\u2019ve been| have been)\b"
    r"[^.;]*?\b(?i:at|in|of|for|with)|\b(?i:our|my))"
    r"\s+(?:(?i:a|an|the)\s+)?(?P<kind>(?:[a-z][a-z-]*\s+|K-12\s+){0,4}?)"
    r"(?P<noun>library|libraries|school|college|university|hospital)\b")
KIND_WORDS = re.compile(r"\b(?:public|academic|school|special|tribal|law|medical|hospital|college|university|"
                        r"community college|k-12|elementary|high school|middle school|junior high|county|city|"
                        r"municipal|rural|corporate|museum|prison|state)\b", re.I)
# A kind only stated of the writer's own workplace, not of places they once worked.
PAST = re.compile(r"\b(?:was|were|used to|had been|before|previously|formerly)\b", re.I)

PROTEGE_STATED = (
    ("new_to_wyoming", r"\bnew to (?:wyoming|the state)\b|\bmoved (?:here|to wyoming)\b|\brelocated to wyoming\b"),
    ("new_to_library", r"\bnew to (?:working (?:at|in) (?:a |the )?librar(?:y|ies)|library work|libraries)\b|"
                       r"\bfirst library job\b"),
    ("new_supervisor", r"\bnew (?:library )?supervisor\b|\b(?:just|recently|newly) (?:became|become|been made|"
                       r"started as) (?:a |the )?(?:supervisor|branch manager|department head)\b|"
                       r"\bnew (?:branch manager|department head)\b"),
    ("new_mls", r"\b(?:finished|earned|completed|received|got|just got|graduated with) my (?:MLS|MLIS|master'?s)\b|"
                r"\bnew MLS\b|\brecent (?:MLS|MLIS) graduate\b"),
    ("newly_promoted", r"\b(?:recently|newly|just) promoted\b|\bwas promoted\b"),
    ("emerging_leader", r"\bemerging (?:library )?leader\b"),
    ("new_director", r"\bnew (?:library )?director\b|\b(?:became|become|was named|was hired as|started as) "
                     r"(?:the )?(?:library )?director\b"),
)
MENTOR_STATED = (
    ("mls_librarian", r"\b(?:have|hold|earned|with) (?:an? |my )?(?:MLS|MLIS)\b|\bMLS librarian\b"),
    ("library_director", r"\b(?:I am|I'm|I\u2019m|I've been|I\u2019ve been|have been|as)\s+(?:a |the )?"
                         r"(?:library )?director\b"),
    ("library_supervisor", r"\b(?:I am|I'm|I\u2019m|I've been|I\u2019ve been|I have been|as)\s+(?:a |the )?"
                           r"library supervisor\b"),
    ("experienced_staff", r"\bexperienced library staff\b"),
)
# The words that open a letter's answer to the goals question.
GOALS_LEAD_IN = re.compile(
    r"^(?:my (?:\w+ )?goals?\b|(?:what|the things?) I (?:hope|would like|'d like|\u2019d like|want) to "
    r"(?:get|gain|learn|take away)|I(?:'m| am) (?:most )?interested in (?:help|getting help|learning|guidance)|"
    r"I (?:would|'d|\u2019d) like (?:help|guidance|to learn)|I hope to (?:learn|gain|get)|"
    r"(?:some )?topics I|areas I)", re.I)


def stated_library_type(sentences: list[str]) -> str | None:
    """The kind of library a letter says the writer works at, when one sentence of theirs describes it."""
    for s in sentences:
        for m in WORKPLACE.finditer(s):
            if PAST.search(m.group(0)):
                continue
            phrase = f"{m.group('kind')}{m.group('noun')}"
            if KIND_WORDS.search(phrase) and phrase.strip().lower() not in ("library", "libraries"):
                kind = library_type(phrase)
                if kind and kind != "other":
                    return kind
    return None


def stated_categories(sentences: list[str], role: str | None) -> list[str]:
    """The categories of the writer's role that their sentences state of themselves."""
    table = {"protege": PROTEGE_STATED, "mentor": MENTOR_STATED}.get(role or "")
    if not table:
        return []
    found = []
    for key, pattern in table:
        if any(re.search(pattern, s, re.I) and not s.rstrip().endswith("?") for s in sentences):
            found.append(key)
    return found


def goals_start(sentences: list[str]) -> int | None:
    """Where a letter's answer to the goals question starts, when a sentence opens it in so many words."""
    for n, s in enumerate(sentences):
        if GOALS_LEAD_IN.search(s):
            return n
    return None
