"""POST /api/ingest: one uploaded file kept in the uploads folder and ingested.

The same path as the app's 入库 page (service.uploads: content-addressed, outside the
index; service.wiring.run_ingest under the writer lock, which bumps the generation so
every reader reloads). A file the ingest cannot read is not kept.
"""

from __future__ import annotations

from fastapi import UploadFile

from api.auth import ApiError
from core.config import Config
from core.models import LEVELS, User
from service import audit
from service.payloads import reason_zh
from service.serving import LiveSearcher
from service.uploads import delete_upload, save_upload
from service.wiring import run_ingest


def _read_bounded(file: UploadFile, max_mb: int) -> bytes:
    limit = max_mb * 1024 * 1024
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"文件 {file.filename} 超过上限 {max_mb} MB")
    if not data:
        raise ApiError(422, f"文件 {file.filename} 是空文件")
    return data


def ingest_upload(config: Config, live: LiveSearcher, user: User, file: UploadFile,
                  visibility: str | None) -> dict:
    """Keep and ingest the file; the JSON report of what happened."""
    name = file.filename or "upload"
    if visibility is not None and visibility not in LEVELS:
        raise ApiError(422, f"可见级别应为 {'、'.join(LEVELS)} 之一，实际为 {visibility!r}")
    if visibility is not None and not user.sees(visibility):
        raise ApiError(403, f"账号 {user.name} 的可见级别为 {user.level}，不能上传{visibility}文档")
    data = _read_bounded(file, config.max_upload_mb)
    try:
        path = save_upload(config, name, data)
    except OSError as exc:
        raise ApiError(507, f"无法保存上传文件 {name}（{exc.strerror or exc}）") from None
    report = run_ingest(config, [path], progress=False, embedder=live.embedder(),
                        visibility=visibility, user=user)
    skipped = dict(report.skipped)
    if str(path) in skipped:
        delete_upload(config, str(path))
        audit.record(config, user, "upload", file=name, skipped=skipped[str(path)], via="api")
        raise ApiError(422, f"未能入库 {name}：{reason_zh(skipped[str(path)])}")
    doc_id = report.doc_ids.get(str(path))
    outcome = ("added" if str(path) in report.added else
               "updated" if str(path) in report.updated else "unchanged")
    audit.record(config, user, "upload", file=name, doc_id=doc_id, outcome=outcome, via="api")
    return {"file": name, "doc_id": doc_id, "outcome": outcome, "chunks": report.chunks,
            "seconds": round(report.seconds, 3)}
