"""Reading files in a child process, with a time limit and a memory limit per file.

Why a child process and not `signal.alarm`: the app runs ingests in Streamlit's script
threads, where signals cannot be used; an alarm only interrupts Python between byte
codes, not a long C call (lxml parsing, a regular expression over a 10 MB line, zlib);
and a memory limit (RLIMIT_AS) can be set on a child without touching the main process,
whose embedding model and vector store need gigabytes of address space. A file that
runs out of time is skipped by killing the child; the next file gets a new one.

One child serves a whole ingest (about 0.2 s to start). The protocol is pickled frames
(8-byte length, then data) over the child's stdin and stdout: a request is
(path, content hash, IngestLimits, ChunkSettings); a reply ("ok", Document, chunks) or
("skip", reason), after any number of ("page", done, total) frames while OCR recognises
a scan's pages: each goes to `on_page` and starts a new time window (the limit bounds a
step that makes no progress, so a long scan is not cut off while each page is normal).
The child imports the modules of every registered loader, so loaders
registered by an importable module work there too.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core.config import IngestLimits
from core.errors import KBError, LoadError
from core.models import Chunk, Document
from ingest.chunking import ChunkSettings, chunk_document
from ingest.files import build_document, check_chunks
from ingest.loaders import loader_modules
from ingest.ocr import set_page_hook

_HEADER = struct.Struct("<Q")
ROOT = Path(__file__).resolve().parents[1]
# The child's start (imports) is not charged to the first file's time limit.
START_SECONDS = 60.0


class FileTimeout(Exception):
    """The child took longer than the per-file limit (it has been killed)."""


class ReadAborted(Exception):
    """Reading a file was cut short (time limit, or the child died): the file itself may
    be fine on a calmer machine, so an ingest keeps its old entry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_file(path: Path, chash: str, limits: IngestLimits,
              settings: ChunkSettings) -> tuple[Document, list[Chunk]]:
    """Load, normalise, chunk and check one file (raises LoadError). Runs in the child."""
    doc = build_document(path, chash, limits)
    chunks = chunk_document(doc, settings)
    check_chunks(doc, chunks)
    return doc, chunks


class FileReader:
    """Reads files in a child process; `in_process=True` reads them here, unbounded."""

    def __init__(self, limits: IngestLimits, *, in_process: bool = False,
                 on_page: Callable[[int, int], None] | None = None) -> None:
        self.limits = limits
        self.in_process = in_process
        self.on_page = on_page  # (done, total) pages of OCR in the file being read
        self._child: subprocess.Popen | None = None

    def __enter__(self) -> FileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, path: Path, chash: str,
             settings: ChunkSettings) -> tuple[Document, list[Chunk]]:
        """(document, chunks) of one file; raises LoadError or ReadAborted."""
        if self.in_process:
            set_page_hook(self.on_page)
            try:
                return read_file(path, chash, self.limits, settings)
            finally:
                set_page_hook(None)
        child = self._child or self._start()
        try:
            _send(child, (str(path), chash, self.limits, settings))
            reply = _receive(child, self.limits.file_seconds or None)
            while reply[0] == "page":
                if self.on_page is not None:
                    self.on_page(reply[1], reply[2])
                reply = _receive(child, self.limits.file_seconds or None)
        except FileTimeout:
            self._kill()
            raise ReadAborted(f"处理超过 {self.limits.file_seconds:g} 秒（KB_FILE_SECONDS），"
                              f"已跳过") from None
        except (EOFError, OSError, pickle.UnpicklingError):
            code = self._kill()
            raise ReadAborted(f"读取进程异常退出（退出码 {code}），可能超出内存上限 "
                              f"{self.limits.file_memory_mb} MB（KB_FILE_MEMORY_MB）") from None
        if reply[0] == "ok":
            return reply[1], reply[2]
        raise LoadError(str(path), reply[1])

    def _start(self) -> subprocess.Popen:
        modules = loader_modules()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        self._child = subprocess.Popen(
            [sys.executable, "-m", "service.worker", str(self.limits.file_memory_mb),
             *modules],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=ROOT)
        try:
            _receive(self._child, START_SECONDS)  # ("ready",)
        except (FileTimeout, EOFError, OSError, pickle.UnpicklingError):
            code = self._kill()
            raise KBError(f"读取文件的子进程无法启动（退出码 {code}）；可设置 KB_FILE_SECONDS=0 "
                          f"和 KB_FILE_MEMORY_MB=0 改为在本进程内读取（不限时）") from None
        return self._child

    def _kill(self) -> int | None:
        child, self._child = self._child, None
        if child is None:
            return None
        if child.poll() is None:
            child.kill()
        code = child.wait()
        for f in (child.stdin, child.stdout):
            try:
                f.close()
            except OSError:
                pass
        return code

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()  # the child ends at end of input
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        child.stdout.close()


def _send(child: subprocess.Popen, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    child.stdin.write(_HEADER.pack(len(data)) + data)
    child.stdin.flush()


def _receive(child: subprocess.Popen, seconds: float | None) -> tuple:
    deadline = None if seconds is None else time.monotonic() + seconds
    fd = child.stdout.fileno()
    header = _read_exact(fd, _HEADER.size, deadline)
    return pickle.loads(_read_exact(fd, _HEADER.unpack(header)[0], deadline))


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    parts: list[bytes] = []
    # poll, not select: select() refuses descriptors above 1023, which a long-running
    # process (the app, kb serve, a test session) can reach.
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise FileTimeout
        block = os.read(fd, min(n, 1 << 20))
        if not block:
            raise EOFError
        parts.append(block)
        n -= len(block)
    return b"".join(parts)


def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent dies (a kill -9 of `kb ingest` must not
    leave a child parsing a hostile file forever); elsewhere end of input does it."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _serve(memory_mb: int, modules: list[str]) -> None:
    import importlib
    import resource

    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # a loader defined where it cannot be imported is simply absent
            pass
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def frame(obj: tuple) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(_HEADER.pack(len(data)) + data)
        stdout.flush()

    frame(("ready",))
    set_page_hook(lambda done, total: frame(("page", done, total)))
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        path, chash, limits, settings = pickle.loads(stdin.read(_HEADER.unpack(header)[0]))
        try:
            doc, chunks = read_file(Path(path), chash, limits, settings)
            reply: tuple = ("ok", doc, chunks)
        except LoadError as exc:
            reply = ("skip", exc.reason)
        except MemoryError:
            reply = ("skip", f"读取时内存超过上限 {memory_mb} MB（KB_FILE_MEMORY_MB）")
        except RecursionError:
            reply = ("skip", "文件结构嵌套过深，无法读取")
        except Exception as exc:  # a bug or damage no loader caught: one line, not a crash
            reply = ("skip", f"读取失败（{type(exc).__name__}: {str(exc)[:200]}）")
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("skip", "结果过大，内存不足"))
        stdout.write(_HEADER.pack(len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2:])
