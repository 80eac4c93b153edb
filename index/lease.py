"""The writer lease of a knowledge base on a Chroma server: one writer across machines.

The local writer lock (index.lock, flock) excludes writers that share an index folder; on
a server, writers on several machines each have their own folder. `SharedWriterLock`
(service.wiring.writer_lock in server mode) takes the local lock, then a lease record in
the knowledge base's `<kb>__docs` collection (index.remote.Catalog).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from core.config import Config
from core.errors import IndexBusyError, KBError
from index.lock import WriterLock
from index.remote import LEASE_ID, Catalog, kb_name

LEASE_SECONDS = 120.0
_HOLDER = f"{socket.gethostname()} 进程 {os.getpid()} {uuid.uuid4().hex[:8]}"
_DEPTH: dict[str, int] = {}
_DEPTH_GUARD = threading.Lock()


class ServerLease:
    """A lease record in `<kb>__docs`, renewed every LEASE_SECONDS/4 while held.

    Chroma has no compare-and-swap: a writer writes its lease, waits, and reads it back;
    two writers starting within that moment could both win (docs/DEPLOYMENT.md). A killed
    writer's lease expires after LEASE_SECONDS. Machines' clocks must agree (NTP).
    """

    def __init__(self, config: Config, *, wait: bool = True,
                 on_wait: Callable[[str], None] | None = None,
                 timeout: float | None = None) -> None:
        self.catalog = Catalog(config.chroma, kb_name(config), create=True)
        self.wait, self.on_wait, self.timeout = wait, on_wait, timeout
        self._stop: threading.Event | None = None

    def _busy(self, holder: str) -> str:
        return f"知识库 {self.catalog.ident} 正在被另一个写入进程使用（{holder}）"

    def acquire(self) -> None:
        key = self.catalog.ident
        with _DEPTH_GUARD:
            if _DEPTH.get(key):
                _DEPTH[key] += 1
                return
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while True:
            lease = self.catalog.lease()
            if lease and lease["holder"] != _HOLDER and lease["expires"] > time.time():
                if not self.wait:
                    raise IndexBusyError(f"{self._busy(lease['holder'])}；已按 --no-wait 放弃")
                if deadline is not None and time.monotonic() > deadline:
                    raise IndexBusyError(f"{self._busy(lease['holder'])}，等待超时，请稍后再试")
                if not told and self.on_wait is not None:
                    self.on_wait(f"{self._busy(lease['holder'])}，等待其完成……")
                told = True
                time.sleep(1.0)
                continue
            self.catalog.put_lease(_HOLDER, LEASE_SECONDS)
            time.sleep(0.3)  # a writer that wrote at the same moment shows up by now
            lease = self.catalog.lease()
            if lease and lease["holder"] == _HOLDER:
                break
        with _DEPTH_GUARD:
            _DEPTH[key] = 1
        self._stop = threading.Event()
        threading.Thread(target=self._renew, args=(self._stop,), daemon=True).start()

    def _renew(self, stop: threading.Event) -> None:
        while not stop.wait(LEASE_SECONDS / 4):
            try:
                self.catalog.put_lease(_HOLDER, LEASE_SECONDS)
            except Exception:  # the server away for a moment: the next renewal retries
                pass

    def release(self) -> None:
        key = self.catalog.ident
        with _DEPTH_GUARD:
            _DEPTH[key] -= 1
            if _DEPTH[key]:
                return
        if self._stop is not None:
            self._stop.set()
        lease = self.catalog.lease()
        if lease and lease["holder"] == _HOLDER:
            self.catalog.delete([LEASE_ID])


def writer_elsewhere(config: Config) -> bool:
    """Another process holds this knowledge base's lease (its writes may be half done)."""
    try:
        lease = Catalog(config.chroma, kb_name(config), create=False).lease()
    except KBError:
        return False
    return bool(lease) and lease["holder"] != _HOLDER and lease["expires"] > time.time()


class SharedWriterLock:
    """The local writer lock (index.lock) and the server lease, taken in that order."""

    def __init__(self, local: WriterLock, config: Config, **kw: Any) -> None:
        self.local = local
        self.lease = ServerLease(config, **kw)

    def __enter__(self) -> SharedWriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        self.local.acquire()
        try:
            self.lease.acquire()
        except BaseException:
            self.local.release()
            raise

    def release(self) -> None:
        try:
            self.lease.release()
        finally:
            self.local.release()
