"""Write outputs safely: to a temporary file beside the target, then renamed into place."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from briefgen.errors import BuildError


def prepare_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create output directory {directory}: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK):
        raise BuildError(f"output directory {directory} is not writable")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data so that a reader sees the old file or the new one, never half of one."""
    prepare_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        if path.is_symlink():
            # Replace the link itself, never the file it points to outside the output directory.
            path.unlink()
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


LOCK_NAME = ".briefgen.lock"
MANIFEST_NAME = ".briefgen-manifest.json"


@contextmanager
def build_lock(directory: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on the output directory; a second build waits, then gives up clearly."""
    prepare_dir(directory)
    path = directory / LOCK_NAME
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole build
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildError(
                        f"another briefgen build holds {path} (waited {timeout:g} s); try again when it has finished"
                    ) from None
                time.sleep(0.2)
        remove_stale_temporaries(directory)
        yield
    finally:
        handle.close()


def remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary files a killed build left behind (only ours: .NAME.XXXX.tmp)."""
    for leftover in directory.glob(".*.tmp"):
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


def read_manifest(directory: Path) -> dict[str, Any]:
    """The record of the last build in this directory; empty when missing or unreadable."""
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == 1 else {}


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomic(directory / MANIFEST_NAME, data.encode("utf-8"))
