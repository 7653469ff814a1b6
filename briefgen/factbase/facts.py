"""The fact schema: parse fact files into typed facts, reporting every schema problem."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.errors import Problem
from briefgen.factbase import KINDS
from briefgen.factbase.dates import DateError, DateSpec, parse_date
from briefgen.factbase.readers import YamlProblem, line_of, read_yaml
from briefgen.factbase.relative import DateBasis
from briefgen.factbase.sources import ID_RE

CONFIDENCE = ("low", "moderate", "high")
# ICD 203's expressions of likelihood: the only likelihood words an assessment may carry.
LIKELIHOOD = (
    "almost no chance",
    "very unlikely",
    "unlikely",
    "roughly even chance",
    "likely",
    "very likely",
    "almost certain",
)
STATUSES = ("active", "superseded")
EVIDENCE_FIELDS = {"source", "quote", "prefix", "suffix"}
FACT_FIELDS = EVIDENCE_FIELDS | {
    "id",
    "statement",
    "kind",
    "date",
    "as_of",
    "topics",
    "audiences",
    "salience",
    "quantity",
    "also",
    "confidence",
    "likelihood",
    "status",
    "superseded_by",
    "hedge",
    "date_basis",
}
DATE_BASIS_FIELDS = {"phrase", "against", "doubt"}
QUANTITY_FIELDS = {"value", "unit", "metric", "approximate"}
RESERVED_FILES = {"sources.yaml", "topics.yaml", "exclusions.yaml", "metrics.yaml", "briefgen.yaml"}


@dataclass(frozen=True)
class Evidence:
    """One source passage that supports a fact."""

    source: str
    quote: str
    prefix: str | None = None
    suffix: str | None = None


@dataclass(frozen=True)
class Quantity:
    """The figure a fact reports, with the measure it belongs to."""

    value: float | str  # a number, or a name for categorical measures such as a partnership's level
    unit: str
    metric: str
    approximate: bool = False

    @property
    def numeric(self) -> bool:
        return not isinstance(self.value, str)


@dataclass(frozen=True)
class Fact:
    """One sentence in our words, tied to verbatim quotes in its sources."""

    id: str
    statement: str
    kind: str
    topics: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    file: str
    line: int
    date: DateSpec | None = None
    as_of: DateSpec | None = None
    quantity: Quantity | None = None
    audiences: tuple[str, ...] = ()
    salience: int = 2
    confidence: str | None = None
    likelihood: str | None = None
    status: str = "active"
    superseded_by: str | None = None
    hedge: str | None = None  # why the statement need not carry a hedge its source has
    date_basis: DateBasis | None = None  # the quote's relative phrase behind the statement's plain date

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def when(self) -> DateSpec | None:
        return self.date or self.as_of


@dataclass
class Topics:
    """The topic vocabulary: topic name to its group and description."""

    group_of: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.group_of


def load_topics(base: Path) -> tuple[Topics, list[Problem]]:
    rel = "topics.yaml"
    try:
        data = read_yaml(base / rel)
    except YamlProblem as exc:
        return Topics(), [Problem(rel, exc.line, None, exc.message)]
    topics, problems = Topics(), []
    if not isinstance(data, dict):
        return topics, [Problem(rel, None, None, "must map each group to its topics")]
    for group, members in data.items():
        if not isinstance(members, dict):
            problems.append(Problem(rel, line_of(data), str(group), "a group maps topic names to descriptions"))
            continue
        for name, text in members.items():
            topics.group_of[str(name)] = str(group)
            topics.description[str(name)] = str(text)
    return topics, problems


def _finite(value: int | float) -> float | None:
    """value as a float, or None if it has no finite one (inf, NaN, an int past 1.8e308)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class _FactParser:
    """Turn one raw mapping into a Fact, collecting problems instead of stopping at the first."""

    def __init__(self, raw: dict[str, Any], rel: str):
        self.raw, self.rel = raw, rel
        self.line = line_of(raw) or 0
        fid = raw.get("id")
        self.subject = str(fid) if fid is not None else None
        self.problems: list[Problem] = []

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.rel, self.line, self.subject, message))

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(f"missing required field '{name}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"'{name}' must be non-empty text")
            return None
        return " ".join(value.split())

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        value = self.raw.get(name, default)
        if value is not None and value not in allowed:
            self.problem(f"{name} '{value}' is not one of: {', '.join(allowed)}")
            return default
        return value

    def date(self, name: str) -> DateSpec | None:
        if self.raw.get(name) is None:
            return None
        try:
            return parse_date(self.raw[name])
        except DateError as exc:
            self.problem(f"{name}: {exc}")
            return None

    def names(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"'{name}' must be a list of names")
            return ()
        return tuple(value)

    def evidence(self, raw: Any, where: str) -> Evidence | None:
        if not isinstance(raw, dict):
            self.problem(f"{where}: each entry must be a mapping with source and quote")
            return None
        fields = raw.keys() if where != "fact" else raw.keys() & EVIDENCE_FIELDS
        for key in fields - EVIDENCE_FIELDS:
            self.problem(f"{where}: unknown field '{key}'")
        values = {}
        for key in ("source", "quote", "prefix", "suffix"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                self.problem(f"{where}: '{key}' must be non-empty text")
                value = None
            values[key] = value
        if values["source"] is None or values["quote"] is None:
            if where != "fact":
                self.problem(f"{where}: needs both 'source' and 'quote'")
            return None
        return Evidence(
            source=values["source"], quote=values["quote"], prefix=values["prefix"], suffix=values["suffix"]
        )

    def quantity(self) -> Quantity | None:
        raw = self.raw.get("quantity")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.problem("quantity must be a mapping of value, unit and metric")
            return None
        for key in raw.keys() - QUANTITY_FIELDS:
            self.problem(f"quantity: unknown field '{key}'")
        value, unit, metric = raw.get("value"), raw.get("unit", ""), raw.get("metric")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or value == "":
            self.problem("quantity: 'value' must be a number (or a name, for a categorical measure)")
            return None
        if not (isinstance(unit, str) and (unit or isinstance(value, str))):
            self.problem("quantity: a number needs a 'unit' such as 'USD billion' or 'projects'")
            return None
        if not (isinstance(metric, str) and ID_RE.match(metric)):
            self.problem("quantity: needs a 'metric' (a lowercase-hyphenated name)")
            return None
        number = value if isinstance(value, str) else _finite(value)
        if number is None:  # .inf, .nan, or an integer of hundreds of digits: no figure a source gives
            self.problem(f"quantity: 'value' must be a finite number, not {str(value)[:20]}")
            return None
        return Quantity(value=number, unit=unit, metric=metric, approximate=bool(raw.get("approximate", False)))

    def date_basis(self) -> DateBasis | None:
        raw = self.raw.get("date_basis")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.problem("date_basis must be a mapping: {phrase, against, doubt}")
            return None
        for key in sorted(raw.keys() - DATE_BASIS_FIELDS, key=str):
            self.problem(f"date_basis: unknown field '{key}' (allowed: against, doubt, phrase)")
        phrase, doubt = raw.get("phrase"), raw.get("doubt")
        if not isinstance(phrase, str) or not phrase.strip():
            self.problem("date_basis: 'phrase' must be the quote's relative words, such as 'this year'")
            return None
        if doubt is not None and (not isinstance(doubt, str) or not doubt.strip()):
            self.problem("date_basis: 'doubt' must be non-empty text")
            doubt = None
        against = None
        if raw.get("against") is not None:
            try:
                against = parse_date(raw["against"])
            except DateError as exc:
                self.problem(f"date_basis: against: {exc}")
                return None
        return DateBasis(" ".join(phrase.split()), against, " ".join(doubt.split()) if doubt else None)

    def salience(self) -> int:
        value = self.raw.get("salience", 2)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            self.problem("salience must be a whole number from 1 to 5")
            return 2
        return value

    def check_kind(self, fact: Fact) -> None:
        if fact.kind == "event" and "date" not in self.raw:
            self.problem("an event needs a 'date'")
        if fact.kind == "figure" and "quantity" not in self.raw:
            self.problem("a figure needs a 'quantity' {value, unit, metric}")
        if fact.kind == "figure" and "as_of" not in self.raw:
            self.problem("a figure needs an 'as_of' date")
        if (fact.confidence or fact.likelihood) and fact.kind != "assessment":
            self.problem("only an assessment carries a confidence or likelihood")

    def parse(self) -> Fact:
        for key in sorted(self.raw.keys() - FACT_FIELDS, key=str):
            self.problem(f"unknown field '{key}' (allowed: {', '.join(sorted(FACT_FIELDS))})")
        fid = self.text("id", required=True)
        if fid and not ID_RE.match(fid):
            self.problem("id must be lowercase letters, digits and hyphens")
        statement = self.text("statement", required=True)
        kind = self.choice("kind", KINDS, None)
        if "kind" not in self.raw:
            self.problem("missing required field 'kind'")
        topics = self.names("topics")
        if "topics" in self.raw and not topics:
            self.problem("topics must name at least one topic")
        for key in ("source", "quote"):
            if key not in self.raw:
                self.problem(f"missing required field '{key}'")
        first = self.evidence(self.raw, "fact")
        also = self.raw.get("also") or []
        if not isinstance(also, list):
            self.problem("'also' must be a list of {source, quote} entries")
            also = []
        more = [self.evidence(item, f"also[{i}]") for i, item in enumerate(also)]
        fact = Fact(
            id=fid or "",
            statement=statement or "",
            kind=kind or "event",
            topics=topics,
            evidence=tuple(e for e in [first, *more] if e is not None),
            file=self.rel,
            line=self.line,
            date=self.date("date"),
            as_of=self.date("as_of"),
            quantity=self.quantity(),
            audiences=self.names("audiences"),
            salience=self.salience(),
            confidence=self.choice("confidence", CONFIDENCE, None),
            likelihood=self.choice("likelihood", LIKELIHOOD, None),
            status=self.choice("status", STATUSES, "active") or "active",
            superseded_by=self.text("superseded_by"),
            hedge=self.text("hedge"),
            date_basis=self.date_basis(),
        )
        self.check_kind(fact)
        return fact  # best effort: later checks still report on it; any problem blocks a build


def parse_fact(raw: Any, rel: str) -> tuple[Fact | None, list[Problem]]:
    if not isinstance(raw, dict):
        what = type(raw).__name__ if raw is not None else "an empty entry"
        return None, [Problem(rel, line_of(raw), None, f"each fact must be a mapping of fields, not {what}")]
    parser = _FactParser(raw, rel)
    fact = parser.parse()
    return fact, parser.problems


def fact_files(base: Path) -> list[Path]:
    """The fact files of a base: every *.yaml directly in it but the reserved ones, sorted."""
    return sorted(p for p in base.glob("*.yaml") if p.name not in RESERVED_FILES)


def load_fact_file(path: Path, base: Path) -> tuple[list[Fact], list[Problem]]:
    rel = path.relative_to(base).as_posix()
    try:
        data = read_yaml(path)
    except YamlProblem as exc:
        return [], [Problem(rel, exc.line, None, exc.message)]
    if data is None:
        return [], [Problem(rel, None, None, "the file is empty; a fact file is a YAML list of facts")]
    if not isinstance(data, list):
        return [], [Problem(rel, line_of(data), None, "a fact file must be a YAML list of facts")]
    facts, problems = [], []
    for raw in data:
        fact, found = parse_fact(raw, rel)
        problems += found
        if fact is not None:
            facts.append(fact)
    return facts, problems
