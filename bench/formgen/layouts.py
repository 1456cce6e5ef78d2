"""Ways people fill the form in: the printed form, "Label: value" lines, and tables.

Each function takes an applicant and a random source and returns blocks
(`blocks.py`); `rich` says whether the format can show bold and
strike-through, `tables` whether it can hold a real table.
"""
from __future__ import annotations

import random

from formgen import marks
from formgen import wording as w
from formgen.blocks import Block, FormRow, Gap, Table, Text, cell
from formgen.people import Applicant

OPTION_LISTS = [("role", w.ROLE_Q, w.ROLES), ("protege_categories", w.PROTEGE_HEAD, w.PROTEGE_OPTIONS),
                ("mentor_categories", w.MENTOR_HEAD, w.MENTOR_OPTIONS)]


def chosen(a: Applicant, key: str) -> set[str]:
    return {a.role} if key == "role" else set(a.record[key])


def answer(a: Applicant, key: str) -> list[str]:
    """The paragraphs of the free-text answer to the goals or strengths question, or none."""
    mine = "goals" if a.role == "protege" else "strengths"
    return list(a.paragraphs) if key == mine else []


def wrapped(text: str, rng: random.Random) -> str:
    """A paragraph as typed: one long line, or broken by hand or by an editor at some width."""
    if rng.random() < 0.7:
        return text
    import textwrap

    return "\n".join(textwrap.wrap(text, rng.randint(55, 90)))


# ---------------------------------------------------------------- the printed form


def printed(a: Applicant, rng: random.Random, rich: bool = False, tables: bool = False) -> list[Block]:
    """The official form with the blanks filled in: rows of values over their labels, boxes marked."""
    out: list[Block] = []
    if rng.random() < 0.9:
        out += [Text(w.TITLE, bold=rich), Gap(), Text(w.OPEN_TO), Gap()]
    if rng.random() < 0.85:
        out += [Text(w.APPLICANT_INFO), Gap()]
    labels_at = rng.choices(["below", "above", "own_lines", "interleaved", "beside"], [40, 15, 22, 13, 10])[0]
    fill = rng.choices(["under", "over", "none"], [45, 20, 35])[0]
    tabs = rng.random() < 0.25 and labels_at in ("below", "above")
    gap = rng.choices([0, 1, 2, 4], [6, 3, 1, 1])[0]
    as_table = tables and rng.random() < 0.4
    pdf_gaps = labels_at == "own_lines" and rng.random() < 0.6

    def row(spec) -> FormRow:
        values = [a.blanks.get(k) for k, _, _ in spec]
        label_gaps = [rng.choice([0, 1, 3, 6]) if pdf_gaps else 0 for _ in spec]
        return FormRow(values, [label for _, label, _ in spec], [width for _, _, width in spec], labels_at, fill,
                       tabs, gap, label_gaps, as_table)

    for spec in w.ROWS:
        out += [row(spec), Gap(rng.choice([1, 1, 2]))]
    if rng.random() < 0.9:
        note = w.SKIP_NOTE if rng.random() < 0.5 else [" ".join(w.SKIP_NOTE)]
        out += [Text(t) for t in note] + [Gap()]
    out += [Text(w.SUPERVISOR_Q)]
    yes = marks.yes_line(a.support_yes, rng)
    if yes is not None:
        out += [Text(yes)]
    out += [Gap(), Text(w.IF_YES), Gap(), row(w.SUPERVISOR_ROW), Gap()]
    style = rng.choice(marks.PLAIN_STYLES + (marks.RICH_STYLES * 2 if rich else []))
    option_gaps = rng.choices([0, 1, 2], [6, 2, 1])[0]
    for key, heading, options in OPTION_LISTS:
        if key == "role" and rng.random() < 0.12:
            out += [Text(f"{heading}  {marks.inline_options(options, chosen(a, key), rng)}"), Gap()]
            continue
        out += [Text(heading), *marks.option_lines(options, chosen(a, key), style, rng, option_gaps), Gap()]
    for key, question in (("goals", w.GOALS_Q), ("strengths", w.STRENGTHS_Q)):
        out.append(Text(question))
        paragraphs = answer(a, key)
        if paragraphs:
            for n, p in enumerate(paragraphs):
                if n:
                    out.append(Gap())
                out.append(Text(wrapped(p, rng)))
            out += [Text("_" * 86)] if rng.random() < 0.5 else []
        elif rng.random() < 0.15:
            out.append(Text(rng.choice(["N/A", "n/a", "N/A - applying as a mentor" if key == "goals" else "N/A"])))
        else:
            out += [Text("_" * 86) for _ in range(rng.choice([0, 3, 4]))]
        out.append(Gap())
    if rng.random() < 0.7:
        out += [Text(w.SUBMIT), Text(w.INBOX)]
    return out


# ---------------------------------------------------------------- "Label: value" lines


def _label(key: str, rng: random.Random) -> str:
    label = rng.choice(w.LABELS[key])
    return label.upper() if rng.random() < 0.08 else label


def _sep(rng: random.Random) -> str:
    return rng.choices([": ", ": ", " - ", ":\t", " : ", ":  ", " – ", "= "], [10, 6, 2, 2, 1, 1, 1, 1])[0]


def label_value(a: Applicant, rng: random.Random, rich: bool = False) -> list[Block]:
    """The form typed out as "Label: value" lines, in the form's order or the applicant's own."""
    b = a.blanks
    lines: list[list[Block]] = []
    sep = _sep(rng)
    next_line = rng.random() < 0.12  # every label on a line of its own, the value under it
    # Some number their lines or bullet them, as a list.
    prefix_style = rng.choices(["", "number", "dash", "bullet"], [8, 1, 1, 1])[0]
    counter = iter(range(1, 100))

    def prefix() -> str:
        if prefix_style == "number":
            return f"{next(counter)}{rng.choice(['.', ')'])} "
        return {"dash": "- ", "bullet": "• "}.get(prefix_style, "")
    blank_style = rng.choice(["omit", "empty", "na"])

    def put(key: str, value: str | None, label: str | None = None) -> None:
        label = label or _label(key, rng)
        if value is None or value == "":
            if blank_style == "omit":
                return
            value = "" if blank_style == "empty" else "N/A"
        label = prefix() + label
        head = Text(f"{label}:", bold=rich) if next_line else None
        if next_line:
            lines.append([head, Text(value)])
        elif rich and rng.random() < 0.3:
            lines.append([Text(f"{label}{sep.rstrip()} {value}".rstrip())])
        else:
            lines.append([Text(f"{label}{sep}{value}".rstrip())])

    role_word = rng.choice(w.ROLE_WORDS[a.role])
    role_line = lambda: put("role", role_word)  # noqa: E731
    role_first = rng.random() < 0.3
    if role_first:
        role_line()
    put("name", b["name"])
    pairs = rng.random() < 0.15 and not next_line
    place_line = rng.random() < 0.2 and b["city"] and b["state"] and "\n" not in (b["address"] or "")
    contact = ["phone", "email", "address"]
    if rng.random() < 0.4:
        rng.shuffle(contact)
    for key in contact:
        if key == "address":
            put("address", (b["address"] or "").replace("\n", ", ") if rng.random() < 0.5 else b["address"])
            if place_line:
                label = rng.choice(["City, State, Zip", "City/State/Zip", "City, ST ZIP", "City, State Zip"])
                put("city", f"{b['city']}, {b['state']} {b['zip'] or ''}".strip(), label)
            elif pairs:
                parts = [f"{_label(k, rng)}: {b[k]}" for k in ("city", "state", "zip") if b.get(k)]
                if parts:
                    lines.append([Text("    ".join(parts))])
            else:
                for k in ("city", "state", "zip"):
                    put(k, b[k])
        else:
            put(key, b[key])
    for key in ("library_name", "position", "library_type"):
        put(key, b[key])
    if a.support_yes:
        put("support", rng.choice(["Yes", "yes", "Yes - approved", "Yes, my director approved", "Y", "X"]))
    elif rng.random() < 0.4:
        put("support", rng.choice(["N/A", "Not required", "n/a"]))
    put("supervisor_name", b["supervisor_name"])
    put("supervisor_email", b["supervisor_email"])
    if not role_first:
        role_line()
    cats = sorted(chosen(a, "protege_categories" if a.role == "protege" else "mentor_categories"))
    if cats:
        words = [rng.choice(w.OPTION_WORDS[c]) for c in cats]
        joiner = rng.choice(["; ", "; ", ", and ", " / "]) if len(words) > 1 else ""
        if any("," in x for x in words):
            joiner = "; "
        put("categories", joiner.join(words))
    key = "goals" if a.role == "protege" else "strengths"
    label = _label(key, rng)
    paragraphs = list(a.paragraphs)
    if next_line or rng.random() < 0.4:
        block: list[Block] = [Text(f"{label}:", bold=rich)]
        for n, p in enumerate(paragraphs):
            if n:
                block.append(Gap())
            block.append(Text(wrapped(p, rng)))
        lines.append(block)
    else:
        first, *rest = paragraphs
        block = [Text(f"{label}{sep}{first}")]
        for p in rest:
            block += [Gap(), Text(p)]
        lines.append(block)
    out: list[Block] = []
    spacing = rng.choices([0, 1], [8, 2])[0] if not next_line else rng.choice([0, 1])
    for group in lines:
        out += group
        if spacing:
            out.append(Gap(spacing))
    return out


# ---------------------------------------------------------------- tables


def _mark_cell(on: bool, rng: random.Random, style: str) -> str:
    if style == "x":
        return "X" if on else ""
    if style == "box":
        return "☒" if on else "☐"
    return "Yes" if on else ""


def table_form(a: Applicant, rng: random.Random, rich: bool = False) -> list[Block]:
    """The form rebuilt as a table: label | value rows, or label and value cells in rows of their own."""
    b = a.blanks
    shape = rng.choice(["two_col", "two_col", "stacked", "four_col"])
    colon = ":" if rng.random() < 0.4 else ""
    rows: list[list[list[Text]]] = []
    fields = [k for spec in w.ROWS for k, _, _ in spec]
    labels = {k: label for spec in (*w.ROWS, w.SUPERVISOR_ROW) for k, label, _ in spec}
    printed_labels = rng.random() < 0.6

    def label_of(k: str) -> str:
        return (labels[k] if printed_labels else _label(k, rng)) + colon

    def add(label: str, value: str | None) -> None:
        value = value or ""
        if shape == "stacked":
            rows.append([cell(Text(label, bold=rich))])
            rows.append([cell(*value.split("\n")) if value else []])
        else:
            rows.append([cell(Text(label, bold=rich)), cell(*value.split("\n")) if value else []])

    four = shape == "four_col"
    if four:
        keys = [*fields, "supervisor_name", "supervisor_email"]
        for i in range(0, len(keys), 2):
            pair = keys[i:i + 2]
            row = []
            for k in pair:
                row += [cell(Text(label_of(k), bold=rich)), cell(*(b.get(k) or "").split("\n")) if b.get(k) else []]
            rows.append(row)
        shape = "two_col"
    else:
        for k in fields:
            add(label_of(k), b.get(k))
    support_style = rng.choice(["word", "yes_cell", "mark_cells"])
    if support_style == "word":
        add(w.SUPERVISOR_Q, rng.choice(["Yes", "Yes", "X"]) if a.support_yes else "")
    elif support_style == "yes_cell":
        rows.append([cell(w.SUPERVISOR_Q)] + ([[]] if shape == "two_col" else []))
        rows.append([cell("Yes:"), cell(rng.choice(["X", "x", "✓"])) if a.support_yes else []])
    else:
        rows.append([cell(w.SUPERVISOR_Q)] + ([[]] if shape == "two_col" else []))
        rows.append([cell("☒" if a.support_yes else "☐"), cell("Yes")])
    if not four and (shape == "stacked" or a.support_yes or rng.random() < 0.5):
        for k in ("supervisor_name", "supervisor_email"):
            add(label_of(k), b.get(k))
    mark_style = rng.choice(["x", "box", "yes"])
    mark_first = rng.random() < 0.5
    for key, heading, options in OPTION_LISTS:
        picked = chosen(a, key)
        if key == "role" and rng.random() < 0.5:
            add(heading, rng.choice(w.ROLE_WORDS[a.role]) if rng.random() < 0.6 else
                marks.inline_options(options, picked, rng))
            continue
        rows.append([cell(Text(heading, bold=rich))] + ([[]] if shape == "two_col" else []))
        for opt_key, label in options:
            mark = _mark_cell(opt_key in picked, rng, mark_style)
            pair = [cell(mark) if mark else [], cell(label)]
            rows.append(pair if mark_first else pair[::-1])
    for key, question in (("goals", w.GOALS_Q), ("strengths", w.STRENGTHS_Q)):
        paragraphs = answer(a, key)
        if shape == "stacked" or rng.random() < 0.5:
            rows.append([cell(question)])
            rows.append([cell(*paragraphs) if paragraphs else []])
        else:
            rows.append([cell(question), cell(*paragraphs) if paragraphs else []])
    out: list[Block] = []
    if rng.random() < 0.7:
        out += [Text(w.TITLE, bold=rich), Gap()]
    out.append(Table(rows))
    return out
