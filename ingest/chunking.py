"""Structure-aware chunking: chunks follow the heading outline of a document.

Decisions (see also ChunkSettings):
- The outline (ingest.structure) cuts the text into units: the text before the first
  heading (title, 文号, preamble), each section's own text (its heading and what
  comes before its first sub-heading), and any text a section has after its last
  sub-section. Units cover the whole text.
- A preamble shorter than min_chars (title, 文号, addressee) is glued to the front of
  the first section: alone it would be a chunk without content that matches every
  query naming its document. Not onto a handbook case: cases are never mixed, and a
  《新风》 issue's preamble carries its theme, an answer in its own right.
- A unit that is only a heading or a short lead-in (< min_chars) and has sub-sections
  is glued to the front of its first sub-section, so "第一章 总则" travels with
  "第一条 …" and the chunk's section is the deeper path ("第一章 总则 > 第一条").
- A unit longer than max_chars is split at line (paragraph) ends, and inside an
  over-long line at sentence ends (。！？；…). A sentence longer than max_chars (a
  10 MB line, a PDF page of English text) is cut where the text itself breaks: ASCII
  . ! ? ;, then clause marks, then spaces, a hard cut only when there is none
  (`core.text.sentences.split_overlong`); so no chunk exceeds max_chars. Only such
  over-long sentences are cut: every other chunk is what scheme 2 made.
- Adjacent small units under the same parent may be merged up to max_chars when one
  side is shorter than min_chars. Articles (第X条), the preamble, handbook cases and
  附件 are never merged, so an article keeps its own citation path. A merged chunk's
  section is the common parent's path; top-level siblings keep the first one's path.
- overlap_sentences > 0 makes each continuation piece of a split unit start that many
  sentences earlier (within the same unit only). max_chars bounds a chunk's new text;
  the repeated sentences come on top.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from core.errors import ConfigError
from core.models import Chunk, Document, Section, SectionPath
from core.text.sentences import split_overlong, split_sentences
from ingest.structure import outline

_MERGEABLE = {"h1", "h2", "h3", "h4", "point", "tail"}


@dataclass(frozen=True)
class ChunkSettings:
    """Chunk size limits in characters of normalised text.

    800/300 measured best on the corpus set (hybrid hit@5 0.890 vs 0.876 at 600/300 and
    0.814 at 500/80; evals/README.md).
    """

    max_chars: int = 800
    min_chars: int = 300
    overlap_sentences: int = 0
    # A chunk longer than this is embedded as windows of its sentences (0 = never;
    # index.passages). 250 measured in evals/README.md.
    window_chars: int = 250
    # Bumped whenever the chunker's rules change, so an index chunked by older rules
    # is refused (and rebuilt) instead of mixing two chunkings. 2: short preambles glued.
    scheme: int = 2

    def __post_init__(self) -> None:
        if (self.max_chars < 1 or self.min_chars < 0 or self.overlap_sentences < 0
                or self.window_chars < 0):
            raise ConfigError(
                f"chunk settings need max_chars >= 1, min_chars >= 0, overlap_sentences >= 0, "
                f"window_chars >= 0; got {self.max_chars}, {self.min_chars}, "
                f"{self.overlap_sentences}, {self.window_chars}")


@dataclass
class _Unit:
    start: int
    end: int
    path: SectionPath
    group: SectionPath | None  # path of the section whose text this is part of; None at top level
    kind: str  # section kind, "tail" (a section's text after its sub-sections), "preamble"


@dataclass
class _Piece:
    start: int
    end: int
    unit: int
    whole: bool  # the piece is its unit's full text


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _units(text: str, sections: list[Section], min_chars: int) -> list[_Unit]:
    units: list[_Unit] = []
    stack: list[int] = []
    paths: list[SectionPath] = []
    glue: int | None = None  # start of a pending heading-only unit to prepend
    for i, sec in enumerate(sections):
        while stack and sections[stack[-1]].level >= sec.level:
            stack.pop()
        parent = stack[-1] if stack else None
        paths.append((*paths[parent], sec.label) if parent is not None else (sec.label,))
        stack.append(i)
        nxt = sections[i + 1] if i + 1 < len(sections) else None
        has_children = nxt is not None and nxt.start < sec.end
        own_end = nxt.start if has_children and nxt is not None else sec.end
        start = glue if glue is not None else sec.start
        s, e = _trim(text, sec.start, own_end)
        if has_children and e - s < min_chars:
            glue = start
            continue
        glue = None
        units.append(_Unit(start, own_end, paths[i], paths[parent] if parent is not None
                           else None, sec.kind))
    # Text no section owns: the preamble, and a section's text after its last
    # sub-section (e.g. paragraphs after the last 一是/二是 point).
    filled: list[_Unit] = []
    pos = 0
    has_cases = any(sec.kind == "case" for sec in sections)
    for u in [*units, _Unit(len(text), len(text), (), None, "end")]:
        if text[pos:u.start].strip():
            inner = [j for j, sec in enumerate(sections) if sec.start <= pos < sec.end]
            if inner:
                j = inner[-1]
                filled.append(_Unit(pos, u.start, paths[j], paths[j], "tail"))
            elif (u.kind != "end" and not has_cases
                  and len(text[pos:u.start].strip()) < min_chars):
                # A short preamble (title, 文号, addressee) alone is a chunk with no
                # content that still matches every query about its document.
                u.start = pos
            else:
                filled.append(_Unit(pos, u.start, (), None, "preamble"))
        if u.kind != "end":
            filled.append(u)
        pos = max(pos, u.end)
    return filled


def _items(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Lines of a unit; lines longer than max_chars are broken into sentences."""
    items: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        s, e = _trim(text, pos, line_end)
        if s < e:
            if e - s > max_chars:
                for a, b in split_sentences(text[s:e], s):
                    if b - a > max_chars:
                        items.extend(split_overlong(text, a, b, max_chars))
                    else:
                        items.append((a, b))
            else:
                items.append((s, e))
        pos = line_end + 1
    return items


def _split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    s, e = _trim(text, start, end)
    if s >= e:
        return []
    if e - s <= max_chars:
        return [(s, e)]
    items = _items(text, s, e, max_chars)
    # Aim for even pieces, so a unit slightly over the limit does not leave a tiny tail.
    target = (e - s) / math.ceil((e - s) / max_chars)
    pieces: list[tuple[int, int]] = []
    cur_s, cur_e = items[0]
    for it_s, it_e in items[1:]:
        if it_e - cur_s > max_chars or cur_e - cur_s >= target:
            pieces.append((cur_s, cur_e))
            cur_s = it_s
        cur_e = it_e
    pieces.append((cur_s, cur_e))
    return pieces


def _merge(pieces: list[_Piece], units: list[_Unit], settings: ChunkSettings,
           ) -> list[tuple[int, int, SectionPath]]:
    out: list[tuple[int, int, SectionPath]] = []
    group: list[_Piece] = []

    def flush() -> None:
        if not group:
            return
        first = units[group[0].unit]
        path = first.group if len(group) > 1 and first.group is not None else first.path
        out.append((group[0].start, group[-1].end, path))
        group.clear()

    for p in pieces:
        if group:
            g, u, gu = group[-1], units[p.unit], units[group[-1].unit]
            size = p.end - group[0].start
            ok = (p.whole and g.whole and u.kind in _MERGEABLE and gu.kind in _MERGEABLE
                  and u.group == gu.group and size <= settings.max_chars
                  and (group[-1].end - group[0].start < settings.min_chars
                       or p.end - p.start < settings.min_chars))
            if not ok:
                flush()
        group.append(p)
    flush()
    return out


def chunk_document(doc: Document, settings: ChunkSettings) -> list[Chunk]:
    """Split a document into chunks along its outline (decisions: module docstring)."""
    text = doc.text
    if not text.strip():
        return []
    units = _units(text, outline(text, doc.doc_type), settings.min_chars)
    pieces: list[_Piece] = []
    for ui, u in enumerate(units):
        spans = _split(text, u.start, u.end, settings.max_chars)
        for s, e in spans:
            pieces.append(_Piece(s, e, ui, len(spans) == 1))
    spans = _merge(pieces, units, settings)
    if settings.overlap_sentences > 0:
        spans = _overlap(text, spans, pieces, units, settings.overlap_sentences)
    return [_make_chunk(doc, s, e, path) for s, e, path in spans]


def _overlap(text: str, spans: list[tuple[int, int, SectionPath]], pieces: list[_Piece],
             units: list[_Unit], k: int) -> list[tuple[int, int, SectionPath]]:
    unit_of = {p.start: units[p.unit] for p in pieces if not p.whole}
    out = []
    for s, e, path in spans:
        u = unit_of.get(s)
        if u is not None:
            before = [sp for sp in split_sentences(text[u.start:s], u.start) if sp[1] <= s]
            if before:
                s = before[-min(k, len(before))][0]
        out.append((s, e, path))
    return out


def _make_chunk(doc: Document, start: int, end: int, section: SectionPath) -> Chunk:
    first, last = doc.page_at(start), doc.page_at(max(start, end - 1))
    pages = tuple(range(first, last + 1)) if first is not None and last is not None else ()
    cid = hashlib.sha1(f"{doc.doc_id}:{start}:{end}".encode()).hexdigest()[:16]
    return Chunk(chunk_id=cid, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                 doc_type=doc.doc_type, section=section, pages=pages, start=start, end=end,
                 text=doc.text[start:end], ocr=doc.ocr_on(*pages))
