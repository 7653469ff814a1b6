"""Body paragraphs as a reader counts them: the rule behind every "para. N" (docs/schema.md, Locators).

A source's body is a range of its lines, recorded in the registry (`body: [first, last]`); the title,
byline, dateline, banners above it and the comment forms, author notes and endnotes below it are not
counted. Inside the body:
- a paragraph is a run of lines that ends at a blank line or at a line that ends a sentence; a hard
  line break inside a sentence (a line ending in a comma or a word) therefore does not split one;
- a heading, caption or credit is not a paragraph: a Markdown heading (`## ...`), or a line that starts
  a paragraph, has at most HEADING_WORDS words, does not end a sentence and does not run on into a
  next line starting in lower case ("Economic Ties", "Image Credit: [Flickr/US Pacific Fleet](#)").
"""

from __future__ import annotations

import re

HEADING_WORDS = 12
# A sentence ends in . ! ? or … possibly followed by closing quotes or brackets and a footnote call.
_SENTENCE_END = re.compile(r"[.!?…:][\"'”’)\]]*\d{0,2}$")


def ends_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line.rstrip()))


def is_heading(line: str, following: str = "") -> bool:
    """A Markdown heading, or a short line that does not end a sentence: a heading, caption or credit.

    A short line whose sentence runs on into the next line (which starts in lower case) is prose.
    """
    text = line.strip()
    if text.startswith("#"):
        return True
    runs_on = following[:1].islower()
    return len(text.split()) <= HEADING_WORDS and not ends_sentence(text) and not runs_on


def paragraph_numbers(lines: list[str], body: tuple[int, int] | None) -> list[int]:
    """For each line (0-based list), its body paragraph number (1-based), or 0 if it is in none.

    Lines before the body get 0, lines after it -1, so a locator can say which side they are on.
    """
    return text_paragraph_numbers("\n".join(lines), body)


# A line that ends a sentence (`ends_sentence`), found for every line of a text in one search: the
# end, then white space other than a line break up to the line's end.
_LINE_ENDS_SENTENCE = re.compile(_SENTENCE_END.pattern.removesuffix("$") + r"[^\S\n]*$", re.MULTILINE)


def text_paragraph_numbers(text: str, body: tuple[int, int] | None) -> list[int]:
    """paragraph_numbers of text's lines: each line's end is looked up among the sentence ends
    found in one search of the whole text, not searched for line by line."""
    lines = text.split("\n")
    ends = {found.end() for found in _LINE_ENDS_SENTENCE.finditer(text)}  # where a line ending one ends
    first, last = body or (1, len(lines))
    numbers: list[int] = []
    count, open_paragraph, start = 0, False, 0
    for number, line in enumerate(lines, start=1):
        end = start + len(line)
        start = end + 1
        if number < first or number > last:
            numbers.append(0 if number < first else -1)
            open_paragraph = False
        elif not line.strip() or (not open_paragraph and _heading(line, lines, number, end in ends)):
            numbers.append(0)
            open_paragraph = False
        else:
            count += 0 if open_paragraph else 1
            numbers.append(count)
            open_paragraph = end not in ends
    return numbers


def _heading(line: str, lines: list[str], number: int, ends: bool) -> bool:
    """is_heading for line `number` (1-based) of lines, whose sentence end is already known."""
    text = line.strip()
    if text.startswith("#"):
        return True
    following = lines[number].lstrip() if number < len(lines) else ""
    return len(text.split()) <= HEADING_WORDS and not ends and not following[:1].islower()
