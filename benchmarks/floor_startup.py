"""Start-up floor: Python, an empty Typer command, and importing jinja2 and yaml; nothing else."""

import jinja2  # noqa: F401 - the import is what is measured
import typer
import yaml  # noqa: F401 - the import is what is measured

app = typer.Typer(add_completion=False)


@app.command()
def main() -> None:
    """Do nothing."""


if __name__ == "__main__":
    app()
