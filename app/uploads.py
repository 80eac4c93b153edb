"""Upload handling of the 入库 page: type and size checks, readable skip reasons.

Where and how uploads are kept is `service.uploads` (content-addressed, outside the index).
"""

from __future__ import annotations

from pathlib import Path

from core.config import Config
from ingest.files import printable
from ingest.loaders import supported_suffixes
from service.payloads import reason_zh
from service.uploads import safe_name, save_upload

__all__ = ["ALLOWED_SUFFIXES", "md_text", "reason_zh", "rejection", "safe_name",
           "save_upload", "shown_name", "upload_dir"]

# Derived from the loader registry: a new loader is accepted here without edits.
ALLOWED_SUFFIXES = supported_suffixes()

def upload_dir(config: Config) -> Path:
    """Where uploaded files are kept (KB_UPLOADS; default beside the index directory)."""
    return config.uploads


def shown_name(name: str) -> str:
    """A file name as the page shows it: one line, no control characters."""
    return printable(name)


def md_text(text: str) -> str:
    """Text placed in st.markdown literally (a name like `*通知*` is not emphasis)."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in text)


def rejection(name: str, size: int, max_mb: int) -> str | None:
    """Why an upload is refused before ingest (Chinese), or None when it is acceptable."""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = " ".join(ALLOWED_SUFFIXES)
        return f"不支持的文件类型（{suffix or '无扩展名'}），仅支持 {allowed}"
    if size > max_mb * 1024 * 1024:
        return f"文件大小 {size / 1024 / 1024:.1f} MB，超过上限 {max_mb} MB"
    if size == 0:
        return "空文件"
    return None
