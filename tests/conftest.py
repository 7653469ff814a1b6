"""Shared fixtures: a tiny fact base copied into tmp_path, and the CLI run through its runner."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefgen.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run in tmp_path, with a fixed locale, a fixed brief date and a cache of their own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / ".hypothesis"))
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / ".briefgen-cache"))


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A copy of the small fixture fact base, free to break."""
    target = tmp_path / "facts"
    shutil.copytree(FIXTURES / "base", target)
    return target


def run(*args: str):
    """Invoke the CLI; return the result with exit_code, stdout and stderr."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


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
