"""Property tests: no input, however broken, makes a reader raise anything but its two refusals.

Mail is written by strangers, so every reader must either return what it
could read or say why it could not (`UnreadableInput`, `RefusedInput`), and
must return quickly. Hypothesis drives each reader with at least 10,000
inputs: small valid skeletons (MIME messages, .docx and .odt zips, PDFs,
HTML, form text) taken apart by generated mutations, plus raw bytes. The
generators turn a short string of drawn bytes into an input in plain
Python, which keeps each example cheap enough for 10,000 of them per reader
in a few seconds; the strings still shrink to a minimal crasher when one is
found. Each crasher found this way is kept as a file in
tests/fixtures/hostile/ and read again by tests/test_hostile.py.
"""
from __future__ import annotations

import email
import email.policy
import io
import time
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_worker import form
from inbox_worker.extract import extract_message
from inbox_worker.extract.document import MARKED, UNMARKED, Document, Line
from inbox_worker.extract.docx import read_docx
from inbox_worker.extract.html import read_html
from inbox_worker.extract.message import read_document
from inbox_worker.extract.odt import read_odt
from inbox_worker.extract.pdf import read_pdf
from inbox_worker.extract.sniff import sniff
from inbox_worker.extract.text import read_text
from inbox_worker.intake.classify import Classification, classify
from inbox_worker.record import Extraction, RefusedInput, UnreadableInput

# A sender may label a part "unicode_escape"; decoding it warns about its backslashes, which is noise here.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")

EXAMPLES = 10_000
# A guard against hangs (a loop that never ends, a regex that backtracks forever), not a speed
# target: small inputs take milliseconds, but a loaded 2-core machine can stall any call for a
# second or two. The slowest call seen is printed in the summary.
SECONDS_PER_INPUT = 10.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Inputs run and slowest call, per reader, for the summary at the end of the run.
COUNTS: dict[str, int] = {}
SLOWEST: dict[str, float] = {}


class _Summary:
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not COUNTS:
            return
        terminalreporter.section("fuzz: generated inputs per reader")
        for name, count in COUNTS.items():
            slowest = SLOWEST[name] * 1000
            terminalreporter.write_line(f"{name:<24} {count:>7,} inputs   slowest {slowest:7.1f} ms")


@pytest.fixture(scope="module", autouse=True)
def fuzz_summary(request):
    plugin = _Summary()
    request.config.pluginmanager.register(plugin, "fuzz-summary")
    yield
    # Stays registered: the summary is written after the last test.


def survive(name: str, call):
    """Run one input through a reader: a refusal is an answer, anything else raised fails the test."""
    COUNTS[name] = COUNTS.get(name, 0) + 1
    start = time.perf_counter()
    try:
        result = call()
    except (UnreadableInput, RefusedInput) as exc:
        assert str(exc), f"{name}: a refusal must say why"
        result = None
    elapsed = time.perf_counter() - start
    SLOWEST[name] = max(SLOWEST.get(name, 0.0), elapsed)
    assert elapsed < SECONDS_PER_INPUT, f"{name} took {elapsed:.2f}s on one small input"
    return result


def check_count(name: str, before: int) -> None:
    assert COUNTS.get(name, 0) - before >= EXAMPLES, f"{name}: only {COUNTS.get(name, 0) - before} inputs ran"


# ---------------------------------------------------------------- turning drawn bytes into inputs


class Dice:
    """Choices read off a drawn byte string; past its end every choice is 0, the simplest."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def below(self, n: int) -> int:
        if n <= 1:
            return 0
        value = self.byte()
        if n > 256:
            value = value << 8 | self.byte()
        return value % n

    def pick(self, options):
        return options[self.below(len(options))]

    def chance(self, in_256: int) -> bool:
        return self.byte() < in_256


TOKENS_ANY = [b"\x00", b"\xff\xfe", b"\r", b"\n", b"\r\n\r\n", b"--", b"=", b"?", b"%", b"\\", b"\"", b"'",
              b"<", b">", b"&", b";", b"\xe9", b"\xc3", b"\xef\xbb\xbf", b"\t", b" " * 40, b"A" * 300]


def mutate(data: bytes, dice: Dice, tokens: list[bytes], rounds: int) -> bytes:
    """Apply up to `rounds` edits: insert a token, delete, duplicate or flip a span, or truncate."""
    out = bytearray(data)
    for _ in range(dice.below(rounds + 1)):
        op = dice.below(7)
        at = dice.below(len(out) + 1)
        span = 1 + dice.below(64)
        if op in (0, 1):
            out[at:at] = dice.pick(tokens) if op == 0 else dice.pick(TOKENS_ANY)
        elif op == 2:
            del out[at:at + span]
        elif op == 3:
            out[at:at] = out[at:at + span]
        elif op == 4 and out:
            out[min(at, len(out) - 1)] ^= 1 << dice.below(8)
        elif op == 5:
            del out[at:]
        else:
            out[at:at + span] = bytes(dice.byte() for _ in range(min(span, 8)))
    return bytes(out)


def zipped(members: dict[str, bytes], compress: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


# ---------------------------------------------------------------- Word skeletons

W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"')
DOCX_PARTS = {
    "[Content_Types].xml": (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.document.main+xml"/>'
        b'<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.styles+xml"/></Types>'),
    "_rels/.rels": (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument" Target="word/document.xml"/></Relationships>'),
    "word/_rels/document.xml.rels": (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'styles" Target="styles.xml"/></Relationships>'),
}
DOCX_STYLES = (
    f'<?xml version="1.0"?><w:styles {W_NS}>'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    '<w:basedOn w:val="Loop"/><w:rPr><w:b w:val="0"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Loop"><w:basedOn w:val="Normal"/><w:pPr><w:shd w:fill="FFFF00"/>'
    '</w:pPr></w:style><w:style w:type="character" w:styleId="Strong"><w:rPr><w:b/></w:rPr></w:style>'
    '</w:styles>').encode()
DOCX_BODIES = [
    '<w:p><w:r><w:t xml:space="preserve">Name: Jane Doe</w:t></w:r></w:p>'
    '<w:p><w:pPr><w:pStyle w:val="Loop"/></w:pPr><w:r><w:rPr><w:b/><w:color w:val="FF0000"/></w:rPr>'
    '<w:t>Mentor</w:t></w:r><w:r><w:rPr><w:strike/></w:rPr><w:t>Protégé</w:t></w:r></w:p>',
    '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Phone #</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:tab/>'
    '<w:t>307-555-0100</w:t></w:r></w:p></w:tc></w:tr><w:sdt><w:sdtContent><w:tr><w:tc><w:p><w:r>'
    '<w:t>City</w:t></w:r></w:p></w:tc></w:tr></w:sdtContent></w:sdt></w:tbl>',
    '<w:sdt><w:sdtPr><w:tag w:val="role"/><w14:checkbox><w14:checked w14:val="1"/></w14:checkbox></w:sdtPr>'
    '<w:sdtContent><w:p/></w:sdtContent></w:sdt><w:p><w:sdt><w:sdtPr><w:alias w:val="Name"/>'
    '<w:showingPlcHdr/>'
    '</w:sdtPr><w:sdtContent><w:r><w:t>Click here</w:t></w:r></w:sdtContent></w:sdt><w:sdt><w:sdtPr>'
    '<w:tag w:val="goals"/></w:sdtPr><w:sdtContent><w:r><w:t>Learn</w:t><w:br/><w:t>more</w:t></w:r>'
    '</w:sdtContent></w:sdt></w:p>',
    '<w:p><w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/><w:checkBox>'
    '<w:default w:val="0"/><w:checked/></w:checkBox></w:ffData></w:fldChar></w:r><w:r><w:instrText>'
    'FORMCHECKBOX</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t>'
    '</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:fldChar w:fldCharType="begin"><w:ffData>'
    '<w:name w:val="Type"/><w:ddList><w:result w:val="1"/><w:listEntry w:val="public"/>'
    '<w:listEntry w:val="school"/></w:ddList></w:ffData></w:fldChar></w:r><w:r><w:fldChar '
    'w:fldCharType="begin"><w:ffData><w:name w:val="Text1"/><w:textInput/></w:ffData></w:fldChar></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Casper</w:t></w:r><w:r>'
    '<w:fldChar w:fldCharType="end"/></w:r></w:p>',
    '<w:p><w:r><w:sym w:font="Wingdings" w:char="F0FE"/><w:t>New Library Director</w:t></w:r>'
    '<w:ins><w:r><w:t>added</w:t></w:r></w:ins><w:del><w:r><w:delText>gone</w:delText></w:r></w:del>'
    '<w:r><w:drawing><w:txbxContent><w:p><w:r><w:t>In a box</w:t></w:r></w:p></w:txbxContent></w:drawing>'
    '</w:r><w:hyperlink><w:r><w:rPr><w:highlight w:val="yellow"/><w:vanish w:val="0"/></w:rPr>'
    '<w:t>Email: j@x.example</w:t></w:r></w:hyperlink></w:p>',
]
DOCX_TOKENS = [t.encode() for t in (
    "<w:p>", "</w:p>", "<w:r>", "</w:r>", "<w:t>", "</w:t>", "<w:tbl>", "<w:tr>", "<w:tc>", "</w:tc>",
    '<w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox/></w:ffData></w:fldChar>',
    '<w:fldChar w:fldCharType="begin"><w:ffData><w:ddList><w:result w:val="99999999999"/></w:ddList>'
    '</w:ffData></w:fldChar>', '<w:fldChar w:fldCharType="end"/>', '<w:sym w:char="zz"/>',
    '<w:sym w:font="Wingdings 2" w:char="-1"/>', "<w:br/>", "<w:tab/>", "<w:sdt>", "<w:sdtContent>",
    '<w:b w:val="off"/>', '<w:shd w:fill=""/>', "<w:customXml>", "&amp;", "&#0;", "&#xFFFF;", "&bogus;",
    '<!DOCTYPE x [<!ENTITY e "eeeeeeeeee">]>', "&e;", "<![CDATA[x]]>", "<?pi x?>", "<!-- c -->", "\u2612",
    '<w:pStyle w:val="Loop"/>', '<w:rStyle w:val="Strong"/>', 'w:val="', '"', "xmlns:w=\"urn:x\"",
)]


def docx_input(dice: Dice) -> bytes:
    body = "".join(dice.pick(DOCX_BODIES) for _ in range(1 + dice.below(3)))
    document = (f'<?xml version="1.0" encoding="UTF-8"?><w:document {W_NS}><w:body>{body}</w:body>'
                '</w:document>')
    members = dict(DOCX_PARTS)
    members["word/document.xml"] = mutate(document.encode(), dice, DOCX_TOKENS, 6)
    if dice.chance(200):
        members["word/styles.xml"] = mutate(DOCX_STYLES, dice, DOCX_TOKENS, 2)
    if dice.chance(20):
        del members[dice.pick(sorted(members))]
    data = zipped(members, compress=dice.chance(128))
    # Now and then the container itself is damaged: truncated, a byte flipped, a header garbled.
    return mutate(data, dice, [b"PK\x05\x06", b"PK\x03\x04", b"\xff\xff"], 2) if dice.chance(40) else data


# ---------------------------------------------------------------- OpenDocument skeletons

ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0"')
ODT_STYLES = (
    '<office:automatic-styles><style:style style:name="B" style:parent-style-name="C"><style:text-properties '
    'fo:font-weight="bold"/></style:style><style:style style:name="C" style:parent-style-name="B">'
    '<style:text-properties style:text-line-through-style="solid" text:display="none"/></style:style>'
    '</office:automatic-styles>')
ODT_BODIES = [
    '<text:p>Name:<text:s text:c="4"/>Jane Doe<text:tab/>Phone: 307-555-0100</text:p>',
    '<text:h text:style-name="B">Mentor</text:h><text:p><text:span text:style-name="C">Protégé</text:span>'
    '<text:line-break/>Goals</text:p>',
    '<table:table><table:table-row><table:table-cell><text:p>City</text:p></table:table-cell>'
    '<table:table-cell><table:table><table:table-row><table:table-cell><text:p>In</text:p></table:table-cell>'
    '</table:table-row></table:table></table:table-cell></table:table-row></table:table>',
    '<office:forms><form:form><form:checkbox form:id="c1" form:name="mentor" form:current-state="checked"/>'
    '<form:text form:id="t1" form:label="Name" form:current-value="Jane"/></form:form></office:forms>'
    '<text:p><draw:control draw:control="c1"/> Mentor <draw:control draw:control="t1"/></text:p>',
    '<text:list><text:list-item><text:p>New to Wyoming<draw:frame><draw:text-box><text:p>boxed</text:p>'
    '</draw:text-box></draw:frame></text:p></text:list-item></text:list>',
]
ODT_TOKENS = [t.encode() for t in (
    "<text:p>", "</text:p>", "<text:span>", "</text:span>", '<text:s text:c="x"/>',
    '<text:s text:c="99999999999999999999"/>', '<text:s text:c="-5"/>', "<text:tab/>", "<table:table>",
    "<table:table-row>", "<table:table-cell>", '<draw:control draw:control="c1"/>', "<draw:control/>",
    '<form:checkbox form:id=""/>', '<text:p text:style-name="B">', "&amp;", "&#0;", "&bogus;",
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "&e;", "<![CDATA[y]]>", "<!-- c -->",
    "<office:text>", "</office:text>", "<office:body>", "\u2612",
)]


def odt_input(dice: Dice) -> bytes:
    body = "".join(dice.pick(ODT_BODIES) for _ in range(1 + dice.below(3)))
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NS}>{ODT_STYLES}'
               f'<office:body><office:text>{body}</office:text></office:body></office:document-content>')
    members = {"mimetype": b"application/vnd.oasis.opendocument.text",
               "content.xml": mutate(content.encode(), dice, ODT_TOKENS, 6)}
    if dice.chance(64):
        styles = f"<office:document-styles {ODT_NS}>{ODT_STYLES}</office:document-styles>"
        members["styles.xml"] = mutate(styles.encode(), dice, ODT_TOKENS, 2)
    if dice.chance(16):
        del members["content.xml"]
    data = zipped(members, compress=dice.chance(128))
    return mutate(data, dice, [b"PK\x05\x06", b"PK\x03\x04", b"\xff\xff"], 2) if dice.chance(40) else data


# ---------------------------------------------------------------- PDF skeletons


def pdf_from(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a correct cross-reference table, so mutations start from a valid file."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


_TEXT = b"BT /F1 12 Tf 72 700 Td (Name: Jane Doe) Tj 0 -14 Td (Phone # 307-555-0100) Tj ET"
PDF_SEEDS = [
    pdf_from([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(_TEXT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]),
    pdf_from([
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R] /DA (/Helv 0 Tf 0 g) >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots [6 0 R 7 0 R] "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(_TEXT, flate=True),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /TU (Applicant name) /V (Jane Doe) "
        b"/Rect [100 600 300 620] /DA (/Helv 11 Tf 0 g) /P 3 0 R >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (Mentor) /V /Yes /AS /Yes /Rect [100 560 112 572] "
        b"/AP << /N << /Yes 5 0 R /Off 5 0 R >> >> /Parent 8 0 R >>",
        b"<< /T (role) /Kids [7 0 R] /Ff 32768 >>",
    ]),
]
PDF_TOKENS = [t.encode() for t in (
    " 3 0 R ", " 2 0 R ", " 99 0 R ", "/Count 99999999", "/Count -1", "/Kids [2 0 R]", "/Parent 7 0 R",
    "/Length 999999", "/Length -1", "/Filter /FlateDecode", "/Filter /LZWDecode", "/Filter [/ASCII85Decode]",
    "/Size 9999999", "/Encrypt 1 0 R", "<<", ">>", "[", "]", "(", ")", "\\", "obj", "endobj", "stream",
    "endstream", "xref", "trailer", "startxref", "%%EOF", "/Ff 65536", "/Ff abc", "/Rect [1 2]",
    "/Rect [a b c d]", "/V 12", "/DA (0 Tf)", "/DA (1e999 Tf)", "/FT /Ch", "/Opt [(a) (b)]", "1e308",
    "-0", "/Annots 3 0 R", "/AcroForm 1 0 R", "<FEFF00>", "%PDF-",
)]


def pdf_input(dice: Dice) -> bytes:
    return mutate(dice.pick(PDF_SEEDS), dice, PDF_TOKENS, 5)


# ---------------------------------------------------------------- HTML

HTML_TOKENS = [
    "<p>", "</p>", "<div>", "</div>", "<br>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>",
    "<th>", "<tbody>", "<b>", "</b>", "<strong>", "<mark>", "<s>", "</s>", "<del>",
    "<span style=\"display:none\">",
    "<span style=\"font-family:Wingdings\">\u00fe</span>", "<font face=\"Wingdings 2\">R</font>",
    "<span style=\"background-color:yellow;font-weight:700\">",
    "<span style=\";;:;text-decoration:line-through\">",
    "</span>", "<script>alert(1)</script>", "<script>", "<style>p{}</style>", "<!-- x -->", "<!--", "<?pi?>",
    "<![CDATA[", "<label for=\"a\">Name</label>", "<label>Mentor<input type=checkbox checked></label>",
    "<input id=a name=name value=\"Jane\">", "<input type=radio name=role value=mentor checked>",
    "<input type=checkbox name=c value=x>", "<input type=checkbox name=c>", "<input type=file>",
    "<textarea name=goals>Learn\r\nmore</textarea>",
    "<select name=t><option selected>public</option></select>",
    "<select><option selected value=x></select>", "<input>", "<label for=>", "Name:", "Phone #", "Mentor",
    "Protégé", "\u2612", "\u2610", "&nbsp;", "&amp;", "&#0;", "&#x110000;", "&bogus", "\x00", "\t", "\n",
    "<meta charset=\"x-unknown\">", "<meta charset=undefined>", "<?xml version=\"1.0\"?>", "<html>", "<body>",
    "<svg><p>", "<iframe src=x>", "<object>", "<template>", "<h1>", "<li>", "<a href=\"javascript:x\">",
    "<td colspan=999999999>", "<", ">", "\"", "'", "=",
]
CHARSETS = [None, "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "utf-16-le", "utf-32",
            "utf-7", "idna", "punycode", "undefined", "x-unknown", "", "\"utf-8\"", "utf-8\x00", "rot13",
            "base64", "unicode_escape", "raw_unicode_escape", "shift_jis", "gb2312", "koi8-r", "cp037",
            "utf-8-sig", "mbcs", "ascii'", " ", "latin1;x", "hz", "iso-2022-jp", "big5hkscs", "cp65001"]


def html_input(dice: Dice) -> bytes:
    text = "".join(dice.pick(HTML_TOKENS) for _ in range(dice.below(40)))
    data = text.encode(dice.pick(["utf-8", "utf-16", "latin-1"]), "replace")
    return mutate(data, dice, [t.encode() for t in HTML_TOKENS[:20]], 2)


# ---------------------------------------------------------------- form text

FORM_WORDS = [f.label for f in form.TEXT_FIELDS] + [a for f in form.TEXT_FIELDS for a in f.aliases[:2]]
FORM_WORDS += [o.label for c in (form.ROLE, form.PROTEGE_CATEGORIES, form.MENTOR_CATEGORIES)
               for o in c.options]
FORM_WORDS += [form.ROLE_QUESTION, form.PROTEGE_HEADING, form.MENTOR_HEADING, form.SUPERVISOR_QUESTION,
               form.IF_YES, form.APPLICANT_INFORMATION, "Yes", "No", "N/A", "X", "x", "[x]", "(X)", "\u2713",
               MARKED, UNMARKED, "_" * 20, ":", " - ", "\t", "  ", "Jane Doe", "307-555-0100", "WY", "82001",
               "j@x.example", "Casper", "public", "school", "On Mon, Jane <j@x.example> wrote:", "> ", "-- ",
               "---------- Forwarded message ---------", "From: a@b.example", "Subject: x", "Sent: today",
               "\u00a0", "\u200b", "\u00ad", "\r", "\x00", "\ufffd", "1.", "\u2022", "*", "(", ")", "=", "|"]


def form_document(dice: Dice) -> Document:
    lines = []
    for _ in range(dice.below(30)):
        words = [dice.pick(FORM_WORDS) for _ in range(dice.below(5))]
        lines.append(Line(dice.pick(["", " ", ": ", "\t"]).join(words), dice.chance(30)))
    fields: dict[str, str | bool] = {}
    for _ in range(dice.below(4)):
        fields[dice.pick(FORM_WORDS)] = dice.pick([True, False, "", dice.pick(FORM_WORDS)])
    source = dice.pick(["body", "body (quoted)", "attachment: x.pdf"])
    return Document(source=source, lines=lines, fields=fields)


# ---------------------------------------------------------------- MIME messages

HEADER_NAMES = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "Return-Path",
                "Auto-Submitted", "Precedence", "X-Autoreply", "List-Id", "References", "In-Reply-To",
                "MIME-Version", "Content-Disposition", "Sender", "Resent-From", "X-Inbox-Worker", "Received",
                "Bcc", "Comments",
                "Content-Transfer-Encoding", "Content-Type", "Feedback-ID", "From"]
HEADER_VALUES = [
    "Jane Doe <jane@library.example>", "\"Doe, Jane\" <jane@library.example>", "jane@library.example",
    "<>", "mailer-daemon@x.example", "=?utf-8?B?SmFuZQ==?= <j@x.example>", "=?x-unknown?Q?=FF?= <j@x>",
    "=?utf-8?B?!!!?=", "=?undefined?Q?x?=", "=?idna?Q?x?=", "=?utf-8*en?Q?x?=", "=?", "?=",
    "Application", "Out of Office: away", "Undeliverable: x", "auto-replied", "no", "bulk", "auto_reply",
    "Mon, 31 Feb 2026 25:61:61 +9999", "Tue, 10 Mar 2026 09:00:00 -0700", "99999999999", "-1",
    "Mon, 1 Jan 99999999999999999999 00:00:00 +0000", "1 Jan 2026 00:00:00 +99999999999999999999",
    "<id@x.example>", "<<<>>>", "(comment (nested (deep)))", "\"unterminated", "a@b@c", "@", ",,,,", ":;",
    "group: a@b.example, c@d.example;", "undisclosed-recipients:;", "\\", "\udcff",
    "multipart/mixed; boundary=", "text/plain; charset*=utf-8''%FF%FE", "attachment; filename*0*=utf-8''%E9;"
    " filename*1=x", "base64", "x-uuencode", "=?utf-8?q?" + "a" * 80 + "?=", "\u00e9t\u00e9",
    "text/html; charset=\"", "message/rfc822", "multipart/report; report-type=delivery-status",
]
CONTENT_TYPES = ["text/plain", "text/html", "application/pdf", "application/octet-stream",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "application/vnd.oasis.opendocument.text", "message/rfc822", "image/png", "text/rtf",
                 "text/plain; format=flowed; delsp=yes", "text/x-unknown", "bogus", "", "text/", "/"]
ENCODINGS = [None, "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode", "BASE64",
             "bogus", ""]
BOUNDARIES = ["b1", "b1", "=_x", "", " ", "a b", "\"q\"", "--", "-" * 70, "x" * 200, "b1--", "\u00e9",
              "(paren)", "b;c"]
FILENAMES = [None, "form.docx", "form.pdf", "form.odt", "form.txt", "form.html", "../../etc/passwd",
             "..\\..\\boot.ini", "/etc/shadow", "a" * 300, "\x00.pdf", "=?utf-8?B?Zm9ybS5wZGY=?=", "", "CON",
             "form.eml"]
FORM_TEXT = (b"Name: Jane Doe\nPhone #: 307-555-0100\nEmail Address: jane@library.example\nCity: Casper\n"
             b"Position you are applying for: Mentor\nStrengths: ten years at the desk\n")
LEAF_PAYLOADS = [
    FORM_TEXT, "<p>Name: <b>Jane</b></p><table><tr><td>Mentor</td><td>\u2612</td></tr></table>".encode(),
    PDF_SEEDS[1], b"\x00\x01\x02\xff" * 8, b"", "caf\u00e9 \u2612 Protégé".encode("utf-16"),
    b"From: inner@x.example\nSubject: inner\n\nName: Inner Person\n", b"=?=\r\n=\r\n==41\r\n",
    b"begin 644 x\nM86)C\n`\nend\n", b"\xc3\x28\xa0\xa1" * 4,
]


def _encode(payload: bytes, encoding: str | None, dice: Dice) -> bytes:
    import base64
    import binascii
    import quopri

    if encoding and encoding.lower() == "base64":
        data = base64.encodebytes(payload)
        if dice.chance(60):  # broken base64: bad characters, lost padding, cut short
            data = mutate(data, dice, [b"!", b"=", b"==", b"\x00", b"-_", b"\r\n"], 3)
        return data
    if encoding == "quoted-printable":
        return quopri.encodestring(payload)
    if encoding and "uu" in encoding:
        return b"begin 644 x\n" + binascii.b2a_uu(payload[:45]) + b"`\nend\n"
    return payload


def _headers(dice: Dice, extra: int) -> bytes:
    lines = [f"{dice.pick(HEADER_NAMES)}: {dice.pick(HEADER_VALUES)}" for _ in range(dice.below(extra + 1))]
    return "\r\n".join(lines).encode("utf-8", "surrogateescape") + (b"\r\n" if lines else b"")


def _part(dice: Dice, depth: int) -> bytes:
    if depth < 3 and dice.chance(70):
        boundary = dice.pick(BOUNDARIES) + str(depth)
        sub = dice.pick(["mixed", "alternative", "related", "report", "digest", "signed", "x-odd"])
        head = f"Content-Type: multipart/{sub}; boundary=\"{boundary}\"\r\n".encode()
        head += _headers(dice, 1)
        out = [head, b"\r\npreamble\r\n"]
        for _ in range(dice.below(4)):
            out.append(f"--{dice.pick([boundary, boundary, boundary, 'other'])}\r\n".encode())
            out.append(_part(dice, depth + 1))
            out.append(b"\r\n")
        if dice.chance(200):  # sometimes the closing boundary never comes
            out.append(f"--{boundary}--\r\n".encode())
        return b"".join(out)
    ctype = dice.pick(CONTENT_TYPES)
    charset = dice.pick(CHARSETS)
    encoding = dice.pick(ENCODINGS)
    name = dice.pick(FILENAMES)
    head = f"Content-Type: {ctype}" + (f"; charset=\"{charset}\"" if charset is not None else "")
    if name is not None:
        head += f"; name=\"{name}\"\r\nContent-Disposition: {dice.pick(['attachment', 'inline', 'x'])}; " \
                f"filename=\"{name}\""
    if encoding is not None:
        head += f"\r\nContent-Transfer-Encoding: {encoding}"
    payload = dice.pick(LEAF_PAYLOADS)
    if ctype == "message/rfc822" and dice.chance(128):
        payload = _message(dice, depth + 1)
    # The readers have tests of their own; here an attachment now and then is enough.
    if dice.chance(12):
        payload = docx_input(dice) if dice.chance(128) else odt_input(dice)
    head_bytes = head.encode("utf-8", "surrogateescape") + b"\r\n" + _headers(dice, 1)
    return head_bytes + b"\r\n" + _encode(payload, encoding, dice)


def _message(dice: Dice, depth: int = 0) -> bytes:
    return (b"From: Jane Doe <jane@library.example>\r\n" if dice.chance(200) else b"") + _headers(dice, 4) + \
        b"MIME-Version: 1.0\r\n" + _part(dice, depth)


def message_input(dice: Dice) -> bytes:
    raw = _message(dice)
    return mutate(raw, dice, [b"\r\n--b10\r\n", b"\r\n\r\n", b": ", b"=?utf-8?B?", b"\r\n ", b"boundary="], 3)


def header_message(dice: Dice) -> email.message.Message:
    """A message parsed the way intake parses it, from headers chosen to look like every kind of sender."""
    raw = _headers(dice, 10) + b"\r\n" + b"body\r\n"
    raw = mutate(raw, dice, [b"\r\n ", b": ", b"=?utf-8?Q?", b"?=", b"\x00", b"\xff"], 3)
    return email.message_from_bytes(raw, policy=email.policy.default)


# ---------------------------------------------------------------- the properties

def run(name: str, strategy, body) -> None:
    before = COUNTS.get(name, 0)
    given(strategy)(FUZZ(body))()
    check_count(name, before)


def test_classify_accepts_any_headers():
    """The classifier returns one of its kinds for any parsed message, never an exception."""

    def prop(choices: bytes) -> None:
        dice = Dice(choices)
        if dice.chance(128):
            msg = header_message(dice)
        else:
            msg = email.message_from_bytes(message_input(dice), policy=email.policy.default)
        result = survive("classify", lambda: classify(msg, frozenset({"program@library.example"})))
        assert isinstance(result, Classification)

    run("classify", st.binary(max_size=64), prop)


def test_extract_message_survives_mutated_mime():
    """A MIME message with mangled headers, charsets, encodings, boundaries and nesting is read or refused."""

    def prop(choices: bytes) -> None:
        raw = message_input(Dice(choices))
        result = survive("extract_message (MIME)", lambda: extract_message(raw))
        assert result is None or isinstance(result, Extraction)

    run("extract_message (MIME)", st.binary(max_size=96), prop)


def test_extract_message_survives_byte_soup():
    """Bytes that are no message at all are refused in words, not with a crash."""

    def prop(prefix: int, soup: bytes) -> None:
        raw = [b"", b"From: a@b.example\r\n", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
               b"Subject: ", b"\r\n\r\n", b"From:"][prefix] + soup
        result = survive("extract_message (bytes)", lambda: extract_message(raw))
        assert result is None or isinstance(result, Extraction)

    run("extract_message (bytes)", st.tuples(st.integers(0, 5), st.binary(max_size=200)),
        lambda args: prop(*args))


def test_read_text_survives_any_bytes_and_charset():
    """Any bytes under any charset label, real, unknown or absurd, decode or are refused."""

    def prop(args) -> None:
        charset, data = args
        result = survive("read_text", lambda: read_text(data, "body", charset))
        assert result is None or isinstance(result, Document)

    run("read_text", st.tuples(st.sampled_from(CHARSETS), st.binary(max_size=120)), prop)


def test_read_html_survives_mangled_markup():
    """Tag soup built from form controls, scripts, styles and broken entities is read or refused."""

    def prop(args) -> None:
        choices, charset = args
        data = html_input(Dice(choices))
        result = survive("read_html", lambda: read_html(data, "body (html)", charset))
        assert result is None or isinstance(result, Document)

    run("read_html", st.tuples(st.binary(max_size=64), st.sampled_from(CHARSETS)), prop)


def test_read_docx_survives_mutated_word_files():
    """A Word zip whose XML and container are mangled is read or refused."""

    def prop(choices: bytes) -> None:
        data = docx_input(Dice(choices))
        result = survive("read_docx", lambda: read_docx(data, "attachment: form.docx"))
        assert result is None or isinstance(result, Document)

    run("read_docx", st.binary(max_size=64), prop)


def test_read_pdf_survives_mutated_pdfs():
    """A small PDF, text or fillable, with its objects and cross-references mangled is read or refused."""

    def prop(choices: bytes) -> None:
        data = pdf_input(Dice(choices))
        result = survive("read_pdf", lambda: read_pdf(data, "attachment: form.pdf"))
        assert result is None or isinstance(result, Document)

    run("read_pdf", st.binary(max_size=48), prop)


def test_read_odt_survives_mutated_opendocument_files():
    """An OpenDocument zip whose XML and container are mangled is read or refused."""

    def prop(choices: bytes) -> None:
        data = odt_input(Dice(choices))
        result = survive("read_odt", lambda: read_odt(data, "attachment: form.odt"))
        assert result is None or isinstance(result, Document)

    run("read_odt", st.binary(max_size=64), prop)


MAGIC = [b"", b"PK", b"PK\x03\x04", b"%PDF-", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xfe", b"\xfe\xff",
         b"\xef\xbb\xbf", b"<html>", b"<!-- x", b"From: a@b\r\nTo: c@d\r\n", b"{\\rtf",
         b"mimetypeapplication/vnd"]


def test_sniff_names_a_kind_for_any_bytes():
    """Sniffing never raises and answers only with a kind the readers know, or None."""

    def prop(args) -> None:
        magic, data, name = args
        kind = survive("sniff", lambda: sniff(magic + data, name))
        assert kind in (None, "docx", "pdf", "odt", "html", "text", "eml", "doc")

    run("sniff", st.tuples(st.sampled_from(MAGIC), st.binary(max_size=120), st.sampled_from(FILENAMES)), prop)


def test_read_form_survives_any_lines_and_fields():
    """The form reader (lines and named fields together) gives a reading for any text, never an exception."""

    def prop(choices: bytes) -> None:
        doc = form_document(Dice(choices))

        def read():
            reading = read_document(doc)
            # What `_decide` asks of every reading.
            reading.looks_like_application(), reading.score(), reading.values()
            return reading

        survive("read_form", read)

    run("read_form", st.binary(max_size=96), prop)
