"""Per-file incremental loading: after an edit only what changed is read, and an entry is never
trusted once anything it was made from has changed (the file, a source text, topics.yaml, the
registry's names for sources, briefgen's code)."""

from __future__ import annotations

import json

import pytest

from briefgen.check.gate import run_check
from briefgen.errors import FactBaseError
from briefgen.factbase import cache, incremental
from briefgen.factbase import loading as factbase
from tests.conftest import append_fact, rehash

SECOND = """\
- id: monk-again
  statement: In 736, a monk travelled from what is now Vietnam to Japan, the first recorded contact.
  kind: event
  date: "736"
  topics: [pre-modern]
  salience: 3
  source: paper
  quote: Contacts date back to the 8th century, when a monk travelled to Japan in 736.
"""


@pytest.fixture
def two_files(base):
    """The fixture base with a second fact file, checked once so that every entry is stored."""
    append_fact(base, SECOND, name="second.yaml")
    _base, problems = run_check(base)
    assert not [p for p in problems if p.severity == "error"], problems
    return base


@pytest.fixture
def reads(monkeypatch):
    """The names of the fact files read (not taken from the cache) from here on."""
    names: list[str] = []
    real = factbase.read_file

    def recording(base, path, rules):
        names.append(path.name)
        return real(base, path, rules)

    monkeypatch.setattr(factbase, "read_file", recording)
    return names


def errors_in(problems, file):
    return [p.message for p in problems if p.file == file and p.severity == "error"]


def test_after_an_edit_only_the_edited_file_is_read(two_files, reads):
    first = run_check(two_files)[1]
    facts = two_files / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    base, again = run_check(two_files)
    assert reads == ["facts.yaml"]
    assert [str(p) for p in again] == [str(p) for p in first]
    assert "monk-again" in {f.id for f in base.facts} and len(base.facts) == 8


def test_an_edited_file_gives_its_new_problems(two_files, reads):
    second = two_files / "second.yaml"
    second.write_text(SECOND.replace("salience: 3", "salience: 9"), encoding="utf-8")
    problems = run_check(two_files)[1]
    assert reads == ["second.yaml"]
    assert any("salience" in m for m in errors_in(problems, "second.yaml")), problems


def test_a_changed_source_text_is_seen_by_the_files_that_did_not_change(two_files, reads):
    text = two_files / "texts" / "paper.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("when a monk", "when a nun"), encoding="utf-8")
    rehash(two_files, "paper")
    problems = run_check(two_files)[1]
    assert sorted(reads) == ["facts.yaml", "second.yaml"]
    assert any("quote not found" in m for m in errors_in(problems, "second.yaml")), problems


def test_a_changed_topic_list_is_seen_by_the_files_that_did_not_change(two_files, reads):
    topics = two_files / "topics.yaml"
    topics.write_text(topics.read_text(encoding="utf-8").replace("  pre-modern:", "  early:"), encoding="utf-8")
    problems = run_check(two_files)[1]
    assert "second.yaml" in reads
    assert "unknown topic 'pre-modern' (see topics.yaml)" in errors_in(problems, "second.yaml")


def test_a_new_name_for_a_source_is_seen_by_the_files_that_did_not_change(two_files, reads):
    registry = two_files / "sources.yaml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("  path: texts/news.txt", "  called: [recorded contact]\n  path: texts/news.txt"))
    problems = run_check(two_files)[1]
    assert "second.yaml" in reads
    assert any("statement names the recorded contact" in m for m in errors_in(problems, "second.yaml")), problems


def test_entries_of_another_version_of_briefgen_are_not_used(two_files, reads, monkeypatch):
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of briefgen")
    run_check(two_files)
    assert sorted(reads) == ["facts.yaml", "second.yaml"]


def test_the_code_digest_covers_the_hedge_vocabulary():
    assert "check/hedges.yaml" in {p.relative_to(cache.PACKAGE).as_posix() for p in cache.PACKAGE.rglob("*.yaml")}
    cache.code_digest.cache_clear()
    before = cache.code_digest()
    hedges = cache.PACKAGE / "check" / "hedges.yaml"
    original = hedges.read_bytes()
    try:
        hedges.write_bytes(original + b"\n# an edit\n")
        cache.code_digest.cache_clear()
        assert cache.code_digest() != before
    finally:
        hedges.write_bytes(original)
        cache.code_digest.cache_clear()


def test_a_file_entry_of_the_wrong_shape_is_discarded(two_files, reads, capsys):
    first = run_check(two_files)[1]
    stored = sorted((cache.cache_dir() / incremental.FILES).glob("*.json"))
    assert len(stored) == 2
    for entry in stored:
        entry.write_text(json.dumps({"problems": [], "outlines": [["forged"]], "facts": [["forged"]]}))
    facts = two_files / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    again = run_check(two_files)[1]
    assert sorted(reads) == ["facts.yaml", "second.yaml"]
    assert "discarded cache entry" in capsys.readouterr().err
    assert [str(p) for p in again] == [str(p) for p in first]


def test_a_source_text_entry_is_used_only_for_the_same_text(two_files):
    stored = sorted((cache.cache_dir() / incremental.TEXTS).glob("*.json"))
    assert len(stored) == 2
    source, raw, sha = next(
        (t.source, t.raw, t.sha256) for t in run_check(two_files, outline=False)[0].texts.values() if t.raw
    )
    text = incremental.make_text(source, raw, sha)
    assert text.raw == raw and text.normal.text
    forged = incremental.make_text(source, raw + "another sentence.\n", sha)  # same key, other bytes
    assert forged.raw.endswith("another sentence.\n")


def test_a_build_after_an_edit_has_every_fact_with_its_anchors(two_files, reads):
    full, _ = run_check(two_files, outline=False)
    facts = two_files / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    reads.clear()
    again, _ = run_check(two_files, outline=False)
    assert reads == ["facts.yaml"]
    assert again.facts == full.facts and again.anchors == full.anchors and again.anchors
    assert {sid: t.normal for sid, t in again.texts.items()} == {sid: t.normal for sid, t in full.texts.items()}


def test_a_check_after_an_edit_makes_only_the_texts_the_edited_file_quotes(two_files, reads, monkeypatch):
    run_check(two_files, outline=True)  # the entries of a check (outlines) stored
    reads.clear()
    made: list[str] = []
    real = incremental.make_text
    monkeypatch.setattr(incremental, "make_text", lambda source, *a: made.append(source.id) or real(source, *a))
    second = two_files / "second.yaml"
    second.write_text(SECOND + "# a comment\n", encoding="utf-8")
    base, problems = run_check(two_files, outline=True)
    assert reads == ["second.yaml"] and made == ["paper"]  # news is not quoted there, so never made
    assert len(base.facts) == 8 and not [p for p in problems if p.severity == "error"]


@pytest.mark.parametrize("outline", [False, True])
def test_a_load_holds_no_text_and_makes_one_again_from_its_entry(base, monkeypatch, outline):
    # A text (as read, or made: normalised copy, locators) is not kept past the load: a Markdown build
    # reads none. Cold and warm alike.
    loaded, problems = run_check(base, outline=outline)
    assert not [p for p in problems if p.severity == "error"] and len(loaded.texts) == 2
    assert loaded.texts.held() == []
    again = run_check(base, outline=outline)[0].texts
    assert not again or again.held() == []  # a check's entry holds no text at all
    normalised: list[str] = []
    real = factbase.SourceText.__post_init__
    monkeypatch.setattr(factbase.SourceText, "__post_init__", lambda t: normalised.append(t.source.id) or real(t))
    for sid in loaded.texts:
        text = loaded.texts[sid]
        assert text.normal.text and text.raw and text.sha256
    assert normalised == []  # read back from their entries, not normalised again


def test_a_text_changed_after_the_load_is_not_made_from_other_bytes(two_files):
    for _ in range(2):  # cold, then from the base's entry
        loaded, _ = run_check(two_files, outline=False)
        text = sorted((two_files / "texts").iterdir())[0]
        original = text.read_bytes()
        text.write_bytes(original.upper())
        source_id = next(sid for sid in loaded.texts if loaded.sources[sid].path == text)
        with pytest.raises(FactBaseError) as raised:
            loaded.texts[source_id]
        assert "changed while briefgen ran" in str(raised.value.problems[0])
        text.write_bytes(original)
        assert loaded.texts[source_id].raw.encode("utf-8") == original.replace(b"\r\n", b"\n")
