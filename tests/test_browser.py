"""The HTML briefs of the project's fact base, opened in headless Chromium (Debian's `chromium`).

Every note opens on focus and shows its quotes; every passage link lands on a <mark> holding the quote;
no request leaves the page, no console error; axe-core finds no serious violation in light or dark,
at phone or desktop width; keyboard, script-free and print use work; screenshots are not blank.
Run with `make test-browser` (it fetches axe-core with npm and checks Chromium is installed).
"""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from briefgen.factbase.anchoring import normalise
from tests.conftest import REPO, run

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("BRIEFGEN_CHROMIUM", "/usr/bin/chromium")
AXE_JS = REPO / os.environ.get("BRIEFGEN_AXE_JS", ".cache/axe-core-4.14.1/axe.min.js")  # relative: to the repository
FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PREPARED = datetime.date(2026, 1, 1)
AUDIENCES = ("defence", "economic", "historical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Opened:
    """A page and what it did: every request it made and every console error or uncaught exception."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.requests == [self.url], f"requests other than the page itself: {self.requests}"
        assert self.errors == [], self.errors


@pytest.fixture(scope="module")
def briefs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """The three HTML briefs built by the command line, with the Brief each was rendered from."""
    from briefgen.brief.audiences import load_audience
    from briefgen.brief.selection import select
    from briefgen.check.gate import load_checked
    from briefgen.factbase.metrics import metric_labels

    out = tmp_path_factory.mktemp("html-briefs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        result = run("--facts", REPO / "facts", "build", "--all", "-f", "html", "-o", out, "--date", "2026-01-01")
        assert result.exit_code == 0, result.stderr
        base, _warnings = load_checked(REPO / "facts", 10.0, PREPARED, None)
        labels = metric_labels(REPO / "facts")
        return {
            name: (out / f"{name}-brief.html", select(base, load_audience(name, None), PREPARED, labels))
            for name in AUDIENCES
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set BRIEFGEN_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def open_brief(browser: Any, path: Path, clock: bool = False, **options: Any) -> Opened:
    """The page opened in a context of its own; with clock=True its timers run only when the test says
    (page.clock.run_for), so a note's linger can be shown without racing it."""
    context = browser.new_context(**{"viewport": DESKTOP, **options})
    context.set_default_timeout(5000)
    page = context.new_page()
    if clock:
        page.clock.install(time=datetime.datetime(2026, 1, 1, 9))
        page.clock.pause_at(datetime.datetime(2026, 1, 1, 10))
    opened = Opened(page, path.as_uri())
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.goto(opened.url)
    return opened


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_note_opens_on_focus_and_shows_its_quotes(browser, briefs, audience):
    path, brief = briefs[audience]
    opened = open_brief(browser, path)
    page = opened.page
    assert len(brief.notes) > 20
    for note in brief.notes:
        popover = page.locator(f"#pop-{note.number}")
        assert not popover.is_visible()
        page.focus(f"#call-{note.number}")
        assert popover.is_visible(), f"note {note.number} does not open on focus"
        shown = normalise(popover.inner_text())
        for citation in note.citations:
            assert normalise(citation.quote) in shown, f"note {note.number} does not show its quote"
        page.locator(f"#call-{note.number}").blur()
    opened.assert_clean()


def test_one_click_from_a_note_lands_on_the_marked_quote(browser, briefs):
    """Hover a note's number, move to its passage link and click (the mouse, every note): the quote is on screen, marked."""
    path, brief = briefs["economic"]
    opened = open_brief(browser, path, clock=True)  # a note lingers until the test lets time pass
    page = opened.page
    landed = 0
    for note in brief.notes:
        for i, citation in enumerate(note.citations):
            # Nothing left open by the last click (its link keeps focus, so its note stays open; a note lingers
            # a moment after the pointer leaves), and the number at the top of the window, so that its note
            # (at most 60vh tall) opens below it in view.
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.mouse.move(0, 0)
            page.clock.run_for(1000)
            assert page.evaluate(f"() => {OPEN_NOTES}.length") == 0, "a note stayed open after the pointer left"
            page.locator(f"#call-{note.number}").evaluate("e => e.scrollIntoView({block: 'start'})")
            page.hover(f"#call-{note.number}")
            assert _wholly_in_viewport(page, f"#pop-{note.number}"), f"note {note.number} opens out of view"
            link = page.locator(f"#pop-{note.number} a.open").nth(i)
            link.evaluate(SCROLL_NOTE_TO)
            x, y = _centre(link)
            assert _topmost_is(link, x, y), f"note {note.number}: its link is covered or cut off"
            page.evaluate("history.replaceState(null, '', location.pathname)")  # no fragment: the click must set it
            page.mouse.move(x, y, steps=8)  # the way a hand goes, across whatever lies between
            page.mouse.down()
            page.mouse.up()
            href = link.get_attribute("href") or ""
            target = page.evaluate("location.hash").lstrip("#")
            assert href.startswith("#passage-") and target == href[1:], (
                f"note {note.number} citation {i + 1}: the click went to {target!r}, not {href!r}"
            )
            mark = page.locator(f"#{target} mark")
            assert mark.count() == 1 and mark.is_visible() and _in_viewport(page, f"#{target} mark")
            assert normalise(mark.text_content() or "") == normalise(citation.quote)
            landed += 1
    assert landed == sum(len(n.citations) for n in brief.notes) > 40
    opened.assert_clean()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_open_note_is_whole_and_on_top(browser, briefs, audience):
    """Open, every note's links are the topmost thing where they are drawn: not cut off by a table's scroll box,
    not under the text that follows (a note in a table once opened clipped to the table)."""
    path, brief = briefs[audience]
    opened = open_brief(browser, path)
    hidden = opened.page.evaluate(
        "() => { const scrollNoteTo = "
        + SCROLL_NOTE_TO
        + """; return [...document.querySelectorAll('.cite')].flatMap(cite => {
            const call = cite.querySelector('.call');
            call.scrollIntoView({block: 'start'});
            call.focus();
            const hidden = [...cite.querySelectorAll('.pop a.open')].filter(link => {
                scrollNoteTo(link);
                const r = link.getBoundingClientRect();
                const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return !(top && link.contains(top));
            }).map(() => call.id);
            cite.classList.add('dismissed');  // closed at once, not after the pointer's grace
            call.blur();
            return hidden;
        }) }"""
    )
    assert opened.page.locator(".cite").count() >= len(brief.notes)
    assert hidden == [], f"notes whose links are covered or cut off: {sorted(set(hidden))}"
    opened.assert_clean()


@pytest.mark.parametrize("width", [700, 900, 1280])
def test_closed_notes_take_no_room(browser, briefs, width):
    """No note open, the page is as wide as the window at every width notes open on hover: a closed note
    that kept its box (hidden, not removed) once made the page scroll sideways."""
    for audience in AUDIENCES:
        path, _brief = briefs[audience]
        opened = open_brief(browser, path, viewport={"width": width, "height": 900})
        wide = opened.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert wide[0] <= wide[1], f"{audience} at {width} px: the page is {wide[0]} px wide"
        opened.assert_clean()
        opened.page.context.close()


@pytest.mark.parametrize("width", [700, 900, 1280, 1600])
def test_every_note_opens_within_the_window(browser, briefs, width):
    """Open, every note lies wholly between the window's edges at every width notes open on hover: a note hung
    8rem left of its number once ran off the right edge (the page scrolled sideways, its link out of view) for a
    number near the end of a line, and off the left edge, where no scrolling reaches, for one near its start."""
    for audience in AUDIENCES:
        path, _brief = briefs[audience]
        opened = open_brief(browser, path, viewport={"width": width, "height": 900})
        outside = opened.page.evaluate(
            """() => [...document.querySelectorAll('.cite')].flatMap(cite => {
                const call = cite.querySelector('.call');
                call.scrollIntoView({block: 'start'});
                call.focus();
                const r = cite.querySelector('.pop').getBoundingClientRect();
                const wide = document.documentElement.scrollWidth > innerWidth;
                cite.classList.add('dismissed');
                call.blur();
                return r.left < 0 || r.right > innerWidth || wide ? [call.id] : [];
            })"""
        )
        assert outside == [], f"{audience} at {width} px: notes cut off by the window's edge: {outside}"
        opened.assert_clean()
        opened.page.context.close()


def test_a_note_lingers_after_the_pointer_leaves(browser, briefs):
    """A pointer may cross the text between a number and its note: the note waits 0.4 s before it closes."""
    path, brief = briefs["economic"]
    opened = open_brief(browser, path, clock=True)
    page = opened.page
    number = brief.notes[7].number
    note = page.locator(f"#pop-{number}")
    page.locator(f"#call-{number}").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.hover(f"#call-{number}")
    assert note.is_visible()
    page.mouse.move(0, 0)
    assert note.is_visible(), "the note closed the moment the pointer left"
    page.clock.run_for(300)
    assert note.is_visible(), "the note closed before 0.4 s"
    page.hover(f"#call-{number + 1}")  # another number: that note on top
    assert page.evaluate(f"() => {OPEN_NOTES}.map(n => n.id)") == [f"pop-{number}", f"pop-{number + 1}"]
    assert page.evaluate(f"() => getComputedStyle(document.querySelector('#pop-{number + 1}')).zIndex") == "6"
    page.clock.run_for(200)
    assert not note.is_visible(), "the note outlived its 0.4 s"
    page.keyboard.press("Escape")  # the hovered one, and any lingering, closed at once
    assert page.evaluate(f"() => {OPEN_NOTES}.length") == 0
    opened.assert_clean()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_passage_link_lands_on_a_mark_holding_its_quote(browser, briefs, audience):
    """Every passage link of every note, in the popover and in the notes list, clicked in the page."""
    path, brief = briefs[audience]
    opened = open_brief(browser, path)
    landings = opened.page.evaluate(
        """() => [...document.querySelectorAll('.pop, ol.notes li')].map(note => [...note.querySelectorAll('a.open')]
            .map(link => { link.click(); const target = document.querySelector(location.hash);
                const marks = target ? target.querySelectorAll('mark') : [];
                return [note.id, location.hash, marks.length, marks.length ? marks[0].textContent : '']; }))"""
    )
    assert len(landings) == 2 * len(brief.notes)
    for note, links in zip([*brief.notes, *brief.notes], landings, strict=True):  # popovers, then the list
        assert len(links) == len(note.citations), f"note {note.number}"
        for citation, (where, target, marks, marked) in zip(note.citations, links, strict=True):
            assert where in (f"pop-{note.number}", f"note-{note.number}")
            assert target.startswith("#passage-") and marks == 1, f"{where}: {target} has {marks} marks"
            assert normalise(marked) == normalise(citation.quote), f"{where}: {target}"
    opened.assert_clean()


# A long note scrolls: bring a link into its view, moving nothing else (scrollIntoView would also scroll
# a table's box, hiding what a reader would see).
SCROLL_NOTE_TO = """link => { const note = link.closest('.pop'), r = link.getBoundingClientRect(), n = note.getBoundingClientRect();
    if (r.bottom > n.bottom) note.scrollTop += r.bottom - n.bottom; }"""
OPEN_NOTES = "[...document.querySelectorAll('.pop')].filter(p => p.checkVisibility({visibilityProperty: true}))"


def _centre(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _topmost_is(locator: Any, x: float, y: float) -> bool:
    return locator.evaluate(
        "(e, [x, y]) => { const top = document.elementFromPoint(x, y); return !!top && e.contains(top); }", [x, y]
    )


def _wholly_in_viewport(page: Any, selector: str) -> bool:
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight && r.height > 0; }",
        selector,
    )


def _in_viewport(page: Any, selector: str) -> bool:
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.bottom > 0 && r.top < innerHeight && r.height > 0; }",
        selector,
    )


def test_phone_readers_reach_passages_through_the_notes_list(browser, briefs):
    path, brief = briefs["economic"]
    opened = open_brief(browser, path, viewport=PHONE, has_touch=True, is_mobile=True)
    page = opened.page
    for note in brief.notes:
        page.locator(f"#call-{note.number}").click()
        assert page.evaluate("location.hash") == f"#note-{note.number}"
        assert not page.locator(f"#pop-{note.number}").is_visible()  # narrow screens: the list, not a popover
        link = page.locator(f"#note-{note.number} a.open").first
        link.click()
        target = page.evaluate("location.hash")
        mark = page.locator(f"{target} mark")
        assert _in_viewport(page, f"{target} mark")
        assert normalise(mark.text_content() or "") == normalise(note.citations[0].quote)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "the page scrolls sideways"
    opened.assert_clean()


def test_keyboard_skip_link_focus_and_structure(browser, briefs):
    path, _brief = briefs["economic"]
    opened = open_brief(browser, path)
    page = opened.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert _in_viewport(page, ".skip")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(20):  # onward to the first note call, which shows a visible focus ring and its popover
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "call":
            break
    assert page.evaluate("document.activeElement.id") == "call-1"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert page.locator("#pop-1").is_visible()
    page.keyboard.press("Tab")  # into the popover: its passage link, then Enter opens the passage
    assert page.evaluate("document.activeElement.className") == "open"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash").startswith("#passage-")
    assert page.evaluate("document.documentElement.lang") == "en"
    levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert page.evaluate("[...document.querySelectorAll('table')].every(t => t.caption && t.querySelector('th'))")
    labels = page.evaluate("[...document.querySelectorAll('svg')].map(s => s.getAttribute('aria-label'))")
    assert labels and all(label.startswith("Figure ") for label in labels)
    opened.assert_clean()


def test_escape_closes_an_open_note_until_focus_moves_on(browser, briefs):
    """WCAG 1.4.13: a note shown on hover or focus can be dismissed without moving focus or pointer."""
    path, _brief = briefs["economic"]
    opened = open_brief(browser, path)
    page = opened.page
    page.focus("#call-1")
    assert page.locator("#pop-1").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#pop-1").is_visible()
    page.focus("#call-2")
    assert page.locator("#pop-2").is_visible()
    page.keyboard.press("Escape")
    page.hover("#call-3")
    assert page.locator("#pop-3").is_visible() and not page.locator("#pop-2").is_visible()
    opened.assert_clean()  # the script ran under the page's policy: a blocked one is a console error


def test_readable_without_script(browser, briefs):
    path, brief = briefs["historical"]
    opened = open_brief(browser, path, java_script_enabled=False)
    page = opened.page
    page.focus("#call-1")
    assert page.locator("#pop-1").is_visible()
    page.focus("#call-2")
    page.keyboard.press("Enter")
    assert page.url.endswith("#note-2")
    assert page.locator("ol.notes li").count() == len(brief.notes)
    opened.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("audience", AUDIENCES)
def test_axe_finds_no_serious_violation(browser, briefs, audience, scheme, viewport):
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} not found: `make test-browser` fetches axe-core with npm, or set BRIEFGEN_AXE_JS")
    path, _brief = briefs[audience]
    # The page's Content-Security-Policy forbids scripts; the test lifts it to inject axe-core.
    opened = open_brief(browser, path, viewport=viewport, color_scheme=scheme, bypass_csp=True)
    page = opened.page
    page.focus("#call-1")  # a popover open, so its contrast is checked too
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    opened.assert_clean()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_screenshot_is_not_blank(browser, briefs, viewport):
    from PIL import Image

    path, _brief = briefs["defence"]
    opened = open_brief(browser, path, viewport=viewport)
    image = Image.open(io.BytesIO(opened.page.screenshot())).convert("RGB")
    assert image.size == (viewport["width"], viewport["height"])
    colours = image.getcolors(maxcolors=1 << 20) or []
    background = max(colours)[0] / (image.width * image.height)
    assert len(colours) > 50 and background < 0.97, "the screenshot is (nearly) one colour"
    opened.assert_clean()


def test_print_shows_the_notes_list_and_hides_popovers(browser, briefs):
    path, _brief = briefs["defence"]
    opened = open_brief(browser, path)
    page = opened.page
    page.emulate_media(media="print", color_scheme="dark")
    page.focus("#call-1")
    assert not page.locator("#pop-1").is_visible()
    assert page.locator("#note-1").is_visible() and page.locator("#passage-1 mark").is_visible()
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == "rgb(255, 255, 255)"
    assert page.pdf()[:5] == b"%PDF-"
    opened.assert_clean()
