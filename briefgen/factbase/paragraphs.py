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
    first, last = body or (1, len(lines))
    numbers: list[int] = []
    count, open_paragraph = 0, False
    for number, line in enumerate(lines, start=1):
        if number < first or number > last:
            numbers.append(0 if number < first else -1)
            open_paragraph = False
            continue
        following = lines[number] if number < len(lines) else ""
        if not line.strip() or (not open_paragraph and is_heading(line, following.lstrip())):
            numbers.append(0)
            open_paragraph = False
            continue
        if not open_paragraph:
            count += 1
        numbers.append(count)
        open_paragraph = not ends_sentence(line)
    return numbers
