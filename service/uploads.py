"""Where uploaded files are kept, and writes that act on uploaded documents.

An upload is stored as `<uploads>/<first 16 hex of its SHA-256>/<its file name>`: two
different files both named 通知.docx are two folders and two documents, the same bytes
uploaded twice are one; the original name stays the file's name (made safe: no path,
no control characters, at most 180 bytes so that its sidecar name still fits), which
is how the document is shown and what its title falls back to. The folder lies outside
the index directory (`Config.uploads`: KB_UPLOADS, default `<index>-uploads`), so
`kb ingest --rebuild` and deleting the index never delete the only copy of a document;
a rebuild re-ingests it.

Replacing an uploaded document is an explicit action (`service.documents`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from core.config import Config

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]')
MAX_NAME_BYTES = 180  # + ".meta.json" stays under the 255 bytes file systems allow


def safe_name(name: str) -> str:
    """A file name that stays inside its folder (keeps Chinese characters)."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip().lstrip(".")
    base = base or "upload"
    if len(base.encode("utf-8")) > MAX_NAME_BYTES:
        stem, suffix = os.path.splitext(base)
        suffix = suffix if len(suffix.encode("utf-8")) <= 16 else ""
        room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
        stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
        base = stem + suffix
    return base


def upload_path(config: Config, name: str, data: bytes) -> Path:
    """Where an upload with these bytes and this name is (or would be) kept."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    return config.uploads / digest / safe_name(name)


def save_upload(config: Config, name: str, data: bytes) -> Path:
    """Keep an uploaded file (atomically: a rebuild walking the folder never sees half)."""
    path = upload_path(config, name, data)
    if path.is_file() and path.stat().st_size == len(data):
        return path  # the same bytes under the same name: already kept
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{os.getpid()}.part"  # hidden: ingests skip it
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def is_upload(config: Config, source: str) -> bool:
    """True when a document's source is a file in the uploads folder."""
    p = Path(source)
    return p.is_absolute() and p.is_relative_to(Path(os.path.abspath(config.uploads)))


def delete_upload(config: Config, source: str) -> None:
    """Delete an uploaded file and its digest folder once empty."""
    p = Path(source)
    if not is_upload(config, source):
        return
    p.unlink(missing_ok=True)
    try:
        p.parent.rmdir()
    except OSError:  # another upload with the same bytes and another name lives there
        pass


def migrate_legacy_uploads(config: Config) -> list[Path]:
    """Move uploads of the old layout (`<index>/uploads/<name>`) into the uploads folder.

    Before this layout a rebuild deleted `<index>/uploads` with the only copies. Called
    by every ingest under the writer lock; returns the new paths of moved files.
    """
    legacy = config.index_dir / "uploads"
    if not legacy.is_dir() or Path(os.path.abspath(legacy)) == Path(
            os.path.abspath(config.uploads)):
        return []
    moved = []
    for f in sorted(legacy.iterdir()):
        if f.is_file() and not f.is_symlink() and not f.name.startswith("."):
            dest = upload_path(config, f.name, f.read_bytes())
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(f), dest)
            moved.append(dest)
    try:
        legacy.rmdir()
    except OSError:  # something else is still in there: left alone
        pass
    return moved
