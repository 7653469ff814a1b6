"""`check` is the single gate: whatever makes a build fail on content makes `check` fail first, with file:line.

Each broken input below (metrics.yaml, exclusions.yaml, audience profiles, invisible characters) makes
`check` exit 1 naming the file and line, and a build fail with the same message, writing nothing.
"""

from pathlib import Path

import pytest

from briefgen.common.invisible import INVISIBLE
from tests.conftest import run

METRICS = "japan-oda-cumulative: Japanese aid to Vietnam, cumulative\n"


def check(base: Path, *extra: object):
    return run("--facts", base, *extra, "check")


def build(base: Path, out: Path, *extra: object, audience: str = "economic"):
    return run("--facts", base, *extra, "build", "-o", out, "-a", audience)


def assert_gate(base: Path, tmp_path: Path, message: str, *extra: object, audience: str = "economic") -> None:
    """check exits 1 with the message; the build fails with it too and writes nothing."""
    checked = check(base, *extra)
    assert checked.exit_code == 1, checked.output
    assert message in checked.stdout
    out = tmp_path / "out"
    built = build(base, out, *extra, audience=audience)
    assert built.exit_code == 1, built.output
    assert message in built.stderr
    assert "Traceback" not in built.output
    assert not list(out.glob("*.md"))


# --- metrics.yaml ---------------------------------------------------------------------------------


def test_a_sound_metrics_file_passes_and_labels_the_series(base, tmp_path):
    (base / "metrics.yaml").write_text(METRICS, encoding="utf-8")
    assert check(base).exit_code == 0
    built = build(base, tmp_path / "out")
    assert built.exit_code == 0, built.output
    assert "Japanese aid to Vietnam, cumulative" in (tmp_path / "out" / "economic-brief.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (METRICS + "broken: [unclosed\n", "metrics.yaml:3: YAML syntax error"),
        ("- japan-oda-cumulative\n- other\n", "metrics.yaml:1: must map metric names to labels, not be a list"),
        (METRICS + "japan-trade: [a, b]\n", "metrics.yaml:2: japan-trade: the label must be text, not list"),
        (METRICS + "japan-trade: 12\n", "metrics.yaml:2: japan-trade: the label must be text, not int"),
        (METRICS + "japan-trade:\n", "metrics.yaml:2: japan-trade: the label must be text, not nothing"),
        (METRICS + "\n2016: Japanese trade\n", "metrics.yaml:3: 2016: '2016' is not a metric name"),
        (METRICS + "Japan Trade: Japanese trade\n", "metrics.yaml:2: Japan Trade: 'Japan Trade' is not a metric name"),
        (
            METRICS + "japan-trade: Japanese\u202etrade\n",
            "the label has an invisible or direction-changing character U+202E",
        ),
    ],
)
def test_broken_metrics_file_fails_check_and_build(base, tmp_path, text, message):
    (base / "metrics.yaml").write_text(text, encoding="utf-8")
    assert_gate(base, tmp_path, message)


# --- exclusions.yaml ------------------------------------------------------------------------------

EXCLUSION = """\
- source: paper
  quote: In 2009 the two countries established
  reason: covered elsewhere
"""


def test_a_sound_exclusion_passes(base):
    (base / "exclusions.yaml").write_text(EXCLUSION, encoding="utf-8")
    result = check(base)
    assert result.exit_code == 0, result.stdout
    # And again from the cache, which holds no source texts: the quote is anchored all the same.
    assert check(base).exit_code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (EXCLUSION + "- source: paper\n  quote: a: b\n  reason: r\n", "exclusions.yaml:5: YAML syntax error"),
        ("source: paper\nquote: x\n", "exclusions.yaml:1: must be a YAML list of {source, quote, reason}"),
        (EXCLUSION + "- source: paper\n  quote: x\n", "exclusions.yaml:4: paper: an exclusion needs 'source', 'quote'"),
        (EXCLUSION + "- source: paper\n  quote: 5\n  reason: r\n", "exclusions.yaml:4: paper: an exclusion needs"),
        (EXCLUSION + "- sorce: paper\n", "exclusions.yaml:4: unknown field 'sorce'"),
        (EXCLUSION + "- just a string\n", "exclusions.yaml:: each exclusion must be a mapping"),
        (
            EXCLUSION + "- source: journal\n  quote: x\n  reason: r\n",
            "exclusions.yaml:4: journal: unknown source 'journal' (known: news, paper)",
        ),
        (
            EXCLUSION + "- source: paper\n  quote: Nothing like this is in the paper\n  reason: r\n",
            "exclusions.yaml:4: paper: exclusion quote: quote not found",
        ),
    ],
)
def test_broken_exclusions_fail_check_and_build(base, tmp_path, text, message):
    (base / "exclusions.yaml").write_text(text, encoding="utf-8")
    if message.startswith("exclusions.yaml::"):  # a list item that is not a mapping has no line of its own
        message = message.replace("exclusions.yaml::", "exclusions.yaml:")
    assert_gate(base, tmp_path, message)


def test_coverage_reads_the_same_exclusions(base):
    (base / "exclusions.yaml").write_text(EXCLUSION + "- source: journal\n  quote: x\n  reason: r\n", encoding="utf-8")
    result = run("--facts", base, "coverage")
    assert result.exit_code == 1
    assert "exclusions.yaml:4: journal: unknown source 'journal'" in result.stderr


# --- audience profiles ----------------------------------------------------------------------------

PROFILE = """\
title: Test brief
key_points:
  count: 2
topic_weights:
  aid: 2
sections:
  - title: Everything
    topics: [partnership-upgrades, aid]
"""


def profile(tmp_path: Path, text: str) -> Path:
    templates = tmp_path / "tpl"
    (templates / "audiences").mkdir(parents=True, exist_ok=True)
    (templates / "audiences" / "test.yaml").write_text(text, encoding="utf-8")
    return templates


def test_a_sound_user_profile_passes_and_builds(base, tmp_path):
    templates = profile(tmp_path, PROFILE)
    assert check(base, "--templates", templates).exit_code == 0
    built = build(base, tmp_path / "out", "--templates", templates, audience="test")
    assert built.exit_code == 0, built.output
    assert (tmp_path / "out" / "test-brief.md").is_file()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  count: 2", "  count: many"), "test.yaml:3: 'count' must be a whole number 0 or more, not 'many'"),
        (("  count: 2", "  count: -1"), "test.yaml:3: 'count' must be a whole number 0 or more, not '-1'"),
        (("  count: 2", "  count: true"), "test.yaml:3: 'count' must be a whole number"),
        (("key_points:\n  count: 2", "key_points: 3"), "test.yaml:2: 'key_points' must be a mapping, not int"),
        (("  count: 2", "  cuont: 2"), "test.yaml:3: unknown field(s) cuont in 'key_points'"),
        (("  aid: 2", "  aid: lots"), "test.yaml:5: topic_weights: 'aid' must be a whole number, not 'lots'"),
        (("topic_weights:\n  aid: 2", "topic_weights: [aid]"), "test.yaml:4: 'topic_weights' must be a mapping"),
        (
            ("[partnership-upgrades, aid]", "partnership-upgrades"),
            "test.yaml:7: 'topics' must be a list of names",
        ),
        (
            ("  - title: Everything\n    topics: [partnership-upgrades, aid]", "  - Everything"),
            "test.yaml:6: each section must be a mapping with a 'title'",
        ),
        (("    topics:", "    kinds: [rumour]\n    topics:"), "test.yaml:7: unknown kind 'rumour' in 'kinds'"),
        (("    topics:", "    from: early\n    topics:"), "test.yaml:7: 'from' must be a year"),
        (("sections:\n", "sections: none\nx:\n"), "test.yaml:7: unknown field(s) x"),
        (("sections:\n", "sections: {}\nold:\n"), "test.yaml:7: unknown field(s) old"),
        (("title: Test brief", "title: [Test]"), "test.yaml:1: 'title' must be text, not list"),
        (("title: Test brief", "title: Test\ncharts: yes please"), "test.yaml:2: 'charts' must be true or false"),
        (
            ("title: Test brief", "timeline: {min_salience: 9}"),
            "test.yaml:1: 'min_salience' must be a whole number from 0 to 5",
        ),
        (("title: Test brief", "title: [unclosed"), "test.yaml:2: YAML syntax error"),
    ],
)
def test_broken_user_profile_fails_check_and_build(base, tmp_path, change, message):
    old, new = change
    assert old in PROFILE
    templates = profile(tmp_path, PROFILE.replace(old, new))
    assert_gate(base, tmp_path, message, "--templates", templates, audience="test")


def test_check_validates_every_profile_not_only_the_built_one(base, tmp_path):
    """A broken profile nobody builds today still fails check: tomorrow's cron build would use it."""
    templates = profile(tmp_path, PROFILE.replace("  count: 2", "  count: many"))
    result = check(base, "--templates", templates)
    assert result.exit_code == 1
    assert "audiences/test.yaml:3: 'count' must be a whole number" in result.stdout
    assert check(base).exit_code == 0  # the shipped profiles alone are sound


def test_a_user_profile_that_is_not_a_mapping(base, tmp_path):
    templates = profile(tmp_path, "- title: x\n")
    result = check(base, "--templates", templates)
    assert result.exit_code == 1
    assert "test.yaml:1: an audience profile is a mapping of fields" in result.stdout


# --- invisible characters -------------------------------------------------------------------------

NEW = (
    "\u061c",
    "\u034f",
    "\u115f",
    "\u1160",
    "\u3164",
    "\uffa0",
    "\ufe0f",
    "\U000e0100",
    "\U000e0041",
    "\u202e",
    "\u200b",
)


@pytest.mark.parametrize("char", NEW, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_in_a_statement(base, tmp_path, char):
    facts = base / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    assert "statement: In 2009, Japan" in text
    facts.write_text(text.replace("statement: In 2009, Japan", f"statement: In 2009,{char} Japan", 1), "utf-8")
    assert_gate(base, tmp_path, f"has an invisible or direction-changing character U+{ord(char):04X} at position 9")


def test_the_class_holds_every_listed_range_and_nothing_visible():
    listed = [0x061C, 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x00AD, 0xFEFF, 0x202A, 0x2066]
    listed += [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), *range(0xE0000, 0xE0080), *range(0x200B, 0x2010)]
    assert all(INVISIBLE.fullmatch(chr(c)) for c in listed)
    assert not INVISIBLE.search("Vietnam–Japan: “strategic partnership”, 2,8 ¥ é ñ 日本 Việt Nam")


@pytest.mark.parametrize("field", ["author", "publisher", "series", "place"])
def test_invisible_characters_in_source_metadata(base, tmp_path, field):
    registry = base / "sources.yaml"
    text = registry.read_text(encoding="utf-8")
    values = {"author": "A. Author", "publisher": "Test Institute", "series": "Test Perspective", "place": "Singapore"}
    registry.write_text(text.replace(values[field], values[field][:2] + "\u202e" + values[field][2:], 1), "utf-8")
    assert_gate(
        base, tmp_path, f"sources.yaml:1: paper: {field} has an invisible or direction-changing character U+202E"
    )


def test_invisible_character_in_a_unit(base, tmp_path):
    facts = base / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("unit: JPY trillion", "unit: JPY\u2066 trillion", 1), "utf-8")
    assert_gate(base, tmp_path, "quantity: unit has an invisible or direction-changing character U+2066")


# --- templates directory --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["/", "home"])
def test_a_directory_that_holds_no_templates_is_refused(base, tmp_path, where):
    templates = Path("/") if where == "/" else tmp_path / "home"
    if where == "home":
        (templates / "Documents").mkdir(parents=True)
        (templates / "notes.txt").write_text("x", encoding="utf-8")
    for result in (check(base, "--templates", templates), build(base, tmp_path / "out", "--templates", templates)):
        assert result.exit_code == 2, result.output
        assert f"{templates}: not a templates directory" in result.stderr


def test_a_templates_tree_too_large_is_refused_before_it_is_walked_whole(base, tmp_path, monkeypatch):
    import briefgen.publish.build as build_module

    monkeypatch.setattr(build_module, "MAX_TEMPLATE_FILES", 5)
    templates = tmp_path / "tpl"
    (templates / "audiences").mkdir(parents=True)
    for i in range(8):
        (templates / f"part{i}.j2").write_text("x", encoding="utf-8")
    result = build(base, tmp_path / "out", "--templates", templates)
    assert result.exit_code == 2
    assert f"{templates}: more than 5 files" in result.stderr


def test_a_profile_topic_missing_from_the_vocabulary_is_a_check_error(base, tmp_path):
    """A typo in a section's topics would silently empty the section: check names it with its line."""
    from tests.conftest import REPO

    profiles = tmp_path / "templates" / "audiences"
    profiles.mkdir(parents=True)
    text = (REPO / "templates" / "audiences" / "defence.yaml").read_text(encoding="utf-8")
    assert "maritime-security" in text
    (profiles / "defence.yaml").write_text(text.replace("maritime-security", "maritme-security", 1), encoding="utf-8")
    result = run("--facts", base, "--templates", tmp_path / "templates", "check")
    assert result.exit_code == 1
    line = next(ln for ln in result.stdout.splitlines() if "maritme-security" in ln)
    assert line.startswith(f"{profiles / 'defence.yaml'}:") and "unknown topic 'maritme-security'" in line
