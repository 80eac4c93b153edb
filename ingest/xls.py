"""Legacy spreadsheets: Excel 97-2003 .xls and Kingsoft WPS 表格 .et (both BIFF8 in an OLE
file, a `Workbook` stream), read by xlrd and written out like .xlsx (`sheets.sheet_page`).

xlrd reads BIFF itself (no LibreOffice needed). Numbers that are whole print without
".0", dates as YYYY-MM-DD, booleans as TRUE/FALSE; a merged range appears once, in its
top-left cell; error cells are empty.
"""

from __future__ import annotations

from core.errors import require
from ingest.sheets import cell_text, sheet_page
from ingest.textfile import ReadResult, Unreadable, join_pages


def _value(book, cell) -> str:
    import xlrd

    kind, v = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if kind == xlrd.XL_CELL_NUMBER:
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)
    if kind == xlrd.XL_CELL_DATE:
        try:
            d = xlrd.xldate_as_datetime(v, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(v)
        return d.strftime("%Y-%m-%d" if d.time().isoformat() == "00:00:00"
                          else "%Y-%m-%d %H:%M")
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if v else "FALSE"
    return str(v)


def read_xls(data: bytes) -> ReadResult:
    """Each sheet as `sheet_page`; one page per sheet."""
    require("xlrd", feature="读取旧版 .xls/.et 表格", install="pip install xlrd")
    import xlrd

    try:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        except NotImplementedError:  # formatting of some BIFF versions: read without merges
            book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as e:  # xlrd raises XLRDError, CompDocError, struct errors on damage
        raise Unreadable(f"旧版 Excel/WPS 表格文件（.xls/.et）已损坏或加密，无法读取"
                         f"（{type(e).__name__}）") from e
    pages = []
    try:
        for i in range(book.nsheets):
            sheet = book.sheet_by_index(i)
            covered = {(r, c) for r1, r2, c1, c2 in getattr(sheet, "merged_cells", ())
                       for r in range(r1, r2) for c in range(c1, c2) if (r, c) != (r1, c1)}
            rows = [(r + 1, [cell_text(_value(book, sheet.cell(r, c))) if (r, c) not in covered
                             else "" for c in range(sheet.ncols)]) for r in range(sheet.nrows)]
            if any(any(row) for _, row in rows):
                pages.append(sheet_page(sheet.name, rows))
            book.unload_sheet(i)
    finally:
        book.release_resources()
    if not pages:
        raise Unreadable("表格中没有文字（所有工作表都是空的）")
    return join_pages(pages)
