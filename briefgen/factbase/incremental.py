"""What a load after an edit reuses: each source's normalised text, and each fact file's result.

A fact file's result (its facts or outlines, anchors and problems, the per-fact rules applied) depends
on the file's bytes and on what those rules read besides it: the registry (ids, bodies, pages, the
names statements use for sources), every source text, topics.yaml and briefgen's code (hedges.yaml
included). `context_digest` hashes all of these but the file, so an entry is keyed by everything it
was made from and a stale one is never found. A source's normalised text depends on its bytes, its
id and its body lines. Entries are JSON through codec.py, in the private cache of cache.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from briefgen.common.hashing import file_token, sha256_text
from briefgen.errors import FactBaseError, Problem
from briefgen.factbase import cache, codec
from briefgen.factbase.sources import Source, SourceText, read_text_again

TEXTS = "sourcetext"  # kinds of entry in the cache directory
FILES = "factfile"


def text_key(source: Source, sha256: str) -> str:
    return sha256_text(cache.code_digest(), source.id, repr(source.body), sha256)


def make_text(source: Source, raw: str, sha256: str) -> SourceText:
    """The source's text normalised: read back from the cache if it was before, else normalised and stored."""
    key = text_key(source, sha256)
    entry = cache.read(TEXTS, key)
    if entry is not None:
        try:
            text = codec.decode_text(entry, {source.id: source})
        except (ValueError, TypeError) as exc:  # codec.ShapeError is a ValueError
            cache.discard(TEXTS, key, f"not a source text of this shape ({exc})")
        else:
            if text.raw == raw and text.sha256 == sha256:  # the key names these bytes; this makes it certain
                return text
    text = SourceText(source, raw, sha256)
    cache.write(TEXTS, key, codec.encode_text(text), prune=False)
    return text


class SourceTexts(Mapping[str, SourceText]):
    """Source texts by id, each normalised (or read back from the cache) only when first asked for:
    after a one-file edit, a check needs only the texts the edited file quotes. A text not held as
    read (None) is read again when asked for, and must still have the bytes it had (else FactBaseError)."""

    def __init__(self, pending: Mapping[str, tuple[Source, str | None, str]], made: Mapping[str, SourceText] = {}):
        self._pending = dict(pending)  # id -> (source, text as read or None, sha256 of its bytes)
        self._made = dict(made)

    def __getitem__(self, source_id: str) -> SourceText:
        text = self._made.get(source_id)
        if text is None:
            source, raw, sha256 = self._pending[source_id]
            raw = raw if raw is not None else _read_again(source, sha256)
            text = self._made[source_id] = make_text(source, raw, sha256)
        return text

    def __contains__(self, source_id: object) -> bool:  # without making the text
        return source_id in self._pending

    def __iter__(self) -> Iterator[str]:
        return iter(self._pending)

    def __len__(self) -> int:
        return len(self._pending)

    def held(self) -> list[str]:
        """The ids of the texts held in memory, made or as read."""
        return [sid for sid, (_source, raw, _sha) in self._pending.items() if raw is not None or sid in self._made]

    def released(self) -> SourceTexts:
        """The same texts, none held: each is read again and made (from its cache entry) when next asked for.

        After a load, a build reads few texts or none (a Markdown brief none; an HTML brief those it
        cites), and a made text holds its normalised copy and locators besides the text as read."""
        return SourceTexts({sid: (source, None, sha) for sid, (source, _raw, sha) in self._pending.items()})

    def digests(self) -> list[tuple[Source, str]]:
        """Each text's source and the sha256 of its bytes, without making any."""
        return [(source, sha256) for source, _raw, sha256 in self._pending.values()]


def _read_again(source: Source, sha256: str) -> str:
    raw = read_text_again(source, sha256)
    if raw is None:
        message = f"source text '{source.path.name}' changed while briefgen ran; run it again"
        raise FactBaseError([Problem("sources.yaml", source.line, source.id, message)])
    return raw


def context_digest(root: Path, sources: Mapping[str, Source], texts: Mapping[str, tuple[Source, str, str]]) -> str:
    """One hash of everything a fact file's result depends on besides the file itself and the code."""
    parts = [str(root.resolve()), file_token(root / "sources.yaml"), file_token(root / "topics.yaml")]
    for sid in sorted(sources):  # the registry above fixes each source's fields; these are its text's bytes
        parts.append(f"{sid}:{texts[sid][2] if sid in texts else 'no text'}")
    return sha256_text(*parts)


def file_key(context: str, mode: str, rel: str, sha256: str) -> str:
    return sha256_text(cache.code_digest(), mode, context, rel, sha256)
