"""Nothing waits on a pipe, nothing huge is read, and every unreadable path is named in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefgen.common import files
from tests.conftest import REPO, run

NO_HANG = 60  # seconds: a run that waits on a pipe is killed here, and the test fails


def briefgen(*args: object) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, so that a hang is a timeout, not a stuck test run."""
    command = [sys.executable, "-m", "briefgen", *map(str, args)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, capture_output=True, text=True, timeout=NO_HANG, env=env)


def one_line(text: str) -> str:
    assert "Traceback" not in text
    (line,) = [ln for ln in text.splitlines() if ln.startswith("briefgen: ") or ": cannot" in ln or "is a " in ln]
    return line


# Named pipes


def test_a_pipe_as_fact_file_is_refused_not_waited_on(base):
    os.mkfifo(base / "pipe.yaml")
    done = briefgen("--facts", base, "check")
    assert done.returncode == 1
    assert "pipe.yaml: cannot read: is a named pipe, not a regular file" in done.stdout


def test_a_pipe_as_source_text_is_refused_not_waited_on(base):
    text = base / "texts" / "news.txt"
    text.unlink()
    os.mkfifo(text)
    done = briefgen("--facts", base, "check")
    assert done.returncode == 1
    assert "news: cannot read source text 'texts/news.txt': is a named pipe, not a regular file" in done.stdout


def test_a_pipe_as_topics_is_refused_not_waited_on(base):
    (base / "topics.yaml").unlink()
    os.mkfifo(base / "topics.yaml")
    done = briefgen("--facts", base, "check")
    assert done.returncode == 1 and "topics.yaml: cannot read: is a named pipe" in done.stdout


@pytest.mark.parametrize("where", ["templates", "fact base"])
def test_a_pipe_anywhere_a_build_reads_is_refused(base, tmp_path, where):
    templates = tmp_path / "my-templates"
    templates.mkdir()
    pipe = templates / "brief.md.j2" if where == "templates" else base / "texts" / "notes.fifo"
    os.mkfifo(pipe)
    chosen = ["--templates", templates] if where == "templates" else []  # an empty one is no templates directory
    done = briefgen("--facts", base, *chosen, "build", "-a", "defence", "-o", tmp_path / "out")
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        f"briefgen: {pipe}: is a named pipe, not a regular file; remove it or replace it with a file"
    )
    assert not (tmp_path / "out" / "defence-brief.md").exists()


# Sizes: refused from the size, before a byte is read


def bytes_read() -> int:
    """Bytes this process has read through system calls so far (rchar: page cache and sparse holes included)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def huge(path: Path) -> None:
    """A sparse 2 GiB file: no disk used, but 2 GiB to read for whoever tries."""
    path.unlink(missing_ok=True)
    subprocess.run(["truncate", "-s", "2G", str(path)], check=True)


def test_a_huge_source_text_is_refused_by_size_unread(base, tmp_path):
    huge(base / "texts" / "news.txt")
    before = bytes_read()
    checked = run("--facts", base, "check")
    built = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "out")
    assert bytes_read() - before < 64 * 2**20  # a few files and Python modules, not 2 GiB
    message = "news: cannot read source text 'texts/news.txt': is 2,048 MiB, larger than the 256 MiB briefgen reads"
    assert checked.exit_code == 1 and message in checked.stdout
    assert built.exit_code == 1 and message in built.stderr


def test_a_huge_fact_file_is_refused_by_size_unread(base):
    huge(base / "more.yaml")
    before = bytes_read()
    checked = run("--facts", base, "check")
    assert bytes_read() - before < 64 * 2**20
    assert checked.exit_code == 1 and "more.yaml: file is larger than 256 MiB; split it" in checked.stdout


def test_read_regular_never_returns_more_than_its_limit(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert files.read_regular(path, 100) == b"x" * 100
    with pytest.raises(files.FileRefused) as refused:
        files.read_regular(path, 99)
    assert refused.value.size == 100


# Unreadable files during a build


def test_a_broken_link_in_the_fact_base_stops_a_build_naming_it(base, tmp_path):
    (base / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    built = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "out")
    assert built.exit_code == 1
    assert one_line(built.stderr) == f"briefgen: {base / 'gone.yaml'}: is a broken link; fix it or remove it"
    checked = run("--facts", base, "check")  # and check names it too, instead of a traceback
    assert checked.exit_code == 1 and "gone.yaml: cannot read: No such file or directory" in checked.stdout


def deny(monkeypatch: pytest.MonkeyPatch, victim: Path) -> None:
    """Opening victim fails with EACCES, as for a file without read permission (which root ignores)."""
    real_open, real_os_open = open, os.open
    target = str(victim.resolve())

    def refuse(file: object) -> None:
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == target:
            raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr("builtins.open", lambda file, *a, **k: refuse(file) or real_open(file, *a, **k))
    monkeypatch.setattr(os, "open", lambda path, *a, **k: refuse(path) or real_os_open(path, *a, **k))


@pytest.mark.parametrize("which", ["template", "fact file", "source text"])
def test_an_unreadable_file_stops_a_build_naming_it(base, tmp_path, monkeypatch, which):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "brief.md.j2").write_text((REPO / "templates" / "brief.md.j2").read_text(encoding="utf-8"))
    victim = {
        "template": templates / "brief.md.j2",
        "fact file": base / "facts.yaml",
        "source text": base / "texts" / "news.txt",
    }[which]
    deny(monkeypatch, victim)
    built = run("--facts", base, "--templates", templates, "build", "-a", "defence", "-o", tmp_path / "out")
    assert built.exit_code == 1
    assert one_line(built.stderr) == f"briefgen: {victim}: cannot be read: Permission denied; fix it or remove it"
    assert not (tmp_path / "out" / "defence-brief.md").exists()


# extract --output


def test_extract_output_at_a_directory_is_a_usage_error(base, tmp_path):
    target = tmp_path / "reviews"
    target.mkdir()
    for extra in ([], ["--force"]):
        result = run("--facts", base, "extract", "news", "-o", target, *extra)
        assert result.exit_code == 2
        assert one_line(result.stderr) == (
            f"briefgen: {target}: is a directory; give --output a file name, such as {target / 'candidates.yaml'}"
        )
    assert list(target.iterdir()) == []


def test_extract_output_under_a_file_is_a_usage_error(base, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    result = run("--facts", base, "extract", "news", "-o", blocker / "sub" / "c.yaml")
    assert result.exit_code == 2
    assert f"'{blocker}' is a file, not a directory; choose another --output" in one_line(result.stderr)
    assert blocker.read_text() == "mine"


def test_extract_output_at_a_pipe_is_refused_not_waited_on(base, tmp_path):
    pipe = tmp_path / "c.yaml"
    os.mkfifo(pipe)
    done = briefgen("--facts", base, "extract", "news", "-o", pipe, "--force")
    assert done.returncode == 2
    assert one_line(done.stderr) == f"briefgen: {pipe}: is a named pipe, not a file; give --output a file name"


# Deep YAML


@pytest.mark.parametrize("depth", [300, 900])
@pytest.mark.parametrize("style", ["flow", "block"])
def test_deeply_nested_yaml_is_an_error_with_its_line(base, depth, style):
    if style == "flow":
        nested, line = "[" * depth + "]" * depth, 3
    else:
        nested, line = "\n" + "".join(" " * (2 * i + 4) + "- \n" for i in range(depth)), 2 + 64
    (base / "deep.yaml").write_text(f"- id: deep\n  statement: Deep.\n  topics: {nested}\n", encoding="utf-8")
    result = run("--facts", base, "check")
    assert result.exit_code == 1
    assert f"deep.yaml:{line}: lists and mappings nested more than 64 levels deep" in result.stdout


# NUL bytes in paths


@pytest.mark.parametrize(
    ("option", "args"),
    [
        ("--facts", ["--facts", "fa\0cts", "check"]),
        ("--templates", ["--templates", "tem\0plates", "check"]),
        ("--config", ["--config", "brief\0gen.toml", "check"]),
        ("--output", ["--facts", "FACTS", "build", "-a", "defence", "--output", "o\0ut"]),
        ("--output", ["--facts", "FACTS", "build", "-a", "defence", "--output=o\0ut"]),
        ("-o", ["--facts", "FACTS", "extract", "news", "-o", "c\0.yaml"]),
    ],
)
def test_a_nul_byte_in_a_path_is_named(base, option, args):
    result = run(*(str(base) if a == "FACTS" else a for a in args))
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith(f"briefgen: {option} '")
    assert "contains a NUL byte (\\0), which no file name can; correct the path" in result.stderr


def test_a_nul_byte_in_a_source_path_is_named(base):
    registry = base / "sources.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8").replace("path: texts/news.txt", 'path: "texts/ne\\0ws.txt"'),
        encoding="utf-8",
    )
    result = run("--facts", base, "check")
    assert result.exit_code == 1
    assert "news: path contains a NUL byte (\\0), which no file name can; correct the path" in result.stdout
