"""Text of a Word 97-2003 / WPS 文字 binary .doc without LibreOffice ([MS-DOC]).

Used where LibreOffice is not installed (`ingest.legacy` prefers it: it keeps table
structure exactly). `read_word_binary(data)` reads the FIB of the WordDocument stream,
the piece table (the Clx in the 0Table/1Table stream: each Pcd names where its run of
characters lives and whether it is stored compressed, one cp1252 byte per character,
or as UTF-16LE), and returns the main text (ccpText) followed by the header and footer
stories (ccpHdd): each distinct header/footer line once, page numbers left out, as the
.docx reader does.

Word's control characters become text: paragraph ends, line breaks (\\x0b) and page or
section breaks (\\x0c) end lines; in a table each cell ends in \\x07 and each row in a
further \\x07, told apart by the paragraph properties (PAPX pages: sprmPFInTable,
sprmPFTtp), so a row becomes the .docx reader's `|cell|cell|` line, a cell's paragraphs
joined by a space (without readable PAPX pages a \\x07 right after a cell mark is taken
as the row mark, so an empty cell may end its row early). A field keeps its result
(between \\x14 and \\x15) and drops its code (\\x13 .. \\x14). Text deleted with changes
tracked (CHPX pages: sprmCFRMarkDel) is left out; inserted text is kept. Not read:
Word's automatic numbering (list labels), text boxes, footnotes.

Bounds: the character counts must fit in the WordDocument stream (at most one byte per
character, so a file can claim no more text than it has bytes); the piece and property
tables are read only within their streams, and runs are looked up by bisection.
"""

from __future__ import annotations

import bisect
import io
import struct

from ingest.pdf_lines import strip_page_numbers
from ingest.textfile import Unreadable

_WIDENT = 0xA5EC
_NFIB_WORD97 = 0x00C1
_F_ENCRYPTED, _F_WHICH_TABLE, _F_OBFUSCATED = 0x0100, 0x0200, 0x8000
# indexes of fcClx, fcPlcfBtePapx, fcPlcfBteChpx in FibRgFcLcb97
_FC_CLX, _FC_BTE_PAPX, _FC_BTE_CHPX = 33, 13, 12
_IN_TABLE, _ROW_END = 1, 2  # paragraph properties: sprmPFInTable, sprmPFTtp
_SPRM_FLAGS = {0x2416: _IN_TABLE, 0x2417: _ROW_END}
_SPRM_DELETED = 0x0800  # sprmCFRMarkDel: text deleted with changes tracked
_SPRA_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # operand bytes by sprm >> 13
# Control characters with a text meaning; every other one below U+0020 is dropped.
_LINE = {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x0e": "\n"}
_KEEP = {"\t": "\t", "\x1e": "-", "\xa0": " "}
_SAVE_AS = "请用 WPS 或 Word 另存为 .docx 后再入库"


def read_word_binary(data: bytes, hint: str = "") -> str:
    """The text of a Word 97+ binary document (main text, then header/footer lines).

    `hint` (what else would read the file) is added to every refusal but an encrypted
    file's, which nothing here can open.
    """
    try:
        return _read(data)
    except Unreadable as e:
        if not hint or "加密" in e.reason:
            raise
        raise Unreadable(f"{e.reason}；{hint}") from e


def _read(data: bytes) -> str:
    olefile = _olefile()
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists("WordDocument"):
                raise Unreadable("OLE 文件中没有 WordDocument 流，不是 Word/WPS 文字文档")
            word = ole.openstream("WordDocument").read()
            fib = _fib(word)
            table_name = "1Table" if fib["flags"] & _F_WHICH_TABLE else "0Table"
            if not ole.exists(table_name):
                raise Unreadable(f"旧版 .doc 缺少 {table_name} 流（文件不完整或已损坏），"
                                 f"{_SAVE_AS}")
            table = ole.openstream(table_name).read()
    except Unreadable:
        raise
    except Exception as e:  # olefile raises OSError and others on a damaged container
        raise Unreadable(f"旧版 Word/WPS 文字文档（.doc）的 OLE 结构已损坏"
                         f"（{type(e).__name__}），无法读取，{_SAVE_AS}") from e
    try:
        chars, pieces = _piece_text(word, table, fib)
        marks = _marks(chars, pieces, _paragraph_runs(word, table, fib))
        chars = _without(chars, pieces, _deleted_runs(word, table, fib))
    except struct.error as e:  # a piece table or PAPX page cut short
        raise Unreadable(f"旧版 .doc 的片段表已损坏（{e}），{_SAVE_AS}") from e
    body = _lines(chars[: fib["ccpText"]], marks, 0)
    start = fib["ccpText"] + fib["ccpFtn"]
    margins = _margin_lines(_lines(chars[start : start + fib["ccpHdd"]], marks, start),
                            set(body))
    return "\n".join(body + margins)


def _olefile():
    from core.errors import require

    return require("olefile", feature="不用 LibreOffice 读取旧版 .doc",
                   install="pip install olefile")


def _fib(word: bytes) -> dict[str, int]:
    """The FIB fields this reader needs, checked against the stream's size."""
    if len(word) < 64:
        raise Unreadable("旧版 .doc 的 WordDocument 流过短（文件已损坏）")
    ident, nfib = struct.unpack_from("<HH", word, 0)
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if ident != _WIDENT:
        raise Unreadable(f"WordDocument 流的标识不是 Word 文档（0x{ident:04X}），{_SAVE_AS}")
    if flags & (_F_ENCRYPTED | _F_OBFUSCATED):
        raise Unreadable(f"旧版 .doc 已加密（设有打开密码），无法读取；请在 WPS/Word 中取消密码"
                         f"后{_SAVE_AS[1:]}")
    if nfib < _NFIB_WORD97:
        raise Unreadable(f"Word 6.0/95 或更早格式的 .doc（nFib {nfib}），不支持；{_SAVE_AS}")
    pos = 32
    csw = struct.unpack_from("<H", word, pos)[0]
    pos += 2 + 2 * csw
    cslw = struct.unpack_from("<H", word, pos)[0]
    lw_at = pos + 2
    pos = lw_at + 4 * cslw
    if cslw < 11 or pos + 2 > len(word):
        raise Unreadable("旧版 .doc 的文件信息块（FIB）不完整（文件已损坏）")
    ccp_text, ccp_ftn, ccp_hdd = struct.unpack_from("<iii", word, lw_at + 12)
    cb = struct.unpack_from("<H", word, pos)[0]
    if cb <= _FC_CLX or pos + 2 + 8 * (_FC_CLX + 1) > len(word):
        raise Unreadable("旧版 .doc 的文件信息块（FIB）没有片段表位置（文件已损坏）")
    fc_clx, lcb_clx = struct.unpack_from("<II", word, pos + 2 + 8 * _FC_CLX)
    fc_bte, lcb_bte = struct.unpack_from("<II", word, pos + 2 + 8 * _FC_BTE_PAPX)
    fc_chpx, lcb_chpx = struct.unpack_from("<II", word, pos + 2 + 8 * _FC_BTE_CHPX)
    counts = (ccp_text, ccp_ftn, ccp_hdd)
    if min(counts) < 0 or sum(counts) > len(word):
        raise Unreadable(f"旧版 .doc 声明的字数（{ccp_text}）超出文件内容（文件已损坏）")
    return {"flags": flags, "ccpText": ccp_text, "ccpFtn": ccp_ftn, "ccpHdd": ccp_hdd,
            "fcClx": fc_clx, "lcbClx": lcb_clx, "fcBtePapx": fc_bte, "lcbBtePapx": lcb_bte,
            "fcBteChpx": fc_chpx, "lcbBteChpx": lcb_chpx}


Piece = tuple[int, int, int, int]  # first CP, character count, first byte in WordDocument, width


def _piece_text(word: bytes, table: bytes, fib: dict[str, int]) -> tuple[str, list[Piece]]:
    """The document's characters in CP order, as far as the header stories reach, and
    where each piece's characters lie in the WordDocument stream."""
    fc, lcb = fib["fcClx"], fib["lcbClx"]
    if lcb == 0 or fc + lcb > len(table):
        raise Unreadable(f"旧版 .doc 没有片段表（快速保存的文件或已损坏），无法直接读取；"
                         f"{_SAVE_AS}")
    clx = table[fc : fc + lcb]
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:  # Prc: property modifiers, skipped
        if pos + 3 > len(clx):
            break
        pos += 3 + struct.unpack_from("<h", clx, pos + 1)[0]
    if pos + 5 > len(clx) or clx[pos] != 0x02:
        raise Unreadable(f"旧版 .doc 的片段表已损坏（快速保存的文件？），{_SAVE_AS}")
    size = struct.unpack_from("<I", clx, pos + 1)[0]
    plc = clx[pos + 5 : pos + 5 + size]
    n = (len(plc) - 4) // 12
    if n <= 0 or len(plc) < 4 + 12 * n:
        raise Unreadable(f"旧版 .doc 的片段表为空或已损坏，{_SAVE_AS}")
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    wanted = fib["ccpText"] + fib["ccpFtn"] + fib["ccpHdd"]
    parts: list[str] = []
    pieces: list[Piece] = []
    for i in range(n):
        start, end = cps[i], min(cps[i + 1], wanted)
        if start >= wanted:
            break
        if end <= start:
            continue
        fc_piece = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        count = end - start
        if fc_piece & 0x40000000:  # fCompressed: one cp1252 byte per character
            at, width = (fc_piece & 0x3FFFFFFF) // 2, 1
            parts.append(_cp1252(word[at : at + count]))
        else:
            at, width = fc_piece & 0x3FFFFFFF, 2
            parts.append(word[at : at + 2 * count].decode("utf-16-le", errors="replace"))
        pieces.append((start, count, at, width))
    return "".join(parts), pieces


def _paragraph_runs(word: bytes, table: bytes, fib: dict[str, int]) -> list[tuple[int, int, int]]:
    """(first byte, end byte, table flags) of each run of paragraph properties, from the
    PAPX pages (PlcBtePapx -> 512-byte PapxFkp pages in WordDocument); [] when unreadable."""
    return _fkp_runs(word, table, fib["fcBtePapx"], fib["lcbBtePapx"], 13, _papx_flags)


def _deleted_runs(word: bytes, table: bytes, fib: dict[str, int]) -> list[tuple[int, int, int]]:
    """(first byte, end byte, 1) of each run of text deleted with changes tracked
    (sprmCFRMarkDel in the CHPX pages): the document as it reads now leaves it out."""
    runs = _fkp_runs(word, table, fib["fcBteChpx"], fib["lcbBteChpx"], 1, _chpx_deleted)
    return [r for r in runs if r[2]]


def _fkp_runs(word: bytes, table: bytes, fc: int, lcb: int, entry: int,
              flags_of) -> list[tuple[int, int, int]]:
    """Runs of a PlcBte (PAPX or CHPX): each 512-byte FKP page lists byte ranges and, per
    range, a word offset (first byte of an `entry`-byte entry) to its properties."""
    if lcb < 8 or fc + lcb > len(table):
        return []
    n = (lcb - 4) // 8
    runs: list[tuple[int, int, int]] = []
    for i in range(n):
        pn = struct.unpack_from("<I", table, fc + 4 * (n + 1) + 4 * i)[0] & 0x3FFFFF
        page = word[pn * 512 : pn * 512 + 512]
        if len(page) < 512:
            return []
        crun = page[511]
        if 4 * (crun + 1) + entry * crun > 511:
            return []
        fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
        for j in range(crun):
            at = 2 * page[4 * (crun + 1) + entry * j]
            runs.append((fcs[j], fcs[j + 1], flags_of(page, at) if at else 0))
    runs.sort()
    return runs


def _chpx_deleted(page: bytes, at: int) -> int:
    return int(any(sprm == _SPRM_DELETED and value for sprm, value
                   in _sprms(page, at + 1, at + 1 + page[at])))


def _papx_flags(page: bytes, at: int) -> int:
    """The table flags a PapxInFkp sets (in a table; table row end)."""
    cb = page[at]
    if cb:
        start, end = at + 1, at + 2 * cb
    else:
        start, end = at + 2, at + 2 + 2 * page[at + 1]
    flags = 0
    for sprm, value in _sprms(page, start + 2, end):  # after istd
        if sprm in _SPRM_FLAGS and value:
            flags |= _SPRM_FLAGS[sprm]
    return flags


def _sprms(page: bytes, pos: int, end: int):
    """(sprm, first operand byte) of each property modifier in page[pos:end]."""
    end = min(end, len(page))
    while pos + 2 <= end:
        sprm = struct.unpack_from("<H", page, pos)[0]
        pos += 2
        size = _SPRA_SIZE.get(sprm >> 13)
        if size is None:  # variable-length operand: a size byte first
            if pos >= end:
                break
            size = 1 + page[pos]
        if pos < end:
            yield sprm, page[pos]
        pos += size


def _marks(chars: str, pieces: list[Piece], runs: list[tuple[int, int, int]]) -> dict[int, int]:
    """Table flags of each paragraph/cell mark (index in `chars` -> flags), by the byte
    each mark is stored at."""
    starts = [r[0] for r in runs]
    out: dict[int, int] = {}
    for first, count, at, width in pieces:
        for k in range(count):
            if chars[first + k] in "\r\x07":
                fc = at + width * k
                i = bisect.bisect_right(starts, fc) - 1
                if i >= 0 and fc < runs[i][1]:
                    out[first + k] = runs[i][2]
    return out


def _without(chars: str, pieces: list[Piece], runs: list[tuple[int, int, int]]) -> str:
    """`chars` with the characters stored in `runs` turned into NUL (dropped by `_lines`;
    the indexes of the others stay as they are)."""
    if not runs:
        return chars
    out = list(chars)
    ends = [r[1] for r in runs]  # runs are sorted and do not overlap
    for first, count, at, width in pieces:
        end = at + width * count
        i = bisect.bisect_right(ends, at)  # the first run ending after the piece starts
        while i < len(runs) and runs[i][0] < end:
            lo, hi = max(runs[i][0], at), min(runs[i][1], end)
            a, b = first + (lo - at) // width, first + (hi - at + width - 1) // width
            out[a:b] = "\x00" * (b - a)
            i += 1
    return "".join(out)


# cp1252, with the bytes it leaves undefined (0x81, 0x8D, ...) taken as Latin-1.
_CP1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))


def _cp1252(raw: bytes) -> str:
    return "".join(_CP1252[b] for b in raw)


def _lines(chars: str, marks: dict[int, int], offset: int) -> list[str]:
    """Word's characters as lines: fields resolved, table rows as `|cell|cell|`.

    `marks` (the paragraph properties) tells a row mark from a cell mark and a paragraph
    inside a cell from one outside; without them a \x07 right after a cell mark is taken
    as the row mark.
    """
    lines: list[str] = []
    cur: list[str] = []
    cells: list[str] = []  # finished cells of the table row being read
    fields: list[bool] = []  # per open field: True while in its code (before \x14)
    after_cell = False

    def end_row() -> None:
        if any(cells):  # an empty row is left out, as the .docx reader does
            lines.append("|" + "|".join(cells) + "|")
        cells.clear()

    for i, ch in enumerate(chars):
        if ch == "\x13":
            fields.append(True)
        elif ch == "\x14":
            if fields:
                fields[-1] = False
        elif ch == "\x15":
            if fields:
                fields.pop()
        elif any(fields):
            continue  # inside a field's code
        elif ch == "\x07":
            flags = marks.get(offset + i)
            row_end = flags & _ROW_END if flags is not None else after_cell and not cur
            if row_end:
                end_row()
                cur, after_cell = [], False
            else:
                cells.append(" ".join("".join(cur).split()))
                cur, after_cell = [], True
        elif ch in _LINE:
            flags = marks.get(offset + i)
            in_cell = flags & _IN_TABLE if flags is not None and ch == "\r" else bool(cells)
            if in_cell:  # a paragraph inside a cell: joined by a space, as in .docx
                cur.append(" ")
            else:
                end_row()
                lines.append("".join(cur))
                cur = []
            after_cell = False
        else:
            after_cell = False
            if ch in _KEEP:
                cur.append(_KEEP[ch])
            elif ch >= " ":
                cur.append(ch)
    end_row()
    if cur:
        lines.append("".join(cur))
    return [line.rstrip() for line in lines]


def _margin_lines(lines: list[str], body: set[str]) -> list[str]:
    """Each distinct header/footer line once, without page numbers or body lines."""
    out: list[str] = []
    for line in (" ".join(t.replace("\t", " ").split()) for t in lines):
        if line and line not in body and line not in out and strip_page_numbers(line).strip():
            out.append(line)
    return out
