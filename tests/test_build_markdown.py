"""Markdown builds: content, the self-check, escaping of hostile text, determinism, safety on failure."""

import re

import pytest

from briefgen.common.sentences import split_sentences
from briefgen.render.templates import md_escape
from tests.conftest import append_fact, outputs, run

HOSTILE = """\
- id: hostile
  statement: "In 2009, Japan said *this* [^n] <b>bold</b> | pipe \\\\ {{ self }} {% raw %}x{% endraw %} @cite $x$ & more."
  kind: event
  date: "2009"
  topics: [partnership-upgrades]
  salience: 1
  source: paper
  quote: In 2009 the two countries established a “strategic partnership”.
"""


def build(base, out, *args):
    """Build; the build must succeed (a test of a failure calls run() itself)."""
    result = run("--facts", base, "build", "--output", out, *args)
    assert result.exit_code == 0, result.stderr
    return result


def test_builds_each_audience(base, tmp_path):
    result = build(base, tmp_path / "out", "--all")
    assert result.exit_code == 0, result.stderr
    for name in ("defence", "economic", "historical"):
        text = (tmp_path / "out" / f"{name}-brief.md").read_text(encoding="utf-8")
        assert text.startswith("---\ntitle: ")
        assert 'date: "2026-01-01"' in text
        assert "## Sources" in text


def test_every_body_sentence_has_a_resolving_footnote(base, tmp_path):
    build(base, tmp_path / "out", "--all")
    for path in outputs(tmp_path / "out", "*.md", 3):
        checked = 0
        text = path.read_text(encoding="utf-8")
        defs = set(re.findall(r"^\[\^(\d+)\]:", text, re.M))
        calls = set(re.findall(r"\[\^(\d+)\](?!:)", text))
        assert calls == defs and defs, path.name
        body = text.split("## Key points", 1)[1].split("## Sources", 1)[0]
        for line in body.splitlines():
            line = line.strip().removeprefix("- ")
            if not line or line.startswith(("#", "|")):
                continue
            for sentence in split_sentences(line):
                assert re.search(r"\[\^\d+\]$", sentence), sentence
                checked += 1
        assert checked >= 1, f"{path.name}: its body sentences were found and checked"


def test_economic_brief_has_series_table(base, tmp_path):
    build(base, tmp_path / "out", "-a", "economic")
    text = (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if ln.startswith("| September 2016") or ln.startswith("| September 2015")]
    assert len(rows) == 2 and all(re.search(r"\[\^\d+\] \|$", r) for r in rows)


def test_first_citation_full_later_short(base, tmp_path):
    build(base, tmp_path / "out", "-a", "historical")
    notes = re.findall(
        r"^\[\^\d+\]: (.*)$", (tmp_path / "out" / "historical-brief.md").read_text(encoding="utf-8"), re.M
    )
    paper_notes = [n for n in notes if "Test Perspective" in n]
    assert "(Singapore: Test Institute, 2017)" in paper_notes[0]
    assert all("(Singapore" not in n for n in paper_notes[1:]) and len(paper_notes) > 1
    assert all(re.search(r"(p|pp|para|paras)\. \d", n) for n in notes)
    assert all("“" in n for n in notes)  # the quote that supports the sentence


def test_hostile_fact_text_prints_literally(base, tmp_path):
    append_fact(base, HOSTILE)
    build(base, tmp_path / "out", "-a", "historical")
    text = (tmp_path / "out" / "historical-brief.md").read_text(encoding="utf-8")
    assert "TemplateReference" not in text
    line = next(ln for ln in text.splitlines() if "pipe" in ln)
    assert "\\[\\^n\\]" in line and "\\<b\\>" in line and "\\*this\\*" in line and "\\|" in line
    assert "[^n]" not in line.replace("\\[\\^n\\]", "")
    assert "\\{\\{ self \\}\\}" in line


def test_md_escape_neutralises_markup():
    assert md_escape("a [^1] b") == "a \\[\\^1\\] b"
    assert md_escape("1. Not a list") == "1\\. Not a list"
    assert md_escape("x_y*z`w") == "x\\_y\\*z\\`w"


def _user_template(tmp_path, body: str):
    templates = tmp_path / "mytemplates"
    templates.mkdir()
    (templates / "brief.md.j2").write_text(body, encoding="utf-8")
    return templates


def test_user_template_extends_default_and_overrides_a_block(base, tmp_path):
    templates = _user_template(
        tmp_path,
        '{% extends "!default/brief.md.j2" %}{% block key_points %}## Bottom line\n\n'
        "{% for s in brief.key_points %}- {{ s | cite }}\n{% endfor %}{% endblock %}",
    )
    result = run("--facts", base, "--templates", templates, "build", "-o", tmp_path / "out", "-a", "defence")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out" / "defence-brief.md").read_text(encoding="utf-8")
    assert "## Bottom line" in text and "## Key points" not in text and "## Sources" in text


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "{% block key_points %}## Key points\n\nThis sentence cites nothing.\n{% endblock %}",
            "sentence without a footnote",
        ),
        ("{% block key_points %}{% endblock %}", "was selected but does not appear"),
        ("{% block notes %}{% endblock %}", "is called but has no note"),
        ("{% block key_points %}## Key points\n\nA claim.[^77]\n{% endblock %}", "[^77] is called but has no note"),
    ],
)
def test_self_check_refuses_broken_output(base, tmp_path, block, expected):
    out = tmp_path / "out"
    build(base, out, "-a", "defence")
    before = (out / "defence-brief.md").read_bytes()
    templates = _user_template(tmp_path, '{% extends "!default/brief.md.j2" %}' + block)
    result = run("--facts", base, "--templates", templates, "build", "-o", out, "-a", "defence")
    assert result.exit_code == 1
    assert expected in result.stderr and "nothing written" in result.stderr
    assert (out / "defence-brief.md").read_bytes() == before


def test_template_error_names_template_and_line(base, tmp_path):
    templates = _user_template(tmp_path, "line one\n{{ brief.no_such_field }}\n")
    result = run("--facts", base, "--templates", templates, "build", "-o", tmp_path / "out", "-a", "defence")
    assert result.exit_code == 1
    assert "brief.md.j2:2" in result.stderr and "no_such_field" in result.stderr
    assert "Traceback" not in result.stderr


def test_template_cannot_reach_python_internals(base, tmp_path):
    templates = _user_template(tmp_path, "{{ brief.__class__.__mro__[1].__subclasses__() }}")
    result = run("--facts", base, "--templates", templates, "build", "-o", tmp_path / "out", "-a", "defence")
    assert result.exit_code == 1
    assert "brief.md.j2:1: access to attribute '__class__' of 'Brief' object is unsafe" in result.stderr
    assert not (tmp_path / "out" / "defence-brief.md").exists()


def test_same_inputs_give_same_bytes(base, tmp_path):
    build(base, tmp_path / "a", "--all")
    build(base, tmp_path / "b", "--all")
    for path in outputs(tmp_path / "a", "*.md", 3):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_broken_fact_base_leaves_previous_outputs(base, tmp_path):
    out = tmp_path / "out"
    build(base, out, "--all")
    outputs(out, "*.md", 3)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    append_fact(base, HOSTILE.replace("kind: event", "kind: nonsense"))
    result = run("--facts", base, "build", "--output", out, "--all")
    assert result.exit_code == 1
    assert "extra.yaml:1: hostile: kind 'nonsense'" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_superseded_fact_is_not_selected(base, tmp_path):
    text = (
        (base / "facts.yaml")
        .read_text()
        .replace(
            "  topics: [aid]\n  salience: 4",
            "  topics: [aid]\n  salience: 4\n  status: superseded\n  superseded_by: oda-2016",
        )
    )
    (base / "facts.yaml").write_text(text)
    build(base, tmp_path / "out", "-a", "economic")
    assert "$20 billion" not in (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8").replace("\\", "")


def test_sentences_of_a_paragraph_are_separated(base, tmp_path):
    append_fact(
        base,
        HOSTILE.replace("hostile", "second-2009").replace(
            'statement: "In 2009, Japan said *this*', 'statement: "In 2009, Japan also said *that*'
        ),
    )
    append_fact(base, HOSTILE, "more.yaml")
    build(base, tmp_path / "out", "-a", "historical")
    text = (tmp_path / "out" / "historical-brief.md").read_text(encoding="utf-8")
    assert re.search(r"\[\^\d+\] In 2009", text), "two sentences of one paragraph, separated by a space"
    assert not re.search(r"\[\^\d+\][A-Za-z]", text)


def test_self_check_catches_sentences_run_together(base, tmp_path):
    from briefgen.render.verification import verify_markdown

    problems = verify_markdown("---\nx: 1\n---\n\nOne.[^1]Two.[^2]\n\n[^1]: a\n[^2]: b\n", _empty_brief())
    assert any("run together" in p for p in problems)


def _empty_brief():
    import datetime

    from briefgen.brief.audiences import Audience
    from briefgen.brief.selection import Brief

    audience = Audience("x", "X", "x", ())
    return Brief(audience, datetime.date(2026, 1, 1), None, (), (), (), (), ())
