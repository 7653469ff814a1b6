"""Extraction that finds what matters: relative dates, ranks in words, commitments, glued sentences; recall."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from briefgen.authoring.coverage import cues_of, relative_date, source_sentences
from briefgen.authoring.extraction import guess_quantity, propose, render_candidates
from briefgen.factbase.dates import parse_date
from briefgen.factbase.loading import load_fact_base
from tests.conftest import FIXTURES, REPO, run
from tests.test_extraction import add_source

# A news article written for this test, not one the cues were tuned on. The sentences a specialist
# would turn into facts are listed by hand in WORTH_A_FACT; the others must not all be proposed blindly.
ARTICLE = """\
Port Deal Brings Japan and Indonesia Closer
By Staff Reporter
On Wednesday, Indonesia and Japan signed an agreement on the joint development of Patimban port.
The agreement follows two years of talks between the transport ministries.
Japan will provide 120 billion yen in soft loans for the second phase of the project.
Indonesian officials said the port would be the second largest in the country when finished.
Japan ranks first among foreign investors in Indonesian infrastructure.
Both governments pledged to complete the first terminal by the end of next year.
Analysts say the deal is likely to deepen economic ties between the two countries.
In March, the two sides held their first maritime dialogue in Jakarta.
The port has been under construction since 2018.Its first berth opened in December.
The weather in Jakarta was hot and humid on the day of the signing.
Share this article
"""
WORTH_A_FACT = [
    "On Wednesday, Indonesia and Japan signed an agreement",
    "The agreement follows two years of talks",
    "Japan will provide 120 billion yen",
    "the port would be the second largest in the country",
    "Japan ranks first among foreign investors",
    "Both governments pledged to complete the first terminal",
    "Analysts say the deal is likely to deepen",
    "In March, the two sides held their first maritime dialogue",
    "The port has been under construction since 2018.",
    "Its first berth opened in December.",
]


@pytest.fixture
def news(base: Path) -> Path:
    add_source(base, "port-deal", ARTICLE)
    registry = base / "sources.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8").replace("id: port-deal", 'id: port-deal\n  published: "2024-05-10"')
    )
    return base


def test_every_sentence_worth_a_fact_is_proposed(news: Path):
    base, _ = load_fact_base(news)
    quotes = [c.quote for c in propose(base, "port-deal")]
    missed = [want for want in WORTH_A_FACT if not any(want in q for q in quotes)]
    assert missed == []
    assert not any("weather" in q or "Share this" in q for q in quotes)


def test_glued_sentences_are_split(news: Path):
    base, _ = load_fact_base(news)
    texts = [s.text for s in source_sentences(base.texts["port-deal"])]
    assert "The port has been under construction since 2018." in texts
    assert "Its first berth opened in December." in texts


@pytest.mark.parametrize(
    ("sentence", "published", "date"),
    [
        ("On Wednesday, the two sides signed it.", "2024-05-10", "2024-05-08"),  # 10 May 2024 is a Friday
        ("On Friday, the two sides signed it.", "2024-05-10", "2024-05-03"),  # not the day of publication
        ("In March, the ministers met.", "2024-05-10", "2024-03"),
        ("In November, the ministers met.", "2024-05-10", "2023-11"),  # the latest November before May 2024
        ("The talks began last year.", "2024-05", "2023"),
        ("On Wednesday, the two sides signed it.", "2024-05", None),  # a weekday needs a day of publication
    ],
)
def test_relative_dates_resolve_against_publication(sentence: str, published: str, date: str | None):
    found = relative_date(sentence, parse_date(published))
    assert found is not None and found.date == date
    assert published in found.basis or date is None


def test_relative_date_basis_is_written_for_the_reviewer(news: Path):
    base, _ = load_fact_base(news)
    cands = propose(base, "port-deal")
    wednesday = next(c for c in cands if c.quote.startswith("On Wednesday"))
    assert (wednesday.kind, wednesday.date) == ("event", "2024-05-08")
    text = render_candidates(cands)
    assert "date from 'Wednesday' read against the publication date 2024-05-10 (the latest before it)" in text


def test_ranks_in_words_and_commitments_are_cues():
    assert cues_of("Japan is now third in investment in Vietnam.").rank
    assert cues_of("Japan is the fourth largest trading partner of Vietnam.").rank
    assert cues_of("The ministers agreed to expand training.").commitment
    assert cues_of("Japan would promote transfers of equipment.").commitment
    assert not cues_of("The weather was hot and humid on the day.").proposable


def test_quantity_and_metric_are_guessed():
    metrics = {"japan-oda-annual": "Japan's annual development assistance (ODA) to Vietnam"}
    assert guess_quantity("Japan will provide 120 billion yen in soft loans.", {}) == {
        "value": 120,
        "unit": "JPY billion",
    }
    assert guess_quantity("Imports climbed 33.7% in 2012.", {}) == {"value": 33.7, "unit": "percent"}
    oda = guess_quantity("Japan's development assistance to Vietnam reached $1.2 billion in 2015.", metrics)
    assert oda == {"value": 1.2, "unit": "USD billion", "metric": "japan-oda-annual"}


def _recall_script():
    spec = importlib.util.spec_from_file_location("extraction_recall", REPO / "scripts" / "extraction_recall.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recall_on_the_five_sources(tmp_path: Path):
    """Of the sentences the fact base quotes (a specialist's choice), extract proposes at least 95%."""
    shutil.copytree(REPO / "facts", tmp_path / "facts")
    table = _recall_script().recall(tmp_path / "facts")
    found, wanted = (sum(v[i] for v in table.values()) for i in (0, 1))
    assert wanted > 200 and found / wanted >= 0.95


def test_added_html_article_yields_its_candidates(base: Path):
    sid = run("--facts", base, "add", FIXTURES / "intake" / "article.html").stdout.strip()
    result = run("--facts", base, "extract", sid)
    assert result.exit_code == 0 and result.stdout.startswith("4 candidate(s)")
