"""Check a rendered brief before it is written: every sentence cited, every note resolved, no fact dropped."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from briefgen.brief.selection import Brief
from briefgen.common.sentences import split_sentences
from briefgen.errors import BuildError
from briefgen.render.templates import md_escape

_UNCITED = re.compile(r"<!-- uncited -->.*?<!-- /uncited -->", re.S)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_NOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:", re.M)
_NOTE_CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_ENDS_CITED = re.compile(r"(\[\^[^\]\s]+\])+$")
_RUN_TOGETHER = re.compile(r"\S{0,20}\[\^[^\]\s]+\][A-Za-z0-9\"“(]\S{0,20}")
# What every match of _RUN_TOGETHER contains; searched first, since that one tries every position of
# the brief (3 s for a 60,000-note brief) and a sound brief has no match.
_GLUED = re.compile(r"\[\^[^\]\s]+\][A-Za-z0-9\"“(]")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


def _body_blocks(markdown: str) -> list[str]:
    """The paragraphs, list items and table rows that must carry citations."""
    body = _UNCITED.sub("", _FRONT_MATTER.sub("", markdown))
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    lines = [ln for ln in body.split("\n") if not _NOTE_DEF.match(ln)]
    blocks: list[str] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not stripped or stripped.startswith(("#", "![")) or stripped.startswith(("- ", "* ", "|")):
            if current:
                blocks.append(" ".join(current))
                current = []
            if stripped.startswith(("- ", "* ")):
                blocks.append(stripped[2:])
            elif stripped.startswith("|") and not _TABLE_RULE.match(stripped) and not _TABLE_RULE.match(nxt):
                blocks.append(stripped)
            continue
        current.append(stripped)
    if current:
        blocks.append(" ".join(current))
    return blocks


def verify_markdown(markdown: str, brief: Brief) -> list[str]:
    """Every problem with a rendered Markdown brief, each naming the offending text."""
    problems = []
    defs, body = _note_definitions(markdown)
    counts = Counter(defs)
    for label in sorted(d for d, n in counts.items() if n > 1):
        problems.append(f"note [^{label}] is defined more than once")
    calls = set(_NOTE_CALL.findall(_FRONT_MATTER.sub("", body)))
    problems += [f"footnote [^{c}] is called but has no note" for c in sorted(calls - set(defs))]
    problems += [f"note [^{d}] is never called" for d in sorted(set(defs) - calls)]
    for glued in _RUN_TOGETHER.findall(body) if _GLUED.search(body) else []:
        problems.append(f'sentences run together after a footnote: "{glued}"')
    prose = []
    for block in _body_blocks(markdown):
        if not block.startswith("|"):
            prose.append(block)
        elif not _NOTE_CALL.search(block):
            problems.append(f"table row without a footnote: {block[:120]}")
    cited, uncited = cited_sentences(prose, _ENDS_CITED, "footnote")
    present: list[str] = []  # the whole brief's text, made only if a fact is not among the cited sentences

    def seen(text: str) -> bool:  # most facts are found among the cited sentences at once
        wanted = md_escape(text)
        if wanted in cited:
            return True
        if not present:
            present.append(md_text(markdown))
        return wanted in present[0]

    return problems + uncited + unseen_facts(brief, tabled_facts(brief), seen)


def _note_definitions(markdown: str) -> tuple[list[str], str]:
    """The labels of the note definitions, and the markdown with each definition's `[^label]:` taken out.

    What `_NOTE_DEF.findall` and `.sub` give, in one pass over the lines (a definition starts a line,
    after a newline, and holds none): a multi-line pattern tries every position of the brief.
    """
    labels = []
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("[^"):
            found = _NOTE_DEF.match(line)
            if found:
                labels.append(found[1])
                lines[i] = line[found.end() :]
    return labels, "\n".join(lines)


def cited_sentences(blocks: list[str], ending: re.Pattern[str], call: str) -> tuple[set[str], list[str]]:
    """Each sentence of the blocks without its note calls, and one problem per sentence that has none.

    `ending` matches a run of note calls at the end of a sentence; it holds no white space.
    """
    cited: set[str] = set()
    problems = []
    for block in blocks:
        for sentence in split_sentences(block):
            text = sentence.rstrip()
            calls = ending_calls(text, ending)
            if calls is not None:
                cited.add(md_text(text[:calls]))
            else:
                problems.append(f'sentence without a {call}: "{sentence[:160]}"')
    return cited, problems


def ending_calls(text: str, ending: re.Pattern[str]) -> int | None:
    """Where the note calls ending text start (`ending.search(text).start()`), or None.

    A match holds no white space, so it lies in text's last word: searched there, not from the start
    of the sentence, where the pattern would be tried at every position ($ in CPython's re).
    """
    words = text.rsplit(None, 1)  # white space as re's \s knows it (both are str.isspace)
    last = words[-1] if words else text
    found = ending.search(last)
    return len(text) - len(last) + found.start() if found else None


def tabled_facts(brief: Brief, disagreements: bool = False) -> set[str]:
    """Facts a brief shows as table rows (checked as rows, not as sentences)."""
    series = [s for section in brief.sections for s in section.series]
    series += list(brief.disagreements) if disagreements else []
    return {row.sentence.fact.id for s in series for row in s.rows}


def unseen_facts(brief: Brief, tabled: set[str], seen: Callable[[str], bool]) -> list[str]:
    """Every selected fact not in a table must be seen in the brief, as the brief words it."""
    texts = {s.fact.id: s.text for s in brief.sentences}
    return [
        f"fact {fact.id} was selected but does not appear in the brief"
        for fact in brief.facts
        if fact.id not in tabled and not seen(texts.get(fact.id, fact.statement))
    ]


def md_text(markdown: str) -> str:
    return " ".join(markdown.split())


def ensure_verified(problems: list[str], name: str) -> None:
    if problems:
        listing = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BuildError(f"{name} fails its own checks; nothing written:\n{listing}{more}")
