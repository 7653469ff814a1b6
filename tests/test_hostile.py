"""Broken and hostile input: a clear error naming the place, a non-zero exit, no traceback, nothing lost."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.errors import FactBaseError
from tests.conftest import append_fact, outputs, rehash, run
from tests.test_check import GOOD


def check(base):
    result = run("--facts", base, "check")
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"- id: [unclosed\n", "YAML syntax error"),
        (b"\xff\xfe- id: x\n", "not valid UTF-8"),
        (b"\xef\xbb\xbf" + GOOD.encode(), None),  # a byte-order mark is fine
        (GOOD.replace("\n", "\r\n").encode(), None),  # so are CRLF line ends
        (b"- 42\n- [a, b]\n", "each fact must be a mapping of fields"),
        (b"id: lonely\n", "a fact file must be a YAML list of facts"),
        (b"", "the file is empty"),
        (
            GOOD.replace("salience", "x")
            .replace("topics: [partnership-upgrades]", "topics: partnership-upgrades\n  salience: high")
            .encode(),
            "salience must be a whole number",
        ),
        (GOOD.replace('date: "2009"', "date: [2009]").encode(), "date: a date must be text"),
        (GOOD.replace("kind: event", "kind: event\n  quantity: 12").encode(), "quantity must be a mapping"),
        (b"- &a {id: x}\n- *a\n", "YAML aliases (*name) are not allowed"),
        (GOOD.replace('date: "2009"', "date: 2016-13-45").encode(), "'2016-13-45' is not a real date"),
        (GOOD.replace("set up", "set\u202eup").encode(), "U+202E"),
        (GOOD.replace("set up", "set\u200bup").encode(), "U+200B"),
    ],
)
def test_malformed_fact_files(base, content, message):
    (base / "extra.yaml").write_bytes(content)
    result = check(base)
    if message is None:
        assert result.exit_code == 0, result.stdout
    else:
        assert result.exit_code == 1
        lines = [ln for ln in result.stdout.splitlines() if message in ln]
        assert lines and lines[0].startswith("extra.yaml"), result.stdout  # the message names the file


def test_billion_laughs_is_refused_quickly(base):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (base / "extra.yaml").write_text("- id: bomb\n  " + "\n  ".join(lines) + "\n")
    result = check(base)
    assert result.exit_code == 1 and "aliases" in result.stdout


def test_huge_file_is_refused(base, monkeypatch):
    import briefgen.factbase.readers

    monkeypatch.setattr(briefgen.factbase.readers, "MAX_BYTES", 1000)
    (base / "extra.yaml").write_text(GOOD * 20)
    result = check(base)
    assert result.exit_code == 1 and "extra.yaml: file is larger than" in result.stdout


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "link/passwd"])
def test_source_path_cannot_leave_fact_base(base, path):
    (base / "link").symlink_to("/etc")
    text = (base / "sources.yaml").read_text().replace("path: texts/news.txt", f"path: {path}")
    (base / "sources.yaml").write_text(text)
    result = check(base)
    assert result.exit_code == 1
    assert (
        "is absolute; give it relative" if path.startswith("/") else "leaves the fact base directory"
    ) in result.stdout
    assert "root:" not in result.stdout


@pytest.mark.parametrize("field", ["path", "original"])
def test_an_absolute_path_inside_the_base_is_refused_with_a_line(base, field, monkeypatch):
    """An absolute path to a file of the base itself once passed, and a check of the base by another spelling
    of its root (relative here) failed with a traceback; the registry names files relative to the base."""
    text = (base / "sources.yaml").read_text()
    if field == "path":
        text = text.replace("path: texts/news.txt", f"path: {base.resolve() / 'texts' / 'news.txt'}")
    else:
        text = text.replace(
            "path: texts/news.txt",
            f"path: texts/news.txt\n  original: {base.resolve()}/texts/news.txt\n  original_sha256: {'0' * 64}",
        )
    (base / "sources.yaml").write_text(text)
    monkeypatch.chdir(base.parent)
    result = check(Path(base.name))
    assert result.exit_code == 1 and f"{field} '{base.resolve()}" in result.stdout and "is absolute" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_symlinked_source_text_pointing_outside_is_refused(base):
    (base / "texts" / "news.txt").unlink()
    (base / "texts" / "news.txt").symlink_to("/etc/hostname")
    result = check(base)
    assert result.exit_code == 1 and "leaves the fact base directory" in result.stdout


def test_non_utf8_source_text(base):
    (base / "texts" / "news.txt").write_bytes(b"caf\xe9 au lait\n")
    rehash(base, "news")
    result = check(base)
    assert result.exit_code == 1 and "source text is not UTF-8" in result.stdout


def test_jinja_syntax_in_fact_text_is_literal(base, tmp_path):
    append_fact(
        base, GOOD.replace('set up a "strategic partnership".', "set up {% include '/etc/passwd' %} {{ 7*7 }}.")
    )
    result = run("--facts", base, "build", "-a", "historical", "-o", tmp_path / "out", "-f", "md", "-f", "pdf")
    assert result.exit_code == 1  # "7" is a number the quote lacks: the checker stops it first
    assert "statement has '7'" in result.stderr
    append_fact(
        base, GOOD.replace('set up a "strategic partnership".', "set up {% include '/etc/passwd' %} {{ seven }}.")
    )
    result = run("--facts", base, "build", "-a", "historical", "-o", tmp_path / "out", "-f", "md", "-f", "pdf")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out" / "historical-brief.md").read_text()
    assert "\\{% include '/etc/passwd' %\\}" in text and "root:" not in text


def test_markdown_forgery_is_escaped(base, tmp_path):
    import yaml

    forged = "[^a]: In 2009 a fake note | col | [link](http://x.example)![img](file:///etc/passwd) <script>x</script>."
    fact = yaml.safe_load(GOOD)[0] | {"statement": forged}
    (base / "extra.yaml").write_text(yaml.safe_dump([fact], allow_unicode=True), encoding="utf-8")
    result = run("--facts", base, "build", "-a", "historical", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out" / "historical-brief.md").read_text()
    line = next(ln for ln in text.splitlines() if "fake note" in ln)
    assert "\\[link\\](http\\://x\\.example)" in line and "!\\[img\\]" in line and "\\<script\\>" in line
    assert "\\[\\^a\\]: In 2009" in line and "\\|" in line
    assert not any(ln.startswith("[^a]") for ln in text.splitlines())


def test_very_long_word_and_rtl_text_build(base, tmp_path):
    long_word = "Vietnam" + "x" * 400
    append_fact(
        base, GOOD.replace('set up a "strategic partnership".', f"set up {long_word} and \u05e9\u05dc\u05d5\u05dd.")
    )
    result = run("--facts", base, "build", "-a", "historical", "-o", tmp_path / "out", "-f", "md", "-f", "pdf")
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in outputs(tmp_path / "out", "historical-brief.*", 2)] == [
        "historical-brief.md",
        "historical-brief.pdf",
    ]
    assert long_word in (tmp_path / "out" / "historical-brief.md").read_text(encoding="utf-8")


def test_unwritable_output_directory(base, tmp_path, monkeypatch):
    # /proc refuses new directories even to root: a real unwritable place on any Linux machine.
    result = run("--facts", base, "build", "-a", "defence", "-o", "/proc/briefgen-out")
    assert result.exit_code == 1 and "cannot create output directory /proc/briefgen-out" in result.stderr
    out = tmp_path / "ro"
    out.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: False if Path(p) == out and mode == os.W_OK else real_access(p, mode, **kw)
    )
    result = run("--facts", base, "build", "-a", "defence", "-o", out)
    assert result.exit_code == 1 and f"output directory {out} is not writable" in result.stderr, result.stderr


def test_output_path_is_a_file(base, tmp_path):
    (tmp_path / "out").write_text("not a directory")
    result = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "out")
    assert result.exit_code == 1 and "cannot create output directory" in result.stderr
    assert (tmp_path / "out").read_text() == "not a directory"


def test_full_disk_leaves_previous_outputs(base, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run("--facts", base, "build", "--all", "-o", out).exit_code == 0
    outputs(out, "*.md", 3)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import briefgen.publish.output

    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(briefgen.publish.output.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    result = run("--facts", base, "build", "--all", "-o", out, "--force")
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_output_file_symlink_is_replaced_not_followed(base, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "defence-brief.md").symlink_to(victim)
    assert run("--facts", base, "build", "-a", "defence", "-o", out).exit_code == 0
    assert victim.read_text() == "precious"
    assert not (out / "defence-brief.md").is_symlink()


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)


@pytest.mark.slow  # sixty generated facts, each built
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    statement=TEXT,
    topic=st.sampled_from(["aid", "maritime-security", "pre-modern", "nonsense"]),
    kind=st.sampled_from(["event", "figure", "assessment", "x"]),
    date=st.one_of(st.none(), TEXT),
)
def test_fuzzed_facts_build_or_fail_cleanly(base, tmp_path_factory, statement, topic, kind, date):
    import yaml

    fact = {
        "id": "fuzz",
        "statement": statement,
        "kind": kind,
        "topics": [topic],
        "source": "paper",
        "quote": "In 2009 the two countries established a “strategic partnership”.",
    }
    if date is not None:
        fact["date"] = date
    (base / "fuzz.yaml").write_text(yaml.safe_dump([fact], allow_unicode=True), encoding="utf-8")
    out = tmp_path_factory.mktemp("fuzz")
    from briefgen.publish.build import BuildRequest, build

    request = BuildRequest(facts=base, templates=None, output=out, audiences=("defence", "economic", "historical"))
    try:
        result = build(request)
    except FactBaseError as exc:
        # The only way a fuzzed fact may fail: the checker names it, at its file and line, and says why.
        errors = [p for p in exc.problems if p.severity == "error"]
        assert errors and all(str(p).startswith("fuzz.yaml:1: fuzz: ") for p in errors), [str(p) for p in errors]
        assert not list(out.glob("*.md")), "a failed build writes no brief"
        return
    assert len(result.outputs) == 3
    for output in result.outputs:
        assert output.path.read_text(encoding="utf-8").count("[^") >= 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_fuzzed_yaml_bytes_never_crash(base, data):
    (base / "fuzz.yaml").write_bytes(data)
    from briefgen.check.gate import run_check

    _loaded, problems = run_check(base)  # returns problems; must not raise
    errors = [str(p) for p in problems if p.severity == "error"]
    assert all(e.startswith("fuzz.yaml") for e in errors), errors  # each names the file; the rest is intact


def test_error_lines_name_the_file(base):
    (base / "broken.yaml").write_text("- id: a\n  statement: [\n")
    result = check(base)
    assert result.exit_code == 1
    assert result.stdout.startswith("broken.yaml:3: YAML syntax error"), result.stdout
