"""Quote anchoring against the real sources: reflow, hyphenation, typography, ambiguity."""

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from briefgen.factbase.anchoring import AnchorError, anchor, normalise, normalise_lines
from briefgen.factbase.sources import Source, SourceText
from tests.conftest import REPO

TEXTS = REPO / "facts" / "texts"


def source_text(name: str, page_starts=(), body=None) -> SourceText:
    path = TEXTS / f"{name}.txt"
    source = Source(id=name, type="test", path=path, sha256="", page_starts=tuple(page_starts), body=body)
    return SourceText(source, (TEXTS / f"{name}.txt").read_text(encoding="utf-8"))


ISEAS = source_text("iseas-2017-23", [1, 36, 82, 126, 169, 220, 263])
ORF = source_text("orf-2013", body=(6, 42))  # as in facts/sources.yaml


def test_word_hyphenated_at_line_end_matches_joined():
    # The ISEAS text breaks "search-and-rescue" as "search-and" + "rescue" across a line.
    match = anchor(ISEAS.normal, "search-and-rescue, disaster relief, and humanitarian assistance")
    assert match.first_line == 139


def test_line_break_inside_quote_is_reflowed():
    quote = "Japan announced that it would provide Vietnam with six patrol boats"
    match = anchor(ISEAS.normal, quote)
    assert (match.first_line, match.last_line) == (160, 161)
    assert ISEAS.locator(match) == "p. 4"


def test_straight_quotes_match_curly_ones():
    curly = anchor(ISEAS.normal, "Vietnam’s request for Japan’s provision of patrol boats")
    straight = anchor(ISEAS.normal, "Vietnam's request for Japan's provision of patrol boats")
    assert curly == straight
    assert ISEAS.locator(curly) == "p. 6"


def test_paragraph_locator_for_web_text():
    match = anchor(ORF.normal, "approximately 90 percent of its supplies pass through the South China Sea")
    assert ORF.locator(match) == "para. 6"  # the 6th body paragraph: headings are not paragraphs


def test_quote_spanning_pages_gets_page_range():
    match = anchor(ISEAS.normal, "especially the Vietnam Coast 4 Guard and the newly established")
    assert ISEAS.locator(match) == "pp. 4–5"


def test_ambiguous_quote_is_an_error_unless_disambiguated():
    with pytest.raises(AnchorError, match="occurs 2 times"):
        anchor(ISEAS.normal, "strategic cooperation has")
    assert anchor(
        ISEAS.normal,
        "strategic cooperation has",
        prefix="Vietnam-Japan relations have long been driven by economic interests, but",
    )


def test_not_found_shows_closest_passage():
    with pytest.raises(AnchorError) as err:
        anchor(ISEAS.normal, "Japan announced that it would provide Vietnam with seven patrol boats")
    assert "not found" in str(err.value)
    assert "six patrol boats" in str(err.value)


def test_too_short_quote_is_refused():
    with pytest.raises(AnchorError, match="too short"):
        anchor(ISEAS.normal, "Japan")


def test_normalise_folds_typography():
    assert normalise("“Japan’s  role”\u00a0— big") == normalise('"Japan\'s role" - big')


WORD = re.compile(r"\S+")


def _reflow(words: list[str], breaks: list[int], hyphens: list[int]) -> str:
    """Rejoin words with line breaks at some gaps and re-hyphenate some long words across lines."""
    out = []
    for i, word in enumerate(words):
        if i in hyphens and len(word) > 5 and word.isalpha():
            word = word[:3] + "-\n" + word[3:]
        out.append(word)
        if i < len(words) - 1:
            out.append("\n" if i in breaks else " ")
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_reflowed_passage_anchors_to_its_place(data):
    words = list(WORD.finditer(ISEAS.raw[:16000]))
    start = data.draw(st.integers(0, len(words) - 40))
    length = data.draw(st.integers(8, 30))
    chosen = words[start : start + length]
    passage = [m.group() for m in chosen]
    breaks = data.draw(st.lists(st.integers(0, length), max_size=6))
    hyphens = data.draw(st.lists(st.integers(0, length), max_size=4))
    quote = _reflow(passage, breaks, hyphens)
    original = ISEAS.raw[chosen[0].start() : chosen[-1].end()]
    expected = ISEAS.normal.text.count(normalise(original))
    assume(expected == 1)  # a repeated passage is ambiguous by design; covered above
    match = anchor(ISEAS.normal, quote)
    assert match.first_line == ISEAS.raw.count("\n", 0, chosen[0].start()) + 1


def test_normalise_lines_keeps_line_offsets():
    text = "alpha beta\n\ngamma-\ndelta\n epsilon"
    normal = normalise_lines(text)
    assert normal.text == "alpha beta gammadelta epsilon"
    assert normal.line_at(normal.text.index("epsilon")) == 5
    assert normal.line_at(normal.text.index("gamma")) == 3
