"""Attachments a text defers to (具体见附件1, 地址见附件4, 详见附件) and whether a document
holds them.

Office documents put their tables of limits, addresses and scores in attachments, and a
published copy often leaves them out: the text then says only 「具体见附件1」. A question
about what the attachment holds must not be answered with the sentence around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMERAL = "[0-9０-９一二三四五六七八九十]"  # an attachment's number: 1, １, 二
# 「见附件1」「详见附件」「见附件二」; the bare word 附件 (附件：1. …) is a list of attachments.
ATTACHMENT_REF = re.compile(rf"见附件\s*({_NUMERAL}*)")
_ANY_ATTACHMENT_LINE = re.compile(rf"(?m)^[ \t　]*附件\s*{_NUMERAL}")
MIN_BODY_CHARS = 100  # an attachment shorter than this after its heading is only a label


@dataclass(frozen=True)
class AttachmentRef:
    label: str  # "1", "二" or "" (详见附件)
    start: int
    end: int

    @property
    def name(self) -> str:
        return f"附件{self.label}"


def attachment_refs(text: str, start: int = 0, end: int | None = None) -> list[AttachmentRef]:
    """The attachments `text[start:end]` defers to, with their offsets in `text`."""
    stop = len(text) if end is None else end
    return [AttachmentRef(m.group(1), m.start(), m.end())
            for m in ATTACHMENT_REF.finditer(text, start, stop)]


# A line that only names an attachment: 「附件：1.…限额表」 (the list under a document) or
# 「附件1 …限额表」 (its heading).
_LISTED = re.compile(rf"^[ \t　]*附件\s*[：:]?\s*({_NUMERAL}*)")


def listed_attachment(line: str) -> AttachmentRef | None:
    """The attachment a line starting 附件 names, or None."""
    m = _LISTED.match(line)
    return AttachmentRef(m.group(1), m.start(), m.end()) if m else None


def attachment_included(text: str, label: str, after: int = 0) -> bool:
    """True when `text` holds attachment `label` after offset `after`: a line starting with
    附件<label> followed by at least MIN_BODY_CHARS of text before the next attachment."""
    head = re.compile(rf"(?m)^[ \t　]*附件\s*{re.escape(label)}(?!{_NUMERAL})[^\n]*\n")
    for m in head.finditer(text, after):
        nxt = _ANY_ATTACHMENT_LINE.search(text, m.end())
        body = text[m.end(): nxt.start() if nxt else len(text)]
        if len(body.strip()) >= MIN_BODY_CHARS:
            return True
    return False
