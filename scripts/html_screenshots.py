"""Screenshots of an HTML brief for the README: a note open, and the passage it opens (headless Chromium).

    .venv/bin/python scripts/html_screenshots.py build/defence-brief.html docs/images

Uses Debian's chromium through playwright (no browser download), like the browser tests.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
NOTE = 4  # a key point's note: near the top, so the shot shows the brief around it


def save(png: bytes, path: Path) -> None:
    """A palette PNG: a few tens of KB rather than hundreds."""
    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64).save(path, optimize=True)
    print(f"{path}: {path.stat().st_size // 1024} KB")


def main() -> None:
    page_path, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 640})
        page.goto(page_path.as_uri())
        page.locator(f"#call-{NOTE}").evaluate("e => e.scrollIntoView({block: 'center'})")
        page.hover(f"#call-{NOTE}")
        box = page.locator(f"#pop-{NOTE}").bounding_box()
        assert box is not None, "the note did not open"
        main = page.locator("main").bounding_box()
        assert main is not None
        top = max(0, box["y"] - 140)
        clip = {"x": main["x"] - 10, "y": top, "width": main["width"] + 20, "height": box["height"] + 170}
        save(page.screenshot(clip=clip), out / "html-note.png")
        page.locator(f"#pop-{NOTE} a.open").first.click()
        target = page.evaluate("location.hash")
        box = page.locator(target).bounding_box()
        assert box is not None, "the passage did not open"
        clip = {
            "x": box["x"] - 10,
            "y": box["y"] - 10,
            "width": box["width"] + 20,
            "height": min(box["height"] + 20, 600),
        }
        save(page.screenshot(clip=clip), out / "html-passage.png")
        browser.close()


if __name__ == "__main__":
    main()
