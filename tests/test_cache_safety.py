"""The cache cannot run code: entries are JSON, and nothing another user could have written is read."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import jinja2
import pytest

from briefgen.factbase import cache
from tests.conftest import run

OTHER_UID = 54321  # no user of this machine: "someone else"


class _Payload:
    """Unpickled, this writes the sentinel file: proof that code in an entry ran."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (exec, (f"open({str(self.sentinel)!r}, 'w').write('ran')",))


def entry_files(kind: str) -> list[Path]:
    root = cache.cache_dir()
    assert root is not None
    return sorted((root / kind).glob("*.json" if kind == "factbase" else "*"))


def only_entry() -> Path:
    (entry,) = entry_files("factbase")
    return entry


def test_the_payload_does_run_when_unpickled(tmp_path):
    # The test below would prove nothing if the payload were harmless.
    sentinel = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(sentinel)))
    assert sentinel.read_text() == "ran"


def test_a_planted_pickle_is_never_executed_and_is_replaced(base, tmp_path):
    first = run("--facts", base, "check")
    entry = only_entry()
    sentinel = tmp_path / "ran"
    entry.write_bytes(pickle.dumps(_Payload(sentinel)))
    again = run("--facts", base, "check")
    assert not sentinel.exists()
    assert again.exit_code == first.exit_code and again.stdout == first.stdout
    assert "warning: discarded cache entry" in again.stderr and again.stderr.count("\n") == 1
    assert json.loads(only_entry().read_bytes())["digest"]  # rebuilt as JSON
    assert "discarded" not in run("--facts", base, "check").stderr


def test_old_pickle_entries_are_never_read_and_are_removed(base, tmp_path):
    run("--facts", base, "check")
    entry = only_entry()
    sentinel = tmp_path / "ran"
    legacy = entry.with_suffix(".pickle")  # where briefgen before JSON entries kept this one
    legacy.write_bytes(pickle.dumps(_Payload(sentinel)))
    entry.unlink()
    assert run("--facts", base, "check").exit_code == 0
    assert not sentinel.exists() and not legacy.exists()


def _forge(entry: Path) -> None:
    """Rewrite a valid entry so that check would print a problem no fact has: a planted false finding."""
    value = json.loads(entry.read_bytes())
    value["problems"].append(["facts.yaml", 1, "forged", "planted by someone else", "error"])
    entry.write_text(json.dumps(value), encoding="utf-8")
    entry.chmod(0o600)


def test_a_forged_entry_of_our_own_is_read(base):
    # The control for the tests below: the same forgery, when it is ours, is believed.
    run("--facts", base, "check")
    _forge(only_entry())
    assert "planted by someone else" in run("--facts", base, "check").stdout


@pytest.mark.parametrize("how", ["file owned by another user", "file others can write", "folder others can write"])
def test_an_entry_someone_else_could_have_written_is_not_read(base, how):
    clean = run("--facts", base, "check")
    entry = only_entry()
    _forge(entry)
    if how == "file owned by another user":
        os.chown(entry, OTHER_UID, OTHER_UID)
    elif how == "file others can write":
        entry.chmod(0o666)
    else:
        entry.parent.chmod(0o777)
    again = run("--facts", base, "check")
    assert "planted by someone else" not in again.stdout
    assert again.exit_code == clean.exit_code and again.stdout == clean.stdout


def test_a_wrong_shape_entry_with_the_right_digest_is_discarded_with_a_warning(base):
    first = run("--facts", base, "check")
    named = json.loads(only_entry().read_bytes())["files"]  # the base's entry names each fact file's
    entry = entry_files("factfile")[0].with_name(f"{named[0][2]}.json")
    value = json.loads(entry.read_bytes())
    value["outlines"][0][4] = "line seven"  # a check keeps outlines of facts; a line must be an integer
    entry.write_text(json.dumps(value), encoding="utf-8")
    again = run("--facts", base, "check")
    assert again.exit_code == first.exit_code and again.stdout == first.stdout
    (warning,) = again.stderr.splitlines()
    assert (
        warning.startswith("briefgen: warning: discarded cache entry")
        and "a fact outline of the wrong shape" in warning
    )
    third = run("--facts", base, "check")  # rebuilt: read back without a word
    assert third.stdout == first.stdout and third.stderr == ""


def test_an_entry_naming_a_source_file_outside_the_base_is_discarded(base):
    """An entry names source files relative to the fact base; an absolute path (a forged entry sending a
    build to read /etc/passwd as a source text) is a wrong shape, never followed."""
    first = run("--facts", base, "check")
    entry = only_entry()
    value = json.loads(entry.read_bytes())
    assert value["sources"][0][2].startswith("texts/")  # relative to the base, as written
    value["sources"][0][2] = "/etc/passwd"
    entry.write_text(json.dumps(value), encoding="utf-8")
    again = run("--facts", base, "check")
    assert again.exit_code == first.exit_code and again.stdout == first.stdout
    (warning,) = again.stderr.splitlines()
    assert warning.startswith("briefgen: warning: discarded cache entry") and "an absolute path" in warning


@pytest.mark.parametrize("damage", ["not JSON", "a list", "a digest only"])
def test_any_damaged_entry_is_a_miss(base, damage):
    first = run("--facts", base, "check")
    entry = only_entry()
    digest = json.loads(entry.read_bytes())["digest"]
    planted = {"not JSON": b"\x80\x05garbage", "a list": b"[1, 2]", "a digest only": json.dumps({"digest": digest})}
    entry.write_bytes(planted[damage] if isinstance(planted[damage], bytes) else planted[damage].encode())
    again = run("--facts", base, "check")
    assert again.exit_code == first.exit_code and again.stdout == first.stdout


def test_a_whole_build_round_trips_through_json(base, tmp_path):
    out = tmp_path / "out"
    cold = run("--facts", base, "build", "-a", "defence", "-o", out)
    brief = (out / "defence-brief.md").read_bytes()
    assert cold.exit_code == 0 and any("files" in json.loads(p.read_bytes()) for p in entry_files("factbase"))
    warm = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "again")
    assert warm.exit_code == 0 and warm.stderr == cold.stderr
    assert (tmp_path / "again" / "defence-brief.md").read_bytes() == brief


def test_a_cache_under_a_folder_others_can_write_is_off(monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone could rename our private folder away and put theirs in its place
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(shared / "mine"))
    assert cache.cache_dir() is None
    shared.chmod(0o1777)  # sticky, as /tmp: only the owner may rename
    assert cache.cache_dir() == shared / "mine"


def _planted_bytecode(path: Path, sentinel: Path) -> None:
    # Jinja reads a bytecode file's checksum with pickle.load, then runs its marshalled code.
    path.write_bytes(jinja2.bccache.bc_magic + pickle.dumps(_Payload(sentinel), 2))


@pytest.mark.parametrize("owner", ["another user", "us"])
def test_compiled_templates_someone_else_wrote_are_not_loaded(base, tmp_path, owner):
    assert run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "out").exit_code == 0
    compiled = entry_files("templates")
    assert compiled
    sentinel = tmp_path / "ran"
    for path in compiled:
        _planted_bytecode(path, sentinel)
        if owner == "another user":
            os.chown(path, OTHER_UID, OTHER_UID)
    try:
        run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "again")
    except Exception:  # noqa: BLE001 - the control run executes garbage; only the sentinel matters
        pass
    # Ours is trusted (the control: the check is what protects); another user's is never loaded.
    assert sentinel.exists() == (owner == "us")


def test_a_fact_file_entry_of_the_wrong_shape_named_by_a_build_entry_is_discarded(base, tmp_path):
    first = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "first")
    assert first.exit_code == 0 and any("files" in json.loads(p.read_bytes()) for p in entry_files("factbase"))
    for entry in entry_files("factfile"):
        value = json.loads(entry.read_bytes())
        if "facts" in value:  # a build's; a line must be an integer
            value["facts"][0][6] = "line seven"
            entry.write_text(json.dumps(value), encoding="utf-8")
    again = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "again")
    assert again.exit_code == 0 and "a fact of the wrong shape" in again.stderr
    brief = "defence-brief.md"
    assert (tmp_path / "again" / brief).read_bytes() == (tmp_path / "first" / brief).read_bytes()
    third = run("--facts", base, "build", "-a", "defence", "-o", tmp_path / "third")
    assert third.exit_code == 0 and "discarded" not in third.stderr
