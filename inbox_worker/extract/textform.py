"""Read the application form from a Document's lines, however it was filled in.

People fill the form in many ways: values typed over the underscore rows
with the printed labels beneath (or above, or on lines of their own),
"Label: value" lines in their own order and words, tables flattened to
"Label<TAB>value" lines; boxes ticked with X, ✓, ☒, [x], bold text, or by
deleting the options they did not want. The text is first mapped
(`layout`): the form's headings, its rows of labels, its labelled lines.
Each part is then read where the form says its value lives: free-text
answers under their questions (`answers`), labelled lines (`labelled`), the
printed rows (`formrows`), the boxes and the supervisor question (`boxes`).
Last, what one blank holds for several is taken apart (`places`). A value
that cannot be placed with confidence is left out rather than guessed.
"""

from __future__ import annotations

from inbox_worker import form
from inbox_worker.extract.boxes import read_boxes, read_support
from inbox_worker.extract.choices import find_options, mark_of
from inbox_worker.extract.document import Document
from inbox_worker.extract.formrows import read_rows
from inbox_worker.extract.freetext import read_answers
from inbox_worker.extract.labelled import read_labelled
from inbox_worker.extract.labels import heading_of
from inbox_worker.extract.layout import Layout, label_row, labelled_line, map_layout
from inbox_worker.extract.lines import prepare
from inbox_worker.extract.normalize import fold_key
from inbox_worker.extract.places import split_blanks
from inbox_worker.extract.reading import FormReading


def layout_of(doc: Document) -> Layout:
    """The map of a document's lines, with the lines a mail program broke joined again."""
    return map_layout(prepare(doc, begins_a_part, lambda text: label_row(text) is not None))


def read_form(doc: Document) -> FormReading:
    """Every field this document's text gives, with where and how surely each was read."""
    layout = layout_of(doc)
    reading = FormReading(doc.source)
    reading.evidence += len(layout.sections) + len(layout.label_rows)
    stops = set(layout.labelled) | set(layout.label_rows)
    used = read_answers(layout, stops, reading)
    used |= read_labelled(layout, used, reading)
    used |= read_rows(layout, used, reading)
    read_boxes(layout, stops | used, reading)
    read_support(layout, reading)
    split_blanks(reading)
    return reading


def begins_a_part(text: str) -> bool:
    """A line that starts a part of the form (labels, a heading, an option, a labelled line), never a carry-over."""
    options = find_options(text)
    # A label is written with a capital; "supervisor" in lower case is the end of a broken line, and
    # so may be a word such as "Library" standing alone without a colon.
    found = label_row(text)
    labels = found is not None and text.strip()[:1].isupper() and (
        len(found) > 1 or ":" in text or fold_key(text) == fold_key(form.TEXT_FIELD_BY_KEY[found[0][0]].label))
    return (labels or heading_of(text) is not None or labelled_line(text) is not None
            or (bool(options) and mark_of(text[: options[0].start]) != "other"))
