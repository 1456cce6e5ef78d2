"""Read named form fields (fillable PDF fields, Word content controls, web form inputs).

Whoever made the fillable copy of the form chose the field names: "Name",
"Applicant Name", "txtPhone", "LibraryType", "MLSLibrarian", "Text1" with a
tooltip. Each name (and tooltip) is split into words and compared with the
form's labels, aliases, option labels and record keys from
`inbox_worker.form`; a name that matches nothing well is ignored.
"""

from __future__ import annotations

import itertools
import re

from inbox_worker import form
from inbox_worker.extract.choices import decide_marks, option_entries, support_answer
from inbox_worker.extract.labels import CATEGORIES, SUPPORT, label_table
from inbox_worker.extract.normalize import fold_key
from inbox_worker.extract.reading import FormReading

# Prefixes form designers put before a field's meaning ("txtName", "chkMentor", "fld_Zip").
NOISE = {
    "txt",
    "tb",
    "fld",
    "field",
    "chk",
    "cb",
    "cbx",
    "check",
    "checkbox",
    "box",
    "ctl",
    "ctrl",
    "text",
    "input",
    "topmostsubform",
    "page",
    "opt",
    "rb",
    "radio",
    "dd",
    "cmb",
    "sel",
    "form",
    "frm",
    "edt",
    "str",
    "f",
    "q",
    "question",
    "answer",
    "value",
    "the",
    "your",
    "applicant s",
    "tick",
    "btn",
    "group",
    "choice",
    "lst",
    "list",
    "area",
    "textarea",
    "textfield",
    "line",
    "c",
    "r",
    "cat",
    "pcat",
    "mcat",
}
# Field words that mean "the supervisor question's Yes box".
SUPPORT_WORDS = (
    {"yes"},
    {"supervisor", "support"},
    {"supervisor", "approval"},
    {"supervisor", "permission"},
    {"supervisor", "yes"},
    {"secured", "support"},
    {"support", "yes"},
    {"sup", "yes"},
    {"supervisor", "approved"},
    {"supervisor", "consent"},
)


def words_of(name: str) -> list[str]:
    """A field name as plain lower-case words: "txtSupervisorEmail[0]" -> ["supervisor", "email"]."""
    # "topmostSubform[0].Page1[0].Name[0]": the last step of a PDF's dotted path; "pcat=new_mls": the value.
    if "." in name and " " not in name and "@" not in name:
        name = name.split(".")[-1] or name
    if "=" in name:
        name = name.split("=")[-1]
    name = re.sub(r"\[\d+\]", " ", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    name = re.sub(r"\d+", " ", name)
    words = fold_key(name.replace("_", " ").replace("#", " ")).split()
    while words and words[0] in NOISE:
        words = words[1:]
    while words and words[-1] in NOISE:
        words = words[:-1]
    return words


def _joined(words: list[str]) -> set[str]:
    """The words and their pairs run together, so "E-mail" and "email", "zip code" and "zipcode" meet."""
    out = set(words)
    out.update(a + b for a, b in itertools.pairwise(words))
    return out


def text_target(words: list[str]) -> tuple[str, float] | None:
    """The record key a text field's name means, and how sure: exact label or best covering alias."""
    if not words:
        return None
    names = label_table()[1]
    phrase = " ".join(words)
    if phrase in names:
        return names[phrase], 0.95
    have = _joined(words)
    best: tuple[int, int, str] | None = None
    for alias, key in names.items():
        parts = alias.replace("#", "").split()
        if not parts or len(parts) > len(words) + 1:
            continue
        joined = "".join(parts)
        if all(p in have for p in parts) or joined in have:
            covered = len(parts) if all(p in have for p in parts) else len(words)
            first = 1 if parts[0] == words[0] or joined.startswith(words[0]) else 0
            rank = (covered, first, key)
            if best is None or rank[:2] > best[:2]:
                best = rank
    if best is None:
        return None
    covered = best[0]
    if covered * 2 < len(words):
        return None
    return best[2], 0.85 if best[1] else 0.75


def option_target(words: list[str]) -> tuple[str, str, float] | None:
    """(choice, option key, confidence) for a checkbox's name, or ("support", "", c) for the Yes box."""
    if not words:
        return None
    have = set(words)
    for need in SUPPORT_WORDS:
        if have == need or (need <= have and "supervisor" in have and len(have) <= 3):
            return SUPPORT, "", 0.9
    phrase = " ".join(words)
    compact = phrase.replace(" ", "")
    best: tuple[int, str, str] | None = None
    for choice in form.CHOICES:
        for opt in choice.options:
            for candidate in (opt.label, *opt.aliases, opt.key.replace("_", " ")):
                folded = fold_key(candidate)
                if folded in (phrase,) or folded.replace(" ", "") == compact:
                    return choice.key, opt.key, 0.95
                short = fold_key(re.split(r"[(,]", candidate)[0])
                if short and (short == phrase or short.replace(" ", "") == compact):
                    rank = (len(short), choice.key, opt.key)
                    if best is None or rank[0] > best[0]:
                        best = rank
    if best is not None:
        return best[1], best[2], 0.9
    return None


def read_fields(fields: dict[str, str | bool], source: str) -> FormReading:
    """The record's fields from a document's named form fields."""
    reading = FormReading(source)
    boxes: dict[str, dict[str, bool]] = {"role": {}, "protege_categories": {}, "mentor_categories": {}}
    for name, value in list(fields.items())[:2000]:
        words = words_of(str(name))
        if isinstance(value, bool):
            target = option_target(words)
            if target is None:
                continue
            reading.evidence += 1
            choice, key, conf = target
            if choice == SUPPORT:
                if value:
                    reading.put(SUPPORT, True, conf)
                continue
            boxes[choice][key] = boxes[choice].get(key, False) or value
            continue
        text = str(value or "").strip()
        _read_text_field(words, text, reading)
    _put_boxes(boxes, reading)
    return reading


def _read_text_field(words: list[str], text: str, reading: FormReading) -> None:
    target = text_target(words)
    if target is None:
        # A radio group or drop-down that names an option: "Role" = "Mentor", "Group1" = "/Mentor".
        if text and option_target(words_of(text)) is not None and words and words[0] in ("role", "applying"):
            target = ("role", 0.85)
        else:
            return
    key, conf = target
    reading.evidence += 1
    if not text:
        reading.blank.add(key)
        return
    text = text.lstrip("/")
    # A radio group called "Position" answers "Position you are applying for".
    if key == "position" and fold_key(text) in ("mentor", "protege", "mentee"):
        key = "role"
    if key == SUPPORT:
        reading.put(SUPPORT, support_answer(text), conf)
    elif key == "role":
        chosen = decide_marks(option_entries([text], ("role",), [False]), free=True)
        if len(chosen) == 1:
            reading.put("role", chosen[0], conf)
    elif key in ("protege_categories", "mentor_categories", CATEGORIES):
        kinds = ("protege_categories", "mentor_categories") if key == CATEGORIES else (key,)
        chosen = decide_marks(option_entries([text], kinds, [False]), free=True)
        for choice in ("protege_categories", "mentor_categories"):
            picked = [
                k for k in chosen if k in {o.key for c in form.CHOICES if c.key == choice for o in c.options}
            ]
            if picked:
                reading.put(choice, picked, conf)
    else:
        reading.put(key, text, conf)


def _put_boxes(boxes: dict[str, dict[str, bool]], reading: FormReading) -> None:
    roles = [k for k, on in boxes["role"].items() if on]
    if len(roles) == 1:
        reading.put("role", roles[0], 0.95)
    for choice in ("protege_categories", "mentor_categories"):
        if boxes[choice] and choice not in reading.readings:
            picked = [k for k, on in boxes[choice].items() if on]
            if picked:
                reading.put(choice, picked, 0.95)
