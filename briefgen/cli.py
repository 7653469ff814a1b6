"""The command line: turn options into one library call, and known errors into a message and exit code."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:  # Typer bundles its own click; the group's invoke is typed with its Context
    import datetime

    from typer._click.core import Context as ClickContext

    from briefgen.publish.build import BuildResult

from briefgen import __version__
from briefgen.common.files import refuse_nul_args
from briefgen.config import Settings, load_settings
from briefgen.errors import EXIT_CONTENT, EXIT_OK, BriefgenError, FactBaseError, UsageError


class _Group(TyperGroup):
    """Turn known errors into one message and an exit code; bugs keep their traceback."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        try:  # before Typer's own checks of paths, which fail on a NUL byte with a bare ValueError
            refuse_nul_args(args)
        except UsageError as exc:
            _fail(str(exc), exc.exit_code)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: ClickContext) -> object:
        try:
            return super().invoke(ctx)
        except FactBaseError as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            _fail(str(exc), exc.exit_code)
        except BriefgenError as exc:
            _fail(str(exc), exc.exit_code)
        return None


app = typer.Typer(
    cls=_Group,
    help="Build audience briefs from a fact base; every sentence is footnoted to its source.",
    epilog=(
        "Loaded fact bases and compiled templates are cached in $BRIEFGEN_CACHE_DIR (else "
        "$XDG_CACHE_HOME/briefgen or ~/.cache/briefgen); BRIEFGEN_CACHE_DIR=off turns the cache off."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"briefgen {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    facts: Annotated[Path | None, typer.Option("--facts", help="Fact base directory [default: ./facts].")] = None,
    templates: Annotated[
        Path | None,
        typer.Option("--templates", help="Templates directory; shipped templates fill gaps [default: ./templates]."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Config file [default: ./briefgen.toml if present].")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Build audience briefs from a fact base; every sentence is footnoted to its source.

    Exit codes: 0 success, 1 content or check failure, 2 usage error.
    """
    ctx.obj = load_settings(config).merged({"facts": facts, "templates": templates})


def _settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def _fail(message: str, code: int = EXIT_CONTENT) -> None:
    typer.echo(f"briefgen: {message}", err=True)
    raise typer.Exit(code)


_STALE_YEARS = typer.Option(
    "--stale-years",
    help="Warn where a brief states a figure as current and a value this many years newer exists "
    "[default: briefgen.toml, else 3].",
)


@app.command()
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    stale_years: Annotated[float | None, _STALE_YEARS] = None,
) -> None:
    """Check the fact base, metrics.yaml, exclusions.yaml and every audience profile; each problem, one line."""
    from briefgen.check.gate import run_check
    from briefgen.common.collector import collector_tuned_for_loading

    settings = _settings(ctx).merged({"stale_years": stale_years})
    with collector_tuned_for_loading(unfreeze=False):  # this process ends after the check
        base, problems = run_check(settings.facts, settings.stale_years, outline=True, templates=settings.templates)
    errors = [p for p in problems if p.severity == "error"]
    warnings = sum(1 for p in problems if p.severity == "warning")  # notes (told in the briefs) are neither
    if as_json:
        report = {
            "ok": not errors,
            "facts": base.fact_count,
            "sources": len(base.sources),
            "errors": len(errors),
            "warnings": warnings,
            "problems": [p.as_dict() for p in problems],
        }
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        if problems:
            typer.echo("\n".join(map(str, problems)))
        typer.echo(
            f"{base.fact_count} facts from {len(base.sources)} sources: {len(errors)} error(s), {warnings} warning(s)"
        )
    raise typer.Exit(EXIT_CONTENT if errors else EXIT_OK)


@app.command()
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the registry as JSON.")] = False,
) -> None:
    """List the registered sources with what is known of each."""
    from briefgen.factbase.sources import load_sources

    found, problems = load_sources(_settings(ctx).facts)
    if problems:
        raise FactBaseError(problems)
    rows = [
        {
            "id": s.id,
            "type": s.type,
            "author": s.author,
            "publisher": s.publisher,
            "title": s.title or s.series,
            "published": s.published.raw if s.published else None,
            "path": str(s.path),
        }
        for s in found.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        who = row["author"] or row["publisher"] or "—"
        typer.echo(f"{row['id']:<20} {row['published'] or '—':<11} {row['type']:<22} {who}: {row['title'] or '—'}")


@app.command()
def build(
    ctx: typer.Context,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", "-a", help="Audience to build; repeat for several.")
    ] = None,
    all_audiences: Annotated[bool, typer.Option("--all", help="Build every known audience.")] = False,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format", "-f", help="md, pdf or html; repeat for several [default: from briefgen.toml, else md]."
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output directory [default: build].")] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Date the brief carries, YYYY-MM-DD [default: $SOURCE_DATE_EPOCH, else today]."),
    ] = None,
    marking: Annotated[
        str | None,
        typer.Option("--marking", help='Handling marking for the PDF header, e.g. UNCLASSIFIED; "" for none.'),
    ] = None,
    paper: Annotated[str | None, typer.Option("--paper", help="PDF paper size: A4 or Letter [default: A4].")] = None,
    archival: Annotated[
        bool | None,
        typer.Option(
            "--archival/--no-archival",
            help="PDF/A-3u (tagged) with the Markdown and JSON attached [default: from briefgen.toml, else off].",
        ),
    ] = None,
    changes: Annotated[
        bool, typer.Option("--changes", help="Add a section on facts added or removed since the previous edition.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even outputs that are up to date.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Fail on warnings (stale figures, WeasyPrint's, refused fetches) as well as errors."
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON summary: outputs, built or skipped, durations, warnings, changes."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors (for cron mail).")] = False,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for another build of the same output directory.")
    ] = 600.0,
    stale_years: Annotated[float | None, _STALE_YEARS] = None,
    pages: Annotated[
        int | None,
        typer.Option(
            "--pages",
            help="Cut each brief to at most N PDF pages, notes included, keeping what matters most; "
            "written as AUDIENCE-brief-Np.pdf/.md; 0: the full brief [default: the profile's length, else full].",
        ),
    ] = None,
) -> None:
    """Build audience briefs: only what changed is rebuilt; nothing is written unless every brief passes its checks."""
    from briefgen.brief.audiences import available_audiences
    from briefgen.common.collector import collector_tuned_for_loading
    from briefgen.publish.build import build as run_build

    options = {"output": output, "formats": fmt or None, "marking": marking, "paper": paper, "archival": archival}
    settings = _settings(ctx).merged({**options, "stale_years": stale_years, "pages": pages})
    names = tuple(available_audiences(settings.templates)) if all_audiences else tuple(dict.fromkeys(audience or ()))
    request = settings.build_request(
        audiences=names,
        prepared=_parse_day(date),
        changes=changes,
        force=force,
        strict=strict,
        strict_pdf=strict,
        lock_timeout=wait,
    )
    interactive = not quiet and not as_json and sys.stderr.isatty()
    started = time.perf_counter()
    with collector_tuned_for_loading(unfreeze=False):  # this process ends after the build
        result = run_build(
            request, progress=(lambda msg: typer.echo(f"… {msg}", err=True)) if interactive else (lambda _m: None)
        )
    if as_json:
        typer.echo(json.dumps(_summary(result, time.perf_counter() - started), indent=2, ensure_ascii=False))
    elif not quiet:
        for warning in result.warnings:
            typer.echo(str(warning), err=True)
        if result.up_to_date:
            typer.echo(f"up to date: {len(result.outputs)} output(s) in {request.output}, nothing rewritten")
        else:
            for out in result.outputs:
                typer.echo(f"{out.status}: {out.path}")


def _summary(result: BuildResult, seconds: float) -> dict[str, object]:
    return {
        "ok": True,
        "up_to_date": result.up_to_date,
        "seconds": round(seconds, 3),
        "outputs": [
            {
                "audience": o.audience,
                "format": o.format,
                "path": str(o.path),
                "status": o.status,
                "seconds": round(o.seconds, 3),
                "pages": o.pages,  # the page budget of a short brief (--pages), else null
                "renders": o.renders,  # PDF renders its fit took (0: not fitted)
            }
            for o in result.outputs
        ],
        "warnings": [w.as_dict() for w in result.warnings],
        "changes": result.changes,
    }


def _parse_day(text: str | None) -> datetime.date | None:
    import datetime

    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date must be YYYY-MM-DD, not '{text}'") from None


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Argument(help="Fact base to create [default: --facts, ./facts].")] = None,
) -> None:
    """Create an empty fact base (registry, topics, metrics, exclusions, texts) and a starter audience profile.

    The profile goes to templates/audiences/general.yaml beside the fact base, unless one is there.
    """
    from briefgen.authoring.init import init_fact_base

    root = directory or _settings(ctx).facts
    done = init_fact_base(root, root.parent / "templates")
    typer.echo(f"created an empty fact base in {done.fact_base}")
    if done.audience:
        typer.echo(f"created the audience profile {done.audience}")
    typer.echo(f"next: briefgen --facts {root} add DOCUMENT")


@app.command()
def add(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The document: .txt, .md, .html, .htm, .pdf or .docx.")],
    source_id: Annotated[str | None, typer.Option("--id", help="Source id [default: from the title].")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Where the document was found.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="Publication date: 2021-09-15, 2021-09, 2021.")
    ] = None,
    source_type: Annotated[
        str | None, typer.Option("--type", help="news report, commentary... [default: document].")
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Title, if the document's own is wrong or missing.")
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="Author, if the document's own is wrong or missing.")
    ] = None,
    publisher: Annotated[
        str | None, typer.Option("--publisher", help="Publisher, if the document does not say.")
    ] = None,
) -> None:
    """Register a document as a source: keep the original, extract its text, record digests; print its id.

    Metadata the document carries (HTML meta tags, PDF document info, Word core properties) fills
    title, author, publisher and published; options given here win; each field records its provenance.
    """
    from briefgen.authoring.intake import AddRequest, add_source

    request = AddRequest(path, _settings(ctx).facts, source_id, url, published, source_type, title, author, publisher)
    added = add_source(request)
    where = f"{added.pages} page(s)" if added.pages else f"{added.paragraphs} body paragraph(s)"
    typer.echo(added.id)
    typer.echo(f"registered: {added.words} words, {where}; text in {added.text}", err=True)


@app.command()
def extract(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="The source to propose facts from (see `briefgen sources`).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Candidates file [default: FACTS/candidates/SOURCE_ID.yaml].")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing candidates file (never a fact file).")
    ] = False,
) -> None:
    """Propose candidate facts from one source's sentences into a review file; fact files are never touched."""
    from briefgen.authoring.extraction import extract as run_extract

    result = run_extract(_settings(ctx).facts, source_id, output, force=force)
    typer.echo(
        f"{result.count} candidate(s) from {source_id} written to {result.path}; "
        "review them before moving any into a fact file"
    )


@app.command()
def coverage(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    source: Annotated[str | None, typer.Option("--source", help="Report on this source only.")] = None,
) -> None:
    """Report the important source sentences (dates, figures, named agreements) no fact covers; exit 1 if any."""
    from briefgen.authoring.coverage import run_coverage

    run = run_coverage(_settings(ctx).facts, source)
    for problem in run.set_aside:  # unreadable sources: named, and the exit code fails, but the others report
        typer.echo(f"{problem}; left out of this report", err=True)
    report = run.report
    if as_json:
        typer.echo(json.dumps([item.as_dict() for item in report], indent=2, ensure_ascii=False))
    for item in [] if as_json else report:
        typer.echo(item.summary())
        for sentence in item.uncovered:
            excerpt = sentence.text if len(sentence.text) <= 100 else sentence.text[:99].rstrip() + "…"
            typer.echo(f'{item.path} {sentence.locator}: "{excerpt}"')
    raise typer.Exit(EXIT_CONTENT if run.failed else EXIT_OK)


def main() -> None:
    """Run the command line."""
    app()
