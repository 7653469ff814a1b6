"""Render a selected brief through Jinja templates: strict, sandboxed, with fact text escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jinja2.sandbox import SandboxedEnvironment

from briefgen import __version__
from briefgen.brief.analysis import source_descriptor, source_summary
from briefgen.brief.selection import Brief, Citation, Note, Sentence
from briefgen.common.paths import SHIPPED_TEMPLATES
from briefgen.errors import TemplateError
from briefgen.factbase import cache
from briefgen.factbase.sources import Source


class Safe(str):
    """Text already in the output format; the template prints it as it is."""


# Backslash-escape what Markdown (CommonMark and pandoc) would read as markup: emphasis, links,
# footnote calls, HTML, tables, code, math, citations and entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$@&{}#^])")


def md_escape(text: str) -> str:
    """Escape fact text so that it prints literally in Markdown."""
    if not str(text).strip():
        return str(text)  # the spaces a template puts between sentences
    text = " ".join(str(text).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    # A line that starts with a number and a dot, a dash or a plus would become a list item.
    return re.sub(r"^(\d+)\.(\s)", r"\1\\.\2", escaped).lstrip()


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
    tail = f" Corroborated by {len(cited)} sources." if len(cited) > 1 else ""
    return "; ".join(cited) + tail


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


FORMATS: dict[str, dict[str, Any]] = {
    "md": {
        "suffix": ".md.j2",
        "escape": MD.escape,
        "filters": {
            "cite": md_cite,
            "note": lambda note: Safe(note_text(note, MD)),
            "reference": lambda source: Safe(source_entry(source, MD)),
        },
    },
    "html": {
        "suffix": ".html.j2",
        "escape": HTML.escape,
        "filters": {
            "chart_uri": lambda series: Safe(svg_data_uri(series)),
            "chart_alt": lambda series: chart_alt(series),  # plain text, escaped like any value
            "cite": html_cite,
            "call": html_call,
            "reference": lambda source: Safe(source_entry(source, HTML)),
        },
    },
}


def brief_source_summary(brief: Brief) -> str:
    counts = [len({c.source.id for c in s.note.citations}) for s in brief.sentences]
    return source_summary(list(brief.sources), counts, brief.disputed_measures)


def svg_data_uri(series: Any) -> str:
    from briefgen.render.charts import svg_data_uri as uri

    return uri(series)


def chart_alt(series: Any) -> str:
    from briefgen.render.charts import chart_alt as alt

    return alt(series)


def figure_name(audience: str, number: int) -> str:
    from briefgen.render.charts import figure_name as name

    return name(audience, number)


def _finalize(escape):
    def finalize(value: Any) -> Any:
        if isinstance(value, Safe) or value is None:
            return value if value is not None else ""
        return escape(str(value))

    return finalize


def make_environment(user_templates: Path | None, fmt: str) -> jinja2.Environment:
    """A strict, sandboxed environment: user templates first, shipped ones behind, '!default/' for extending."""
    shipped = jinja2.FileSystemLoader(str(SHIPPED_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if user_templates and user_templates.is_dir() and user_templates.resolve() != SHIPPED_TEMPLATES.resolve():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders += [jinja2.PrefixLoader({"!default": shipped}), shipped]
    spec = FORMATS[fmt]
    env = SandboxedEnvironment(
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
    env.globals.update(
        source_descriptor=source_descriptor,
        source_summary=brief_source_summary,
        figure_name=lambda brief, series: figure_name(brief.audience.name, series.figure),
    )
    env.filters["raw"] = lambda v: Safe(v)
    env.filters["yamlstr"] = lambda v: Safe(json.dumps(str(v), ensure_ascii=False))
    return env


def render(brief: Brief, fmt: str, user_templates: Path | None, extra: dict[str, Any] | None = None) -> str:
    """Render the brief in the given format; a template error names the template and line."""
    env = make_environment(user_templates, fmt)
    name = brief.audience.template + FORMATS[fmt]["suffix"]
    context = {"brief": brief, "version": __version__, **(extra or {})}
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template '{exc.name}' not found in {user_templates} or the shipped templates") from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, TypeError, ValueError) as exc:
        raise TemplateError(f"{name}:{_template_line(exc)}: {exc}") from None


def _template_line(exc: BaseException) -> str:
    """The template line an error happened on, read from the traceback Jinja rewrites."""
    tb = exc.__traceback__
    line = "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = str(tb.tb_lineno)
        tb = tb.tb_next
    return line
