"""Upload handling of the 入库 page: type and size checks, saving, readable skip reasons."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import Config
from ingest.loaders import supported_suffixes

# Derived from the loader registry: a new loader is accepted here without edits.
ALLOWED_SUFFIXES = supported_suffixes()

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

# Chinese wording for the ingest pipeline's (English) skip reasons, matched by prefix.
_REASONS_ZH = (
    ("unsupported file type", "不支持的文件类型"),
    ("empty file", "空文件"),
    ("no text found", "文件中没有可提取的文字"),
    ("no text layer", "PDF 没有文字层（可能是扫描件）"),
    ("encrypted PDF", "PDF 已加密，无法读取"),
    ("PDF has no pages", "PDF 没有页面"),
    ("not a PDF", "不是有效的 PDF 文件"),
    ("not a valid .docx", "不是有效的 Word（.docx）文件"),
    ("binary file", "二进制文件，不是文本"),
    ("not a text file", "无法识别文本编码"),
    ("invalid UTF-16", "UTF-16 文本无效"),
    ("corrupt or unreadable", "文件损坏或无法读取"),
    ("cannot read file", "无法读取文件"),
    ("metadata sidecar", "元数据附属文件，不是文档"),
    ("sidecar", "元数据附属文件有误"),
    ("no such file", "文件不存在"),
)


def upload_dir(config: Config) -> Path:
    """Where uploaded files are kept: `<index_dir>/uploads/`."""
    return config.index_dir / "uploads"


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


def safe_name(name: str) -> str:
    """A file name that stays inside the upload folder (keeps Chinese characters)."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip().lstrip(".")
    return base or "upload"


def save_upload(name: str, data: bytes, dest: Path) -> Path:
    """Write an uploaded file into `dest` (replacing a file of the same name)."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / safe_name(name)
    path.write_bytes(data)
    return path


def reason_zh(reason: str) -> str:
    """A skip reason from the ingest pipeline in Chinese, keeping the original detail."""
    for prefix, zh in _REASONS_ZH:
        if reason.startswith(prefix):
            return f"{zh}（{reason}）"
    return reason
