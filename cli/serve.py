"""`kb serve`: the HTTP API (api/) served by uvicorn; `kb loadtest`: the bounded load test.

The API is never anonymous: with no account in the knowledge base it refuses to start and
says to run `kb users add`. It binds 127.0.0.1 unless --host says otherwise.
"""

from __future__ import annotations

import argparse

from core.errors import KBError

NO_ACCOUNT = ("尚未设置任何账号：HTTP 接口不允许匿名访问。请先创建账号，例如 "
              "`kb users add 张三 --role reader --level 公开`（密码从标准输入读取），"
              "再运行 `kb serve`")


def add_serve_commands(sub, index_help: str) -> None:
    p = sub.add_parser("serve", help="启动 HTTP 接口（检索、问答、入库；HTTP Basic 认证）",
                       description="启动 HTTP 接口：/api/search、/api/ask、/api/docs/{doc_id}、"
                                   "/api/ingest，接口文档见 /docs。需要先用 kb users add 创建账号")
    p.add_argument("--index", help=index_help)
    p.add_argument("--host", default="127.0.0.1",
                   help="监听地址（默认 127.0.0.1，只接受本机访问；"
                        "对外服务请放在带 TLS 的反向代理之后）")
    p.add_argument("--port", type=int, default=8600, help="端口（默认 8600）")
    p = sub.add_parser("loadtest", help="负载测试：多个用户并发调用 HTTP 接口，同时有编辑入库",
                       description="在 127.0.0.1 上启动临时知识库与 kb serve，模拟多个用户并发"
                                   "检索、提问，同时一名编辑上传入库；报告错误数、吞吐量与 p95")
    from evals.load import add_load_arguments

    add_load_arguments(p)


def cmd_serve(args: argparse.Namespace, config) -> int:
    import uvicorn

    from api.app import create_app
    from service.accounts import Accounts
    from service.serving import LiveSearcher

    if not 0 < args.port < 65536:
        raise KBError(f"--port 应在 1–65535 之间，实际为 {args.port}")
    if not Accounts(config).any():
        from service.deployment import local_only_accounts

        if local_only_accounts(config):  # a server-mode deployment from before the move
            raise KBError(f"{NO_ACCOUNT}；本机 {config.deploy} 中的账号还没有复制到 Chroma 服务："
                          f"先运行 kb users migrate")
        raise KBError(NO_ACCOUNT)
    live = LiveSearcher(config)
    try:
        live.warm()  # open the index and load the model before the first request
    except KBError as exc:  # no index yet: the first upload creates it; queries say so
        print(f"kb: 提示: {exc}")
    print(f"kb serve：http://{args.host}:{args.port}/api/ （接口文档 /docs）；"
          f"索引 {config.index_dir}", flush=True)
    uvicorn.run(create_app(config, live=live), host=args.host, port=args.port,
                log_level="warning", access_log=False)
    return 0


def cmd_loadtest(args: argparse.Namespace, config) -> int:
    from evals.load import run_load_cli

    return run_load_cli(args)


SERVE_COMMANDS = {"serve": cmd_serve, "loadtest": cmd_loadtest}
