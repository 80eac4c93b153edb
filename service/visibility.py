"""Which visibility level (core.models.LEVELS) a document gets, and the folder rules.

A document's level comes from, first to last: its front matter or sidecar
(`visibility: 内部`, read into DocMeta.visibility), the deepest folder or file given
to `kb ingest PATH --visibility 内部` (or an upload made with a level), and the
configured default (KB_DEFAULT_VISIBILITY, 公开 unless set). The folder rules live in
the deployment store (service.deployment.open_store: the deployment file, or a shared
knowledge base's records on the Chroma server), so `--rebuild` and `kb doctor --repair`,
which re-read the same folders, give the same levels.

A file's recorded content hash carries the level its folder gives it (`level_mark`):
changing a folder's level makes the next ingest read its files again, so that the
docstore, the BM25 rows and every vector's metadata all change together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from core.config import Config
from core.errors import KBError
from core.models import LEVELS, PUBLIC, Chunk, Document, parse_level
from service.deployment import open_store


def check_level(value: str) -> str:
    level = parse_level(value)
    if level is None:
        raise KBError(f"可见级别应为 {'、'.join(LEVELS)} 之一，实际为 {value!r}")
    return level


def set_folder_level(config: Config, paths: Iterable[Path], level: str) -> None:
    """Record `level` for these folders or files (absolute), replacing earlier ones."""
    level = check_level(level)
    open_store(config).set_folder_levels({os.path.abspath(p): level for p in paths})


def forget_folder_level(config: Config, paths: Iterable[Path]) -> None:
    """Drop the rules of these paths (a deleted upload)."""
    open_store(config).forget_folder_levels([os.path.abspath(p) for p in paths])


def folder_levels(config: Config) -> dict[str, str]:
    """Absolute path -> level, every rule recorded."""
    return open_store(config).folder_levels()


def level_for(path: Path, rules: Mapping[str, str], default: str) -> str:
    """The level the deepest rule covering `path` gives (the default when none does)."""
    p = Path(os.path.abspath(path))
    for candidate in (p, *p.parents):
        level = rules.get(str(candidate))
        if level is not None:
            return level
    return default


def resolver(config: Config) -> Callable[[Path], str]:
    """path -> the level its folder (or the default) gives, rules read once."""
    rules = folder_levels(config)
    default = config.default_visibility
    return lambda path: level_for(path, rules, default)


def level_mark(level: str) -> str:
    """What a folder's level adds to a file's content hash (nothing for 公开, so the
    hashes of indexes made before visibility existed stay valid)."""
    return "" if level == PUBLIC else f"+{level}"


def with_level(doc: Document, chunks: Sequence[Chunk], outer: str,
               ) -> tuple[Document, list[Chunk]]:
    """The document and its chunks at their level: the front matter's, else `outer`."""
    level = doc.meta.visibility or outer
    meta = replace(doc.meta, visibility=level)
    return (replace(doc, meta=meta, visibility=level),
            [replace(c, visibility=level) for c in chunks])
