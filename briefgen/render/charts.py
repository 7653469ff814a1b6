"""Charts of series: SVG drawn by leather, imported only when a chart is drawn."""

from __future__ import annotations

from typing import Any

from briefgen.brief.selection import Series


def _year_label(value: float, index: int, count: int) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-6 else f"{value:.1f}"


def series_svg(series: Series, width: int = 480, height: int = 220) -> str:
    """The series as a line chart with its points marked, years across and values up."""
    import leather

    _use_brief_fonts(leather)
    xs = [x for x, _ in series.points]
    ys = [y for _, y in series.points]
    chart = leather.Chart()
    low, high = min(xs), max(xs)
    span = max(high - low, 1.0)
    chart.add_x_scale(low - span * 0.1, high + span * 0.1)
    chart.add_y_scale(0, max(ys) * 1.15)
    chart.add_x_axis(tick_formatter=_year_label)
    chart.add_y_axis(name=series.unit)
    chart.add_line(list(series.points), name="trend between reports", stroke_color="#9db3c8")
    chart.add_dots(list(series.points), name=f"value reported ({series.unit})", fill_color="#1f4e79", radius=4)
    import io

    out = io.StringIO()
    chart.to_svg(out, width=width, height=height)
    return out.getvalue()


def _use_brief_fonts(leather: Any) -> None:
    for name in ("title", "legend", "axis_title", "tick"):
        setattr(leather.theme, f"{name}_font_family", "DejaVu Sans, sans-serif")


def svg_data_uri(series: Series) -> str:
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(series_svg(series).encode("utf-8")).decode("ascii")


def chart_alt(series: Series) -> str:
    """The chart in words, from the data it draws: what it shows, each value with its date and source.

    It says what the caption says (the figure charts the table's values, in their unit) and what a
    sighted reader sees, so a screen reader loses nothing; it adds no value the table lacks.
    """
    values = "; ".join(
        f"{row.when}: {row.figure}{' (sources differ)' if row.disputed else ''}, "
        f"{row.sentence.note.citations[0].source.short_name}"
        for row in series.rows
    )
    return (
        f"Figure {series.figure}: line chart of the values in the table {series.label}, in {series.unit}, "
        f"by date, one point per value reported. Values (as of: value, source): {values}."
    )


def figure_name(audience: str, number: int, pages: int | None = None) -> str:
    from briefgen.render.formats import brief_stem

    return f"{brief_stem(audience, pages)}-figure-{number}.svg"
