"""Per-file steps of an ingest: find the files, identify them, read them into Documents.

Pure of any index: the service layer (`service.ingestion`) runs these steps and writes
what they produce into the stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.errors import KBError, LoadError
from core.models import Chunk, Document
from ingest.loaders import is_sidecar, load_file, sidecar_path, supported_suffixes
from ingest.metadata import extract_metadata
from ingest.normalize import normalize_document

# Bump when loading, normalising, metadata or chunking change what they produce,
# so the next ingest redoes every file instead of keeping stale text.
PIPELINE_VERSION = "1"


def doc_id_for(path: Path) -> str:
    """Stable id of a file: its resolved absolute path."""
    return hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]


def content_hash(path: Path) -> str:
    """Hash of what determines a file's index entry."""
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    h.update(path.read_bytes())
    side = sidecar_path(path)
    if side.is_file():
        h.update(side.read_bytes())
    return h.hexdigest()


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]], list[Path]]:
    """Files to ingest, files refused (path, reason), and the folders walked."""
    suffixes = set(supported_suffixes())
    files: list[Path] = []
    refused: list[tuple[str, str]] = []
    roots: list[Path] = []
    for p in paths:
        if p.is_dir():
            roots.append(p)
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if not f.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if is_sidecar(f):
                    continue
                if f.suffix.lower() in suffixes:
                    files.append(f)
                else:
                    refused.append((str(f), f"unsupported file type {f.suffix or '(none)'}"))
        elif p.is_file():
            if f_ok := p.suffix.lower() in suffixes:
                files.append(p)
            if not f_ok:
                refused.append((str(p), f"unsupported file type {p.suffix or '(none)'}; "
                                        f"expected one of {' '.join(sorted(suffixes))}"))
        else:
            refused.append((str(p), "no such file or folder"))
    return files, refused, roots


def build_document(path: Path, chash: str) -> Document:
    """Load, normalise and describe one file (raises LoadError)."""
    raw = load_file(path)
    text, page_starts = normalize_document(raw)
    if not text.strip():
        raise LoadError(str(path), "no text after normalisation")
    meta = extract_metadata(text, str(path), raw.overrides)
    return Document(doc_id=doc_id_for(path), source=str(path), text=text, meta=meta,
                    content_hash=chash, page_starts=page_starts)


def check_chunks(doc: Document, chunks: Sequence[Chunk]) -> None:
    """Every chunk must be exactly the document text at its offsets."""
    for c in chunks:
        if doc.text[c.start:c.end] != c.text:
            raise KBError(f"{doc.source}: chunk {c.chunk_id} does not match the text at "
                          f"[{c.start}:{c.end}] (chunker bug)")
