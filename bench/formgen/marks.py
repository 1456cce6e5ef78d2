"""How people mark a box: the lines of one list of options, and the supervisor's "Yes".

Each style is one way a person marks a choice in an editor: an X typed
before, over or after the bullet, a box character, brackets, a tick,
deleting the options not wanted, bold, highlight, striking the others out.
"""
from __future__ import annotations

import random

from formgen.blocks import Gap, Text

PLAIN_STYLES = ["x_before", "x_over", "x_after", "ballot", "ballot_check", "square", "brackets", "parens", "tick",
                "heavy_tick", "deleted", "x_dash_after", "x_before_dotless", "yes_after", "arrow_after",
                "bracket_tick", "paren_after", "root_tick", "double_x"]
RICH_STYLES = ["bold", "highlight", "struck"]
BULLETS = ["·", "•", "-", "o", "", "◦", ""]


def option_lines(options: list[tuple[str, str]], chosen: set[str], style: str, rng: random.Random,
                 gaps: int = 0) -> list[Text | Gap]:
    """The option lines of one list, marked in `style`; `gaps` blank lines between options."""
    bullet = rng.choice(BULLETS) if style not in ("x_over", "x_before_dotless") else rng.choice(["·", "•"])
    case = rng.choice(["X", "x", "X"])
    out: list[Text | Gap] = []
    for key, label in options:
        on = key in chosen
        b = f"{bullet} " if bullet else ""
        if style == "x_before":
            line = Text(f"{case} {b}{label}" if on else f"{'  ' if rng.random() < 0.5 else ''}{b}{label}")
        elif style == "x_before_dotless":
            line = Text(f"{case} {label}" if on else f"  {label}" if rng.random() < 0.5 else label)
        elif style == "x_over":
            line = Text(f"{case} {label}" if on else f"{bullet} {label}")
        elif style == "x_after":
            line = Text(f"{b}{label} {case}" if on else f"{b}{label}")
        elif style == "x_dash_after":
            line = Text(f"{b}{label} - {case}" if on else f"{b}{label}")
        elif style == "yes_after":
            line = Text(f"{b}{label}: yes" if on else f"{b}{label}:")
        elif style == "ballot":
            line = Text(f"{'☒' if on else '☐'} {label}")
        elif style == "ballot_check":
            line = Text(f"{'☑' if on else '☐'} {label}")
        elif style == "square":
            line = Text(f"{'■' if on else rng.choice(['□', '·'])} {label}")
        elif style == "brackets":
            line = Text(f"[{case}] {label}" if on else f"[ ] {label}")
        elif style == "parens":
            line = Text(f"({case}) {label}" if on else f"( ) {label}")
        elif style == "tick":
            line = Text(f"✓ {label}" if on else f"{bullet or '·'} {label}")
        elif style == "heavy_tick":
            line = Text(f"{b}{label} ✔" if on else f"{b}{label}")
        elif style == "arrow_after":
            line = Text(f"{b}{label}  <-- {case}" if on else f"{b}{label}")
        elif style == "bracket_tick":
            line = Text(f"[✓] {label}" if on else f"[  ] {label}")
        elif style == "paren_after":
            line = Text(f"{b}{label} ({case})" if on else f"{b}{label} ( )")
        elif style == "root_tick":
            line = Text(f"√ {label}" if on else f"{bullet or '·'} {label}")
        elif style == "double_x":
            line = Text(f"XX {label}" if on else f"__ {label}")
        elif style == "deleted":
            if not on:
                continue
            line = Text(f"{b}{label}")
        elif style in ("bold", "highlight"):
            line = Text(f"{b}{label}", bold=on)
        elif style == "struck":
            line = Text(f"{b}{label}", strike=not on)
        else:
            raise ValueError(style)
        out.append(line)
        if gaps:
            out.append(Gap(gaps))
    return out


def inline_options(options: list[tuple[str, str]], chosen: set[str], rng: random.Random) -> str:
    """Options written on one line, as people retype a short list: "☐ Protégé ☒ Mentor"."""
    style = rng.randrange(3)
    parts = []
    for key, label in options:
        on = key in chosen
        if style == 0:
            parts.append(f"{'☒' if on else '☐'} {label}")
        elif style == 1:
            parts.append(f"[{'X' if on else ' '}] {label}")
        else:
            parts.append(f"({'X' if on else ' '}) {label}")
    return "    ".join(parts)


def yes_line(marked: bool, rng: random.Random) -> str | None:
    """The supervisor question's "Yes: ___" line as left or filled; None when the line was deleted."""
    if marked:
        return rng.choice(["Yes: X", "Yes: x", "Yes: _X_", "Yes: ✓", "Yes: Yes", "Yes: [x]", "Yes ☒", "☒ Yes",
                           "Yes: Y", "Yes: X (my director approved)", "Yes:  X", "Yes: ✔", "X Yes:", "Yes: __x__"])
    return rng.choice(["Yes: ___", "Yes:", "Yes: ____", "Yes: N/A", "Yes: n/a - not required", None, "Yes: __",
                       "☐ Yes"])
