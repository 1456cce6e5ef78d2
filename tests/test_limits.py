"""Hostile files are refused quickly and in bounded memory, with a reason a person can act on.

The bombs are built at test time in a temporary directory (they are big
when expanded, small on disk), then handed to the readers.
"""
from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest

from inbox_worker.extract import limits
from inbox_worker.extract.docx import read_docx
from inbox_worker.extract.html import read_html
from inbox_worker.extract.odt import read_odt
from inbox_worker.extract.pdf import read_pdf
from inbox_worker.extract.sniff import sniff
from inbox_worker.extract.text import read_text
from inbox_worker.record import RefusedInput

SECONDS = 5
PEAK_BYTES = 100 * 1024 * 1024
CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="xml" ContentType="application/xml"/></Types>')


def refused_quickly(reader, data: bytes, source: str) -> RefusedInput:
    """Run a reader on hostile data; it must refuse within SECONDS and PEAK_BYTES."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(RefusedInput) as info:
            reader(data, source)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"took {elapsed:.1f}s"
    assert peak < PEAK_BYTES, f"peak {peak / 2**20:.0f} MB"
    return info.value


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> bytes:
    """A .docx whose document.xml is 1 GB of zeros, about 1 MB on disk."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(1024):
                fh.write(chunk)
    return path.read_bytes()


@pytest.fixture(scope="module")
def many_members(tmp_path_factory) -> bytes:
    """A .docx-looking zip with 100,000 empty members."""
    path = tmp_path_factory.mktemp("many") / "many.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", b"<w:document/>")
        for i in range(100_000):
            z.writestr(f"word/media/{i}.xml", b"")
    return path.read_bytes()


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> bytes:
    """A 5,000-page PDF of blank pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5_000):
        writer.add_blank_page(612, 792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_zip_bomb_docx_is_refused(zip_bomb):
    """A Word file that expands to a gigabyte is refused as a zip bomb, without expanding it."""
    assert len(zip_bomb) < 5 * 1024 * 1024
    assert sniff(zip_bomb) == "docx"
    error = refused_quickly(read_docx, zip_bomb, "bomb.docx")
    assert "zip bomb" in str(error)


def test_zip_bomb_odt_is_refused(zip_bomb):
    """The same bomb given to the OpenDocument reader is refused too."""
    assert "zip bomb" in str(refused_quickly(read_odt, zip_bomb, "bomb.odt"))


def test_zip_with_100k_members_is_refused(many_members):
    """A zip of 100,000 members is refused from its directory count, before zipfile lists them."""
    error = refused_quickly(read_docx, many_members, "many.docx")
    assert "100,001 files" in str(error)
    refused_quickly(read_odt, many_members, "many.odt")


def test_high_ratio_member_is_refused():
    """One member that expands hundreds of times over is refused even under the total cap."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", b" " * (20 * 1024 * 1024))
    error = refused_quickly(read_docx, buf.getvalue(), "ratio.docx")
    assert "times" in str(error)


def test_read_member_never_reads_past_its_cap():
    """A member is read a chunk at a time and stops at the cap whatever its header claims."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("content.xml", b"x" * 300_000)
    zf = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with pytest.raises(RefusedInput):
        limits.read_member(zf, "content.xml", "OpenDocument file", cap=100_000)
    assert len(limits.read_member(zf, "content.xml", "OpenDocument file")) == 300_000


def test_5000_page_pdf_is_refused(long_pdf):
    """A PDF of 5,000 pages is refused from its page count before any page is read."""
    error = refused_quickly(read_pdf, long_pdf, "long.pdf")
    assert "5,000 pages" in str(error)


def test_oversized_inputs_are_refused():
    """Inputs over the byte or character caps are refused, not read."""
    huge_pdf = b"%PDF-1.4\n" + b"0" * (limits.PDF_MAX_BYTES + 1)
    refused_quickly(read_pdf, huge_pdf, "huge.pdf")
    refused_quickly(read_text, b"a" * (limits.MAX_TEXT_CHARS + 1), "body")
    refused_quickly(read_text, b"x\n" * (limits.MAX_LINES + 10), "body")


def test_deeply_nested_html_is_read_or_refused():
    """HTML nested a hundred thousand deep neither hangs nor crashes."""
    data = b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000
    started = time.monotonic()
    try:
        doc = read_html(data, "body")
        assert len(doc.lines) <= 1
    except RefusedInput:
        pass
    assert time.monotonic() - started < SECONDS


def test_caps_are_far_above_a_real_form():
    """The caps leave room for any real application and mark what the message walker must enforce."""
    assert limits.ZIP_MAX_MEMBERS >= 1_000
    assert limits.PDF_MAX_PAGES >= 20
    assert 5 <= limits.MAX_MIME_DEPTH <= 20
