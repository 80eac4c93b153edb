"""The stable JSON forms of hits, answers and documents, shared by `kb … --json` and the
HTTP API (`kb serve`): one definition, so both always give the same objects."""

from __future__ import annotations

from dataclasses import asdict

from core.models import Answer, Validity


def hit_json(hit, validity=None) -> dict:
    """The stable JSON form of a search hit; `validity` maps doc_id → core.models.Validity."""
    c = hit.chunk
    v = (validity or {}).get(c.doc_id)
    return {"rank": hit.rank, "score": hit.score, "chunk_id": c.chunk_id, "doc_id": c.doc_id,
            "title": c.title, "doc_type": c.doc_type, "source": c.source,
            "section": c.section_label, "page": c.pages[0] if c.pages else None,
            "start": c.start, "end": c.end, "text": c.text, "ocr": c.ocr,
            "status": v.status if v else None,
            "superseded_by": v.superseded_label if v and not v.in_force else None}


def answer_json(a: Answer) -> dict:
    """The stable JSON form of an answer."""
    return {
        "question": a.question,
        "answer": a.answer,
        "refused": a.refused,
        "citations": [
            {k: (c.section_label if k == "section" else v)
             for k, v in asdict(c).items() if k != "doc_id"} for c in a.citations
        ],
        "nearest": list(a.nearest),
    }


def doc_json(doc, v: Validity | None, docs) -> dict:
    """The stable JSON form of a document with its validity (`kb docs show --json`).

    `docs` are the documents the reader may see: a cited or citing document outside
    them is left out, so its title never reaches a reader of a lower level.
    """
    def name(d: str) -> dict:
        return {"doc_id": d, "title": docs[d].title, "doc_no": docs[d].meta.doc_no}

    m = doc.meta
    return {
        "doc_id": doc.doc_id, "title": doc.title, "doc_type": m.doc_type, "doc_no": m.doc_no,
        "date": m.date, "issuer": m.issuer,
        "status": v.status if v else None, "status_reason": v.reason if v else "",
        "effective_from": v.effective_from if v else None,
        "valid_until": v.valid_until if v else None,
        "superseded_by": (v.superseded_label if v and not v.in_force else None),
        "cites": [name(d) for d in (v.cites if v else ()) if d in docs],
        "cited_by": [name(d) for d in (v.cited_by if v else ()) if d in docs],
        "source": doc.source,
        "visibility": doc.visibility,
    }


# Chinese wording for the ingest pipeline's (English) skip reasons, matched by prefix.
_REASONS_ZH = (
    ("unsupported file type", "不支持的文件类型"),
    ("the file's bytes are", "文件内容与扩展名不符"),
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


def reason_zh(reason: str) -> str:
    """A skip reason from the ingest pipeline in Chinese, keeping the original detail."""
    for prefix, zh in _REASONS_ZH:
        if reason.startswith(prefix):
            return f"{zh}（{reason}）"
    return reason
