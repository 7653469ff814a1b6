"""Scheduled regeneration: incremental, atomic, locked, quiet or JSON, and honest about changes."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest

from tests.conftest import append_fact, outputs, run

NEW_FACT = """\
- id: new-aid-fact
  statement: Japanese aid to Vietnam since 1992 totalled $20 billion, the Test Times reported.
  kind: event
  date: "2015"
  topics: [aid]
  source: news
  quote: Since 1992, Japanese aid to Vietnam adds up to $20 billion.
"""


def build(base, out, *args):
    return run("--facts", base, "build", "--all", "-o", out, *args)


def built(base, out, *args):
    """Build, which must succeed."""
    result = build(base, out, *args)
    assert result.exit_code == 0, result.stderr
    return result


# Incremental logic is the same for both formats; a PDF costs seconds, so its variant runs with the slow tests.
FORMATS = [
    pytest.param(("md",), id="md"),
    pytest.param(("md", "pdf"), id="md+pdf", marks=pytest.mark.slow),
]


def format_options(formats: tuple[str, ...]) -> list[str]:
    return [option for fmt in formats for option in ("-f", fmt)]


def snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize("formats", FORMATS)
def test_second_build_writes_nothing(base, tmp_path, formats):
    out = tmp_path / "out"
    built(base, out, *format_options(formats))
    before = snapshot(out)
    assert len(before) == 3 * len(formats)
    result = built(base, out, *format_options(formats))
    assert result.stdout.strip() == f"up to date: {3 * len(formats)} output(s) in {out}, nothing rewritten"
    assert snapshot(out) == before


def test_force_rebuilds(base, tmp_path):
    out = tmp_path / "out"
    built(base, out)
    result = built(base, out, "--force")
    assert result.stdout.count("built: ") == 3


@pytest.mark.parametrize("formats", FORMATS)
def test_changing_one_fact_rebuilds_only_briefs_that_use_it(base, tmp_path, formats):
    out = tmp_path / "out"
    built(base, out, *format_options(formats))
    before = snapshot(out)
    facts = base / "facts.yaml"
    facts.write_text(facts.read_text().replace("in ODA to Vietnam.", "in ODA to Vietnam, the paper says."))
    result = built(base, out, *format_options(formats), "--json")
    summary = json.loads(result.stdout)
    status = {(o["audience"], o["format"]): o["status"] for o in summary["outputs"]}
    assert status == {
        (audience, fmt): "built" if audience == "economic" else "up to date"
        for audience in ("defence", "economic", "historical")
        for fmt in formats
    }
    after = snapshot(out)
    for fmt in formats:
        assert after[f"defence-brief.{fmt}"] == before[f"defence-brief.{fmt}"]
        assert after[f"economic-brief.{fmt}"] != before[f"economic-brief.{fmt}"]


def test_deleted_or_edited_output_is_rebuilt(base, tmp_path):
    out = tmp_path / "out"
    built(base, out)
    (out / "defence-brief.md").unlink()
    (out / "economic-brief.md").write_text("tampered")
    result = built(base, out)
    assert "built: " + str(out / "defence-brief.md") in result.stdout
    assert "built: " + str(out / "economic-brief.md") in result.stdout
    assert "up to date: " + str(out / "historical-brief.md") in result.stdout


def test_broken_template_leaves_outputs(base, tmp_path, fixture_briefs):
    out = tmp_path / "out"
    shutil.copytree(fixture_briefs, out)  # the previous build: the fixture's briefs, Markdown and PDF
    before = snapshot(out)
    assert len(before) == 6
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "brief.html.j2").write_text("{% for x in %}")
    result = run("--facts", base, "--templates", templates, "build", "--all", "-o", out, "-f", "md", "-f", "pdf")
    assert result.exit_code == 1
    assert "brief.html.j2:1: template syntax error" in result.stderr
    assert snapshot(out) == before


def test_json_summary_and_quiet(base, tmp_path):
    out = tmp_path / "out"
    quiet = build(base, out, "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    outputs(out, "*.md", 3)
    summary = json.loads(built(base, out, "--json", "--force").stdout)
    assert summary["ok"] is True and len(summary["outputs"]) == 3
    assert {o["status"] for o in summary["outputs"]} == {"built"}
    assert any("stale figure" in w["message"] for w in summary["warnings"])


def test_strict_turns_warnings_into_failure(base, tmp_path):
    result = build(base, tmp_path / "out", "--strict")
    assert result.exit_code == 1
    assert "stale figure" in result.stderr and "(--strict)" in result.stderr
    assert not (tmp_path / "out" / "economic-brief.md").exists()


def test_changes_since_previous_edition(base, tmp_path):
    out = tmp_path / "out"
    built(base, out, "--changes")
    first = (out / "economic-brief.md").read_text()
    assert "Changes since" not in first  # a first edition has nothing to compare with
    append_fact(base, NEW_FACT)
    result = built(base, out, "--changes", "--json", "--date", "2026-02-01")
    summary = json.loads(result.stdout)
    assert summary["changes"]["economic"]["added"] == ["new-aid-fact"]
    text = (out / "economic-brief.md").read_text()
    assert "## Changes since the edition of 2026-01-01" in text
    assert "- New: Japanese aid to Vietnam since 1992 totalled \\$20 billion" in text
    again = build(base, out, "--changes", "--force", "--date", "2026-02-01")
    assert again.exit_code == 0
    assert (out / "economic-brief.md").read_text() == text  # a forced rebuild tells the same story


def test_lock_makes_second_build_wait_then_give_up(base, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".briefgen.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = build(base, out, "--wait", "0.3")
    assert result.exit_code == 1
    assert f"another briefgen build holds {out / '.briefgen.lock'} (waited 0.3 s)" in result.stderr
    assert not list(out.glob("*.md"))


def _cli(*args: str, hook: str = "") -> subprocess.Popen:
    """briefgen in a process of its own; hook is Python run first, to hold the build at a chosen point."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    code = f"{hook}\nfrom briefgen.cli import main\nmain()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("formats", FORMATS)
def test_two_builds_at_once_both_succeed(base, tmp_path, formats):
    out = tmp_path / "out"
    procs = [_cli("--facts", str(base), "build", "--all", *format_options(formats), "-o", str(out)) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert sum("up to date" in r[0] for r in results) == 1
    for path in outputs(out, "*-brief.*", 3 * len(formats)):
        if path.suffix == ".pdf":
            assert len(pypdf.PdfReader(path).pages) >= 1
    assert not list(out.glob(".*.tmp"))


# Where a build is held until the test kills it: each hook touches a marker file (the test's signal that
# the build got there), then blocks reading stdin, which the test never writes.
HOLD = """
import os, sys
from pathlib import Path
MARKER = Path(os.environ["BRIEFGEN_TEST_MARKER"])
def hold():
    MARKER.touch()
    sys.stdin.read()
    raise SystemExit("the build was not killed")
"""
HOOKS = {
    # While the PDF renders: the brief's Markdown is ready, nothing is written yet.
    "rendering": HOLD + "import briefgen.render.pdf as pdf\npdf.render_job_warned = lambda job: hold()\n",
    # In the middle of the first atomic write: its temporary file holds the new bytes, not yet renamed.
    "writing": HOLD
    + "real_fsync = os.fsync\n"
    + "def fsync(fd):\n"
    + "    if os.readlink(f'/proc/self/fd/{fd}').endswith('.tmp'):\n"
    + "        hold()\n"
    + "    real_fsync(fd)\n"
    + "os.fsync = fsync\n",
}


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll until condition() holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the build to reach its hook"
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("point", sorted(HOOKS))
def test_killed_build_leaves_previous_outputs(base, tmp_path, monkeypatch, fixture_briefs, point):
    out = tmp_path / "out"
    shutil.copytree(fixture_briefs, out)  # the previous edition, Markdown and PDF
    before = snapshot(out)
    marker = tmp_path / "reached"
    monkeypatch.setenv("BRIEFGEN_TEST_MARKER", str(marker))
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")  # its writes would meet the "writing" hook first
    facts = base / "facts.yaml"
    facts.write_text(
        facts.read_text().replace("give Vietnam six patrol boats.", "give Vietnam six patrol boats, it said.")
    )
    args = ("--facts", str(base), "build", "-a", "defence", "-f", "md", "-f", "pdf", "-o", str(out), "--force")
    proc = _cli(*args, hook=HOOKS[point])
    wait_for(lambda: marker.exists() or proc.poll() is not None)
    assert proc.poll() is None, proc.communicate()
    if point == "writing":
        assert list(out.glob(".*.tmp")), "the kill lands while a temporary file exists"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert snapshot(out) == before
    assert not list(out.glob(".*.tmp"))
