"""Publishing: all or nothing, only briefgen's own temporaries removed, a lock that cannot wedge, --strict a gate."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import briefgen.publish.output
from briefgen.errors import BuildError
from tests.conftest import add_stale_case, run
from tests.test_unattended import _cli

CLEAN_DATE = "2017-01-01"  # the fixture base has no warnings at this date (no figure is stale yet)


def build(base, out, *args):
    return run("--facts", base, "build", "--all", "-o", out, *args)


def everything(out: Path) -> dict[str, bytes]:
    """Every file in the output directory, the manifest and hidden files included."""
    return {p.name: p.read_bytes() for p in out.iterdir()}


def fail_on_call(monkeypatch, name: str, number: int, error: int = errno.ENOSPC, when=lambda *a: True) -> list:
    """Make briefgen.publish.output.os.NAME fail on its number-th call (among calls where `when` holds)."""
    real = getattr(os, name)
    calls = []

    def failing(*args, **kw):
        if when(*args):
            calls.append(args)
            if len(calls) == number:
                raise OSError(error, os.strerror(error))
        return real(*args, **kw)

    monkeypatch.setattr(briefgen.publish.output.os, name, failing)
    return calls


def own_temporaries(out: Path) -> list[Path]:
    return list(out.glob(".briefgen-*.tmp"))


# --- all or nothing --------------------------------------------------------------------------------


def test_failed_rename_in_the_middle_rolls_back_everything(base, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(base, out, "--date", "2026-01-01").exit_code == 0
    before = everything(out)
    calls = fail_on_call(monkeypatch, "replace", 2, errno.EIO, when=lambda src, dst: ".briefgen-" in str(src))
    result = build(base, out, "--date", "2026-02-01")  # a new edition: every brief changes
    assert result.exit_code == 1
    assert len(calls) >= 2, "the first output was published before the second failed"
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr
    assert "every file is as before" in result.stderr
    assert everything(out) == before
    assert not own_temporaries(out)
    monkeypatch.undo()
    assert build(base, out, "--date", "2026-02-01").exit_code == 0
    assert everything(out) != before


def test_full_disk_while_staging_changes_nothing(base, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(base, out, "--date", "2026-01-01").exit_code == 0
    before = everything(out)
    fail_on_call(monkeypatch, "fsync", 2)
    result = build(base, out, "--date", "2026-02-01")
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert everything(out) == before
    assert not own_temporaries(out)


def test_rollback_that_fails_names_the_new_files_in_error_and_manifest(base, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(base, out, "-a", "defence", "-a", "economic", "--date", "2026-01-01").exit_code == 0
    old_defence = (out / "defence-brief.md").read_bytes()

    real_replace = os.replace
    calls = []

    def replace(src, dst):
        name = os.path.basename(src)
        if name.endswith(".economic-brief.md.tmp") or name.endswith(".defence-brief.md.old.tmp"):
            calls.append(name)
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_replace(src, dst)

    monkeypatch.setattr(briefgen.publish.output.os, "replace", replace)
    result = run("--facts", base, "build", "-a", "defence", "-a", "economic", "-o", out, "--date", "2026-02-01")
    assert len(calls) == 2  # publishing economic failed, then putting defence back failed
    assert result.exit_code == 1
    assert "could not put back the previous defence-brief.md: new from this build" in result.stderr
    new_defence = (out / "defence-brief.md").read_bytes()
    assert new_defence != old_defence
    monkeypatch.undo()
    manifest = json.loads((out / ".briefgen-manifest.json").read_text())
    assert manifest["incomplete"] == ["defence-brief.md"]
    import hashlib

    assert manifest["outputs"]["defence-brief.md"]["sha256"] == hashlib.sha256(new_defence).hexdigest()
    again = run("--facts", base, "build", "-a", "defence", "-a", "economic", "-o", out, "--date", "2026-02-01")
    assert again.exit_code == 0 and "built: " in again.stdout
    assert "incomplete" not in json.loads((out / ".briefgen-manifest.json").read_text())


def test_a_users_tmp_files_survive_and_dead_builds_leftovers_go(base, tmp_path):
    out = tmp_path / "out"
    assert build(base, out).exit_code == 0
    (out / ".notes.tmp").write_text("mine")
    (out / ".draft.abcd1234.tmp").write_text("mine too: not a name briefgen writes")
    (out / ".briefgen-0123456789ab.defence-brief.md.tmp").write_text("left by a killed build")
    (out / ".defence-brief.md.k3j2h1g0.tmp").write_text("left by an older briefgen")
    assert build(base, out, "--force").exit_code == 0
    assert (out / ".notes.tmp").read_text() == "mine"
    assert (out / ".draft.abcd1234.tmp").exists()
    assert not (out / ".briefgen-0123456789ab.defence-brief.md.tmp").exists()
    assert not (out / ".defence-brief.md.k3j2h1g0.tmp").exists()


# --- paths ---------------------------------------------------------------------------------------


def test_symlinked_lock_is_refused(base, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".briefgen.lock").symlink_to(victim)
    result = build(base, out)
    assert result.exit_code == 1
    assert f"{out / '.briefgen.lock'} is a symbolic link; briefgen does not follow it" in result.stderr
    assert victim.read_text() == "precious"
    assert not (out / "defence-brief.md").exists()


@pytest.mark.parametrize("where", ["/proc/briefgen-out", "/proc/self/briefgen", "/sys/briefgen-out"])
def test_kernel_file_systems_are_refused(base, where):
    result = run("--facts", base, "build", "-a", "defence", "-o", where)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "is a kernel file system, not a place for files" in result.stderr


def test_directories_in_the_way(base, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".briefgen.lock").mkdir()
    result = build(base, out)
    assert result.exit_code == 1 and "is a directory where briefgen keeps its lock file" in result.stderr
    (out / ".briefgen.lock").rmdir()

    (out / "economic-brief.md").mkdir()
    result = build(base, out)
    assert result.exit_code == 1
    assert f"cannot write {out / 'economic-brief.md'}: a directory is in the way" in result.stderr
    assert not (out / "defence-brief.md").exists()  # nothing published
    (out / "economic-brief.md").rmdir()

    monkeypatch.setattr(briefgen.publish.output, "_token", lambda: "fixed")
    (out / ".briefgen-fixed.historical-brief.md.tmp").mkdir()
    result = build(base, out)
    assert result.exit_code == 1 and ".briefgen-fixed.historical-brief.md.tmp is in the way" in result.stderr
    assert not (out / "defence-brief.md").exists()
    assert not list(out.glob("*.md"))


def test_pdf_date_before_1904_is_a_usage_error(base, tmp_path):
    result = run("--facts", base, "build", "-a", "defence", "-f", "pdf", "--date", "1900-01-01", "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "a PDF cannot carry the date 1900-01-01" in result.stderr
    assert not (tmp_path / "o").exists()


# --- --strict is a gate --------------------------------------------------------------------------


def test_strict_after_a_lenient_build_fails(base, tmp_path):
    add_stale_case(base)
    out = tmp_path / "out"
    lenient = build(base, out)
    assert lenient.exit_code == 0 and "stale figure" in lenient.stderr
    before = everything(out)
    strict = build(base, out, "--strict")
    assert strict.exit_code == 1 and "(--strict)" in strict.stderr
    assert everything(out) == before


@pytest.mark.slow
def test_strict_fails_on_weasyprint_warnings_even_when_up_to_date(base, tmp_path):
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "brief.html.j2").write_text(
        '{% extends "!default/brief.html.j2" %}{% block title %}<h1>T</h1><img src="file:///etc/passwd">{% endblock %}'
    )
    out = tmp_path / "out"
    args = ("--facts", base, "--templates", templates, "build", "-a", "defence", "-f", "pdf", "-o", out)
    lenient = run(*args, "--date", CLEAN_DATE)
    assert lenient.exit_code == 0
    assert "defence-brief.pdf: warning: WeasyPrint:" in lenient.stderr and "file:///etc/passwd" in lenient.stderr
    before = everything(out)
    strict = run(*args, "--date", CLEAN_DATE, "--strict")
    assert strict.exit_code == 1 and "defence: WeasyPrint warned" in strict.stderr
    assert everything(out) == before


# --- the lock ------------------------------------------------------------------------------------


def build_while_held(base, out, mode: str):
    """Build while another process holds the output directory's lock; return that process and the result."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out / ".briefgen.lock"), mode], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        return holder, build(base, out, "--wait", "0.2")
    finally:
        holder.kill()
        holder.wait()


def test_lock_names_a_live_holder(base, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder, result = build_while_held(base, out, "record")
    assert result.exit_code == 1
    assert f"another briefgen build holds {out / '.briefgen.lock'} (waited 0.2 s): pid {holder.pid}, started 2" in (
        result.stderr
    )


def test_lock_held_by_orphans_of_a_dead_build_names_them(base, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (out / ".briefgen.lock").write_text(f"{dead.pid} 12345\n")
    orphan, result = build_while_held(base, out, "keep")
    assert result.exit_code == 1
    assert f"the build that took it (pid {dead.pid}, started" in result.stderr
    assert f"stop them (kill {orphan.pid})" in result.stderr


# Holds the lock as a build (or a build's orphaned worker) would: argv[2] "record" writes its own pid.
HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
if sys.argv[2] == "record":
    ticks = open(f"/proc/{os.getpid()}/stat").read().rsplit(")", 1)[1].split()[19]
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {ticks}\\n".encode())
print("locked", flush=True)
time.sleep(120)
"""


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _slow_pdf_base(tmp_path: Path) -> Path:
    from tests.test_pdf import _stress_base

    return _stress_base(tmp_path, 150, random.Random(5))  # PDFs that take seconds to lay out


PDF_ALL = ("build", "--all", "-f", "pdf")


@pytest.mark.slow
def test_kill_9_of_a_pdf_build_does_not_wedge_the_next(tmp_path):
    base = _slow_pdf_base(tmp_path)
    out = tmp_path / "out"
    proc = _cli("--facts", str(base), *PDF_ALL, "-o", str(out))
    wait_for(lambda: len(children(proc.pid)) >= 2)  # the PDF workers are forked: the build is under way
    workers = children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    wait_for(lambda: not any(alive(w) for w in workers), 10)  # the workers died with their parent
    started = time.monotonic()
    second = _cli("--facts", str(base), *PDF_ALL, "-o", str(out), "--wait", "5")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "defence-brief.pdf",
        "economic-brief.pdf",
        "historical-brief.pdf",
    ]
    assert time.monotonic() - started < 300
    assert not own_temporaries(out)


@pytest.mark.slow
def test_a_killed_worker_is_a_clear_error(tmp_path):
    base = _slow_pdf_base(tmp_path)
    out = tmp_path / "out"
    proc = _cli("--facts", str(base), *PDF_ALL, "-o", str(out))
    wait_for(lambda: len(children(proc.pid)) >= 2)
    os.kill(children(proc.pid)[0], signal.SIGKILL)  # as the out-of-memory killer would
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err and "BrokenProcessPool" not in err
    assert err.startswith("briefgen: a worker process died while rendering ")
    assert "-brief.pdf" in err and "out-of-memory killer" in err
    assert not list(out.glob("*.pdf")) and not own_temporaries(out)


def test_workers_do_not_keep_the_lock(base, tmp_path):
    """A forked worker closes the lock: the lock's open file is held by this process only."""
    from briefgen.common import parallel

    out = tmp_path / "out"
    with briefgen.publish.output.build_lock(out, 1.0):
        lock = os.stat(out / ".briefgen.lock")

        def descriptors(_item: int) -> list[tuple[int, int]]:
            found = []
            for fd in os.listdir("/proc/self/fd"):
                try:
                    st = os.stat(f"/proc/self/fd/{fd}")
                except OSError:
                    continue
                found.append((st.st_dev, st.st_ino))
            return found

        seen = [fds for _item, fds in parallel.each_in_worker([1, 2], descriptors, 2)]
    assert len(seen) == 2
    assert all((lock.st_dev, lock.st_ino) not in fds for fds in seen)
    with open(out / ".briefgen.lock", "a+") as handle:  # and it is free again afterwards
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.slow
def test_sigterm_stops_the_workers_and_leaves_outputs(tmp_path):
    base = _slow_pdf_base(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "defence-brief.pdf").write_bytes(b"the previous edition")
    proc = _cli("--facts", str(base), *PDF_ALL, "-o", str(out))
    wait_for(lambda: len(children(proc.pid)) >= 2)
    workers = children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)  # without stopping its workers, it would wait for their PDFs
    assert proc.returncode == 128 + signal.SIGTERM, err
    wait_for(lambda: not any(alive(w) for w in workers), 10)
    assert (out / "defence-brief.pdf").read_bytes() == b"the previous edition"
    assert not own_temporaries(out)


def test_a_worker_dying_while_jobs_are_handed_out_names_every_unfinished_output(monkeypatch):
    """A worker killed before every job was submitted breaks submit() itself: all outputs are named."""
    from concurrent.futures.process import BrokenProcessPool

    from briefgen.common import parallel

    class Broken:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *args):
            raise BrokenProcessPool("a child process terminated abruptly")

        def shutdown(self, wait=True, cancel_futures=False):
            pass

    monkeypatch.setattr(parallel, "_pool", lambda workers: Broken())
    with pytest.raises(BuildError) as died:
        list(parallel.each_in_worker(["a.pdf", "b.pdf"], lambda item: item, 2))
    assert str(died.value).startswith("a worker process died while rendering a.pdf, b.pdf: ")


@pytest.mark.parametrize("dies", ["first", "last"])
def test_a_dead_worker_leaves_no_pool_thread_behind(dies):
    """When a worker dies, the pool's manager thread has finished before the error reaches the CLI.

    A manager thread still closing its pipes while the interpreter exits races the exit's own wake-up
    of that thread, which then prints an OSError traceback under briefgen's one-line error.
    """
    import threading

    from briefgen.common import parallel

    victim = "a.pdf" if dies == "first" else "c.pdf"

    def job(item: str) -> str:
        if item == victim:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        time.sleep(0.2)
        return item

    with pytest.raises(BuildError, match="a worker process died while rendering"):
        list(parallel.each_in_worker(["a.pdf", "b.pdf", "c.pdf"], job, 2))
    managers = [t for t in threading.enumerate() if "ExecutorManager" in type(t).__name__]
    assert managers == []


def test_a_dead_reading_worker_leaves_no_pool_thread_behind(monkeypatch):
    """The same for the workers that share the reading of a large fact base."""
    import threading

    from briefgen.common import parallel

    monkeypatch.setattr(parallel, "cores", lambda: 2)
    parent = os.getpid()

    def job(share: list[int]) -> list[int]:
        if parallel.in_worker(parent):  # dies while this process waits for its result
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGKILL)
        return share

    size = parallel.PARALLEL_MIN_BYTES
    with pytest.raises(BuildError, match="a worker process died while reading 2 file"):
        parallel.in_parallel([1, 2], [size, size], job)
    assert [t for t in threading.enumerate() if "ExecutorManager" in type(t).__name__] == []
