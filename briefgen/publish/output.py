"""The output directory: its lock, the manifest of the last build, and publishing all or nothing.

Every file of a build is first staged beside its target as `.briefgen-TOKEN.NAME.tmp` and synced to
disk; only then are they renamed into place, one after another, each previous file kept as a hard
link until all are in. A failure part-way renames the previous files back, so the directory is as
it was; only the files this build named with its own token are ever deleted.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from briefgen.common.files import read_regular
from briefgen.common.parallel import keep_from_workers, release_from_workers, signals_held
from briefgen.errors import BuildError, PartlyPublished

LOCK_NAME = ".briefgen.lock"
MANIFEST_NAME = ".briefgen-manifest.json"
OWN_PREFIX = ".briefgen-"  # every temporary file briefgen makes starts so and ends in .tmp
KERNEL_FILE_SYSTEMS = (Path("/proc"), Path("/sys"))


def prepare_dir(directory: Path) -> None:
    resolved = directory.resolve()
    for root in KERNEL_FILE_SYSTEMS:
        if resolved.is_relative_to(root):
            raise BuildError(
                f"cannot create output directory {directory}: {root} is a kernel file system, not a place for files"
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create output directory {directory}: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK):
        raise BuildError(f"output directory {directory} is not writable")


# --- the lock ------------------------------------------------------------------------------------


def _start_ticks(pid: int) -> str | None:
    """When process pid started, in clock ticks since boot (with the pid, it names one process)."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat_line.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of proc(5), counted after "pid (comm)"


def _alive(pid: int, ticks: str) -> bool:
    """Whether the process that recorded (pid, ticks) still runs (not another one with its pid)."""
    if Path("/proc/self/stat").exists():
        return _start_ticks(pid) == ticks
    try:  # no /proc: the pid alone must do
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wall_time(ticks: str) -> str:
    """Clock ticks since boot as a UTC time, for people."""
    try:
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line[:6] == "btime "
        )
        when = boot + int(ticks) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration):
        return "at an unknown time"
    return datetime.datetime.fromtimestamp(when, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _open_lock(path: Path) -> int:
    """The lock file, opened without following a link and never inherited by a program briefgen runs."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BuildError(f"{path} is a symbolic link; briefgen does not follow it: remove the link") from None
        if exc.errno == errno.EISDIR:
            raise BuildError(f"{path} is a directory where briefgen keeps its lock file: remove it") from None
        raise BuildError(f"cannot open the lock file {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BuildError(f"{path} is not a regular file where briefgen keeps its lock file: remove it")
    return fd


def _holders(fd: int) -> list[int]:
    """The other processes that have the lock file open (those visible to this user)."""
    mine = os.fstat(fd)
    found = []
    for entry in Path("/proc").glob("[0-9]*/fd/*"):
        with suppress(OSError, ValueError):
            seen = entry.stat()
            pid = int(entry.parts[2])
            if (seen.st_dev, seen.st_ino) == (mine.st_dev, mine.st_ino) and pid != os.getpid():
                found.append(pid)
    return sorted(set(found))


def _who_holds(fd: int, path: Path, waited: float) -> str:
    """Why the lock could not be had: the build that holds it, or the orphans of a dead one."""
    head = f"another briefgen build holds {path} (waited {waited:g} s)"
    record = os.pread(fd, 200, 0).decode("ascii", "replace").split()
    if len(record) < 2 or not record[0].isdigit():
        return f"{head}; try again when it has finished"
    pid, ticks = int(record[0]), record[1]
    if _alive(pid, ticks):
        return f"{head}: pid {pid}, started {_wall_time(ticks)}; try again when it has finished"
    orphans = _holders(fd)
    left = " ".join(map(str, orphans)) if orphans else "(see `fuser " + str(path) + "`)"
    return (
        f"{head}, but the build that took it (pid {pid}, started {_wall_time(ticks)}) is gone; "
        f"process(es) it left behind still hold the lock: stop them (kill {left}) and build again"
    )


@contextmanager
def build_lock(directory: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on the output directory; a second build waits, then says who holds it.

    The lock file records `pid start-ticks` of the holder, so a lock left held by the orphaned
    workers of a killed build is recognised and reported as such; workers never keep the lock.
    """
    prepare_dir(directory)
    path = directory / LOCK_NAME
    fd = _open_lock(path)
    keep_from_workers(fd)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildError(_who_holds(fd, path, timeout)) from None
                time.sleep(0.2)
        with suppress(OSError):  # the record only serves the message of a build that waits; a full disk may refuse it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {_start_ticks(os.getpid()) or 0}\n".encode("ascii"), 0)
        remove_stale_temporaries(directory)
        yield
    finally:
        release_from_workers(fd)
        os.close(fd)


# Earlier versions of briefgen staged as `.NAME.XXXXXXXX.tmp` (tempfile.mkstemp).
_LEGACY_TEMPORARY = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.tmp")


def remove_stale_temporaries(directory: Path) -> None:
    """Delete what killed builds left behind: briefgen's own temporary files, never a user's `.*.tmp`.

    Called under the lock, so no other build is staging in this directory.
    """
    ours = {*read_manifest(directory).get("outputs", {}), MANIFEST_NAME}
    for leftover in directory.glob(".*.tmp"):
        legacy = _LEGACY_TEMPORARY.fullmatch(leftover.name)
        if leftover.name.startswith(OWN_PREFIX) or (legacy and legacy[1] in ours):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink(missing_ok=True)


@contextmanager
def terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so that temporary files are removed and old outputs stay."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- publishing ----------------------------------------------------------------------------------


def _token() -> str:
    return secrets.token_hex(6)


def _check_target(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        raise BuildError(f"cannot write {target}: a directory is in the way; move it elsewhere")


def _stage(target: Path, temporary: Path, data: bytes) -> None:
    """Write data to temporary (a new file, never a link followed) and sync it to disk."""
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise BuildError(f"cannot write {target}: {temporary} is in the way; remove it") from None
        raise BuildError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)
            os.fsync(handle.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BuildError(f"cannot write {target}: {exc.strerror or exc}; every file is as before") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _keep_previous(target: Path, backup: Path) -> Path | None:
    """A second name for the file about to be replaced (a hard link: no copy, no space), or None if new."""
    if not os.path.lexists(target):
        return None
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:  # a file system without hard links: copy (a symlink stays a symlink)
        try:
            if target.is_symlink():
                os.symlink(os.readlink(target), backup)
            else:
                shutil.copy2(target, backup)
        except OSError as exc:
            backup.unlink(missing_ok=True)
            raise BuildError(f"cannot keep the previous {target} while replacing it: {exc.strerror or exc}") from None
    return backup


def _roll_back(published: list[tuple[Path, Path | None]]) -> list[str]:
    """Put back what published replaced, newest first; the names that could not be restored."""
    unrestored = []
    for target, backup in reversed(published):
        try:
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        except OSError:
            unrestored.append(target.name)
    return sorted(unrestored)


def _sync_dir(directory: Path) -> None:
    # The renames are durable once the directory is synced; a file system that cannot sync a
    # directory (some network ones) still has them in place, so a failure here is not an error.
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(directory: Path, files: dict[str, bytes]) -> None:
    """Write every file (name -> bytes) into directory, or none: stage all, then rename all into place.

    Files are renamed in the order given (put the manifest last). If a rename fails, or a signal
    arrives, the files already renamed are put back; if that is impossible, PartlyPublished names
    the files that are new.
    """
    prepare_dir(directory)
    for name in files:
        _check_target(directory / name)
    prefix = f"{OWN_PREFIX}{_token()}."
    staged: list[tuple[Path, Path]] = []
    backups: list[Path] = []
    try:
        for name, data in files.items():
            temporary = directory / f"{prefix}{name}.tmp"
            _stage(directory / name, temporary, data)
            staged.append((directory / name, temporary))
        _swap_in(staged, backups, prefix)
        _sync_dir(directory)
    finally:
        for path in [t for _target, t in staged] + backups:
            path.unlink(missing_ok=True)


def _swap_in(staged: list[tuple[Path, Path]], backups: list[Path], prefix: str) -> None:
    # SIGTERM waits until every file is in or every one put back: a stop lands before or after.
    with signals_held():
        _swap_in_now(staged, backups, prefix)


def _swap_in_now(staged: list[tuple[Path, Path]], backups: list[Path], prefix: str) -> None:
    published: list[tuple[Path, Path | None]] = []
    try:
        for target, temporary in staged:
            backup = _keep_previous(target, target.parent / f"{prefix}{target.name}.old.tmp")
            if backup is not None:
                backups.append(backup)
            # Recorded before the rename: putting back a file that was not replaced is harmless.
            published.append((target, backup))
            os.replace(temporary, target)
    except BaseException as exc:
        unrestored = _roll_back(published)
        reason = f"{exc.strerror or exc}" if isinstance(exc, OSError) else None
        if unrestored:
            raise PartlyPublished(
                f"cannot write {target}: {reason or 'interrupted'}; could not put back the previous "
                f"{', '.join(unrestored)}: new from this build while the rest is as before",
                unrestored,
            ) from None
        if reason is not None:
            raise BuildError(f"cannot write {target}: {reason}; every file is as before") from None
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data so that a reader sees the old file or the new one, never half of one."""
    publish(path.parent, {path.name: data})


MAX_MANIFEST_BYTES = 64 * 2**20  # a manifest names a few files per audience: kilobytes


def read_manifest(directory: Path) -> dict[str, Any]:
    """The record of the last build in this directory; empty when missing, unreadable or of another shape
    (a pipe is never waited on; a damaged or planted manifest only costs a full build)."""
    try:
        data = json.loads(read_regular(directory / MANIFEST_NAME, MAX_MANIFEST_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if _sound_manifest(data) else {}


def _text_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _sound_output(name: Any, entry: Any) -> bool:
    """A plain file name in the directory (a manifest naming '../x' or '/dev/zero' would have briefgen
    read files outside it), recorded with text fields."""
    plain = isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name
    return plain and _text_map(entry)


def _sound_audience(record: Any) -> bool:
    if not (isinstance(record, dict) and _text_map(record.get("facts", {}))):
        return False
    return record.get("baseline") is None or _text_map(record["baseline"])


def _sound_manifest(data: Any) -> bool:
    """Whether data has the shape briefgen writes: {"version": 1, "outputs": {name: {...}}, "audiences": ...}."""
    if not (isinstance(data, dict) and data.get("version") == 1):
        return False
    outputs, audiences = data.get("outputs", {}), data.get("audiences", {})
    return (
        isinstance(outputs, dict)
        and all(_sound_output(name, entry) for name, entry in outputs.items())
        and isinstance(audiences, dict)
        and all(_sound_audience(record) for record in audiences.values())
    )


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    publish(directory, {MANIFEST_NAME: manifest_bytes(manifest)})
