"""Atomic replacement of published files, and the lock that serialises publishers.

Readers on this machine (or a share of it) open ``published.duckdb`` read-only. A publication
never writes into that file: it builds a complete new file beside it, flushes it to disk and
renames it over the old name (``os.replace`` is atomic on POSIX). A reader that has the old
file open keeps reading the old file (its inode lives on until the reader closes it); a reader
that opens the name afterwards gets the new file. Nobody ever sees a half-written file, and a
reader never blocks a publication (no lock on the published name is taken).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

LOCK_NAME = ".publish.lock"
TEMP_MARK = ".tmp-"  # every temporary file or folder of a publication carries this in its name


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (the directory entry itself is flushed)."""
    fsync_file(path)


def replace_file(temp: Path, target: Path) -> None:
    """Move a complete, closed temp file over ``target`` atomically and durably."""
    fsync_file(temp)
    os.replace(temp, target)
    fsync_dir(target.parent)


def switch_symlink(link: Path, target_name: str) -> None:
    """Point ``link`` at ``target_name`` (relative to the link's folder) in one atomic step.

    A real folder at ``link`` (from before versioned publication) is moved aside first; that
    one-time migration is the only non-atomic moment.
    """
    if link.exists() and not link.is_symlink():
        aside = link.with_name(f"{link.name}{TEMP_MARK}legacy")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(link, aside)
    temp_link = link.with_name(f"{link.name}{TEMP_MARK}link")
    with contextlib.suppress(FileNotFoundError):
        temp_link.unlink()
    os.symlink(target_name, temp_link)
    os.replace(temp_link, link)
    fsync_dir(link.parent)


@contextlib.contextmanager
def publisher_lock(out_dir: Path):
    """One publisher at a time per folder (readers never take it). Released by the kernel when
    the process dies, so a killed publication does not leave the folder locked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Delete temp files and folders of interrupted publications (call under the lock): those
    named ``<name>.tmp-...`` or ``.<name>.tmp-...`` for the given names, nothing else (the
    folder is shared with the warehouse)."""
    removed = []
    if not folder.exists():
        return removed
    prefixes = tuple(p for name in names for p in (f"{name}{TEMP_MARK}", f".{name}{TEMP_MARK}"))
    for path in folder.iterdir():
        if path.name.startswith(prefixes):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed
