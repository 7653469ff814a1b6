"""The YAML reader: the values PyYAML's safe loader gives, line numbers kept, and nothing unsafe or surprising."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.factbase.readers import YamlProblem, line_of, read_yaml


def read(tmp_path, text: str):
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    return read_yaml(path)


def test_plain_scalars_are_typed_and_quoted_ones_stay_text(tmp_path):
    data = read(tmp_path, 'a: 1\nb: "1"\nc: 1.5\nd: true\ne: ~\nf:\ng: |\n  12\nh: yes\ni: 2014-08-01\nj: a*b\n')
    assert data == {"a": 1, "b": "1", "c": 1.5, "d": True, "e": None, "f": None, "g": "12\n", "h": True,
                    "i": "2014-08-01", "j": "a*b"}  # fmt: skip


def test_mappings_know_their_lines(tmp_path):
    data = read(tmp_path, "- id: a\n  x: 1\n\n- id: b\n  y: {z: 2}\n")
    assert [line_of(item) for item in data] == [1, 4]
    assert line_of(data[1]["y"]) == 5


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a: &x text\nb: *x\n", "aliases", 1),
        ("- &a {id: x}\n- *a\n", "aliases", 1),
        ("<<: {a: 1}\n", "tag:yaml.org,2002:merge", 1),
        ("a: !!python/object:os.system x\n", "is not allowed", 1),
        ("a: !!binary aGVsbG8=\n", "is not allowed", 1),
        ("? [a, b]\n: 1\n", "a mapping key must be a plain value", 1),
        ("a: [1, 2\n", "YAML syntax error", None),
        ("a: *nowhere\n", "YAML syntax error", 1),
        # Found by the property test below: PyYAML's int constructor raised ValueError, a traceback.
        ("a: 1\nsalience: 0b_\n", "'0b_' is not a valid number; put it in quotes if it is text", 2),
        ("a: 0x_\n", "'0x_' is not a valid number", 1),
    ],
)
def test_what_is_refused(tmp_path, text, message, line):
    with pytest.raises(YamlProblem) as caught:
        read(tmp_path, text)
    assert message in caught.value.message
    if line is not None:
        assert caught.value.line == line


# Scalars as fact files hold them: words, numbers, dates, YAML's special words, quoted or not.
scalar = st.one_of(
    st.text(alphabet="abcyYnNtTfFoO~0123456789.-+: _", min_size=0, max_size=12),
    st.sampled_from(
        [
            "yes",
            "No",
            "on",
            "OFF",
            "null",
            "~",
            "true",
            ".5",
            "1e3",
            "0x1F",
            "0o17",
            "1_000",
            "-.inf",
            ".NaN",
            "12:30",
            "2014-08-01",
            "=",
            "<<x",
        ]
    ),  # fmt: skip
)


@settings(max_examples=300, deadline=None)
@given(st.lists(scalar, min_size=1, max_size=6))
def test_plain_values_match_the_safe_loader_but_for_timestamps(tmp_path_factory, values):
    lines = "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
    path = tmp_path_factory.mktemp("y") / "f.yaml"
    path.write_text(lines, encoding="utf-8")
    try:
        expected = yaml.load(lines, Loader=yaml.SafeLoader)  # noqa: S506 - the safe loader is the reference
    except yaml.YAMLError:
        with pytest.raises(YamlProblem):  # what the reference refuses, briefgen refuses too, clearly
            read_yaml(path)
        return
    got = read_yaml(path)
    for key, value in expected.items():
        if hasattr(value, "isoformat"):  # a date: briefgen keeps the text, for its own date grammar
            assert isinstance(got[key], str)
        elif value != value:  # NaN
            assert got[key] != got[key]
        else:
            assert got[key] == value and type(got[key]) is type(value), (key, lines)
