"""Extraction: from a message or a file to an application record.

`extract_message` reads one raw message, `extract_path` a file on disk (an
.eml or a bare attachment); both return an `Extraction` saying whether an
application was found and, if so, its record and where each value came from.

Owns every reader (plain text, HTML, Word, PDF, OpenDocument, forwarded
mail) and the mapping from what they read to the program's form. Pure
functions of bytes: it may import only the top-level `form` and `record`,
never another part.
"""

from __future__ import annotations

from inbox_worker.extract.message import extract_message, extract_path, read_document

__all__ = ["extract_message", "extract_path", "read_document"]
