"""`briefgen add`: HTML, PDF, Word and text documents registered in one step; refusals that write nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from briefgen.authoring import intake
from tests.conftest import FIXTURES, REPO, append_fact, run

DOCS = FIXTURES / "intake"


def add(base: Path, document: Path | str, *args: str):
    return run("--facts", base, "add", document, *args)


def entry_of(base: Path, source_id: str) -> dict:
    return next(e for e in yaml.safe_load((base / "sources.yaml").read_text(encoding="utf-8")) if e["id"] == source_id)


def snapshot(base: Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def test_html_page_main_text_metadata_and_provenance(base: Path):
    result = add(base, DOCS / "article.html", "--type", "news report")
    assert result.exit_code == 0, result.stderr
    sid = result.stdout.strip()
    assert sid == "japan-and-vietnam-expand-coast-guard"
    text = (base / "texts" / f"{sid}.txt").read_text(encoding="utf-8")
    assert "agreed to expand joint training for coast guard officers" in text
    assert "## Investment and aid" in text  # a heading, marked so it is never counted as a paragraph
    for furniture in ("Subscribe today", "Copyright", "Leave a Reply", "Photo: Harbour Daily", "Ten things", "<p>"):
        assert furniture not in text
    entry = entry_of(base, sid)
    assert (entry["title"], entry["author"], entry["publisher"], entry["published"]) == (
        "Japan and Vietnam Expand Coast Guard Training",
        "Jane Roe",
        "The Harbour Daily",
        "2024-03-08",
    )
    assert entry["url"] == "https://harbour.example/2024/03/coast-guard-training"
    assert entry["provenance"]["title"] == "html meta og:title"
    assert entry["provenance"]["published"] == "html meta article:published_time"
    original = base / entry["original"]
    assert original.read_bytes() == (DOCS / "article.html").read_bytes()
    assert entry["original_sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    assert entry["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert entry["body"][0] == 1 and "page_starts" not in entry
    assert entry["retrieved"]
    assert run("--facts", base, "check").exit_code == 0


def test_command_line_metadata_wins_and_is_recorded_as_such(base: Path):
    result = add(
        base, DOCS / "article.html", "--id", "harbour-2024", "--title", "Coast Guard Training", "--published", "2024-03"
    )
    assert result.exit_code == 0, result.stderr
    entry = entry_of(base, "harbour-2024")
    assert (entry["title"], entry["published"]) == ("Coast Guard Training", "2024-03")
    assert entry["provenance"]["title"] == entry["provenance"]["published"] == "command line"
    assert entry["provenance"]["author"] == "html meta author"


def test_pdf_pages_come_from_the_pdf(base: Path):
    result = add(base, DOCS / "two-pages.pdf", "--id", "harbour-pdf")
    assert result.exit_code == 0, result.stderr
    entry = entry_of(base, "harbour-pdf")
    lines = (base / entry["path"]).read_text(encoding="utf-8").split("\n")
    second = entry["page_starts"][1]
    assert entry["page_starts"][0] == 1 and len(entry["page_starts"]) == 2
    assert lines[second - 1].startswith("Japan is now third in investment")
    assert entry["original"] == "originals/harbour-pdf.pdf"
    assert (entry["author"], entry["provenance"]["author"]) == ("Jane Roe", "pdf info /Author")
    assert entry["published"] is None  # the PDF's creation date is not a publication date


def test_word_document_paragraphs_headings_and_captions(base: Path):
    result = add(base, DOCS / "article.docx", "--id", "harbour-docx")
    assert result.exit_code == 0, result.stderr
    entry = entry_of(base, "harbour-docx")
    text = (base / entry["path"]).read_text(encoding="utf-8")
    assert "The two ministers in Hanoi." not in text  # a caption
    assert "## Investment and aid" in text
    assert (entry["title"], entry["provenance"]["title"]) == (
        "Japan and Vietnam Expand Coast Guard Training",
        "docx core title",
    )
    assert "2 body paragraph" not in result.stderr and "3 body paragraph(s)" in result.stderr


FACTS = """\
- id: harbour-training-{n}
  statement: The defence ministers of Japan and Vietnam agreed to expand joint training for coast guard officers.
  kind: event
  date: 2024-03
  topics: [maritime-security]
  salience: 5
  source: {sid}
  quote: agreed to expand joint training for coast guard officers
- id: harbour-investment-{n}
  statement: The planning ministry ranks Japan third among investors in Vietnam.
  kind: assessment
  topics: [investment]
  salience: 5
  source: {sid}
  quote: Japan is now third in investment in Vietnam
"""


@pytest.mark.parametrize(
    ("document", "locators"),
    [
        ("article.html", ("para. 1", "para. 3")),
        ("two-pages.pdf", ("p. 1", "p. 2")),
        ("article.docx", ("para. 1", "para. 2")),
    ],
)
def test_added_document_to_footnoted_brief(base: Path, tmp_path: Path, document: str, locators: tuple[str, str]):
    """From `add` to a built brief without editing sources.yaml; each footnote names the right place."""
    sid = add(base, DOCS / document, "--published", "2024-03-08", "--type", "news report").stdout.strip()
    append_fact(base, FACTS.format(n=1, sid=sid), "harbour.yaml")
    result = run("--facts", base, "build", "--output", tmp_path / "out", "--audience", "economic")
    assert result.exit_code == 0, result.stderr
    brief = (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8")
    assert f"{locators[1]}: “Japan is now third in investment in Vietnam”" in brief
    result = run("--facts", base, "build", "--output", tmp_path / "out2", "--audience", "defence")
    assert result.exit_code == 0, result.stderr
    brief = (tmp_path / "out2" / "defence-brief.md").read_text(encoding="utf-8")
    assert f"{locators[0]}: “agreed to expand joint training for coast guard officers”" in brief


@pytest.mark.parametrize(
    ("document", "code", "message"),
    [
        ("notes.odt", 2, "cannot read '.odt' files"),
        ("scan.pdf", 1, "no text layer"),
        ("locked.pdf", 1, "password-protected"),
        ("boilerplate.html", 1, "no article text found"),
        ("missing.pdf", 2, "no such file"),
        ("damaged.pdf", 1, "not a readable PDF"),
        ("damaged.docx", 1, "not a readable Word document"),
        ("empty.html", 1, "not a readable web page"),
    ],
)
def test_unreadable_documents_are_refused_and_nothing_is_written(base: Path, tmp_path: Path, document, code, message):
    (tmp_path / "notes.odt").write_bytes(b"PK\x03\x04")
    (tmp_path / "damaged.pdf").write_bytes(b"%PDF-1.4 truncated")
    (tmp_path / "damaged.docx").write_bytes(b"not a zip file")
    (tmp_path / "empty.html").write_bytes(b"")
    path = DOCS / document if (DOCS / document).exists() else tmp_path / document
    before = snapshot(base)
    result = add(base, path)
    assert result.exit_code == code
    assert message in result.stderr and str(path.name) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(base) == before


def test_existing_id_duplicate_and_oversize_are_refused(base: Path, monkeypatch: pytest.MonkeyPatch):
    assert add(base, DOCS / "article.html", "--id", "harbour").exit_code == 0
    before = snapshot(base)
    taken = add(base, DOCS / "article.docx", "--id", "harbour")
    assert taken.exit_code == 2 and "'harbour' is already registered" in taken.stderr
    again = add(base, DOCS / "article.html", "--id", "harbour-again")
    assert again.exit_code == 1 and "already registered as 'harbour'" in again.stderr
    monkeypatch.setattr(intake, "MAX_DOCUMENT_BYTES", 1000)
    big = add(base, DOCS / "two-pages.pdf")
    assert big.exit_code == 1 and "bytes is over the limit of 1,000 bytes for a source" in big.stderr
    assert snapshot(base) == before


def test_text_with_markup_is_refused_by_add_and_flagged_by_check(base: Path, tmp_path: Path):
    page = tmp_path / "page.txt"
    page.write_text((DOCS / "article.html").read_text(encoding="utf-8"), encoding="utf-8")
    result = add(base, page)
    assert result.exit_code == 2 and "save it as .html" in result.stderr
    # Registered by hand as text, the markup is caught by `check`.
    shutil.copy(page, base / "texts" / "page.txt")
    digest = hashlib.sha256(page.read_bytes()).hexdigest()
    with (base / "sources.yaml").open("a", encoding="utf-8") as registry:
        registry.write(f"\n- id: page\n  type: news report\n  path: texts/page.txt\n  sha256: {digest}\n")
    result = run("--facts", base, "check")
    assert result.exit_code == 1
    assert "page: source text 'texts/page.txt' still contains markup" in result.stdout + result.stderr


def test_check_verifies_the_original(base: Path):
    sid = add(base, DOCS / "article.docx").stdout.strip()
    original = base / entry_of(base, sid)["original"]
    original.write_bytes(original.read_bytes() + b"\0")
    result = run("--facts", base, "check")
    assert result.exit_code == 1
    assert f"original 'originals/{sid}.docx' has changed" in result.stdout + result.stderr


def test_one_unreadable_source_does_not_stop_extract_or_coverage(base: Path):
    (base / "texts" / "bad.txt").write_bytes(b"\xff\xfe caf\xe9 not utf-8")
    digest = hashlib.sha256((base / "texts" / "bad.txt").read_bytes()).hexdigest()
    with (base / "sources.yaml").open("a", encoding="utf-8") as registry:
        registry.write(f"\n- id: bad\n  type: news report\n  path: texts/bad.txt\n  sha256: {digest}\n")
    result = run("--facts", base, "extract", "news")
    assert result.exit_code == 0, result.stderr
    assert (base / "candidates" / "news.yaml").is_file()
    result = run("--facts", base, "coverage", "--json")
    assert result.exit_code == 1
    assert "bad: source text is not UTF-8; left out of this report" in result.stderr
    assert {item["source"] for item in json.loads(result.stdout)} == {"paper", "news"}
    bad = run("--facts", base, "extract", "bad")
    assert bad.exit_code == 1 and "its text cannot be read" in bad.stderr


def test_coverage_fails_on_a_source_with_no_sentences(base: Path):
    (base / "texts" / "menu.txt").write_text("Home\nWorld\nBusiness\n", encoding="utf-8")
    digest = hashlib.sha256((base / "texts" / "menu.txt").read_bytes()).hexdigest()
    with (base / "sources.yaml").open("a", encoding="utf-8") as registry:
        registry.write(f"\n- id: menu\n  type: news report\n  path: texts/menu.txt\n  sha256: {digest}\n")
    result = run("--facts", base, "coverage", "--source", "menu")
    assert result.exit_code == 1
    assert "menu: no sentences found in texts/menu.txt" in result.stdout


def test_build_and_check_do_not_import_the_document_readers():
    code = (
        "import sys; from briefgen.cli import app; from typer.testing import CliRunner; "
        f"CliRunner().invoke(app, ['--facts', {str(REPO / 'facts')!r}, 'check']); "
        "print(sorted(m for m in ('trafilatura', 'docx', 'lxml', 'pypdf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_init_then_add_extract_check(tmp_path: Path):
    root = tmp_path / "project" / "facts"
    result = run("init", root)
    assert result.exit_code == 0, result.stderr
    for name in ("sources.yaml", "topics.yaml", "metrics.yaml", "exclusions.yaml", "texts", "originals"):
        assert (root / name).exists(), name
    assert "candidates/" in (root / ".gitignore").read_text(encoding="utf-8").split("\n")
    assert (tmp_path / "project" / "templates" / "audiences" / "general.yaml").is_file()
    assert run("--facts", root, "check").exit_code == 0
    again = run("init", root)
    assert again.exit_code == 2 and "already holds a fact base" in again.stderr
    sid = run("--facts", root, "add", DOCS / "article.docx").stdout.strip()
    assert run("--facts", root, "extract", sid).exit_code == 0
    assert "candidate" in (root / "candidates" / f"{sid}.yaml").read_text(encoding="utf-8")
    assert run("--facts", root, "check").exit_code == 0


def test_two_adds_at_once_both_register(base: Path, monkeypatch: pytest.MonkeyPatch):
    """The first add is held while it writes its text; the second, started then, waits for the registry
    and registers after it: neither entry is lost, and the ids stay distinct."""
    import threading

    held, go = threading.Event(), threading.Event()
    real_write = intake._write_atomically

    def write(path: Path, data: bytes) -> None:
        if path.parent.name == "texts" and threading.current_thread().name == "first":
            held.set()
            assert go.wait(30)
        real_write(path, data)

    monkeypatch.setattr(intake, "_write_atomically", write)
    added: dict[str, str] = {}

    def add_one(name: str, document: str) -> None:
        request = intake.AddRequest(DOCS / document, base, id=f"{name}-article", type="news report")
        added[name] = intake.add_source(request).id

    first = threading.Thread(target=add_one, args=("first", "article.html"), name="first")
    second = threading.Thread(target=add_one, args=("second", "article.docx"), name="second")
    first.start()
    assert held.wait(30)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the registry, not reading it while the first writes
    go.set()
    first.join(30)
    second.join(30)
    registered = {e["id"] for e in yaml.safe_load((base / "sources.yaml").read_text(encoding="utf-8"))}
    assert added == {"first": "first-article", "second": "second-article"} and set(added.values()) <= registered
    assert run("--facts", base, "check").exit_code == 0


def test_an_add_that_cannot_get_the_registry_says_so(base: Path):
    import fcntl

    with open(base / "sources.yaml", "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(intake.UsageError, match=r"sources.yaml: another briefgen add has held it for 0 s"):
            with intake.registry_locked(base / "sources.yaml", timeout=0.2):
                pass


def test_an_unreadable_registry_is_named_in_one_line(base: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.test_file_safety import deny

    registry = base / "sources.yaml"
    before = snapshot(base)
    deny(monkeypatch, registry)
    result = add(base, DOCS / "article.html")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"briefgen: {registry}: cannot be read: Permission denied; nothing was added"
    monkeypatch.undo()
    assert snapshot(base) == before


def test_a_registry_that_cannot_be_locked_is_added_to_with_a_warning(base: Path, monkeypatch: pytest.MonkeyPatch):
    """On a file system without locks, an add works as it did before there was a lock, and says so."""
    import errno

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(intake.fcntl, "flock", no_locks)
    result = add(base, DOCS / "article.html")
    assert result.exit_code == 0, result.stderr
    registry = base / "sources.yaml"
    assert result.stderr.splitlines()[0] == (
        f"briefgen: warning: {registry}: cannot be locked (No locks available); "
        "another add at the same moment could lose its entry"
    )
    assert result.stdout.strip() in {e["id"] for e in yaml.safe_load(registry.read_text(encoding="utf-8"))}


def test_a_read_only_registry_is_locked_for_reading(base: Path, monkeypatch: pytest.MonkeyPatch):
    """A registry the user may not write (replaced, not written, so its directory is what must be
    writable) is opened for reading to be locked. Root may write any file, so the refusal is simulated."""
    import fcntl
    import os

    registry = base / "sources.yaml"
    real_open, real_flock = os.open, intake.fcntl.flock
    modes: list[int] = []

    def read_only(path, flags, *args):
        if str(path) == str(registry) and flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    def flock(fd: int, operation: int) -> None:
        modes.append(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE)
        real_flock(fd, operation)

    monkeypatch.setattr(intake.os, "open", read_only)
    monkeypatch.setattr(intake.fcntl, "flock", flock)
    result = add(base, DOCS / "article.html")
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    assert modes == [os.O_RDONLY]
    assert result.stdout.strip() in {e["id"] for e in yaml.safe_load(registry.read_text(encoding="utf-8"))}


def test_a_registry_removed_while_an_add_waits_is_named(base: Path, monkeypatch: pytest.MonkeyPatch):
    registry = base / "sources.yaml"
    real_flock = intake.fcntl.flock

    def removed_meanwhile(fd: int, operation: int) -> None:
        registry.unlink(missing_ok=True)
        real_flock(fd, operation)

    monkeypatch.setattr(intake.fcntl, "flock", removed_meanwhile)
    with pytest.raises(intake.UsageError) as refused:
        with intake.registry_locked(registry):
            pytest.fail("locked a registry that is gone")
    assert str(refused.value) == f"{registry}: cannot be read: No such file or directory; nothing was added"


def test_the_registry_is_locked_open_for_writing(base: Path, monkeypatch: pytest.MonkeyPatch):
    """NFS takes an exclusive lock only on a file open for writing: the registry is opened so where allowed."""
    import fcntl
    import os

    real_flock = intake.fcntl.flock
    modes: list[int] = []

    def flock(fd: int, operation: int) -> None:
        modes.append(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE)
        real_flock(fd, operation)

    monkeypatch.setattr(intake.fcntl, "flock", flock)
    assert add(base, DOCS / "article.html").exit_code == 0
    assert modes == [os.O_RDWR]
