"""`briefgen check`: every error kind, reported as file:line: fact-id: message, all in one run."""

import json

import pytest

from tests.conftest import append_fact, rehash, run

GOOD = """\
- id: extra-fact
  statement: In 2009, Japan and Vietnam set up a "strategic partnership".
  kind: event
  date: "2009"
  topics: [partnership-upgrades]
  source: paper
  quote: In 2009 the two countries established a “strategic partnership”.
"""


def check(base, *extra):
    return run("--facts", base, "check", *extra)


def test_fixture_base_is_clean(base):
    result = check(base)
    assert result.exit_code == 0, result.stdout
    assert "7 facts from 2 sources: 0 error(s)" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("statement: In 2009", "statment: In 2009"), "unknown field 'statment'"),
        (("kind: event", "kind: happening"), "kind 'happening' is not one of"),
        (("  kind: event\n", ""), "missing required field 'kind'"),
        (('date: "2009"', 'date: "2009-13"'), "has no month 13"),
        (('date: "2009"', "date: 2016-13-45"), "'2016-13-45' is not a real date"),
        (("[partnership-upgrades]", "[partnerships]"), "unknown topic 'partnerships'"),
        (("source: paper", "source: journal"), "unknown source 'journal'"),
        (("established a", "founded a"), "quote not found; closest passage"),
        (("In 2009, Japan", "In 2010, Japan"), "statement has '2010', which its quote does not contain"),
        (('partnership".\n  kind', 'partnership". It grew.\n  kind'), "exactly one sentence, found 2"),
        (('  date: "2009"\n', ""), "an event needs a 'date'"),
        (("topics: [partnership-upgrades]", "topics: [partnership-upgrades]\n  salience: 9"), "salience must be"),
        (("topics: [partnership-upgrades]", "topics: [partnership-upgrades]\n  status: superseded"), "superseded, but"),
        (
            (
                "topics: [partnership-upgrades]",
                "topics: [partnership-upgrades]\n  status: superseded\n  superseded_by: ghost",
            ),
            "superseded_by 'ghost' is not a fact id",
        ),
        (
            ("topics: [partnership-upgrades]", "topics: [partnership-upgrades]\n  confidence: high"),
            "only an assessment carries a confidence or likelihood",
        ),
        (("- id: extra-fact", "- id: Extra Fact"), "id must be lowercase"),
    ],
)
def test_each_error_kind_is_reported_with_location(base, change, message):
    old, new = change
    assert old in GOOD
    append_fact(base, GOOD.replace(old, new))
    result = check(base)
    assert result.exit_code == 1
    lines = [ln for ln in result.stdout.splitlines() if message in ln]
    assert lines, result.stdout
    assert lines[0].startswith("extra.yaml:1: "), lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_duplicate_id_across_files(base):
    append_fact(base, GOOD.replace("- id: extra-fact", "- id: monk-736"), "zz.yaml")
    result = check(base)
    assert result.exit_code == 1
    assert "zz.yaml:1: monk-736: duplicate id (first at facts.yaml:1)" in result.stdout


def test_every_problem_in_one_run(base):
    broken = "".join(GOOD.replace("extra-fact", f"broken-{i}").replace("established", f"made{i}") for i in range(12))
    append_fact(base, broken)
    result = check(base)
    assert result.exit_code == 1
    assert sum("quote not found" in ln for ln in result.stdout.splitlines()) == 12
    assert "12 error(s)" in result.stdout


def test_ambiguous_quote(base):
    append_fact(
        base,
        GOOD.replace(
            "quote: In 2009 the two countries established a “strategic partnership”.",
            "quote: The two countries agreed to expand",
        ),
    )
    result = check(base)
    assert result.exit_code == 1
    assert "extra.yaml:1: extra-fact: quote: quote occurs 2 times; add a prefix or suffix" in result.stdout


def test_number_supported_by_quantity_only_where_quote_has_it(base):
    # "approximately 2.8" is in the quote; "2.9" is not, whatever the quantity says.
    text = (
        (base / "facts.yaml")
        .read_text()
        .replace("approximately 2.8 trillion yen in ODA to", "approximately 2.9 trillion yen in ODA to")
    )
    (base / "facts.yaml").write_text(text)
    result = check(base)
    assert result.exit_code == 1
    assert "statement has '2.9', which its quote does not contain" in result.stdout


def test_thousands_separators_and_ordinals_are_numbers(base):
    append_fact(base, GOOD.replace('strategic partnership".', 'strategic partnership" in its 3,320th year.'))
    result = check(base)
    assert result.exit_code == 1
    assert "extra.yaml:1: extra-fact: statement has '3320', which its quote does not contain" in result.stdout


def test_changed_source_text_fails_sha256(base):
    with open(base / "texts" / "news.txt", "a", encoding="utf-8") as handle:
        handle.write("One more line.\n")
    result = check(base)
    assert result.exit_code == 1
    assert "news: source text 'texts/news.txt' has changed" in result.stdout
    rehash(base, "news")
    assert check(base).exit_code == 0


def test_source_path_outside_base_is_refused(base):
    text = (base / "sources.yaml").read_text().replace("path: texts/news.txt", "path: ../../etc/passwd")
    (base / "sources.yaml").write_text(text)
    result = check(base)
    assert result.exit_code == 1
    assert "leaves the fact base directory" in result.stdout


def test_yaml_syntax_error_names_line(base):
    append_fact(base, GOOD + "- id: [unclosed\n")
    result = check(base)
    assert result.exit_code == 1
    assert "extra.yaml:9: YAML syntax error" in result.stdout


def test_duplicate_key_is_an_error(base):
    append_fact(base, GOOD + "  kind: figure\n")
    result = check(base)
    assert result.exit_code == 1
    assert "extra.yaml:8: duplicate key 'kind' in one mapping" in result.stdout


def test_file_of_strings_and_empty_file(base):
    append_fact(base, "- just a string\n", "strings.yaml")
    append_fact(base, "", "empty.yaml")
    result = check(base)
    assert result.exit_code == 1
    out = result.stdout
    assert "strings.yaml: each fact must be a mapping of fields, not str" in out
    assert "empty.yaml: the file is empty" in out


def test_json_report(base):
    append_fact(base, GOOD.replace("kind: event", "kind: rumour"))
    result = check(base, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["errors"] == 1
    problem = report["problems"][0]
    assert problem == {
        "file": "extra.yaml",
        "line": 1,
        "id": "extra-fact",
        "severity": "error",
        "message": problem["message"],
    }
    assert "rumour" in problem["message"]
