"""Where briefgen's own files are: the package, and the templates shipped with it."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent

# Installed from a wheel, the templates travel inside the package (briefgen/templates); in a
# checkout they stand at the top of the repository, beside the package.
SHIPPED_TEMPLATES = PACKAGE / "templates" if (PACKAGE / "templates").is_dir() else PACKAGE.parent / "templates"


def weasyprint_release() -> str:
    """A digest of WeasyPrint's __init__.py, which names its version: read, not imported (0.4 s), nor
    looked up in the installed distributions' metadata (importlib.metadata costs a no-op build 10 ms)."""
    import importlib.util

    from briefgen.common.hashing import file_sha256

    spec = importlib.util.find_spec("weasyprint")
    if spec is None or spec.origin is None:
        return "weasyprint absent"
    return file_sha256(Path(spec.origin)) or "weasyprint unreadable"


MAX_TEMPLATE_FILES = 10_000  # a templates directory holding more is the wrong directory, not templates


def templates_problem(path: Path) -> str | None:
    """Why path cannot be a templates directory (e.g. '/', or a home directory), or None.

    A templates directory holds templates (*.j2), style sheets, audiences/ or fonts/. Looking only at
    its top level keeps this cheap; refusing others keeps a build from walking the whole file system.
    """
    if not path.exists():
        return None  # the default ./templates is optional: the shipped templates serve
    if not path.is_dir():
        return f"{path}: the templates directory is not a directory"
    if (path / "audiences").is_dir() or (path / "fonts").is_dir():
        return None
    try:
        if any(p.suffix in (".j2", ".css") for p in path.iterdir()):
            return None
    except OSError as exc:
        return f"{path}: cannot read the templates directory: {exc.strerror or exc}"
    return f"{path}: not a templates directory (no *.j2, *.css, audiences/ or fonts/ in it); pass --templates DIR"
