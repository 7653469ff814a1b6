"""#18, slow: `build --pages N` gives PDFs of at most N pages (checked on the PDF), the same selection in Markdown."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pypdf
import pytest

from briefgen.brief.audiences import load_audience
from briefgen.brief.selection import select
from briefgen.check.gate import run_check
from briefgen.factbase.metrics import metric_labels
from briefgen.publish.build import BuildRequest, BuildResult, build
from briefgen.render.pdf import check_tagged
from tests.conftest import ISOLATED_ENV, REPO, outputs, run

pytestmark = pytest.mark.slow

DAY = datetime.date(2026, 1, 1)
FACTS = REPO / "facts"  # the shipped base: 18, 6 and 9 pages in full
AUDIENCES = ("defence", "economic", "historical")
BUDGETS = (1, 2, 3)


def short_build(output: Path, pages: int, force: bool = False) -> BuildResult:
    request = BuildRequest(
        facts=FACTS,
        templates=None,
        output=output,
        audiences=AUDIENCES,
        formats=("md", "pdf"),
        prepared=DAY,
        pages=pages,
        force=force,
    )
    return build(request)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, BuildResult]]:
    """Every audience at 1, 2 and 3 pages, in Markdown and PDF, built once (each fit renders PDFs)."""
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ISOLATED_ENV.items():
            patch.setenv(name, value)
        patch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path_factory.mktemp("length-cache")))
        for pages in BUDGETS:
            out = tmp_path_factory.mktemp(f"length-{pages}p")
            found[pages] = (out, short_build(out, pages))
    return found


@pytest.mark.parametrize("pages", BUDGETS)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_pdf_has_at_most_n_pages_and_the_markdown_the_same_notes(built, audience, pages):
    out, result = built[pages]
    pdf = outputs(out, f"{audience}-brief-{pages}p.pdf", 1)[0]
    reader = pypdf.PdfReader(pdf)
    assert 1 <= len(reader.pages) <= pages
    assert check_tagged(reader) == []  # still PDF/UA: tagged
    markdown = outputs(out, f"{audience}-brief-{pages}p.md", 1)[0].read_text(encoding="utf-8")
    notes_md = len(re.findall(r"^\[\^\d+\]:", markdown, re.M))
    notes_pdf = len([n for n in reader.named_destinations if n.startswith("note-")])
    assert notes_md == notes_pdf > 0  # both formats carry the same selection
    assert "further statement" in markdown
    fitted = [o for o in result.outputs if o.audience == audience and o.format == "pdf"]
    assert len(fitted) == 1 and 1 <= fitted[0].renders <= 2  # the fit's common case: at most two renders


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_two_page_brief_keeps_every_key_point_of_the_full_one(built, audience):
    base, _ = run_check(FACTS, today=DAY)
    full = select(base, load_audience(audience, None), DAY, metric_labels(FACTS))
    markdown = outputs(built[2][0], f"{audience}-brief-2p.md", 1)[0].read_text(encoding="utf-8")
    key_points = markdown.split("## Key points", 1)[1].split("\n## ", 1)[0]
    assert full.key_points
    for sentence in full.key_points:
        assert sentence.text.replace("$", "\\$") in key_points


def test_a_short_build_is_byte_identical_when_built_again(built, tmp_path):
    first, _ = built[2]
    again = tmp_path / "again"
    short_build(again, 2, force=True)
    names = [p.name for p in outputs(first, "*-brief-2p.*", 6)]
    assert [p.name for p in outputs(again, "*-brief-2p.*", 6)] == names
    for name in names:
        assert (again / name).read_bytes() == (first / name).read_bytes(), name


def test_a_budget_that_cannot_hold_the_key_points_is_one_clear_error(tmp_path):
    templates = tmp_path / "templates" / "audiences"
    templates.mkdir(parents=True)
    profile = (REPO / "templates" / "audiences" / "defence.yaml").read_text(encoding="utf-8")
    (templates / "defence.yaml").write_text(profile.replace("count: 5", "count: 40"), encoding="utf-8")
    result = run("--facts", FACTS, "--templates", tmp_path / "templates", "build", "-a", "defence", "--pages", "1")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "defence: --pages 1 cannot hold even the key points" in lines[0]
    assert list(tmp_path.glob("build/*-brief*")) == []  # nothing written


def test_short_and_full_briefs_live_side_by_side(tmp_path):
    assert run("--facts", FACTS, "build", "-a", "economic").exit_code == 0
    assert run("--facts", FACTS, "build", "-a", "economic", "--pages", "2").exit_code == 0
    short, full = outputs(tmp_path / "build", "economic-brief*.md", 2)
    assert short.name == "economic-brief-2p.md" and "leaves out" in short.read_text(encoding="utf-8")
    assert "leaves out" not in full.read_text(encoding="utf-8")
    again = run("--facts", FACTS, "build", "-a", "economic", "--pages", "2")
    assert again.exit_code == 0 and "up to date" in again.stdout
    again = run("--facts", FACTS, "build", "-a", "economic")
    assert again.exit_code == 0 and "up to date" in again.stdout
