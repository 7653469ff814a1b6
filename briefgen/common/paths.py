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
