"""Tagged PDF/UA-1 from WeasyPrint 65.1, alone or with PDF/A-3u: the roles, artifacts and attributes it lacks.

WeasyPrint 65.1 tags a PDF only through its `pdf/ua-1` variant, which knows paragraphs, headings,
lists and tables but writes figures and footnotes as `NonStruct` or `Span`, tags the running header
and footer as content, gives no figure its `/Alt` and cannot be combined with a PDF/A variant. It has
no hook for any of this, so briefgen registers two variants of its own (`VARIANTS`) and, for the
time of one render, draws with a `Stream` that knows briefgen's roles (`tagged_streams`). Imported
only when a PDF is rendered; written against WeasyPrint 65.1, which briefgen pins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree import ElementTree

import pydyf  # type: ignore[import-untyped]  # no stubs; WeasyPrint's PDF writer
import weasyprint.pdf
from weasyprint.formatting_structure import boxes
from weasyprint.pdf import pdfa, pdfua
from weasyprint.pdf.metadata import NS, generate_rdf_metadata
from weasyprint.pdf.stream import Stream

ACCESSIBLE = "briefgen/ua-1"  # PDF/UA-1
ARCHIVAL = "briefgen/a-3u+ua-1"  # PDF/A-3u with its attachments, and PDF/UA-1

# Elements WeasyPrint 65.1 leaves as NonStruct; everything else keeps WeasyPrint's role. A <figure>
# groups (Div) its image (Figure, with /Alt) and caption: an /Alt on the group would hide the caption.
ROLES = {"figure": "Div", "img": "Figure", "figcaption": "Caption", "caption": "Caption"}


class TaggedStream(Stream):
    """A page's content stream that marks the running header and footer and the footnote rule as artifacts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closes: list[bool] = []  # per open begin: whether its end writes EMC
        self._artifact_depth: int | None = None  # inside a margin box: nothing inside is content
        self._rule_open = False  # the footnote area's rule is an artifact, closed before its first note

    def begin_marked_content(self, box: Any, mcid: bool = False, tag: str | None = None) -> None:
        if not self._mark:
            return
        self._close_rule()
        if self._artifact_depth is not None:
            self._closes.append(False)
        elif isinstance(box, boxes.MarginBox):
            self._artifact_depth = len(self._closes)
            self._closes.append(True)
            pydyf.Stream.begin_marked_content(self, "Artifact")
        elif isinstance(box, boxes.FootnoteAreaBox):
            self._rule_open = True
            self._closes.append(False)
            pydyf.Stream.begin_marked_content(self, "Artifact")
        else:
            self._closes.append(True)
            super().begin_marked_content(box, mcid, tag or self.role(box))

    def end_marked_content(self) -> None:
        if not self._mark:
            return
        self._close_rule()
        closes = self._closes.pop()
        if self._artifact_depth == len(self._closes):
            self._artifact_depth = None
        if closes:
            pydyf.Stream.end_marked_content(self)

    def _close_rule(self) -> None:
        if self._rule_open:
            self._rule_open = False
            pydyf.Stream.end_marked_content(self)

    def role(self, box: Any) -> str:
        """The structure type of a box: a briefgen footnote is a Note, a chart a Figure."""
        element = box.element
        if element is not None and "footnote" in (element.get("class") or "").split():
            return "Note"
        return self.get_marked_content_tag(box.element_tag)

    def get_marked_content_tag(self, element_tag: str) -> str:
        return ROLES.get(element_tag) or super().get_marked_content_tag(element_tag)


@contextmanager
def tagged_streams() -> Iterator[None]:
    """Draw with TaggedStream for the time of one render (WeasyPrint reads the class from its module)."""
    original = weasyprint.pdf.Stream
    weasyprint.pdf.Stream = TaggedStream
    try:
        yield
    finally:
        weasyprint.pdf.Stream = original


def _object(pdf: pydyf.PDF, reference: bytes | str) -> Any:
    number = reference.split()[0]
    return pdf.objects[int(number)]


def complete_structure(pdf: pydyf.PDF, document: Any, page_streams: list[Any]) -> None:
    """What WeasyPrint's structure tree lacks: figures' /Alt, header cells' /Scope, notes' /ID."""
    family: dict[Any, dict[str, Any]] = {}
    document.build_element_structure(family)
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    parent_tree = _object(pdf, root["ParentTree"])["Nums"]
    ids: set[str] = set()
    for page, stream in enumerate(page_streams):
        parents = parent_tree[2 * page + 1]
        for mcid, (tag, box) in enumerate(stream.marked):
            if box.element is None or parents[mcid] is None:
                continue
            element = _object(pdf, parents[mcid])
            if element.get("S") == "/LBody":  # WeasyPrint puts a list item's content one level down
                continue
            if tag == "Figure":
                element["Alt"] = pydyf.String(box.element.get("alt") or "")
            elif tag == "TH":
                scope = "/Column" if _in_head(box.element, family) else "/Row"
                element["A"] = pydyf.Dictionary({"O": "/Table", "Scope": scope})
            elif tag == "Note" and "ID" not in element:
                note_id = box.element.get("id") or f"note-{page}-{mcid}"
                while note_id in ids:  # a note split over two pages is two elements
                    note_id += "-continued"
                ids.add(note_id)
                element["ID"] = pydyf.String(note_id)


def _in_head(cell: Any, family: dict[Any, dict[str, Any]]) -> bool:
    """A header cell in the table's head labels its column; elsewhere, its row."""
    row = family.get(cell, {}).get("parent")
    group = family.get(row, {}).get("parent") if row is not None else None
    return group is not None and group.tag == "thead"


def accessible(
    pdf: pydyf.PDF, metadata: Any, document: Any, page_streams: list[Any], attachments: Any, compress: bool
) -> None:
    pdfua.pdfua(pdf, metadata, document, page_streams, attachments, compress)
    complete_structure(pdf, document, page_streams)


def archival_accessible(
    pdf: pydyf.PDF, metadata: Any, document: Any, page_streams: list[Any], attachments: Any, compress: bool
) -> None:
    """PDF/UA-1 tags, then PDF/A-3u's attachments and printable annotations, and one XMP naming both."""
    metadata.generate_rdf_metadata = both_identifications  # both variants write their XMP through it
    accessible(pdf, metadata, document, page_streams, attachments, compress)
    pdfa.pdfa(pdf, metadata, document, page_streams, attachments, compress, version=3, variant="U")


PDFAEXT = "http://www.aiim.org/pdfa/ns/extension/"
PDFASCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFAPROPERTY = "http://www.aiim.org/pdfa/ns/property#"


def both_identifications(metadata: Any, variant: str, version: int, conformance: str | None) -> bytes:
    """WeasyPrint's XMP for PDF/A-3u, plus pdfuaid:part 1 and the extension schema PDF/A asks for it."""
    for prefix, uri in (("pdfaExtension", PDFAEXT), ("pdfaSchema", PDFASCHEMA), ("pdfaProperty", PDFAPROPERTY)):
        ElementTree.register_namespace(prefix, uri)
    rdf = ElementTree.fromstring(generate_rdf_metadata(metadata, "a", 3, "U"))
    about = f"{{{NS['rdf']}}}about"
    ElementTree.SubElement(rdf, f"{{{NS['rdf']}}}Description", {about: "", f"{{{NS['pdfuaid']}}}part": "1"})
    extension = ElementTree.SubElement(rdf, f"{{{NS['rdf']}}}Description", {about: ""})
    schemas = ElementTree.SubElement(extension, f"{{{PDFAEXT}}}schemas")
    bag = ElementTree.SubElement(schemas, f"{{{NS['rdf']}}}Bag")
    schema = ElementTree.SubElement(bag, f"{{{NS['rdf']}}}li", {f"{{{NS['rdf']}}}parseType": "Resource"})
    for name, text in (
        ("schema", "PDF/UA identification schema"),
        ("namespaceURI", NS["pdfuaid"]),
        ("prefix", "pdfuaid"),
    ):
        ElementTree.SubElement(schema, f"{{{PDFASCHEMA}}}{name}").text = text
    properties = ElementTree.SubElement(schema, f"{{{PDFASCHEMA}}}property")
    seq = ElementTree.SubElement(properties, f"{{{NS['rdf']}}}Seq")
    part = ElementTree.SubElement(seq, f"{{{NS['rdf']}}}li", {f"{{{NS['rdf']}}}parseType": "Resource"})
    for name, text in (
        ("name", "part"),
        ("valueType", "Integer"),
        ("category", "internal"),
        ("description", "PDF/UA part"),
    ):
        ElementTree.SubElement(part, f"{{{PDFAPROPERTY}}}{name}").text = text
    return ElementTree.tostring(rdf, encoding="utf-8")


VARIANTS = {
    ACCESSIBLE: (accessible, {"mark": True}),
    ARCHIVAL: (archival_accessible, {"mark": True, "version": "1.7", "identifier": True, "srgb": True}),
}
weasyprint.pdf.VARIANTS.update(VARIANTS)
