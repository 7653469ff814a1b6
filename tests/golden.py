"""Regenerate the golden briefs from the fixture fact base: python -m tests.golden (or make golden)."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from briefgen.publish.build import BuildRequest, build

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "base"
GOLDEN = HERE / "golden"
AUDIENCES = ("defence", "economic", "historical")
DATE = datetime.date(2026, 1, 1)


def build_fixture(output: Path, formats: tuple[str, ...] = ("md",)) -> list[Path]:
    request = BuildRequest(
        facts=FIXTURE, templates=None, output=output, audiences=AUDIENCES, formats=formats, prepared=DATE
    )
    return [out.path for out in build(request).outputs]


def main() -> int:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for path in build_fixture(Path(tmp)):
            shutil.copyfile(path, GOLDEN / path.name)
            print(f"wrote {(GOLDEN / path.name).relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
