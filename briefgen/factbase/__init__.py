"""The fact base: reading YAML, dates, the source registry and texts, facts, quote anchoring, loading, cache.

Everything here turns files under `facts/` into typed, frozen records (`Source`, `Fact`, `FactBase`)
and knows nothing of audiences or output. Loading large bases is shared with forked workers
(`common.parallel`); loaded bases are cached by content (`cache`).
"""

# The kinds of fact. Here rather than in `facts`, so that reading an audience profile (which names
# kinds) does not import the fact parser: a no-op rebuild reads the profiles and nothing else.
KINDS = ("event", "figure", "assessment")
