"""Text and metadata out of documents, one reader per format, for `briefgen add`.

Each library is imported inside its reader: a build, a check and every other command never load them.
- HTML: trafilatura finds the article's main text, leaving out navigation, ads, footers and comment
  forms; the page's own <meta> tags give its metadata (read here with lxml, so that each value's
  provenance names the exact tag).
- PDF: pypdf gives the text page by page (page starts come from the PDF's own pages), the document
  information and whether it is encrypted.
- Word: python-docx gives the paragraphs with their styles (headings, captions) and the core properties.

Headings are written as Markdown headings ('## ...'), which the paragraph rule never counts.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.errors import SourceError, UsageError


@dataclass(frozen=True)
class Extracted:
    """A document's text as briefgen keeps it, where its pages or body are, and its own metadata."""

    text: str
    page_starts: tuple[int, ...] = ()
    body: tuple[int, int] = (1, 1)
    metadata: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (value, where from)
    keeps_original: bool = True  # False when the text is the original (a .txt file)
    empty_hint: str = "it has almost no text"
    paragraphs: int = 0


def _joined(blocks: list[str]) -> str:
    """Blocks separated by blank lines, ending with a newline."""
    return "\n\n".join(blocks) + "\n"


def _count_paragraphs(text: str, body: tuple[int, int]) -> int:
    from briefgen.factbase.paragraphs import paragraph_numbers

    return max([0, *paragraph_numbers(text.split("\n"), body)])


def _whole(text: str) -> tuple[int, int]:
    return (1, max(1, text.count("\n")))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- Plain text -----------------------------------------------------------------------------------


def read_text(data: bytes, path: Path) -> Extracted:
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text; save it as UTF-8 and add it again") from None
    if re.search(r"<(?:html|body|div|p)\b[^>]*>", text, re.I):
        raise UsageError(f"{path}: this text is a web page's markup; save it as .html and add that")
    body = _whole(text)
    return Extracted(text, body=body, keeps_original=False, paragraphs=_count_paragraphs(text, body))


# --- HTML -----------------------------------------------------------------------------------------

# (field, how to find it in the page, provenance label), first found wins.
_HTML_META = (
    ("title", ".//meta[@property='og:title']", "html meta og:title"),
    ("title", ".//title", "html <title>"),
    ("author", ".//meta[@name='author']", "html meta author"),
    ("author", ".//meta[@property='article:author']", "html meta article:author"),
    ("publisher", ".//meta[@property='og:site_name']", "html meta og:site_name"),
    ("published", ".//meta[@property='article:published_time']", "html meta article:published_time"),
    ("published", ".//meta[@name='date']", "html meta date"),
    ("url", ".//meta[@property='og:url']", "html meta og:url"),
    ("url", ".//link[@rel='canonical']", "html link canonical"),
)


def _html_metadata(tree: Any) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for name, path, label in _HTML_META:
        if name in found:
            continue
        for element in tree.iterfind(path):
            raw = element.get("content") or element.get("href") or element.text_content()
            value = _one_line(raw or "")
            if name == "published":
                value = value[:10] if re.match(r"\d{4}-\d{2}-\d{2}", value) else ""
            if name == "author" and value.startswith("http"):
                value = ""  # a profile link, not a name
            if value:
                found[name] = (value, label)
                break
    return found


def _main_blocks(html: str) -> list[str]:
    """The article's paragraphs and headings, as trafilatura finds them; headings as '## ...'."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
    )
    if not xml:
        return []
    main = etree.fromstring(xml.encode("utf-8")).find("main")
    blocks: list[str] = []
    for element in [] if main is None else main:
        if element.tag == "list":
            blocks += [_one_line("".join(item.itertext())) for item in element.iter("item")]
            continue
        text = _one_line("".join(element.itertext()))
        blocks.append(f"## {text}" if element.tag == "head" and text else text)
    return [b for b in blocks if b and b != "##"]


def read_html(data: bytes, path: Path) -> Extracted:
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(data)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise SourceError(f"{path}: not a readable web page ({exc})") from None
    html = lxml.html.tostring(tree, encoding="unicode")
    blocks = _main_blocks(html)
    text = _joined(blocks) if blocks else ""
    body = _whole(text)
    return Extracted(
        text,
        body=body,
        metadata=_html_metadata(tree),
        empty_hint="no article text found, only navigation or boilerplate; save the article's own page",
        paragraphs=_count_paragraphs(text, body),
    )


# --- PDF ------------------------------------------------------------------------------------------


def _pdf_metadata(reader: Any) -> dict[str, tuple[str, str]]:
    info = reader.metadata or {}
    found: dict[str, tuple[str, str]] = {}
    for name, key in (("title", "/Title"), ("author", "/Author")):
        value = _one_line(str(info.get(key) or ""))
        if value:
            found[name] = (value, f"pdf info {key}")
    return found  # /CreationDate is when the file was made, not when the work was published


def read_pdf(data: bytes, path: Path) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(f"{path}: the PDF is password-protected; save an unprotected copy and add that")
        pages = [(page.extract_text() or "").strip("\n") for page in reader.pages]
    except DependencyError:  # AES encryption, even with an empty password, needs a further library
        raise SourceError(f"{path}: the PDF is encrypted; save an unprotected copy and add that") from None
    except LimitReachedError:  # pypdf stops a stream that unpacks to more than it allows: a decompression bomb
        raise SourceError(
            f"{path}: a stream of this PDF unpacks to more than pypdf reads (a decompression bomb?); "
            "save the pages you need as a new PDF and add that"
        ) from None
    except (PyPdfError, ValueError, KeyError, OSError) as exc:  # a damaged or truncated file
        raise SourceError(f"{path}: not a readable PDF ({exc})") from None
    lines: list[str] = []
    starts: list[int] = []
    for page in pages:
        starts.append(len(lines) + 1)
        lines += page.split("\n") if page else [""]
    text = "\n".join(lines) + "\n"
    return Extracted(
        text,
        page_starts=tuple(starts),
        metadata=_pdf_metadata(reader),
        empty_hint="the PDF has no text layer (a scan?); run it through OCR and add the result",
    )


# --- Word -----------------------------------------------------------------------------------------


# What a Word document's XML may unpack to. A 1,000-page report's is about 20 MiB; a "zip bomb" of
# a few hundred KiB unpacks to gigabytes, which python-docx would parse whole in memory.
MAX_DOCX_XML_BYTES = 64 * 2**20


def _refuse_zip_bomb(data: bytes, path: Path) -> None:
    """Refuse a Word document whose XML parts unpack to more than MAX_DOCX_XML_BYTES, from the sizes its
    zip directory declares (zipfile never unpacks a member beyond its declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist() if not i.filename.startswith("word/media/"))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SourceError(f"{path}: not a readable Word document ({exc})") from None
    if unpacked > MAX_DOCX_XML_BYTES:
        raise SourceError(
            f"{path}: its text unpacks to {unpacked:,} bytes, over the limit of {MAX_DOCX_XML_BYTES:,} "
            "for a Word document (a zip bomb?); save it as PDF and add that"
        )


def _style_names(document: Any) -> Callable[[Any], str]:
    """A paragraph -> its style's name, from one table of the document's styles: python-docx's own
    `paragraph.style` searches the styles part for each paragraph (2 ms each, hours for a large file)."""
    from docx.enum.style import WD_STYLE_TYPE

    names = {style.style_id: style.name or "" for style in document.styles}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    fallback = (default.name or "") if default is not None else ""
    return lambda paragraph: names.get(paragraph._p.style, fallback)


def read_docx(data: bytes, path: Path) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _refuse_zip_bomb(data, path)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(f"{path}: not a readable Word document ({exc})") from None
    style_of = _style_names(document)
    blocks = []
    for paragraph in document.paragraphs:
        text = _one_line(paragraph.text)
        style = style_of(paragraph) if text else ""
        if not text or style.startswith("Caption"):
            continue  # captions are not the text's paragraphs
        heading = style.startswith(("Heading", "Title", "Subtitle"))
        blocks.append(f"## {text}" if heading else text)
    text = _joined(blocks) if blocks else ""
    props = document.core_properties
    metadata: dict[str, tuple[str, str]] = {}
    # `created` is when the file was made (often a template's date), not when the work was published.
    for name, value, label in (("title", props.title, "docx core title"), ("author", props.author, "docx core author")):
        if value and _one_line(value):
            metadata[name] = (_one_line(value), label)
    body = _whole(text)
    return Extracted(text, body=body, metadata=metadata, paragraphs=_count_paragraphs(text, body))


READERS: dict[str, Callable[[bytes, Path], Extracted]] = {
    ".txt": read_text,
    ".md": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
