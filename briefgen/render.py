"""Render a selected brief through Jinja templates: strict, sandboxed, with fact text escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from briefgen import __version__
from briefgen.audiences import SHIPPED_TEMPLATES
from briefgen.errors import TemplateError
from briefgen.selection import Brief, Citation, Note, Sentence


class Safe(str):
    """Text already in the output format; the template prints it as it is."""


# Backslash-escape what Markdown (CommonMark and pandoc) would read as markup: emphasis, links,
# footnote calls, HTML, tables, code, math, citations and entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$@&{}#^])")


def md_escape(text: str) -> str:
    """Escape fact text so that it prints literally in Markdown."""
    text = " ".join(str(text).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    # A line that starts with a number and a dot, a dash or a plus would become a list item.
    return re.sub(r"^(\d+)\.(\s)", r"\1\\.\2", escaped).lstrip()


def _imprint(source: Any, escape) -> str:
    place_publisher = ": ".join(escape(x) for x in (source.place, source.publisher) if x)
    date = source.published.text() if source.published else "undated"
    return f"{place_publisher}, {date}" if place_publisher else date


def _title(source: Any, escape) -> str:
    if source.title:
        series = f", {escape(source.series)}" if source.series else ""
        return f"*{escape(source.title)}*{series}"
    return f"*{escape(source.series or source.id)}*"


def _reference(c: Citation, escape) -> str:
    """Full reference the first time a source is cited, a short one after; always the locator."""
    s = c.source
    if not c.first:
        return f"{escape(s.short_name)}, *{escape(s.short_title)}*, {c.locator}"
    author = f"{escape(s.author)}, " if s.author else ""
    return f"{author}{_title(s, escape)} ({_imprint(s, escape)}), {c.locator}"


def _quoted(quote: str, escape) -> str:
    text = " ".join(quote.split())
    return f"“{escape(text)}”" + ("" if text.endswith((".", "!", "?")) else ".")


def md_note(note: Note) -> Safe:
    """A note's text: each citation with its locator and the verbatim quote that supports the sentence."""
    cited = [f"{_reference(c, md_escape)}: {_quoted(c.quote, md_escape)}" for c in note.citations]
    tail = f" Corroborated by {len(cited)} sources." if len(cited) > 1 else ""
    return Safe("; ".join(cited) + tail)


def md_cite(sentence: Sentence) -> Safe:
    return Safe(f"{md_escape(sentence.text)}[^{sentence.note.number}]")


def md_source(source: Any) -> Safe:
    """One entry of the sources section."""
    author = f"{md_escape(source.author)}. " if source.author else ""
    kind = md_escape(source.type[:1].upper() + source.type[1:])
    return Safe(f"{author}{_title(source, md_escape)}. {_imprint(source, md_escape)}. {kind}.")


FORMATS = {
    "md": {"suffix": ".md.j2", "escape": md_escape, "filters": {"cite": md_cite, "note": md_note, "reference": md_source}},
}


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
    )
    env.filters.update(spec["filters"])
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
