"""The cache: an unchanged fact base is read back, any change is read afresh, and a bad cache is no cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from briefgen.check.gate import run_check
from briefgen.check.rules import check_fact
from briefgen.factbase import cache, codec, incremental
from briefgen.factbase import loading as factbase
from tests.conftest import append_fact, rehash, run


def entries(kind: str) -> list:
    root = cache.cache_dir()
    return sorted((root / kind).glob("*.json")) if root and (root / kind).is_dir() else []


def test_an_unchanged_base_is_read_from_the_cache(base, monkeypatch):
    first, problems = run_check(base)
    assert len(entries("factbase")) == 1
    monkeypatch.setattr(factbase, "_load", lambda *a: pytest.fail("read the files although nothing changed"))
    again, again_problems = run_check(base)
    assert again.facts == first.facts and again.anchors == first.anchors
    assert [str(p) for p in again_problems] == [str(p) for p in problems]


def test_an_entry_serves_the_base_however_its_root_is_spelled(base, monkeypatch):
    """A cron job's `--facts facts` and a curator's absolute path share entries: what comes back is under
    the root of the load that reads it (an entry once gave back the writer's relative paths, and the
    check that read it failed on them)."""
    first, _problems = run_check(Path(base.name))  # relative to the working directory, tmp_path
    assert all(not source.path.is_absolute() for source in first.sources.values())
    texts, digest = {sid: text.raw for sid, text in first.texts.items()}, factbase.digest_as_loaded(first)
    monkeypatch.chdir(base / "texts")  # elsewhere: the relative spelling names nothing here
    monkeypatch.setattr(factbase, "_load", lambda *a: pytest.fail("read the files although nothing changed"))
    again, _problems = factbase.load_fact_base(base.resolve(), check_fact)
    assert all(source.path.is_relative_to(base.resolve()) for source in again.sources.values())
    assert {sid: text.raw for sid, text in again.texts.items()} == texts
    assert factbase.digest_as_loaded(again) == digest


@pytest.mark.parametrize("change", ["fact file", "source text", "topics"])
def test_any_change_to_the_base_is_read_afresh(base, change):
    before = run("--facts", base, "check")
    assert before.exit_code == 0, before.stdout
    if change == "fact file":
        first = sorted(p for p in base.glob("*.yaml") if p.name not in ("sources.yaml", "topics.yaml"))[0]
        first.write_text(first.read_text(encoding="utf-8").replace("salience: ", "salience: 7 #", 1), encoding="utf-8")
        expected = "salience must be"
    elif change == "source text":
        text = sorted((base / "texts").iterdir())[0]
        text.write_text(text.read_text(encoding="utf-8").upper(), encoding="utf-8")
        expected = "quote not found"
    else:
        (base / "topics.yaml").write_text("misc:\n  other: Anything else.\n", encoding="utf-8")
        expected = "unknown topic"
    after = run("--facts", base, "check")
    assert after.exit_code == 1 and expected in after.stdout, after.stdout


def test_a_fact_added_then_removed_gives_the_first_result_again(base):
    clean = run("--facts", base, "check").stdout
    extra = append_fact(base, "- id: broken\n  statement: No quote.\n")
    broken = run("--facts", base, "check")
    assert broken.exit_code == 1 and "extra.yaml:1: broken: missing required field" in broken.stdout
    extra.unlink()
    assert run("--facts", base, "check").stdout == clean


def test_a_corrupt_entry_is_a_miss(base):
    first = run("--facts", base, "check").stdout
    corrupted = entries("factbase")
    assert corrupted, "the first check left an entry to corrupt"
    for entry in corrupted:
        entry.write_bytes(b"\x80\x05 not a pickle")
    assert run("--facts", base, "check").stdout == first


def test_cache_off_writes_nothing(base, monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "out").exit_code == 0
    assert not (tmp_path / ".briefgen-cache").exists()


def test_a_directory_others_can_write_is_not_used(monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(shared))
    assert cache.cache_dir() is None


def test_the_cache_keeps_a_few_entries(base):
    for n in range(cache.KEEP + 3):
        append_fact(base, f"- id: extra-{n}\n  statement: x.\n", name=f"extra-{n}.yaml")
        factbase.load_fact_base(base, check_fact)
    assert len(entries("factbase")) == cache.KEEP


def test_an_edited_template_takes_effect(base, tmp_path):
    templates = tmp_path / "my-templates"
    templates.mkdir()
    page = templates / "brief.md.j2"
    page.write_text(
        '{% extends "!default/brief.md.j2" %}{% block title %}# First title{% endblock %}', encoding="utf-8"
    )
    out = tmp_path / "out"
    assert run("--facts", base, "--templates", templates, "build", "-a", "defence", "-o", out).exit_code == 0
    assert "# First title" in (out / "defence-brief.md").read_text(encoding="utf-8")
    assert entries("templates") == [] and list((cache.cache_dir() / "templates").iterdir())
    page.write_text(page.read_text(encoding="utf-8").replace("First", "Second"), encoding="utf-8")
    assert run("--facts", base, "--templates", templates, "build", "-a", "defence", "-o", out).exit_code == 0
    assert "# Second title" in (out / "defence-brief.md").read_text(encoding="utf-8")


def test_an_entry_is_keyed_by_briefgen_code_too(base, monkeypatch):
    run_check(base)
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of briefgen")
    calls = []
    real = factbase._load
    monkeypatch.setattr(factbase, "_load", lambda *a: calls.append(1) or real(*a))
    run_check(base)
    assert calls == [1]


def test_entries_hold_the_contents_digest_and_what_was_loaded(base):
    loaded, _ = run_check(base)
    (entry,) = entries("factbase")
    stored = json.loads(entry.read_bytes())
    assert stored["digest"] == factbase.content_digest(base, {})  # the digests taken while loading agree
    # A build's entry names each fact file's entry, which holds that file's facts, in order.
    files = [
        json.loads((cache.cache_dir() / incremental.FILES / f"{key}.json").read_bytes())
        for _, _, key in stored["files"]
    ]
    assert [f[0] for held in files for f in held["facts"]] == [f.id for f in loaded.facts]
    assert [rel for rel, _, _ in stored["files"]] == sorted(loaded.file_digests)


def test_an_edit_that_keeps_size_and_time_is_still_seen(base):
    assert run("--facts", base, "check").exit_code == 0
    facts = base / "facts.yaml"
    info = facts.stat()
    text = facts.read_text(encoding="utf-8")
    edited = text.replace("salience: 2", "salience: 9", 1)
    assert edited != text and len(edited) == len(text)
    facts.write_text(edited, encoding="utf-8")
    os.utime(facts, ns=(info.st_atime_ns, info.st_mtime_ns))  # as `touch -r` or a careless copy would
    result = run("--facts", base, "check")
    assert result.exit_code == 1 and "salience must be" in result.stdout


def test_rehash_helper_still_pairs_with_the_cache(base):
    # A source edited and re-registered: a new key, so the edit's consequences show at once.
    text = sorted((base / "texts").iterdir())[0]
    text.write_text(text.read_text(encoding="utf-8") + "\nA new closing paragraph.\n", encoding="utf-8")
    source_id = text.stem
    rehash(base, source_id)
    result = run("--facts", base, "check")
    assert result.exit_code == 0 and "0 error(s)" in result.stdout, result.stdout
    assert "has changed" not in result.stdout


def test_a_build_entry_whose_fact_file_entry_is_gone_is_a_miss(base, monkeypatch):
    first, problems = run_check(base)
    for entry in entries(incremental.FILES):  # pruned, say: the base's entry names them, and cannot stand alone
        entry.unlink()
    calls = []
    real = factbase._load
    monkeypatch.setattr(factbase, "_load", lambda *a: calls.append(1) or real(*a))
    again, again_problems = run_check(base)
    assert calls == [1]
    assert again.facts == first.facts and again.anchors == first.anchors and again.anchors
    assert [str(p) for p in again_problems] == [str(p) for p in problems]
    third, _ = run_check(base)  # stored again: read back
    assert calls == [1] and third.facts == first.facts and third.anchors == first.anchors


def test_a_cold_build_load_encodes_each_fact_once(base, monkeypatch):
    # The base's entry names the fact files' entries instead of holding every fact encoded a second time.
    encoded = []
    real = codec.encode_fact
    monkeypatch.setattr(codec, "encode_fact", lambda fact: encoded.append(fact.id) or real(fact))
    loaded, _ = run_check(base)
    assert sorted(encoded) == sorted(f.id for f in loaded.facts)


# --- the rules across facts, kept beside the base ----------------------------------------------------


def _across_runs(monkeypatch) -> list[int]:
    """Count the times the rules across facts are worked out (not read back)."""
    from briefgen.check import gate

    runs: list[int] = []
    judged = gate._judged_across
    monkeypatch.setattr(gate, "_judged_across", lambda *a: runs.append(1) or judged(*a))
    return runs


def test_an_unchanged_base_skips_the_rules_across_facts(base, monkeypatch):
    runs = _across_runs(monkeypatch)
    first = run("--facts", base, "check")
    again = run("--facts", base, "check")
    assert first.exit_code == again.exit_code == 0, first.stdout
    assert again.stdout == first.stdout and "warning" in first.stdout  # the same problems, warnings included
    assert len(runs) == 1 and len(entries("across")) == 1


def test_a_warm_check_counts_its_facts_without_decoding_them(base, monkeypatch):
    """With the rules across facts cached too, a check reports from the entries: the same report and
    count, and no outline decoded; without that entry, the facts are decoded and the rules run."""
    first = run("--facts", base, "check", "--json")
    assert json.loads(first.stdout)["facts"] == len(run_check(base)[0].facts) > 0
    decoded: list[int] = []
    real = codec.decode_outline
    monkeypatch.setattr(codec, "decode_outline", lambda value: decoded.append(1) or real(value))
    runs = _across_runs(monkeypatch)
    again = run("--facts", base, "check", "--json")
    assert again.exit_code == first.exit_code == 0 and again.stdout == first.stdout
    assert decoded == [] and runs == []
    for entry in entries("across"):
        entry.unlink()
    third = run("--facts", base, "check", "--json")
    assert third.stdout == first.stdout and len(runs) == 1
    assert len(decoded) == json.loads(third.stdout)["facts"]


def test_rules_across_a_base_edited_while_it_was_read_are_not_kept(base, monkeypatch):
    """The key of the rules across facts names the files before the load: if one changed while the
    base was read, their result (of the new files) is not kept under the old files' key."""
    runs = _across_runs(monkeypatch)
    fact_file = sorted(p for p in base.glob("*.yaml") if p.name not in ("sources.yaml", "topics.yaml"))[0]
    before = fact_file.read_bytes()
    real_load = factbase._load

    def edited_meanwhile(*args, **kwargs):
        fact_file.write_bytes(before + b"# saved by an editor during the check\n")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(factbase, "_load", edited_meanwhile)
    assert run("--facts", base, "check").exit_code == 0
    assert len(runs) == 1 and entries("across") == []
    monkeypatch.setattr(factbase, "_load", real_load)
    fact_file.write_bytes(before)  # back to the bytes the key named: judged afresh, not read back
    assert run("--facts", base, "check").exit_code == 0
    assert len(runs) == 2 and len(entries("across")) == 1


@pytest.mark.parametrize("change", ["fact file", "profile", "stale years"])
def test_what_the_rules_across_facts_read_is_in_their_key(base, tmp_path, monkeypatch, change):
    runs = _across_runs(monkeypatch)
    templates = tmp_path / "templates"
    (templates / "audiences").mkdir(parents=True)
    args = ["--facts", base, "--templates", templates, "check"]
    assert run(*args).exit_code == 0
    if change == "fact file":
        first = sorted(p for p in base.glob("*.yaml") if p.name not in ("sources.yaml", "topics.yaml"))[0]
        first.write_text(first.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
    elif change == "profile":
        (templates / "audiences" / "extra.yaml").write_text("title: Extra\nsections: 3\n", encoding="utf-8")
    else:
        args += ["--stale-years", "1"]
    after = run(*args)
    assert len(runs) == 2, after.stdout
    if change == "profile":
        assert "extra.yaml" in after.stdout  # the new, broken profile is judged


@pytest.mark.parametrize("edited", ["metrics.yaml", "exclusions.yaml", "profile"])
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "base cached"])
def test_rules_across_a_file_edited_after_the_load_are_not_kept(base, tmp_path, monkeypatch, edited, warm):
    """metrics.yaml, exclusions.yaml and the profiles are read by the rules across facts, after the
    load: one written meanwhile is judged, but that result is not kept under the key of the files as
    they were before, to be served once the edit is undone."""
    from briefgen.check import gate

    templates = tmp_path / "templates"
    (templates / "audiences").mkdir(parents=True)
    victim = templates / "audiences" / "extra.yaml" if edited == "profile" else base / edited
    args = ["--facts", base, "--templates", templates, "check"]
    if warm:  # the base's entry written, the rules across facts' entry not (another --stale-years)
        assert run(*args, "--stale-years", "7").exit_code == 0
    real_load = gate.load_fact_base

    def edited_meanwhile(*a, **k):
        loaded = real_load(*a, **k)
        victim.write_text("- not a mapping\n", encoding="utf-8")
        return loaded

    monkeypatch.setattr(gate, "load_fact_base", edited_meanwhile)
    during = run(*args)
    assert during.exit_code == 1 and f"{victim.name}:" in during.stdout
    monkeypatch.setattr(gate, "load_fact_base", real_load)
    victim.unlink()  # the files as the key named them
    after = run(*args)
    assert after.exit_code == 0 and victim.name not in after.stdout, after.stdout
