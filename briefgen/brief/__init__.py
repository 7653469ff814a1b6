"""What goes into a brief: audience profiles, series and disagreements by metric, and selection.

`selection.select` turns a checked `FactBase` and an `Audience` into a `Brief`: key points,
sections, series, timeline and numbered notes, all plain frozen data that any renderer can print.
It does so in two steps: `choose` decides which facts go where (a `Choice`), `number` numbers the
notes in reading order and builds the `Brief`; a step that trims a brief works between the two.
"""
