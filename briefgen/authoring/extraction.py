"""Propose candidate facts from a source's sentences, for a person to review; never writes a fact file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from briefgen.authoring.coverage import SourceSentence, is_covered, known_quotes, source_sentences, source_text
from briefgen.common.files import kind_of, reason, refuse_nul
from briefgen.errors import BuildError, UsageError
from briefgen.factbase.anchoring import AnchorError, anchor
from briefgen.factbase.facts import Topics
from briefgen.factbase.loading import FactBase
from briefgen.factbase.sources import SourceText, inside

# --- Topics ---------------------------------------------------------------------------------------

# Abbreviations and words a topic's description does not spell out.
_EXTRA_TERMS = {
    "aid": ("oda", "grant", "loan"),
    "investment": ("invest", "fdi"),
    "trade": ("export", "import", "trading partner"),
    "economic-agreements": ("economic partnership agreement", "trans pacific partnership", "economic community"),
    "maritime-security": ("coast guard", "patrol", "navy", "naval", "maritime"),
    "defence-dialogue": ("mou", "memorandum", "defence minister", "military exchange"),
    "equipment-transfer": ("patrol boat", "vessel", "submarine", "radar"),
    "defence-policy": ("article 9", "self defence force"),
    "constraints": ("constrain", "non alignment", "obstacle"),
    "pre-modern": ("merchant", "monk", "shogunate", "8th century", "16th", "17th century"),
    "colonial-and-war": ("colonis", "world war", "occupied"),
    "normalisation": ("diplomatic ties", "diplomatic relations"),
    "partnership-upgrades": ("strategic partnership",),
    "high-level-visits": ("prime minister", "general secretary", "president", "emperor"),
    "china": ("chinese", "beijing"),
    "south-china-sea": ("spratly", "paracel", "scarborough"),
    "east-china-sea": ("senkaku", "diaoyu"),
    "united-states": ("u.s.", "washington", "american", "trump", "obama"),
    "asean": ("southeast asia",),
}
# Description words too common in these sources to suggest a topic on their own.
_GENERIC_TERMS = {
    "what limits bilateral security cooperation",
    "contacts before the 19th century",
    "partners",
    "government",
    "establishment",
    "ups",
    "strategy",
    "pressure",
    "disputes",
    "upgrades",
}


def _plain(text: str) -> str:
    """Lower case, hyphens as spaces, British spellings: the form topic terms are matched in."""
    text = re.sub(r"[-\u2010\u2011\u2013\u2014]", " ", text.lower().replace("’", "'"))
    return re.sub(r"(?<=[a-z])iz(?=e|ing|ation)", "is", text.replace("defense", "defence"))


def topic_terms(topics: Topics) -> dict[str, tuple[re.Pattern[str], ...]]:
    """Keyword patterns per topic, from its name, its description and a small table of extras."""
    table = {}
    for name, description in topics.description.items():
        pieces = re.split(r"[,;:.()]| and | or | such as ", _plain(description))
        terms = {_plain(name), *_EXTRA_TERMS.get(name, ())}
        terms |= {re.sub(r"^(the|their|its|other) ", "", p.strip()) for p in pieces}
        terms = {t for t in terms if len(t) >= 3 and t not in _GENERIC_TERMS}
        table[name] = tuple(re.compile(rf"\b{re.escape(t)}" + (r"\b" if len(t) < 5 else "")) for t in sorted(terms))
    return table


def suggest_topics(sentence: str, terms: dict[str, tuple[re.Pattern[str], ...]], limit: int = 3) -> tuple[str, ...]:
    """The topics whose keywords the sentence mentions most, best first."""
    text = _plain(sentence)
    scores = {name: sum(bool(p.search(text)) for p in pats) for name, pats in terms.items()}
    ranked = sorted((-score, name) for name, score in scores.items() if score)
    return tuple(name for _, name in ranked[:limit])


# --- Candidates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A proposed fact: the sentence quoted, everything else a guess for a person to check."""

    id: str
    statement: str
    kind: str
    date: str | None
    topics: tuple[str, ...]
    source: str
    quote: str
    locator: str
    prefix: str | None = None
    unreviewed: bool = True
    date_basis: str | None = None  # how a relative date ('On Tuesday') was resolved, for the reviewer
    quantity: dict[str, object] | None = None  # a guess for figures: value, unit, metric

    def as_entry(self) -> dict[str, object]:
        entry: dict[str, object] = {"id": self.id, "statement": self.statement, "kind": self.kind}
        if self.date:
            entry["as_of" if self.kind == "figure" else "date"] = self.date
        if self.quantity:
            entry["quantity"] = self.quantity
        entry |= {"topics": list(self.topics), "source": self.source, "quote": self.quote}
        if self.prefix:
            entry["prefix"] = self.prefix
        entry["unreviewed"] = self.unreviewed
        return entry


def _quote_for(text: SourceText, sentence: SourceSentence) -> tuple[str, str | None] | None:
    """The sentence as a quote that anchors to its own place, with a prefix if it repeats; else None."""
    tail = " ".join(sentence.before.split()[-6:])
    for prefix in [None, tail] if tail else [None]:
        try:
            match = anchor(text.normal, sentence.text, prefix)
        except AnchorError:
            continue
        if match.start == sentence.start:
            return sentence.text, prefix
    return None


# A figure: '$70 billion', '2 billion yen', '33.7%', '5,000 projects'; years and ordinals are not figures.
_AMOUNT = re.compile(
    r"(?P<cur>[$¥€£])?\s?(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\d|st\b|nd\b|rd\b|th\b)"
    r"(?:\s?(?P<scale>billion|million|trillion))?(?:\s?(?P<unit>%|per ?cent|yen|dollars?|[a-z]+))?"
)
_CURRENCY = {"$": "USD", "¥": "JPY", "€": "EUR", "£": "GBP"}


def guess_quantity(sentence: str, metrics: dict[str, str]) -> dict[str, object] | None:
    """The sentence's first amount as {value, unit, metric}: a guess for the reviewer, never a fact."""
    for m in _AMOUNT.finditer(sentence):
        number = m["num"].replace(",", "")
        if not m["cur"] and not m["scale"] and re.fullmatch(r"1\d{3}|20\d\d", number):
            continue  # a year
        unit = m["unit"] or ""
        if m["cur"] or unit in ("yen", "dollar", "dollars"):
            currency = _CURRENCY.get(m["cur"] or "", "JPY" if unit == "yen" else "USD")
            unit = f"{currency} {m['scale']}" if m["scale"] else currency
        elif unit in ("%", "per cent", "percent"):
            unit = "percent"
        elif m["scale"]:
            unit = f"{m['scale']} {unit}".strip()
        value = float(number) if "." in number else int(number)
        found: dict[str, object] = {"value": value, "unit": unit or "TODO"}
        metric = guess_metric(sentence, metrics)
        if metric:
            found["metric"] = metric
        return found
    return None


def guess_metric(sentence: str, metrics: dict[str, str]) -> str | None:
    """The metric of metrics.yaml whose label shares most words (at least two) with the sentence."""
    words = set(re.findall(r"[a-z]{4,}", _plain(sentence)))
    best = max(
        ((len(words & set(re.findall(r"[a-z]{4,}", _plain(label)))), name) for name, label in metrics.items()),
        default=(0, ""),
    )
    return best[1] if best[0] >= 2 else None


def propose(base: FactBase, source_id: str) -> list[Candidate]:
    """Propose a candidate for each sentence of the source that carries a fact and no fact covers yet."""
    text = source_text(base, source_id)
    known, terms = known_quotes(base, source_id), topic_terms(base.topics)
    metrics = _metrics(base)
    found: list[Candidate] = []
    for sentence in source_sentences(text):
        quoted = None if is_covered(sentence, known) or not sentence.cues.proposable else _quote_for(text, sentence)
        if quoted is None:
            continue
        cues, when = sentence.cues, sentence.cues.when
        relative = when is not None and cues.date is None
        found.append(
            Candidate(
                id=f"cand-{source_id}-{len(found) + 1}",
                statement=f"TODO: restate in our own words: {sentence.text}",
                kind=cues.kind,
                date=cues.date or (when.date if when else None),
                topics=suggest_topics(sentence.text, terms),
                source=source_id,
                quote=quoted[0],
                locator=sentence.locator,
                prefix=quoted[1],
                date_basis=when.basis if relative and when else None,
                quantity=guess_quantity(sentence.text, metrics) if cues.kind == "figure" else None,
            )
        )
    return found


def _metrics(base: FactBase) -> dict[str, str]:
    from briefgen.errors import FactBaseError
    from briefgen.factbase.metrics import metric_labels

    try:
        return metric_labels(base.root)
    except FactBaseError:
        return {}  # `check` reports a broken metrics.yaml; a guess can do without it


# Wrapped like the fact files, with topic lists inline: `topics: [aid, trade]`.
_YAML_LAYOUT: dict[str, Any] = {"width": 100, "default_flow_style": None}

HEADER = """\
# Candidate facts proposed by `briefgen extract`, for review. Nothing here is a fact yet:
# this directory is not loaded, and `unreviewed: true` is a field the fact loader rejects,
# so a candidate cannot slip into a brief unreviewed. To review a candidate:
#   1. Rewrite `statement` as one sentence in our own words; keep numbers exactly as quoted;
#      an assessment says whose judgement it is ("The ISEAS study judges that ...").
#   2. Check `quote` supports the statement; trim it to the clause that does (it must still occur
#      exactly once in the source; keep `prefix` if there is one).
#   3. Check `kind`, `date` (a figure needs `as_of` and `quantity`), `topics`; set `salience`.
#   4. Give it a readable `id`, delete `unreviewed: true`, and move it into a fact file (facts/*.yaml).
#   5. Delete the candidates you leave out; list important sentences you leave out on purpose
#      in exclusions.yaml with a reason.
# Then run `briefgen check` and `briefgen coverage`.
"""


def render_candidates(cands: list[Candidate]) -> str:
    """The review file's text: the header, then each candidate under a comment giving its locator."""
    parts = [HEADER]
    for cand in cands:
        note = "; a figure: check quantity {value, unit, metric}" if cand.kind == "figure" else ""
        note += f"; date from {cand.date_basis}" if cand.date_basis else ""
        parts.append(f"\n# {cand.locator}{note}\n")
        parts.append(yaml.safe_dump([cand.as_entry()], sort_keys=False, allow_unicode=True, **_YAML_LAYOUT))
    return "".join(parts) if cands else HEADER + "[]\n"


def write_candidates(cands: list[Candidate], path: Path, *, fact_base: Path, force: bool = False) -> None:
    """Write the review file; refuse fact base files and texts always, an existing file unless forced."""
    refuse_nul({"--output": path})
    _refuse_unwritable(path)
    target, root = path.resolve(), fact_base.resolve()
    if target.parent == root and target.suffix in (".yaml", ".yml"):
        raise UsageError(
            f"{path}: refusing to write candidates beside the fact files, where they would be "
            f"loaded; write them under {fact_base / 'candidates'}"
        )
    if inside(root / "texts", target):
        raise UsageError(f"{path}: refusing to write candidates among the source texts")
    if target.exists() and not force:
        raise UsageError(f"{path} already exists and may hold reviews in progress; pass --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_candidates(cands), encoding="utf-8")
    except OSError as exc:
        raise BuildError(f"{path}: cannot write the candidates: {reason(exc)}") from None


def _refuse_unwritable(path: Path) -> None:
    """A directory, a pipe or a path under a file is a wrong --output: say so before anything is written."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give --output a file name, such as {path / 'candidates.yaml'}")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path}: is {kind_of(path.stat().st_mode)}, not a file; give --output a file name")
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise UsageError(f"{path}: '{blocker}' is a file, not a directory; choose another --output")


@dataclass(frozen=True)
class ExtractResult:
    """What `briefgen extract` did: how many candidates, written where."""

    path: Path
    count: int


def extract(root: Path, source_id: str, output: Path | None = None, force: bool = False) -> ExtractResult:
    """Load and check the fact base, propose candidates from one source and write their review file."""
    from briefgen.authoring.coverage import load_for_authoring

    base = load_for_authoring(root)[0]  # another source's unreadable text does not stop this one
    cands = propose(base, source_id)
    path = output or root / "candidates" / f"{source_id}.yaml"
    write_candidates(cands, path, fact_base=root, force=force)
    return ExtractResult(path, len(cands))
