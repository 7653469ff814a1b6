"""metrics.yaml: the label each measured series is shown under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from briefgen.common.invisible import invisible_in
from briefgen.errors import FactBaseError, Problem
from briefgen.factbase.facts import ID_RE
from briefgen.factbase.readers import YamlProblem, key_lines, line_of, read_yaml

METRICS = "metrics.yaml"


def read_metrics(root: Path) -> tuple[dict[str, str], list[Problem]]:
    """Metric name -> label, from the fact base's metrics.yaml (empty when there is none), and its problems."""
    path = root / METRICS
    if not path.is_file():
        return {}, []
    try:
        data = read_yaml(path)
    except YamlProblem as exc:
        return {}, [Problem(METRICS, exc.line, None, exc.message)]
    if data is None:  # comments only, as `briefgen init` writes it
        return {}, []
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        line = key_lines(path).get("")
        return {}, [Problem(METRICS, line, None, f"must map metric names to labels, not be {kind}")]
    labels: dict[str, str] = {}
    lines: dict[str, int] | None = None
    found: list[Problem] = []
    for key, label in data.items():
        message = _entry_problem(key, label)
        if message is None:
            labels[key] = label
            continue
        lines = key_lines(path) if lines is None else lines  # read again only when something is wrong
        found.append(Problem(METRICS, lines.get(str(key), line_of(data)), str(key), message))
    return labels, found


def _entry_problem(key: Any, label: Any) -> str | None:
    if not (isinstance(key, str) and ID_RE.match(key)):
        return f"'{key}' is not a metric name (lowercase letters, digits and hyphens, as in quantity.metric)"
    if not isinstance(label, str) or not label.strip():
        return f"the label must be text, not {'nothing' if label is None else type(label).__name__}"
    return invisible_in(label, "the label")


def metric_labels(root: Path) -> dict[str, str]:
    """Metric name -> label; raise with the problems of a broken metrics.yaml (check reports them first)."""
    labels, problems = read_metrics(root)
    if problems:
        raise FactBaseError(problems)
    return labels
