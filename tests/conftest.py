"""Shared fixtures: a tiny fact base copied into tmp_path, the fixture's briefs built once, and the CLI runner."""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefgen.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
ISOLATED_ENV = {"LC_ALL": "C.UTF-8", "SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run in tmp_path, with a fixed locale, a fixed brief date and a cache of their own."""
    monkeypatch.chdir(tmp_path)
    for name, value in ISOLATED_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / ".hypothesis"))
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / ".briefgen-cache"))


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A copy of the small fixture fact base, free to break."""
    target = tmp_path / "facts"
    shutil.copytree(FIXTURES / "base", target)
    return target


@pytest.fixture(scope="session")
def fixture_briefs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every audience of the fixture base in Markdown and PDF, built once per session (PDFs take seconds).

    Read-only: a test that changes outputs copies this directory first. Built with the same isolation
    as a test (own cache, fixed locale and date), since session fixtures run before `_isolate`.
    """
    from briefgen.publish.build import BuildRequest, build

    out = tmp_path_factory.mktemp("fixture-briefs")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ISOLATED_ENV.items():
            patch.setenv(name, value)
        patch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path_factory.mktemp("fixture-briefs-cache")))
        request = BuildRequest(
            facts=FIXTURES / "base",
            templates=None,
            output=out / "briefs",
            audiences=("defence", "economic", "historical"),
            formats=("md", "pdf"),
            prepared=datetime.date(2026, 1, 1),
            marking="UNCLASSIFIED",
            strict_pdf=True,
        )
        result = build(request)
    assert len(result.outputs) == 6 and all(o.status == "built" for o in result.outputs)
    return out / "briefs"


def run(*args: str):
    """Invoke the CLI; return the result with exit_code, stdout and stderr."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def outputs(directory: Path, pattern: str, count: int) -> list[Path]:
    """The files matching pattern, exactly count of them: a loop over them can never pass by finding none."""
    found = sorted(directory.glob(pattern))
    assert len(found) == count, f"expected {count} {pattern} in {directory}, found {[p.name for p in found]}"
    return found


def append_fact(base: Path, text: str, name: str = "extra.yaml") -> Path:
    path = base / name
    path.write_text(text, encoding="utf-8")
    return path


def rehash(base: Path, source_id: str) -> None:
    """Update a fixture source's sha256 after a test changed its text."""
    registry = base / "sources.yaml"
    text = registry.read_text(encoding="utf-8")
    lines = text.split("\n")
    current = None
    for i, line in enumerate(lines):
        if line.startswith("- id: "):
            current = line[6:].strip()
        if current == source_id and line.strip().startswith("path:"):
            path = base / line.split(":", 1)[1].strip()
        if current == source_id and line.strip().startswith("sha256:"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines[i] = f"  sha256: {digest}"
    registry.write_text("\n".join(lines), encoding="utf-8")


os.environ.setdefault("LC_ALL", "C.UTF-8")


def add_source(base: Path, source_id: str, text: str, published: str | None) -> None:
    """Register a new source with its text in a copied fact base (a made-up text, for tests only)."""
    (base / "texts" / f"{source_id}.txt").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    when = f'"{published}"' if published else "null"
    entry = (
        f"\n- id: {source_id}\n  title: Test Update\n  series: null\n  author: null\n  publisher: Test Wire\n"
        f"  place: null\n  published: {when}\n  type: news report\n  url: null\n"
        f"  path: texts/{source_id}.txt\n  sha256: {digest}\n  notes: null\n"
    )
    registry = base / "sources.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").rstrip("\n") + "\n" + entry, encoding="utf-8")


# A newer value of the fixture's ODA measure that no economic section takes (its topic is not the
# economic brief's): the economic brief then states a value long replaced as current, which is stale.
NEWER_ODA_ELSEWHERE = """\
- id: oda-2024-elsewhere
  statement: By 2024, Japan had provided approximately 3.5 trillion yen in ODA to Vietnam.
  kind: figure
  as_of: "2024"
  quantity: {value: 3.5, unit: JPY trillion, metric: japan-oda-cumulative, approximate: true}
  topics: [multilateral]
  source: wire-2024
  quote: By 2024, Japan had provided approximately 3.5 trillion yen in ODA to Vietnam.
"""


def add_stale_case(base: Path) -> None:
    add_source(
        base,
        "wire-2024",
        "By 2024, Japan had provided approximately 3.5 trillion yen in ODA to Vietnam.\n",
        "2024-05-01",
    )
    append_fact(base, NEWER_ODA_ELSEWHERE, "newer.yaml")
