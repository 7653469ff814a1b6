"""Check a rendered HTML brief before it is written, as `verification` checks a Markdown one.

A browser runs only the scripts whose digest the page's Content-Security-Policy names, so a script
is accepted only when its digest is there (the browser tests see any other blocked as a console error).

Every sentence ends in a note call, every call opens a note and every note is called, every note
links each of its citations to an included passage whose one <mark> holds the quote (after the
anchor's normalisation), every selected fact is present, no id is used twice, every in-page link
lands, and nothing in the page would load anything from anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from briefgen.brief.selection import Brief
from briefgen.factbase.anchoring import normalise
from briefgen.render.verification import cited_sentences, tabled_facts, unseen_facts

_BLOCKS = {"p", "li", "figcaption", "tr", "dd", "dt", "blockquote"}
_SKIPPED = {"h1", "h2", "h3", "h4", "h5", "h6", "caption", "thead", "svg", "style", "title", "script"}
# Elements that fetch something by themselves, and attributes that name what they fetch.
_FETCHING = {"link", "iframe", "frame", "object", "embed", "img", "source", "video", "audio", "base", "track"}
_FETCH_ATTRS = {"src", "srcset", "data", "poster", "action", "background", "formaction", "ping", "xlink:href"}
_CALL = re.compile(r"#note-(\d+)$")
_NOTE_ID = re.compile(r"note-(\d+)$")
# A note call stands in a block's text as in Markdown, `[^N]`, which the sentence splitter knows.
_ENDS_CALLED = re.compile(r"(\[\^-?\d+\])+$")


@dataclass
class _Block:
    tag: str
    text: list[str] = field(default_factory=list)
    calls: int = 0


class _Reader(HTMLParser):
    """One pass over the page, collecting what the checks need."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.fetches: list[str] = []
        self.calls: list[int] = []
        self.note_links: dict[int, list[str]] = {}
        self.missing: list[int] = []
        self.marks: dict[str, list[str]] = {}
        self.blocks: list[_Block] = []
        self.done: list[_Block] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, whether its text is outside the cited body)
        self.note: int | None = None
        self.passage: str | None = None
        self.in_mark = False
        self.in_call = False
        self.style: list[str] = []
        self.scripts: list[str] = []
        self.policy = ""  # the page's Content-Security-Policy

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._fetching(tag, a)
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.policy = a.get("content", "")
        if tag == "script":
            self.scripts.append("")
        if "id" in a:
            self.ids.append(a["id"])
        classes = a.get("class", "").split()
        skip = self.skipping or tag in _SKIPPED or "uncited" in classes or "pop" in classes
        if tag in ("br", "img", "meta", "input", "hr", "wbr"):
            return  # void elements: no end tag
        self.stack.append((tag, skip))
        href = a.get("href", "")
        if href.startswith("#"):
            self.links.append(href[1:])
        note = _NOTE_ID.match(a.get("id", "")) if tag == "li" else None
        if note:
            self.note = int(note[1])
            self.note_links[self.note] = []
        if tag == "article" and a.get("id", "").startswith("passage-"):
            self.passage = a["id"]
            self.marks[self.passage] = []
        if tag == "mark" and self.passage:
            self.in_mark = True
            self.marks[self.passage].append("")
        if tag == "span" and "missing" in classes and self.note is not None:
            self.missing.append(self.note)
        if tag == "a" and "open" in classes and self.note is not None:
            self.note_links[self.note].append(href[1:])
        if tag == "a" and "call" in classes:
            self._call(href)
        elif tag in _BLOCKS and not skip:
            self.blocks.append(_Block(tag))

    def _call(self, href: str) -> None:
        found = _CALL.match(href)
        number = int(found[1]) if found else -1
        self.calls.append(number)
        self.in_call = True
        if self.blocks and not self.skipping_outside_call():
            self.blocks[-1].text.append(f"[^{number}]")
            self.blocks[-1].calls += 1

    def skipping_outside_call(self) -> bool:
        return len(self.stack) > 1 and self.stack[-2][1]

    def _fetching(self, tag: str, a: dict[str, str]) -> None:
        if tag in _FETCHING and not (tag == "img" and a.get("src", "").startswith("data:")):
            self.fetches.append(f"<{tag}>")
        for name in _FETCH_ATTRS & a.keys():
            if not a[name].startswith(("data:", "#")):
                self.fetches.append(f'{name}="{a[name][:60]}"')
        if "href" in a and tag != "a" and not a["href"].startswith("#"):
            self.fetches.append(f'<{tag} href="{a["href"][:60]}">')
        if "url(" in a.get("style", "").lower():
            self.fetches.append(f"<{tag} style> with url()")

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, skip = self.stack.pop()
            self._close(open_tag, skip)
            if open_tag == tag:
                break

    def _close(self, tag: str, skip: bool) -> None:
        if tag == "a":
            self.in_call = False
        elif tag == "mark":
            self.in_mark = False
        elif tag == "li" and self.note is not None:
            self.note = None
        elif tag == "article":
            self.passage = None
        if tag in _BLOCKS and not skip and self.blocks and self.blocks[-1].tag == tag:
            self.done.append(self.blocks.pop())

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] == "style":
            self.style.append(data)
        if self.stack and self.stack[-1][0] == "script":
            self.scripts[-1] += data
        if self.in_mark and self.passage:
            self.marks[self.passage][-1] += data
        if self.in_call or self.skipping or not self.blocks:
            return
        self.blocks[-1].text.append(data)


def verify_html(page: str, brief: Brief) -> list[str]:
    """Every problem with a rendered HTML brief, each naming what is wrong."""
    reader = _Reader()
    reader.feed(page)
    reader.close()
    problems = _structure(reader)
    problems += _notes_and_passages(reader, brief)
    problems += _sentences(reader, brief)
    return problems


def _structure(reader: _Reader) -> list[str]:
    problems = [f'id "{i}" is used more than once' for i, n in sorted(Counter(reader.ids).items()) if n > 1]
    ids = set(reader.ids)
    problems += [f'link to "#{target}" lands nowhere' for target in sorted(set(reader.links) - ids) if target]
    style = "".join(reader.style).lower()
    if "url(" in style or "@import" in style:
        problems.append("the style sheet loads a file (url() or @import): the page must be self-contained")
    problems += [f"the page would load something from elsewhere: {f}" for f in reader.fetches]
    if "default-src 'none'" not in reader.policy:
        problems.append("the page has no Content-Security-Policy with default-src 'none' (it keeps every request out)")
    for script in reader.scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        if f"'sha256-{digest}'" not in reader.policy:
            problems.append(f"a script the page's Content-Security-Policy does not allow: {script[:60]!r}")
    return problems


def _notes_and_passages(reader: _Reader, brief: Brief) -> list[str]:
    problems = [f"note {n} has a citation whose passage was not found" for n in reader.missing]
    called, defined = Counter(reader.calls), set(reader.note_links)
    problems += [f"note call {n} is made more than once" for n, k in sorted(called.items()) if k > 1]
    problems += [f"note call {n} has no note" for n in sorted(set(called) - defined)]
    problems += [f"note {n} is never called" for n in sorted(defined - set(called))]
    linked: set[str] = set()
    for note in brief.notes:
        links = reader.note_links.get(note.number)
        if links is None:
            problems.append(f"note {note.number} of the brief is missing from the page")
            continue
        if len(links) != len(note.citations):
            problems.append(f"note {note.number} links {len(links)} passages for {len(note.citations)} citations")
        for citation, target in zip(note.citations, links, strict=False):
            linked.add(target)
            marks = reader.marks.get(target)
            if marks is None:
                problems.append(f"note {note.number} links to {target}, which the page does not include")
            elif len(marks) != 1:
                problems.append(f"{target} has {len(marks)} highlighted quotes, not one")
            elif normalise(marks[0]) != normalise(citation.quote):
                problems.append(f'{target} highlights "{marks[0][:80]}", not the quote of note {note.number}')
    problems += [f"{p} is included but no note links to it" for p in sorted(set(reader.marks) - linked)]
    return problems


def _sentences(reader: _Reader, brief: Brief) -> list[str]:
    problems = []
    prose = []
    for block in reader.done:
        text = " ".join("".join(block.text).split())
        if block.tag != "tr":
            prose.append(text)
        elif not block.calls and text:
            problems.append(f"table row without a note: {text[:120]}")
    cited, uncited = cited_sentences(prose, _ENDS_CALLED, "note")
    tabled = tabled_facts(brief, disagreements=True)
    return problems + uncited + unseen_facts(brief, tabled, lambda text: " ".join(text.split()) in cited)
