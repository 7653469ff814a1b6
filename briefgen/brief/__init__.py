"""What goes into a brief: audience profiles, series and disagreements by metric, and selection.

`selection.select` turns a checked `FactBase` and an `Audience` into a `Brief`: key points,
sections, series, timeline and numbered notes, all plain frozen data that any renderer can print.
"""
