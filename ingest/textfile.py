"""Decoding plain-text files and reading their front matter.

Encoding is decided from the bytes, never from the extension:
1. a BOM (UTF-8, UTF-16) wins;
2. bytes with NULs are tried as UTF-16 without a BOM (little, then big endian; a line
   end or any ASCII brings NULs in UTF-16) and taken when they read as ordinary Chinese
   text; otherwise NUL bytes or many control characters mean a binary file;
3. strict UTF-8, unless the result is full of unusual characters while GB18030
   reads as Chinese (short GBK texts can be valid UTF-8 by accident); a handful
   of bad bytes in otherwise ordinary UTF-8 still counts as UTF-8 (decoded with
   U+FFFD), because GB18030 would turn such a file into mojibake;
4. GB18030 (a superset of GBK and GB2312), accepted only when at least half of
   its ideographs are among the 3755 common characters of GB2312 level 1: real
   Chinese text scores above 0.9, byte pairs that merely decode score about 0.2;
5. GBK and UTF-8 lines mixed in one file (pasted together from several sources):
   each line decoded on its own, accepted when the whole reads as Chinese;
6. charset-normalizer as a last resort, with the same sanity check.
"""

from __future__ import annotations

import codecs
import re

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_KEY_VALUE_RE = re.compile(r"^\s*([\w\u4e00-\u9fff-]{1,30})\s*[:：]\s*(.*?)\s*$")
_MAX_FRONT_MATTER_LINES = 40
KEY_ALIASES = {
    "标题": "title",
    "类型": "doc_type",
    "文档类型": "doc_type",
    "日期": "date",
    "成文日期": "date",
    "发布日期": "date",
    "发文机关": "issuer",
    "发布机构": "issuer",
    "文号": "doc_no",
    "发文字号": "doc_no",
    "讲话人": "speaker",
    "可见级别": "visibility",
    "可见范围": "visibility",
    "网址": "url",
    "链接": "url",
}


# What a reader returns: the text, each page's start offset in it, and metadata overrides.
ReadResult = tuple[str, tuple[int, ...], dict[str, str]]


def join_pages(pages: list[str], overrides: dict[str, str] | None = None) -> ReadResult:
    """Pages joined by newlines, with the offset where each page starts (for citations)."""
    starts, pos = [], 0
    for p in pages:
        starts.append(pos)
        pos += len(p) + 1
    return "\n".join(pages), tuple(starts), overrides or {}


class Unreadable(Exception):
    """Raised by readers; the loader turns it into a LoadError with the path."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_common_hanzi(ch: str) -> bool:
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def common_hanzi_share(text: str) -> float:
    """Share of ideographs that are GB2312 level-1 (common) characters; 1.0 if none."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 1.0
    return sum(map(_is_common_hanzi, han)) / len(han)


def _han_count(text: str) -> int:
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff")


def _control_share(text: str) -> float:
    bad = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    return bad / max(1, len(text))


def _ordinary_share(text: str) -> float:
    """Share of ASCII, ideographs and CJK/general punctuation among non-space chars."""
    chars = [c for c in text if not c.isspace()]
    ok = sum(
        1
        for c in chars
        if c.isascii() or "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef" or "\u2000" <= c <= "\u206f"
    )
    return ok / max(1, len(chars))


def _plausible_chinese(text: str) -> bool:
    return (
        _control_share(text) < 0.01
        and common_hanzi_share(text) >= 0.5
        and _ordinary_share(text) >= 0.9
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file's bytes; return (text, encoding name). Raises Unreadable."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise Unreadable("invalid UTF-16 text") from e
    if b"\x00" in data:
        # A line end or any ASCII in UTF-16 brings NUL bytes, so only these files are tried.
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16
        raise Unreadable("binary file (contains NUL bytes), not text")
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        gb = ""
    gb_ok = bool(gb) and _plausible_chinese(gb)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _control_share(text) >= 0.01:
            raise Unreadable("binary file (control characters), not text")
        # A short GBK text can also be valid UTF-8 (同学 -> "ͬѧ"): prefer the reading
        # that looks like Chinese.
        if gb_ok and (_ordinary_share(text) < 0.9 or (_han_count(gb) and not _han_count(text))):
            return gb, "gb18030"
        return text, "utf-8"
    loose = data.decode("utf-8", errors="replace")
    if loose.count("\ufffd") <= max(1, len(loose) // 1000) and _ordinary_share(loose) >= 0.9:
        return loose, "utf-8"
    mixed = _decode_lines(data)
    if mixed is not None and (not gb_ok or common_hanzi_share(mixed) > common_hanzi_share(gb)):
        return mixed, "utf-8+gb18030"
    if gb_ok:
        return gb, "gb18030"
    return _fallback(data)


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) when the bytes read as ordinary UTF-16 text, else None."""
    if len(data) < 4 or len(data) % 2:
        return None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # Real text has line ends or spaces and ordinary characters only; bytes that
        # merely decode land all over the 16-bit range.
        if (_control_share(text) < 0.01 and _ordinary_share(text) >= 0.95
                and common_hanzi_share(text) >= 0.5 and any(c in text for c in "\n ，。")):
            return text, enc
    return None


def _decode_lines(data: bytes) -> str | None:
    """Each line as UTF-8 or GB18030, when lines of both are there and the whole is Chinese."""
    out: list[str] = []
    kinds: set[str] = set()
    for line in data.split(b"\n"):
        try:
            out.append(line.decode("utf-8"))
            if not line.isascii():
                kinds.add("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        try:
            out.append(line.decode("gb18030"))
            kinds.add("gb18030")
        except UnicodeDecodeError:
            out.append(line.decode("utf-8", errors="replace"))
            kinds.add("bad")
    if kinds != {"utf-8", "gb18030"}:
        return None
    text = "\n".join(out)
    return text if _plausible_chinese(text) else None


def _fallback(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        text = str(best)
        if _plausible_chinese(text) and text.strip():
            return text, best.encoding
    raise Unreadable("not a text file (no UTF-8/GB18030 decoding looks like text)")


def _canonical_key(key: str) -> str:
    key = key.strip()
    return KEY_ALIASES.get(key, key.lower())


def split_front_matter(text: str) -> tuple[str, dict[str, str]]:
    """Remove a leading `---` block of `key: value` lines; return (body, fields).

    A leading `---` that is not followed by key/value lines (a Markdown rule) is
    left in the text.
    """
    src = text.replace("\r\n", "\n")
    m = _FRONT_MATTER_RE.match(src)
    if not m:
        return text, {}
    lines = m.group(1).split("\n")
    if len(lines) > _MAX_FRONT_MATTER_LINES:
        return text, {}
    fields: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        kv = _KEY_VALUE_RE.match(line)
        if not kv:
            return text, {}
        value = kv.group(2).strip().strip("\"'")
        if value:
            fields[_canonical_key(kv.group(1))] = value
    return src[m.end():], fields


def clean_overrides(raw: dict[object, object]) -> dict[str, str]:
    """Sidecar/front-matter fields as canonical string keys and non-empty string values."""
    out: dict[str, str] = {}
    for k, v in raw.items():
        if v is None or isinstance(v, (dict, list)):
            continue
        value = str(v).strip()
        if value:
            out[_canonical_key(str(k))] = value
    return out
