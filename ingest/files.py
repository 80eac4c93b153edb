"""Per-file steps of an ingest: find the files, identify them, read them into Documents.

Pure of any index: the service layer (`service.ingestion`) runs these steps and writes
what they produce into the stores.

Identity: a document's source is its absolute path: a folder named to an ingest is
resolved (`corpus/` typed in any working directory is the same folder) and the files
found in it keep their names under it (a followed link stays where it was found); a file
named explicitly is resolved. Its id is a hash of that path.
Walking a folder never leaves it through a symbolic link unless `follow_links` is given,
and every entry that is not read (link loop, dangling link, FIFO, device, a name that is
not UTF-8) is reported with a reason, as unsupported types are; files of kinds no loader
reads but whose bytes name them (.doc, .xls, images: `ingest.kinds.SNIFFED_SUFFIXES`) are
passed on to `load_file`, which says what they really are. Hidden entries (".x")
are skipped silently, as version-control and editor files are.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.config import IngestLimits
from core.errors import KBError, LoadError
from core.models import Chunk, Document
from ingest.kinds import SNIFFED_SUFFIXES
from ingest.loaders import has_sidecar, is_sidecar, load_file, sidecar_path, supported_suffixes
from ingest.metadata import extract_metadata
from ingest.normalize import normalize_document

# Bump when loading, normalising, metadata or chunking change what they produce,
# so the next ingest redoes every file instead of keeping stale text.
PIPELINE_VERSION = "5"  # 2: titles cleaned of file-name and site suffixes; 3: OCR, sheets;
# 4: 第X部分 parts and table captions are headings; 5: a row of two numbered labels with
# empty cells stays in its table instead of opening a heading
_BLOCK = 1 << 20

# C0/C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """A name safe to print on one line: controls shown as escapes (\\n, \\x1b), invalid
    bytes of a non-UTF-8 name as \\udcff; a forged second line or a terminal escape in a
    file name stays visible text."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL_RE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def strip_controls(text: str) -> str:
    """Text without control characters (for titles): removed, not escaped."""
    return " ".join(_CONTROL_RE.sub(" ", text).split())


def source_of(path: Path) -> str:
    """The source a file is stored under: its absolute path, as `discover` found it."""
    return os.path.abspath(path)


def doc_id_for(path: Path) -> str:
    """Stable id of a file: a hash of its absolute source path."""
    return hashlib.sha1(source_of(path).encode()).hexdigest()[:16]


def content_hash(path: Path) -> str:
    """Hash of what determines a file's index entry (read in blocks: memory stays small)."""
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    if has_sidecar(path):
        h.update(sidecar_path(path).read_bytes())
    return h.hexdigest()


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_a_file(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO），不是普通文件，未读取"
    if stat.S_ISSOCK(mode):
        return "套接字，不是普通文件，未读取"
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return "设备文件，不是普通文件，未读取"
    return "不是普通文件，未读取"


class _Walk:
    """One discovery run over the paths of an ingest."""

    def __init__(self, follow_links: bool) -> None:
        self.follow_links = follow_links
        # Kinds no loader reads (.doc, images) go to load_file too, which names them.
        self.suffixes = set(supported_suffixes()) | set(SNIFFED_SUFFIXES)
        self.files: list[Path] = []
        self.refused: list[tuple[str, str]] = []
        self.roots: list[Path] = []
        self._seen: set[Path] = set()
        # Real paths already taken: through followed links a folder or file can be reached
        # twice (or forever), which would make two documents of one file.
        self._real_dirs: set[str] = set()
        self._real_files: dict[str, Path] = {}

    def refuse(self, path: Path, reason: str) -> None:
        self.refused.append((str(path), reason))

    def add_file(self, path: Path) -> None:
        if path in self._seen:
            return
        self._seen.add(path)
        if is_sidecar(path):
            return
        real = os.path.realpath(path)
        if real in self._real_files:
            self.refuse(path, f"与 {self._real_files[real]} 是同一个文件（经符号链接），不重复读取")
            return
        self._real_files[real] = path
        if not _utf8_name(path):
            self.refuse(path, "文件名不是有效的 UTF-8 编码，未读取；请改名后再入库")
        elif path.suffix.lower() in self.suffixes:
            self.files.append(path)
        else:
            self.refuse(path, f"unsupported file type {path.suffix or '(none)'}")

    def named(self, p: Path) -> None:
        """A path given on the command line (or by the app)."""
        if not os.path.lexists(p):
            self.refuse(p, "no such file or folder")
            return
        try:
            real = Path(os.path.abspath(p)).resolve(strict=True)
        except FileNotFoundError:
            self.refuse(p, "符号链接指向的目标不存在，未读取")
            return
        except (RuntimeError, OSError):  # ELOOP: RuntimeError before Python 3.13
            self.refuse(p, "符号链接循环，未读取")
            return
        if real.is_dir():
            self.roots.append(real)
            self.folder(real, real)
        elif real.is_file():
            self.add_file(real)  # named explicitly: a link is followed, the user chose it
        else:
            self.refuse(p, _not_a_file(real.stat().st_mode))

    def folder(self, root: Path, folder: Path) -> None:
        """Walk `folder` (inside `root`), in name order, without recursion limits."""
        stack = [folder]
        while stack:
            d = stack.pop()
            real = os.path.realpath(d)
            if real in self._real_dirs:
                if d != folder:
                    self.refuse(d, "经符号链接再次到达已读取的文件夹，不重复读取")
                continue
            self._real_dirs.add(real)
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name, reverse=True)
            except OSError as exc:
                self.refuse(d, f"无法读取文件夹（{exc.strerror or exc}）")
                continue
            for e in entries:
                if e.name.startswith("."):
                    continue
                p = Path(e.path)
                try:
                    if e.is_symlink():
                        self._link(root, p, stack)
                    elif e.is_dir(follow_symlinks=False):
                        stack.append(p)
                    elif e.is_file(follow_symlinks=False):
                        self.add_file(p)
                    else:
                        self.refuse(p, _not_a_file(e.stat(follow_symlinks=False).st_mode))
                except OSError as exc:
                    self.refuse(p, f"cannot read file ({exc.strerror or exc})")

    def _link(self, root: Path, p: Path, stack: list[Path]) -> None:
        try:
            target = p.resolve(strict=True)
        except FileNotFoundError:
            self.refuse(p, f"符号链接指向的目标不存在（{os.readlink(p)}），未读取")
            return
        except (RuntimeError, OSError):
            self.refuse(p, "符号链接循环，未读取")
            return
        if target.is_relative_to(root):
            # Its target is read where it lies; reading it twice would make two documents.
            rel = str(target.relative_to(root))
            where = "本文件夹自身" if rel == "." else f"本文件夹内的 {rel}"
            self.refuse(p, f"符号链接，指向{where}，不重复读取")
            return
        if not self.follow_links:
            self.refuse(p, f"符号链接指向文件夹之外（{target}），未跟随；"
                           f"需要时加 --follow-links")
            return
        if target.is_dir():
            stack.append(p)  # a folder reached twice is named when it is popped
        elif target.is_file():
            self.add_file(p)
        else:
            self.refuse(p, _not_a_file(target.stat().st_mode))


def discover(paths: Iterable[Path], *, follow_links: bool = False,
             ) -> tuple[list[Path], list[tuple[str, str]], list[Path]]:
    """Files to ingest (absolute, sorted, each once), files refused (path, reason), and
    the folders walked (resolved)."""
    walk = _Walk(follow_links)
    for p in paths:
        walk.named(Path(p))
    return sorted(walk.files), walk.refused, walk.roots


def build_document(path: Path, chash: str, limits: IngestLimits | None = None) -> Document:
    """Load, normalise and describe one file (raises LoadError)."""
    raw = load_file(path, limits)
    text, page_starts = normalize_document(raw)
    if not text.strip():
        raise LoadError(str(path), "no text after normalisation")
    meta = extract_metadata(text, str(path), raw.overrides)
    if meta.title != strip_controls(meta.title):
        # A title taken from a file name can carry controls (a newline, an ANSI escape).
        meta = dataclasses.replace(meta, title=strip_controls(meta.title) or "（无标题）")
    return Document(doc_id=doc_id_for(path), source=source_of(path), text=text,
                    meta=meta, content_hash=chash, page_starts=page_starts)


def check_chunks(doc: Document, chunks: Sequence[Chunk]) -> None:
    """Every chunk must be exactly the document text at its offsets."""
    for c in chunks:
        if doc.text[c.start:c.end] != c.text:
            raise KBError(f"{doc.source}: chunk {c.chunk_id} does not match the text at "
                          f"[{c.start}:{c.end}] (chunker bug)")
