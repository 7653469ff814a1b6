"""'para. N' counts body paragraphs as a reader sees them (docs/schema.md, Locators); values counted by hand."""

from __future__ import annotations

import pytest

from briefgen.factbase.anchoring import anchor
from briefgen.factbase.paragraphs import paragraph_numbers
from briefgen.factbase.sources import SourceText, load_sources, read_source_text
from tests.conftest import REPO


def _texts() -> dict[str, SourceText]:
    sources, problems = load_sources(REPO / "facts")
    assert not problems
    texts = {}
    for sid, source in sources.items():
        text, found = read_source_text(source, REPO / "facts")
        assert text is not None and not found
        texts[sid] = text
    return texts


TEXTS = _texts()


@pytest.mark.parametrize(
    ("source", "quote", "locator"),
    [
        # The example: the 19th non-blank line of the page is its 11th body paragraph.
        ("vietcetera-2021", "The visit sealed an agreement enabling exports", "para. 11"),
        ("vietcetera-2021", "In 1986, when Vietnam launched the Doi Moi policy", "para. 1"),
        # After the heading "Sealed partnership with Japan", which is not a paragraph.
        ("vietcetera-2021", "During the weekend, as part of his first overseas trip", "para. 10"),
        # Khmer Times: one line per paragraph, three headings ("Vietnam Diversifies Its Ties", ...).
        ("khmer-times-2015", "Vietnam and Japan have convergent strategic interests", "para. 2"),
        ("khmer-times-2015", "As of April, Japan is the second largest investor", "para. 13"),
        ("khmer-times-2015", "In 2014, Japan granted Vietnam six patrol boats", "para. 17"),
        # Parameswaran: the byline and date are not counted, nor the image credit inside the body.
        ("parameswaran-2018", "This week, Vietnam's defense minister embarked on a trip", "para. 1"),
        ("parameswaran-2018", "Lich and Onodera also discussed regional issues", "para. 7"),
        # ORF: headings between paragraphs; the abstract above the body; numbered endnotes below it.
        ("orf-2013", "Conducted as a part of activities to mark the 40th anniversary", "para. 1"),
        ("orf-2013", "In the face of an increasingly confrontational China", "para. 15"),
        ("orf-2013", "The article argues that military ties have an enormous scope", "front matter"),
        ("orf-2013", "Last year Russia concluded an agreement to supply Vietnam", "n. 12"),
        # The ISEAS paper is paginated: pages, not paragraphs.
        ("iseas-2017-23", "Japan announced that it would provide Vietnam with six patrol boats", "p. 4"),
    ],
)
def test_locators_of_the_five_sources(source: str, quote: str, locator: str):
    text = TEXTS[source]
    assert text.locator(anchor(text.normal, quote)) == locator


def test_hard_line_break_inside_a_sentence_does_not_split_the_paragraph():
    # ORF, lines 20-21: "... Following the accident," / "Japanese imports of petroleum products climbed 33.7%".
    text = TEXTS["orf-2013"]
    match = anchor(text.normal, "Following the accident, Japanese imports of petroleum products climbed 33.7%")
    assert (match.first_line, match.last_line) == (20, 21)
    assert text.locator(match) == "para. 6"
    later = anchor(text.normal, "Japan is also mindful of the possibility")
    assert text.locator(later) == "para. 7"


def test_paragraph_rule_on_a_small_page():
    lines = [
        "Title of the Page",  # before the body
        "By A. Writer",
        "First paragraph, wrapped by hand",
        "in the middle of its sentence.",
        "",
        "A Heading",
        "Second paragraph ends here.",
        "Photo: somebody",
        "Third paragraph, one line.",
        "Leave a Reply",  # after the body
    ]
    assert paragraph_numbers(lines, (3, 9)) == [0, 0, 1, 1, 0, 0, 2, 0, 3, -1]


def test_markdown_heading_is_not_a_paragraph_even_when_long():
    lines = ["## A long heading that ends with a full stop and has many words in it.", "Body text."]
    assert paragraph_numbers(lines, None) == [0, 1]


def test_paragraphs_counted_once_in_one_search_and_never_for_a_paginated_source(monkeypatch):
    """A prose source's paragraph numbers are made once, with one search of its text for sentence
    ends (not one per line); a paginated source's locators are pages and never make them."""
    import dataclasses

    from briefgen.factbase import codec, paragraphs

    searches = []
    real = paragraphs._LINE_ENDS_SENTENCE

    class Counting:
        def finditer(self, text: str):  # type: ignore[no-untyped-def]
            searches.append(len(text))
            return real.finditer(text)

    monkeypatch.setattr(paragraphs, "_LINE_ENDS_SENTENCE", Counting())
    monkeypatch.setattr(paragraphs, "ends_sentence", lambda line: pytest.fail("searched line by line"))
    prose = TEXTS["khmer-times-2015"]
    text = SourceText(prose.source, prose.raw, prose.sha256)
    assert searches == [len(prose.raw)]
    assert text.locator(anchor(text.normal, "As of April, Japan is the second largest investor")) == "para. 13"
    assert searches == [len(prose.raw)]

    paged = SourceText(dataclasses.replace(prose.source, page_starts=(1, 20)), prose.raw, prose.sha256)
    assert text.locator(anchor(paged.normal, "As of April, Japan is the second largest investor")) == "para. 13"
    assert paged.locator(anchor(paged.normal, "As of April, Japan is the second largest investor")).startswith("p")
    assert searches == [len(prose.raw)] and paged._paragraph_of_line is None
    # Stored without them; read back, a text whose source lost its pages makes them when asked.
    entry = codec.encode_text(paged)
    assert entry[-1] == []
    again = codec.decode_text(entry, {prose.source.id: prose.source})
    assert again.locator(anchor(again.normal, "As of April, Japan is the second largest investor")) == "para. 13"
    assert len(searches) == 2
