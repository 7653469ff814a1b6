"""The garbage collector is tuned for loading only when the caller asks: the command line does, a library caller does not."""

from __future__ import annotations

import gc

import pytest

from briefgen.common.collector import collector_tuned_for_loading
from briefgen.factbase.loading import load_fact_base
from tests.conftest import run


@pytest.fixture
def thawed():
    """Each test starts and ends with nothing frozen (an earlier in-process CLI run may have frozen objects)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _load_recording_collector(root) -> list[bool]:
    """Load root, recording whether automatic collection was on as each fact was read."""
    seen: list[bool] = []
    load_fact_base(root, rules=lambda fact, base, anchors: seen.append(gc.isenabled()) or [])
    assert seen, "no fact was read: the load came from the cache"
    return seen


def test_a_library_load_leaves_the_collector_alone(base, thawed, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")
    assert set(_load_recording_collector(base)) == {True}
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_tuned_load_pauses_collection_then_freezes_what_it_loaded(base, thawed, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")
    with collector_tuned_for_loading(unfreeze=False):
        assert set(_load_recording_collector(base)) == {False}
        assert gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.get_freeze_count() > 0  # left frozen, as asked
    assert set(_load_recording_collector(base)) == {True}  # and no longer tuned outside


def test_leaving_the_tuning_hands_frozen_objects_back(base, thawed, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")
    with collector_tuned_for_loading():
        _load_recording_collector(base)
        assert gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("command", [["check"], ["build", "-a", "defence", "-o", "out"]])
def test_the_command_line_tunes_the_collector(base, thawed, command):
    result = run("--facts", base, *command)
    assert result.exit_code == 0, result.output
    assert gc.isenabled() and gc.get_freeze_count() > 0


def _build_recording_collector(base, tmp_path, monkeypatch, tuned: bool) -> list[bool]:
    """Build the defence brief in this process, recording whether collection was on while it was selected."""
    from briefgen.brief import selection
    from briefgen.publish.build import BuildRequest, build

    seen: list[bool] = []
    select = selection.select

    def recording(*args, **kwargs):
        seen.append(gc.isenabled())
        return select(*args, **kwargs)

    monkeypatch.setattr(selection, "select", recording)
    request = BuildRequest(facts=base, templates=None, output=tmp_path / "out", audiences=("defence",))
    if tuned:
        with collector_tuned_for_loading(unfreeze=False):
            build(request)
    else:
        build(request)
    assert seen, "nothing was selected"
    return seen


def test_a_tuned_build_selects_and_renders_with_collection_paused(base, thawed, tmp_path, monkeypatch):
    assert set(_build_recording_collector(base, tmp_path, monkeypatch, tuned=True)) == {False}
    assert gc.isenabled()  # back on after the build


def test_a_library_build_leaves_the_collector_alone(base, thawed, tmp_path, monkeypatch):
    assert set(_build_recording_collector(base, tmp_path, monkeypatch, tuned=False)) == {True}
