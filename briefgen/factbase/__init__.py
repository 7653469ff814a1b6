"""The fact base: reading YAML, dates, the source registry and texts, facts, quote anchoring, loading, cache.

Everything here turns files under `facts/` into typed, frozen records (`Source`, `Fact`, `FactBase`)
and knows nothing of audiences or output. Loading large bases is shared with forked workers
(`common.parallel`); loaded bases are cached by content (`cache`).
"""
