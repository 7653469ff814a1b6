"""Whole briefs from the fixture fact base, compared with the stored ones (make golden regenerates)."""

import difflib

import pytest

from tests.golden import AUDIENCES, GOLDEN, build_fixture


@pytest.mark.parametrize("audience", AUDIENCES)
def test_brief_matches_golden(tmp_path, audience):
    build_fixture(tmp_path)
    name = f"{audience}-brief.md"
    got = (tmp_path / name).read_text(encoding="utf-8")
    want = (GOLDEN / name).read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "built"))
    assert got == want, f"{name} differs from tests/golden (run `make golden` if intended):\n{diff}"
