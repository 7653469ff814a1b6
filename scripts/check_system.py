"""Check, before installing, that this machine can run briefgen: Python 3.11+ and WeasyPrint's libraries."""

import ctypes.util
import sys

# WeasyPrint renders through Pango (with HarfBuzz and fontconfig) and needs these shared libraries.
LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz": "libharfbuzz0b",
    "fontconfig": "libfontconfig1",
}


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs with whatever python3 the machine has, before set-up
        print(f"briefgen needs Python 3.11 or newer; this is {sys.version.split()[0]}.", file=sys.stderr)
        return 1
    missing = [pkg for lib, pkg in LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    if missing:
        print(
            "briefgen's PDF output (WeasyPrint) needs system libraries that are missing.\n"
            f"On Debian or Ubuntu: sudo apt-get install {' '.join(missing)}\n"
            "On macOS: brew install pango",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
