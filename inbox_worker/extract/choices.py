"""Which boxes were ticked: marks beside options, and the supervisor's "Yes".

People mark a box by typing X or ✓ beside or over the bullet, by putting
☒/☑/■ in its place, by writing [x] or (X), by bolding the option, or by
deleting the options they did not want. An untouched list (every option with
the same bullet) is no choice at all. These rules look only at the marks
around each option's words, never at what the words are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from inbox_worker import form
from inbox_worker.extract.labels import fold_chars, pattern_for
from inbox_worker.extract.normalize import bool_yes, fold_key


@dataclass(frozen=True)
class OptionPattern:
    choice: str
    key: str
    regex: re.Pattern[str]
    length: int
    bracketed: bool = False


@lru_cache(maxsize=1)
def option_patterns() -> tuple[OptionPattern, ...]:
    """Every option's words (full label, its short form before a comma or bracket, aliases)."""
    out: list[OptionPattern] = []
    for choice in form.CHOICES:
        for opt in choice.options:
            phrases = {opt.label, *opt.aliases, opt.key.replace("_", " ")}
            for cut in ("(", ","):
                if cut in opt.label:
                    phrases.add(opt.label.split(cut)[0])
            for phrase in phrases:
                folded = fold_key(phrase)
                if not folded:
                    continue
                out.append(
                    OptionPattern(
                        choice.key,
                        opt.key,
                        re.compile(r"(?<![a-z0-9])" + pattern_for(phrase) + r"s?(?![a-z0-9])"),
                        len(folded),
                        "(" in opt.label and "(" not in phrase,
                    )
                )
    out.sort(key=lambda p: p.length, reverse=True)
    return tuple(out)


@dataclass(frozen=True)
class OptionHit:
    choice: str
    key: str
    start: int
    end: int


def find_options(text: str, choices: tuple[str, ...] | None = None) -> list[OptionHit]:
    """Non-overlapping option mentions in `text`, longest first, in order of position."""
    if len(text) > CACHED_LINE_CHARS:
        return _find_options(text, choices)
    # Most lines of a form are its printed labels and options, the same in every application.
    return list(_find_options_cached(text, choices))


# Lines up to this long have their option mentions remembered (LINE_CACHE_SIZE of them).
CACHED_LINE_CHARS = 300
LINE_CACHE_SIZE = 8192


@lru_cache(maxsize=LINE_CACHE_SIZE)
def _find_options_cached(text: str, choices: tuple[str, ...] | None) -> tuple[OptionHit, ...]:
    return tuple(_find_options(text, choices))


def _find_options(text: str, choices: tuple[str, ...] | None) -> list[OptionHit]:
    folded = fold_chars(text)
    taken = [False] * len(folded)
    hits: list[OptionHit] = []
    for pat in option_patterns():
        if choices is not None and pat.choice not in choices:
            continue
        for m in pat.regex.finditer(folded):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            # The label's own closing punctuation ("etc.)") belongs to it, not to a mark after it.
            end = m.end() + len(re.match(r"[.)\]]*", text[m.end() :]).group(0))
            if pat.bracketed:
                # The short form matched: the printed bracket after it is still the label's.
                bracket = re.match(r"\s*\([^)]{0,80}\)", text[end:])
                if bracket:
                    end += bracket.end()
            hits.append(OptionHit(pat.choice, pat.key, m.start(), end))
    hits.sort(key=lambda h: h.start)
    return hits


# Marks that tick a box wherever they stand.
CLEAR = set("xX\u00d7\u2713\u2714\u2715\u2716\u2717\u2718\u2612\u2611\u221a\U0001f5f9\U0001f5f8\u2705")
# A filled shape in place of the bullet: ticked when the others are hollow.
FILLED = set("\u25a0\u25cf\u25fc\u25aa\u25c9\u29bf\u2605\u2666\u25b6\u25ba\u27a2\u2726\u25c6\u2b1b\u2b24")
# An empty box: explicitly not ticked.
BOX = set("\u2610\u25a1\u25fb\u2b1c\u274f\u2751\u25a2")
# A neutral list bullet, as printed on the form.
BULLETS = set(
    "\u00b7\u2022\u25cb\u25e6\u25ef\u2043\u2219\u25aa-\u2013\u2014oO>\u00bb\u2023\uf0b7\uf0a7\uf0d8"
)


@dataclass(frozen=True)
class Entry:
    """One option mentioned in a list, with the marks around it."""

    choice: str
    key: str
    prefix: str
    mark: str  # "clear", "filled", "box", "bullet", "none" or "other"
    suffix_mark: str
    emphasis: bool
    line: int
    # The mark stood on a line of its own and was joined to this option's line.
    joined: bool = False

    @property
    def clear_mark(self) -> bool:
        return self.mark == "clear" or self.suffix_mark == "clear"


def mark_of(text: str) -> str:
    """What kind of mark the text beside an option is."""
    t = text.strip(" \t:;,.|")
    if not t:
        return "none"
    if fold_key(t) in ("yes", "y", "x", "xx", "selected", "checked", "chosen"):
        return "clear"
    bracketed = bool(re.search(r"[\[\(\{<]", t))
    inner = set(t) - set(" []()<>{}\t")
    if not inner:
        return "box" if bracketed else "none"
    if inner == {"*"}:
        return "clear" if bracketed else "bullet"
    if inner & CLEAR and inner <= CLEAR | BULLETS | BOX | FILLED | {"*"}:
        return "clear"
    if inner <= FILLED:
        return "filled"
    if inner <= BOX:
        return "box"
    if inner <= BULLETS:
        return "bullet"
    return "other"


def option_entries(texts: list[str], choices: tuple[str, ...], emphasis: list[bool]) -> list[Entry]:
    """Every option mentioned in the lines, with the marks before and after it."""
    out: list[Entry] = []
    texts, emphasis, joined = _marks_joined(texts, emphasis)
    for n, text in enumerate(texts):
        if not text:
            continue
        hits = find_options(text, choices)
        if not hits:
            continue
        # On a line of several options ("☐ Protégé ☒ Mentor") a mark belongs to the option after
        # it, unless the line starts with an option, in which case marks follow their options.
        marks_follow = hits[0].start == 0 or not text[: hits[0].start].strip()
        for k, hit in enumerate(hits):
            before = text[hits[k - 1].end if k else 0 : hit.start]
            after = text[hit.end : hits[k + 1].start if k + 1 < len(hits) else len(text)]
            if len(hits) > 1 and not marks_follow and k + 1 < len(hits):
                after = ""
            if len(hits) > 1 and marks_follow and k:
                before = ""
            out.append(
                Entry(
                    hit.choice,
                    hit.key,
                    before.strip(),
                    mark_of(before),
                    mark_of(_first_token(after)),
                    emphasis[n] if n < len(emphasis) else False,
                    n,
                    n in joined,
                )
            )
    return out


def _marks_joined(texts: list[str], emphasis: list[bool]) -> tuple[list[str], list[bool], set[int]]:
    """A mark alone on its line (a scanned or printed PDF's text) joined to the option on the next line."""
    out, emph = list(texts), list(emphasis) + [False] * (len(texts) - len(emphasis))
    joined: set[int] = set()
    for n in range(len(out) - 1):
        mark = (out[n] or "").strip()
        if (
            mark
            and len(mark) <= 6
            and mark_of(mark) in ("clear", "box", "filled")
            and out[n + 1]
            and mark_of(out[n + 1][:1]) == "other"
        ):
            out[n + 1] = mark + " " + out[n + 1].strip()
            out[n] = ""
            joined.add(n + 1)
    return out, emph, joined


# An arrow pointing back at an option ("Mentor  <-- X", "Mentor <==") marks it.
ARROW = r"(?:<-+|<=+|\u2190|\u27f5|<<)"


def _first_token(text: str) -> str:
    """The mark right after an option's words: "X", "[x]", "- ✓", "<-- X"; not a following sentence."""
    if re.fullmatch(r"\s*" + ARROW + r"\s*(?:\S{1,3}|this one|here)?\s*", text, re.I):
        return "X"
    # The mark may end at the separator before the next option: "New to Wyoming - yes; New MLS ... - yes".
    m = re.match(r"\s*[-:=\u2013]?\s*(\[[^\]]{0,3}\]|\([^)]{0,3}\)|[^\s;,]{1,3})\s*[;,]?\s*$", text)
    return m.group(1) if m else ("" if not text.strip() else "?")


def decide_marks(entries: list[Entry], free: bool, total: int | None = None) -> list[str]:
    """The option keys the marks say were chosen, in the order written."""
    if not entries:
        return []
    ticked = [e for e in entries if e.clear_mark]
    if ticked:
        return _unique(e.key for e in ticked)
    filled = [e for e in entries if e.mark == "filled"]
    hollow = [e for e in entries if e.mark in ("box", "bullet")]
    if filled and hollow:
        return _unique(e.key for e in filled)
    if free:
        # "Categories: Emerging leader; Newly promoted" - written words are the choice, unless boxed empty.
        return _unique(e.key for e in entries if e.mark not in ("box",))
    emphasised = [e for e in entries if e.emphasis]
    if emphasised and len(emphasised) < len(entries):
        return _unique(e.key for e in emphasised)
    keys = _unique(e.key for e in entries)
    if total and len(keys) < total and all(e.mark in ("none", "bullet", "filled") for e in entries):
        # The options not wanted were deleted: what is left is the choice.
        return keys
    return []


def _unique(keys) -> list[str]:
    out: list[str] = []
    for k in keys:
        if k not in out:
            out.append(k)
    return out


YES_LINE = re.compile(
    r"^(?P<pre>(?:\[[^\]]{0,3}\]|\([^)]{0,3}\)|[xX](?=\s)|[^A-Za-z0-9\s]{1,3}|\s){0,6})"
    r"(?P<word>yes|no)\b\s*(?P<colon>[:\-=]?)\s*(?P<rest>.*)$",
    re.I,
)


def support_answer(text: str, require_word: bool = False) -> bool | None:
    """True when the answer to the supervisor question marks Yes; None for a blank, a No or doubt."""
    text = (text or "").strip()
    if not text:
        return None
    m = YES_LINE.match(text)
    if m is None:
        return None if require_word else bool_yes(text)
    if m.group("word").lower() == "no":
        return None
    pre = mark_of(m.group("pre"))
    if pre == "box":
        return None
    rest = m.group("rest").strip()
    if pre == "clear":
        return True
    if not rest.strip(" _"):
        # "Yes" typed alone is an answer; "Yes:" or "Yes: ___" is the blank left as printed.
        return None if m.group("colon") or "_" in rest else True
    answer = mark_of(_first_token(rest))
    if answer == "clear":
        return True
    if answer == "box":
        return None
    if fold_key(rest)[:2] in ("no", "na", "n "):
        return None
    if not require_word and m.group("colon") in ("-", "") and re.match(r"[,;.]?\s*[A-Za-z]", rest):
        # "Yes - she supports this", "Yes, my director approved": the word is the answer, the rest a remark.
        return True
    return bool_yes(rest if not require_word else "yes " + rest)
