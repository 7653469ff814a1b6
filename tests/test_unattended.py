"""Scheduled regeneration: incremental, atomic, locked, quiet or JSON, and honest about changes."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf

from tests.conftest import append_fact, run

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


def snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir() if not p.name.startswith(".")}


def test_second_build_writes_nothing(base, tmp_path):
    out = tmp_path / "out"
    assert build(base, out, "-f", "md", "-f", "pdf").exit_code == 0
    before = snapshot(out)
    result = build(base, out, "-f", "md", "-f", "pdf")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"up to date: 6 output(s) in {out}, nothing rewritten"
    assert snapshot(out) == before


def test_force_rebuilds(base, tmp_path):
    out = tmp_path / "out"
    build(base, out)
    result = build(base, out, "--force")
    assert result.stdout.count("built: ") == 3


def test_changing_one_fact_rebuilds_only_briefs_that_use_it(base, tmp_path):
    out = tmp_path / "out"
    build(base, out, "-f", "md", "-f", "pdf")
    before = snapshot(out)
    facts = base / "facts.yaml"
    facts.write_text(facts.read_text().replace("in ODA to Vietnam.", "in ODA to Vietnam, the paper says."))
    result = build(base, out, "-f", "md", "-f", "pdf", "--json")
    summary = json.loads(result.stdout)
    status = {(o["audience"], o["format"]): o["status"] for o in summary["outputs"]}
    assert status == {
        ("defence", "md"): "up to date",
        ("defence", "pdf"): "up to date",
        ("economic", "md"): "built",
        ("economic", "pdf"): "built",
        ("historical", "md"): "up to date",
        ("historical", "pdf"): "up to date",
    }
    after = snapshot(out)
    assert after["defence-brief.pdf"] == before["defence-brief.pdf"]
    assert after["economic-brief.md"] != before["economic-brief.md"]


def test_deleted_or_edited_output_is_rebuilt(base, tmp_path):
    out = tmp_path / "out"
    build(base, out)
    (out / "defence-brief.md").unlink()
    (out / "economic-brief.md").write_text("tampered")
    result = build(base, out)
    assert "built: " + str(out / "defence-brief.md") in result.stdout
    assert "built: " + str(out / "economic-brief.md") in result.stdout
    assert "up to date: " + str(out / "historical-brief.md") in result.stdout


def test_broken_template_leaves_outputs(base, tmp_path):
    out = tmp_path / "out"
    build(base, out, "-f", "md", "-f", "pdf")
    before = snapshot(out)
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
    summary = json.loads(build(base, out, "--json", "--force").stdout)
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
    build(base, out, "--changes")
    first = (out / "economic-brief.md").read_text()
    assert "Changes since" not in first  # a first edition has nothing to compare with
    append_fact(base, NEW_FACT)
    result = build(base, out, "--changes", "--json", "--date", "2026-02-01")
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
    assert "another briefgen build holds" in result.stderr


def _cli(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_two_builds_at_once_both_succeed(base, tmp_path):
    out = tmp_path / "out"
    procs = [_cli("--facts", str(base), "build", "--all", "-f", "md", "-f", "pdf", "-o", str(out)) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert sum("up to date" in r[0] for r in results) == 1
    for pdf in out.glob("*.pdf"):
        assert len(pypdf.PdfReader(pdf).pages) >= 1
    assert not list(out.glob(".*.tmp"))


def test_killed_build_leaves_previous_outputs(tmp_path):
    import random

    from tests.test_pdf import _stress_base

    base = _stress_base(tmp_path, 300, random.Random(3))  # a PDF that takes seconds to lay out
    out = tmp_path / "out"
    assert run("--facts", base, "build", "-a", "defence", "-f", "md", "-f", "pdf", "-o", out).exit_code == 0
    before = snapshot(out)
    facts = base / "facts.yaml"
    facts.write_text(facts.read_text().replace('statement: "Item0 ', 'statement: "Changed Item0 ', 1))
    proc = _cli("--facts", str(base), "build", "-a", "defence", "-f", "md", "-f", "pdf", "-o", str(out))
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert snapshot(out) == before
    assert not list(out.glob(".*.tmp"))
