"""Benchmark briefgen as users run it: whole processes, median wall time and peak memory per command.

    .venv/bin/python benchmarks/run.py [--sizes 1k,10k,100k] [--runs 5]

Synthetic fact bases (benchmarks/generate.py) are cached in benchmarks/.cache, keyed by their
parameters and the generator's own hash. Each measured command runs in its own subprocess under a
tiny wrapper that reports the command's wall time and its ru_maxrss, so every peak belongs to one run.

briefgen's cache of loaded fact bases (whole bases, fact files, source texts) is emptied before every
run measured "cold" (compiled templates stay cached, as after any earlier build); runs measured "warm"
find it filled by the run before, as a morning build of an unchanged fact base does; a run "after a
one-file edit" finds it filled, then one comment line appended to one fact file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
SCRIPT = Path(PYTHON).with_name("briefgen")  # the console script, as users run it
BRIEFGEN = [str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-m", "briefgen"]
AUDIENCES = ("defence", "economic", "historical")
AUDIENCE = "defence"  # the one-audience builds
BIG = 100_000  # the size the check target is set for
MD_BUILD_MAX = BIG  # the Markdown build is measured up to the largest base
EDITED = "facts-001.yaml"  # the fact file a one-file edit appends a comment line to
EDIT_PEAK_MB = 400  # the most a check after a one-file edit at 100k facts may hold
SLOW = 8.0  # seconds: a command whose first run takes longer gets 3 runs, not --runs
REAL_LIKE = (150, 5, 11)  # facts, sources, KB per source: the size of the real base's five texts
# Briefs dated 2026-01-01; bytecode cached as an installed briefgen would have it (this machine sets
# PYTHONDONTWRITEBYTECODE), but under benchmarks/.cache rather than beside the sources.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(LC_ALL="C.UTF-8", SOURCE_DATE_EPOCH="1767225600", PYTHONPYCACHEPREFIX=str(HERE / ".cache" / "pycache"))
CACHE = Path(tempfile.gettempdir()) / f"briefgen-bench-cache-{os.getpid()}"  # briefgen's cache, for these runs only
ENV["BRIEFGEN_CACHE_DIR"] = str(CACHE)

# Runs the command given as arguments; prints its wall time, its peak RSS (KB) and the tail of its output.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kb": peak, "rc": done.returncode,
                  "output": (done.stdout + done.stderr)[-3000:]}))
"""


@dataclass(frozen=True)
class Stats:
    """Medians of several runs of one command."""

    seconds: float
    low: float
    high: float
    peak_mb: float  # the largest peak of any run
    runs: int
    output: str  # of the last run
    failed: str | None = None  # the command's error, when it failed

    def row(self, name: str, note: str = "") -> str:
        if self.failed:
            return f"| {name} | — | — | — | — | FAILED: {self.failed} |"
        spread = f"{self.low:.3f}–{self.high:.3f}"
        return f"| {name} | {self.seconds:.3f} | {spread} | {self.runs} | {self.peak_mb:.0f} | {note} |"


def run_once(cmd: list[str], cwd: Path, before: Callable[[], None]) -> dict:
    """One run of cmd under the wrapper: its seconds, peak_kb, rc and output."""
    before()
    done = subprocess.run([PYTHON, "-c", WRAPPER, *cmd], capture_output=True, text=True, cwd=cwd, env=ENV)
    return json.loads(done.stdout)


def error_of(output: str) -> str:
    """The first two lines of a failed command's output that are not fact-base warnings."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and "warning:" not in ln]
    return " ".join(lines[:2])[:240] or "no message"


def measure(cmd: list[str], runs: int, cwd: Path, before: Callable[[], None] = lambda: None) -> Stats:
    """Run cmd `runs` times (3 if the first run is slow), each in a fresh process; stop at a failure."""
    samples = [run_once(cmd, cwd, before)]
    if samples[0]["rc"] != 0:
        return Stats(0, 0, 0, 0, 1, samples[0]["output"], error_of(samples[0]["output"]))
    wanted = min(runs, 3) if samples[0]["seconds"] > SLOW else runs
    samples += [run_once(cmd, cwd, before) for _ in range(wanted - 1)]
    times = [s["seconds"] for s in samples]
    peak = max(s["peak_kb"] for s in samples) / 1024
    return Stats(statistics.median(times), min(times), max(times), peak, len(samples), samples[-1]["output"])


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def sources_for(facts: int) -> int:
    """50 sources for 1k facts, growing with the square root: 158 for 10k, 500 (the cap) for 100k."""
    return min(500, max(5, round(50 * (facts / 1000) ** 0.5)))


def cached_base(cache: Path, facts: int, sources: int, kb: int = 30, seed: int = 1) -> Path:
    """A synthetic fact base, generated once per set of parameters and version of the generator."""
    digest = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:10]
    target = cache / f"f{facts}-s{sources}-kb{kb}-seed{seed}-{digest}"
    if not target.is_dir():
        for stale in cache.glob(f"f{facts}-s{sources}-kb{kb}-seed{seed}-*"):  # from an older generator
            shutil.rmtree(stale)
        cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=cache, prefix=".tmp-"))
        started = time.perf_counter()
        options = {"facts": facts, "sources": sources, "source-kb": kb, "seed": seed}
        cmd = [PYTHON, str(HERE / "generate.py"), *[f"--{k}={v}" for k, v in options.items()], str(scratch / "base")]
        subprocess.run(cmd, check=True)
        (scratch / "base").rename(target)
        scratch.rmdir()
        print(f"generated {target.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return target


def warm_up(base: Path, work: Path) -> None:
    """Build everything once, so that every module the measurements import is compiled and cached."""
    out = work / "warm-up"
    subprocess.run(build_cmd(base, out, AUDIENCES, ("md", "pdf")), cwd=work, env=ENV, capture_output=True)
    subprocess.run([PYTHON, str(HERE / "floor_startup.py")], cwd=work, env=ENV, check=True)
    subprocess.run([PYTHON, "-c", "import weasyprint"], cwd=work, env=ENV, check=True)
    shutil.rmtree(out, ignore_errors=True)


def fact_count(base: Path, cwd: Path) -> int:
    cmd = [*BRIEFGEN, "--facts", str(base), "check", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=ENV)
    return int(json.loads(done.stdout)["facts"])


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def _proc(path: str, key: str, default: str) -> str:
    """The value of the first `key: value` line of a /proc file."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return default
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(key)), default)


def machine() -> str:
    """CPU, cores, memory, load, Python and the versions that matter."""
    import yaml

    cpu = _proc("/proc/cpuinfo", "model name", platform.processor() or "unknown CPU")
    memory = int(_proc("/proc/meminfo", "MemTotal", "0 kB").split()[0]) / 1048576
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    pandoc = shutil.which("pandoc")
    pandoc_v = ""
    if pandoc:
        pandoc_v = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    libyaml = "yes" if yaml.__with_libyaml__ else "no"
    names = ("briefgen", "weasyprint", "jinja2", "pyyaml", "typer")
    packages = "; ".join(f"{name} {_version(name)}" for name in names)
    packages = packages.replace("; typer", f" (libyaml {libyaml}); typer")
    return "\n".join(
        [
            f"{cpu}; {os.cpu_count()} cores ({usable} usable); {memory:.1f} GB RAM; {platform.platform()}",
            f"Python {platform.python_version()}; {packages}; {pandoc_v or 'pandoc not installed'}",
            f"load average at the end: {load}",
        ]
    )


def fresh(directory: Path | None = None, cold: bool = True) -> Callable[[], None]:
    """A `before` hook: an empty output directory, so no build is incremental; cold: an empty cache too."""

    def empty() -> None:
        if cold:
            for kind in ("factbase", "factfile", "sourcetext", "across"):
                shutil.rmtree(CACHE / kind, ignore_errors=True)
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)

    return empty


def edited(base: Path) -> Callable[[], None]:
    """A `before` hook: the cache left as the run before filled it, then one fact file edited (a
    comment line appended, a different one each run, so each run follows an edit)."""
    count = iter(range(1, 1_000_000))

    def edit() -> None:
        with (base / EDITED).open("a", encoding="utf-8") as out:
            out.write(f"# edit {next(count)}\n")

    return edit


def build_cmd(
    base: Path, out: Path, audiences: tuple[str, ...], formats: tuple[str, ...], extra: tuple[str, ...] = ()
) -> list[str]:
    who = ["--all"] if audiences == AUDIENCES else [a for name in audiences for a in ("--audience", name)]
    fmts = [a for f in formats for a in ("--format", f)]
    return [*BRIEFGEN, "--facts", str(base), "build", *who, *fmts, "--output", str(out), *extra]


SHORT = 2  # pages of the short brief measured: the two-page summary


@dataclass
class Scaling:
    rows: list[str]
    checks: dict[int, Stats]  # by number of facts, cold cache
    warm_checks: dict[int, Stats]  # the same, unchanged base, warm cache
    edits: dict[int, Stats] = field(default_factory=dict)  # the same, after a one-file edit
    md_builds: dict[int, Stats] = field(default_factory=dict)  # md build of one audience, cold cache
    md_1k: Stats | None = None  # the Markdown build of the 1k base, and its output for pandoc
    md_1k_path: Path | None = None
    render_1k: float | None = None  # seconds briefgen's conversion stage alone takes on the 1k brief


def scaling(sizes: list[int], runs: int, cache: Path, work: Path) -> Scaling:
    """Check (and Markdown build) times per synthetic size."""
    found = Scaling([], {}, {})
    every = runs
    for facts in sizes:
        runs = min(every, 3) if facts >= BIG else every  # the largest base: 3 runs of each at most
        base = cached_base(cache, facts, sources_for(facts))
        text_mb = sum(p.stat().st_size for p in (base / "texts").iterdir()) / 1e6
        command = [*BRIEFGEN, "--facts", str(base), "check"]
        found.checks[facts] = check = measure(command, runs, work, fresh())
        found.rows.append(check.row(f"check, {facts:,} facts / {sources_for(facts)} sources / {text_mb:.0f} MB text"))
        found.warm_checks[facts] = warm = measure(command, runs, work)  # the cold runs left the cache filled
        found.rows.append(warm.row(f"check again, {facts:,} facts, unchanged (warm cache)"))
        found.edits[facts] = edit_check(base, command, runs, work)
        found.rows.append(found.edits[facts].row(f"check after a one-file edit, {facts:,} facts", f"{EDITED} edited"))
        if facts > MD_BUILD_MAX:
            skipped = f"skipped (over {MD_BUILD_MAX:,} facts)"
            found.rows.append(f"| md build {AUDIENCE}, {facts:,} facts | — | — | — | — | {skipped} |")
            continue
        out = work / f"md-{facts}"
        found.md_builds[facts] = md = measure(build_cmd(base, out, (AUDIENCE,), ("md",)), runs, work, fresh(out))
        found.rows.append(md.row(f"md build {AUDIENCE}, {facts:,} facts", notes_in(out / f"{AUDIENCE}-brief.md")))
        if facts == 1000:
            found.md_1k, found.md_1k_path = md, out / f"{AUDIENCE}-brief.md"
            found.render_1k = render_stage(base, work)
            if found.render_1k is not None:
                said = f"median of 7 in one process, {found.render_1k * 1000:.1f} ms"
                name = "conversion stage alone (brief to HTML), 1,000 facts"
                found.rows.append(f"| {name} | {found.render_1k:.4f} | — | 7 | — | {said} |")
    return found


def edit_check(base: Path, command: list[str], runs: int, work: Path) -> Stats:
    """The check after a one-file edit; the fact file is put back as it was generated afterwards."""
    original = (base / EDITED).read_bytes()
    try:
        return measure(command, runs, work, edited(base))
    finally:
        (base / EDITED).write_bytes(original)


def render_stage(base: Path, work: Path) -> float | None:
    """Seconds briefgen takes to turn a selected brief into HTML, timed inside one process."""
    done = subprocess.run(
        [PYTHON, str(HERE / "render_stage.py"), str(base), AUDIENCE], capture_output=True, text=True, cwd=work, env=ENV
    )
    return float(done.stdout.strip()) if done.returncode == 0 else None


def notes_in(markdown: Path) -> str:
    if not markdown.is_file():
        return ""
    return f"{markdown.read_text(encoding='utf-8').count(chr(10) + '[^')} notes"


def brief_builds(base: Path, runs: int, work: Path) -> tuple[dict[str, Stats], list[str]]:
    """Single builds of every audience and format, build --all, and a no-op rebuild, on the brief base."""
    found, rows = {}, []
    for audience in AUDIENCES:
        for fmt in ("md", "pdf"):
            out = work / f"single-{audience}-{fmt}"
            found[f"{fmt} {audience}"] = stats = measure(
                build_cmd(base, out, (audience,), (fmt,)), runs, work, fresh(out)
            )
            rows.append(
                stats.row(f"build --audience {audience} --format {fmt}", notes_in(out / f"{audience}-brief.md"))
            )
    out = work / f"single-{AUDIENCE}-html"
    found[f"html {AUDIENCE}"] = html = measure(build_cmd(base, out, (AUDIENCE,), ("html",)), runs, work, fresh(out))
    size = out / f"{AUDIENCE}-brief.html"
    rows.append(
        html.row(
            f"build --audience {AUDIENCE} --format html", f"{size.stat().st_size // 1024} KB" if size.is_file() else ""
        )
    )
    out = work / f"warm-{AUDIENCE}-md"
    found[f"md {AUDIENCE} warm"] = warm = measure(
        build_cmd(base, out, (AUDIENCE,), ("md",)), runs, work, fresh(out, cold=False)
    )
    rows.append(
        warm.row(f"build --audience {AUDIENCE} --format md, warm cache", "fact base unchanged since the last run")
    )
    out = work / "all"
    everything = build_cmd(base, out, AUDIENCES, ("md", "pdf"))
    found["all"] = measure(everything, runs, work, fresh(out))
    rows.append(found["all"].row("build --all --format md --format pdf", "fresh output directory each run"))
    # The no-op: the same build again into the directory the last run left complete.
    found["noop"] = noop = measure(everything, runs, work, lambda: None) if not found["all"].failed else found["all"]
    said = "outputs reported 'up to date'" if "up to date" in noop.output else "rebuilt everything"
    rows.append(noop.row("the same build --all again (no-op)", said))
    for audience in AUDIENCES:  # the fit: estimate, render, correct (#18)
        out = work / f"short-{audience}"
        cmd = build_cmd(base, out, (audience,), ("pdf",), ("--pages", str(SHORT), "--json"))
        found[f"short {audience}"] = stats = measure(cmd, runs, work, fresh(out))
        rows.append(stats.row(f"build --audience {audience} --format pdf --pages {SHORT}", renders_in(stats.output)))
    return found, rows


def renders_in(output: str) -> str:
    """How many PDF renders the fit took, from a build's --json summary."""
    try:
        summary = json.loads(output[output.index("{") :])
    except ValueError:
        return "renders: unknown"
    return f"the fit rendered the PDF {summary['outputs'][0]['renders']} time(s)"


def weasyprint_floor(base: Path, runs: int, work: Path, tagged: bool = False, pages: int = 0) -> Stats:
    """WeasyPrint alone on the HTML briefgen renders for the one-audience PDF build (tagged as briefgen tags).

    With pages, the HTML of the brief `build --pages` fits to that many pages.
    """
    html = work / f"{AUDIENCE}-{pages}p.html"
    cmd = [PYTHON, str(HERE / "brief_html.py"), str(base), AUDIENCE, str(html), *([str(pages)] if pages else [])]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=work, env=ENV)
    if done.returncode:
        return Stats(0, 0, 0, 0, 1, done.stderr, f"brief_html.py: {error_of(done.stderr.strip().splitlines()[-1])}")
    tagging = ["--tagged"] if tagged else []
    return measure([PYTHON, str(HERE / "floor_weasyprint.py"), str(html), done.stdout.strip(), *tagging], runs, work)


def floors(base: Path, runs: int, work: Path, md_1k: Path | None) -> dict[str, Stats | None]:
    """Start-up, WeasyPrint on the same HTML, pandoc on the 1k brief's Markdown."""
    found: dict[str, Stats | None] = {
        "startup": measure([PYTHON, str(HERE / "floor_startup.py")], runs, work),
        "weasyprint": weasyprint_floor(base, runs, work),
        "tagged": weasyprint_floor(base, runs, work, tagged=True),
        "short": weasyprint_floor(base, runs, work, pages=SHORT),
        "pandoc": None,
    }
    pandoc = shutil.which("pandoc")
    if pandoc and md_1k is not None and md_1k.is_file():
        found["pandoc"] = measure([pandoc, "-f", "markdown", "-t", "html", "-o", os.devnull, str(md_1k)], runs, work)
    return found


def ratio_row(
    name: str, top: Stats | float | None, bottom: Stats | float | None, bound: float, at_most: bool = True
) -> str:
    """One ratio beside its target; '—' when a measurement behind it failed or was skipped."""
    target = f"{'≤' if at_most else '≥'} {bound:g}x"
    values = [x.seconds if isinstance(x, Stats) and not x.failed else x for x in (top, bottom)]
    if not all(isinstance(v, float) and v > 0 for v in values):
        return f"| {name} | — | {target} | a measurement failed or was skipped |"
    value = values[0] / values[1]  # type: ignore[operator]
    ok = value <= bound if at_most else value >= bound
    return f"| {name} | {value:.2f}x | {target} | {'yes' if ok else 'NO'} |"


def ratios(builds: dict[str, Stats], fl: dict[str, Stats | None], scale: Scaling) -> list[str]:
    """Each measurement over its floor (or over its parts), beside the target the issue sets."""
    singles = [s for k, s in builds.items() if k.split()[0] in ("md", "pdf") and not k.endswith("warm")]
    total = None if any(s.failed for s in singles) else sum(s.seconds for s in singles)
    rows = [
        ratio_row(f"md build ({AUDIENCE}), cold cache / start-up floor", builds[f"md {AUDIENCE}"], fl["startup"], 1.3),
        ratio_row(
            f"md build ({AUDIENCE}), warm cache / start-up floor", builds[f"md {AUDIENCE} warm"], fl["startup"], 1.3
        ),
        ratio_row(
            f"html build ({AUDIENCE}), cold cache / start-up floor", builds[f"html {AUDIENCE}"], fl["startup"], 1.3
        ),
        ratio_row(f"PDF build ({AUDIENCE}) / WeasyPrint floor", builds[f"pdf {AUDIENCE}"], fl["weasyprint"], 1.2),
        ratio_row("tagged PDF (PDF/UA-1) / WeasyPrint untagged, same HTML", fl["tagged"], fl["weasyprint"], 1.25),
        ratio_row(
            f"{SHORT}-page PDF build ({AUDIENCE}) / WeasyPrint floor on its HTML",
            builds[f"short {AUDIENCE}"],
            fl["short"],
            2.5,  # at most two renders, tagged, plus start-up and the Markdown estimates
        ),
        ratio_row("no-op rebuild / start-up floor", builds["noop"], fl["startup"], 1.3),
        ratio_row("build --all / sum of the 6 single builds", builds["all"], total, 0.65),
        ratio_row(
            "pandoc / briefgen md build (1k facts), whole processes", fl["pandoc"], scale.md_1k, 10, at_most=False
        ),
        ratio_row("pandoc / briefgen's conversion stage (1k facts)", fl["pandoc"], scale.render_1k, 10, at_most=False),
    ]
    if shutil.which("pandoc") is None:
        rows[-2:] = [row.replace("a measurement failed or was skipped", "pandoc not installed") for row in rows[-2:]]
    if BIG in scale.checks and not scale.checks[BIG].failed:
        c = scale.checks[BIG]
        ok = "yes" if c.seconds < 8 and c.peak_mb < 1200 else "NO"
        rows.append(
            f"| check, 100k facts, cold cache | {c.seconds:.1f} s, {c.peak_mb:.0f} MB | < 8 s and < 1.2 GB | {ok} |"
        )
        w = scale.warm_checks[BIG]
        if not w.failed:
            ok = "yes" if w.seconds < 2 else "NO"
            rows.append(
                f"| check, 100k facts, unchanged, warm cache | {w.seconds:.1f} s, {w.peak_mb:.0f} MB | < 2 s | {ok} |"
            )
    return rows + scale_ratios(scale)


def scale_ratios(scale: Scaling) -> list[str]:
    """The curator's loop and the build at the largest size, each over the cold check of the same base."""
    cold = scale.checks.get(BIG)
    rows = [
        ratio_row("check after a one-file edit, 100k facts / cold check", scale.edits.get(BIG), cold, 0.25),
        ratio_row(f"md build ({AUDIENCE}), 100k facts / cold check", scale.md_builds.get(BIG), cold, 1.2),
    ]
    edit = scale.edits.get(BIG)
    if edit is not None and not edit.failed:
        ok = "yes" if edit.peak_mb <= EDIT_PEAK_MB else "NO"
        name = "check after a one-file edit, 100k facts, peak memory"
        rows.append(f"| {name} | {edit.peak_mb:.0f} MB | ≤ {EDIT_PEAK_MB} MB | {ok} |")
    return rows


def brief_base(real: Path, cache: Path, work: Path) -> tuple[Path, str]:
    """A snapshot of the real fact base (it may be edited meanwhile); a synthetic one of its size if it has no facts."""
    snapshot = work / "real-facts"
    shutil.copytree(real, snapshot, ignore=shutil.ignore_patterns("candidates"))
    count = fact_count(snapshot, work)
    if count:
        return snapshot, f"snapshot of the real fact base {real} ({count} facts)"
    base = cached_base(cache, *REAL_LIKE)
    facts, sources, kb = REAL_LIKE
    stand_in = f"{facts} facts, {sources} sources of ~{kb} KB"
    return base, f"{real} holds no facts, so a synthetic base of its size stands in: {stand_in}"


def table(title: str, rows: list[str]) -> str:
    head = "| command | median s | min–max s | runs | peak MB | note |\n|---|---:|---:|---:|---:|---|"
    return f"\n## {title}\n\n{head}\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark briefgen: whole-process medians and peak memory.")
    parser.add_argument("--sizes", default="1k,10k,100k", help="synthetic fact-base sizes for the scaling table")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (3 for slow ones)")
    parser.add_argument("--real", type=Path, default=REPO / "facts", help="fact base for the real-brief measurements")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="where generated bases are kept")
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())  # the machine may be shared: say how busy
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="briefgen-bench-") as tmp:
        work = Path(tmp)
        base, described = brief_base(args.real.resolve(), args.cache, work)
        warm_up(base, work)
        scale = scaling(sizes, args.runs, args.cache, work)
        builds, rows = brief_builds(base, args.runs, work)
        fl = floors(base, args.runs, work, scale.md_1k_path)
    shutil.rmtree(CACHE, ignore_errors=True)
    print(f"# briefgen benchmarks: medians of whole-process runs ({args.runs}, or 3 over {SLOW:g} s), warm file cache")
    print(f"\n{machine()}\nload average at the start: {load_before}")
    print(table("Scaling on synthetic fact bases", scale.rows))
    rows += [s.row(f"floor: {k}") for k, s in fl.items() if s is not None]
    print(table(f"Briefs: {described}", rows))
    print("\n## Ratios\n\n| ratio | value | target | meets |\n|---|---:|---|---|")
    print("\n".join(ratios(builds, fl, scale)))
    print(f"\n(total benchmark time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
