"""The HTTP API (`kb serve`): search, ask, documents and uploads for other systems.

`GET /api/search` and `GET /api/ask` return the very objects of `kb search --json` and
`kb ask --json` (service.payloads). Every request authenticates with HTTP Basic over the
knowledge base's accounts (api.auth); what a user may read is decided in the query
(`service.accounts.viewer_filters`: filter before top-k), and every query is written to
the audit log. One searcher per process (service.serving.LiveSearcher), reopened when the
index changes. Errors are one Chinese line as {"error": …}, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import ApiError, Verifier, need, unauthorized
from core.config import Config
from core.errors import IndexBusyError, IndexNotFoundError, KBError, PermissionDenied
from core.models import DocType, Filters, User
from service import queries
from service.payloads import answer_json, doc_json, hit_json
from service.serving import LiveSearcher

log = logging.getLogger("kb.api")

DESCRIPTION = """机关党建知识库的 HTTP 接口，供 OA、门户等系统调用。

- 每个请求都要用 HTTP Basic 认证提供账号（`kb users add` 创建）；没有或错误的凭据返回 401。
- 读者只能看到其密级（公开/内部）以内的文档；上传入库需要编辑或管理员账号（否则 403）。
- 每次检索、提问、上传都记入审计日志（`kb audit`）。
- 出错时返回 `{"error": "中文说明"}`。
"""

_HTTP_ZH = {400: "请求有误", 401: "需要登录", 403: "无权访问", 404: "没有这个地址",
            405: "不支持该请求方法", 413: "上传的文件太大", 422: "参数有误"}


class Utf8Basic(HTTPBasic):
    """HTTP Basic with UTF-8 credentials (RFC 7617, charset="UTF-8"): account names are
    often Chinese, and FastAPI's HTTPBasic decodes them as ASCII only."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, param = header.partition(" ")
        if scheme.lower() != "basic":
            raise unauthorized("只支持 HTTP Basic 认证")
        try:
            data = base64.b64decode(param.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise unauthorized("HTTP Basic 凭据格式有误（应为 UTF-8 的“用户名:密码”经 Base64 编码）"
                               ) from None
        name, sep, password = data.partition(":")
        if not sep:
            raise unauthorized("HTTP Basic 凭据格式有误（缺少“:”）")
        return HTTPBasicCredentials(username=name, password=password)


_basic = Utf8Basic(auto_error=False, scheme_name="HTTPBasic",
                   description="知识库账号（kb users add 创建）")


def signed_in(request: Request,
              creds: Annotated[HTTPBasicCredentials | None, Depends(_basic)]) -> User:
    """The account of the request's HTTP Basic credentials (401 without or when wrong)."""
    verifier: Verifier = request.app.state.verifier
    if creds is None:
        return verifier.user(None, None)
    return verifier.user(creds.username, creds.password)


# Module level: FastAPI resolves the (string) annotations in this module's globals.
Viewer = Annotated[User, Depends(signed_in)]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError):
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(IndexNotFoundError)
    async def no_index(_: Request, exc: KBError):
        return _error(503, f"知识库索引尚未建立：{exc}")

    @app.exception_handler(IndexBusyError)
    async def busy(_: Request, exc: KBError):
        return _error(503, str(exc))

    @app.exception_handler(PermissionDenied)
    async def denied(_: Request, exc: KBError):
        return _error(403, str(exc))

    @app.exception_handler(KBError)
    async def kb_error(_: Request, exc: KBError):
        return _error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        where = "、".join(".".join(str(p) for p in e.get("loc", ())[1:]) or "请求"
                         for e in exc.errors())
        return _error(422, f"参数有误：{where}（缺失或取值不合法；见 /docs）")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, _HTTP_ZH.get(exc.status_code, "请求失败"),
                      getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("内部错误：%s %s", request.method, request.url.path)
        return _error(500, "服务器内部错误，详情已记入服务日志")


def create_app(config: Config, *, live: LiveSearcher | None = None) -> FastAPI:
    """The API over the knowledge base of `config`."""
    from service.wiring import make_answerer

    live = live or LiveSearcher(config)
    verifier = Verifier(config)
    answerer = make_answerer(config)
    app = FastAPI(title="机关党建知识库 API", description=DESCRIPTION, version="1.0",
                  docs_url="/docs", redoc_url=None)
    app.state.live = live
    app.state.verifier = verifier
    _install_error_handlers(app)
    limit = (config.max_upload_mb + 1) * 1024 * 1024  # the file plus the form around it

    @app.middleware("http")
    async def bounded(request: Request, call_next):
        # Refused before the body is read: the multipart parser would spool it to disk.
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) > limit:
            return _error(413, f"请求过大：上传文件不能超过 {config.max_upload_mb} MB")
        return await call_next(request)

    @app.get("/api/search", summary="检索（同 kb search --json）")
    def search(user: Viewer,
               q: Annotated[str, Query(min_length=1, max_length=2000, description="检索词")],
               k: Annotated[int, Query(ge=1, le=100, description="返回条数")] = 5,
               mode: Literal["hybrid", "bm25", "vector"] = "hybrid",
               type: Annotated[list[str], Query(description="文档类型，可重复")] = [],  # noqa: B006
               ) -> list[dict]:
        need(user, "search")
        searcher = live.get()
        # service.queries: the viewer's level in the query (before top-k) and the audit entry
        hits = queries.search(config, searcher, q, k=k, mode=mode,
                              filters=Filters(doc_types=_types(type)), viewer=user, via="api")
        return [hit_json(h, searcher.validity) for h in hits]

    @app.get("/api/ask", summary="提问（同 kb ask --json）")
    def ask(user: Viewer,
            q: Annotated[str, Query(min_length=1, max_length=2000, description="问题")],
            ) -> dict:
        need(user, "ask")
        answer = queries.ask(config, live.get(), answerer, q, viewer=user, via="api")
        return answer_json(answer)

    @app.get("/api/docs/{doc_id}", summary="查看一篇文档（元数据、效力与全文）")
    def document(user: Viewer, doc_id: str) -> dict:
        need(user, "browse")
        searcher = live.get()
        doc = searcher.docs.get(doc_id)
        # A document above the user's level is answered like a missing one: its
        # existence is not disclosed either.
        if doc is None or not user.sees(doc.visibility):
            raise ApiError(404, f"没有文档 {doc_id}（或无权查看）")
        visible = queries.visible_docs(searcher.docs, user)
        out = doc_json(doc, searcher.validity.get(doc_id), visible)
        return {**out, "visibility": doc.visibility, "text": doc.text}

    @app.post("/api/ingest", summary="上传一个文件并入库（编辑、管理员）")
    def ingest(user: Viewer, file: Annotated[UploadFile, File(description="要入库的文件")],
               visibility: Annotated[str | None,
                                     Form(description="可见级别：公开 或 内部（默认按文件"
                                                      "元数据与 KB_DEFAULT_VISIBILITY）")] = None,
               ) -> dict:
        need(user, "upload")
        from api.uploads import ingest_upload

        return ingest_upload(config, live, user, file, visibility)

    return app


def _types(values: list[str]) -> tuple[str, ...]:
    codes = []
    for t in values:
        try:
            codes.append(DocType.parse(t).value)
        except ValueError:
            raise ApiError(422, f"未知的文档类型 {t!r}") from None
    return tuple(codes)
