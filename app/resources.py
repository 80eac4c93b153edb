"""The index, opened once per process and shared by every session (st.cache_resource).

The app follows the index: every page run reads the index's generation token
(`index.lock.generation`, replaced by each write under the writer lock: a CLI ingest,
an upload in another session, a repair) and reopens the index when it changed. A deleted
index has no token and no docstore: the page shows the same message as the CLI. The
embedding model is cached on its own, so a reload only rereads the index.
"""

from __future__ import annotations

import streamlit as st

from core.config import Config, load_config
from core.errors import IndexBusyError, IndexNotFoundError, KBError
from index.lock import writer_active

BUILDING_TEXT = ("知识库正在建立索引（首次运行时导入 corpus/ 示例文档）：文件读取后几秒内即可"
                 "按关键词检索，向量在后台陆续补齐，进度见左侧。本页会自动刷新。")


def current_config() -> Config:
    """The configuration from the environment (KB_INDEX etc., same defaults as the CLI)."""
    return load_config()


@st.cache_resource(show_spinner="正在加载向量模型……")
def _load_embedder(key: str, _config: Config):
    """The embedding model of a configuration (`key`: the model name), loaded once."""
    from service.wiring import embedder_factory

    embedder = embedder_factory(_config)()
    embedder.embed_queries(["预热"])
    return embedder


# One entry: a reload (new generation) drops the previous index from memory.
@st.cache_resource(show_spinner="正在加载知识库索引……", max_entries=1)
def _load_searcher(key: str, token: str | None, _config: Config):
    """Open the index as of generation `token`; `key` (the configuration's repr) names it.

    The Config itself is not hashed.
    """
    from service.wiring import open_searcher, warm_in_background

    searcher = open_searcher(_config,
                             make_embedder=lambda: _load_embedder(_config.embed_model, _config))
    warm_in_background(searcher)  # HNSW for the many queries to come
    if searcher.chunks:
        searcher.embedder  # noqa: B018 - load the model now, so the first question is fast
    return searcher


def get_searcher(config: Config | None = None):
    """The searcher of `config` (default: the environment's) as of the index's current
    generation; raises KBError."""
    config = config or current_config()
    from service.wiring import index_generation  # on a Chroma server: also the server's

    return _load_searcher(repr(config), index_generation(config), config)


def cached_embedder(config: Config):
    """The app's embedding model, shared with uploads (loaded once per process)."""
    return _load_embedder(config.embed_model, config)


def cached_searcher_or_none(config: Config):
    """The searcher if the index exists (opening it if needed), else None."""
    try:
        return get_searcher(config)
    except KBError:
        return None


def reset_searcher() -> None:
    """Forget the loaded index (the generation token makes this rarely necessary)."""
    _load_searcher.clear()


def missing_index_text(config: Config) -> str:
    """The friendly Chinese message shown when there is no index yet."""
    return (
        f"尚未找到知识库索引（目录：`{config.index_dir}`）。\n\n"
        "请先构建索引，任选一种方式：\n\n"
        "- 在项目目录运行 `make run`（导入示例语料并启动本应用）；\n"
        "- 或运行 `kb ingest corpus`，再重新打开本页面；\n"
        "- 或在左侧「入库」页面上传文件。\n\n"
        "如需使用其他索引目录，请设置环境变量 `KB_INDEX` 后重新启动应用。"
    )


def require_searcher():
    """The searcher, or render why there is none and stop the page run."""
    try:
        config = current_config()
    except KBError as exc:
        st.error(f"配置有误：{exc}")
        st.stop()
    try:
        return get_searcher(config)
    except (IndexNotFoundError, IndexBusyError):
        if writer_active(config.index_dir):
            st.info(BUILDING_TEXT)
        else:
            st.info(missing_index_text(config))
        st.stop()
    except KBError as exc:
        st.error(f"无法打开知识库索引：{exc}")
        st.stop()


def current_answerer():
    """The answer step the configuration names (KB_ANSWERER), as for `kb ask`."""
    from service.wiring import make_answerer

    return make_answerer(current_config())
