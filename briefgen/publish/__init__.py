"""Building and writing briefs: the plan, fingerprints and manifest, locking, atomic outputs.

`build.build(BuildRequest)` runs the gate (`check.gate.load_checked`), selects, renders through
`render`, and writes only when every output passed its checks (`output`).
"""
