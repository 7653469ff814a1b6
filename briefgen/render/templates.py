"""Render a selected brief through Jinja templates: strict, sandboxed, with fact text escaped."""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from briefgen import __version__
from briefgen.brief.analysis import source_descriptor, source_summary
from briefgen.brief.selection import Brief, Caption, Citation, Note, Sentence, Series
from briefgen.common.paths import SHIPPED_TEMPLATES
from briefgen.errors import TemplateError
from briefgen.factbase import cache
from briefgen.factbase.sources import Source
from briefgen.render import sandbox


class Safe(str):
    """Text already in the output format; the template prints it as it is."""


# Backslash-escape what Markdown (CommonMark and pandoc) would read as markup: emphasis, links,
# footnote calls, HTML, tables, code, math, citations and entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$@&{}#^])")
# What makes a block when text starts a line: a list item (`- `, `+ `, `1. `, `1) `, `A) `, `(i) `),
# a definition (`: `), a setext underline (`===`, `---`). `#`, `>`, `*` and `|` are escaped everywhere.
_MD_LEADING = re.compile(r"^[-+=:]")
_MD_ENUMERATOR = re.compile(r"^(\(?)(\d{1,9}|[A-Za-z]|[ivxlcdmIVXLCDM]+)([.)])(?=\s|$)")
# What GitHub and pandoc's GFM turn into links without any markup: `http://…`, `www.…`, and, for
# linkifiers that guess (markdown-it's linkify), any `name.tld`; escaping the ':' or '.' keeps the text.
_MD_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|file|ssh|git|irc|xmpp|tel)(:)")
_MD_DOMAIN_DOT = re.compile(r"\.(?<=[A-Za-z0-9-]\.)(?=(?:[A-Za-z0-9-]+\.)*[A-Za-z]{2,}\b)")  # a literal first: fast
_MD_SLASHES = re.compile(r"(?<![\w:/\\])//(?=\w)")


def md_escape(text: str) -> str:
    """Escape fact text so that it prints literally in Markdown: no markup, no block, no link of its own."""
    text = str(text)
    if text.isdigit():  # a note's number, a year: nothing to escape (isdigit is False for "")
        return text
    if len(text) <= MEMO_LENGTH:  # names, titles, figures: the same few hundred, escaped once
        return _md_escape_short(text)
    return _md_escape(text)


MEMO_LENGTH = 100  # texts up to this long are remembered once escaped; a brief's quotes are longer and unique


def _md_escape(text: str) -> str:
    if not text.strip():
        return text  # the spaces a template puts between sentences
    text = " ".join(text.split())
    # Callables, not templates with backslashes: re expands a template on every call, matched or not
    # (a third of the escaping of a 60,000-note brief).
    escaped = _MD_SPECIAL.sub(_backslashed, text)
    if ":" in escaped:
        escaped = _MD_SCHEME.sub(r"\1\\\2", escaped)
    escaped = _MD_DOMAIN_DOT.sub(_backslashed, escaped)
    if "//" in escaped:
        escaped = _MD_SLASHES.sub(r"\\//", escaped)
    enumerator = _MD_ENUMERATOR.match(escaped)  # both patterns start with ^: a match, not a search
    if enumerator:
        escaped = _escape_enumerator(enumerator) + escaped[enumerator.end() :]
    return "\\" + escaped if escaped[0] in "-+=:" else escaped


_md_escape_short = functools.lru_cache(maxsize=65536)(_md_escape)


def _backslashed(m: re.Match[str]) -> str:
    return "\\" + m[0]


def _escape_enumerator(m: re.Match[str]) -> str:
    # pandoc reads a capital letter and a period followed by one space as an initial ("A. Author"), not a list.
    if not m[1] and m[3] == "." and len(m[2]) == 1 and m[2].isupper():
        return m[0]
    return ("\\(" if m[1] else "") + m[2] + "\\" + m[3]


@dataclass(frozen=True)
class Style:
    """How one output format escapes text and sets titles in italics."""

    escape: Callable[[str], str]
    italic: Callable[[str], str]


MD = Style(md_escape, lambda text: f"*{text}*")


def html_escape(text: str) -> str:
    """Escape fact text for HTML; white space folds, except the spaces a template puts between sentences."""
    text = str(text)
    return str(markupsafe.escape(text if not text.strip() else " ".join(text.split())))


HTML = Style(html_escape, lambda text: f"<i>{text}</i>")


def _imprint(source: Source, style: Style) -> str:
    place_publisher = ": ".join(style.escape(x) for x in (source.place, source.publisher) if x)
    date = source.published.text() if source.published else "undated"
    return f"{place_publisher}, {date}" if place_publisher else date


def _title(source: Source, style: Style) -> str:
    if source.title:
        series = f", {style.escape(source.series)}" if source.series else ""
        return style.italic(style.escape(source.title)) + series
    return style.italic(style.escape(source.series or source.id))


def _reference(c: Citation, style: Style) -> str:
    """Full reference the first time a source is cited, a short one after; always the locator."""
    s = c.source
    if not c.first:
        return f"{style.escape(s.short_name)}, {style.italic(style.escape(s.short_title))}, {c.locator}"
    author = f"{style.escape(s.author)}, " if s.author else ""
    return f"{author}{_title(s, style)} ({_imprint(s, style)}), {c.locator}"


def _quoted(quote: str, style: Style) -> str:
    text = " ".join(quote.split())
    return f"“{style.escape(text)}”" + ("" if text.endswith((".", "!", "?")) else ".")


def note_text(note: Note, style: Style) -> str:
    """A note: each citation with its locator and the verbatim quote that supports the sentence."""
    cited = [f"{_reference(c, style)}: {_quoted(c.quote, style)}" for c in note.citations]
    return "; ".join(cited) + corroboration(note) + date_basis_text(note, style)


def date_basis_text(note: Note, style: Style) -> str:
    """Where a sentence's plain date came from: the quote's relative phrase and the date it is read against."""
    basis = note.fact.date_basis
    if basis is None or not note.corroborating or not note.citations:
        return ""
    against = basis.against or note.citations[0].source.published
    if against is None:
        return ""
    text = f" The source, dated {against.text()}, says “{style.escape(basis.phrase)}”."
    if basis.doubt:
        text += f" That date is uncertain: {style.escape(basis.doubt.rstrip('.'))}."
    return text


_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def corroboration(note: Note) -> str:
    """What the note's several passages amount to: distinct sources, or passages of one source.

    A chart's note cites the values it draws, which are not one claim, so it says nothing of the kind.
    """
    if not note.corroborating or len(note.citations) < 2:
        return ""
    sources = note.independent_sources
    if sources > 1:
        return f" Corroborated by {_COUNTS.get(sources, str(sources))} sources."
    return f" {_COUNTS.get(len(note.citations), str(len(note.citations))).capitalize()} passages of one source."


def source_entry(source: Source, style: Style) -> str:
    """One entry of the sources section."""
    author = f"{style.escape(source.author)}. " if source.author else ""
    return f"{author}{_title(source, style)}. {_imprint(source, style)}."


def md_cite(sentence: Sentence) -> Safe:
    return Safe(f"{md_escape(sentence.text)}[^{sentence.note.number}]")


def html_call(sentence: Sentence) -> Safe:
    """The footnote of a sentence: an anchor at the call and the note, which WeasyPrint floats to the foot."""
    n = sentence.note.number
    note = note_text(sentence.note, HTML)
    return Safe(f'<a class="call" id="call-{n}"></a><span class="footnote" id="note-{n}">{note}</span>')


def html_cite(sentence: Sentence) -> Safe:
    return Safe(HTML.escape(sentence.text) + html_call(sentence))


def web_url(url: str | None) -> str | None:
    """A source's URL if it is a web address a reader may follow; anything else (javascript:, data:) stays text."""
    return url if url and re.match(r"(?i)https?://[^\s\"'<>]+$", url) else None


def verbatim(text: str) -> Safe:
    """A source passage as written: escaped for HTML, its line breaks kept (the page shows them)."""
    return Safe(str(markupsafe.escape(str(text))))


def web_svg(series: Series) -> Safe:
    """A chart as inline SVG, named by its text alternative (the picture itself is read as one image)."""
    from briefgen.render.charts import series_svg

    svg = series_svg(series)
    svg = svg[svg.index("<svg") :]  # no XML declaration or DOCTYPE inside an HTML page
    label = markupsafe.escape(chart_alt(series))
    width, height = re.search(r'width="(\d+)" height="(\d+)"', svg).groups()  # type: ignore[union-attr]
    opening = f'<svg role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
    return Safe(svg.replace("<svg ", opening, 1))


def _where_cited(c: Citation) -> str:
    return html_escape(f"{c.source.short_name}, {c.locator}")


@dataclass(frozen=True)
class WebNotes:
    """The notes of an HTML brief: each with links to the passages of its citations."""

    passages: Any  # briefgen.render.passages.Passages: imported with the HTML format only

    def links(self, note: Note) -> str:
        """A link per citation to its passage; a citation whose passage was not found says so (the check fails)."""
        numbers = self.passages.of_note.get(note.number, ())
        links = [
            f'<a class="open" href="#passage-{k}">Passage in context: {_where_cited(c)}</a>'
            if k
            else '<span class="missing">passage not found</span>'
            for c, k in zip(note.citations, numbers, strict=False)
        ]
        return " ".join(links)

    def body(self, note: Note) -> Safe:
        """The note as the notes list shows it: reference, locator, quote, then the passage links."""
        return Safe(f"{note_text(note, HTML)} {self.links(note)}")

    def call(self, sentence: Sentence | Caption) -> Safe:
        """A note call; its popover (shown on hover or focus) repeats the note with its passage links."""
        n = sentence.note.number
        return Safe(
            f'<span class="cite"><a class="call" id="call-{n}" href="#note-{n}" aria-describedby="pop-{n}">'
            f'<span class="visually-hidden">Note </span>{n}</a>'
            f'<span class="pop" id="pop-{n}">{n}. {self.body(sentence.note)}</span></span>'
        )

    def cite(self, sentence: Sentence | Caption) -> Safe:
        return Safe(HTML.escape(sentence.text) + self.call(sentence))

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "cite": expects("cite", SENTENCE)(self.cite),
            "call": expects("call", SENTENCE)(self.call),
            "note": expects("note", Note)(self.body),
            "cited_in": expects("cited_in", int)(self.passages.notes_citing),
        }


def expects(what: str, *kinds: type | tuple[type, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A filter or global that refuses, as a template error, arguments it was not made for."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        def checked(*args: Any) -> Any:
            for value, kind in zip(args, kinds, strict=False):
                if not isinstance(value, kind):
                    wanted = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
                    raise jinja2.TemplateRuntimeError(f"'{what}' needs a {wanted}, not a {type(value).__name__}")
            return func(*args)

        return checked

    return wrap


SENTENCE = (Sentence, Caption)
FORMATS: dict[str, dict[str, Any]] = {
    "md": {
        "suffix": ".md.j2",
        "escape": MD.escape,
        "filters": {
            "cite": expects("cite", SENTENCE)(md_cite),
            "note": expects("note", Note)(lambda note: Safe(note_text(note, MD))),
            "reference": expects("reference", Source)(lambda source: Safe(source_entry(source, MD))),
        },
    },
    "html": {
        "suffix": ".html.j2",
        "escape": HTML.escape,
        "filters": {
            "chart_uri": expects("chart_uri", Series)(lambda series: Safe(svg_data_uri(series))),
            "chart_alt": expects("chart_alt", Series)(lambda series: chart_alt(series)),  # plain text, escaped
            "cite": expects("cite", SENTENCE)(html_cite),
            "call": expects("call", SENTENCE)(html_call),
            "reference": expects("reference", Source)(lambda source: Safe(source_entry(source, HTML))),
        },
    },
    # The HTML brief read in a browser; its note filters (cite, call, note) come with its passages.
    "web": {
        "suffix": ".page.html.j2",
        "escape": HTML.escape,
        "filters": {
            "chart_svg": expects("chart_svg", Series)(web_svg),
            "chart_alt": expects("chart_alt", Series)(lambda series: chart_alt(series)),
            "reference": expects("reference", Source)(lambda source: Safe(source_entry(source, HTML))),
            "verbatim": expects("verbatim", str)(verbatim),
            "web_url": expects("web_url", Source)(lambda source: web_url(source.url)),
        },
    },
}


def brief_source_summary(brief: Brief) -> str:
    counts = [s.note.independent_sources for s in brief.sentences]
    return source_summary(list(brief.sources), counts, brief.disputed_measures)


def svg_data_uri(series: Any) -> str:
    from briefgen.render.charts import svg_data_uri as uri

    return uri(series)


def chart_alt(series: Any) -> str:
    from briefgen.render.charts import chart_alt as alt

    return alt(series)


def figure_name(audience: str, number: int, pages: int | None = None) -> str:
    from briefgen.render.charts import figure_name as name

    return name(audience, number, pages)


PRINTABLE = (str, int, float, datetime.date, jinja2.Undefined)


def _finalize(escape: Callable[[str], str]) -> Callable[[Any], Any]:
    def finalize(value: Any) -> Any:
        if isinstance(value, Safe) or value is None:
            return value if value is not None else ""
        if not isinstance(value, PRINTABLE):
            # A record's printed form is Python's, not the brief's, and would show file paths.
            kind = type(value).__name__
            raise jinja2.TemplateRuntimeError(f"a template prints text, numbers and dates, not a {kind}")
        return escape(str(value))

    return finalize


def make_environment(
    user_templates: Path | None, fmt: str, filters: dict[str, Callable[..., Any]] | None = None
) -> sandbox.BriefSandbox:
    """A strict, sandboxed environment: user templates first, shipped ones behind, '!default/' for extending."""
    shipped = jinja2.FileSystemLoader(str(SHIPPED_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if user_templates and user_templates.is_dir() and user_templates.resolve() != SHIPPED_TEMPLATES.resolve():
        loaders.append(sandbox.ContainedLoader(str(user_templates)))
    loaders += [jinja2.PrefixLoader({"!default": shipped}), shipped]
    spec = FORMATS[fmt]
    env = sandbox.BriefSandbox(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize(spec["escape"]),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=cache.template_cache(),
    )
    env.filters.update(spec["filters"])
    env.filters.update(filters or {})
    env.globals.update(
        source_descriptor=expects("source_descriptor", Source, datetime.date)(source_descriptor),
        source_summary=expects("source_summary", Brief)(brief_source_summary),
        figure_name=expects("figure_name", Brief, Series)(
            # briefgen's own file name, a link target: nothing to escape
            lambda brief, series: Safe(
                figure_name(brief.audience.name, series.figure, brief.length.pages if brief.length else None)
            )
        ),
    )
    env.filters["raw"] = lambda v: Safe(v)
    env.filters["yamlstr"] = lambda v: Safe(json.dumps(str(v), ensure_ascii=False))
    env.finish_filters()
    return env


def render(
    brief: Brief,
    fmt: str,
    user_templates: Path | None,
    extra: dict[str, Any] | None = None,
    filters: dict[str, Callable[..., Any]] | None = None,
) -> str:
    """Render the brief in the given format.

    A template's own error (Jinja's, the sandbox's, or one raised by its expressions, such as `1/0`)
    becomes a TemplateError naming the template and line; briefgen's own bugs keep their traceback.
    """
    env = make_environment(user_templates, fmt, filters)
    name = brief.audience.template + FORMATS[fmt]["suffix"]
    context = {"brief": brief, "version": __version__, **(extra or {})}
    try:
        return env.render(env.get_template(name), context, sandbox.RENDER_SECONDS)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template '{exc.name}' not found in {user_templates} or the shipped templates") from None
    except jinja2.TemplateError as exc:  # undefined names, the sandbox's refusals and limits
        raise TemplateError(f"{_where(exc, name, user_templates)}: {exc}") from None
    except RecursionError as exc:
        if not raised_by_template(exc):
            raise
        message = (
            "nested too deep (a template that includes or extends itself, or an expression in thousands of brackets?)"
        )
        raise TemplateError(f"{_where(exc, name, user_templates)}: {message}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, MemoryError) as exc:
        if not raised_by_template(exc):
            raise  # a bug in briefgen: keep the traceback
        raise TemplateError(f"{_where(exc, name, user_templates)}: {type(exc).__name__}: {exc}") from None


_JINJA_CODE = (str(Path(jinja2.__file__).parent), str(Path(markupsafe.__file__).parent), sandbox.__file__)


def _template_frame(frame: Any) -> bool:
    """A frame of template code (Jinja rewrites these to the template's file and line)."""
    return "__jinja_exception__" in frame.f_globals or "__jinja_template__" in frame.f_globals


def _frames(exc: BaseException) -> list[Any]:
    found = []
    tb = exc.__traceback__
    while tb is not None:
        found.append(tb)
        tb = tb.tb_next
    return found


def raised_by_template(exc: BaseException) -> bool:
    """Whether exc comes from a template: its own expression, or Jinja reading it, not briefgen's code.

    The innermost frame behind exc that is not Jinja's or the sandbox's decides: a template's code,
    or `render` itself (Jinja parsing or compiling a template), make it the template's error.
    """
    for tb in reversed(_frames(exc)):
        frame = tb.tb_frame
        if _template_frame(frame) or frame.f_code is render.__code__:
            return True
        if not frame.f_code.co_filename.startswith(_JINJA_CODE):
            return False  # briefgen's code (a filter, a record's property) raised it
    return False


def _where(exc: BaseException, top: str, user_templates: Path | None) -> str:
    """`template:line` of the innermost template frame behind exc, the template named as its loader knows it."""
    for tb in reversed(_frames(exc)):
        if _template_frame(tb.tb_frame):
            return f"{_template_name(tb.tb_frame.f_code.co_filename, user_templates)}:{tb.tb_lineno}"
    return top  # raised outside any template's code: the brief as a whole is over a limit


def _template_name(filename: str, user_templates: Path | None) -> str:
    path = Path(filename)
    for root, prefix in ((user_templates, ""), (SHIPPED_TEMPLATES, "!default/")):
        if root is not None and path.is_relative_to(root):
            return prefix + path.relative_to(root).as_posix()
    return filename
