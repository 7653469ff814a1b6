"""The cache's entry format keeps every field of every record: a field added to a dataclass and
forgotten by the codec would silently vanish from warm builds, so these tests set every field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from briefgen.factbase import codec
from briefgen.factbase.dates import parse_date
from briefgen.factbase.facts import Evidence, Fact, Quantity
from briefgen.factbase.relative import DateBasis
from briefgen.factbase.sources import Source


def _roundtrip(encode, decode, value):
    return decode(json.loads(json.dumps(encode(value))))


def _not_default(field: dataclasses.Field, value):
    default = field.default if field.default is not dataclasses.MISSING else None
    return value != default and value not in ((), None)


def test_every_field_of_a_source_survives_the_cache():
    source = Source(
        id="s-1",
        type="news report",
        path=Path("/base/texts/s-1.txt"),
        sha256="a" * 64,
        title="Title",
        series="Series",
        author="Author",
        publisher="Publisher",
        place="Place",
        published=parse_date("2021-09-12"),
        url="https://example.org/a",
        page_starts=(1, 40),
        body=(3, 30),
        original=Path("/base/originals/s-1.pdf"),
        original_sha256="b" * 64,
        retrieved=parse_date("2026-12-03"),
        provenance=(("title", "command line"),),
        notes="Notes",
        line=7,
        called=("Test study", "the study"),
    )
    unset = [f.name for f in dataclasses.fields(Source) if not _not_default(f, getattr(source, f.name))]
    assert not unset, f"set every field in this test, so the codec is tested on it: {unset}"
    encode, decode = (
        (lambda s: codec.encode_source(s, Path("/base"))),
        (lambda v: codec.decode_source(v, Path("/base"))),
    )
    assert _roundtrip(encode, decode, source) == source
    moved = codec.decode_source(json.loads(json.dumps(codec.encode_source(source, Path("/base")))), Path("other"))
    assert (moved.path, moved.original) == (Path("other/texts/s-1.txt"), Path("other/originals/s-1.pdf"))


def test_every_field_of_a_fact_survives_the_cache():
    fact = Fact(
        id="f-1",
        statement="The study reports that the ministry may act.",
        kind="assessment",
        topics=("aid",),
        evidence=(Evidence("s-1", "the ministry may act", "before", "after"), Evidence("s-2", "it may act")),
        file="facts.yaml",
        line=3,
        date=parse_date("2021-09"),
        as_of=parse_date("2021"),
        quantity=Quantity(value=2.5, unit="USD billion", metric="aid-total", approximate=True),
        audiences=("economic",),
        salience=4,
        confidence="moderate",
        likelihood="likely",
        status="superseded",
        superseded_by="f-2",
        hedge="'may' qualifies another clause",
        date_basis=DateBasis("last month", parse_date("2021-10-05"), "republished; the original may be older"),
    )
    unset = [f.name for f in dataclasses.fields(Fact) if not _not_default(f, getattr(fact, f.name))]
    assert not unset, f"set every field in this test, so the codec is tested on it: {unset}"
    assert _roundtrip(codec.encode_fact, codec.decode_fact, fact) == fact
