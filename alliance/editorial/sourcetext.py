"""A source's text from an uploaded file: plain text, PDF (pypdf) or HTML (the standard
library's parser). The text is stored in the database (Source.text); the file is not kept."""

import io
from dataclasses import dataclass
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from ..models import TextOrigin

MAX_SOURCE_BYTES = 30 * 1024 * 1024


class SourceFileError(ValueError):
    """The file cannot be read as a source's text; the message is for the editor."""


class _TextOfHTML(HTMLParser):
    """The readable text of a page: scripts, styles and the like left out, a line break
    after each block."""

    SKIP = {"script", "style", "noscript", "template", "head"}
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "dd", "dt", "blockquote", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self):
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932", "euc_jp"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceFileError(_("文字コードを読み取れません。UTF-8 のテキストにしてください。"))


@dataclass(frozen=True)
class SourceFile:
    """A source's text read from a file, and what kind of file it was (Source.text_origin)."""

    text: str
    origin: str


def read_upload(name: str, data: bytes) -> SourceFile:
    """The text of an uploaded .txt, .pdf or .html file, with LF line endings, and its kind."""
    name = (name or "").lower()
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceFileError(_("ファイルが大きすぎます（30MBまで）。"))
    if data[:5] == b"%PDF-" or name.endswith(".pdf"):
        text, origin = _text_of_pdf(data), TextOrigin.PDF
    elif name.endswith((".html", ".htm")) or data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        parser = _TextOfHTML()
        parser.feed(_decode(data))
        parser.close()
        text, origin = parser.text(), TextOrigin.HTML
    elif name.endswith((".txt", ".text", ".md")) or not name:
        text, origin = _decode(data), TextOrigin.FILE
    else:
        raise SourceFileError(_("読み取れる形式ではありません。テキスト（.txt）、PDF、HTML のどれかにしてください。"))
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise SourceFileError(_("ファイルから本文を読み取れませんでした（画像だけのPDFなど）。本文を貼り付けてください。"))
    return SourceFile(text, origin.value)


def text_of_upload(name: str, data: bytes) -> str:
    """The text of an uploaded .txt, .pdf or .html file, with LF line endings."""
    return read_upload(name, data).text


def _text_of_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise SourceFileError(_("PDFを読み取れませんでした（壊れているか、暗号化されています）。")) from exc
