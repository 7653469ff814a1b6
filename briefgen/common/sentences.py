"""Split prose into sentences, knowing the abbreviations these sources use."""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "no",
    "nos",
    "vol",
    "p",
    "pp",
    "para",
    "paras",
    "fig",
    "e.g",
    "i.e",
    "etc",
    "cf",
    "vs",
    "al",
    "gen",
    "lt",
    "col",
    "adm",
    "sen",
    "rep",
    "gov",
    "u.s",
    "u.n",
    "u.k",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "inc",
    "ltd",
    "co",
    "corp",
    "approx",
    "ca",
    "c",
}
# A sentence ends at . ! or ? (with closing quotes, brackets and footnote calls after it)
# followed by white space and something that can start a sentence.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*(?:\[\^[^\]\s]+\])*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    m = _WORD_BEFORE.search(text, max(0, dot - 40), dot)  # a window: rescanning from 0 is quadratic
    if not m:
        return False
    word = m.group(1)
    return word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isupper())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; abbreviations such as 'Mr.' and 'U.S.' do not end one."""
    sentences, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if _is_abbreviation(text, m.start()):
            continue
        piece = text[start : m.end()].strip()
        if piece:
            sentences.append(piece)
        start = m.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences
