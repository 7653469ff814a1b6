"""metrics.yaml: the label each measured series is shown under."""

from __future__ import annotations

from pathlib import Path

from briefgen.errors import FactBaseError, Problem
from briefgen.factbase.readers import YamlProblem, read_yaml

METRICS = "metrics.yaml"


def metric_labels(root: Path) -> dict[str, str]:
    """Metric name -> label, from the fact base's metrics.yaml (empty when there is none)."""
    path = root / METRICS
    if not path.is_file():
        return {}
    try:
        data = read_yaml(path)
    except YamlProblem as exc:
        raise FactBaseError([Problem(METRICS, exc.line, None, exc.message)]) from None
    if data is None:  # comments only, as `briefgen init` writes it
        return {}
    if not isinstance(data, dict):
        raise FactBaseError([Problem(METRICS, None, None, "must map metric names to labels")])
    return {str(k): str(v) for k, v in data.items()}
