"""Characters a reader cannot see: the one class briefgen refuses in text that reaches a brief."""

from __future__ import annotations

import re

# Characters that hide or reorder text ("Trojan Source"), or that print as nothing: a reader would
# not see what the file says. Zero-width and joiners (U+200B-200F), bidi embeddings, overrides and
# isolates (U+202A-202E, U+2066-2069), the Arabic letter mark (U+061C), invisible operators
# (U+2060-2064), the byte-order mark, the soft hyphen, the combining grapheme joiner (U+034F),
# Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), variation selectors (U+FE00-FE0F,
# U+E0100-E01EF) and tag characters (U+E0000-E007F).
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)


def invisible_in(text: str, what: str) -> str | None:
    """A message naming the first invisible character in text and where it is, or None."""
    found = INVISIBLE.search(text)
    if not found:
        return None
    return (
        f"{what} has an invisible or direction-changing character U+{ord(found.group()):04X} "
        f"at position {found.start() + 1}; remove it"
    )
