"""Generate a synthetic fact base for benchmarks: seeded, schema-valid, every quote really in its source.

    python benchmarks/generate.py --facts 1000 --sources 50 OUT_DIR

Each source is prose hard-wrapped at about 75 columns, with some words hyphenated at line ends.
Every sentence carries a unique token (Tag0000123), and each quote is a span of words around it,
so a quote occurs exactly once in its source even though it crosses line breaks and hyphens.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TOPICS_FILE = REPO / "facts" / "topics.yaml"
FACTS_PER_FILE = 500
PLAIN = re.compile(r"[a-z][a-z0-9-]*")
YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
MONTHS = "January February March April May June July August September October November December".split()

SUBJECTS = [
    "Japan",
    "Vietnam",
    "Tokyo",
    "Hanoi",
    "the two countries",
    "Japanese officials",
    "Vietnamese leaders",
    "the Japan Coast Guard",
    "Vietnam's defence ministry",
    "the Japanese government",
    "both governments",
]
VERBS = [
    "agreed to expand",
    "announced",
    "signed",
    "discussed",
    "reaffirmed",
    "launched",
    "pledged to support",
    "completed",
    "reviewed",
    "proposed",
    "stepped up",
    "welcomed",
]
WORDS = (
    "maritime cooperation patrol vessels training dialogue ministers agreement capacity investment trade "
    "assistance infrastructure loans ports surveillance exercises regional stability partnership framework "
    "exchanges delegation programme projects provinces equipment technology security development economic "
    "strategic bilateral multilateral reconnaissance modernisation comprehensive announcement international "
    "administration strengthening cooperation industrial manufacturing shipbuilding commitments negotiations "
    "consultations humanitarian deployment coastal fisheries navigation environmental education"
).split()
ENDINGS = ["region", "partnership", "cooperation", "relationship", "sea", "agenda", "framework", "talks"]
PLACES = ["Singapore", "Tokyo", "Hanoi", "New Delhi", "Canberra", "Washington", "Phnom Penh", "Jakarta"]
PUBLISHERS = [
    "Institute of Southeast Asian Studies",
    "Maritime Policy Forum",
    "Pacific Review",
    "Harbour Times",
    "Centre for Strategic Analysis",
    "Asia Economic Monitor",
    "Observer Foundation",
    "Mekong Herald",
]
SURNAMES = ["Nguyen", "Tanaka", "Le", "Sato", "Tran", "Suzuki", "Pham", "Watanabe", "Hoang", "Kobayashi"]
GIVEN = ["Hong Hiep", "Yuki", "Thi Lan", "Kenji", "Van Minh", "Aiko", "Duc Anh", "Hiroshi"]
TYPES = ["think-tank analysis", "think-tank commentary", "commentary", "news report", "news analysis"]
# Measures and their units; by default four metrics of each (japan-oda-cumulative-1 .. -4), so figures
# form series. More metric sets keep a larger base as dense in figures per metric as a smaller one.
MEASURES = [
    ("japan-oda-cumulative", "JPY billion"),
    ("bilateral-trade", "USD billion"),
    ("japan-fdi-registered", "USD million"),
    ("fdi-projects", "projects"),
    ("export-share", "percent"),
    ("coast-guard-vessels", "vessels"),
]
METRIC_SETS = 4


def metrics(sets: int = METRIC_SETS) -> dict[str, str]:
    """Metric name to unit: 24 metrics with the default four sets."""
    return {f"{name}-{n}": unit for n in range(1, sets + 1) for name, unit in MEASURES}


METRICS = metrics()


@dataclass
class Draft:
    """A sentence of a source, as words, with the window a fact quotes from it."""

    words: list[str]
    start: int = 0
    end: int = 0
    curly: bool = False  # the source prints ’ where the quote types '

    @property
    def source_words(self) -> list[str]:
        return [w.replace("'", "\u2019") for w in self.words] if self.curly else self.words

    @property
    def quote(self) -> str:
        return " ".join(self.words[self.start : self.end])


@dataclass
class SourcePlan:
    id: str
    entry: dict[str, object]
    sentences: list[Draft] = field(default_factory=list)


def read_topics() -> list[str]:
    groups = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    return [name for members in groups.values() for name in members]


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def event_date(rng: random.Random) -> tuple[str, str, int]:
    """A date in the schema grammar, the words a source uses for it, and its year."""
    era = rng.random()
    q = rng.choice(["early ", "mid ", "late ", "", "", ""])
    if era < 0.1:
        if rng.random() < 0.5:
            n = rng.randint(8, 18)
            return f"{q}{ordinal(n)} century", f"in the {q}{ordinal(n)} century,", (n - 1) * 100
        decade = rng.randrange(1600, 1800, 10)
        return f"{q}{decade}s", f"in the {q}{decade}s,", decade
    low, high = rng.choice([(1800, 1972), (1973, 2008), (2009, 2023), (2009, 2023)])
    year = rng.randint(low, high)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    form = rng.random()
    if form < 0.3:
        return f"{year}", f"in {year},", year
    if form < 0.6:
        return f"{q}{year}-{month:02d}", f"in {q}{MONTHS[month - 1]} {year},", year
    if form < 0.9:
        return f"{year}-{month:02d}-{day:02d}", f"on {day} {MONTHS[month - 1]} {year},", year
    last = min(day + rng.randint(1, 5), 28)
    span = f"{year}-{month:02d}-{day:02d}/{year}-{month:02d}-{last:02d}"
    return span, f"from {day} to {last} {MONTHS[month - 1]} {year},", year


def as_of_date(rng: random.Random) -> tuple[str, str]:
    year, month = rng.randint(1992, 2023), rng.randint(1, 12)
    if rng.random() < 0.5:
        return f"{year}", f"by {year},"
    return f"{year}-{month:02d}", f"by {MONTHS[month - 1]} {year},"


def figure_words(rng: random.Random, unit: str) -> tuple[float, list[str]]:
    """A value and how a source writes it: 'US$42.5 billion', '2.8 billion yen', '3,320 projects'."""
    if unit in ("projects", "vessels"):
        value = rng.randint(12, 9999)
        return float(value), [f"{value:,}", unit]
    value = round(rng.uniform(1, 99), 1)
    text = {
        "JPY billion": [f"{value}", "billion", "yen"],
        "USD billion": [f"US${value}", "billion"],
        "USD million": [f"US${value}", "million"],
        "percent": [f"{value}", "percent"],
    }[unit]
    return value, text


def filler(rng: random.Random, count: int) -> list[str]:
    words = [rng.choice(WORDS) for _ in range(count)]
    if count >= 4 and rng.random() < 0.2:  # typography the normaliser must see through
        # One word in quotation marks: a term, which statements may use bare (two or more would be
        # the source's own words, which a statement must quote).
        i = rng.randrange(count)
        words[i] = f"\u201c{words[i]}\u201d"
    return words


def source_sentence(rng: random.Random, tag: str, opening: list[str], figure: list[str]) -> tuple[list[str], int, int]:
    """Words of one source sentence; the span [0 or figure start, tag] a fact must quote."""
    head = [*opening, *rng.choice(SUBJECTS).split(), *rng.choice(VERBS).split()]
    fig_at = len(head)
    words = [*head, *figure, *filler(rng, rng.randint(1, 4))]
    tag_at = len(words)
    words += [tag, *filler(rng, rng.randint(4, 22)), rng.choice(ENDINGS) + "."]
    words[0] = words[0][:1].upper() + words[0][1:]
    required_from = 0 if opening else (fig_at if figure else tag_at)
    return words, required_from, tag_at


def choose_window(rng: random.Random, words: list[str], first: int, last: int) -> tuple[int, int]:
    """A span of 10-40 words covering words[first..last]."""
    length = min(len(words), max(rng.randint(10, 40), last - first + 1))
    start = rng.randint(max(0, last - length + 1), min(first, len(words) - length))
    return start, start + length


def add_sentence(
    rng: random.Random, plan: SourcePlan, tags: Iterator[int], opening: Sequence[str] = (), figure: Sequence[str] = ()
) -> Draft:
    """A new sentence in the source, with its unique tag; returns it with the window to quote."""
    words, first, last = source_sentence(rng, f"Tag{next(tags):07d}", list(opening), list(figure))
    draft = Draft(words, *choose_window(rng, words, first, last), curly=rng.random() < 0.5)
    plan.sentences.append(draft)
    return draft


def statement(rng: random.Random, kind: str, phrase: str | None, figure: list[str], who: str) -> str:
    """One sentence in our words, 15-40 words, numbers only from its quote (or its quantity)."""
    body = [*rng.choice(SUBJECTS).split(), *rng.choice(VERBS).split()]
    if figure:
        body += ["a", "figure", "of", *figure, "for"]
    if kind == "assessment":
        body = ["the", *who.split(), "analysis", "judges", "that", *body]
    elif phrase:
        body = [*phrase.split(), *body]
    body += [w.strip("\u201c\u201d") for w in filler(rng, max(3, rng.randint(15, 40) - len(body) - 1))]
    body += [rng.choice(ENDINGS) + "."]
    text = " ".join(body)
    return text[:1].upper() + text[1:]


def pick_topics(rng: random.Random, topics: list[str], year: int | None) -> list[str]:
    chosen = rng.sample(topics, rng.randint(1, 3))
    if year is not None and year < 1800 and "pre-modern" not in chosen:
        chosen[0] = "pre-modern"
    elif year is not None and year < 1973 and rng.random() < 0.5 and "colonial-and-war" not in chosen:
        chosen[0] = "colonial-and-war"
    return chosen


def make_source(rng: random.Random, i: int) -> SourcePlan:
    sid = f"src-{i:03d}-{rng.choice(SURNAMES).lower()}"
    author = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}" if rng.random() < 0.6 else None
    entry = {
        "id": sid,
        "title": f"Vietnam and Japan: {rng.choice(WORDS).title()} and {rng.choice(WORDS).title()}"
        if rng.random() < 0.8
        else None,
        "series": f"Perspective No {i}" if rng.random() < 0.3 else None,
        "author": author,
        "publisher": rng.choice(PUBLISHERS),
        "place": rng.choice(PLACES),
        "published": f"{rng.randint(2005, 2023)}-{rng.randint(1, 12):02d}",
        "type": rng.choice(TYPES),
        "url": None,
        "path": f"texts/{sid}.txt",
        "sha256": "",
        "notes": "Synthetic benchmark source.",
    }
    return SourcePlan(sid, entry)


def when_and_figure(rng: random.Random, kind: str) -> tuple[str | None, str | None, int | None, dict | None, list[str]]:
    """An event's date or a figure's as_of and quantity: (date, source words for it, year, quantity, figure words)."""
    if kind == "event":
        return (*event_date(rng), None, [])
    if kind != "figure":
        return None, None, None, None, []
    metric = rng.choice(sorted(METRICS))
    value, figure = figure_words(rng, METRICS[metric])
    date, phrase = as_of_date(rng)
    quantity = {"value": int(value) if value == int(value) else value, "unit": METRICS[metric], "metric": metric}
    return date, phrase, int(date[:4]), quantity, figure


def make_fact(rng: random.Random, n: int, topics: list[str], plans: list[SourcePlan], tags: Iterator[int]) -> dict:
    """One fact: its source sentence (and perhaps an `also` sentence) added to the plans."""
    at = rng.randrange(len(plans))
    plan = plans[at]
    kind = rng.choices(["event", "figure", "assessment"], weights=[6, 2, 2])[0]
    date, phrase, year, quantity, figure = when_and_figure(rng, kind)
    mention = phrase if phrase is not None and rng.random() < 0.8 else None  # the statement names the date
    draft = add_sentence(rng, plan, tags, mention.split() if mention else [], figure)
    who = str(plan.entry["author"] or plan.entry["publisher"])
    fact: dict[str, object] = {"id": f"{rng.choice(WORDS)}-{n:06d}"}
    fact["statement"], fact["kind"] = statement(rng, kind, mention, figure, who), kind
    if kind == "event":
        fact["date"] = date
    if quantity is not None:
        fact["as_of"], fact["quantity"] = date, quantity
    fact["topics"] = pick_topics(rng, topics, year)
    fact["salience"] = rng.choices([1, 2, 3, 4, 5], weights=[15, 35, 30, 15, 5])[0]
    if kind == "assessment" and rng.random() < 0.3:
        fact["confidence"] = rng.choice(["low", "moderate", "high"])
    fact["source"], fact["quote"] = plan.id, draft.quote
    if len(plans) > 1 and rng.random() < 0.1:
        other = plans[(at + rng.randint(1, len(plans) - 1)) % len(plans)]
        # A figure is corroborated only by a passage giving the same value.
        also = add_sentence(rng, other, tags, [], figure) if quantity is not None else add_sentence(rng, other, tags)
        fact["also"] = [{"source": other.id, "quote": also.quote}]
    return fact


def wrap(words: list[str], rng: random.Random, width: int = 75) -> list[str]:
    """Hard-wrap words at width, hyphenating about a third of the long words that would not fit."""
    lines, line = [], ""
    for word in words:
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            cut = width - len(line) - 2
            if word.isalpha() and len(word) >= 8 and 3 <= cut <= len(word) - 3 and rng.random() < 0.35:
                lines.append(f"{line} {word[:cut]}-")
                line = word[cut:]
            else:
                lines.append(line)
                line = word
    return [*lines, line] if line else lines


def source_text(rng: random.Random, plan: SourcePlan, tags: Iterator[int], target_bytes: int) -> str:
    """The source's text: its sentences topped up with others, shuffled into wrapped paragraphs."""
    size = sum(len(" ".join(d.words)) + 1 for d in plan.sentences)
    while size < target_bytes:
        size += len(" ".join(add_sentence(rng, plan, tags).words)) + 1
    order = plan.sentences[:]
    rng.shuffle(order)
    lines = [str(plan.entry["title"] or plan.id).upper(), ""]
    while order:
        take = rng.randint(3, 7)
        paragraph, order = order[:take], order[take:]
        lines += wrap([w for d in paragraph for w in d.source_words], rng) + [""]
    if rng.random() < 0.4:  # a paginated source: pages of 50 lines
        plan.entry["page_starts"] = list(range(1, len(lines) + 1, 50))
    return "\n".join(lines)


def scalar(value: object) -> str:
    """A YAML flow scalar: plain for names, else JSON (JSON strings are valid YAML)."""
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "null"
    if isinstance(value, str) and PLAIN.fullmatch(value) and value not in YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def folded(text: str, indent: str, width: int = 96) -> str:
    """A `>-` block scalar, as people write long statements and quotes."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return ">-\n" + "".join(f"{indent}{ln}\n" for ln in [*lines, line])[:-1]


def fact_yaml(fact: dict) -> str:
    out = []
    for key, value in fact.items():
        if key in ("statement", "quote"):
            out.append(f"  {key}: {folded(str(value), '    ')}")
        elif key == "also":
            out.append("  also:")
            for item in value:
                out.append(f"    - source: {item['source']}\n      quote: {folded(item['quote'], '        ')}")
        else:
            out.append(f"  {key}: {scalar(value)}")
    return "-" + "\n".join(out)[1:] + "\n"


def supersede(rng: random.Random, facts: list[dict]) -> None:
    """About 1% of facts are superseded by a later one."""
    for i in range(len(facts) - 1):
        if rng.random() < 0.01:
            facts[i]["status"], facts[i]["superseded_by"] = "superseded", facts[i + 1]["id"]


def generate(
    out: Path, n_facts: int, n_sources: int, seed: int = 1, source_kb: int = 30, metric_sets: int = METRIC_SETS
) -> None:
    """Write a whole fact base into out (absent or empty)."""
    global METRICS
    METRICS = metrics(metric_sets)
    rng = random.Random(seed)
    topics = read_topics()
    plans = [make_source(rng, i) for i in range(n_sources)]
    tags = itertools.count(1)
    facts = [make_fact(rng, n, topics, plans, tags) for n in range(n_facts)]
    supersede(rng, facts)
    (out / "texts").mkdir(parents=True)
    shutil.copyfile(TOPICS_FILE, out / "topics.yaml")
    for plan in plans:
        data = source_text(rng, plan, tags, source_kb * 1024).encode("utf-8")
        (out / str(plan.entry["path"])).write_bytes(data)
        plan.entry["sha256"] = hashlib.sha256(data).hexdigest()
    registry = "".join("-" + "".join(f"  {k}: {scalar(v)}\n" for k, v in p.entry.items())[1:] + "\n" for p in plans)
    (out / "sources.yaml").write_text(registry, encoding="utf-8")
    for i in range(0, n_facts, FACTS_PER_FILE):
        chunk = "".join(fact_yaml(f) for f in facts[i : i + FACTS_PER_FILE])
        (out / f"facts-{i // FACTS_PER_FILE + 1:03d}.yaml").write_text(chunk, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="directory to create")
    parser.add_argument("--facts", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source-kb", type=int, default=30, help="approximate size of each source text")
    parser.add_argument("--metric-sets", type=int, default=METRIC_SETS, help="six metrics per set")
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty")
    generate(args.out, args.facts, args.sources, args.seed, args.source_kb, args.metric_sets)


if __name__ == "__main__":
    main()
