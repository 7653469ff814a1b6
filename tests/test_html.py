"""The HTML brief (`--format html`): self-contained, escaped, checked before writing, in step with Markdown.

What only a browser can tell (notes opening, passage links landing, accessibility) is in test_browser.py.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest
import yaml

from briefgen.factbase.anchoring import normalise, normalise_lines
from briefgen.render.passages import written_offsets
from briefgen.render.verification import _body_blocks
from tests.conftest import REPO, append_fact, outputs, rehash, run
from tests.test_build_markdown import HOSTILE

AUDIENCES = ("defence", "economic", "historical")


def build(base, out, *args):
    result = run("--facts", base, "build", "--output", out, *args)
    assert result.exit_code == 0, result.stderr
    return result


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text by element id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def elements(page: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(page)
    return parser.tags


def test_html_builds_for_every_audience_and_rebuilds_byte_identical(base, tmp_path):
    build(base, tmp_path / "a", "--all", "-f", "html")
    build(base, tmp_path / "b", "--all", "-f", "html", "--force")
    pages = outputs(tmp_path / "a", "*-brief.html", 3)
    for page in pages:
        assert page.read_bytes() == (tmp_path / "b" / page.name).read_bytes()
        text = page.read_text(encoding="utf-8")
        assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
        assert text.count("<mark>") >= 1 and 'class="call"' in text


def test_the_project_briefs_are_self_contained(tmp_path):
    """No element or style in the page fetches anything: no src but data:, no <link>, no url(), a CSP that forbids it."""
    build(REPO / "facts", tmp_path / "out", "--all", "-f", "html")
    for page in outputs(tmp_path / "out", "*-brief.html", 3):
        text = page.read_text(encoding="utf-8")
        assert "default-src 'none'" in text
        assert "url(" not in text.split("</style>")[0] and "@import" not in text
        tags = elements(text)
        assert not [t for t, _a in tags if t in ("link", "iframe", "object", "embed", "img", "base")]
        assert [a for t, a in tags if t == "script"] == [{}]  # one inline script, its digest in the policy
        assert not [a for _t, a in tags if "src" in a or "srcset" in a]
        assert all(a["href"].startswith(("#", "https://", "http://")) for t, a in tags if t == "a")
        assert [t for t, _a in tags].count("svg") == text.count('<figure class="chart">')


def test_the_pages_parse_as_html5_without_a_single_parse_error(tmp_path):
    """The HTML5 parsing algorithm (tinyhtml5, WeasyPrint's parser) reports no error: no stray or unclosed tag."""
    from tinyhtml5.parser import HTMLParser as Html5Parser

    build(REPO / "facts", tmp_path / "out", "--all", "-f", "html")
    for page in outputs(tmp_path / "out", "*-brief.html", 3):
        parser = Html5Parser()
        parser.parse(page.read_text(encoding="utf-8"))
        assert parser.errors == [], page.name
    broken = Html5Parser()
    broken.parse("<!DOCTYPE html><p>a</div>")
    assert broken.errors  # the parser does report errors


def test_html_and_markdown_agree_on_every_sentence_and_note(tmp_path):
    build(REPO / "facts", tmp_path / "out", "--all", "-f", "md", "-f", "html")
    for name in AUDIENCES:
        md = (tmp_path / "out" / f"{name}-brief.md").read_text(encoding="utf-8")
        page = (tmp_path / "out" / f"{name}-brief.html").read_text(encoding="utf-8")
        md_sentences, (html_sentences, html_rows) = markdown_sentences(md), html_called_sentences(page)
        assert len(html_sentences) > 20 and set(md_sentences) == set(html_sentences) | html_rows
        assert {n: md_sentences[n] for n in html_sentences} == html_sentences
        md_quotes, html_quotes = markdown_note_quotes(md), html_note_quotes(page)
        assert len(md_quotes) > 20 and md_quotes == html_quotes


def markdown_sentences(md: str) -> dict[int, str]:
    """The sentence each note call ends, by note number, with Markdown's escapes undone."""
    from briefgen.common.sentences import split_sentences

    found = {}
    for block in _body_blocks(md):
        cell = re.sub(r"^\|?(.*?)\|?$", r"\1", block.strip()).split(" | ")[-1] if block.startswith("|") else ""
        for sentence in [cell] if cell else split_sentences(block):
            call = re.search(r"\[\^(\d+)\]$", sentence.strip())
            if call:
                text = re.sub(r"\\(.)", r"\1", sentence.strip()[: call.start()])
                found[int(call[1])] = " ".join(text.split())
    return found


def html_called_sentences(page: str) -> tuple[dict[int, str], set[int]]:
    """The sentence each note call ends, and the notes called from table rows."""
    from briefgen.common.sentences import split_sentences
    from briefgen.render.html_verification import _Reader

    reader = _Reader()
    reader.feed(page)
    found, rows = {}, set()
    for block in reader.done:
        if block.tag == "tr":
            rows |= {int(n) for n in re.findall(r"\[\^(\d+)\]", "".join(block.text))}
            continue
        for sentence in split_sentences(" ".join("".join(block.text).split())):
            call = re.search(r"\[\^(\d+)\]$", sentence.strip())
            if call:
                found[int(call[1])] = sentence.strip()[: call.start()].strip()
    return found, rows


def markdown_note_quotes(md: str) -> dict[int, list[str]]:
    notes = re.findall(r"^\[\^(\d+)\]: (.*)$", md, re.M)
    return {int(n): [normalise(re.sub(r"\\(.)", r"\1", q)) for q in re.findall("“(.*?)”", text)] for n, text in notes}


def html_note_quotes(page: str) -> dict[int, list[str]]:
    import html

    notes = re.findall(r'<li id="note-(\d+)">(.*?)</li>', page)
    return {int(n): [normalise(html.unescape(q)) for q in re.findall("“(.*?)”", text)] for n, text in notes}


def test_hostile_fact_and_source_text_cannot_inject_markup(base, tmp_path):
    """docs/hostile-input.md's strings, in a statement, source metadata and the source text a passage shows."""
    append_fact(base, HOSTILE)
    script = '<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)></style>'
    news = base / "texts" / "news.txt"
    # A source text with tags is refused by `check`; what it may hold must still print as text.
    loose = "Fish & chips <3, a &lt;b&gt; entity and 5 > 4."
    news.write_text(news.read_text(encoding="utf-8").replace("Since 1992", f"{loose}\nSince 1992"), encoding="utf-8")
    rehash(base, "news")
    registry = yaml.safe_load((base / "sources.yaml").read_text(encoding="utf-8"))
    for source in registry:
        source["url"] = "javascript:alert(4)" if source["id"] == "news" else "https://example.org/a?b=1&c=<x>"
        source["publisher"] = f"{source['publisher']} {script}"
    (base / "sources.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    build(base, tmp_path / "out", "--all", "-f", "html")
    for page in outputs(tmp_path / "out", "*-brief.html", 3):
        text = page.read_text(encoding="utf-8")
        tags = elements(text)
        assert not [t for t, _a in tags if t in ("img", "b")] and [t for t, _a in tags].count("script") == 1
        assert [t for t, _a in tags].count("svg") == text.count('<figure class="chart">')
        assert not [(t, k) for t, a in tags for k in a if k.startswith("on")]
        assert "javascript:" not in "".join(a.get("href", "") for _t, a in tags)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    economic = (tmp_path / "out" / "economic-brief.html").read_text(encoding="utf-8")
    assert "Fish &amp; chips &lt;3, a &amp;lt;b&amp;gt; entity and 5 &gt; 4.\n<mark>Since" in economic
    assert "&lt;img src=x onerror=alert(2)&gt;&#34;&gt;&lt;svg onload=alert(3)&gt;&lt;/style&gt;" in economic
    historical = (tmp_path / "out" / "historical-brief.html").read_text(encoding="utf-8")
    assert "*this* [^n] &lt;b&gt;bold&lt;/b&gt; | pipe" in historical and "{{ self }}" in historical


def test_self_check_refuses_a_sentence_without_its_note(base, tmp_path):
    out = tmp_path / "out"
    build(base, out, "-a", "defence", "-f", "html")
    before = (out / "defence-brief.html").read_bytes()
    templates = tmp_path / "mytemplates"
    templates.mkdir()
    (templates / "brief.page.html.j2").write_text(
        '{% extends "!default/brief.page.html.j2" %}{% block key_points %}<ul>'
        "{% for s in brief.key_points %}<li>{{ s.text }}</li>{% endfor %}</ul>{% endblock %}",
        encoding="utf-8",
    )
    result = run("--facts", base, "--templates", templates, "build", "-o", out, "-a", "defence", "-f", "html")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "defence-brief.html fails its own checks; nothing written" in result.stderr
    assert "sentence without a note" in result.stderr and "note call" not in result.stderr
    assert "is never called" in result.stderr
    assert (out / "defence-brief.html").read_bytes() == before


@pytest.fixture(scope="module")
def defence(tmp_path_factory):
    """The project's defence brief, its page and its Brief, for the self-check's own tests."""
    import datetime

    from briefgen.brief.audiences import load_audience
    from briefgen.brief.selection import select
    from briefgen.check.gate import load_checked
    from briefgen.factbase.metrics import metric_labels
    from briefgen.render.passages import brief_passages
    from briefgen.render.templates import WebNotes, render

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        prepared = datetime.date(2026, 1, 1)
        base, _warnings = load_checked(REPO / "facts", 10.0, prepared, None)
        brief = select(base, load_audience("defence", None), prepared, metric_labels(REPO / "facts"))
        passages = brief_passages(brief, base)
        page = render(brief, "web", None, {"passages": passages.items, "marking": None}, WebNotes(passages).filters())
    return page, brief, passages


def test_self_check_passes_the_defence_brief_and_every_mark_is_its_quote(defence):
    from briefgen.render.html_verification import verify_html

    page, brief, passages = defence
    assert verify_html(page, brief) == []
    assert len(passages.items) > 100
    for note in brief.notes:
        for citation, number in zip(note.citations, passages.of_note[note.number], strict=True):
            assert number > 0
            assert normalise(passages.items[number - 1].marked) == normalise(citation.quote)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p.replace("<mark>", "<mark>Not the quote ", 1), "passage-1 highlights"),
        (lambda p: p.replace("</mark>", "</mark><mark>x</mark>", 1), "passage-1 has 2 highlighted quotes"),
        (lambda p: p.replace('href="#passage-2"', 'href="#passage-99999"', 1), "lands nowhere"),
        (lambda p: p.replace('id="note-3"', 'id="note-3x"', 1), "note call 3 has no note"),
        (lambda p: p.replace("<main", '<img src="https://example.org/x.png"><main', 1), "from elsewhere: <img>"),
        (lambda p: p.replace("</style>", "p{background:url(https://example.org/x)}</style>", 1), "style sheet loads"),
        (
            lambda p: p.replace('<h2 id="key-points">', '<p>An uncited claim.</p><h2 id="key-points">', 1),
            "sentence without",
        ),
        (lambda p: p.replace('id="pop-1"', 'id="call-2"', 1), 'id "call-2" is used more than once'),
        (lambda p: re.sub(r'<li id="note-4">.*?</li>', "", p, count=1), "note 4 of the brief is missing"),
        (lambda p: p.replace("default-src 'none'", "default-src *", 1), "no Content-Security-Policy"),
        (lambda p: p.replace('"Escape"', '"Esc"', 1), "a script the page's Content-Security-Policy does not allow"),
        (lambda p: p.replace("<main", '<script src="https://example.org/x.js"></script><main', 1), 'src="https://'),
    ],
)
def test_self_check_catches_each_kind_of_breakage(defence, change, expected):
    from briefgen.render.html_verification import verify_html

    page, brief, _passages = defence
    problems = verify_html(change(page), brief)
    assert any(expected in p for p in problems), problems


TRICKY = (
    "Title line\n\n"
    "The  partner\u00a0ship is “strategic” — said the inter-\n"
    "national report in 2014–2015, and Cafe\u0301 owners\u200b agreed.\n"
    "   Indented line with\ttabs\tand trailing spaces   \n\n"
    "A last para-\ngraph – with a dash.\n"
)


@pytest.mark.parametrize(
    "quote",
    [
        'The partner ship is "strategic" said the international report',
        "report in 20142015, and Café owners agreed. Indented line",
        "Indented line with tabs and trailing spaces A last paragraph",
        "paragraph  with a dash.",
    ],
)
def test_normalised_offsets_map_back_to_the_text_as_written(quote):
    written = unicodedata.normalize("NFC", TRICKY)
    rebuilt, where = written_offsets(written)
    assert rebuilt == normalise_lines(TRICKY).text
    needle = normalise(quote)
    start = rebuilt.index(needle)
    marked = written[where[start] : where[start + len(needle) - 1] + 1]
    assert normalise(marked) == needle
    assert marked[0] == needle[0] and marked[-1] == needle[-1]


@pytest.mark.slow
def test_md_pdf_and_html_of_one_run_agree_on_every_sentence_and_note_number(base, tmp_path):
    """One build in all three formats: the HTML's sentences and quotes are the Markdown's, note by note,
    and the PDF holds exactly the HTML's note numbers, each note's quote on its pages (a PDF render: slow)."""
    from tests.test_pdf import note_pages

    build(base, tmp_path / "out", "-a", "economic", "-f", "md", "-f", "pdf", "-f", "html")
    md = (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8")
    page = (tmp_path / "out" / "economic-brief.html").read_text(encoding="utf-8")
    sentences, rows = html_called_sentences(page)
    assert sentences and {n: markdown_sentences(md)[n] for n in sentences} == sentences
    quotes = html_note_quotes(page)
    assert quotes == markdown_note_quotes(md) and len(quotes) == len(sentences) + len(rows)
    reader, dests = note_pages(tmp_path / "out" / "economic-brief.pdf")
    assert sorted(int(n[5:]) for n in dests if n.startswith("call-")) == sorted(quotes)
    text = normalise(" ".join(p.extract_text() for p in reader.pages))
    for number, note_quotes in quotes.items():
        assert all(q[:40] in text for q in note_quotes), f"note {number}"
