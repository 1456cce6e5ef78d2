"""Safety limits for reading mail from strangers.

Every attachment is hostile until read: a Word or OpenDocument file is a zip
that may expand to gigabytes, a PDF may claim thousands of pages or millions
of objects, a message may nest parts within parts. The readers call the
checks here before any heavy work and get a `RefusedInput` with a reason a
coordinator can act on; the caps are set far above any real application
form (a few pages, a few hundred kilobytes) and far below what would hurt
the machine.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from inbox_worker.record import RefusedInput, UnreadableInput

# Any one attachment or body part, before it is read.
MAX_INPUT_BYTES = 25 * 1024 * 1024

# Zip containers (.docx, .odt).
ZIP_MAX_MEMBERS = 2_000
ZIP_MAX_TOTAL_BYTES = 50 * 1024 * 1024
ZIP_MAX_MEMBER_BYTES = 50 * 1024 * 1024
# Real office XML compresses 5-20 times; a member that expands by more than
# this, past ZIP_RATIO_FLOOR bytes, is built to explode.
ZIP_MAX_RATIO = 200
ZIP_RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024

# PDF.
PDF_MAX_BYTES = 20 * 1024 * 1024
PDF_MAX_PAGES = 50
PDF_MAX_OBJECTS = 200_000
PDF_MAX_FIELDS = 2_000

# Decoded text of one part, and the lines a reader may emit.
MAX_TEXT_CHARS = 1_000_000
MAX_LINES = 50_000

# Nesting of MIME parts and forwarded messages, and parts in one message.
MAX_MIME_DEPTH = 10
MAX_MIME_PARTS = 500

_MB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n // _MB} MB" if n >= _MB else f"{n:,} bytes"


def check_size(data: bytes, what: str, cap: int = MAX_INPUT_BYTES) -> None:
    """Refuse input larger than `cap` before anything parses it."""
    if len(data) > cap:
        raise RefusedInput(f"the {what} is {_size(len(data))}, more than the {_size(cap)} we read")


def check_text(text: str, what: str = "text") -> str:
    """Refuse decoded text longer than any application could be."""
    if len(text) > MAX_TEXT_CHARS:
        raise RefusedInput(
            f"the {what} holds more than {MAX_TEXT_CHARS:,} characters; an application form is a few pages"
        )
    return text


def _declared_entries(data: bytes) -> int | None:
    """The member count from the zip's end-of-central-directory record, read without zipfile.

    zipfile builds an object per member before we could count them, so a
    zip of a million empty members would cost memory before any check ran.
    """
    tail = data[-(65535 + 22):]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    disk_entries, total_entries = struct.unpack("<HH", tail[at + 8:at + 12])
    if total_entries == 0xFFFF:
        # Zip64: the real count lives in the zip64 record just before this one.
        loc = tail.rfind(b"PK\x06\x07", 0, at)
        if loc < 0:
            return None
        (offset,) = struct.unpack("<Q", tail[loc + 8:loc + 16])
        rec = data[offset:offset + 56]
        if rec[:4] != b"PK\x06\x06" or len(rec) < 56:
            return None
        (total64,) = struct.unpack("<Q", rec[32:40])
        return total64
    return max(disk_entries, total_entries)


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Open a zip container after counting its members; UnreadableInput if it is no zip."""
    check_size(data, what)
    entries = _declared_entries(data)
    if entries is None:
        raise UnreadableInput(f"the {what} is damaged: it is not a complete zip container")
    if entries > ZIP_MAX_MEMBERS:
        raise RefusedInput(
            f"the {what} holds {entries:,} files inside, more than the {ZIP_MAX_MEMBERS:,} we accept; "
            "it looks like a zip bomb"
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableInput(f"the {what} is damaged ({exc})") from exc
    if len(zf.infolist()) > ZIP_MAX_MEMBERS:
        raise RefusedInput(f"the {what} holds more than {ZIP_MAX_MEMBERS:,} files inside; it looks like a zip bomb")
    return zf


def read_member(zf: zipfile.ZipFile, name: str, what: str, cap: int = ZIP_MAX_MEMBER_BYTES) -> bytes:
    """One member's bytes, decompressed a chunk at a time and never past `cap`.

    The sizes in a zip's directory are written by whoever made it, so they
    are not trusted: the count is of bytes actually produced.
    """
    out = bytearray()
    try:
        with zf.open(name) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                out += chunk
                if len(out) > cap:
                    raise RefusedInput(
                        f"the {what} expands to more than {_size(cap)}; it looks like a zip bomb"
                    )
    except KeyError as exc:
        raise UnreadableInput(f"the {what} is missing its part {name}") from exc
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        raise UnreadableInput(f"the {what} is damaged ({exc})") from exc
    return bytes(out)


def check_zip(data: bytes, what: str = "Word file") -> zipfile.ZipFile:
    """Refuse a zip container that is too big once expanded; return it opened.

    Every member is decompressed as a stream and counted (then discarded),
    so the libraries that later read the container whole (python-docx) only
    ever see members we have measured.
    """
    zf = open_zip(data, what)
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        produced = 0
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    produced += len(chunk)
                    total += len(chunk)
                    if total > ZIP_MAX_TOTAL_BYTES or produced > ZIP_MAX_MEMBER_BYTES:
                        raise RefusedInput(
                            f"the {what} expands to more than {_size(ZIP_MAX_TOTAL_BYTES)}; "
                            "it looks like a zip bomb"
                        )
                    if produced > ZIP_RATIO_FLOOR and produced > ZIP_MAX_RATIO * max(info.compress_size, 1):
                        raise RefusedInput(
                            f"a part of the {what} expands more than {ZIP_MAX_RATIO} times; "
                            "it looks like a zip bomb"
                        )
        except RefusedInput:
            raise
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError) as exc:
            raise UnreadableInput(f"the {what} is damaged ({exc})") from exc
    return zf


def check_lines(count: int, what: str) -> None:
    """Refuse a document that breaks into more lines than any form has."""
    if count > MAX_LINES:
        raise RefusedInput(f"the {what} has more than {MAX_LINES:,} lines; an application form is a few pages")
