"""The writer lock and the generation counter of an index directory.

One writer at a time: every write (ingest, removal, upload, rebuild, repair) holds an
exclusive `flock` on `<index>/writer.lock`. The lock belongs to an open file, so it is
released by the kernel when its process dies (kill -9 included): there is no stale lock
to clean up. Inside one process a thread lock comes first, because flock does not
exclude two threads of the same process (two app sessions uploading at once), and the
lock is re-entrant for the thread that holds it (a repair that runs an ingest).

Readers never take the lock. They notice writes by the generation token
(`<index>/generation`), which a writer replaces after each committed change.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import IndexBusyError, KBError

LOCK_NAME = "writer.lock"
GENERATION_NAME = "generation"
_POLL_SECONDS = 0.2


@dataclass
class _Held:
    thread_lock: threading.RLock
    fd: int | None = None
    depth: int = 0


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()


def _key(index_dir: Path) -> str:
    return os.path.abspath(index_dir)


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def busy_message(index_dir: Path) -> str:
    """Who holds the writer lock of `index_dir`, as one Chinese line."""
    who = _holder(Path(index_dir) / LOCK_NAME)
    by = f"（{who}）" if who else ""
    return f"索引 {index_dir} 正在被另一个写入进程使用{by}"


class WriterLock:
    """Exclusive writer lock of one index directory (a context manager)."""

    def __init__(self, index_dir: Path, *, wait: bool = True,
                 on_wait: Callable[[str], None] | None = None,
                 timeout: float | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.wait = wait
        self.on_wait = on_wait
        self.timeout = timeout
        self._entry: _Held | None = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        with _HELD_GUARD:
            entry = _HELD.setdefault(_key(self.index_dir), _Held(threading.RLock()))
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while not entry.thread_lock.acquire(blocking=False):
            told = self._waiting(told, deadline)
        try:
            if entry.depth == 0:
                entry.fd = self._flock(deadline, told)
            entry.depth += 1
        except BaseException:
            entry.thread_lock.release()
            raise
        self._entry = entry

    def _waiting(self, told: bool, deadline: float | None) -> bool:
        """One poll of a wait: fail fast, time out, or tell the caller once and sleep."""
        if not self.wait:
            raise IndexBusyError(f"{busy_message(self.index_dir)}；已按 --no-wait 放弃，"
                                 f"请稍后再试")
        if deadline is not None and time.monotonic() > deadline:
            raise IndexBusyError(f"{busy_message(self.index_dir)}，等待 {self.timeout:.0f} 秒"
                                 f"后仍未结束，请稍后再试")
        if not told and self.on_wait is not None:
            self.on_wait(f"{busy_message(self.index_dir)}，等待其完成……")
        time.sleep(_POLL_SECONDS)
        return True

    def _flock(self, deadline: float | None, told: bool) -> int:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        path = self.index_dir / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise KBError(f"索引目录 {self.index_dir} 不可写，无法入库（{exc.strerror}）") from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    told = self._waiting(told, deadline)
            os.ftruncate(fd, 0)
            os.write(fd, f"进程 {os.getpid()}".encode())
        except BaseException:
            os.close(fd)
            raise
        return fd

    def release(self) -> None:
        entry, self._entry = self._entry, None
        if entry is None:
            return
        entry.depth -= 1
        if entry.depth == 0 and entry.fd is not None:
            fcntl.flock(entry.fd, fcntl.LOCK_UN)
            os.close(entry.fd)
            entry.fd = None
        entry.thread_lock.release()


def held_by_me(index_dir: Path) -> bool:
    """True when this thread holds the writer lock of `index_dir`."""
    entry = _HELD.get(_key(index_dir))
    if entry is None or not entry.depth:
        return False
    # RLock has no public owner test; a non-blocking acquire succeeds only for the owner
    # (or when nobody holds it, which depth > 0 excludes for other threads).
    if entry.thread_lock.acquire(blocking=False):
        entry.thread_lock.release()
        return True
    return False


def try_writer_lock(index_dir: Path) -> WriterLock | None:
    """The writer lock if it is free right now (never waits), else None.

    Used for optional writes by readers (saving a rebuilt BM25 index); None also when
    the index directory is read-only.
    """
    lock = WriterLock(index_dir, wait=False)
    try:
        lock.acquire()
    except KBError:
        return None
    return lock


def writer_active(index_dir: Path) -> bool:
    """True while another process (or thread) holds the writer lock; never waits.

    A shared lock is tried on a read-only descriptor, so this works in a read-only index
    too and does not exclude other readers; a writer meanwhile retries its poll.
    """
    if held_by_me(index_dir):
        return False
    entry = _HELD.get(_key(index_dir))
    if entry is not None and entry.depth:
        return True  # another thread of this process
    try:
        fd = os.open(Path(index_dir) / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return False  # no lock file: nobody ever wrote here while we looked
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the shared lock
    return False


def generation(index_dir: Path) -> str | None:
    """The current generation token, or None when the index has none (or is gone)."""
    try:
        return (Path(index_dir) / GENERATION_NAME).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def bump_generation(index_dir: Path) -> str:
    """Record that the index changed (call with the writer lock held); returns the token."""
    path = Path(index_dir) / GENERATION_NAME
    old = generation(index_dir) or "0"
    try:
        n = int(old.split()[0]) + 1
    except ValueError:
        n = 1
    # The time and pid make a token unique even when a deleted index restarts at 1.
    token = f"{n} {time.time_ns()} {os.getpid()}"
    tmp = path.with_name(f".{GENERATION_NAME}.{os.getpid()}.tmp")
    tmp.write_text(token + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return token
