"""The gate: every rule a fact base (and what a build reads with it) must keep, run by `check` and `build`.

`rules` holds the rules, per fact and across facts; `timing` the rules about time; `staleness` those
judged per brief; `gate` loads a fact base and applies them all.
"""

STALE_YEARS = 3.0  # a brief's current figure this much older than a newer value of its metric is stale
