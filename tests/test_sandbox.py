"""The template sandbox: templates cannot touch the disk, are bounded in size, depth and time, and fact
text cannot change the structure of a Markdown brief."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from briefgen.errors import TemplateError
from briefgen.factbase import cache
from briefgen.render import sandbox, templates
from briefgen.render.templates import md_escape
from tests.conftest import run


def _user_template(tmp_path: Path, body: str) -> Path:
    directory = tmp_path / "mytemplates"
    directory.mkdir(exist_ok=True)
    (directory / "brief.md.j2").write_text(body, encoding="utf-8")
    return directory


def _snapshot(root: Path, skip: tuple[str, ...] = (".briefgen-cache", "out")) -> dict[str, str]:
    """Every file under root with the hash of its bytes (the cache and the build's output aside)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not set(p.relative_to(root).parts) & set(skip)
    }


def _build(base: Path, templates_dir: Path, out: Path):
    return run("--facts", base, "--templates", templates_dir, "build", "-o", out, "-a", "defence")


# --- the file system -------------------------------------------------------------------------------

SENTINEL_TEXT = "sentinel: a file outside every template's reach"

ATTACKS = [
    "{{ brief.sources[0].path.read_text() }}",
    "{{ brief.sources[0].path.open().read() }}",
    '{{ brief.sources[0].path.write_text("owned") }}',
    "{{ brief.sources[0].path.unlink() }}",
    '{{ brief.audience.path.parent.joinpath("made").mkdir() }}',
    "{{ brief.audience.path.read_bytes() }}",
    '{{ brief.sources[0]["path"].unlink() }}',
    '{{ (brief.sources[0] | attr("path")).unlink() }}',
    '{{ (brief.sources | map(attribute="path") | first).read_text() }}',
    '{{ open("../sentinel.txt").read() }}',
    "{{ brief.sources[0].path }}",
    "{{ brief.sources[0] }}",
    '{{ brief.__class__.__init__.__globals__["os"].remove("../sentinel.txt") }}',
    "{{ brief.facts[0].evidence[0].__class__.__mro__[1].__subclasses__() }}",
    "{{ brief.audience.topic_weights.clear() }}",
    '{{ "x".format.__self__ }}',
    "{{ cycler.__init__.__globals__ }}",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_template_cannot_touch_the_file_system(base, tmp_path, attack):
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text(SENTINEL_TEXT, encoding="utf-8")
    directory = _user_template(tmp_path, "line one\n" + attack + "\n")
    before = _snapshot(tmp_path)
    result = _build(base, directory, tmp_path / "out")
    assert result.exit_code == 1, result.stdout
    assert "brief.md.j2:2:" in result.stderr
    assert re.search(r"unsafe|undefined|has no attribute|may not call|prints text, numbers", result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert SENTINEL_TEXT not in result.stdout + result.stderr
    assert "/" + base.name + "/" not in result.stderr  # no absolute path of the fact base either
    assert _snapshot(tmp_path) == before
    assert not (tmp_path / "out" / "defence-brief.md").exists()


def _capture_brief(monkeypatch, base: Path, tmp_path: Path) -> Any:
    """The Brief a real build hands its templates."""
    seen = []
    original = templates.render

    def spy(brief, fmt, user_templates, extra=None):
        seen.append(brief)
        return original(brief, fmt, user_templates, extra)

    monkeypatch.setattr(templates, "render", spy)
    assert run("--facts", base, "build", "-o", tmp_path / "walk-out", "-a", "defence").exit_code == 0
    monkeypatch.setattr(templates, "render", original)
    return seen[0]


def _reachable(brief: Any) -> list[tuple[str, Any]]:
    """(template expression, value) for one value of each type reachable from the brief, as Python sees them."""
    found: list[tuple[str, Any]] = []
    types_seen: set[type] = set()
    todo: list[tuple[str, Any]] = [("brief", brief), ("version", "0")]
    while todo:
        expr, value = todo.pop(0)
        if type(value) in types_seen or value is None:
            continue
        types_seen.add(type(value))
        found.append((expr, value))
        if dataclasses.is_dataclass(value):
            names = [f.name for f in dataclasses.fields(value)]
            names += [n for n, v in vars(type(value)).items() if isinstance(v, property)]
            todo += [(f"{expr}.{n}", getattr(value, n)) for n in names]
        elif isinstance(value, (tuple, list)) and value:
            todo.append((f"{expr}[0]", value[0]))
        elif isinstance(value, dict) and value:
            key = next(iter(value))
            todo.append((f"{expr}[{key!r}]", value[key]))
        elif isinstance(value, Path):
            todo.append((f"{expr}.parent", value.parent))
    return found


PURE = (str, int, float, tuple, list, dict, frozenset, set)


def test_every_callable_reachable_from_the_context(base, tmp_path, monkeypatch):
    """Call every public method of every kind of object a brief holds: those of anything but plain values
    (and a date's text) fail as template errors, and nothing on disk changes."""
    brief = _capture_brief(monkeypatch, base, tmp_path)
    directory = tmp_path / "walk"
    directory.mkdir()
    before = _snapshot(tmp_path, skip=(".briefgen-cache", "walk"))
    refused, allowed = [], []
    reachable = _reachable(brief)
    assert {"Path", "PosixPath"} & {type(v).__name__ for _, v in reachable}, "the walk must reach the Path fields"
    for expr, value in reachable:
        for name in dir(value):
            if name.startswith("_") or not callable(getattr(value, name, None)):
                continue
            (directory / "brief.md.j2").write_text(f"{{{{ {expr}.{name}() }}}}", encoding="utf-8")
            try:
                templates.render(brief, "md", directory)
            except TemplateError as exc:
                assert "brief.md.j2:1:" in str(exc)
                refused.append((type(value).__name__, name))
            else:
                allowed.append((type(value).__name__, name))
    plain_types = {t.__name__ for t in PURE} | {"bool", "date", "DateSpec", "Point", "Safe"}
    assert {owner for owner, _ in allowed} <= plain_types, allowed
    assert ("DateSpec", "text") in allowed
    for dangerous in ("read_text", "write_text", "unlink", "mkdir", "open", "touch", "rename", "rmdir"):
        assert ("PosixPath", dangerous) in refused
    assert ("dict", "clear") in refused and ("list", "pop") not in allowed
    assert _snapshot(tmp_path, skip=(".briefgen-cache", "walk")) == before


@dataclasses.dataclass(frozen=True)
class _Record:
    """A record whose field holds text in one instance and a Path or a Path's method in another."""

    value: Any


_Record.__module__ = "briefgen.tests"  # one of briefgen's records, as far as the sandbox can tell


def test_an_attribute_is_judged_by_its_value_every_time(monkeypatch):
    """The sandbox keeps its decision per (type, name); what the attribute holds is still judged on each
    lookup, so a field allowed once as text is refused when another record holds a Path there."""
    monkeypatch.setattr(sandbox, "MAX_RULES", 1)  # the bound holds too: one decision kept, the others made anew
    env = templates.make_environment(None, "md")
    template = env.from_string("{{ record.value }}|{{ record.value.upper() }}")
    assert env.render(template, {"record": _Record("text")}, 5) == "text|TEXT"
    for hostile in (Path("/etc/hostname"), Path("/etc/hostname").read_text, open):
        with pytest.raises(Exception, match="unsafe|may not call"):
            env.render(template, {"record": _Record(hostile)}, 5)
    assert env.render(template, {"record": _Record("again")}, 5) == "again|AGAIN"
    assert len(env.attribute_rules) == 1
    assert env.render(env.from_string("{{ [1].index(1) }}"), {}, 5) == "0"
    with pytest.raises(Exception, match="unsafe"):
        env.render(env.from_string("{{ [1].pop() }}"), {}, 5)  # another name of the same type: its own decision


def test_shipped_templates_still_render_html_in_the_sandbox(base, tmp_path, monkeypatch):
    brief = _capture_brief(monkeypatch, base, tmp_path)
    html = templates.render(brief, "html", None, {"marking": "OFFICIAL", "author": "a", "keywords": ["k"]})
    assert html.count('class="footnote"') == len(brief.sentences) and "OFFICIAL" in html


# --- resource limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ range(10**9) | list }}", "Range too big"),
        ("{{ 7 ** (10**9) }}", "over the template limit of 4,096 bits"),
        ("{% set n = 10**600 %}{{ n * n * n * n * n * n * n }}", "over the template limit of 4,096 bits"),
        ('{{ "x" * 10**9 }}', "repeating 1 characters or items 1,000,000,000 times"),
        ("{{ [0] * 10**9 }}", "repeating 1 characters or items"),
        (
            '{% set ns = namespace(s="x") %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
            "over the template limit of 33,554,432",
        ),
        (
            '{% set ns = namespace(s="x") %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}',
            "over the template limit of 33,554,432",
        ),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "macro calls nested more than 64 deep"),
        ('{% include "brief.md.j2" %}', "nested too deep (a template that includes or extends itself"),
        ("{{ 1/0 }}", "ZeroDivisionError: division by zero"),
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{{ [].pop() }}", "access to attribute 'pop' of 'list' object is unsafe"),
        ('{{ "abc".index("z") }}', "ValueError: substring not found"),
        ('{{ "x" | center(10**9) }}', "center(1,000,000,000) is over the template limit"),
        ('{{ "x".ljust(10**9) }}', "ljust(1,000,000,000) is over the template limit"),
        ("{{ [1] | batch(10**9, 0) | list }}", "batch(1,000,000,000)"),
        ('{{ "%0999999999d" | format(1) }}', "format width '999999999'"),
        ('{{ "%0999999999d" % 1 }}', "format width '999999999'"),
        ('{{ "%(a).999999999f" % {"a": 1.0} }}', "format width '999999999'"),
        ('{{ "{:0999999999}".format(1) }}', "format width '0999999999'"),
        ('{{ "%*d" % (10**9, 1) }}', "format width '*'"),
        ('{{ "x" | cite }}', "'cite' needs a Sentence or Caption, not a str"),
        ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
    ],
)
def test_resource_attack_is_a_clear_template_error(base, tmp_path, body, message):
    directory = _user_template(tmp_path, "line one\n" + body + "\n")
    result = _build(base, directory, tmp_path / "out")
    assert result.exit_code == 1, result.stdout
    assert "brief.md.j2:2:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.md"))


@pytest.mark.parametrize(
    "body",
    [
        # No call, attribute or operator inside the loops: only the alarm can stop this one.
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% for k in r %}{% endfor %}{% endfor %}{% endfor %}",
        # Calls on every turn: the sandbox's own deadline check stops it.
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j.bit_length() }}{% endfor %}{% endfor %}",
    ],
)
@pytest.mark.slow  # waits out a (shortened) render deadline
def test_a_template_that_never_ends_is_stopped(base, tmp_path, monkeypatch, body):
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.5)
    out = tmp_path / "out"
    assert run("--facts", base, "build", "-o", out, "-a", "defence").exit_code == 0
    before = _snapshot(out, skip=())
    directory = _user_template(tmp_path, "line one\n" + body + "\n")
    result = _build(base, directory, out)
    assert result.exit_code == 1, result.stdout
    assert "brief.md.j2:2: rendering took longer than the template limit of 0.5 s" in result.stderr
    assert _snapshot(out, skip=()) == before  # the previous brief stands; the lock was let go
    assert run("--facts", base, "build", "-o", out, "-a", "defence").exit_code == 0


@pytest.mark.slow  # waits out a render deadline in a thread
def test_the_deadline_holds_outside_the_main_thread(base, tmp_path, monkeypatch):
    import threading

    brief = _capture_brief(monkeypatch, base, tmp_path)
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.5)
    directory = _user_template(
        tmp_path, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )
    errors: list[BaseException] = []

    def work() -> None:
        try:
            templates.render(brief, "md", directory)
        except TemplateError as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert len(errors) == 1 and "rendering took longer" in str(errors[0])


def test_ordinary_formats_and_figures_still_work(base, tmp_path):
    body = (
        '{% extends "!default/brief.md.j2" %}{% block title %}<!-- uncited -->\n'
        '{{ "%d of 20000 %s" % (3, "x") }} {{ "{:>12,}".format(1234567890) }} {{ "%.2f" | format(2.5) }}'
        " {{ 2 ** 64 }} {{ brief.prepared.strftime('%B %Y') }}\n<!-- /uncited -->\n{% endblock %}"
    )
    out = tmp_path / "out"
    result = _build(base, _user_template(tmp_path, body), out)
    assert result.exit_code == 0, result.stderr
    text = (out / "defence-brief.md").read_text(encoding="utf-8")
    assert "3 of 20000 x 1,234,567,890 2.50 18446744073709551616 January 2026" in text


def test_output_is_bounded(base, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 100_000)
    directory = _user_template(tmp_path, '{% for i in range(100000) %}{{ "x" * 1000 }}{% endfor %}')
    result = _build(base, directory, tmp_path / "out")
    assert result.exit_code == 1
    assert "brief.md.j2: the brief is over the template limit of 100,000 characters" in result.stderr


def test_briefgen_bugs_keep_their_traceback(base, tmp_path, monkeypatch):
    """Only a template's own errors become template errors; a fault in briefgen's code is not hidden."""
    brief = _capture_brief(monkeypatch, base, tmp_path)

    def broken(sentence):
        raise ValueError("a bug in briefgen")

    monkeypatch.setitem(templates.FORMATS["md"]["filters"], "cite", broken)
    with pytest.raises(ValueError, match="a bug in briefgen"):
        templates.render(brief, "md", None)


def test_huge_literal_is_not_a_huge_cache_entry(base, tmp_path):
    literal = "x" * 3_000_000
    directory = _user_template(
        tmp_path,
        '{% extends "!default/brief.md.j2" %}{% block title %}{% if false %}' + literal + "{% endif %}"
        '{% set folded = "y" | center(2000000) %}{% endblock %}',
    )
    for _ in range(2):  # the second build would read what the first stored
        result = _build(base, directory, tmp_path / "out")
        assert result.exit_code == 0, result.stderr
    root = cache.cache_dir()
    assert root is not None
    stored = list((root / "templates").glob("__jinja2_*.cache"))
    assert stored, "the shipped template's code is still cached"
    assert max(p.stat().st_size for p in stored) < 1 << 20


def test_compiled_templates_of_another_briefgen_are_not_loaded(base, tmp_path, monkeypatch):
    """The sandbox shapes compiled code (checked `~`), so code cached by another version must not be reused."""
    assert run("--facts", base, "build", "-o", tmp_path / "a", "-a", "defence").exit_code == 0
    root = cache.cache_dir()
    assert root is not None
    first = {p.name for p in (root / "templates").glob("__jinja2_*.cache")}
    assert first
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of briefgen")
    assert run("--facts", base, "build", "-o", tmp_path / "b", "-a", "defence").exit_code == 0
    second = {p.name for p in (root / "templates").glob("__jinja2_*.cache")}
    assert second - first, "the other version's entries must be compiled and stored anew"


# --- text that cannot change Markdown structure -----------------------------------------------------

MD = MarkdownIt("commonmark").enable("table")


@pytest.mark.parametrize(
    "text",
    [
        "- a dash",
        "+ a plus",
        "* a star",
        "1. one",
        "1) one",
        "A) capital",
        "a. small",
        "(i) roman",
        "iv) roman",
        "(A) capital",
        "# heading",
        "> quote",
        "| a | b |",
        "===",
        "---",
        ": a definition",
        "    indented code",
        "```",
    ],
)
def test_leading_markers_make_no_structure(text):
    escaped = md_escape(text)
    for context in (f"{escaped}\n", f"- {escaped}\n", f"1. {escaped}\n", f"A paragraph\n{escaped}\n"):
        html = MD.render(context)
        assert not re.search(r"<(h\d|blockquote|table|hr|pre|code)\b", html), (text, html)
        assert html.count("<li>") == context.startswith(("- ", "1. ")), (text, html)
    assert re.sub(r"<[^>]+>", "", MD.render(escaped)).strip() == " ".join(text.split()).replace(">", "&gt;")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("see www.example.com now", "see www\\.example\\.com now"),
        ("at http://example.org/x", "at http\\://example\\.org/x"),
        ("HTTPS://EXAMPLE.ORG", "HTTPS\\://EXAMPLE\\.ORG"),
        ("write to analyst@example.org", "write to analyst\\@example\\.org"),
        ("a //host.example/path", "a \\//host\\.example/path"),
        ("mailto:x@y.com", "mailto\\:x\\@y\\.com"),
    ],
)
def test_bare_links_and_addresses_are_escaped(text, escaped):
    assert md_escape(text) == escaped
    assert re.sub(r"<[^>]+>", "", MD.render(escaped)).strip() == text


@pytest.mark.parametrize(
    "text",
    [
        "A. Author",  # an initial, not a list: pandoc needs two spaces after a capital and a period
        "In 2016, GDP grew 6.2 per cent.",
        "e.g. the U.S. and Japan",
        "At 3.5 trillion yen.",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert md_escape(text) == text


def test_every_field_of_a_brief_is_escaped(base, tmp_path):
    """Source titles, authors, publishers and statements that look like structure or links stay text."""
    registry = yaml.safe_load((base / "sources.yaml").read_text(encoding="utf-8"))
    for entry in registry:
        entry.update(title="- www.example.com", author="1) http://evil.example", publisher="> a@b.example")
    (base / "sources.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = run("--facts", base, "build", "-o", out, "-a", "defence")
    assert result.exit_code == 0, result.stderr
    text = (out / "defence-brief.md").read_text(encoding="utf-8")
    assert "www\\.example\\.com" in text and "1\\) http\\://evil\\.example" in text and "\\> a\\@b\\.example" in text
    html = MD.render(text.split("\n---\n", 1)[1])
    assert "<blockquote>" not in html and "<a " not in html
    assert "www.example.com" in html and "http://evil.example" in html


def test_hostile_strings_still_print_literally(base, tmp_path):
    """The strings of docs/hostile-input.md come out of a brief as they went in."""
    hostile = "In 2009, Japan said *this* [^n] <b>x</b> | pipe {{ self }} @cite $x$ & www.x.com - done."
    fact = yaml.safe_load((base / "facts.yaml").read_text(encoding="utf-8"))
    partnership = next(f for f in fact if f["id"] == "partnership-2009")
    partnership["statement"] = hostile
    (base / "facts.yaml").write_text(yaml.safe_dump(fact, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = run("--facts", base, "build", "-o", out, "-a", "historical")
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in (out / "historical-brief.md").read_text(encoding="utf-8").splitlines() if "pipe" in ln)
    rendered = re.sub(r"<[^>]+>", "", MD.render(re.sub(r"\[\^\d+\]", "", line)))
    rendered = rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&quot;", '"')
    assert hostile in rendered
